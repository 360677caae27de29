#include "global_groups.hpp"

#include <gtest/gtest.h>

#include <functional>

#include "support/temp_dir.hpp"
#include "member_records.hpp"
#include "schema.hpp"
#include "xacbe/store/database.hpp"

namespace xacbe::registry {
namespace {

using namespace std::chrono;

const TimePoint kMonday = sys_days{year{2026} / November / 23} + hours(15);
const char* kCalendar = R"({"time_zone": "America/Cancun", "rules": [], "dates": []})";

id::ClientId client_id(const std::string& text) {
  return id::ClientId::parse(text).value();
}

class GlobalGroupsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    calendar_ = std::make_unique<calendar::BusinessCalendar>(calendar::BusinessCalendar::parse(kCalendar).value());
    db_ = store::Database::open(dir_.file("registry.db")).value();
    ASSERT_TRUE(migrate_schema(*db_).is_ok());
    membership_ = std::make_unique<Membership>(*db_, clock_, *calendar_, "QROO", nullptr);
    records_ = std::make_unique<MemberRecords>(*db_, clock_, *membership_);
    groups_ = std::make_unique<GlobalGroups>(*db_, clock_, *membership_);
    admit("QROO/EST/FGE");
    admit("QROO/FED/PGJ");
    ASSERT_TRUE(records_->add_subsystem("admin", id::SubsystemId::parse("QROO/EST/FGE/SIGI").value()).is_ok());
  }

  void admit(const std::string& member) {
    const auto id = membership_->apply("admin", application(member));
    ASSERT_TRUE(id.is_ok()) << id.status().to_string();
    ASSERT_TRUE(membership_->admit("admin", *id).is_ok());
  }
  static Application application(const std::string& member) {
    return {id::MemberId::parse(member).value(),
            "Institución " + member,
            "CONV-1",
            {"Ana", "ana@x.gob.mx", "983"},
            {"Luis", "luis@x.gob.mx", "983"},
            {"Enlace", "enlace@x.gob.mx", ""},
            {"a", "b", "c", "d"}};
  }

  AuditEntry last_audit() { return membership_->audit().list().value().back(); }

  ManualClock clock_{kMonday};
  xacbe::testing::TempDir dir_;
  std::unique_ptr<calendar::BusinessCalendar> calendar_;
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<Membership> membership_;
  std::unique_ptr<MemberRecords> records_;
  std::unique_ptr<GlobalGroups> groups_;
};

// STYLE.md: a record of an action is written in the same transaction as the action. Each action
// on groups and member records is rolled back when its audit entry cannot be written (a trigger in
// the test database refuses successful entries), is on record as refused, and once the trail can
// be written again commits with its entry.
TEST_F(GlobalGroupsTest, GroupAndRecordChangesAreRolledBackWhenTheirAuditEntryCannotBeWritten) {
  ASSERT_TRUE(groups_->create("admin", "seguridad", "Seguridad").is_ok());
  ASSERT_TRUE(groups_->add_member("admin", "seguridad", client_id("QROO/EST/FGE")).is_ok());
  const auto fge = id::MemberId::parse("QROO/EST/FGE").value();
  ASSERT_TRUE(records_->add_user("admin", fge, {"Ana", "ana@fge.gob.mx", UserRole::kOperator}).is_ok());
  auto state = [&] {
    auto query = db_->prepare(
        "SELECT (SELECT count(*) FROM global_group) || '/' || (SELECT count(*) FROM global_group_member) || '/' ||"
        " (SELECT count(*) FROM member_subsystem WHERE removed_at IS NULL) || '/' ||"
        " (SELECT count(*) FROM member_user WHERE revoked_at IS NULL)");
    auto row = query->step();
    return row && *row ? query->column_text(0) : std::string("?");
  };
  const std::string before = state();
  const std::int64_t user_id = records_->users(fge).value().front().id;
  struct Row {
    const char* action;
    std::function<Status()> run;
  };
  const std::vector<Row> rows = {
      {"global-group.create", [&] { return groups_->create("admin", "nuevo", "Nuevo").status(); }},
      {"global-group.add-member",
       [&] { return groups_->add_member("admin", "seguridad", client_id("QROO/FED/PGJ")).status(); }},
      {"global-group.remove-member",
       [&] { return groups_->remove_member("admin", "seguridad", client_id("QROO/EST/FGE")).status(); }},
      {"global-group.delete", [&] { return groups_->delete_group("admin", "seguridad"); }},
      {"subsystem.add",
       [&] { return records_->add_subsystem("admin", id::SubsystemId::parse("QROO/FED/PGJ/SIS").value()).status(); }},
      {"subsystem.remove",
       [&] {
         return records_->remove_subsystem("admin", id::SubsystemId::parse("QROO/EST/FGE/SIGI").value()).status();
       }},
      {"user.add",
       [&] { return records_->add_user("admin", fge, {"Luis", "luis@fge.gob.mx", UserRole::kAuditor}).status(); }},
      {"user.revoke", [&] { return records_->revoke_user("admin", fge, user_id).status(); }},
  };
  ASSERT_TRUE(db_->exec("CREATE TRIGGER audit_unavailable BEFORE INSERT ON audit WHEN NEW.success = 1"
                        " BEGIN SELECT RAISE(ABORT, 'audit unavailable'); END")
                  .is_ok());
  for (const Row& row : rows) {
    SCOPED_TRACE(row.action);
    const Status st = row.run();
    ASSERT_FALSE(st.is_ok());
    EXPECT_NE(st.message().find("audit unavailable"), std::string::npos) << st.to_string();
    EXPECT_EQ(state(), before);
    EXPECT_EQ(last_audit().action, row.action);
    EXPECT_FALSE(last_audit().success);
  }
  ASSERT_TRUE(db_->exec("DROP TRIGGER audit_unavailable").is_ok());
  for (const Row& row : rows) {
    SCOPED_TRACE(row.action);
    ASSERT_TRUE(row.run().is_ok());
    EXPECT_EQ(last_audit().action, row.action);
    EXPECT_TRUE(last_audit().success);
  }
  EXPECT_NE(state(), before);
}

TEST_F(GlobalGroupsTest, CreatesAGroupAndListsItInCodeOrder) {
  auto created = groups_->create("admin", "seguridad", "Instituciones de seguridad pública");
  ASSERT_TRUE(created.is_ok()) << created.status().to_string();
  EXPECT_EQ(created->code, "seguridad");
  EXPECT_EQ(created->created_at, kMonday);
  EXPECT_EQ(created->created_by, "admin");
  EXPECT_TRUE(created->members.empty());
  ASSERT_TRUE(groups_->create("admin", "Finanzas_2026.v1", "Finanzas").is_ok());
  const auto all = groups_->list().value();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].code, "Finanzas_2026.v1");
  EXPECT_EQ(all[1].code, "seguridad");
  EXPECT_EQ(all[1].description, "Instituciones de seguridad pública");
}

TEST_F(GlobalGroupsTest, AddsAndRemovesMembersAndSubsystems) {
  ASSERT_TRUE(groups_->create("admin", "seguridad", "Seguridad").is_ok());
  clock_.advance(minutes(5));
  ASSERT_TRUE(groups_->add_member("admin", "seguridad", client_id("QROO/FED/PGJ")).is_ok());
  auto added = groups_->add_member("admin", "seguridad", client_id("QROO/EST/FGE/SIGI"));
  ASSERT_TRUE(added.is_ok()) << added.status().to_string();
  ASSERT_EQ(added->members.size(), 2u);
  EXPECT_EQ(added->members[0].client, client_id("QROO/EST/FGE/SIGI"));  // identifier order
  EXPECT_EQ(added->members[0].added_at, kMonday + minutes(5));
  EXPECT_EQ(added->members[1].client, client_id("QROO/FED/PGJ"));

  auto removed = groups_->remove_member("admin", "seguridad", client_id("QROO/FED/PGJ"));
  ASSERT_TRUE(removed.is_ok()) << removed.status().to_string();
  ASSERT_EQ(removed->members.size(), 1u);
  EXPECT_EQ(groups_->group("seguridad").value().members.size(), 1u);
}

TEST_F(GlobalGroupsTest, ASuspendedMemberMayJoinAndAMemberLeavesNoTraceWhenItsGroupIsDeleted) {
  admit("QROO/MUN/OPB");
  ASSERT_TRUE(membership_->suspend("admin", id::MemberId::parse("QROO/MUN/OPB").value(), "violación").is_ok());
  ASSERT_TRUE(groups_->create("admin", "municipios", "Municipios").is_ok());
  ASSERT_TRUE(groups_->add_member("admin", "municipios", client_id("QROO/MUN/OPB")).is_ok());
  ASSERT_TRUE(groups_->delete_group("admin", "municipios").is_ok());
  EXPECT_EQ(groups_->group("municipios").status().code(), Code::kNotFound);
  // The code is free again, and the new group starts empty.
  ASSERT_TRUE(groups_->create("admin", "municipios", "Municipios").is_ok());
  EXPECT_TRUE(groups_->group("municipios").value().members.empty());
}

TEST_F(GlobalGroupsTest, AuditsSuccessesWithTheActorAndTheClient) {
  ASSERT_TRUE(groups_->create("ana", "seguridad", "Seguridad").is_ok());
  AuditEntry e = last_audit();
  EXPECT_EQ(e.action, "global-group.create");
  EXPECT_EQ(e.target, "seguridad");
  EXPECT_EQ(e.actor, "ana");
  EXPECT_TRUE(e.success);
  ASSERT_TRUE(groups_->add_member("ana", "seguridad", client_id("QROO/FED/PGJ")).is_ok());
  e = last_audit();
  EXPECT_EQ(e.action, "global-group.add-member");
  EXPECT_EQ(e.detail, "QROO/FED/PGJ");
  ASSERT_TRUE(groups_->remove_member("luis", "seguridad", client_id("QROO/FED/PGJ")).is_ok());
  e = last_audit();
  EXPECT_EQ(e.action, "global-group.remove-member");
  EXPECT_EQ(e.actor, "luis");
  EXPECT_EQ(e.detail, "QROO/FED/PGJ");
  ASSERT_TRUE(groups_->delete_group("luis", "seguridad").is_ok());
  e = last_audit();
  EXPECT_EQ(e.action, "global-group.delete");
  EXPECT_TRUE(e.success);
}

struct Refusal {
  const char* name;
  std::function<Status(GlobalGroups&)> attempt;
  Code code;
  const char* action;
};

void PrintTo(const Refusal& r, std::ostream* out) {
  *out << r.name;
}

class GlobalGroupsRefusalTest : public GlobalGroupsTest, public ::testing::WithParamInterface<Refusal> {};

TEST_P(GlobalGroupsRefusalTest, IsRefusedWithItsCodeAndAudited) {
  const Refusal& r = GetParam();
  // Fixtures some rows need: a group with a member, a pending applicant, a rejected one, a
  // terminated member and a removed subsystem.
  ASSERT_TRUE(groups_->create("admin", "seguridad", "Seguridad").is_ok());
  ASSERT_TRUE(groups_->add_member("admin", "seguridad", client_id("QROO/FED/PGJ")).is_ok());
  ASSERT_TRUE(membership_->apply("admin", application("QROO/MUN/BJ")).is_ok());
  const auto rejected = membership_->apply("admin", application("QROO/MUN/COZ")).value();
  ASSERT_TRUE(membership_->reject("admin", rejected, RejectionReason::kRequirementsNotMet, "").is_ok());
  admit("QROO/MUN/OPB");
  ASSERT_TRUE(
      membership_->request_termination("admin", id::MemberId::parse("QROO/MUN/OPB").value(), std::nullopt).is_ok());
  clock_.advance(days(7));
  ASSERT_TRUE(membership_->complete_due_terminations("admin").is_ok());
  const auto nomina = id::SubsystemId::parse("QROO/EST/FGE/NOMINA").value();
  ASSERT_TRUE(records_->add_subsystem("admin", nomina).is_ok());
  ASSERT_TRUE(records_->remove_subsystem("admin", nomina).is_ok());

  const Status st = r.attempt(*groups_);
  EXPECT_EQ(st.code(), r.code) << st.to_string();
  const AuditEntry e = last_audit();
  EXPECT_EQ(e.action, r.action);
  EXPECT_FALSE(e.success);
  EXPECT_EQ(e.actor, "someone");
  EXPECT_EQ(e.detail, st.to_string());
}

Status create(GlobalGroups& g, const std::string& code, const std::string& description = "Grupo") {
  return g.create("someone", code, description).status();
}
Status add(GlobalGroups& g, const char* code, const char* client) {
  return g.add_member("someone", code, client_id(client)).status();
}
Status remove(GlobalGroups& g, const char* code, const char* client) {
  return g.remove_member("someone", code, client_id(client)).status();
}

INSTANTIATE_TEST_SUITE_P(
    Refusals, GlobalGroupsRefusalTest,
    ::testing::Values(
        Refusal{"EmptyCode", [](auto& g) { return create(g, ""); }, Code::kInvalidArgument, "global-group.create"},
        Refusal{"CodeWithSlash", [](auto& g) { return create(g, "a/b"); }, Code::kInvalidArgument,
                "global-group.create"},
        Refusal{"CodeStartingWithDot", [](auto& g) { return create(g, ".."); }, Code::kInvalidArgument,
                "global-group.create"},
        Refusal{"CodeStartingWithDash", [](auto& g) { return create(g, "-rf"); }, Code::kInvalidArgument,
                "global-group.create"},
        Refusal{"CodeWithSpace", [](auto& g) { return create(g, "a b"); }, Code::kInvalidArgument,
                "global-group.create"},
        Refusal{"CodeTooLong", [](auto& g) { return create(g, std::string(65, 'a')); }, Code::kInvalidArgument,
                "global-group.create"},
        Refusal{"NoDescription", [](auto& g) { return create(g, "otro", ""); }, Code::kInvalidArgument,
                "global-group.create"},
        Refusal{"DescriptionWithControls", [](auto& g) { return create(g, "otro", "a\nb"); }, Code::kInvalidArgument,
                "global-group.create"},
        Refusal{"DescriptionTooLong", [](auto& g) { return create(g, "otro", std::string(1025, 'x')); },
                Code::kInvalidArgument, "global-group.create"},
        Refusal{"GroupExists", [](auto& g) { return create(g, "seguridad"); }, Code::kAlreadyExists,
                "global-group.create"},
        Refusal{"DeleteUnknownGroup", [](auto& g) { return g.delete_group("someone", "nadie"); }, Code::kNotFound,
                "global-group.delete"},
        Refusal{"DeleteBadCode", [](auto& g) { return g.delete_group("someone", "../x"); }, Code::kInvalidArgument,
                "global-group.delete"},
        Refusal{"AddToUnknownGroup", [](auto& g) { return add(g, "nadie", "QROO/EST/FGE"); }, Code::kNotFound,
                "global-group.add-member"},
        Refusal{"AddUnknownMember", [](auto& g) { return add(g, "seguridad", "QROO/EST/NADIE"); }, Code::kNotFound,
                "global-group.add-member"},
        Refusal{"AddPendingMember", [](auto& g) { return add(g, "seguridad", "QROO/MUN/BJ"); },
                Code::kFailedPrecondition, "global-group.add-member"},
        Refusal{"AddRejectedMember", [](auto& g) { return add(g, "seguridad", "QROO/MUN/COZ"); },
                Code::kFailedPrecondition, "global-group.add-member"},
        Refusal{"AddTerminatedMember", [](auto& g) { return add(g, "seguridad", "QROO/MUN/OPB"); },
                Code::kFailedPrecondition, "global-group.add-member"},
        Refusal{"AddUnknownSubsystem", [](auto& g) { return add(g, "seguridad", "QROO/EST/FGE/OTRO"); },
                Code::kNotFound, "global-group.add-member"},
        Refusal{"AddRemovedSubsystem", [](auto& g) { return add(g, "seguridad", "QROO/EST/FGE/NOMINA"); },
                Code::kNotFound, "global-group.add-member"},
        Refusal{"AddSubsystemOfUnknownMember", [](auto& g) { return add(g, "seguridad", "QROO/EST/NADIE/SIGI"); },
                Code::kNotFound, "global-group.add-member"},
        Refusal{"AddTwice", [](auto& g) { return add(g, "seguridad", "QROO/FED/PGJ"); }, Code::kAlreadyExists,
                "global-group.add-member"},
        Refusal{"RemoveFromUnknownGroup", [](auto& g) { return remove(g, "nadie", "QROO/FED/PGJ"); }, Code::kNotFound,
                "global-group.remove-member"},
        Refusal{"RemoveClientNotInGroup", [](auto& g) { return remove(g, "seguridad", "QROO/EST/FGE"); },
                Code::kNotFound, "global-group.remove-member"}),
    [](const ::testing::TestParamInfo<Refusal>& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace xacbe::registry
