#pragma once
// The tables of the query register, migrated under the module name "query-register".

#include <string>
#include <vector>

namespace xacbe::ss {

inline constexpr const char* kRegisterSchemaModule = "query-register";

// Append-only: never edit a released migration.
const std::vector<std::string>& register_migrations();

}  // namespace xacbe::ss
