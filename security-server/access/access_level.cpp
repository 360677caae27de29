#include "access/access_level.hpp"

namespace xacbe::ss {

Status check_level_code(std::string_view code) {
  const bool ok =
      !code.empty() && code.size() <= 64 && code.front() != '.' && code.front() != '-' &&
      code.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") ==
          std::string_view::npos;
  if (ok) return Status::ok();
  return invalid_argument("minimum_level must be 1..64 of [A-Za-z0-9._-], not starting with '.' or '-'");
}

std::optional<AccessDecision> refuse_below_minimum_level(const id::ClientId& client, const ServiceDefinition& service,
                                                         const globalconf::GlobalConfiguration& configuration) {
  const std::string& minimum = service.minimum_level;
  if (minimum.empty()) return std::nullopt;
  const std::string rule = "level:" + minimum;
  const std::optional<std::size_t> required = configuration.level_rank(minimum);
  if (!required) {
    return AccessDecision{false, rule,
                          "the service requires access level '" + minimum +
                              "', which the global configuration in use does not list"};
  }
  const std::string* level = configuration.effective_level(client);
  if (level == nullptr) {
    return AccessDecision{false, rule, "the client has no access level; the service requires '" + minimum + "'"};
  }
  // The document guarantees that an assigned level is in the list.
  const std::optional<std::size_t> rank = configuration.level_rank(*level);
  if (!rank || *rank < *required) {
    return AccessDecision{false, rule,
                          "the client's access level '" + *level + "' is below the required '" + minimum + "'"};
  }
  return std::nullopt;
}

}  // namespace xacbe::ss
