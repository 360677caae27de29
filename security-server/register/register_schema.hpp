#pragma once
// The tables of the query register, migrated under the module name "query-register".

#include <string>
#include <vector>

#include "register/query_register.hpp"

namespace xacbe::store {
class Database;
}

namespace xacbe::ss {

inline constexpr const char* kRegisterSchemaModule = "query-register";

// Append-only: never edit a released migration.
const std::vector<std::string>& register_migrations();

// Where the live chain starts, from the archives table: after the last record that left the live
// store, or at seq 1 after the genesis hash.
Result<ChainStart> read_chain_start(store::Database& db);

}  // namespace xacbe::ss
