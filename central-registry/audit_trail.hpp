#pragma once
// The registry's audit trail: every administrative action, successful or refused, with who did
// it, when, on what, and the outcome (ARCHITECTURE.md, "Central registry"). Append-only: nothing
// in the registry updates or deletes an entry.
//
// An entry is written in the same transaction as the change it records (STYLE.md, "Untrusted
// input and records"): run_audited() runs a change and appends its entry inside one transaction,
// so a crash or a failed write leaves either both or neither. A refused action changed nothing
// and is recorded in a transaction of its own.

#include <chrono>
#include <cstdint>
#include <memory>
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

// Bounds on what an entry keeps of its fields, in bytes (longer values are cut at a character
// boundary; bytes that are not UTF-8 are replaced by U+FFFD): whatever a caller sent, an entry
// costs at most about 2 KiB.
inline constexpr std::size_t kMaxAuditActorBytes = 128;
inline constexpr std::size_t kMaxAuditActionBytes = 128;
inline constexpr std::size_t kMaxAuditTargetBytes = 512;
inline constexpr std::size_t kMaxAuditDetailBytes = 1024;
// A page of list() stops before this many bytes of entries (at least one entry is returned).
inline constexpr std::size_t kMaxAuditPageBytes = 1 << 20;

// Refusals of callers nobody has identified yet (actor "anonymous" or "unauthenticated") cost
// bounded disk: per source address, action and refusal code, the first refusal of each interval
// is recorded as usual, and the others are counted and recorded as one summary entry (action
// "audit.refusals-aggregated", target the source, detail the count, action and period) once
// the interval is over. At most kMaxRefusalSources keys are counted apart in an interval; the
// rest share the source "other".
inline constexpr std::chrono::seconds kRefusalInterval{60};
inline constexpr std::size_t kMaxRefusalSources = 256;

class AuditTrail {
 public:
  // `db` must have the registry schema (registry/schema.hpp) and outlive the trail; the caller
  // serialises access to `db`.
  AuditTrail(store::Database& db, const Clock& clock);
  ~AuditTrail();

  // The network address of the caller whose request is being handled, for the aggregation of
  // anonymous refusals (empty: unknown). The API sets it around each request, under its lock.
  void set_source(std::string source) { source_ = std::move(source); }
  // Records the summaries of the aggregation intervals that are over (the scheduler calls it, so
  // that a count is recorded even when no further refusal comes); `all` also those still open
  // (at shutdown).
  Status flush_refusal_counts(bool all = false);

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
  // Entries with id > after_id, oldest first, at most `limit` and at most about max_bytes
  // (always at least one entry when there is one).
  Result<std::vector<AuditEntry>> list(std::int64_t after_id = 0, int limit = 1000,
                                       std::size_t max_bytes = kMaxAuditPageBytes);
  // The id of the newest entry (0 for an empty trail).
  Result<std::int64_t> last_id();
  // How many refusals record() has heard of, recorded or counted: whether a refusal of the
  // request at hand was heard, even when it was only counted.
  std::uint64_t refusals_heard() const { return refusals_heard_; }
  // Whether a refusal (success false) was recorded after entry `id`.
  Result<bool> refusal_after(std::int64_t id);

 private:
  struct RefusalCounts;
  Status append(const std::string& actor, const std::string& action, const std::string& target, bool success,
                const std::string& detail);
  // Whether a refusal by an unidentified caller is recorded now (false: it was counted).
  bool admit_refusal(const std::string& action, const Status& outcome);

  store::Database& db_;
  const Clock& clock_;
  std::string source_;
  std::unique_ptr<RefusalCounts> refusals_;
  std::uint64_t refusals_heard_ = 0;
};

}  // namespace xacbe::registry
