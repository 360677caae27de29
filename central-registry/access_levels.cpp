#include "access_levels.hpp"

#include <algorithm>
#include <optional>
#include <set>

#include "global_groups.hpp"
#include "xacbe/globalconf/global_configuration.hpp"
#include "xacbe/store/database.hpp"

namespace xacbe::registry {
namespace {

constexpr const char* kListTarget = "access-levels";

// Echoes at most 64 bytes of a refused value; one that is not printable UTF-8 is not echoed.
std::string shown(const std::string& value) {
  std::string out = value.size() <= 64 ? value : value.substr(0, 64) + "...";
  if (!globalconf::check_display_name(out).is_ok()) return "(unprintable)";
  out.insert(out.begin(), '\'');
  out.push_back('\'');
  return out;
}

Status check_level(const AccessLevelDefinition& level, std::size_t i) {
  const std::string where = std::string("levels[") + std::to_string(i) + "]";
  if (!is_global_group_code(level.code)) {
    return invalid_argument(where + ".code " + shown(level.code) +
                            ": expected 1..64 of [A-Za-z0-9._-], not starting with '.' or '-'");
  }
  if (Status st = globalconf::check_display_name(level.name); !st.is_ok()) {
    return invalid_argument(where + ".name: " + st.message());
  }
  return Status::ok();
}

Result<std::optional<std::string>> level_of(store::Database& db, const id::ClientId& client) {
  XACBE_ASSIGN_OR_RETURN(store::Statement query,
                         db.prepare("SELECT level_code FROM client_access_level WHERE client_id=?1"));
  query.bind(1, client.to_string());
  XACBE_ASSIGN_OR_RETURN(bool row, query.step());
  if (!row) return std::optional<std::string>();
  return std::optional<std::string>(query.column_text(0));
}

Result<bool> is_listed(store::Database& db, const std::string& code) {
  XACBE_ASSIGN_OR_RETURN(store::Statement query, db.prepare("SELECT 1 FROM access_level WHERE code=?1"));
  query.bind(1, code);
  return query.step();
}

}  // namespace

Result<std::vector<AccessLevelDefinition>> AccessLevels::levels() {
  XACBE_ASSIGN_OR_RETURN(store::Statement query, db_.prepare("SELECT code, name FROM access_level ORDER BY position"));
  std::vector<AccessLevelDefinition> out;
  for (;;) {
    XACBE_ASSIGN_OR_RETURN(bool row, query.step());
    if (!row) break;
    out.push_back({query.column_text(0), query.column_text(1)});
  }
  return out;
}

Result<std::vector<AccessLevelDefinition>> AccessLevels::set_levels(const std::string& actor,
                                                                    const std::vector<AccessLevelDefinition>& levels) {
  AuditNote note{kListTarget, "", {}};
  XACBE_RETURN_IF_ERROR(membership_.audit().run_audited(actor, "access-level.set-list", note, [&]() -> Status {
    if (levels.size() > kMaxAccessLevels) {
      return invalid_argument("at most " + std::to_string(kMaxAccessLevels) + " access levels");
    }
    std::set<std::string> codes;
    for (std::size_t i = 0; i < levels.size(); ++i) {
      XACBE_RETURN_IF_ERROR(check_level(levels[i], i));
      if (!codes.insert(levels[i].code).second) {
        return invalid_argument(std::string("levels[") + std::to_string(i) + "].code '" + levels[i].code +
                                "' is listed twice");
      }
    }
    XACBE_ASSIGN_OR_RETURN(store::Transaction tx, store::Transaction::begin(db_));
    // A level that leaves the list must not be assigned to anyone.
    XACBE_ASSIGN_OR_RETURN(store::Statement used,
                           db_.prepare("SELECT level_code, COUNT(*) FROM client_access_level GROUP BY level_code"
                                       " ORDER BY level_code"));
    for (;;) {
      XACBE_ASSIGN_OR_RETURN(bool row, used.step());
      if (!row) break;
      if (!codes.contains(used.column_text(0))) {
        return failed_precondition("access level '" + used.column_text(0) + "' is still assigned to " +
                                   std::to_string(used.column_int64(1)) + " client(s); clear or change those first");
      }
    }
    XACBE_ASSIGN_OR_RETURN(store::Statement remove, db_.prepare("DELETE FROM access_level"));
    XACBE_RETURN_IF_ERROR(remove.run());
    for (std::size_t i = 0; i < levels.size(); ++i) {
      XACBE_ASSIGN_OR_RETURN(store::Statement insert,
                             db_.prepare("INSERT INTO access_level(position, code, name) VALUES(?1,?2,?3)"));
      insert.bind(1, static_cast<std::int64_t>(i)).bind(2, levels[i].code).bind(3, levels[i].name);
      XACBE_RETURN_IF_ERROR(insert.run());
    }
    XACBE_RETURN_IF_ERROR(tx.commit());
    for (const auto& level : levels) {
      if (!note.detail.empty()) note.detail += " < ";
      note.detail += level.code;
    }
    if (note.detail.empty()) note.detail = "(no levels)";
    return Status::ok();
  }));
  return levels;
}

Result<AccessLevelAssignment> AccessLevels::assign(const std::string& actor, const id::ClientId& client,
                                                   const std::string& level) {
  std::optional<AccessLevelAssignment> result;
  AuditNote note{client.to_string(), "", {}};
  XACBE_RETURN_IF_ERROR(membership_.audit().run_audited(actor, "access-level.assign", note, [&]() -> Status {
    XACBE_ASSIGN_OR_RETURN(store::Transaction tx, store::Transaction::begin(db_));
    XACBE_ASSIGN_OR_RETURN(bool listed, is_listed(db_, level));
    if (!listed) return invalid_argument("access level " + shown(level) + " is not in the list");
    XACBE_RETURN_IF_ERROR(check_registered_client(db_, membership_, client, "have an access level"));
    XACBE_ASSIGN_OR_RETURN(std::optional<std::string> before, level_of(db_, client));
    XACBE_ASSIGN_OR_RETURN(store::Statement upsert,
                           db_.prepare("INSERT INTO client_access_level(client_id, level_code, set_at, set_by)"
                                       " VALUES(?1,?2,?3,?4) ON CONFLICT(client_id) DO UPDATE SET"
                                       " level_code=excluded.level_code, set_at=excluded.set_at,"
                                       " set_by=excluded.set_by"));
    const std::int64_t now = to_unix_seconds(clock_.now());
    upsert.bind(1, client.to_string()).bind(2, level).bind(3, now).bind(4, actor);
    XACBE_RETURN_IF_ERROR(upsert.run());
    XACBE_RETURN_IF_ERROR(tx.commit());
    note.detail = before.value_or("(none)") + " -> " + level;
    result = AccessLevelAssignment{client, level, from_unix_seconds(now), actor};
    return Status::ok();
  }));
  return std::move(*result);
}

Status AccessLevels::clear(const std::string& actor, const id::ClientId& client) {
  AuditNote note{client.to_string(), "", {}};
  return membership_.audit().run_audited(actor, "access-level.clear", note, [&]() -> Status {
    XACBE_ASSIGN_OR_RETURN(store::Transaction tx, store::Transaction::begin(db_));
    XACBE_ASSIGN_OR_RETURN(std::optional<std::string> before, level_of(db_, client));
    if (!before) return not_found(client.to_string() + " has no access level of its own");
    XACBE_ASSIGN_OR_RETURN(store::Statement remove, db_.prepare("DELETE FROM client_access_level WHERE client_id=?1"));
    XACBE_RETURN_IF_ERROR(remove.bind(1, client.to_string()).run());
    XACBE_RETURN_IF_ERROR(tx.commit());
    note.detail = "was " + *before;
    return Status::ok();
  });
}

Result<std::vector<AccessLevelAssignment>> AccessLevels::assignments() {
  XACBE_ASSIGN_OR_RETURN(store::Statement query,
                         db_.prepare("SELECT client_id, level_code, set_at, set_by FROM client_access_level"));
  std::vector<AccessLevelAssignment> out;
  for (;;) {
    XACBE_ASSIGN_OR_RETURN(bool row, query.step());
    if (!row) break;
    auto client = id::ClientId::parse(query.column_text(0));
    if (!client) return internal_error("stored access-level client does not parse: " + client.status().message());
    out.push_back({std::move(client).value(), query.column_text(1), from_unix_seconds(query.column_int64(2)),
                   query.column_text(3)});
  }
  std::sort(out.begin(), out.end(),
            [](const AccessLevelAssignment& a, const AccessLevelAssignment& b) { return a.client < b.client; });
  return out;
}

}  // namespace xacbe::registry
