#include "register/timestamper.hpp"

#include <gtest/gtest.h>

#include <thread>

#include "merkle.hpp"
#include "register_test_records.hpp"
#include "support/temp_dir.hpp"
#include "xacbe/store/database.hpp"

namespace xacbe::ss {
namespace {

using namespace std::chrono_literals;
using testing::kStart;
using testing::MadeUpTsa;
using testing::make_record;
using testing::token_imprint;

class TimestamperTest : public ::testing::Test {
 protected:
  void SetUp() override { reopen(); }
  void TearDown() override {
    stamper_.reset();
    reg_.reset();
  }

  void reopen(TimestamperOptions options = {}) {
    stamper_.reset();
    reg_.reset();
    auto opened = QueryRegister::open(path_, clock_, RegisterOptions{});
    ASSERT_TRUE(opened) << opened.status().to_string();
    reg_ = std::move(opened).value();
    stamper_ = std::make_unique<Timestamper>(*reg_, clock_, tsa_.function(), options);
  }

  // In rounds that fit the register's write queue (a fuller queue refuses at once).
  void append_many(int n) {
    std::atomic<int> failed{0};
    for (int i = 1; i <= n; ++i) {
      reg_->append(make_record(i, clock_.now()), [&](Result<RecordRef> r) { failed += r ? 0 : 1; });
      if (i % 5000 == 0) {
        ASSERT_TRUE(reg_->flush());
      }
    }
    ASSERT_TRUE(reg_->flush());
    ASSERT_EQ(failed.load(), 0);
  }

  void reopen_tampered(const std::string& sql) {
    stamper_.reset();
    reg_.reset();
    {
      auto db = store::Database::open(path_);
      ASSERT_TRUE(db);
      ASSERT_TRUE((*db)->exec(sql)) << sql;
    }
    reopen();
  }

  // Waits (bounded, real time) for the timestamper thread to do what a test asked of it.
  bool eventually(const std::function<bool()>& condition) {
    for (int i = 0; i < 1000; ++i) {
      if (condition()) return true;
      std::this_thread::sleep_for(10ms);
    }
    return condition();
  }

  ManualClock clock_{kStart};
  MadeUpTsa tsa_{clock_};
  xacbe::testing::TempDir dir_;
  std::string path_ = dir_.file("register.db");
  std::unique_ptr<QueryRegister> reg_;
  std::unique_ptr<Timestamper> stamper_;
};

TEST_F(TimestamperTest, BatchGetsOneTokenAndEveryProofLeadsToItsImprint) {
  append_many(37);
  ASSERT_TRUE(stamper_->run_once());
  EXPECT_EQ(tsa_.calls(), 1);
  std::string imprint;
  for (std::int64_t seq = 1; seq <= 37; ++seq) {
    Result<TimestampProof> proof = reg_->proof(seq);
    ASSERT_TRUE(proof) << proof.status().to_string();
    EXPECT_EQ(proof->batch_size, 37);
    EXPECT_EQ(proof->leaf_index, seq - 1);
    EXPECT_FALSE(proof->deadline_missed);
    if (imprint.empty()) imprint = token_imprint(proof->token_der);
    ASSERT_EQ(imprint.size(), 32u);
    EXPECT_EQ(token_imprint(proof->token_der), imprint);  // one token for the batch
    Result<Record> record = reg_->get(seq);
    ASSERT_TRUE(record);
    EXPECT_EQ(proof->record_hash, record->hash);
    Result<std::string> root =
        merkle_root_from_path(merkle_leaf_hash(record->hash), static_cast<std::size_t>(proof->leaf_index),
                              static_cast<std::size_t>(proof->batch_size), proof->path);
    ASSERT_TRUE(root);
    EXPECT_EQ(*root, imprint) << "record " << seq;
  }
  const RegisterStats stats = reg_->stats();
  EXPECT_EQ(stats.untimestamped, 0);
  EXPECT_FALSE(stats.oldest_untimestamped_deadline.has_value());
  EXPECT_EQ(stats.last_timestamp_at, clock_.now());
  EXPECT_EQ(stats.last_timestamp_error, "");
  const Result<ChainReport> report = reg_->verify_chain();  // checks the audit paths too
  ASSERT_TRUE(report);
  EXPECT_TRUE(report->ok) << report->problem;
  // Nothing left: a second run asks the TSA for nothing.
  ASSERT_TRUE(stamper_->run_once());
  EXPECT_EQ(tsa_.calls(), 1);
}

TEST_F(TimestamperTest, VerifyChainDetectsAnAlteredProofAndACutOffEnd) {
  append_many(6);
  ASSERT_TRUE(stamper_->run_once());
  reopen_tampered("UPDATE record_stamps SET audit_path = zeroblob(length(audit_path)) WHERE seq = 4");
  Result<ChainReport> report = reg_->verify_chain();
  ASSERT_TRUE(report);
  EXPECT_EQ(report->first_bad_seq, 4);

  path_ = dir_.file("second.db");
  reopen();
  append_many(6);
  ASSERT_TRUE(stamper_->run_once());
  // Only a timestamp batch shows the last records gone: nothing after them links to them.
  reopen_tampered("DELETE FROM records WHERE seq >= 5");
  report = reg_->verify_chain();
  ASSERT_TRUE(report);
  EXPECT_FALSE(report->ok);
  EXPECT_EQ(report->first_bad_seq, 5);
}

TEST_F(TimestamperTest, ProofOfAnUntimestampedRecordIsRefused) {
  append_many(1);
  EXPECT_EQ(reg_->proof(1).status().code(), Code::kFailedPrecondition);
  EXPECT_EQ(reg_->proof(2).status().code(), Code::kNotFound);
}

TEST_F(TimestamperTest, LargeBacklogDrainsInBatchesOfTenThousand) {
  append_many(25'000);
  ASSERT_TRUE(stamper_->run_once());
  EXPECT_EQ(tsa_.calls(), 3);
  EXPECT_EQ(stamper_->batches_stamped(), 3u);
  EXPECT_EQ(reg_->stats().untimestamped, 0);
  Result<TimestampProof> first = reg_->proof(1);
  Result<TimestampProof> last = reg_->proof(25'000);
  ASSERT_TRUE(first && last);
  EXPECT_EQ(first->batch_size, 10'000);
  EXPECT_EQ(last->batch_size, 5'000);
  EXPECT_EQ(last->leaf_index, 4'999);
  EXPECT_NE(first->batch_id, last->batch_id);
}

TEST_F(TimestamperTest, FailingTsaLeavesRecordsUntimestampedAndBacksOff) {
  append_many(5);
  tsa_.set_failing(true);
  const Status failed = stamper_->run_once();
  EXPECT_EQ(failed.code(), Code::kUnavailable);
  RegisterStats stats = reg_->stats();
  EXPECT_EQ(stats.untimestamped, 5);
  EXPECT_NE(stats.last_timestamp_error.find("TSA unreachable"), std::string::npos) << stats.last_timestamp_error;
  EXPECT_FALSE(stats.last_timestamp_at.has_value());
  EXPECT_EQ(stamper_->next_attempt(), clock_.now() + 5s);
  (void)stamper_->run_once();
  EXPECT_EQ(stamper_->next_attempt(), clock_.now() + 10s);
  for (int i = 0; i < 5; ++i) (void)stamper_->run_once();
  EXPECT_EQ(stamper_->next_attempt(), clock_.now() + 60s);  // capped

  tsa_.set_failing(false);
  ASSERT_TRUE(stamper_->run_once());
  stats = reg_->stats();
  EXPECT_EQ(stats.untimestamped, 0);
  EXPECT_EQ(stats.last_timestamp_error, "");
  EXPECT_EQ(stamper_->next_attempt(), clock_.now() + 60s);  // the interval again
}

TEST_F(TimestamperTest, TokenAfterTheDeadlineMarksDeadlineMissed) {
  RecordInput late = make_record(1, clock_.now());
  late.deadline = to_sys_seconds(clock_.now()) + 1h;
  ASSERT_TRUE(reg_->append_blocking(late));
  ASSERT_TRUE(reg_->append_blocking(make_record(2, clock_.now())));  // deadline in 7 h 50 min
  clock_.advance(2h);
  ASSERT_TRUE(stamper_->run_once());
  Result<TimestampProof> missed = reg_->proof(1);
  Result<TimestampProof> in_time = reg_->proof(2);
  ASSERT_TRUE(missed && in_time);
  EXPECT_TRUE(missed->deadline_missed);
  EXPECT_FALSE(in_time->deadline_missed);
  Result<Record> record = reg_->get(1);
  ASSERT_TRUE(record);
  EXPECT_TRUE(record->deadline_missed);
  EXPECT_EQ(reg_->stats().deadlines_missed, 1);
}

// Up to schema version 3 a record's stamp was kept in the record's own row; version 4 moves it to
// record_stamps and the backlog to unstamped. A register written then is adopted as it is.
TEST_F(TimestamperTest, RegisterKeepingStampsInItsRecordsIsAdopted) {
  append_many(6);
  ASSERT_TRUE(stamper_->run_once());
  std::vector<TimestampProof> before;
  for (int seq = 1; seq <= 6; ++seq) {
    Result<TimestampProof> p = reg_->proof(seq);
    ASSERT_TRUE(p) << p.status().to_string();
    before.push_back(*p);
  }
  append_many(4);  // records 7 to 10 wait for a timestamp
  // The file as version 3 kept it: the stamps in the records, the partial indexes, no new tables.
  reopen_tampered(
      "UPDATE records SET batch_id = s.batch_id, leaf_index = s.leaf_index, audit_path = s.audit_path,"
      " deadline_missed = s.deadline_missed FROM (SELECT * FROM record_stamps) AS s WHERE s.seq = records.seq;"
      " DROP TRIGGER records_enter_unstamped; DROP TRIGGER records_leave_with_stamp;"
      " DROP TABLE record_stamps; DROP TABLE unstamped;"
      " CREATE INDEX records_unstamped_seq ON records(seq) WHERE batch_id IS NULL;"
      " CREATE INDEX records_unstamped_deadline ON records(deadline) WHERE batch_id IS NULL;"
      " CREATE INDEX records_missed ON records(seq) WHERE deadline_missed = 1;"
      " ALTER TABLE decisions DROP COLUMN represented_party;"  // version 5's
      " UPDATE schema_versions SET version = 3 WHERE module = 'query-register';");
  for (int seq = 1; seq <= 6; ++seq) {
    Result<TimestampProof> p = reg_->proof(seq);
    ASSERT_TRUE(p) << p.status().to_string();
    EXPECT_EQ(p->batch_id, before[seq - 1].batch_id);
    EXPECT_EQ(p->leaf_index, before[seq - 1].leaf_index);
    EXPECT_EQ(p->path, before[seq - 1].path);
    EXPECT_EQ(p->token_der, before[seq - 1].token_der);
  }
  EXPECT_EQ(reg_->stats().untimestamped, 4);
  EXPECT_FALSE(reg_->proof(7));
  ASSERT_TRUE(stamper_->run_once());
  EXPECT_EQ(reg_->stats().untimestamped, 0);
  EXPECT_TRUE(reg_->proof(10));
  const Result<ChainReport> report = reg_->verify_chain();
  ASSERT_TRUE(report);
  EXPECT_TRUE(report->ok) << report->problem;
}

TEST_F(TimestamperTest, RecordIsInTheBacklogOrStampedNeverBothNorNeither) {
  append_many(5);
  ASSERT_TRUE(stamper_->run_once());
  append_many(3);
  stamper_.reset();
  reg_.reset();
  auto db = store::Database::open(path_);
  ASSERT_TRUE(db);
  const auto count = [&](const std::string& sql) {
    auto q = (*db)->prepare(sql);
    EXPECT_TRUE(q);
    auto row = q->step();
    EXPECT_TRUE(row && *row);
    return q->column_int64(0);
  };
  EXPECT_EQ(count("SELECT COUNT(*) FROM record_stamps"), 5);
  EXPECT_EQ(count("SELECT COUNT(*) FROM unstamped"), 3);
  EXPECT_EQ(count("SELECT COUNT(*) FROM records r WHERE (SELECT COUNT(*) FROM record_stamps s WHERE s.seq = r.seq)"
                  " + (SELECT COUNT(*) FROM unstamped u WHERE u.seq = r.seq) != 1"),
            0);
  // A record deleted (archived) leaves both with it.
  ASSERT_TRUE((*db)->exec("DELETE FROM records WHERE seq IN (1, 7)"));
  EXPECT_EQ(count("SELECT COUNT(*) FROM record_stamps"), 4);
  EXPECT_EQ(count("SELECT COUNT(*) FROM unstamped"), 2);
}

TEST_F(TimestamperTest, AdmissionFollowsTheEightHourRuleAcrossARestart) {
  EXPECT_TRUE(reg_->admission());  // an empty register
  append_many(3);
  EXPECT_TRUE(reg_->admission());  // a fresh backlog: deadlines 7 h 50 min away
  const auto deadline = reg_->stats().oldest_untimestamped_deadline;
  ASSERT_TRUE(deadline.has_value());

  tsa_.set_failing(true);
  clock_.set(TimePoint(*deadline) - 15min - 1s);  // just outside the margin
  (void)stamper_->run_once();
  EXPECT_TRUE(reg_->admission());
  clock_.set(TimePoint(*deadline) - 14min);  // within the margin
  (void)stamper_->run_once();
  const Status refused = reg_->admission();
  EXPECT_EQ(refused.code(), Code::kUnavailable);
  EXPECT_NE(refused.message().find("eight-hour"), std::string::npos) << refused.message();

  reopen();  // the state is the stored deadlines'
  EXPECT_EQ(reg_->admission().code(), Code::kUnavailable);

  tsa_.set_failing(false);
  ASSERT_TRUE(stamper_->run_once());
  EXPECT_TRUE(reg_->admission());
  reopen();
  EXPECT_TRUE(reg_->admission());
}

TEST_F(TimestamperTest, ThreadStampsWhenTheIntervalHasPassedOnTheClock) {
  TimestamperOptions options;
  options.interval = 60s;
  options.poll = 5ms;
  reopen(options);
  stamper_->start();
  // Its first run, on an empty backlog, sets the next one an interval ahead on the clock.
  ASSERT_TRUE(eventually([&] { return stamper_->next_attempt() == kStart + 60s; }));
  append_many(2);
  EXPECT_EQ(reg_->stats().untimestamped, 2);  // not due, and these records did not ask to be stamped at once
  clock_.advance(61s);
  EXPECT_TRUE(eventually([&] { return reg_->stats().untimestamped == 0; }));
}

TEST_F(TimestamperTest, RecordAskingForAnImmediateTimestampWakesTheThread) {
  TimestamperOptions options;
  options.interval = 1h;
  options.poll = 1h;  // only a wake can make it run
  reopen(options);
  stamper_->start();
  RecordInput in = make_record(1, clock_.now());
  in.timestamp_at_once = true;
  ASSERT_TRUE(reg_->append_blocking(in));
  EXPECT_TRUE(eventually([&] { return reg_->stats().untimestamped == 0; }));
  EXPECT_GE(tsa_.calls(), 1);
}

}  // namespace
}  // namespace xacbe::ss
