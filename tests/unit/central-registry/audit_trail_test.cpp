#include "audit_trail.hpp"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace xacbe::registry
