#pragma once
// The registry's REST/JSON admin API (docs/api/central-registry.openapi.yaml): the shared router
// (xacbe/api/admin_api.hpp) with the registry's audit trail. Route modules (membership_routes.cpp,
// ...) add the routes.
//
// Audit: every refusal of a write route is in the audit trail. The router records 401 and 403
// itself, and any other answer outside 2xx of a write route (a bad path parameter, a body that is
// not JSON, a bad field, 415) with the action "api <METHOD> <path template>", the request path as
// target and the error as detail, unless the handler's domain module already recorded a refused
// operation while handling the request: then the domain's entry (e.g. "member.suspend") is the
// one entry of that refusal. Refused reads (a bad query parameter) change nothing and are not
// audited. Refusals of callers nobody has identified (no valid token, an unverified management
// request) are aggregated per source address (audit_trail.hpp), so a flood costs bounded disk.

#include <vector>

#include "api_json.hpp"
#include "audit_trail.hpp"
#include "xacbe/api/admin_api.hpp"

namespace xacbe::registry {

using api::ApiCall;
using api::ApiUser;
using api::Role;
using api::Route;

class AdminApi : public api::AdminApi {
 public:
  // `audit` (for refused requests) must outlive the API.
  AdminApi(std::vector<ApiUser> users, AuditTrail& audit);
};

}  // namespace xacbe::registry
