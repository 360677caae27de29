#include "audit_trail.hpp"

#include <algorithm>
#include <map>

#include "xacbe/log/log.hpp"
#include "xacbe/store/database.hpp"
#include "xacbe/utf8.hpp"

namespace xacbe::registry {
namespace {

bool unidentified(const std::string& actor) { return actor == "anonymous" || actor == "unauthenticated"; }

}  // namespace

// One aggregation interval of one source, action and refusal code.
struct AuditTrail::RefusalCounts {
  struct Window {
    std::string source, action, code;
    TimePoint start, last;
    std::int64_t counted = 0;  // refusals after the recorded first one
  };
  std::map<std::string, Window> windows;  // by source, action and code
  // The earliest start among `windows`: until it is an interval old, no window is over and a
  // flush has nothing to do (a flood does not scan the windows at every refusal).
  TimePoint oldest_start = TimePoint::max();
};

AuditTrail::AuditTrail(store::Database& db, const Clock& clock)
    : db_(db), clock_(clock), refusals_(std::make_unique<RefusalCounts>()) {}

AuditTrail::~AuditTrail() = default;

Status AuditTrail::run_audited(const std::string& actor, const std::string& action, AuditNote& note,
                               const std::function<Status()>& change, OnRefusal on_refusal) {
  Status outcome;
  {
    Result<store::Transaction> tx = store::Transaction::begin(db_);
    if (!tx) {
      outcome = tx.status();
    } else {
      outcome = change();
      if (outcome.is_ok() || on_refusal == OnRefusal::kKeepWrites) {
        // SQLite rolls a transaction back by itself after some errors (a full disk, say); an entry
        // appended then would commit alone.
        Status logged = db_.in_transaction() ? record(actor, action, note.target, outcome, note.detail)
                                             : internal_error("the database rolled the transaction back");
        if (logged.is_ok()) {
          logged = tx->commit();
          if (logged.is_ok()) return outcome;
        }
        log::error("the audit entry of {} could not be committed, so neither was the change: {}", action,
                   logged.to_string());
        // The change and its entry are rolled back together (leaving this scope).
        if (outcome.is_ok()) outcome = std::move(logged);
      }
    }
  }
  if (note.undo_outside) outcome = note.undo_outside(outcome);
  // Nothing of the change stands; say so in an entry of its own.
  (void)record(actor, action, note.target, outcome);
  return outcome;
}

Status AuditTrail::record(const std::string& actor, const std::string& action, const std::string& target,
                          const Status& outcome, const std::string& detail) {
  if (outcome.is_ok()) return append(actor, action, target, true, detail);
  ++refusals_heard_;
  if (!unidentified(actor)) return append(actor, action, target, false, outcome.to_string());
  if (!admit_refusal(action, outcome)) return Status::ok();
  std::string refusal = excerpt(outcome.to_string(), kMaxAuditDetailBytes - 80);
  refusal.append(" [from ").append(source_.empty() ? "an unknown address" : source_).append("]");
  return append(actor, action, target, false, refusal);
}

Status AuditTrail::append(const std::string& actor, const std::string& action, const std::string& target,
                          bool success, const std::string& detail) {
  XACBE_ASSIGN_OR_RETURN(store::Statement insert,
                         db_.prepare("INSERT INTO audit(at, actor, action, target, success, detail)"
                                     " VALUES(?1,?2,?3,?4,?5,?6)"));
  insert.bind(1, to_unix_seconds(clock_.now())).bind(2, excerpt(actor, kMaxAuditActorBytes));
  insert.bind(3, excerpt(action, kMaxAuditActionBytes)).bind(4, excerpt(target, kMaxAuditTargetBytes));
  insert.bind(5, std::int64_t{success ? 1 : 0}).bind(6, excerpt(detail, kMaxAuditDetailBytes));
  return insert.run();
}

bool AuditTrail::admit_refusal(const std::string& action, const Status& outcome) {
  (void)flush_refusal_counts();
  const TimePoint now = clock_.now();
  auto& windows = refusals_->windows;
  const std::string code = code_name(outcome.code());
  std::string source = source_.empty() ? "unknown" : excerpt(source_, 64);
  const std::string tail = '\n' + action + '\n' + code;
  std::string key = source + tail;
  if (windows.size() >= kMaxRefusalSources && !windows.count(key)) {
    source = "other";
    key = source + tail;
  }
  auto [it, first] = windows.try_emplace(key, RefusalCounts::Window{source, action, code, now, now, 0});
  if (first) {
    refusals_->oldest_start = std::min(refusals_->oldest_start, now);
    return true;
  }
  ++it->second.counted;
  it->second.last = now;
  return false;
}

Status AuditTrail::flush_refusal_counts(bool all) {
  const TimePoint now = clock_.now();
  auto& windows = refusals_->windows;
  if (!all && (windows.empty() || now < refusals_->oldest_start + kRefusalInterval)) return Status::ok();
  Status result;
  refusals_->oldest_start = TimePoint::max();
  for (auto it = windows.begin(); it != windows.end();) {
    const RefusalCounts::Window& w = it->second;
    if (!all && now < w.start + kRefusalInterval) {
      refusals_->oldest_start = std::min(refusals_->oldest_start, w.start);
      ++it;
      continue;
    }
    if (w.counted > 0) {
      Status st = append("anonymous", "audit.refusals-aggregated", w.source, false,
                         std::to_string(w.counted) + " more refusal(s) " + w.code + " of " + w.action + " from " +
                             w.source + " between " + to_iso8601_utc(w.start) + " and " + to_iso8601_utc(w.last));
      if (!st.is_ok()) {
        log::error("the count of refused requests from {} could not be recorded: {}", w.source, st.to_string());
        result = st;
      }
    }
    it = windows.erase(it);
  }
  return result;
}

Result<std::vector<AuditEntry>> AuditTrail::list(std::int64_t after_id, int limit, std::size_t max_bytes) {
  XACBE_ASSIGN_OR_RETURN(store::Statement query,
                         db_.prepare("SELECT id, at, actor, action, target, success, detail FROM audit"
                                     " WHERE id > ?1 ORDER BY id LIMIT ?2"));
  query.bind(1, after_id).bind(2, std::int64_t{limit});
  std::vector<AuditEntry> out;
  std::size_t bytes = 0;
  for (;;) {
    XACBE_ASSIGN_OR_RETURN(bool row, query.step());
    if (!row) break;
    AuditEntry e;
    e.id = query.column_int64(0);
    e.at = from_unix_seconds(query.column_int64(1));
    e.actor = query.column_text(2);
    e.action = query.column_text(3);
    e.target = query.column_text(4);
    e.success = query.column_int64(5) != 0;
    e.detail = query.column_text(6);
    bytes += e.actor.size() + e.action.size() + e.target.size() + e.detail.size() + 64;
    if (bytes > max_bytes && !out.empty()) break;
    out.push_back(std::move(e));
  }
  return out;
}

Result<std::int64_t> AuditTrail::last_id() {
  XACBE_ASSIGN_OR_RETURN(store::Statement query, db_.prepare("SELECT COALESCE(MAX(id), 0) FROM audit"));
  XACBE_ASSIGN_OR_RETURN(bool row, query.step());
  return row ? query.column_int64(0) : 0;
}

Result<bool> AuditTrail::refusal_after(std::int64_t id) {
  XACBE_ASSIGN_OR_RETURN(store::Statement query,
                         db_.prepare("SELECT EXISTS(SELECT 1 FROM audit WHERE id > ?1 AND success = 0)"));
  query.bind(1, id);
  XACBE_ASSIGN_OR_RETURN(bool row, query.step());
  return row && query.column_int64(0) != 0;
}

}  // namespace xacbe::registry
