#pragma once
// What the registry records about an admitted member (ARCHITECTURE.md, "Central registry": "then
// the member's users and the data services they will use"; docs/protocol/member-records.md):
//   - its subsystems (the information systems that exchange data; published in the global
//     configuration while the member is in good standing);
//   - its authorised users: the people who act for the member, each with a role;
//   - the data services its subsystems will use, each with the purpose of the use.
//
// And its contacts: the designated responsible person, the administrator and the liaison its
// application named, as administrators correct them (member_contacts.cpp).
//
// Records are never deleted: removing a subsystem, revoking a user or withdrawing a service usage
// stamps the record with when and by whom, so the history of what a member had stays readable.
// Adding anything needs an active or terminating member; taking something away is always possible
// (it only reduces what the member may do). Every operation, successful or refused, is written to
// the membership's audit trail with its actor.
// Not thread-safe: the owner serialises calls (the database connection is shared).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "xacbe/clock.hpp"
#include "xacbe/id/identifiers.hpp"
#include "membership.hpp"
#include "xacbe/result.hpp"

namespace xacbe::registry {

// A subsystem of a member, current while `removed_at` is empty. A subsystem code removed and
// added again is a new record; the old one stays as history.
struct SubsystemRecord {
  std::int64_t id = 0;
  id::SubsystemId subsystem;
  TimePoint added_at;
  std::string added_by;
  std::optional<TimePoint> removed_at;
  std::string removed_by;  // empty while current
};

// The role a person has within the member (not a role in the admin API):
//   responsible    the designated responsible person before the CEIQROO
//   administrator  administers the member's security servers
//   operator       operates the member's information systems that exchange data
//   auditor        reviews the member's message logs and records, read-only
enum class UserRole { kResponsible, kAdministrator, kOperator, kAuditor };
std::string_view user_role_name(UserRole role);
Result<UserRole> parse_user_role(std::string_view name);

struct NewUser {
  std::string name;   // 1..256 bytes, no control characters
  std::string email;  // checked as applications check theirs (check_email)
  UserRole role = UserRole::kOperator;
};

// An authorised user of a member, current while `revoked_at` is empty.
struct AuthorisedUser {
  std::int64_t id = 0;
  id::MemberId member;
  std::string name;
  std::string email;
  UserRole role;
  TimePoint added_at;
  std::string added_by;
  std::optional<TimePoint> revoked_at;
  std::string revoked_by;
};

struct NewServiceUsage {
  id::SubsystemId client;  // a current subsystem of the declaring member
  id::ServiceId service;   // offered by a current subsystem of an active member, not `client`
  std::string purpose;     // why the service is used: 1..4000 bytes, no control characters
};

// A data service a member's subsystem will use, declared while `withdrawn_at` is empty.
struct ServiceUsage {
  std::int64_t id = 0;
  id::MemberId member;
  id::SubsystemId client;
  id::ServiceId service;
  std::string purpose;
  TimePoint declared_at;
  std::string declared_by;
  std::optional<TimePoint> withdrawn_at;
  std::string withdrawn_by;
};

// Whom the registry deals with at a member, as its application named them.
enum class ContactRole { kResponsible, kAdministrator, kLiaison };
std::string_view contact_role_name(ContactRole role);  // "responsible", "administrator", "liaison"
Result<ContactRole> parse_contact_role(std::string_view name);

// A member's contacts now: its latest application's, with the corrections made since.
struct Contacts {
  std::int64_t application_id = 0;  // the application they come from
  Person responsible;
  Person administrator;
  Person liaison;  // receives the notifications; its phone may be empty
};

// One correction of one role's person.
struct ContactChange {
  std::int64_t id = 0;
  std::int64_t application_id = 0;  // the application whose contacts it corrected
  ContactRole role = ContactRole::kLiaison;
  TimePoint at;
  std::string actor;
  std::string reason;
  Person before;
  Person after;
};

// The roles given are replaced whole (name, e-mail, phone); the others stay as they are.
struct ContactCorrection {
  std::optional<Person> responsible;
  std::optional<Person> administrator;
  std::optional<Person> liaison;
  std::string reason;  // why: required, one line, at most 1000 bytes
};

class MemberRecords {
 public:
  // `db` has the registry schema; members and their states are `membership`'s, and so is the
  // audit trail. All must outlive this.
  MemberRecords(store::Database& db, const Clock& clock, Membership& membership)
      : db_(db), clock_(clock), membership_(membership) {}

  // Refusals: unknown member kNotFound; member not active or terminating kFailedPrecondition;
  // subsystem already current kAlreadyExists. Audited as "subsystem.add".
  Result<SubsystemRecord> add_subsystem(const std::string& actor, const id::SubsystemId& subsystem);
  // The current record is stamped removed. Refused (kFailedPrecondition) while the subsystem still
  // has declared service usages: withdraw them first. Audited as "subsystem.remove".
  Result<SubsystemRecord> remove_subsystem(const std::string& actor, const id::SubsystemId& subsystem);
  // Every subsystem record of the member, current and removed, oldest first.
  Result<std::vector<SubsystemRecord>> subsystems(const id::MemberId& member);
  // The current subsystems of every member, in identifier order (for the global configuration).
  Result<std::vector<id::SubsystemId>> current_subsystems();

  // A current user with the same e-mail (case-insensitive) and role is kAlreadyExists.
  // Audited as "user.add".
  Result<AuthorisedUser> add_user(const std::string& actor, const id::MemberId& member, const NewUser& user);
  // Unknown user of this member kNotFound; already revoked kFailedPrecondition. Audited as
  // "user.revoke".
  Result<AuthorisedUser> revoke_user(const std::string& actor, const id::MemberId& member, std::int64_t user_id);
  Result<std::vector<AuthorisedUser>> users(const id::MemberId& member);

  // The same client declaring the same service again while declared is kAlreadyExists.
  // Audited as "service-usage.declare".
  Result<ServiceUsage> declare_usage(const std::string& actor, const id::MemberId& member,
                                     const NewServiceUsage& usage);
  // Audited as "service-usage.withdraw".
  Result<ServiceUsage> withdraw_usage(const std::string& actor, const id::MemberId& member, std::int64_t usage_id);
  Result<std::vector<ServiceUsage>> usages(const id::MemberId& member);

  // The member's contacts now. NOT_FOUND for an unknown member.
  Result<Contacts> contacts(const id::MemberId& member);
  // Every correction of the member's contacts, oldest first, those of earlier applications too.
  Result<std::vector<ContactChange>> contact_changes(const id::MemberId& member);
  // Corrects the contacts given in `correction`: each role whose person differs gets a change
  // record (before and after); the liaison's name and address are also the member's, which
  // notifications use from then on (a failed delivery goes to the new address when retried).
  // A person passes the application's rule: a name and (but for the liaison) a phone of
  // 1..4000 bytes of UTF-8 without control characters, an e-mail address check_email accepts.
  // Refusals: INVALID_ARGUMENT (no role given, a bad person or reason), NOT_FOUND (unknown
  // member), FAILED_PRECONDITION (a rejected or terminated member: a new application brings new
  // contacts). Audited as "member.contacts", in the same transaction; a correction that changes
  // nothing succeeds and records no change.
  Result<Contacts> correct_contacts(const std::string& actor, const id::MemberId& member,
                                    const ContactCorrection& correction);

 private:
  Result<Member> existing_member(const id::MemberId& member);
  Result<Member> member_in_good_standing(const id::MemberId& member);
  Result<std::optional<SubsystemRecord>> current_subsystem(const id::SubsystemId& subsystem);

  store::Database& db_;
  const Clock& clock_;
  Membership& membership_;
};

}  // namespace xacbe::registry
