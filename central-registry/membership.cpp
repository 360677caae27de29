#include "membership.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "mail/smtp.hpp"
#include "xacbe/ca/certificate_authority.hpp"
#include "xacbe/calendar/notice_rule.hpp"
#include "xacbe/globalconf/global_configuration.hpp"
#include "xacbe/store/database.hpp"
#include "xacbe/utf8.hpp"

namespace xacbe::registry {
namespace {

using calendar::Date;
using Json = nlohmann::json;

constexpr std::string_view kStateNames[] = {"pending", "active", "suspended", "terminating", "terminated", "rejected"};
constexpr std::string_view kReasonNames[] = {"no-right-of-representation", "information-missing-or-outdated",
                                             "requirements-not-met"};

Status require_text(const std::string& value, const std::string& field) {
  return check_text(value, "application: '" + field + "'", 4000);
}

Status require_person(const Person& p, const std::string& field, bool phone_required) {
  XACBE_RETURN_IF_ERROR(require_text(p.name, field + ".name"));
  XACBE_RETURN_IF_ERROR(check_email(p.email, "application: '" + field + ".email'"));
  if (phone_required || !p.phone.empty()) XACBE_RETURN_IF_ERROR(require_text(p.phone, field + ".phone"));
  return Status::ok();
}

Json person_json(const Person& p) { return {{"name", p.name}, {"email", p.email}, {"phone", p.phone}}; }
Person person_from(const Json& j) {
  return {j.at("name").get<std::string>(), j.at("email").get<std::string>(), j.at("phone").get<std::string>()};
}

Json application_json(const Application& a) {
  return {{"member", a.member.to_string()},
          {"member_name", a.member_name},
          {"agreement_reference", a.agreement_reference},
          {"responsible", person_json(a.responsible)},
          {"administrator", person_json(a.administrator)},
          {"liaison", person_json(a.liaison)},
          {"security",
           {{"integrity", a.security.integrity},
            {"traceability", a.security.traceability},
            {"confidentiality", a.security.confidentiality},
            {"availability", a.security.availability}}}};
}

Result<Application> application_from(const std::string& text) {
  try {
    const Json j = Json::parse(text);
    XACBE_ASSIGN_OR_RETURN(id::MemberId member, id::MemberId::parse(j.at("member").get<std::string>()));
    Application a{member, j.at("member_name"), j.at("agreement_reference"), person_from(j.at("responsible")),
                  person_from(j.at("administrator")), person_from(j.at("liaison")), {}};
    const Json& s = j.at("security");
    a.security = {s.at("integrity"), s.at("traceability"), s.at("confidentiality"), s.at("availability")};
    return a;
  } catch (const Json::exception& e) {
    return Status(Code::kCorrupt, std::string("stored application is corrupt: ") + e.what());
  }
}

// Runs `op` and its audit entry as one transaction (AuditTrail::run_audited): both commit or
// neither does, and a refusal is recorded on its own. Successful entries have an empty detail.
template <typename Op>
Status audited(AuditTrail& audit, const std::string& actor, const std::string& action, const std::string& target,
               Op&& op) {
  AuditNote note{target, "", {}};
  return audit.run_audited(actor, action, note, std::forward<Op>(op));
}

// The termination a member has pending (kept through suspension), if any.
std::optional<Membership::Termination> pending_termination(const Member& m) {
  if (!m.termination_effective) return std::nullopt;
  return Membership::Termination{*m.termination_effective, m.termination_basis};
}

// A suspended member stays suspended until its termination takes effect.
MemberState terminating_state(const Member& m) {
  return m.state == MemberState::kSuspended ? MemberState::kSuspended : MemberState::kTerminating;
}

}  // namespace

std::string_view state_name(MemberState state) { return kStateNames[static_cast<int>(state)]; }

Result<MemberState> parse_state(std::string_view name) {
  for (std::size_t i = 0; i < std::size(kStateNames); ++i) {
    if (kStateNames[i] == name) return static_cast<MemberState>(i);
  }
  return invalid_argument("unknown member state '" + std::string(name) + "'");
}

std::string_view rejection_reason_name(RejectionReason reason) { return kReasonNames[static_cast<int>(reason)]; }

Result<RejectionReason> parse_rejection_reason(std::string_view name) {
  for (std::size_t i = 0; i < std::size(kReasonNames); ++i) {
    if (kReasonNames[i] == name) return static_cast<RejectionReason>(i);
  }
  return invalid_argument("unknown rejection reason '" + std::string(name) +
                          "' (no-right-of-representation, information-missing-or-outdated, requirements-not-met)");
}

Status check_email(std::string_view address, std::string_view field) {
  if (Status st = mail::check_address(address); !st) {
    std::string message(field);
    message.append(" cannot receive mail: ").append(st.message());
    return invalid_argument(message);
  }
  return Status::ok();
}

Status validate(const Application& a) {
  // The name is published in the global configuration: the configuration's own rule.
  if (Status st = globalconf::check_display_name(a.member_name); !st.is_ok()) {
    return invalid_argument("application: 'member_name' " + st.message());
  }
  XACBE_RETURN_IF_ERROR(require_text(a.agreement_reference, "agreement_reference"));
  XACBE_RETURN_IF_ERROR(require_person(a.responsible, "responsible", true));
  XACBE_RETURN_IF_ERROR(require_person(a.administrator, "administrator", true));
  XACBE_RETURN_IF_ERROR(require_person(a.liaison, "liaison", false));
  XACBE_RETURN_IF_ERROR(require_text(a.security.integrity, "security.integrity"));
  XACBE_RETURN_IF_ERROR(require_text(a.security.traceability, "security.traceability"));
  XACBE_RETURN_IF_ERROR(require_text(a.security.confidentiality, "security.confidentiality"));
  XACBE_RETURN_IF_ERROR(require_text(a.security.availability, "security.availability"));
  return Status::ok();
}

Membership::Membership(store::Database& db, const Clock& clock, const calendar::BusinessCalendar& calendar,
                       std::string instance, ca::CertificateAuthority* ca)
    : db_(db), clock_(clock), calendar_(calendar), instance_(std::move(instance)), ca_(ca), audit_(db, clock) {}

Status Membership::check_instance(const id::MemberId& member) const {
  if (member.instance() != instance_) {
    return invalid_argument("member " + member.to_string() + " belongs to instance " + member.instance() +
                            "; this registry serves " + instance_);
  }
  return Status::ok();
}

Result<std::int64_t> Membership::apply(const std::string& actor, const Application& application) {
  std::int64_t id = 0;
  Status st = audited(audit_, actor, "member.apply", application.member.to_string(), [&]() -> Status {
    XACBE_RETURN_IF_ERROR(check_instance(application.member));
    XACBE_RETURN_IF_ERROR(validate(application));
    XACBE_ASSIGN_OR_RETURN(store::Transaction tx, store::Transaction::begin(db_));
    XACBE_ASSIGN_OR_RETURN(store::Statement find, db_.prepare("SELECT state FROM member WHERE id=?1"));
    find.bind(1, application.member.to_string());
    XACBE_ASSIGN_OR_RETURN(bool exists, find.step());
    std::optional<std::string> from;
    if (exists) {
      from = find.column_text(0);
      if (*from != "rejected" && *from != "terminated") {
        return Status(Code::kAlreadyExists, "member " + application.member.to_string() + " is " + *from +
                                                "; a new application needs a rejected or terminated member");
      }
    }
    const std::int64_t now = to_unix_seconds(clock_.now());
    XACBE_ASSIGN_OR_RETURN(store::Statement upsert,
                           db_.prepare("INSERT INTO member(id, name, state, liaison_name, liaison_email, state_since)"
                                       " VALUES(?1,?2,'pending',?3,?4,?5) ON CONFLICT(id) DO UPDATE SET"
                                       " name=?2, state='pending', liaison_name=?3, liaison_email=?4, state_since=?5,"
                                       " termination_effective=NULL, termination_basis=NULL"));
    upsert.bind(1, application.member.to_string()).bind(2, application.member_name);
    upsert.bind(3, application.liaison.name).bind(4, application.liaison.email).bind(5, now);
    XACBE_RETURN_IF_ERROR(upsert.run());
    XACBE_ASSIGN_OR_RETURN(store::Statement insert,
                           db_.prepare("INSERT INTO application(member_id, submitted_at, submitted_by, content)"
                                       " VALUES(?1,?2,?3,?4)"));
    insert.bind(1, application.member.to_string()).bind(2, now).bind(3, actor);
    insert.bind(4, application_json(application).dump());
    XACBE_RETURN_IF_ERROR(insert.run());
    id = db_.last_insert_rowid();
    XACBE_ASSIGN_OR_RETURN(store::Statement event,
                           db_.prepare("INSERT INTO member_event(member_id, at, actor, from_state, to_state, reason)"
                                       " VALUES(?1,?2,?3,?4,'pending',?5)"));
    event.bind(1, application.member.to_string()).bind(2, now).bind(3, actor);
    if (from) event.bind(4, *from); else event.bind_null(4);
    event.bind(5, "application " + std::to_string(id));
    XACBE_RETURN_IF_ERROR(event.run());
    return tx.commit();
  });
  if (!st.is_ok()) return st;
  return id;
}

Status Membership::admit(const std::string& actor, std::int64_t application_id) {
  std::optional<id::MemberId> admitted;
  const std::string target = "application:" + std::to_string(application_id);
  XACBE_RETURN_IF_ERROR(audited(audit_, actor, "member.admit", target, [&]() -> Status {
    XACBE_ASSIGN_OR_RETURN(ApplicationRecord record, application(application_id));
    if (record.decision) {
      return failed_precondition("application " + std::to_string(application_id) + " was already " + *record.decision);
    }
    // The decision and the state change commit together.
    auto decide = [&]() -> Status {
      XACBE_ASSIGN_OR_RETURN(store::Statement update,
                             db_.prepare("UPDATE application SET decision='admitted', decided_at=?2, decided_by=?3"
                                         " WHERE id=?1 AND decision IS NULL"));
      return update.bind(1, application_id).bind(2, to_unix_seconds(clock_.now())).bind(3, actor).run();
    };
    admitted = record.application.member;
    return transition(actor, record.application.member, {MemberState::kPending}, MemberState::kActive,
                      "application " + std::to_string(application_id) + " admitted", std::nullopt, decide);
  }));
  return follow_committed_state(actor, *admitted, MemberState::kActive);
}

Status Membership::reject(const std::string& actor, std::int64_t application_id, RejectionReason reason,
                          const std::string& comment) {
  return audited(audit_, actor, "member.reject", "application:" + std::to_string(application_id), [&]() -> Status {
    XACBE_ASSIGN_OR_RETURN(ApplicationRecord record, application(application_id));
    if (record.decision) {
      return failed_precondition("application " + std::to_string(application_id) + " was already " + *record.decision);
    }
    if (has_control_characters(comment)) return invalid_argument("comment has control characters");
    auto decide = [&]() -> Status {
      XACBE_ASSIGN_OR_RETURN(store::Statement update,
                             db_.prepare("UPDATE application SET decision='rejected', decided_at=?2, decided_by=?3,"
                                         " rejection_reason=?4, comment=?5 WHERE id=?1 AND decision IS NULL"));
      update.bind(1, application_id).bind(2, to_unix_seconds(clock_.now())).bind(3, actor);
      return update.bind(4, rejection_reason_name(reason)).bind(5, comment).run();
    };
    return transition(actor, record.application.member, {MemberState::kPending}, MemberState::kRejected,
                      std::string(rejection_reason_name(reason)) + (comment.empty() ? "" : ": " + comment),
                      std::nullopt, decide);
  });
}

Status Membership::suspend(const std::string& actor, const id::MemberId& member, const std::string& reason) {
  XACBE_RETURN_IF_ERROR(audited(audit_, actor, "member.suspend", member.to_string(), [&]() -> Status {
    if (reason.empty() || has_control_characters(reason)) return invalid_argument("a suspension needs a reason");
    XACBE_RETURN_IF_ERROR(check_instance(member));
    XACBE_ASSIGN_OR_RETURN(Member current, this->member(member));
    return transition(actor, member, {MemberState::kActive, MemberState::kTerminating}, MemberState::kSuspended,
                      reason, pending_termination(current));
  }));
  return follow_committed_state(actor, member, MemberState::kSuspended);
}

Status Membership::reactivate(const std::string& actor, const id::MemberId& member, const std::string& reason) {
  MemberState reached = MemberState::kActive;
  XACBE_RETURN_IF_ERROR(audited(audit_, actor, "member.reactivate", member.to_string(), [&]() -> Status {
    if (reason.empty() || has_control_characters(reason)) return invalid_argument("a reactivation needs a reason");
    XACBE_RETURN_IF_ERROR(check_instance(member));
    XACBE_ASSIGN_OR_RETURN(Member current, this->member(member));
    const auto termination = pending_termination(current);
    reached = termination ? MemberState::kTerminating : MemberState::kActive;
    return transition(actor, member, {MemberState::kSuspended}, reached, reason, termination);
  }));
  return follow_committed_state(actor, member, reached);
}

Status Membership::request_termination(const std::string& actor, const id::MemberId& member,
                                       std::optional<Date> effective) {
  MemberState reached = MemberState::kTerminating;
  XACBE_RETURN_IF_ERROR(audited(audit_, actor, "member.request-termination", member.to_string(), [&]() -> Status {
    // Effective the next business day after the request is received, unless it names a later date.
    const Date earliest = calendar_.next_business_day(calendar::local_date(clock_.now()));
    if (effective && !effective->ok()) return invalid_argument("invalid effective date");
    if (effective && *effective < earliest) {
      return failed_precondition("a termination on the member's request takes effect on " +
                                 calendar::format_date(earliest) + " at the earliest");
    }
    XACBE_RETURN_IF_ERROR(check_instance(member));
    XACBE_ASSIGN_OR_RETURN(Member current, this->member(member));
    reached = terminating_state(current);
    return transition(actor, member, {MemberState::kActive, MemberState::kSuspended}, reached, "member-request",
                      Termination{effective.value_or(earliest), "member-request"});
  }));
  return follow_committed_state(actor, member, reached);
}

Status Membership::terminate_with_notice(const std::string& actor, const id::MemberId& member, Date effective,
                                         const std::string& reason) {
  MemberState reached = MemberState::kTerminating;
  XACBE_RETURN_IF_ERROR(audited(audit_, actor, "member.terminate", member.to_string(), [&]() -> Status {
    if (reason.empty() || has_control_characters(reason)) return invalid_argument("a termination needs a reason");
    XACBE_RETURN_IF_ERROR(
        calendar::check_notice(calendar::NoticeKind::kTermination, clock_.now(), effective, calendar_));
    XACBE_RETURN_IF_ERROR(check_instance(member));
    XACBE_ASSIGN_OR_RETURN(Member current, this->member(member));
    reached = terminating_state(current);
    return transition(actor, member, {MemberState::kActive, MemberState::kSuspended}, reached,
                      "ceiqroo-notice: " + reason, Termination{effective, "ceiqroo-notice"});
  }));
  return follow_committed_state(actor, member, reached);
}

Result<std::vector<id::MemberId>> Membership::complete_due_terminations(const std::string& actor) {
  const std::string today = calendar::format_date(calendar::local_date(clock_.now()));
  XACBE_ASSIGN_OR_RETURN(store::Statement due,
                         db_.prepare("SELECT id FROM member WHERE state IN ('terminating','suspended') AND termination_effective<=?1"
                                     " ORDER BY id"));
  due.bind(1, today);
  std::vector<id::MemberId> ids;
  for (;;) {
    XACBE_ASSIGN_OR_RETURN(bool row, due.step());
    if (!row) break;
    XACBE_ASSIGN_OR_RETURN(id::MemberId m, id::MemberId::parse(due.column_text(0)));
    ids.push_back(std::move(m));
  }
  for (const auto& m : ids) {
    XACBE_RETURN_IF_ERROR(audited(audit_, actor, "member.terminated", m.to_string(), [&] {
      return transition(actor, m, {MemberState::kTerminating, MemberState::kSuspended}, MemberState::kTerminated,
                        "effective date " + today);
    }));
    XACBE_RETURN_IF_ERROR(follow_committed_state(actor, m, MemberState::kTerminated));
  }
  return ids;
}

Status Membership::transition(const std::string& actor, const id::MemberId& member,
                              std::initializer_list<MemberState> from, MemberState to, const std::string& reason,
                              std::optional<Termination> termination,
                              const std::function<Status()>& in_transaction) {
  XACBE_RETURN_IF_ERROR(check_instance(member));
  {
    XACBE_ASSIGN_OR_RETURN(store::Transaction tx, store::Transaction::begin(db_));
    XACBE_ASSIGN_OR_RETURN(store::Statement find, db_.prepare("SELECT state FROM member WHERE id=?1"));
    find.bind(1, member.to_string());
    XACBE_ASSIGN_OR_RETURN(bool exists, find.step());
    if (!exists) return not_found("no member " + member.to_string());
    XACBE_ASSIGN_OR_RETURN(MemberState current, parse_state(find.column_text(0)));
    if (std::find(from.begin(), from.end(), current) == from.end()) {
      return failed_precondition("member " + member.to_string() + " is " + std::string(state_name(current)) +
                                 "; it cannot become " + std::string(state_name(to)));
    }
    const std::int64_t now = to_unix_seconds(clock_.now());
    XACBE_ASSIGN_OR_RETURN(store::Statement update,
                           db_.prepare("UPDATE member SET state=?2, state_since=?3, termination_effective=?4,"
                                       " termination_basis=?5 WHERE id=?1"));
    update.bind(1, member.to_string()).bind(2, state_name(to)).bind(3, now);
    if (termination) {
      update.bind(4, calendar::format_date(termination->effective)).bind(5, termination->basis);
    } else {
      update.bind_null(4).bind_null(5);
    }
    XACBE_RETURN_IF_ERROR(update.run());
    XACBE_ASSIGN_OR_RETURN(store::Statement event,
                           db_.prepare("INSERT INTO member_event(member_id, at, actor, from_state, to_state, reason)"
                                       " VALUES(?1,?2,?3,?4,?5,?6)"));
    event.bind(1, member.to_string()).bind(2, now).bind(3, actor).bind(4, state_name(current));
    event.bind(5, state_name(to))
        .bind(6, termination ? reason + " (termination effective " + calendar::format_date(termination->effective) + ")"
                             : reason);
    XACBE_RETURN_IF_ERROR(event.run());
    if (in_transaction) XACBE_RETURN_IF_ERROR(in_transaction());
    XACBE_RETURN_IF_ERROR(tx.commit());
  }
  return Status::ok();
}

Status Membership::follow_committed_state(const std::string& actor, const id::MemberId& member, MemberState state) {
  Status st = follow_certificates(member, state);
  // The state change and its entry stand; this entry says the certificates lag behind until
  // reconcile_certificates() (at start-up) catches up.
  if (!st.is_ok()) (void)audit_.record(actor, "member.certificates", member.to_string(), st);
  return st;
}

Status Membership::follow_certificates(const id::MemberId& member, MemberState state) {
  if (ca_ == nullptr) return Status::ok();
  XACBE_ASSIGN_OR_RETURN(std::vector<MemberCertificate> certs, certificates(member));
  for (const auto& c : certs) {
    XACBE_ASSIGN_OR_RETURN(crypto::CertStatus current, ca_->status(c.serial_hex));
    const bool held = current.kind == crypto::CertStatus::Kind::kRevoked &&
                      current.reason == crypto::RevocationReason::kCertificateHold;
    const bool revoked_for_good = current.kind == crypto::CertStatus::Kind::kRevoked && !held;
    Status st;
    switch (state) {
      case MemberState::kSuspended:
        if (current.kind == crypto::CertStatus::Kind::kGood) st = ca_->revoke(c.serial_hex, crypto::RevocationReason::kCertificateHold);
        break;
      case MemberState::kActive:
      case MemberState::kTerminating:  // certificates stay valid until the termination takes effect
        if (held) st = ca_->release_hold(c.serial_hex);
        break;
      case MemberState::kTerminated:
        if (!revoked_for_good) st = ca_->revoke(c.serial_hex, crypto::RevocationReason::kCessationOfOperation);
        break;
      case MemberState::kPending:
      case MemberState::kRejected:
        break;
    }
    if (!st.is_ok()) {
      return Status(st.code(), "member " + member.to_string() + " is " + std::string(state_name(state)) +
                                   " but certificate " + c.serial_hex + " could not follow: " + st.message());
    }
  }
  return Status::ok();
}

Status Membership::record_certificate(const id::MemberId& member, const MemberCertificate& certificate) {
  XACBE_RETURN_IF_ERROR(check_instance(member));
  if (certificate.profile != "auth" && certificate.profile != "sign") {
    return invalid_argument("a member certificate is 'auth' or 'sign', not '" + certificate.profile + "'");
  }
  XACBE_ASSIGN_OR_RETURN(store::Statement insert,
                         db_.prepare("INSERT INTO member_certificate(serial, member_id, profile, server_code)"
                                     " VALUES(?1,?2,?3,?4)"));
  insert.bind(1, certificate.serial_hex).bind(2, member.to_string()).bind(3, certificate.profile);
  if (certificate.server_code.empty()) insert.bind_null(4); else insert.bind(4, certificate.server_code);
  return insert.run();
}

Result<std::vector<MemberCertificate>> Membership::certificates(const id::MemberId& member) {
  XACBE_ASSIGN_OR_RETURN(store::Statement query,
                         db_.prepare("SELECT serial, profile, server_code FROM member_certificate"
                                     " WHERE member_id=?1 ORDER BY serial"));
  query.bind(1, member.to_string());
  std::vector<MemberCertificate> out;
  for (;;) {
    XACBE_ASSIGN_OR_RETURN(bool row, query.step());
    if (!row) break;
    out.push_back({query.column_text(0), query.column_text(1), query.is_null(2) ? "" : query.column_text(2)});
  }
  return out;
}

Status Membership::reconcile_certificates() {
  XACBE_ASSIGN_OR_RETURN(std::vector<Member> all, members());
  for (const auto& m : all) XACBE_RETURN_IF_ERROR(follow_certificates(m.id, m.state));
  return Status::ok();
}

Result<Member> Membership::member(const id::MemberId& member) {
  XACBE_ASSIGN_OR_RETURN(std::vector<Member> all, members());
  for (auto& m : all) {
    if (m.id == member) return std::move(m);
  }
  return not_found("no member " + member.to_string());
}

Result<std::vector<Member>> Membership::members(std::optional<MemberState> state) {
  XACBE_ASSIGN_OR_RETURN(store::Statement query,
                         db_.prepare("SELECT id, name, state, state_since, liaison_name, liaison_email,"
                                     " termination_effective, termination_basis FROM member WHERE ?1 IS NULL OR state=?1 ORDER BY id"));
  if (state) query.bind(1, state_name(*state)); else query.bind_null(1);
  std::vector<Member> out;
  for (;;) {
    XACBE_ASSIGN_OR_RETURN(bool row, query.step());
    if (!row) break;
    XACBE_ASSIGN_OR_RETURN(id::MemberId id, id::MemberId::parse(query.column_text(0)));
    XACBE_ASSIGN_OR_RETURN(MemberState st, parse_state(query.column_text(2)));
    Member m{std::move(id), query.column_text(1), st, from_unix_seconds(query.column_int64(3)),
             {query.column_text(4), query.column_text(5), ""}, std::nullopt, ""};
    if (!query.is_null(6)) {
      XACBE_ASSIGN_OR_RETURN(Date d, calendar::parse_date(query.column_text(6)));
      m.termination_effective = d;
      m.termination_basis = query.is_null(7) ? "" : query.column_text(7);
    }
    out.push_back(std::move(m));
  }
  return out;
}

Result<ApplicationRecord> Membership::application(std::int64_t application_id) {
  XACBE_ASSIGN_OR_RETURN(std::vector<ApplicationRecord> all, applications(false));
  for (auto& a : all) {
    if (a.id == application_id) return std::move(a);
  }
  return not_found("no application " + std::to_string(application_id));
}

Result<std::vector<ApplicationRecord>> Membership::applications(bool undecided_only) {
  XACBE_ASSIGN_OR_RETURN(store::Statement query,
                         db_.prepare("SELECT id, content, submitted_at, submitted_by, decision, rejection_reason,"
                                     " comment FROM application WHERE ?1=0 OR decision IS NULL ORDER BY id"));
  query.bind(1, std::int64_t{undecided_only ? 1 : 0});
  std::vector<ApplicationRecord> out;
  for (;;) {
    XACBE_ASSIGN_OR_RETURN(bool row, query.step());
    if (!row) break;
    XACBE_ASSIGN_OR_RETURN(Application a, application_from(query.column_text(1)));
    ApplicationRecord r{query.column_int64(0), std::move(a), from_unix_seconds(query.column_int64(2)),
                        query.column_text(3), std::nullopt, std::nullopt, ""};
    if (!query.is_null(4)) r.decision = query.column_text(4);
    if (!query.is_null(5)) {
      XACBE_ASSIGN_OR_RETURN(RejectionReason reason, parse_rejection_reason(query.column_text(5)));
      r.rejection_reason = reason;
    }
    if (!query.is_null(6)) r.comment = query.column_text(6);
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace xacbe::registry
