#include "member_records.hpp"

#include <algorithm>
#include <optional>

#include "xacbe/store/database.hpp"
#include "xacbe/utf8.hpp"

namespace xacbe::registry {
namespace {

constexpr std::string_view kRoleNames[] = {"responsible", "administrator", "operator", "auditor"};

std::optional<TimePoint> optional_time(const store::Statement& row, int column) {
  if (row.is_null(column)) return std::nullopt;
  return from_unix_seconds(row.column_int64(column));
}
std::string optional_text(const store::Statement& row, int column) {
  return row.is_null(column) ? std::string() : row.column_text(column);
}

Status require_text(const std::string& value, const std::string& field, std::size_t max) {
  return check_text(value, "'" + field + "'", max);
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

constexpr const char* kSubsystemColumns = "id, subsystem_id, added_at, added_by, removed_at, removed_by";
Result<SubsystemRecord> subsystem_from(const store::Statement& row) {
  XACBE_ASSIGN_OR_RETURN(id::SubsystemId subsystem, id::SubsystemId::parse(row.column_text(1)));
  return SubsystemRecord{row.column_int64(0), std::move(subsystem),  from_unix_seconds(row.column_int64(2)),
                         row.column_text(3),  optional_time(row, 4), optional_text(row, 5)};
}

constexpr const char* kUserColumns = "id, member_id, name, email, role, added_at, added_by, revoked_at, revoked_by";
Result<AuthorisedUser> user_from(const store::Statement& row) {
  XACBE_ASSIGN_OR_RETURN(id::MemberId member, id::MemberId::parse(row.column_text(1)));
  XACBE_ASSIGN_OR_RETURN(UserRole role, parse_user_role(row.column_text(4)));
  return AuthorisedUser{row.column_int64(0),
                        std::move(member),
                        row.column_text(2),
                        row.column_text(3),
                        role,
                        from_unix_seconds(row.column_int64(5)),
                        row.column_text(6),
                        optional_time(row, 7),
                        optional_text(row, 8)};
}

constexpr const char* kUsageColumns =
    "id, member_id, client_id, service_id, purpose, declared_at, declared_by, withdrawn_at, withdrawn_by";
Result<ServiceUsage> usage_from(const store::Statement& row) {
  XACBE_ASSIGN_OR_RETURN(id::MemberId member, id::MemberId::parse(row.column_text(1)));
  XACBE_ASSIGN_OR_RETURN(id::SubsystemId client, id::SubsystemId::parse(row.column_text(2)));
  XACBE_ASSIGN_OR_RETURN(id::ServiceId service, id::ServiceId::parse(row.column_text(3)));
  return ServiceUsage{row.column_int64(0), std::move(member),     std::move(client),
                      std::move(service),  row.column_text(4),    from_unix_seconds(row.column_int64(5)),
                      row.column_text(6),  optional_time(row, 7), optional_text(row, 8)};
}

// Every row `query` yields, converted by `from`.
template <typename T, typename From>
Result<std::vector<T>> all_rows(store::Statement& query, From&& from) {
  std::vector<T> out;
  for (;;) {
    XACBE_ASSIGN_OR_RETURN(bool row, query.step());
    if (!row) return out;
    XACBE_ASSIGN_OR_RETURN(T value, from(query));
    out.push_back(std::move(value));
  }
}

// The one row `query` yields, or not_found(`missing`).
template <typename T, typename From>
Result<T> one_row(store::Statement& query, From&& from, const std::string& missing) {
  XACBE_ASSIGN_OR_RETURN(bool row, query.step());
  if (!row) return not_found(missing);
  return from(query);
}

}  // namespace

std::string_view user_role_name(UserRole role) {
  return kRoleNames[static_cast<int>(role)];
}

Result<UserRole> parse_user_role(std::string_view name) {
  for (std::size_t i = 0; i < std::size(kRoleNames); ++i) {
    if (kRoleNames[i] == name) return static_cast<UserRole>(i);
  }
  return invalid_argument("unknown user role '" + std::string(name) +
                          "' (responsible, administrator, operator, auditor)");
}

Result<Member> MemberRecords::existing_member(const id::MemberId& member) {
  return membership_.member(member);
}

Result<Member> MemberRecords::member_in_good_standing(const id::MemberId& member) {
  XACBE_ASSIGN_OR_RETURN(Member m, existing_member(member));
  if (m.state != MemberState::kActive && m.state != MemberState::kTerminating) {
    return failed_precondition("member " + member.to_string() + " is " + std::string(state_name(m.state)) +
                               "; only an active or terminating member can add to its records");
  }
  return m;
}

Result<std::optional<SubsystemRecord>> MemberRecords::current_subsystem(const id::SubsystemId& subsystem) {
  XACBE_ASSIGN_OR_RETURN(store::Statement query,
                         db_.prepare(std::string("SELECT ") + kSubsystemColumns +
                                     " FROM member_subsystem WHERE subsystem_id=?1 AND removed_at IS NULL"));
  query.bind(1, subsystem.to_string());
  XACBE_ASSIGN_OR_RETURN(bool row, query.step());
  if (!row) return std::optional<SubsystemRecord>();
  XACBE_ASSIGN_OR_RETURN(SubsystemRecord record, subsystem_from(query));
  return std::optional<SubsystemRecord>(std::move(record));
}

Result<SubsystemRecord> MemberRecords::add_subsystem(const std::string& actor, const id::SubsystemId& subsystem) {
  return audited<SubsystemRecord>(
      membership_.audit(), actor, "subsystem.add", subsystem.to_string(),
      [&]() -> Result<SubsystemRecord> {
        XACBE_RETURN_IF_ERROR(member_in_good_standing(subsystem.member()).status());
        XACBE_ASSIGN_OR_RETURN(std::optional<SubsystemRecord> current, current_subsystem(subsystem));
        if (current)
          return Status(Code::kAlreadyExists, "subsystem " + subsystem.to_string() + " is already registered");
        XACBE_ASSIGN_OR_RETURN(store::Statement insert,
                               db_.prepare("INSERT INTO member_subsystem(subsystem_id, member_id, added_at, added_by)"
                                           " VALUES(?1,?2,?3,?4)"));
        insert.bind(1, subsystem.to_string()).bind(2, subsystem.member().to_string());
        insert.bind(3, to_unix_seconds(clock_.now())).bind(4, actor);
        XACBE_RETURN_IF_ERROR(insert.run());
        XACBE_ASSIGN_OR_RETURN(current, current_subsystem(subsystem));
        if (!current) return internal_error("subsystem " + subsystem.to_string() + " vanished after it was added");
        return std::move(*current);
      },
      [](const SubsystemRecord&) { return std::string(); });
}

Result<SubsystemRecord> MemberRecords::remove_subsystem(const std::string& actor, const id::SubsystemId& subsystem) {
  return audited<SubsystemRecord>(
      membership_.audit(), actor, "subsystem.remove", subsystem.to_string(),
      [&]() -> Result<SubsystemRecord> {
        XACBE_RETURN_IF_ERROR(existing_member(subsystem.member()).status());
        XACBE_ASSIGN_OR_RETURN(store::Transaction tx, store::Transaction::begin(db_));
        XACBE_ASSIGN_OR_RETURN(std::optional<SubsystemRecord> current, current_subsystem(subsystem));
        if (!current) return not_found("no current subsystem " + subsystem.to_string());
        XACBE_ASSIGN_OR_RETURN(store::Statement in_use,
                               db_.prepare("SELECT count(*) FROM service_usage WHERE client_id=?1"
                                           " AND withdrawn_at IS NULL"));
        in_use.bind(1, subsystem.to_string());
        XACBE_ASSIGN_OR_RETURN(bool counted, in_use.step());
        if (counted && in_use.column_int64(0) > 0) {
          return failed_precondition("subsystem " + subsystem.to_string() + " still declares " +
                                     std::to_string(in_use.column_int64(0)) +
                                     " service usage(s); withdraw them before removing it");
        }
        const std::int64_t now = to_unix_seconds(clock_.now());
        XACBE_ASSIGN_OR_RETURN(store::Statement update,
                               db_.prepare("UPDATE member_subsystem SET removed_at=?2, removed_by=?3 WHERE id=?1"));
        XACBE_RETURN_IF_ERROR(update.bind(1, current->id).bind(2, now).bind(3, actor).run());
        XACBE_RETURN_IF_ERROR(tx.commit());
        current->removed_at = from_unix_seconds(now);
        current->removed_by = actor;
        return std::move(*current);
      },
      [](const SubsystemRecord&) { return std::string(); });
}

Result<std::vector<SubsystemRecord>> MemberRecords::subsystems(const id::MemberId& member) {
  XACBE_RETURN_IF_ERROR(existing_member(member).status());
  XACBE_ASSIGN_OR_RETURN(store::Statement query, db_.prepare(std::string("SELECT ") + kSubsystemColumns +
                                                             " FROM member_subsystem WHERE member_id=?1 ORDER BY id"));
  query.bind(1, member.to_string());
  return all_rows<SubsystemRecord>(query, subsystem_from);
}

Result<std::vector<id::SubsystemId>> MemberRecords::current_subsystems() {
  XACBE_ASSIGN_OR_RETURN(store::Statement query,
                         db_.prepare("SELECT subsystem_id FROM member_subsystem WHERE removed_at IS NULL"));
  XACBE_ASSIGN_OR_RETURN(std::vector<id::SubsystemId> out,
                         all_rows<id::SubsystemId>(query, [](const store::Statement& row) {
                           return id::SubsystemId::parse(row.column_text(0));
                         }));
  std::sort(out.begin(), out.end());
  return out;
}

Result<AuthorisedUser> MemberRecords::add_user(const std::string& actor, const id::MemberId& member,
                                               const NewUser& user) {
  return audited<AuthorisedUser>(
      membership_.audit(), actor, "user.add", member.to_string(),
      [&]() -> Result<AuthorisedUser> {
        XACBE_RETURN_IF_ERROR(require_text(user.name, "name", 256));
        XACBE_RETURN_IF_ERROR(check_email(user.email, "'email'"));
        XACBE_RETURN_IF_ERROR(member_in_good_standing(member).status());
        XACBE_ASSIGN_OR_RETURN(store::Transaction tx, store::Transaction::begin(db_));
        XACBE_ASSIGN_OR_RETURN(store::Statement same,
                               db_.prepare("SELECT id FROM member_user WHERE member_id=?1 AND email=?2 COLLATE NOCASE"
                                           " AND role=?3 AND revoked_at IS NULL"));
        same.bind(1, member.to_string()).bind(2, user.email).bind(3, user_role_name(user.role));
        XACBE_ASSIGN_OR_RETURN(bool exists, same.step());
        if (exists) {
          return Status(Code::kAlreadyExists, user.email + " is already an authorised " +
                                                  std::string(user_role_name(user.role)) + " of " + member.to_string() +
                                                  " (user " + same.column_text(0) + ")");
        }
        XACBE_ASSIGN_OR_RETURN(store::Statement insert,
                               db_.prepare("INSERT INTO member_user(member_id, name, email, role, added_at, added_by)"
                                           " VALUES(?1,?2,?3,?4,?5,?6)"));
        insert.bind(1, member.to_string()).bind(2, user.name).bind(3, user.email).bind(4, user_role_name(user.role));
        insert.bind(5, to_unix_seconds(clock_.now())).bind(6, actor);
        XACBE_RETURN_IF_ERROR(insert.run());
        const std::int64_t id = db_.last_insert_rowid();
        XACBE_RETURN_IF_ERROR(tx.commit());
        XACBE_ASSIGN_OR_RETURN(store::Statement query,
                               db_.prepare(std::string("SELECT ") + kUserColumns + " FROM member_user WHERE id=?1"));
        query.bind(1, id);
        return one_row<AuthorisedUser>(query, user_from, "user " + std::to_string(id) + " vanished after it was added");
      },
      [](const AuthorisedUser& u) {
        return "user:" + std::to_string(u.id) + " " + std::string(user_role_name(u.role)) + " " + u.email;
      });
}

Result<AuthorisedUser> MemberRecords::revoke_user(const std::string& actor, const id::MemberId& member,
                                                  std::int64_t user_id) {
  return audited<AuthorisedUser>(
      membership_.audit(), actor, "user.revoke", member.to_string() + " user:" + std::to_string(user_id),
      [&]() -> Result<AuthorisedUser> {
        XACBE_RETURN_IF_ERROR(existing_member(member).status());
        XACBE_ASSIGN_OR_RETURN(store::Transaction tx, store::Transaction::begin(db_));
        XACBE_ASSIGN_OR_RETURN(store::Statement query, db_.prepare(std::string("SELECT ") + kUserColumns +
                                                                   " FROM member_user WHERE id=?1 AND member_id=?2"));
        query.bind(1, user_id).bind(2, member.to_string());
        XACBE_ASSIGN_OR_RETURN(AuthorisedUser user, one_row<AuthorisedUser>(query, user_from,
                                                                            "no user " + std::to_string(user_id) +
                                                                                " of " + member.to_string()));
        if (user.revoked_at) {
          return failed_precondition("user " + std::to_string(user_id) + " was already revoked at " +
                                     to_iso8601_utc(*user.revoked_at));
        }
        const std::int64_t now = to_unix_seconds(clock_.now());
        XACBE_ASSIGN_OR_RETURN(store::Statement update,
                               db_.prepare("UPDATE member_user SET revoked_at=?2, revoked_by=?3 WHERE id=?1"));
        XACBE_RETURN_IF_ERROR(update.bind(1, user_id).bind(2, now).bind(3, actor).run());
        XACBE_RETURN_IF_ERROR(tx.commit());
        user.revoked_at = from_unix_seconds(now);
        user.revoked_by = actor;
        return user;
      },
      [](const AuthorisedUser&) { return std::string(); });
}

Result<std::vector<AuthorisedUser>> MemberRecords::users(const id::MemberId& member) {
  XACBE_RETURN_IF_ERROR(existing_member(member).status());
  XACBE_ASSIGN_OR_RETURN(store::Statement query, db_.prepare(std::string("SELECT ") + kUserColumns +
                                                             " FROM member_user WHERE member_id=?1 ORDER BY id"));
  query.bind(1, member.to_string());
  return all_rows<AuthorisedUser>(query, user_from);
}

Result<ServiceUsage> MemberRecords::declare_usage(const std::string& actor, const id::MemberId& member,
                                                  const NewServiceUsage& usage) {
  return audited<ServiceUsage>(
      membership_.audit(), actor, "service-usage.declare",
      usage.client.to_string() + " uses " + usage.service.to_string(),
      [&]() -> Result<ServiceUsage> {
        XACBE_RETURN_IF_ERROR(require_text(usage.purpose, "purpose", 4000));
        if (usage.client.member() != member) {
          return invalid_argument("subsystem " + usage.client.to_string() + " is not a subsystem of " +
                                  member.to_string());
        }
        if (usage.service.subsystem() == usage.client) {
          return invalid_argument("subsystem " + usage.client.to_string() +
                                  " cannot declare the use of its own service");
        }
        XACBE_RETURN_IF_ERROR(member_in_good_standing(member).status());
        XACBE_ASSIGN_OR_RETURN(store::Transaction tx, store::Transaction::begin(db_));
        XACBE_ASSIGN_OR_RETURN(std::optional<SubsystemRecord> client, current_subsystem(usage.client));
        if (!client) return not_found("no current subsystem " + usage.client.to_string());
        const id::SubsystemId& provider = usage.service.subsystem();
        XACBE_ASSIGN_OR_RETURN(std::optional<SubsystemRecord> offered_by, current_subsystem(provider));
        if (!offered_by) return not_found("the service's subsystem " + provider.to_string() + " is not registered");
        XACBE_ASSIGN_OR_RETURN(Member owner, existing_member(provider.member()));
        if (owner.state != MemberState::kActive) {
          return failed_precondition("the service's member " + owner.id.to_string() + " is " +
                                     std::string(state_name(owner.state)) + ", not active");
        }
        XACBE_ASSIGN_OR_RETURN(store::Statement same,
                               db_.prepare("SELECT id FROM service_usage WHERE client_id=?1 AND service_id=?2"
                                           " AND withdrawn_at IS NULL"));
        same.bind(1, usage.client.to_string()).bind(2, usage.service.to_string());
        XACBE_ASSIGN_OR_RETURN(bool exists, same.step());
        if (exists) {
          return Status(Code::kAlreadyExists, usage.client.to_string() + " already declares the use of " +
                                                  usage.service.to_string() + " (usage " + same.column_text(0) + ")");
        }
        XACBE_ASSIGN_OR_RETURN(store::Statement insert,
                               db_.prepare("INSERT INTO service_usage(member_id, client_id, service_id, purpose,"
                                           " declared_at, declared_by) VALUES(?1,?2,?3,?4,?5,?6)"));
        insert.bind(1, member.to_string()).bind(2, usage.client.to_string()).bind(3, usage.service.to_string());
        insert.bind(4, usage.purpose).bind(5, to_unix_seconds(clock_.now())).bind(6, actor);
        XACBE_RETURN_IF_ERROR(insert.run());
        const std::int64_t id = db_.last_insert_rowid();
        XACBE_RETURN_IF_ERROR(tx.commit());
        XACBE_ASSIGN_OR_RETURN(store::Statement query,
                               db_.prepare(std::string("SELECT ") + kUsageColumns + " FROM service_usage WHERE id=?1"));
        query.bind(1, id);
        return one_row<ServiceUsage>(query, usage_from,
                                     "usage " + std::to_string(id) + " vanished after it was declared");
      },
      [](const ServiceUsage& u) { return "usage:" + std::to_string(u.id); });
}

Result<ServiceUsage> MemberRecords::withdraw_usage(const std::string& actor, const id::MemberId& member,
                                                   std::int64_t usage_id) {
  return audited<ServiceUsage>(
      membership_.audit(), actor, "service-usage.withdraw", member.to_string() + " usage:" + std::to_string(usage_id),
      [&]() -> Result<ServiceUsage> {
        XACBE_RETURN_IF_ERROR(existing_member(member).status());
        XACBE_ASSIGN_OR_RETURN(store::Transaction tx, store::Transaction::begin(db_));
        XACBE_ASSIGN_OR_RETURN(store::Statement query, db_.prepare(std::string("SELECT ") + kUsageColumns +
                                                                   " FROM service_usage WHERE id=?1 AND member_id=?2"));
        query.bind(1, usage_id).bind(2, member.to_string());
        XACBE_ASSIGN_OR_RETURN(
            ServiceUsage usage,
            one_row<ServiceUsage>(query, usage_from,
                                  "no service usage " + std::to_string(usage_id) + " of " + member.to_string()));
        if (usage.withdrawn_at) {
          return failed_precondition("service usage " + std::to_string(usage_id) + " was already withdrawn at " +
                                     to_iso8601_utc(*usage.withdrawn_at));
        }
        const std::int64_t now = to_unix_seconds(clock_.now());
        XACBE_ASSIGN_OR_RETURN(store::Statement update,
                               db_.prepare("UPDATE service_usage SET withdrawn_at=?2, withdrawn_by=?3 WHERE id=?1"));
        XACBE_RETURN_IF_ERROR(update.bind(1, usage_id).bind(2, now).bind(3, actor).run());
        XACBE_RETURN_IF_ERROR(tx.commit());
        usage.withdrawn_at = from_unix_seconds(now);
        usage.withdrawn_by = actor;
        return usage;
      },
      [](const ServiceUsage&) { return std::string(); });
}

Result<std::vector<ServiceUsage>> MemberRecords::usages(const id::MemberId& member) {
  XACBE_RETURN_IF_ERROR(existing_member(member).status());
  XACBE_ASSIGN_OR_RETURN(store::Statement query, db_.prepare(std::string("SELECT ") + kUsageColumns +
                                                             " FROM service_usage WHERE member_id=?1 ORDER BY id"));
  query.bind(1, member.to_string());
  return all_rows<ServiceUsage>(query, usage_from);
}

}  // namespace xacbe::registry
