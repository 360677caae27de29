// Member records, contacts: the responsible person, the administrator and the liaison a member's
// application named, corrected by administrators, with every correction kept
// (docs/protocol/member-records.md, "Contacts").
//
// The application stays as it was submitted; a correction is a row of member_contact_change tied
// to the application it corrects, so a new application (after a rejection or a termination)
// starts from its own contacts. The liaison's name and address are also columns of the member,
// which notifications read: a correction of the liaison updates them in the same transaction.
#include <algorithm>
#include <array>
#include <utility>

#include "member_records.hpp"
#include "xacbe/store/database.hpp"
#include "xacbe/utf8.hpp"

namespace xacbe::registry {
namespace {

constexpr std::string_view kContactRoleNames[] = {"responsible", "administrator", "liaison"};

// The application's limit on a text (membership.cpp), and the limit on a correction's reason.
constexpr std::size_t kMaxPersonText = 4000;
constexpr std::size_t kMaxReason = 1000;

// Required, bounded, UTF-8, one line (xacbe/utf8.hpp); the message names the field quoted.
Status check_field(std::string_view value, const std::string& field, std::size_t max) {
  return check_text(value, "'" + field + "'", max);
}

// A contact as the application's rule takes it (membership.cpp, validate): the liaison alone may
// have no phone.
Status check_contact(const Person& p, ContactRole role) {
  const std::string field(contact_role_name(role));
  XACBE_RETURN_IF_ERROR(check_field(p.name, field + ".name", kMaxPersonText));
  XACBE_RETURN_IF_ERROR(check_email(p.email, "'" + field + ".email'"));
  if (role != ContactRole::kLiaison || !p.phone.empty()) {
    XACBE_RETURN_IF_ERROR(check_field(p.phone, field + ".phone", kMaxPersonText));
  }
  return Status::ok();
}

bool same_person(const Person& a, const Person& b) {
  return a.name == b.name && a.email == b.email && a.phone == b.phone;
}

Person& person_of(Contacts& c, ContactRole role) {
  switch (role) {
    case ContactRole::kResponsible:
      return c.responsible;
    case ContactRole::kAdministrator:
      return c.administrator;
    case ContactRole::kLiaison:
      break;
  }
  return c.liaison;
}

constexpr const char* kChangeColumns =
    "id, application_id, role, at, actor, reason, old_name, old_email, old_phone, new_name, new_email, new_phone";

Result<ContactChange> change_from(const store::Statement& row) {
  XACBE_ASSIGN_OR_RETURN(ContactRole role, parse_contact_role(row.column_text(2)));
  return ContactChange{row.column_int64(0),
                       row.column_int64(1),
                       role,
                       from_unix_seconds(row.column_int64(3)),
                       row.column_text(4),
                       row.column_text(5),
                       {row.column_text(6), row.column_text(7), row.column_text(8)},
                       {row.column_text(9), row.column_text(10), row.column_text(11)}};
}

}  // namespace

std::string_view contact_role_name(ContactRole role) {
  return kContactRoleNames[static_cast<int>(role)];
}

Result<ContactRole> parse_contact_role(std::string_view name) {
  for (std::size_t i = 0; i < std::size(kContactRoleNames); ++i) {
    if (kContactRoleNames[i] == name) return static_cast<ContactRole>(i);
  }
  return invalid_argument("unknown contact role (responsible, administrator, liaison)");
}

Result<Contacts> MemberRecords::contacts(const id::MemberId& member) {
  XACBE_RETURN_IF_ERROR(existing_member(member).status());
  XACBE_ASSIGN_OR_RETURN(store::Statement latest, db_.prepare("SELECT max(id) FROM application WHERE member_id=?1"));
  latest.bind(1, member.to_string());
  XACBE_ASSIGN_OR_RETURN(const bool row, latest.step());
  if (!row || latest.is_null(0)) return Status(Code::kCorrupt, "member " + member.to_string() + " has no application");
  XACBE_ASSIGN_OR_RETURN(ApplicationRecord record, membership_.application(latest.column_int64(0)));
  Contacts out{record.id, record.application.responsible, record.application.administrator, record.application.liaison};
  XACBE_ASSIGN_OR_RETURN(std::vector<ContactChange> changes, contact_changes(member));
  for (const ContactChange& c : changes) {
    if (c.application_id == out.application_id) person_of(out, c.role) = c.after;
  }
  return out;
}

Result<std::vector<ContactChange>> MemberRecords::contact_changes(const id::MemberId& member) {
  XACBE_RETURN_IF_ERROR(existing_member(member).status());
  XACBE_ASSIGN_OR_RETURN(store::Statement query,
                         db_.prepare(std::string("SELECT ") + kChangeColumns +
                                     " FROM member_contact_change WHERE member_id=?1 ORDER BY id"));
  query.bind(1, member.to_string());
  std::vector<ContactChange> out;
  for (;;) {
    XACBE_ASSIGN_OR_RETURN(const bool row, query.step());
    if (!row) return out;
    XACBE_ASSIGN_OR_RETURN(ContactChange change, change_from(query));
    out.push_back(std::move(change));
  }
}

Result<Contacts> MemberRecords::correct_contacts(const std::string& actor, const id::MemberId& member,
                                                 const ContactCorrection& correction) {
  const std::array<std::pair<ContactRole, const std::optional<Person>*>, 3> given = {{
      {ContactRole::kResponsible, &correction.responsible},
      {ContactRole::kAdministrator, &correction.administrator},
      {ContactRole::kLiaison, &correction.liaison},
  }};
  std::optional<Contacts> corrected;
  AuditNote note{member.to_string(), "", {}};
  XACBE_RETURN_IF_ERROR(membership_.audit().run_audited(actor, "member.contacts", note, [&]() -> Status {
    if (std::none_of(given.begin(), given.end(), [](const auto& g) { return g.second->has_value(); })) {
      return invalid_argument("a correction names at least one of 'responsible', 'administrator', 'liaison'");
    }
    for (const auto& [role, person] : given) {
      if (*person) XACBE_RETURN_IF_ERROR(check_contact(**person, role));
    }
    XACBE_RETURN_IF_ERROR(check_field(correction.reason, "reason", kMaxReason));
    XACBE_ASSIGN_OR_RETURN(const Member m, existing_member(member));
    if (m.state == MemberState::kRejected || m.state == MemberState::kTerminated) {
      return failed_precondition("member " + member.to_string() + " is " + std::string(state_name(m.state)) +
                                 "; a new application brings new contacts");
    }
    XACBE_ASSIGN_OR_RETURN(store::Transaction tx, store::Transaction::begin(db_));
    XACBE_ASSIGN_OR_RETURN(Contacts now, contacts(member));
    XACBE_ASSIGN_OR_RETURN(store::Statement insert,
                           db_.prepare("INSERT INTO member_contact_change(member_id, application_id, role, at, actor,"
                                       " reason, old_name, old_email, old_phone, new_name, new_email, new_phone)"
                                       " VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12)"));
    std::string changed;
    for (const auto& [role, person] : given) {
      if (!*person) continue;
      Person& current = person_of(now, role);
      if (same_person(current, **person)) continue;
      insert.reset();
      insert.bind(1, member.to_string()).bind(2, now.application_id).bind(3, contact_role_name(role));
      insert.bind(4, to_unix_seconds(clock_.now())).bind(5, actor).bind(6, correction.reason);
      insert.bind(7, current.name).bind(8, current.email).bind(9, current.phone);
      insert.bind(10, (*person)->name).bind(11, (*person)->email).bind(12, (*person)->phone);
      XACBE_RETURN_IF_ERROR(insert.run());
      if (role == ContactRole::kLiaison) {
        XACBE_ASSIGN_OR_RETURN(store::Statement update,
                               db_.prepare("UPDATE member SET liaison_name=?2, liaison_email=?3 WHERE id=?1"));
        update.bind(1, member.to_string()).bind(2, (*person)->name).bind(3, (*person)->email);
        XACBE_RETURN_IF_ERROR(update.run());
      }
      current = **person;
      changed.append(changed.empty() ? "" : ", ").append(contact_role_name(role));
    }
    note.detail = changed.empty() ? "unchanged" : changed + " corrected: " + correction.reason;
    XACBE_RETURN_IF_ERROR(tx.commit());
    corrected = std::move(now);
    return Status::ok();
  }));
  return std::move(*corrected);
}

}  // namespace xacbe::registry
