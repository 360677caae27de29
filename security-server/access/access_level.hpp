#pragma once
// The access-level rule of a service (docs/protocol/access-levels.md): a provider may require a
// minimum level for a service; a client whose access right matches may call it only if its
// effective level in the global configuration in use (a subsystem's own level, else its member's)
// ranks at or above that minimum in the configuration's ordered list. Fail closed: a minimum the
// configuration does not list, or a client without a level, refuses the call.

#include <optional>
#include <string>
#include <string_view>

#include "access/service_catalog.hpp"

namespace xacbe::ss {

// Whether `code` may name a level (the member-code rule): 1..64 of [A-Za-z0-9._-], not starting
// with '.' or '-'. The catalog refuses a minimum level that breaks it.
Status check_level_code(std::string_view code);

// The refusal when `client` does not reach `service.minimum_level` under `configuration`, with
// rule "level:<minimum>"; nullopt when the service requires no level or the client reaches it.
std::optional<AccessDecision> refuse_below_minimum_level(const id::ClientId& client, const ServiceDefinition& service,
                                                         const globalconf::GlobalConfiguration& configuration);

}  // namespace xacbe::ss
