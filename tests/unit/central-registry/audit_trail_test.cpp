#include "audit_trail.hpp"

#include <gtest/gtest.h>

#include <memory>

#include "support/temp_dir.hpp"
#include "schema.hpp"
#include "xacbe/store/database.hpp"
#include "xacbe/utf8.hpp"

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

TEST_F(AuditTrailTest, StoresABoundedValidUtf8ExcerptOfWhatACallerSent) {
  AuditTrail audit(*db_, clock_);
  const std::string hostile = "A\xFF" + std::string(200'000, 'k');
  ASSERT_TRUE(audit.record("maria", "member.apply", hostile, invalid_argument("unknown field '" + hostile + "'"))
                  .is_ok());
  auto entries = audit.list();
  ASSERT_TRUE(entries.is_ok());
  ASSERT_EQ(entries->size(), 1u);
  const AuditEntry& e = (*entries)[0];
  EXPECT_LE(e.target.size(), kMaxAuditTargetBytes + 3);
  EXPECT_LE(e.detail.size(), kMaxAuditDetailBytes + 3);
  EXPECT_EQ(e.target.substr(0, 4), "A\xEF\xBF\xBD");  // the bad byte replaced by U+FFFD
  EXPECT_TRUE(is_utf8(e.target));
  EXPECT_TRUE(is_utf8(e.detail));
}

TEST_F(AuditTrailTest, AggregatesRefusalsOfUnidentifiedCallersPerSourceAndInterval) {
  AuditTrail audit(*db_, clock_);
  audit.set_source("192.0.2.7");
  for (int i = 0; i < 1000; ++i) {
    ASSERT_TRUE(audit.record("anonymous", "api GET /api/v1/members", "/api/v1/members/" + std::to_string(i),
                             permission_denied("a valid bearer token is required"))
                    .is_ok());
  }
  // Another source and another code are recorded apart.
  audit.set_source("198.51.100.1");
  ASSERT_TRUE(audit.record("anonymous", "api GET /api/v1/members", "/x", permission_denied("no token")).is_ok());
  ASSERT_TRUE(audit.record("unauthenticated", "management.submit", "?", invalid_argument("malformed")).is_ok());
  // An identified user's refusals are never aggregated.
  ASSERT_TRUE(audit.record("luis", "api POST /api/v1/members", "/y", permission_denied("read only")).is_ok());
  ASSERT_TRUE(audit.record("luis", "api POST /api/v1/members", "/y", permission_denied("read only")).is_ok());
  auto entries = audit.list();
  ASSERT_EQ(entries->size(), 5u);
  EXPECT_EQ((*entries)[0].target, "/api/v1/members/0");
  EXPECT_NE((*entries)[0].detail.find("[from 192.0.2.7]"), std::string::npos) << (*entries)[0].detail;

  // Nothing more while the interval lasts; its count once it is over.
  clock_.advance(kRefusalInterval - std::chrono::seconds(1));
  ASSERT_TRUE(audit.flush_refusal_counts().is_ok());
  EXPECT_EQ(audit.list()->size(), 5u);
  clock_.advance(std::chrono::seconds(1));
  ASSERT_TRUE(audit.flush_refusal_counts().is_ok());
  entries = audit.list();
  ASSERT_EQ(entries->size(), 6u);
  const AuditEntry& summary = entries->back();
  EXPECT_EQ(summary.action, "audit.refusals-aggregated");
  EXPECT_EQ(summary.target, "192.0.2.7");
  EXPECT_FALSE(summary.success);
  EXPECT_EQ(summary.detail.rfind("999 more refusal(s) PERMISSION_DENIED of api GET /api/v1/members from 192.0.2.7", 0),
            0u)
      << summary.detail;

  // A new interval starts with a recorded refusal again.
  audit.set_source("192.0.2.7");
  ASSERT_TRUE(audit.record("anonymous", "api GET /api/v1/members", "/z", permission_denied("no token")).is_ok());
  EXPECT_EQ(audit.list()->size(), 7u);
}

TEST_F(AuditTrailTest, CountsManySourcesTogetherBeyondTheBound) {
  AuditTrail audit(*db_, clock_);
  for (std::size_t i = 0; i < kMaxRefusalSources + 500; ++i) {
    audit.set_source("10.0." + std::to_string(i / 256) + "." + std::to_string(i % 256));
    ASSERT_TRUE(audit.record("anonymous", "api GET /x", "/x", permission_denied("no token")).is_ok());
  }
  // One entry per counted source and one for "other"; the rest counted under it.
  EXPECT_EQ(audit.list(0, 10000)->size(), kMaxRefusalSources + 1);
  ASSERT_TRUE(audit.flush_refusal_counts(/*all=*/true).is_ok());
  auto entries = audit.list(0, 10000);
  ASSERT_EQ(entries->size(), kMaxRefusalSources + 2);
  EXPECT_EQ(entries->back().target, "other");
  EXPECT_EQ(entries->back().detail.rfind("499 more", 0), 0u) << entries->back().detail;
}

TEST_F(AuditTrailTest, EndsAPageByBytesAsWellAsByCount) {
  AuditTrail audit(*db_, clock_);
  for (int i = 0; i < 2000; ++i) {
    ASSERT_TRUE(audit.record("maria", "member.apply", std::string(400, 't'), invalid_argument(std::string(2000, 'd')))
                    .is_ok());
  }
  auto page = audit.list(0, 10000);
  ASSERT_TRUE(page.is_ok());
  EXPECT_GT(page->size(), 100u);
  EXPECT_LT(page->size(), 2000u);
  std::size_t bytes = 0;
  for (const auto& e : *page) bytes += e.target.size() + e.detail.size();
  EXPECT_LE(bytes, kMaxAuditPageBytes);
  // The next page goes on from the last entry.
  auto next = audit.list(page->back().id, 10000);
  EXPECT_EQ(next->front().id, page->back().id + 1);
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
