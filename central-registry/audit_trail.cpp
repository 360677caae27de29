#include "audit_trail.hpp"

#include "xacbe/log/log.hpp"
#include "xacbe/store/database.hpp"

namespace xacbe::registry {

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
  XACBE_ASSIGN_OR_RETURN(store::Statement insert,
                         db_.prepare("INSERT INTO audit(at, actor, action, target, success, detail)"
                                     " VALUES(?1,?2,?3,?4,?5,?6)"));
  insert.bind(1, to_unix_seconds(clock_.now())).bind(2, actor).bind(3, action).bind(4, target);
  insert.bind(5, std::int64_t{outcome.is_ok() ? 1 : 0}).bind(6, outcome.is_ok() ? detail : outcome.to_string());
  return insert.run();
}

Result<std::vector<AuditEntry>> AuditTrail::list(std::int64_t after_id, int limit) {
  XACBE_ASSIGN_OR_RETURN(store::Statement query,
                         db_.prepare("SELECT id, at, actor, action, target, success, detail FROM audit"
                                     " WHERE id > ?1 ORDER BY id LIMIT ?2"));
  query.bind(1, after_id).bind(2, std::int64_t{limit});
  std::vector<AuditEntry> out;
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
