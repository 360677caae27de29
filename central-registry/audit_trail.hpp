#pragma once
// The registry's audit trail: every administrative action, successful or refused, with who did
// it, when, on what, and the outcome (ARCHITECTURE.md, "Central registry"). Append-only: nothing
// in the registry updates or deletes an entry.
//
// An entry is written in the same transaction as the change it records (STYLE.md, "Untrusted
// input and records"): run_audited() runs a change and appends its entry inside one transaction,
// so a crash or a failed write leaves either both or neither. A refused action changed nothing
// and is recorded in a transaction of its own.

#include <cstdint>
#include <functional>
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

// What the entry of a change says beyond actor and action; the change may fill it in as it learns
// it (a new id for the target, what changed for the detail).
struct AuditNote {
  std::string target;
  std::string detail;  // recorded on success; a refusal records its Status instead
  // For a change that also acted outside the registry database (the CA issuing a certificate),
  // which no rollback undoes: called after the change was rolled back (refused, or its entry could
  // not be written), to undo that; returns the outcome to record and report.
  std::function<Status(const Status& outcome)> undo_outside;
};

// What stands of a refused change.
enum class OnRefusal {
  kRollBack,  // nothing: the change is rolled back (every admin action)
  // What the change wrote before it was refused commits with the refusal's entry: a signed
  // management request's id, the replay guard, is kept whatever happened to the request.
  kKeepWrites,
};

class AuditTrail {
 public:
  // `db` must have the registry schema (registry/schema.hpp) and outlive the trail; the caller
  // serialises access to `db`.
  AuditTrail(store::Database& db, const Clock& clock) : db_(db), clock_(clock) {}

  // Appends an entry. Inside an open transaction on the trail's database it is part of it (it
  // commits or rolls back with it); otherwise it is a transaction of its own.
  Status record(const std::string& actor, const std::string& action, const std::string& target, const Status& outcome,
                const std::string& detail = {});

  // Runs `change` in a transaction on the trail's database (a transaction `change` begins is a
  // savepoint of it) and appends its entry in the same transaction: on success the change and an
  // entry with note.detail commit together, and if the entry cannot be written or the commit
  // fails, the change is rolled back and that failure is the outcome. A refused change is rolled
  // back (unless kKeepWrites) and its refusal recorded on its own; a failure to record a refusal
  // does not hide the refusal. `actor` and `note` are read after `change` has run, so the change
  // may set them as it learns them (the verified signer of a request, a new id). Returns the
  // outcome.
  Status run_audited(const std::string& actor, const std::string& action, AuditNote& note,
                     const std::function<Status()>& change, OnRefusal on_refusal = OnRefusal::kRollBack);
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
