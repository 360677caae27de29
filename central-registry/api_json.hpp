#pragma once
// The route modules write api::Json, api::error_response, ...: the shared admin API's JSON.

#include "xacbe/api/json.hpp"

namespace xacbe::registry {
namespace api = xacbe::api;
}  // namespace xacbe::registry
