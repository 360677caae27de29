#pragma once
// The registry database schema, as numbered migrations for store::Database::migrate. Append-only.

#include <string>
#include <vector>

namespace xacbe::registry {

const std::vector<std::string>& schema_migrations();

}  // namespace xacbe::registry
