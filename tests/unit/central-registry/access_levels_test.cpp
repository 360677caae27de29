#include "access_levels.hpp"

#include <gtest/gtest.h>

#include "member_records.hpp"
#include "schema.hpp"
#include "support/temp_dir.hpp"
#include "xacbe/store/database.hpp"

namespace xacbe::registry {
namespace {

using namespace std::chrono;

const TimePoint kMonday = sys_days{year{2026} / November / 23} + hours(15);
const char* kCalendar = R"({"time_zone": "America/Cancun", "rules": [], "dates": []})";

id::ClientId client_id(const std::string& text) { return id::ClientId::parse(text).value(); }

const std::vector<AccessLevelDefinition> kLevels = {
    {"public", "Pública"}, {"restricted", "Reservada"}, {"confidential", "Confidencial"}};

class AccessLevelsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    calendar_ = std::make_unique<calendar::BusinessCalendar>(calendar::BusinessCalendar::parse(kCalendar).value());
    db_ = store::Database::open(dir_.file("registry.db")).value();
    ASSERT_TRUE(migrate_schema(*db_).is_ok());
    membership_ = std::make_unique<Membership>(*db_, clock_, *calendar_, "QROO", nullptr);
    records_ = std::make_unique<MemberRecords>(*db_, clock_, *membership_);
    levels_ = std::make_unique<AccessLevels>(*db_, clock_, *membership_);
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
  std::vector<std::string> codes() {
    std::vector<std::string> out;
    const std::vector<AccessLevelDefinition> levels = levels_->levels().value();
    for (const auto& l : levels) out.push_back(l.code);
    return out;
  }

  ManualClock clock_{kMonday};
  xacbe::testing::TempDir dir_;
  std::unique_ptr<calendar::BusinessCalendar> calendar_;
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<Membership> membership_;
  std::unique_ptr<MemberRecords> records_;
  std::unique_ptr<AccessLevels> levels_;
};

TEST_F(AccessLevelsTest, KeepsTheListInTheOrderGivenAndAuditsIt) {
  EXPECT_TRUE(levels_->levels().value().empty());
  ASSERT_TRUE(levels_->set_levels("admin", kLevels).is_ok());
  EXPECT_EQ(codes(), (std::vector<std::string>{"public", "restricted", "confidential"}));
  EXPECT_EQ(levels_->levels().value()[2].name, "Confidencial");
  const AuditEntry e = last_audit();
  EXPECT_EQ(e.action, "access-level.set-list");
  EXPECT_EQ(e.actor, "admin");
  EXPECT_TRUE(e.success);
  EXPECT_EQ(e.detail, "public < restricted < confidential");
  // Reordering is a new list.
  ASSERT_TRUE(levels_->set_levels("admin", {kLevels[2], kLevels[0]}).is_ok());
  EXPECT_EQ(codes(), (std::vector<std::string>{"confidential", "public"}));
}

TEST_F(AccessLevelsTest, AssignsMembersAndSubsystemsChangesAndClearsWithAuditEntries) {
  ASSERT_TRUE(levels_->set_levels("admin", kLevels).is_ok());
  auto set = levels_->assign("ceiqroo", client_id("QROO/EST/FGE"), "confidential");
  ASSERT_TRUE(set.is_ok()) << set.status().to_string();
  EXPECT_EQ(set->set_at, kMonday);
  EXPECT_EQ(set->set_by, "ceiqroo");
  EXPECT_EQ(last_audit().action, "access-level.assign");
  EXPECT_EQ(last_audit().target, "QROO/EST/FGE");
  EXPECT_EQ(last_audit().detail, "(none) -> confidential");
  ASSERT_TRUE(levels_->assign("ceiqroo", client_id("QROO/EST/FGE/SIGI"), "public").is_ok());
  ASSERT_TRUE(levels_->assign("ceiqroo", client_id("QROO/EST/FGE"), "restricted").is_ok());
  EXPECT_EQ(last_audit().detail, "confidential -> restricted");
  auto all = levels_->assignments().value();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].client.to_string(), "QROO/EST/FGE");
  EXPECT_EQ(all[0].level, "restricted");
  EXPECT_EQ(all[1].client.to_string(), "QROO/EST/FGE/SIGI");
  ASSERT_TRUE(levels_->clear("ceiqroo", client_id("QROO/EST/FGE/SIGI")).is_ok());
  EXPECT_EQ(last_audit().action, "access-level.clear");
  EXPECT_EQ(last_audit().detail, "was public");
  EXPECT_EQ(levels_->assignments().value().size(), 1u);
}

TEST_F(AccessLevelsTest, RefusesBadListsAndAuditsTheRefusal) {
  ASSERT_TRUE(levels_->set_levels("admin", kLevels).is_ok());
  struct Row {
    const char* name;
    std::vector<AccessLevelDefinition> levels;
    Code code;
  };
  const std::vector<Row> rows = {
      {"code with a space", {{"top secret", "x"}}, Code::kInvalidArgument},
      {"code starting with a dot", {{".x", "x"}}, Code::kInvalidArgument},
      {"empty code", {{"", "x"}}, Code::kInvalidArgument},
      {"code too long", {{std::string(65, 'a'), "x"}}, Code::kInvalidArgument},
      {"empty name", {{"x", ""}}, Code::kInvalidArgument},
      {"name with a control character", {{"x", "a\x1b[2Jb"}}, Code::kInvalidArgument},
      {"name not UTF-8", {{"x", "a\xff"}}, Code::kInvalidArgument},
      {"name too long", {{"x", std::string(257, 'n')}}, Code::kInvalidArgument},
      {"code twice", {{"x", "x"}, {"x", "y"}}, Code::kInvalidArgument},
      {"too many", std::vector<AccessLevelDefinition>(33, {"x", "x"}), Code::kInvalidArgument},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    auto r = levels_->set_levels("admin", row.levels);
    ASSERT_FALSE(r.is_ok());
    EXPECT_EQ(r.status().code(), row.code) << r.status().to_string();
    EXPECT_EQ(last_audit().action, "access-level.set-list");
    EXPECT_FALSE(last_audit().success);
    EXPECT_EQ(codes(), (std::vector<std::string>{"public", "restricted", "confidential"}));
  }
}

TEST_F(AccessLevelsTest, ALevelStillAssignedCannotLeaveTheList) {
  ASSERT_TRUE(levels_->set_levels("admin", kLevels).is_ok());
  ASSERT_TRUE(levels_->assign("admin", client_id("QROO/FED/PGJ"), "restricted").is_ok());
  auto r = levels_->set_levels("admin", {kLevels[0], kLevels[2]});
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), Code::kFailedPrecondition);
  EXPECT_NE(r.status().message().find("'restricted' is still assigned to 1 client(s)"), std::string::npos)
      << r.status().message();
  EXPECT_EQ(codes().size(), 3u);
  // Renaming it (same code) or moving it is fine.
  ASSERT_TRUE(levels_->set_levels("admin", {{"restricted", "Restringida"}, kLevels[0], kLevels[2]}).is_ok());
  ASSERT_TRUE(levels_->clear("admin", client_id("QROO/FED/PGJ")).is_ok());
  EXPECT_TRUE(levels_->set_levels("admin", {kLevels[0], kLevels[2]}).is_ok());
}

TEST_F(AccessLevelsTest, RefusesAssignmentsOfUnknownLevelsAndClients) {
  ASSERT_TRUE(levels_->set_levels("admin", kLevels).is_ok());
  admit("QROO/MUN/BJ");
  ASSERT_TRUE(membership_->apply("admin", application("QROO/MUN/OPB")).is_ok());  // pending
  struct Row {
    const char* name;
    const char* client;
    std::string level;
    Code code;
  };
  const std::vector<Row> rows = {
      {"level not in the list", "QROO/EST/FGE", "secret", Code::kInvalidArgument},
      {"level in another case", "QROO/EST/FGE", "Public", Code::kInvalidArgument},
      {"hostile level", "QROO/EST/FGE", "\x1b[2J\xff", Code::kInvalidArgument},
      {"unknown member", "QROO/EST/SAT", "public", Code::kNotFound},
      {"unknown subsystem", "QROO/EST/FGE/NADA", "public", Code::kNotFound},
      {"pending member", "QROO/MUN/OPB", "public", Code::kFailedPrecondition},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    auto r = levels_->assign("admin", client_id(row.client), row.level);
    ASSERT_FALSE(r.is_ok());
    EXPECT_EQ(r.status().code(), row.code) << r.status().to_string();
    EXPECT_EQ(r.status().message().find('\x1b'), std::string::npos);
    EXPECT_EQ(last_audit().action, "access-level.assign");
    EXPECT_FALSE(last_audit().success);
  }
  EXPECT_TRUE(levels_->assignments().value().empty());
  const Status none = levels_->clear("admin", client_id("QROO/MUN/BJ"));
  EXPECT_EQ(none.code(), Code::kNotFound);
  EXPECT_EQ(last_audit().action, "access-level.clear");
  EXPECT_FALSE(last_audit().success);
}

TEST_F(AccessLevelsTest, AChangeIsRolledBackWhenItsAuditEntryCannotBeWritten) {
  ASSERT_TRUE(levels_->set_levels("admin", kLevels).is_ok());
  ASSERT_TRUE(db_->exec("CREATE TRIGGER audit_unavailable BEFORE INSERT ON audit WHEN NEW.success = 1"
                        " BEGIN SELECT RAISE(ABORT, 'audit unavailable'); END")
                  .is_ok());
  EXPECT_FALSE(levels_->assign("admin", client_id("QROO/EST/FGE"), "public").is_ok());
  EXPECT_FALSE(levels_->set_levels("admin", {kLevels[0]}).is_ok());
  ASSERT_TRUE(db_->exec("DROP TRIGGER audit_unavailable").is_ok());
  EXPECT_TRUE(levels_->assignments().value().empty());
  EXPECT_EQ(codes().size(), 3u);
}

}  // namespace
}  // namespace xacbe::registry
