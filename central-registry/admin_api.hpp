#pragma once
// The registry's REST/JSON admin API (docs/api/central-registry.openapi.yaml): a router with
// bearer-token authentication and roles. Every request but GET /health and the routes that
// authenticate themselves (Route::bearer false: a security server's signed management request)
// needs "Authorization: Bearer <token>"; a token maps to a user and a role: administrators may
// do everything, auditors may only read. Route modules (membership_routes.cpp, ...) add the
// routes; every handler runs under one lock, since the domain objects share one database.
//
// Audit: every refusal of a write route is in the audit trail. The router records 401 and 403
// itself, and any other answer outside 2xx of a write route (a bad path parameter, a body that is
// not JSON, a bad field, 415) with the action "api <METHOD> <path template>", the request path as
// target and the error as detail, unless the handler's domain module already recorded a refused
// operation while handling the request: then the domain's entry (e.g. "member.suspend") is the
// one entry of that refusal. Refused reads (a bad query parameter) change nothing and are not
// audited.

#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "xacbe/net/http.hpp"
#include "audit_trail.hpp"

namespace xacbe::registry {

enum class Role { kAdministrator, kAuditor };

struct ApiUser {
  std::string name;
  Role role;
  std::string token_sha256;  // lower-case hex SHA-256 of the bearer token; the token itself is never stored
};

// One request that passed routing and, for bearer routes, authentication, as a handler sees it.
struct ApiCall {
  std::vector<std::string> params;  // the {parameters} of the route's path, in order, decoded
  std::string query;                // raw query string
  std::string body;
  const ApiUser* user = nullptr;  // null exactly on routes without bearer authentication
  // The decoded value of `name` in the query, empty when absent.
  std::string query_param(const std::string& name) const;
};

struct Route {
  std::string method;
  std::string path;  // OpenAPI path template, e.g. /api/v1/applications/{applicationId}/admit
  bool write;        // changes state: needs the administrator role, refusals are audited
  std::function<net::HttpResponse(const ApiCall&)> handler;
  // false: the request authenticates itself (a signature the handler's domain module checks and
  // audits); no token is asked for and no role checked.
  bool bearer = true;
};

class AdminApi {
 public:
  // `audit` (for refused requests) must outlive the API.
  AdminApi(std::vector<ApiUser> users, AuditTrail& audit);

  void add(Route route);
  net::HttpResponse handle(const net::HttpRequest& request);
  // Runs `duty` under the same lock as the handlers (scheduled work).
  Status run_locked(const std::function<Status()>& duty);

  const std::vector<Route>& routes() const { return routes_; }

 private:
  const ApiUser* authenticate(const std::string& authorization) const;
  net::HttpResponse run(const Route& route, const ApiCall& call, const net::HttpRequest& request,
                        const std::string& path);

  std::mutex mu_;  // serialises handlers: the domain objects share one database connection
  std::vector<Route> routes_;
  const std::vector<ApiUser> users_;
  AuditTrail& audit_;            // guarded by mu_
};

}  // namespace xacbe::registry
