// Notifications, second half: the security incidents members report, and their follow-ups
// (docs/protocol/notifications.md).
#include <map>

#include "notifications_detail.hpp"
#include "notifications.hpp"
#include "xacbe/store/database.hpp"
#include "xacbe/utf8.hpp"

namespace xacbe::registry {
namespace {

using detail::audited;

constexpr std::string_view kSeverityNames[] = {"low", "medium", "high", "critical"};
constexpr std::string_view kIncidentStateNames[] = {"open", "closed"};

// Limit of what a person types (docs/protocol/notifications.md).
constexpr std::size_t kMaxIncidentText = 16 * 1024;

}  // namespace

std::string_view severity_name(IncidentSeverity severity) {
  return kSeverityNames[static_cast<int>(severity)];
}

Result<IncidentSeverity> parse_severity(std::string_view name) {
  for (std::size_t i = 0; i < std::size(kSeverityNames); ++i) {
    if (kSeverityNames[i] == name) return static_cast<IncidentSeverity>(i);
  }
  return invalid_argument("unknown incident severity '" + std::string(name) + "' (low, medium, high, critical)");
}

std::string_view incident_state_name(IncidentState state) {
  return kIncidentStateNames[static_cast<int>(state)];
}

Result<std::int64_t> Notifications::report_incident(const std::string& reporter, const id::MemberId& member,
                                                    IncidentSeverity severity, const std::string& description,
                                                    TimePoint occurred_at) {
  std::int64_t id = 0;
  AuditNote note{member.to_string(), "", {}};
  Status st = audited(membership_.audit(), reporter, "incident.report", note, [&]() -> Status {
    XACBE_RETURN_IF_ERROR(check_text(description, "the description", kMaxIncidentText, true));
    const TimePoint now = clock_.now();
    if (occurred_at > now) return invalid_argument("an incident cannot have occurred in the future");
    XACBE_ASSIGN_OR_RETURN(Member m, membership_.member(member));
    if (m.state == MemberState::kPending || m.state == MemberState::kRejected) {
      return failed_precondition("member " + member.to_string() + " is " + std::string(state_name(m.state)) +
                                 "; incidents are reported by admitted members");
    }
    XACBE_ASSIGN_OR_RETURN(store::Statement insert,
                           db_.prepare("INSERT INTO incident(member_id, reporter, severity, description,"
                                       " occurred_at, reported_at, state) VALUES(?1,?2,?3,?4,?5,?6,'open')"));
    insert.bind(1, member.to_string()).bind(2, reporter).bind(3, severity_name(severity)).bind(4, description);
    insert.bind(5, to_unix_seconds(occurred_at)).bind(6, to_unix_seconds(now));
    XACBE_RETURN_IF_ERROR(insert.run());
    id = db_.last_insert_rowid();
    note.target = "incident:" + std::to_string(id);
    note.detail = member.to_string() + ", " + std::string(severity_name(severity));
    return Status::ok();
  });
  if (!st.is_ok()) return st;
  return id;
}

Status Notifications::add_follow_up(const std::string& actor, std::int64_t incident_id, const std::string& text,
                                    bool close) {
  const std::string what = "incident " + std::to_string(incident_id);
  AuditNote note{"incident:" + std::to_string(incident_id), "", {}};
  return audited(membership_.audit(), actor, close ? "incident.close" : "incident.follow-up", note, [&]() -> Status {
    XACBE_RETURN_IF_ERROR(check_text(text, "the follow-up", kMaxIncidentText, true));
    XACBE_ASSIGN_OR_RETURN(store::Transaction tx, store::Transaction::begin(db_));
    XACBE_ASSIGN_OR_RETURN(store::Statement find, db_.prepare("SELECT state FROM incident WHERE id=?1"));
    find.bind(1, incident_id);
    XACBE_ASSIGN_OR_RETURN(const bool exists, find.step());
    if (!exists) return not_found("no " + what);
    if (find.column_text(0) != incident_state_name(IncidentState::kOpen)) {
      return failed_precondition(what + " is closed; it takes no more follow-ups");
    }
    const std::int64_t now = to_unix_seconds(clock_.now());
    XACBE_ASSIGN_OR_RETURN(store::Statement insert,
                           db_.prepare("INSERT INTO incident_follow_up(incident_id, at, actor, text, closes)"
                                       " VALUES(?1,?2,?3,?4,?5)"));
    insert.bind(1, incident_id).bind(2, now).bind(3, actor).bind(4, text).bind(5, std::int64_t{close ? 1 : 0});
    XACBE_RETURN_IF_ERROR(insert.run());
    if (close) {
      XACBE_ASSIGN_OR_RETURN(store::Statement update,
                             db_.prepare("UPDATE incident SET state='closed', closed_at=?2 WHERE id=?1"));
      XACBE_RETURN_IF_ERROR(update.bind(1, incident_id).bind(2, now).run());
    }
    return tx.commit();
  });
}

Result<std::vector<Incident>> Notifications::list_incidents(const std::optional<id::MemberId>& member) {
  XACBE_ASSIGN_OR_RETURN(store::Statement query,
                         db_.prepare("SELECT id, member_id, reporter, severity, description, occurred_at, reported_at,"
                                     " state, closed_at FROM incident WHERE ?1 IS NULL OR member_id=?1 ORDER BY id"));
  if (member)
    query.bind(1, member->to_string());
  else
    query.bind_null(1);
  std::vector<Incident> out;
  std::map<std::int64_t, std::size_t> index;
  for (;;) {
    XACBE_ASSIGN_OR_RETURN(const bool row, query.step());
    if (!row) break;
    XACBE_ASSIGN_OR_RETURN(id::MemberId who, id::MemberId::parse(query.column_text(1)));
    XACBE_ASSIGN_OR_RETURN(IncidentSeverity severity, parse_severity(query.column_text(3)));
    Incident i{query.column_int64(0),
               std::move(who),
               query.column_text(2),
               severity,
               query.column_text(4),
               from_unix_seconds(query.column_int64(5)),
               from_unix_seconds(query.column_int64(6)),
               query.column_text(7) == incident_state_name(IncidentState::kClosed) ? IncidentState::kClosed
                                                                                   : IncidentState::kOpen,
               std::nullopt,
               {}};
    if (!query.is_null(8)) i.closed_at = from_unix_seconds(query.column_int64(8));
    index[i.id] = out.size();
    out.push_back(std::move(i));
  }
  XACBE_ASSIGN_OR_RETURN(store::Statement follow_ups,
                         db_.prepare("SELECT f.incident_id, f.at, f.actor, f.text, f.closes FROM incident_follow_up f"
                                     " JOIN incident i ON i.id = f.incident_id WHERE ?1 IS NULL OR i.member_id=?1"
                                     " ORDER BY f.incident_id, f.id"));
  if (member)
    follow_ups.bind(1, member->to_string());
  else
    follow_ups.bind_null(1);
  for (;;) {
    XACBE_ASSIGN_OR_RETURN(const bool row, follow_ups.step());
    if (!row) break;
    const auto owner = index.find(follow_ups.column_int64(0));
    if (owner == index.end()) continue;
    out[owner->second].follow_ups.push_back({from_unix_seconds(follow_ups.column_int64(1)), follow_ups.column_text(2),
                                             follow_ups.column_text(3), follow_ups.column_int64(4) != 0});
  }
  return out;
}

}  // namespace xacbe::registry
