#pragma once
// JSON parsing that refuses repeated keys, for configuration files and signed documents alike:
// nlohmann keeps the last of repeated keys while another reader may keep the first, so such a
// document does not say one thing. The one public header that includes nlohmann: modules that parse
// JSON from outside (configuration, signed documents, API bodies) include it, the rest never see it.

#include <nlohmann/json.hpp>
#include <string_view>

#include "xacbe/result.hpp"

namespace xacbe::config {

// kInvalidArgument with "not valid JSON: ..." or "repeated key 'a.b'" (dotted path of the first
// repeated key).
Result<nlohmann::json> parse_json_strict(std::string_view text);

}  // namespace xacbe::config
