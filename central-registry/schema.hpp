#pragma once
// The registry database schema, as numbered migrations for store::Database::migrate. Append-only.

#include <string>
#include <vector>

#include "xacbe/result.hpp"

namespace xacbe::store {
class Database;
}

namespace xacbe::registry {

// The registry's module name in schema_versions.
inline constexpr const char* kSchemaModule = "registry";

const std::vector<std::string>& schema_migrations();

// Brings the registry's tables in `db` to the current version; a database made before
// schema_versions (version in PRAGMA user_version) is adopted in place.
Status migrate_schema(store::Database& db);

}  // namespace xacbe::registry
