#pragma once
// The registry's REST/JSON admin API (docs/api/central-registry.openapi.yaml): a router with
// bearer-token authentication and roles. Every request but GET /health needs
// "Authorization: Bearer <token>"; a token maps to a user and a role: administrators may do
// everything, auditors may only read. Refused requests are written to the audit trail like
// refused operations. Route modules (membership_routes.cpp, notification_routes.cpp, ...) add the
// routes; every handler runs under one lock, since the domain objects share one database.

#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "xacbe/net/http.hpp"
#include "xacbe/registry/audit_trail.hpp"

namespace xacbe::registry {

enum class Role { kAdministrator, kAuditor };

struct ApiUser {
  std::string name;
  Role role;
  std::string token_sha256;  // lower-case hex SHA-256 of the bearer token; the token itself is never stored
};

// One authenticated request, as a handler sees it.
struct ApiCall {
  std::vector<std::string> params;  // the {parameters} of the route's path, in order, decoded
  std::string query;                // raw query string
  std::string body;
  const ApiUser* user = nullptr;
  // The decoded value of `name` in the query, empty when absent.
  std::string query_param(const std::string& name) const;
};

struct Route {
  std::string method;
  std::string path;  // OpenAPI path template, e.g. /api/v1/applications/{applicationId}/admit
  bool write;        // needs the administrator role
  std::function<net::HttpResponse(const ApiCall&)> handler;
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
  std::mutex mu_;  // serialises handlers: the domain objects share one database connection
  std::vector<Route> routes_;
  const std::vector<ApiUser> users_;
  AuditTrail& audit_;  // guarded by mu_
};

}  // namespace xacbe::registry
