#include "global_groups.hpp"

#include <algorithm>
#include <optional>

#include "xacbe/store/database.hpp"
#include "xacbe/utf8.hpp"

namespace xacbe::registry {
namespace {

constexpr std::size_t kMaxDescription = 1024;

Status check_code(const std::string& code) {
  if (is_global_group_code(code)) return Status::ok();
  return invalid_argument("invalid global group code '" + code +
                          "': expected 1..64 of [A-Za-z0-9._-], not starting with '.' or '-'");
}

// Runs `op` and its audit entry (`detail` of a success from `describe`) as one transaction
// (AuditTrail::run_audited): both commit or neither does, and a refusal is recorded on its own.
template <typename T, typename Op, typename Describe>
Result<T> audited(AuditTrail& audit, const std::string& actor, const std::string& action, const std::string& target,
                  Op&& op, Describe&& describe) {
  std::optional<T> value;
  AuditNote note{target, "", {}};
  XACBE_RETURN_IF_ERROR(audit.run_audited(actor, action, note, [&]() -> Status {
    Result<T> outcome = op();
    if (!outcome.is_ok()) return outcome.status();
    note.detail = describe(*outcome);
    value = std::move(outcome).value();
    return Status::ok();
  }));
  return std::move(*value);
}

// The group's row (without members), or not_found.
Result<GlobalGroupRecord> group_row(store::Database& db, const std::string& code) {
  XACBE_ASSIGN_OR_RETURN(
      store::Statement query,
      db.prepare("SELECT code, description, created_at, created_by FROM global_group WHERE code=?1"));
  query.bind(1, code);
  XACBE_ASSIGN_OR_RETURN(bool row, query.step());
  if (!row) return not_found("no global group '" + code + "'");
  return GlobalGroupRecord{
      query.column_text(0), query.column_text(1), from_unix_seconds(query.column_int64(2)), query.column_text(3), {}};
}

Status load_members(store::Database& db, GlobalGroupRecord& group) {
  XACBE_ASSIGN_OR_RETURN(
      store::Statement query,
      db.prepare("SELECT client_id, added_at, added_by FROM global_group_member WHERE group_code=?1"));
  query.bind(1, group.code);
  group.members.clear();
  for (;;) {
    XACBE_ASSIGN_OR_RETURN(bool row, query.step());
    if (!row) break;
    XACBE_ASSIGN_OR_RETURN(id::ClientId client, id::ClientId::parse(query.column_text(0)));
    group.members.push_back({std::move(client), from_unix_seconds(query.column_int64(1)), query.column_text(2)});
  }
  std::sort(group.members.begin(), group.members.end(),
            [](const GlobalGroupMember& a, const GlobalGroupMember& b) { return a.client < b.client; });
  return Status::ok();
}

}  // namespace

bool is_global_group_code(std::string_view code) {
  return !code.empty() && code.size() <= 64 && code.front() != '.' && code.front() != '-' &&
         code.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") ==
             std::string_view::npos;
}

Result<GlobalGroupRecord> GlobalGroups::group(const std::string& code) {
  XACBE_RETURN_IF_ERROR(check_code(code));
  XACBE_ASSIGN_OR_RETURN(GlobalGroupRecord group, group_row(db_, code));
  XACBE_RETURN_IF_ERROR(load_members(db_, group));
  return group;
}

Result<std::vector<GlobalGroupRecord>> GlobalGroups::list() {
  XACBE_ASSIGN_OR_RETURN(
      store::Statement query,
      db_.prepare("SELECT code, description, created_at, created_by FROM global_group ORDER BY code"));
  std::vector<GlobalGroupRecord> out;
  for (;;) {
    XACBE_ASSIGN_OR_RETURN(bool row, query.step());
    if (!row) break;
    out.push_back(
        {query.column_text(0), query.column_text(1), from_unix_seconds(query.column_int64(2)), query.column_text(3), {}});
  }
  for (auto& group : out) XACBE_RETURN_IF_ERROR(load_members(db_, group));
  return out;
}

Result<GlobalGroupRecord> GlobalGroups::create(const std::string& actor, const std::string& code,
                                               const std::string& description) {
  return audited<GlobalGroupRecord>(
      membership_.audit(), actor, "global-group.create", code,
      [&]() -> Result<GlobalGroupRecord> {
        XACBE_RETURN_IF_ERROR(check_code(code));
        if (description.empty()) return invalid_argument("'description' is required");
        if (description.size() > kMaxDescription)
          return invalid_argument("'description' is longer than " + std::to_string(kMaxDescription) + " bytes");
        if (has_control_characters(description)) return invalid_argument("'description' has control characters");
        XACBE_ASSIGN_OR_RETURN(store::Transaction tx, store::Transaction::begin(db_));
        if (group_row(db_, code).is_ok())
          return Status(Code::kAlreadyExists, "global group '" + code + "' already exists");
        XACBE_ASSIGN_OR_RETURN(store::Statement insert,
                               db_.prepare("INSERT INTO global_group(code, description, created_at, created_by)"
                                           " VALUES(?1,?2,?3,?4)"));
        const std::int64_t now = to_unix_seconds(clock_.now());
        insert.bind(1, code).bind(2, description).bind(3, now).bind(4, actor);
        XACBE_RETURN_IF_ERROR(insert.run());
        XACBE_RETURN_IF_ERROR(tx.commit());
        return GlobalGroupRecord{code, description, from_unix_seconds(now), actor, {}};
      },
      [](const GlobalGroupRecord& g) { return g.description; });
}

Status GlobalGroups::delete_group(const std::string& actor, const std::string& code) {
  return audited<std::size_t>(
             membership_.audit(), actor, "global-group.delete", code,
             [&]() -> Result<std::size_t> {
               XACBE_RETURN_IF_ERROR(check_code(code));
               XACBE_ASSIGN_OR_RETURN(store::Transaction tx, store::Transaction::begin(db_));
               XACBE_ASSIGN_OR_RETURN(GlobalGroupRecord group, group_row(db_, code));
               XACBE_RETURN_IF_ERROR(load_members(db_, group));
               XACBE_ASSIGN_OR_RETURN(store::Statement members,
                                      db_.prepare("DELETE FROM global_group_member WHERE group_code=?1"));
               XACBE_RETURN_IF_ERROR(members.bind(1, code).run());
               XACBE_ASSIGN_OR_RETURN(store::Statement row, db_.prepare("DELETE FROM global_group WHERE code=?1"));
               XACBE_RETURN_IF_ERROR(row.bind(1, code).run());
               XACBE_RETURN_IF_ERROR(tx.commit());
               return group.members.size();
             },
             [](std::size_t n) { return "had " + std::to_string(n) + " member(s)"; })
      .status();
}

Status check_registered_client(store::Database& db, Membership& membership, const id::ClientId& client,
                               std::string_view purpose) {
  XACBE_ASSIGN_OR_RETURN(Member member, membership.member(client.member()));
  if (const auto sub = client.subsystem()) {
    XACBE_ASSIGN_OR_RETURN(store::Statement query,
                           db.prepare("SELECT 1 FROM member_subsystem WHERE subsystem_id=?1 AND removed_at IS NULL"));
    query.bind(1, sub->to_string());
    XACBE_ASSIGN_OR_RETURN(bool row, query.step());
    if (!row) return not_found("no current subsystem " + sub->to_string());
    return Status::ok();
  }
  switch (member.state) {
    case MemberState::kActive:
    case MemberState::kSuspended:
    case MemberState::kTerminating:
      return Status::ok();
    case MemberState::kPending:
    case MemberState::kRejected:
    case MemberState::kTerminated:
      break;
  }
  std::string message = "member " + client.member().to_string() + " is " + std::string(state_name(member.state)) +
                        "; only an admitted member (active, suspended or terminating) can ";
  message.append(purpose);
  return failed_precondition(message);
}

Status GlobalGroups::check_client(const id::ClientId& client) {
  return check_registered_client(db_, membership_, client, "join a global group");
}

Result<GlobalGroupRecord> GlobalGroups::add_member(const std::string& actor, const std::string& code,
                                                   const id::ClientId& client) {
  return audited<GlobalGroupRecord>(
      membership_.audit(), actor, "global-group.add-member", code,
      [&]() -> Result<GlobalGroupRecord> {
        XACBE_RETURN_IF_ERROR(check_code(code));
        XACBE_ASSIGN_OR_RETURN(store::Transaction tx, store::Transaction::begin(db_));
        XACBE_ASSIGN_OR_RETURN(GlobalGroupRecord group, group_row(db_, code));
        XACBE_RETURN_IF_ERROR(check_client(client));
        XACBE_ASSIGN_OR_RETURN(store::Statement present,
                               db_.prepare("SELECT 1 FROM global_group_member WHERE group_code=?1 AND client_id=?2"));
        present.bind(1, code).bind(2, client.to_string());
        XACBE_ASSIGN_OR_RETURN(bool listed, present.step());
        if (listed)
          return Status(Code::kAlreadyExists, client.to_string() + " is already in global group '" + code + "'");
        XACBE_ASSIGN_OR_RETURN(store::Statement insert,
                               db_.prepare("INSERT INTO global_group_member(group_code, client_id, added_at, added_by)"
                                           " VALUES(?1,?2,?3,?4)"));
        insert.bind(1, code).bind(2, client.to_string()).bind(3, to_unix_seconds(clock_.now())).bind(4, actor);
        XACBE_RETURN_IF_ERROR(insert.run());
        XACBE_RETURN_IF_ERROR(tx.commit());
        XACBE_RETURN_IF_ERROR(load_members(db_, group));
        return group;
      },
      [&](const GlobalGroupRecord&) { return client.to_string(); });
}

Result<GlobalGroupRecord> GlobalGroups::remove_member(const std::string& actor, const std::string& code,
                                                      const id::ClientId& client) {
  return audited<GlobalGroupRecord>(
      membership_.audit(), actor, "global-group.remove-member", code,
      [&]() -> Result<GlobalGroupRecord> {
        XACBE_RETURN_IF_ERROR(check_code(code));
        XACBE_ASSIGN_OR_RETURN(store::Transaction tx, store::Transaction::begin(db_));
        XACBE_ASSIGN_OR_RETURN(GlobalGroupRecord group, group_row(db_, code));
        XACBE_ASSIGN_OR_RETURN(store::Statement remove,
                               db_.prepare("DELETE FROM global_group_member WHERE group_code=?1 AND client_id=?2"));
        XACBE_RETURN_IF_ERROR(remove.bind(1, code).bind(2, client.to_string()).run());
        if (db_.changes() == 0) return not_found(client.to_string() + " is not in global group '" + code + "'");
        XACBE_RETURN_IF_ERROR(tx.commit());
        XACBE_RETURN_IF_ERROR(load_members(db_, group));
        return group;
      },
      [&](const GlobalGroupRecord&) { return client.to_string(); });
}

}  // namespace xacbe::registry
