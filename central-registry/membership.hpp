#pragma once
// Membership of the federation, as the state's protocol sets it (ARCHITECTURE.md, "Central
// registry"): an application with the data the protocol requires, admission or rejection with one
// of the protocol's reasons, then suspension, reactivation and termination.
//
//   state        reached by                                          next
//   pending      apply (new, rejected or terminated member)          active, rejected
//   active       admit, reactivate                                   suspended, terminating
//   suspended    suspend (a violation: at once)                      active, terminating, terminated
//   terminating  request_termination / terminate_with_notice         suspended, terminated
//   terminated   complete_due_terminations on the effective date     pending (a new application)
//
// A termination decided for a suspended member keeps it suspended (its certificates stay on hold)
// until the date; suspending a terminating member keeps its termination date; reactivating a
// suspended member with a pending termination makes it terminating again, not active.
//   rejected     reject                                              pending (a new application)
//
// Certificates follow the member: suspension puts every certificate the CA issued for it on hold
// (OCSP answers revoked, certificateHold), reactivation releases the holds, termination revokes
// them (cessationOfOperation). The registry database and the CA database are separate files, so
// the certificate step runs after the state change commits; reconcile_certificates() re-applies
// what the states require (idempotent) and runs at start-up to finish an interrupted step. A
// certificate step that fails is audited as "member.certificates".
//
// Every operation, successful or refused, is written to the audit trail with its actor; a
// successful one's entry commits in the same transaction as its change.
// Not thread-safe: the owner serialises calls (the database connection is shared).

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "xacbe/calendar/business_calendar.hpp"
#include "xacbe/clock.hpp"
#include "xacbe/id/identifiers.hpp"
#include "audit_trail.hpp"
#include "xacbe/result.hpp"

namespace xacbe::ca {
class CertificateAuthority;
}

namespace xacbe::registry {

enum class MemberState { kPending, kActive, kSuspended, kTerminating, kTerminated, kRejected };
std::string_view state_name(MemberState state);
Result<MemberState> parse_state(std::string_view name);

// The protocol's grounds for refusing an application.
enum class RejectionReason { kNoRightOfRepresentation, kInformationMissingOrOutdated, kRequirementsNotMet };
std::string_view rejection_reason_name(RejectionReason reason);  // "no-right-of-representation", ...
Result<RejectionReason> parse_rejection_reason(std::string_view name);

struct Person {
  std::string name;
  std::string email;
  std::string phone;  // optional for the liaison
};

// The statement of security measures the applicant commits to.
struct SecurityStatement {
  std::string integrity;
  std::string traceability;
  std::string confidentiality;
  std::string availability;
};

struct Application {
  id::MemberId member;
  std::string member_name;
  // Proof of subscription to the implementation agreement (e.g. the signed agreement's folio).
  std::string agreement_reference;
  Person responsible;     // the designated responsible person
  Person administrator;   // the technical administrator
  Person liaison;         // receives the CEIQROO's notifications
  SecurityStatement security;
};

// Every required field present, e-mail addresses well-formed, no control characters anywhere.
Status validate(const Application& application);
// The check of every e-mail address a person gives the registry (an application's, a contact's,
// an authorised user's): the mailer's own rule (mail::check_address), so that an address accepted
// here can be mailed. INVALID_ARGUMENT naming `field` and what is wrong, without the address.
Status check_email(std::string_view address, std::string_view field);

struct ApplicationRecord {
  std::int64_t id = 0;
  Application application;
  TimePoint submitted_at;
  std::string submitted_by;
  std::optional<std::string> decision;  // "admitted" or "rejected"
  std::optional<RejectionReason> rejection_reason;
  std::string comment;
};

struct Member {
  id::MemberId id;
  std::string name;
  MemberState state;
  TimePoint state_since;
  Person liaison;
  // A pending termination: its date and basis ("member-request" or "ceiqroo-notice"). Set while
  // terminating, and kept through a suspension (a suspended member's termination still happens).
  std::optional<calendar::Date> termination_effective;
  std::string termination_basis;
};

struct MemberCertificate {
  std::string serial_hex;
  std::string profile;      // "auth" or "sign"
  std::string server_code;  // auth certificates: the security server's code
};

class Membership {
 public:
  struct Termination {
    calendar::Date effective;
    std::string basis;  // "member-request" or "ceiqroo-notice"
  };

  // `db` has the registry schema; `instance` is the one instance this registry serves (ids of
  // another are refused). `ca` may be null (no certificate follow-up). All must outlive this.
  Membership(store::Database& db, const Clock& clock, const calendar::BusinessCalendar& calendar,
             std::string instance, ca::CertificateAuthority* ca);

  // A new application; the member becomes pending. Returns the application id.
  Result<std::int64_t> apply(const std::string& actor, const Application& application);
  Status admit(const std::string& actor, std::int64_t application_id);
  Status reject(const std::string& actor, std::int64_t application_id, RejectionReason reason,
                const std::string& comment);

  // Immediate suspension for a violation; `reason` is required.
  Status suspend(const std::string& actor, const id::MemberId& member, const std::string& reason);
  Status reactivate(const std::string& actor, const id::MemberId& member, const std::string& reason);
  // The member's written request, received now: effective on `effective` when given (not
  // before the next business day), otherwise on the next business day.
  Status request_termination(const std::string& actor, const id::MemberId& member,
                             std::optional<calendar::Date> effective);
  // Termination decided by the CEIQROO, with at least 5 calendar days' notice.
  Status terminate_with_notice(const std::string& actor, const id::MemberId& member, calendar::Date effective,
                               const std::string& reason);
  // Terminates every terminating member whose effective date has come; returns them.
  Result<std::vector<id::MemberId>> complete_due_terminations(const std::string& actor);

  // Links a certificate the CA issued to a member, so that its state follows the member's.
  Status record_certificate(const id::MemberId& member, const MemberCertificate& certificate);
  Result<std::vector<MemberCertificate>> certificates(const id::MemberId& member);
  // Puts every member's certificates in the state its membership requires.
  Status reconcile_certificates();

  Result<Member> member(const id::MemberId& member);
  Result<std::vector<Member>> members(std::optional<MemberState> state = std::nullopt);
  Result<ApplicationRecord> application(std::int64_t application_id);
  Result<std::vector<ApplicationRecord>> applications(bool undecided_only);

  AuditTrail& audit() { return audit_; }

 private:
  Status check_instance(const id::MemberId& member) const;
  // The state change and its member_event (and `in_transaction`), in one transaction; a savepoint
  // of the caller's, so that it commits with the action's audit entry.
  Status transition(const std::string& actor, const id::MemberId& member, std::initializer_list<MemberState> from,
                    MemberState to, const std::string& reason, std::optional<Termination> termination = {},
                    const std::function<Status()>& in_transaction = {});
  Status follow_certificates(const id::MemberId& member, MemberState state);
  // follow_certificates() once the state change has committed; a failure is audited as
  // "member.certificates" and returned.
  Status follow_committed_state(const std::string& actor, const id::MemberId& member, MemberState state);

  store::Database& db_;
  const Clock& clock_;
  const calendar::BusinessCalendar& calendar_;
  const std::string instance_;
  ca::CertificateAuthority* ca_;
  AuditTrail audit_;
};

}  // namespace xacbe::registry
