#pragma once
// The REST/JSON admin API framework the central registry and the security server share: a router
// of routes with {parameters}, bearer-token authentication and roles. Every request but GET
// /health and the routes that authenticate themselves (Route::bearer false) needs
// "Authorization: Bearer <token>"; the token's SHA-256 maps to a user and a role: administrators
// may do everything, auditors may only read. Every refusal is a JSON error document (json.hpp).
// Every handler runs under one lock: a component's domain objects behind an API share one
// database connection.
//
// Text from outside is checked at the door: a path segment, query value or body that is not
// well-formed UTF-8 is refused with 400 INVALID_ARGUMENT before any handler runs, and a refusal
// quotes at most a bounded excerpt of what was sent. A handler that throws answers 500 INTERNAL,
// as JSON like every other answer, with the details in the log only.
//
// What a component keeps of the requests (the registry's audit trail, the security server's log)
// is its own: a RequestAudit hears of each refusal before a handler ran and wraps each answer.

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "xacbe/config/config.hpp"
#include "xacbe/net/http.hpp"
#include "xacbe/result.hpp"

namespace xacbe::api {

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
  std::string peer;               // the caller's network address, as the server saw it
  const ApiUser* user = nullptr;  // null exactly on routes without bearer authentication
  // The decoded value of `name` in the query, empty when absent.
  std::string query_param(const std::string& name) const;
};

struct Route {
  std::string method;
  std::string path;  // OpenAPI path template, e.g. /api/v1/applications/{applicationId}/admit
  bool write;        // changes state: needs the administrator role
  std::function<net::HttpResponse(const ApiCall&)> handler;
  // false: the request authenticates itself (a signature the handler's domain module checks and
  // audits); no token is asked for and no role checked.
  bool bearer = true;
};

// A component's record of its API's requests. Both calls come with the API's lock held.
class RequestAudit {
 public:
  virtual ~RequestAudit() = default;
  // A request refused before any handler ran: 401 (`user` null: no valid token) or 403 (the
  // auditor role on a write route). `action` is "api <METHOD> <path template>", `path` the
  // request's path, `peer` the caller's address.
  virtual void refused(const ApiUser* user, const std::string& action, const std::string& path,
                       const Status& refusal, const std::string& peer) = 0;
  // Answers a request that passed authentication: `answer` runs the handler (or answers 415).
  virtual net::HttpResponse answer(const Route& route, const ApiCall& call, const std::string& path,
                                   const std::function<net::HttpResponse()>& answer) = 0;
};

class AdminApi {
 public:
  // `audit` null: nothing is kept of the requests.
  explicit AdminApi(std::vector<ApiUser> users, std::unique_ptr<RequestAudit> audit = nullptr);
  virtual ~AdminApi() = default;

  void add(Route route);
  net::HttpResponse handle(const net::HttpRequest& request);
  // Runs `duty` under the same lock as the handlers (scheduled work).
  Status run_locked(const std::function<Status()>& duty);

  const std::vector<Route>& routes() const { return routes_; }

 private:
  const ApiUser* authenticate(const std::string& authorization) const;
  net::HttpResponse route(const net::HttpRequest& request);
  net::HttpResponse run(const Route& route, const ApiCall& call, const net::HttpRequest& request,
                        const std::string& path);

  std::mutex mu_;  // serialises handlers: the domain objects share one database connection
  std::vector<Route> routes_;
  const std::vector<ApiUser> users_;
  const std::unique_ptr<RequestAudit> audit_;  // guarded by mu_; may be null
};

const char* role_name(Role role);
// The users of a configuration file's "users" object: name -> {"role": "administrator" or
// "auditor", "token_sha256": 64 lower-case hex digits (what `xacbe token generate` prints)}.
// `where` names the object in messages, e.g. "conf.json: 'registry.users" (a message adds
// ".<name>.role' must be ...").
Result<std::vector<ApiUser>> read_users(const config::Node& users, const std::string& where);

}  // namespace xacbe::api
