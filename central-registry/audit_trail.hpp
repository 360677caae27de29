#pragma once
// The registry's audit trail: every administrative action, successful or refused, with who did
// it, when, on what, and the outcome (ARCHITECTURE.md, "Central registry"). Append-only: nothing
// in the registry updates or deletes an entry.

#include <cstdint>
#include <string>
#include <vector>

#include "xacbe/clock.hpp"
#include "xacbe/result.hpp"

namespace xacbe::store {
class Database;
}

namespace xacbe::registry {

struct AuditEntry {
  std::int64_t id = 0;
  TimePoint at;
  std::string actor;   // authenticated user name, or "server:<id>" for a security server
  std::string action;  // e.g. "member.admit"
  std::string target;  // e.g. a member id
  bool success = false;
  std::string detail;  // the refusal message, or what changed
};

class AuditTrail {
 public:
  // `db` must have the registry schema (registry/schema.hpp) and outlive the trail; the caller
  // serialises access to `db`.
  AuditTrail(store::Database& db, const Clock& clock) : db_(db), clock_(clock) {}

  Status record(const std::string& actor, const std::string& action, const std::string& target, const Status& outcome,
                const std::string& detail = {});
  // Entries with id > after_id, oldest first, at most `limit`.
  Result<std::vector<AuditEntry>> list(std::int64_t after_id = 0, int limit = 1000);
  // The id of the newest entry (0 for an empty trail).
  Result<std::int64_t> last_id();
  // Whether a refusal (success false) was recorded after entry `id`.
  Result<bool> refusal_after(std::int64_t id);

 private:
  store::Database& db_;
  const Clock& clock_;
};

}  // namespace xacbe::registry
