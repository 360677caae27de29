// A member's contacts as administrators correct them (member_contacts.cpp): the current contacts,
// the history of corrections, the audit entry in the same transaction, and the refusals.
#include <gtest/gtest.h>

#include <functional>

#include "member_records.hpp"
#include "schema.hpp"
#include "support/temp_dir.hpp"
#include "xacbe/store/database.hpp"

namespace xacbe::registry {
namespace {

using namespace std::chrono;

const TimePoint kMonday = sys_days{year{2026} / November / 23} + hours(15);
const char* kCalendar = R"({"time_zone": "America/Cancun", "rules": [], "dates": []})";
const std::string kFge = "QROO/EST/FGE";

id::MemberId member_id(const std::string& text) {
  return id::MemberId::parse(text).value();
}

Application application_for(const std::string& member, const std::string& liaison_email) {
  return {member_id(member),
          "Fiscalía General del Estado",
          "CONV-1",
          {"Ana Pérez", "ana@fge.qroo.gob.mx", "+52 983 000 0001"},
          {"Luis Chan", "luis@fge.qroo.gob.mx", "+52 983 000 0002"},
          {"Mesa de enlace", liaison_email, ""},
          {"a", "b", "c", "d"}};
}

// A person as one comparable, printable text.
std::string text(const Person& p) {
  return p.name + " <" + p.email + "> " + p.phone;
}

class MemberContactsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    calendar_ = std::make_unique<calendar::BusinessCalendar>(calendar::BusinessCalendar::parse(kCalendar).value());
    db_ = store::Database::open(dir_.file("registry.db")).value();
    ASSERT_TRUE(migrate_schema(*db_).is_ok());
    membership_ = std::make_unique<Membership>(*db_, clock_, *calendar_, "QROO", nullptr);
    records_ = std::make_unique<MemberRecords>(*db_, clock_, *membership_);
    auto id = membership_->apply("admin", application_for(kFge, "enlace@fge.qroo.gob.mx"));
    ASSERT_TRUE(id.is_ok()) << id.status().to_string();
    application_ = *id;
    ASSERT_TRUE(membership_->admit("admin", *id).is_ok());
  }

  static ContactCorrection new_liaison(const std::string& email, const std::string& reason = "oficio 12/2026") {
    ContactCorrection c;
    c.liaison = Person{"Unidad de enlace", email, "+52 983 000 0009"};
    c.reason = reason;
    return c;
  }

  std::vector<AuditEntry> audit() { return membership_->audit().list().value(); }

  ManualClock clock_{kMonday};
  xacbe::testing::TempDir dir_;
  std::unique_ptr<calendar::BusinessCalendar> calendar_;
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<Membership> membership_;
  std::unique_ptr<MemberRecords> records_;
  std::int64_t application_ = 0;
};

TEST_F(MemberContactsTest, StartFromTheApplication) {
  auto contacts = records_->contacts(member_id(kFge));
  ASSERT_TRUE(contacts.is_ok()) << contacts.status().to_string();
  EXPECT_EQ(contacts->application_id, application_);
  EXPECT_EQ(text(contacts->responsible), text({"Ana Pérez", "ana@fge.qroo.gob.mx", "+52 983 000 0001"}));
  EXPECT_EQ(text(contacts->administrator), text({"Luis Chan", "luis@fge.qroo.gob.mx", "+52 983 000 0002"}));
  EXPECT_EQ(text(contacts->liaison), text({"Mesa de enlace", "enlace@fge.qroo.gob.mx", ""}));
  EXPECT_TRUE(records_->contact_changes(member_id(kFge))->empty());
  EXPECT_EQ(records_->contacts(member_id("QROO/EST/NADIE")).status().code(), Code::kNotFound);
}

TEST_F(MemberContactsTest, CorrectsTheLiaisonKeepsTheHistoryAndAuditsIt) {
  clock_.advance(hours(2));
  auto corrected = records_->correct_contacts("maria", member_id(kFge), new_liaison("avisos@fge.qroo.gob.mx"));
  ASSERT_TRUE(corrected.is_ok()) << corrected.status().to_string();
  const Person liaison{"Unidad de enlace", "avisos@fge.qroo.gob.mx", "+52 983 000 0009"};
  EXPECT_EQ(text(corrected->liaison), text(liaison));
  EXPECT_EQ(text(records_->contacts(member_id(kFge))->liaison), text(liaison));
  // Notifications read the member's liaison: it follows the correction.
  const Member m = membership_->member(member_id(kFge)).value();
  EXPECT_EQ(m.liaison.email, "avisos@fge.qroo.gob.mx");
  EXPECT_EQ(m.liaison.name, "Unidad de enlace");
  // The other contacts and the application as submitted stay as they were.
  EXPECT_EQ(corrected->responsible.email, "ana@fge.qroo.gob.mx");
  EXPECT_EQ(membership_->application(application_)->application.liaison.email, "enlace@fge.qroo.gob.mx");

  auto changes = records_->contact_changes(member_id(kFge));
  ASSERT_TRUE(changes.is_ok()) << changes.status().to_string();
  ASSERT_EQ(changes->size(), 1u);
  const ContactChange& c = changes->front();
  EXPECT_EQ(c.role, ContactRole::kLiaison);
  EXPECT_EQ(c.application_id, application_);
  EXPECT_EQ(c.at, kMonday + hours(2));
  EXPECT_EQ(c.actor, "maria");
  EXPECT_EQ(c.reason, "oficio 12/2026");
  EXPECT_EQ(text(c.before), text({"Mesa de enlace", "enlace@fge.qroo.gob.mx", ""}));
  EXPECT_EQ(text(c.after), text(liaison));

  const AuditEntry e = audit().back();
  EXPECT_EQ(e.actor, "maria");
  EXPECT_EQ(e.action, "member.contacts");
  EXPECT_EQ(e.target, kFge);
  EXPECT_TRUE(e.success);
  EXPECT_EQ(e.detail, "liaison corrected: oficio 12/2026");

  // Two roles at once, one of them unchanged: only the changed one is recorded.
  ContactCorrection both;
  both.liaison = liaison;
  both.administrator = Person{"Luisa Chan", "luisa@fge.qroo.gob.mx", "+52 983 000 0003"};
  both.reason = "cambio de administradora";
  ASSERT_TRUE(records_->correct_contacts("maria", member_id(kFge), both).is_ok());
  changes = records_->contact_changes(member_id(kFge));
  ASSERT_EQ(changes->size(), 2u);
  EXPECT_EQ(changes->back().role, ContactRole::kAdministrator);
  EXPECT_EQ(changes->back().before.email, "luis@fge.qroo.gob.mx");
  EXPECT_EQ(audit().back().detail, "administrator corrected: cambio de administradora");

  // Nothing different: success, no change recorded, the entry says so.
  ASSERT_TRUE(records_->correct_contacts("maria", member_id(kFge), new_liaison("avisos@fge.qroo.gob.mx")).is_ok());
  EXPECT_EQ(records_->contact_changes(member_id(kFge))->size(), 2u);
  EXPECT_EQ(audit().back().detail, "unchanged");
}

TEST_F(MemberContactsTest, RefusesWhatTheApplicationWouldRefuseAndChangesNothing) {
  // A rejected member: its contacts come with its next application.
  auto rejected = membership_->apply("admin", application_for("QROO/MUN/OPB", "enlace@opb.gob.mx"));
  ASSERT_TRUE(rejected.is_ok());
  ASSERT_TRUE(membership_->reject("admin", *rejected, RejectionReason::kRequirementsNotMet, "").is_ok());
  struct Row {
    const char* name;
    std::string member;
    std::function<void(ContactCorrection&)> spoil;
    Code code;
    std::string says;
  };
  const Row rows[] = {
      {"no role", kFge, [](ContactCorrection& c) { c.liaison.reset(); }, Code::kInvalidArgument, "at least one"},
      {"address the mailer refuses", kFge, [](ContactCorrection& c) { c.liaison->email = "ñandú@example.mx"; },
       Code::kInvalidArgument, "'liaison.email' cannot receive mail: the e-mail address is not ASCII"},
      {"header injection in the address", kFge,
       [](ContactCorrection& c) { c.liaison->email = "a@fge.mx\r\nBcc: x@y.mx"; }, Code::kInvalidArgument,
       "control characters"},
      {"address too long", kFge,
       [](ContactCorrection& c) { c.liaison->email = std::string(64, 'a') + "@" + std::string(200, 'b') + ".mx"; },
       Code::kInvalidArgument, "longer than 254 octets"},
      {"no name", kFge, [](ContactCorrection& c) { c.liaison->name.clear(); }, Code::kInvalidArgument,
       "'liaison.name' is required"},
      {"name not UTF-8", kFge, [](ContactCorrection& c) { c.liaison->name = "Enlace \xff"; }, Code::kInvalidArgument,
       "not UTF-8"},
      {"control character in the name", kFge, [](ContactCorrection& c) { c.liaison->name = "Enlace\x1b[2J"; },
       Code::kInvalidArgument, "control characters"},
      {"name too long", kFge, [](ContactCorrection& c) { c.liaison->name = std::string(4001, 'n'); },
       Code::kInvalidArgument, "longer than 4000 bytes"},
      {"responsible without phone", kFge,
       [](ContactCorrection& c) {
         c.responsible = Person{"Ana", "ana@fge.mx", ""};
       },
       Code::kInvalidArgument, "'responsible.phone' is required"},
      {"no reason", kFge, [](ContactCorrection& c) { c.reason.clear(); }, Code::kInvalidArgument,
       "'reason' is required"},
      {"reason on two lines", kFge, [](ContactCorrection& c) { c.reason = "a\nb"; }, Code::kInvalidArgument,
       "control characters"},
      {"unknown member", "QROO/EST/NADIE", [](ContactCorrection&) {}, Code::kNotFound, "QROO/EST/NADIE"},
      {"rejected member", "QROO/MUN/OPB", [](ContactCorrection&) {}, Code::kFailedPrecondition, "new application"},
  };
  const std::size_t audited = audit().size();
  for (const Row& row : rows) {
    SCOPED_TRACE(row.name);
    ContactCorrection c = new_liaison("avisos@fge.qroo.gob.mx");
    row.spoil(c);
    auto r = records_->correct_contacts("maria", member_id(row.member), c);
    ASSERT_FALSE(r.is_ok());
    EXPECT_EQ(r.status().code(), row.code) << r.status().to_string();
    EXPECT_NE(r.status().message().find(row.says), std::string::npos) << r.status().to_string();
    if (c.liaison && c.liaison->email.size() > 3) {
      EXPECT_EQ(r.status().message().find(c.liaison->email), std::string::npos) << "the refusal repeats the address";
    }
  }
  EXPECT_TRUE(records_->contact_changes(member_id(kFge))->empty());
  EXPECT_EQ(membership_->member(member_id(kFge))->liaison.email, "enlace@fge.qroo.gob.mx");
  const auto entries = audit();
  ASSERT_EQ(entries.size(), audited + std::size(rows));
  for (std::size_t i = audited; i < entries.size(); ++i) {
    EXPECT_EQ(entries[i].action, "member.contacts");
    EXPECT_FALSE(entries[i].success);
  }
}

// A correction and its audit entry are one transaction: when the entry cannot be written, the
// correction is not there either.
TEST_F(MemberContactsTest, IsRolledBackWhenItsAuditEntryCannotBeWritten) {
  ASSERT_TRUE(db_->exec("CREATE TRIGGER audit_unavailable BEFORE INSERT ON audit WHEN NEW.success = 1"
                        " BEGIN SELECT RAISE(ABORT, 'audit unavailable'); END")
                  .is_ok());
  auto r = records_->correct_contacts("maria", member_id(kFge), new_liaison("avisos@fge.qroo.gob.mx"));
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("audit unavailable"), std::string::npos) << r.status().to_string();
  EXPECT_TRUE(records_->contact_changes(member_id(kFge))->empty());
  EXPECT_EQ(membership_->member(member_id(kFge))->liaison.email, "enlace@fge.qroo.gob.mx");
}

// A new application (after a rejection or a termination) brings its own contacts; the
// corrections of the earlier one stay in the history.
TEST_F(MemberContactsTest, ANewApplicationStartsFromItsOwnContacts) {
  ASSERT_TRUE(records_->correct_contacts("maria", member_id(kFge), new_liaison("avisos@fge.qroo.gob.mx")).is_ok());
  ASSERT_TRUE(membership_->request_termination("maria", member_id(kFge), std::nullopt).is_ok());
  clock_.advance(days(3));
  ASSERT_EQ(membership_->complete_due_terminations("scheduler")->size(), 1u);
  EXPECT_EQ(records_->correct_contacts("maria", member_id(kFge), new_liaison("otro@fge.qroo.gob.mx")).status().code(),
            Code::kFailedPrecondition);
  auto again = membership_->apply("admin", application_for(kFge, "nuevo.enlace@fge.qroo.gob.mx"));
  ASSERT_TRUE(again.is_ok()) << again.status().to_string();
  auto contacts = records_->contacts(member_id(kFge));
  ASSERT_TRUE(contacts.is_ok());
  EXPECT_EQ(contacts->application_id, *again);
  EXPECT_EQ(contacts->liaison.email, "nuevo.enlace@fge.qroo.gob.mx");
  ASSERT_EQ(records_->contact_changes(member_id(kFge))->size(), 1u);
  EXPECT_EQ(records_->contact_changes(member_id(kFge))->front().application_id, application_);
}

}  // namespace
}  // namespace xacbe::registry
