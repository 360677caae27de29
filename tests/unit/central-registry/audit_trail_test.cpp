#include "audit_trail.hpp"

#include <gtest/gtest.h>

#include <memory>

#include "support/temp_dir.hpp"
#include "schema.hpp"
#include "xacbe/store/database.hpp"

namespace xacbe::registry {
namespace {

class AuditTrailTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = store::Database::open(dir_.file("registry.db")).value();
    ASSERT_TRUE(migrate_schema(*db_).is_ok());
  }
  xacbe::testing::TempDir dir_;
  ManualClock clock_{TimePoint(std::chrono::seconds(1'800'000'000))};
  std::unique_ptr<store::Database> db_;
};

TEST_F(AuditTrailTest, RecordsOutcomesInOrder) {
  AuditTrail audit(*db_, clock_);
  ASSERT_TRUE(audit.record("maria", "member.admit", "application:1", Status::ok(), "admitted").is_ok());
  ASSERT_TRUE(audit.record("luis", "member.suspend", "QROO/EST/FGE", failed_precondition("is pending")).is_ok());
  auto entries = audit.list();
  ASSERT_TRUE(entries.is_ok());
  ASSERT_EQ(entries->size(), 2u);
  EXPECT_TRUE((*entries)[0].success);
  EXPECT_EQ((*entries)[0].detail, "admitted");
  EXPECT_FALSE((*entries)[1].success);
  EXPECT_EQ((*entries)[1].detail, "FAILED_PRECONDITION: is pending");
  EXPECT_EQ((*entries)[1].at, clock_.now());
  EXPECT_EQ(audit.list((*entries)[0].id)->size(), 1u);
}

TEST_F(AuditTrailTest, TellsTheNewestEntryAndWhetherARefusalFollowedOne) {
  AuditTrail audit(*db_, clock_);
  EXPECT_EQ(audit.last_id().value(), 0);
  EXPECT_FALSE(audit.refusal_after(0).value());
  ASSERT_TRUE(audit.record("maria", "member.admit", "application:1", Status::ok()).is_ok());
  const std::int64_t first = audit.last_id().value();
  EXPECT_GT(first, 0);
  EXPECT_FALSE(audit.refusal_after(0).value());  // a success is no refusal
  ASSERT_TRUE(audit.record("luis", "member.suspend", "x", invalid_argument("no reason")).is_ok());
  EXPECT_TRUE(audit.refusal_after(first).value());
  EXPECT_FALSE(audit.refusal_after(audit.last_id().value()).value());
}

// A change to the registry database that an audited action makes, for the tests below.
class AuditedChangeTest : public AuditTrailTest {
 protected:
  void SetUp() override {
    AuditTrailTest::SetUp();
    ASSERT_TRUE(db_->exec("CREATE TABLE thing(name TEXT NOT NULL)").is_ok());
    audit_ = std::make_unique<AuditTrail>(*db_, clock_);
  }

  Status add_thing(const std::string& name) {
    auto insert = db_->prepare("INSERT INTO thing(name) VALUES(?1)");
    if (!insert) return insert.status();
    return insert->bind(1, name).run();
  }

  std::int64_t count(const std::string& sql) {
    auto query = db_->prepare(sql);
    EXPECT_TRUE(query) << query.status().to_string();
    auto row = query->step();
    return row && *row ? query->column_int64(0) : -1;
  }

  // What the audit write does when the test database refuses it: a trigger raising an error.
  void make_audit_refuse(const std::string& which = "1") {
    ASSERT_TRUE(db_->exec("CREATE TRIGGER audit_unavailable BEFORE INSERT ON audit WHEN " + which +
                          " BEGIN SELECT RAISE(ABORT, 'audit unavailable'); END")
                    .is_ok());
  }

  std::unique_ptr<AuditTrail> audit_;
};

TEST_F(AuditedChangeTest, ASuccessfulChangeCommitsWithItsEntry) {
  AuditNote note{"thing", "", {}};
  const Status st = audit_->run_audited("maria", "thing.add", note, [&] {
    note.detail = "added one";
    return add_thing("first");
  });
  ASSERT_TRUE(st.is_ok()) << st.to_string();
  EXPECT_EQ(count("SELECT count(*) FROM thing"), 1);
  auto entries = audit_->list();
  ASSERT_EQ(entries->size(), 1u);
  EXPECT_TRUE((*entries)[0].success);
  EXPECT_EQ((*entries)[0].detail, "added one");
  EXPECT_FALSE(db_->in_transaction());
}

TEST_F(AuditedChangeTest, AChangeWhoseEntryCannotBeWrittenIsRolledBack) {
  make_audit_refuse("NEW.success = 1");  // successes cannot be recorded, refusals still can
  AuditNote note{"thing", "", {}};
  const Status st = audit_->run_audited("maria", "thing.add", note, [&] { return add_thing("lost"); });
  ASSERT_FALSE(st.is_ok());
  EXPECT_NE(st.message().find("audit unavailable"), std::string::npos) << st.to_string();
  EXPECT_EQ(count("SELECT count(*) FROM thing"), 0);
  // The failed action is on record as such, in an entry of its own.
  auto entries = audit_->list();
  ASSERT_EQ(entries->size(), 1u);
  EXPECT_FALSE((*entries)[0].success);
  EXPECT_NE((*entries)[0].detail.find("audit unavailable"), std::string::npos) << (*entries)[0].detail;
  EXPECT_FALSE(db_->in_transaction());
}

TEST_F(AuditedChangeTest, WithNoWritableTrailNothingStands) {
  make_audit_refuse();
  AuditNote note{"thing", "", {}};
  EXPECT_FALSE(audit_->run_audited("maria", "thing.add", note, [&] { return add_thing("lost"); }).is_ok());
  EXPECT_EQ(count("SELECT count(*) FROM thing"), 0);
  EXPECT_EQ(count("SELECT count(*) FROM audit"), 0);
}

TEST_F(AuditedChangeTest, ARefusedChangeIsRolledBackAndItsRefusalRecorded) {
  AuditNote note{"thing", "not recorded on a refusal", {}};
  const Status st = audit_->run_audited("maria", "thing.add", note, [&]() -> Status {
    XACBE_RETURN_IF_ERROR(add_thing("half"));
    return failed_precondition("the second half is missing");
  });
  EXPECT_EQ(st.code(), Code::kFailedPrecondition);
  EXPECT_EQ(count("SELECT count(*) FROM thing"), 0);
  auto entries = audit_->list();
  ASSERT_EQ(entries->size(), 1u);
  EXPECT_FALSE((*entries)[0].success);
  EXPECT_EQ((*entries)[0].detail, "FAILED_PRECONDITION: the second half is missing");
}

TEST_F(AuditedChangeTest, KeptWritesOfARefusalCommitWithItsEntryOrNotAtAll) {
  AuditNote note{"thing", "", {}};
  auto refused = [&]() -> Status {
    XACBE_RETURN_IF_ERROR(add_thing("replay guard"));
    return permission_denied("stale request");
  };
  EXPECT_EQ(audit_->run_audited("server:x", "management.submit", note, refused, OnRefusal::kKeepWrites).code(),
            Code::kPermissionDenied);
  EXPECT_EQ(count("SELECT count(*) FROM thing"), 1);
  EXPECT_EQ(count("SELECT count(*) FROM audit WHERE success = 0"), 1);
  make_audit_refuse();
  EXPECT_EQ(audit_->run_audited("server:x", "management.submit", note, refused, OnRefusal::kKeepWrites).code(),
            Code::kPermissionDenied);
  EXPECT_EQ(count("SELECT count(*) FROM thing"), 1);  // the second one's write went with its entry
}

TEST_F(AuditedChangeTest, WorkOutsideTheDatabaseIsUndoneWhenTheChangeDoesNotCommit) {
  make_audit_refuse("NEW.success = 1");
  int undone = 0;
  AuditNote note{"thing", "", {}};
  note.undo_outside = [&](const Status& outcome) {
    ++undone;
    return Status(outcome.code(), outcome.message() + "; the outside work was undone");
  };
  const Status st = audit_->run_audited("maria", "thing.add", note, [&] { return add_thing("lost"); });
  EXPECT_EQ(undone, 1);
  EXPECT_NE(st.message().find("the outside work was undone"), std::string::npos) << st.to_string();
  EXPECT_NE(audit_->list()->back().detail.find("the outside work was undone"), std::string::npos);
  ASSERT_TRUE(db_->exec("DROP TRIGGER audit_unavailable").is_ok());
  EXPECT_TRUE(audit_->run_audited("maria", "thing.add", note, [&] { return add_thing("kept"); }).is_ok());
  EXPECT_EQ(undone, 1);  // not on success
}

}  // namespace
}  // namespace xacbe::registry
