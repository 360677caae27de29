#pragma once
// The registry's REST/JSON admin API (docs/api/central-registry.openapi.yaml). Every request but
// GET /health needs "Authorization: Bearer <token>"; a token maps to a user and a role:
// administrators may do everything, auditors may only read. Refused requests are written to the
// audit trail like refused operations.

#include <mutex>
#include <string>
#include <vector>

#include "xacbe/net/http.hpp"
#include "xacbe/registry/membership.hpp"

namespace xacbe::registry {

enum class Role { kAdministrator, kAuditor };

struct ApiUser {
  std::string name;
  Role role;
  std::string token_sha256;  // lower-case hex SHA-256 of the bearer token; the token itself is never stored
};

struct Route {
  std::string method;
  std::string path;  // OpenAPI path template, e.g. /api/v1/applications/{applicationId}/admit
  bool write;        // needs the administrator role
};

class AdminApi {
 public:
  // `membership` must outlive the API; calls to it are serialised by the API's own mutex.
  AdminApi(Membership& membership, std::vector<ApiUser> users);

  net::HttpResponse handle(const net::HttpRequest& request);

  // The scheduled duties (terminations whose date has come), serialised with the API's calls.
  Status run_scheduled();

  // Every route the API serves, for the OpenAPI document check.
  static const std::vector<Route>& routes();

 private:
  net::HttpResponse dispatch(const Route& route, const std::vector<std::string>& params, const std::string& query,
                             const std::string& body, const ApiUser& user);

  std::mutex mu_;
  Membership& membership_;  // guarded by mu_
  const std::vector<ApiUser> users_;
};

}  // namespace xacbe::registry
