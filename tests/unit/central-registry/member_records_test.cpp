#include "member_records.hpp"

#include <gtest/gtest.h>

#include "support/temp_dir.hpp"
#include "schema.hpp"
#include "xacbe/store/database.hpp"

namespace xacbe::registry {
namespace {

using namespace std::chrono;

const TimePoint kMonday = sys_days{year{2026} / November / 23} + hours(15);
const char* kCalendar = R"({"time_zone": "America/Cancun", "rules": [], "dates": []})";

id::MemberId member_id(const std::string& text) {
  return id::MemberId::parse(text).value();
}
id::SubsystemId subsystem_id(const std::string& text) {
  return id::SubsystemId::parse(text).value();
}
id::ServiceId service_id(const std::string& text) {
  return id::ServiceId::parse(text).value();
}

class MemberRecordsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    calendar_ = std::make_unique<calendar::BusinessCalendar>(calendar::BusinessCalendar::parse(kCalendar).value());
    db_ = store::Database::open(dir_.file("registry.db")).value();
    ASSERT_TRUE(migrate_schema(*db_).is_ok());
    membership_ = std::make_unique<Membership>(*db_, clock_, *calendar_, "QROO", nullptr);
    records_ = std::make_unique<MemberRecords>(*db_, clock_, *membership_);
    admit("QROO/EST/FGE");
    admit("QROO/FED/PGJ");
    ASSERT_TRUE(records_->add_subsystem("admin", subsystem_id("QROO/EST/FGE/SIGI")).is_ok());
    ASSERT_TRUE(records_->add_subsystem("admin", subsystem_id("QROO/FED/PGJ/DENUNCIAS")).is_ok());
  }

  void admit(const std::string& member) {
    Application a{member_id(member),
                  "Institución " + member,
                  "CONV-1",
                  {"Ana", "ana@x.gob.mx", "983"},
                  {"Luis", "luis@x.gob.mx", "983"},
                  {"Enlace", "enlace@x.gob.mx", ""},
                  {"a", "b", "c", "d"}};
    auto id = membership_->apply("admin", a);
    ASSERT_TRUE(id.is_ok()) << id.status().to_string();
    ASSERT_TRUE(membership_->admit("admin", *id).is_ok());
  }

  NewServiceUsage usage(const std::string& client = "QROO/EST/FGE/SIGI",
                        const std::string& service = "QROO/FED/PGJ/DENUNCIAS/consultaDenuncia/v1") {
    return {subsystem_id(client), service_id(service), "Integrar carpetas de investigación"};
  }

  AuditEntry last_audit() { return membership_->audit().list().value().back(); }

  ManualClock clock_{kMonday};
  xacbe::testing::TempDir dir_;
  std::unique_ptr<calendar::BusinessCalendar> calendar_;
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<Membership> membership_;
  std::unique_ptr<MemberRecords> records_;
};

TEST_F(MemberRecordsTest, AddsASubsystemToAnActiveMember) {
  clock_.advance(minutes(5));
  auto added = records_->add_subsystem("ceiqroo-admin", subsystem_id("QROO/EST/FGE/NOMINA"));
  ASSERT_TRUE(added.is_ok()) << added.status().to_string();
  EXPECT_EQ(added->subsystem, subsystem_id("QROO/EST/FGE/NOMINA"));
  EXPECT_EQ(added->added_by, "ceiqroo-admin");
  EXPECT_EQ(added->added_at, kMonday + minutes(5));
  EXPECT_FALSE(added->removed_at.has_value());
  auto all = records_->subsystems(member_id("QROO/EST/FGE")).value();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[1].subsystem.subsystem(), "NOMINA");
}

TEST_F(MemberRecordsTest, RemovingASubsystemKeepsItsHistoryAndItMayBeAddedAgain) {
  const auto sigi = subsystem_id("QROO/EST/FGE/SIGI");
  clock_.advance(hours(1));
  auto removed = records_->remove_subsystem("ceiqroo-admin", sigi);
  ASSERT_TRUE(removed.is_ok()) << removed.status().to_string();
  EXPECT_EQ(removed->removed_at, kMonday + hours(1));
  EXPECT_EQ(removed->removed_by, "ceiqroo-admin");
  EXPECT_EQ(records_->current_subsystems().value(),
            std::vector<id::SubsystemId>{subsystem_id("QROO/FED/PGJ/DENUNCIAS")});

  ASSERT_TRUE(records_->add_subsystem("ceiqroo-admin", sigi).is_ok());
  auto history = records_->subsystems(member_id("QROO/EST/FGE")).value();
  ASSERT_EQ(history.size(), 2u);
  EXPECT_TRUE(history[0].removed_at.has_value());
  EXPECT_FALSE(history[1].removed_at.has_value());
  EXPECT_EQ(records_->current_subsystems()->size(), 2u);
}

TEST_F(MemberRecordsTest, AddsAndRevokesAuthorisedUsersKeepingTheRevokedOnes) {
  const auto fge = member_id("QROO/EST/FGE");
  auto ana =
      records_->add_user("ceiqroo-admin", fge, {"Ana Pérez", "ana.perez@fge.qroo.gob.mx", UserRole::kResponsible});
  ASSERT_TRUE(ana.is_ok()) << ana.status().to_string();
  EXPECT_EQ(ana->role, UserRole::kResponsible);
  auto luis = records_->add_user("ceiqroo-admin", fge, {"Luis Chan", "luis@fge.qroo.gob.mx", UserRole::kOperator});
  ASSERT_TRUE(luis.is_ok());
  // The same person may hold another role.
  EXPECT_TRUE(
      records_->add_user("ceiqroo-admin", fge, {"Ana Pérez", "ana.perez@fge.qroo.gob.mx", UserRole::kAuditor}).is_ok());

  clock_.advance(minutes(1));
  auto revoked = records_->revoke_user("ceiqroo-admin", fge, luis->id);
  ASSERT_TRUE(revoked.is_ok()) << revoked.status().to_string();
  EXPECT_EQ(revoked->revoked_at, kMonday + minutes(1));
  auto users = records_->users(fge).value();
  ASSERT_EQ(users.size(), 3u);
  EXPECT_TRUE(users[1].revoked_at.has_value());
  EXPECT_EQ(users[1].revoked_by, "ceiqroo-admin");
  // Revoked, the address and role are free again.
  EXPECT_TRUE(
      records_->add_user("ceiqroo-admin", fge, {"Luis Chan", "luis@fge.qroo.gob.mx", UserRole::kOperator}).is_ok());
}

TEST_F(MemberRecordsTest, DeclaresAndWithdrawsTheUseOfAnotherMembersService) {
  const auto fge = member_id("QROO/EST/FGE");
  auto declared = records_->declare_usage("ceiqroo-admin", fge, usage());
  ASSERT_TRUE(declared.is_ok()) << declared.status().to_string();
  EXPECT_EQ(declared->client, subsystem_id("QROO/EST/FGE/SIGI"));
  EXPECT_EQ(declared->purpose, "Integrar carpetas de investigación");
  // A service without a version is a different declaration (every version).
  EXPECT_TRUE(
      records_
          ->declare_usage("ceiqroo-admin", fge, usage("QROO/EST/FGE/SIGI", "QROO/FED/PGJ/DENUNCIAS/consultaDenuncia"))
          .is_ok());

  // A subsystem with declared usages cannot be removed until they are withdrawn.
  EXPECT_EQ(records_->remove_subsystem("ceiqroo-admin", subsystem_id("QROO/EST/FGE/SIGI")).status().code(),
            Code::kFailedPrecondition);
  const auto declared_usages = records_->usages(fge).value();
  for (const auto& u : declared_usages) {
    ASSERT_TRUE(records_->withdraw_usage("ceiqroo-admin", fge, u.id).is_ok());
  }
  auto usages = records_->usages(fge).value();
  ASSERT_EQ(usages.size(), 2u);
  EXPECT_TRUE(usages[0].withdrawn_at.has_value());
  EXPECT_TRUE(records_->remove_subsystem("ceiqroo-admin", subsystem_id("QROO/EST/FGE/SIGI")).is_ok());
}

TEST_F(MemberRecordsTest, TakingAwayIsPossibleFromASuspendedMemberButAddingIsNot) {
  const auto fge = member_id("QROO/EST/FGE");
  auto user = records_->add_user("admin", fge, {"Ana", "ana@fge.qroo.gob.mx", UserRole::kAdministrator}).value();
  ASSERT_TRUE(membership_->suspend("admin", fge, "violación").is_ok());
  EXPECT_EQ(records_->add_subsystem("admin", subsystem_id("QROO/EST/FGE/OTRO")).status().code(),
            Code::kFailedPrecondition);
  EXPECT_TRUE(records_->revoke_user("admin", fge, user.id).is_ok());
  EXPECT_TRUE(records_->remove_subsystem("admin", subsystem_id("QROO/EST/FGE/SIGI")).is_ok());
}

TEST_F(MemberRecordsTest, AuditsSuccessesAndRefusalsWithTheActor) {
  const auto fge = member_id("QROO/EST/FGE");
  ASSERT_TRUE(records_->add_subsystem("maria", subsystem_id("QROO/EST/FGE/NOMINA")).is_ok());
  AuditEntry e = last_audit();
  EXPECT_EQ(e.actor, "maria");
  EXPECT_EQ(e.action, "subsystem.add");
  EXPECT_EQ(e.target, "QROO/EST/FGE/NOMINA");
  EXPECT_TRUE(e.success);

  EXPECT_FALSE(records_->add_user("maria", fge, {"Ana", "not-an-address", UserRole::kOperator}).is_ok());
  e = last_audit();
  EXPECT_EQ(e.action, "user.add");
  EXPECT_EQ(e.target, "QROO/EST/FGE");
  EXPECT_FALSE(e.success);
  EXPECT_NE(e.detail.find("e-mail"), std::string::npos) << e.detail;

  auto declared = records_->declare_usage("maria", fge, usage()).value();
  EXPECT_EQ(last_audit().action, "service-usage.declare");
  EXPECT_EQ(last_audit().detail, "usage:" + std::to_string(declared.id));
  ASSERT_TRUE(records_->withdraw_usage("maria", fge, declared.id).is_ok());
  EXPECT_EQ(last_audit().action, "service-usage.withdraw");
  EXPECT_EQ(last_audit().target, "QROO/EST/FGE usage:" + std::to_string(declared.id));
  ASSERT_TRUE(records_->remove_subsystem("maria", subsystem_id("QROO/EST/FGE/NOMINA")).is_ok());
  EXPECT_EQ(last_audit().action, "subsystem.remove");
}

TEST(UserRoles, ParseTheirNamesAndNothingElse) {
  for (auto role : {UserRole::kResponsible, UserRole::kAdministrator, UserRole::kOperator, UserRole::kAuditor}) {
    EXPECT_EQ(parse_user_role(user_role_name(role)).value(), role);
  }
  EXPECT_FALSE(parse_user_role("Operator").is_ok());
  EXPECT_FALSE(parse_user_role("").is_ok());
}

// One row per refused operation: what is attempted, the expected code, and the audit action.
struct Refusal {
  const char* name;
  std::function<Status(MemberRecords&, Membership&)> attempt;
  Code code;
  const char* action;
};

void PrintTo(const Refusal& r, std::ostream* out) {
  *out << r.name;
}

class MemberRecordsRefusalTest : public MemberRecordsTest, public ::testing::WithParamInterface<Refusal> {};

TEST_P(MemberRecordsRefusalTest, IsRefusedWithItsCodeAndAudited) {
  const Refusal& r = GetParam();
  // Fixtures some rows need: a suspended member with a subsystem, a pending applicant, a
  // revoked user and a withdrawn usage.
  admit("QROO/MUN/OPB");
  ASSERT_TRUE(records_->add_subsystem("admin", subsystem_id("QROO/MUN/OPB/CATASTRO")).is_ok());
  ASSERT_TRUE(membership_->suspend("admin", member_id("QROO/MUN/OPB"), "violación").is_ok());
  Application pending{member_id("QROO/MUN/BJ"),
                      "Benito Juárez",
                      "CONV-2",
                      {"Ana", "ana@x.gob.mx", "983"},
                      {"Luis", "luis@x.gob.mx", "983"},
                      {"Enlace", "enlace@x.gob.mx", ""},
                      {"a", "b", "c", "d"}};
  ASSERT_TRUE(membership_->apply("admin", pending).is_ok());
  const auto fge = member_id("QROO/EST/FGE");
  auto user = records_->add_user("admin", fge, {"Ana", "ana@fge.qroo.gob.mx", UserRole::kOperator}).value();
  ASSERT_EQ(user.id, 1);
  ASSERT_TRUE(records_->revoke_user("admin", fge, user.id).is_ok());
  auto declared = records_->declare_usage("admin", fge, usage()).value();
  ASSERT_EQ(declared.id, 1);
  ASSERT_TRUE(records_->withdraw_usage("admin", fge, declared.id).is_ok());
  ASSERT_TRUE(records_->add_user("admin", fge, {"Luis", "luis@fge.qroo.gob.mx", UserRole::kOperator}).is_ok());
  ASSERT_TRUE(records_->declare_usage("admin", fge, usage()).is_ok());

  const Status st = r.attempt(*records_, *membership_);
  EXPECT_EQ(st.code(), r.code) << st.to_string();
  const AuditEntry e = last_audit();
  EXPECT_EQ(e.action, r.action);
  EXPECT_FALSE(e.success);
  EXPECT_EQ(e.actor, "someone");
  EXPECT_EQ(e.detail, st.to_string());
}

Status add_subsystem(MemberRecords& r, const char* id) {
  return r.add_subsystem("someone", subsystem_id(id)).status();
}
Status add_user(MemberRecords& r, const char* member, NewUser u) {
  return r.add_user("someone", member_id(member), u).status();
}
Status declare(MemberRecords& r, const char* member, const char* client, const char* service, const char* purpose) {
  return r.declare_usage("someone", member_id(member), {subsystem_id(client), service_id(service), purpose}).status();
}
const char* kService = "QROO/FED/PGJ/DENUNCIAS/consultaDenuncia/v1";
const char* kPurpose = "Integrar carpetas";

INSTANTIATE_TEST_SUITE_P(
    Refusals, MemberRecordsRefusalTest,
    ::testing::Values(
        Refusal{"SubsystemOfUnknownMember", [](auto& r, auto&) { return add_subsystem(r, "QROO/EST/NADIE/SIGI"); },
                Code::kNotFound, "subsystem.add"},
        Refusal{"SubsystemOfAnotherInstance", [](auto& r, auto&) { return add_subsystem(r, "QROO-TEST/EST/FGE/SIGI"); },
                Code::kNotFound, "subsystem.add"},
        Refusal{"SubsystemOfPendingMember", [](auto& r, auto&) { return add_subsystem(r, "QROO/MUN/BJ/SIGI"); },
                Code::kFailedPrecondition, "subsystem.add"},
        Refusal{"SubsystemOfSuspendedMember", [](auto& r, auto&) { return add_subsystem(r, "QROO/MUN/OPB/OTRO"); },
                Code::kFailedPrecondition, "subsystem.add"},
        Refusal{"SubsystemAlreadyRegistered", [](auto& r, auto&) { return add_subsystem(r, "QROO/EST/FGE/SIGI"); },
                Code::kAlreadyExists, "subsystem.add"},
        Refusal{
            "RemoveUnknownSubsystem",
            [](auto& r, auto&) { return r.remove_subsystem("someone", subsystem_id("QROO/EST/FGE/NADA")).status(); },
            Code::kNotFound, "subsystem.remove"},
        Refusal{
            "RemoveSubsystemInUse",
            [](auto& r, auto&) { return r.remove_subsystem("someone", subsystem_id("QROO/EST/FGE/SIGI")).status(); },
            Code::kFailedPrecondition, "subsystem.remove"},
        Refusal{"UserWithoutName",
                [](auto& r, auto&) {
                  return add_user(r, "QROO/EST/FGE", {"", "a@b.mx", UserRole::kOperator});
                },
                Code::kInvalidArgument, "user.add"},
        Refusal{"UserNameWithControlCharacters",
                [](auto& r, auto&) {
                  return add_user(r, "QROO/EST/FGE", {"Ana\r\nBcc: x", "a@b.mx", UserRole::kOperator});
                },
                Code::kInvalidArgument, "user.add"},
        Refusal{"UserEmailWithoutDomain",
                [](auto& r, auto&) {
                  return add_user(r, "QROO/EST/FGE", {"Ana", "ana@", UserRole::kOperator});
                },
                Code::kInvalidArgument, "user.add"},
        Refusal{"UserEmailTheMailerRefuses",
                [](auto& r, auto&) {
                  return add_user(r, "QROO/EST/FGE", {"Ana", "ñandú@example.mx", UserRole::kOperator});
                },
                Code::kInvalidArgument, "user.add"},
        Refusal{"UserEmailWithHeaderInjection",
                [](auto& r, auto&) {
                  return add_user(r, "QROO/EST/FGE", {"Ana", "a@b.mx\r\nBcc: c@d.mx", UserRole::kOperator});
                },
                Code::kInvalidArgument, "user.add"},
        Refusal{"UserOfUnknownMember",
                [](auto& r, auto&) {
                  return add_user(r, "QROO/EST/NADIE", {"Ana", "a@b.mx", UserRole::kOperator});
                },
                Code::kNotFound, "user.add"},
        Refusal{"UserOfPendingMember",
                [](auto& r, auto&) {
                  return add_user(r, "QROO/MUN/BJ", {"Ana", "a@b.mx", UserRole::kOperator});
                },
                Code::kFailedPrecondition, "user.add"},
        Refusal{"UserAlreadyAuthorisedInThatRole",
                [](auto& r, auto&) {
                  return add_user(r, "QROO/EST/FGE", {"Luis", "LUIS@fge.qroo.gob.mx", UserRole::kOperator});
                },
                Code::kAlreadyExists, "user.add"},
        Refusal{"RevokeUnknownUser",
                [](auto& r, auto&) { return r.revoke_user("someone", member_id("QROO/EST/FGE"), 99).status(); },
                Code::kNotFound, "user.revoke"},
        Refusal{"RevokeAnotherMembersUser",
                [](auto& r, auto&) { return r.revoke_user("someone", member_id("QROO/FED/PGJ"), 2).status(); },
                Code::kNotFound, "user.revoke"},
        Refusal{"RevokeTwice",
                [](auto& r, auto&) { return r.revoke_user("someone", member_id("QROO/EST/FGE"), 1).status(); },
                Code::kFailedPrecondition, "user.revoke"},
        Refusal{"UsageWithoutPurpose",
                [](auto& r, auto&) { return declare(r, "QROO/EST/FGE", "QROO/EST/FGE/SIGI", kService, ""); },
                Code::kInvalidArgument, "service-usage.declare"},
        Refusal{"UsageByAnotherMembersSubsystem",
                [](auto& r, auto&) { return declare(r, "QROO/EST/FGE", "QROO/FED/PGJ/DENUNCIAS", kService, kPurpose); },
                Code::kInvalidArgument, "service-usage.declare"},
        Refusal{"UsageOfOwnService",
                [](auto& r, auto&) {
                  return declare(r, "QROO/EST/FGE", "QROO/EST/FGE/SIGI", "QROO/EST/FGE/SIGI/consulta", kPurpose);
                },
                Code::kInvalidArgument, "service-usage.declare"},
        Refusal{"UsageByUnregisteredSubsystem",
                [](auto& r, auto&) { return declare(r, "QROO/EST/FGE", "QROO/EST/FGE/NADA", kService, kPurpose); },
                Code::kNotFound, "service-usage.declare"},
        Refusal{"UsageOfUnregisteredProvider",
                [](auto& r, auto&) {
                  return declare(r, "QROO/EST/FGE", "QROO/EST/FGE/SIGI", "QROO/FED/PGJ/NADA/consulta", kPurpose);
                },
                Code::kNotFound, "service-usage.declare"},
        Refusal{"UsageOfSuspendedProvider",
                [](auto& r, auto&) {
                  return declare(r, "QROO/EST/FGE", "QROO/EST/FGE/SIGI", "QROO/MUN/OPB/CATASTRO/predio", kPurpose);
                },
                Code::kFailedPrecondition, "service-usage.declare"},
        Refusal{"UsageBySuspendedMember",
                [](auto& r, auto&) { return declare(r, "QROO/MUN/OPB", "QROO/MUN/OPB/CATASTRO", kService, kPurpose); },
                Code::kFailedPrecondition, "service-usage.declare"},
        Refusal{"UsageAlreadyDeclared",
                [](auto& r, auto&) { return declare(r, "QROO/EST/FGE", "QROO/EST/FGE/SIGI", kService, kPurpose); },
                Code::kAlreadyExists, "service-usage.declare"},
        Refusal{"WithdrawUnknownUsage",
                [](auto& r, auto&) { return r.withdraw_usage("someone", member_id("QROO/EST/FGE"), 42).status(); },
                Code::kNotFound, "service-usage.withdraw"},
        Refusal{"WithdrawAnotherMembersUsage",
                [](auto& r, auto&) { return r.withdraw_usage("someone", member_id("QROO/FED/PGJ"), 2).status(); },
                Code::kNotFound, "service-usage.withdraw"},
        Refusal{"WithdrawTwice",
                [](auto& r, auto&) { return r.withdraw_usage("someone", member_id("QROO/EST/FGE"), 1).status(); },
                Code::kFailedPrecondition, "service-usage.withdraw"}),
    [](const ::testing::TestParamInfo<Refusal>& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace xacbe::registry
