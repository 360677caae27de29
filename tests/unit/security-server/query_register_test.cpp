#include "register/query_register.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "register/record_hash.hpp"
#include "register_test_records.hpp"
#include "support/temp_dir.hpp"
#include "xacbe/store/database.hpp"

namespace xacbe::ss {
namespace {

using namespace std::chrono_literals;
using testing::kStart;
using testing::make_record;
using testing::WriterGate;

class QueryRegisterTest : public ::testing::Test {
 protected:
  void SetUp() override { reopen(); }

  void reopen(RegisterOptions options = {}) {
    reg_.reset();
    auto opened = QueryRegister::open(path_, clock_, options);
    ASSERT_TRUE(opened) << opened.status().to_string();
    reg_ = std::move(opened).value();
  }

  RecordRef append(RecordInput in) {
    Result<RecordRef> ref = reg_->append_blocking(std::move(in));
    EXPECT_TRUE(ref) << ref.status().to_string();
    return ref ? *ref : RecordRef{};
  }

  // Raw SQL on the closed register file, as someone with access to the disk could.
  void tamper(const std::string& sql) {
    reg_.reset();
    auto db = store::Database::open(path_);
    ASSERT_TRUE(db);
    ASSERT_TRUE((*db)->exec(sql)) << sql;
    db->reset();
    reopen();
  }

  ChainReport verify() {
    Result<ChainReport> report = reg_->verify_chain();
    EXPECT_TRUE(report) << report.status().to_string();
    return report ? *report : ChainReport{false, 0, -1, "unreadable"};
  }

  ManualClock clock_{kStart};
  xacbe::testing::TempDir dir_;
  std::string path_ = dir_.file("register.db");
  std::unique_ptr<QueryRegister> reg_;
};

TEST_F(QueryRegisterTest, AppendThenGetReturnsTheSameRecord) {
  RecordInput in = make_record(1, clock_.now(), RecordSide::kProvider, RecordKind::kResponse);
  in.user_id.clear();
  const RecordRef ref = append(in);
  EXPECT_EQ(ref.seq, 1);
  EXPECT_EQ(ref.hash.size(), 32u);

  Result<Record> got = reg_->get(1);
  ASSERT_TRUE(got) << got.status().to_string();
  EXPECT_EQ(got->side, RecordSide::kProvider);
  EXPECT_EQ(got->kind, RecordKind::kResponse);
  EXPECT_EQ(got->message_id, in.message_id);
  EXPECT_EQ(got->request_id, in.request_id);
  EXPECT_EQ(got->client, in.client);
  EXPECT_EQ(got->service, in.service);
  EXPECT_EQ(got->user_id, "");
  EXPECT_EQ(got->head, in.head);
  EXPECT_EQ(got->body, in.body);
  EXPECT_EQ(got->body_sha256, in.body_sha256);
  EXPECT_EQ(got->estamp, in.estamp);
  EXPECT_EQ(got->ocsp_produced_at, in.ocsp_produced_at);
  EXPECT_EQ(got->deadline, in.deadline);
  EXPECT_EQ(got->created_at, clock_.now());
  EXPECT_EQ(got->prev_hash, kGenesisHash);
  EXPECT_EQ(got->hash, ref.hash);
  EXPECT_EQ(chain_hash(chain_fields(*got)), ref.hash);
  EXPECT_FALSE(got->batch_id.has_value());
  EXPECT_EQ(reg_->get(2).status().code(), Code::kNotFound);
}

TEST_F(QueryRegisterTest, DigestOnlyRecordKeepsNoBody) {
  RecordInput in = make_record(1, clock_.now());
  in.body.reset();
  append(in);
  Result<Record> got = reg_->get(1);
  ASSERT_TRUE(got);
  EXPECT_FALSE(got->body.has_value());
  EXPECT_EQ(got->body_sha256, in.body_sha256);
  EXPECT_TRUE(verify().ok);
}

TEST_F(QueryRegisterTest, ConcurrentAppendsShareTransactionsAndKeepTheChainContiguous) {
  constexpr int kThreads = 8, kPerThread = 250, kTotal = kThreads * kPerThread;
  std::mutex mu;
  std::condition_variable cv;
  int done = 0, failed = 0;
  std::vector<std::int64_t> seqs;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        reg_->append(make_record(t * kPerThread + i, clock_.now()), [&](Result<RecordRef> r) {
          std::lock_guard lock(mu);
          if (r) {
            seqs.push_back(r->seq);
          } else {
            ++failed;
          }
          ++done;
          cv.notify_all();
        });
      }
    });
  }
  for (std::thread& t : threads) t.join();
  {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return done == kTotal; });
  }
  EXPECT_EQ(failed, 0);
  std::sort(seqs.begin(), seqs.end());
  ASSERT_EQ(seqs.size(), static_cast<std::size_t>(kTotal));
  for (int i = 0; i < kTotal; ++i) ASSERT_EQ(seqs[i], i + 1);
  const ChainReport report = verify();
  EXPECT_TRUE(report.ok) << report.problem;
  EXPECT_EQ(report.records, kTotal);
  const RegisterStats stats = reg_->stats();
  EXPECT_EQ(stats.records, kTotal);
  EXPECT_GT(stats.commits, 0);
  EXPECT_LT(stats.commits, kTotal);  // group commit: many records per transaction
}

TEST_F(QueryRegisterTest, ReplayedProviderRequestIsRefusedWhileItsGroupSucceeds) {
  append(make_record(1, clock_.now(), RecordSide::kProvider));
  EXPECT_TRUE(reg_->contains_request(RecordSide::kProvider, make_record(1, clock_.now()).client, "msg-1"));
  EXPECT_FALSE(reg_->contains_request(RecordSide::kClient, make_record(1, clock_.now()).client, "msg-1"));

  WriterGate gate;
  reg_->append(make_record(2, clock_.now()), gate.hold());
  gate.wait_until_held();
  const std::int64_t commits_before = reg_->stats().commits;

  std::vector<Result<RecordRef>> results(5, Status(Code::kInternal, "not answered"));
  std::atomic<int> answered{0};
  const auto collect = [&](int i) {
    return [&, i](Result<RecordRef> r) {
      results[static_cast<std::size_t>(i)] = std::move(r);
      ++answered;
    };
  };
  reg_->append(make_record(3, clock_.now(), RecordSide::kProvider), collect(0));
  reg_->append(make_record(1, clock_.now(), RecordSide::kProvider), collect(1));  // the replay
  reg_->append(make_record(1, clock_.now(), RecordSide::kProvider, RecordKind::kResponse), collect(2));
  reg_->append(make_record(1, clock_.now(), RecordSide::kClient), collect(3));    // the client side keeps its own ids
  reg_->append(make_record(3, clock_.now(), RecordSide::kProvider), collect(4));  // replayed within the group
  gate.open();
  ASSERT_TRUE(reg_->flush());
  ASSERT_EQ(answered.load(), 5);

  EXPECT_TRUE(results[0]) << results[0].status().to_string();
  EXPECT_EQ(results[1].status().code(), Code::kAlreadyExists);
  EXPECT_TRUE(results[2]) << results[2].status().to_string();
  EXPECT_TRUE(results[3]) << results[3].status().to_string();
  EXPECT_EQ(results[4].status().code(), Code::kAlreadyExists);
  EXPECT_EQ(reg_->stats().commits, commits_before + 1);  // all five were one group
  // The refused records took no place in the chain.
  EXPECT_EQ(results[0]->seq, 3);
  EXPECT_EQ(results[2]->seq, 4);
  EXPECT_EQ(results[3]->seq, 5);
  EXPECT_TRUE(verify().ok);
}

TEST_F(QueryRegisterTest, ConcurrentReplaysLetExactlyOneRequestIn) {
  std::atomic<int> accepted{0}, replays{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 20; ++i) {
        Result<RecordRef> r = reg_->append_blocking(make_record(i, clock_.now(), RecordSide::kProvider));
        if (r) {
          ++accepted;
        } else if (r.status().code() == Code::kAlreadyExists) {
          ++replays;
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(accepted.load(), 20);
  EXPECT_EQ(replays.load(), 7 * 20);
  EXPECT_TRUE(verify().ok);
}

TEST_F(QueryRegisterTest, ReplayIsRefusedAfterReopen) {
  append(make_record(1, clock_.now(), RecordSide::kProvider));
  reopen();
  EXPECT_EQ(reg_->append_blocking(make_record(1, clock_.now(), RecordSide::kProvider)).status().code(),
            Code::kAlreadyExists);
}

struct BadInput {
  const char* name;
  std::function<void(RecordInput&)> spoil;
};

TEST_F(QueryRegisterTest, RefusesMalformedInput) {
  const std::vector<BadInput> rows = {
      {"empty message id", [](RecordInput& in) { in.message_id.clear(); }},
      {"message id of 256 bytes", [](RecordInput& in) { in.message_id = std::string(256, 'm'); }},
      {"empty request id", [](RecordInput& in) { in.request_id.clear(); }},
      {"empty client", [](RecordInput& in) { in.client.clear(); }},
      {"service over the bound", [](RecordInput& in) { in.service = std::string(kMaxIdentifierBytes + 1, 's'); }},
      {"user id over the bound", [](RecordInput& in) { in.user_id = std::string(kMaxUserIdBytes + 1, 'u'); }},
      {"short body digest", [](RecordInput& in) { in.body_sha256.resize(31); }},
      {"body not matching its digest", [](RecordInput& in) { in.body = "other"; }},
      {"no e-stamp", [](RecordInput& in) { in.estamp.clear(); }},
      {"deadline before the OCSP response", [](RecordInput& in) { in.deadline = in.ocsp_produced_at - 1s; }},
      {"head over the bound", [](RecordInput& in) { in.head = std::string((1u << 20) + 1, 'h'); }},
  };
  for (const BadInput& row : rows) {
    RecordInput in = make_record(1, clock_.now());
    row.spoil(in);
    EXPECT_EQ(reg_->append_blocking(in).status().code(), Code::kInvalidArgument) << row.name;
  }
  EXPECT_EQ(reg_->stats().records, 0);
}

TEST_F(QueryRegisterTest, StoresOnlyValidUtf8) {
  RecordInput in = make_record(1, clock_.now());
  in.client = std::string("MX/GOB/10\xff") + '\0' + "1";
  in.message_id = "msg-\xc3\x28";
  append(in);
  Result<Record> got = reg_->get(1);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->client,
            "MX/GOB/10\xEF\xBF\xBD\xEF\xBF\xBD"
            "1");
  EXPECT_EQ(got->message_id, "msg-\xEF\xBF\xBD(");
  EXPECT_TRUE(verify().ok);
}

TEST_F(QueryRegisterTest, VerifyChainDetectsAnAlteredField) {
  for (int i = 1; i <= 5; ++i) append(make_record(i, clock_.now()));
  ASSERT_TRUE(verify().ok);
  tamper("UPDATE records SET service = 'MX/GOB/9999/otro' WHERE seq = 3");
  const ChainReport report = verify();
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.first_bad_seq, 3);
  EXPECT_NE(report.problem.find("altered"), std::string::npos) << report.problem;
}

TEST_F(QueryRegisterTest, VerifyChainDetectsAnAlteredTime) {
  for (int i = 1; i <= 3; ++i) append(make_record(i, clock_.now()));
  tamper("UPDATE records SET deadline = deadline + 3600 WHERE seq = 2");
  EXPECT_EQ(verify().first_bad_seq, 2);
}

TEST_F(QueryRegisterTest, VerifyChainDetectsADeletedRecord) {
  for (int i = 1; i <= 5; ++i) append(make_record(i, clock_.now()));
  tamper("DELETE FROM records WHERE seq = 3");
  const ChainReport report = verify();
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.first_bad_seq, 3);
  EXPECT_NE(report.problem.find("missing"), std::string::npos) << report.problem;
}

TEST_F(QueryRegisterTest, VerifyChainDetectsADeletedFirstRecord) {
  for (int i = 1; i <= 3; ++i) append(make_record(i, clock_.now()));
  tamper("DELETE FROM records WHERE seq = 1");
  EXPECT_EQ(verify().first_bad_seq, 1);
}

TEST_F(QueryRegisterTest, VerifyChainDetectsSwappedRecords) {
  for (int i = 1; i <= 5; ++i) append(make_record(i, clock_.now()));
  tamper(
      "UPDATE records SET seq = -2 WHERE seq = 2; UPDATE records SET seq = 2 WHERE seq = 3;"
      " UPDATE records SET seq = 3 WHERE seq = -2");
  const ChainReport report = verify();
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.first_bad_seq, 2);
}

TEST_F(QueryRegisterTest, VerifyChainDetectsAnAlteredBodyHeadAndEstamp) {
  for (int i = 1; i <= 6; ++i) append(make_record(i, clock_.now()));
  tamper("UPDATE records SET body = CAST('{\"curp\":\"falsa\"}' AS BLOB) WHERE seq = 4");
  EXPECT_EQ(verify().first_bad_seq, 4);
  tamper("UPDATE records SET head = CAST('{}' AS BLOB) WHERE seq = 2");
  EXPECT_EQ(verify().first_bad_seq, 2);
  tamper("UPDATE records SET estamp = CAST('<x/>' AS BLOB) WHERE seq = 1");
  EXPECT_EQ(verify().first_bad_seq, 1);
}

TEST_F(QueryRegisterTest, AcknowledgedRecordsSurviveReopen) {
  std::vector<RecordRef> refs;
  for (int i = 1; i <= 50; ++i) refs.push_back(append(make_record(i, clock_.now())));
  reopen();
  for (const RecordRef& ref : refs) {
    Result<Record> got = reg_->get(ref.seq);
    ASSERT_TRUE(got) << ref.seq;
    EXPECT_EQ(got->hash, ref.hash);
  }
  // The chain goes on from the last committed record.
  const RecordRef next = append(make_record(51, clock_.now()));
  EXPECT_EQ(next.seq, 51);
  Result<Record> got = reg_->get(51);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->prev_hash, refs.back().hash);
  EXPECT_TRUE(verify().ok);
}

TEST_F(QueryRegisterTest, ClosingWritesWhatWasQueued) {
  std::atomic<int> ok{0};
  for (int i = 1; i <= 200; ++i) {
    reg_->append(make_record(i, clock_.now()), [&](Result<RecordRef> r) { ok += r ? 1 : 0; });
  }
  reopen();
  EXPECT_EQ(ok.load(), 200);
  EXPECT_EQ(reg_->stats().records, 200);
}

TEST_F(QueryRegisterTest, FullQueueRefusesAtOnce) {
  RegisterOptions options;
  options.max_pending = 2;
  reopen(options);
  WriterGate gate;
  reg_->append(make_record(1, clock_.now()), gate.hold());
  gate.wait_until_held();
  std::atomic<int> written{0};
  reg_->append(make_record(2, clock_.now()), [&](Result<RecordRef> r) { written += r ? 1 : 0; });
  reg_->append(make_record(3, clock_.now()), [&](Result<RecordRef> r) { written += r ? 1 : 0; });
  std::optional<Status> refused;
  reg_->append(make_record(4, clock_.now()), [&](Result<RecordRef> r) { refused = r.status(); });
  ASSERT_TRUE(refused.has_value());  // answered at once, in this thread
  EXPECT_EQ(refused->code(), Code::kUnavailable);
  gate.open();
  ASSERT_TRUE(reg_->flush());
  EXPECT_EQ(written.load(), 2);
  EXPECT_EQ(reg_->stats().appends_refused, 1);
}

TEST_F(QueryRegisterTest, FindFiltersAndPages) {
  for (int i = 1; i <= 10; ++i) {
    RecordInput in = make_record(i, clock_.now());
    if (i % 2 == 0) in.service = "MX/GOB/2002/registro-civil/actas/v1";
    append(in);
    clock_.advance(1min);
  }
  RecordFilter filter;
  filter.service = "MX/GOB/2002/registro-civil/actas/v1";
  filter.limit = 3;
  Result<std::vector<Record>> page = reg_->find(filter);
  ASSERT_TRUE(page);
  ASSERT_EQ(page->size(), 3u);
  EXPECT_EQ((*page)[0].seq, 2);
  EXPECT_EQ((*page)[2].seq, 6);
  EXPECT_FALSE((*page)[0].body.has_value());  // listings leave bodies out unless asked
  filter.after_seq = (*page)[2].seq;
  page = reg_->find(filter);
  ASSERT_TRUE(page);
  ASSERT_EQ(page->size(), 2u);
  EXPECT_EQ((*page)[1].seq, 10);

  RecordFilter by_id;
  by_id.message_id = "msg-7";
  by_id.with_bodies = true;
  page = reg_->find(by_id);
  ASSERT_TRUE(page);
  ASSERT_EQ(page->size(), 1u);
  EXPECT_TRUE((*page)[0].body.has_value());

  RecordFilter by_time;
  by_time.from = kStart + 2min;
  by_time.until = kStart + 5min;
  page = reg_->find(by_time);
  ASSERT_TRUE(page);
  ASSERT_EQ(page->size(), 3u);
  EXPECT_EQ((*page)[0].seq, 3);

  RecordFilter too_many;
  too_many.limit = 1001;
  EXPECT_EQ(reg_->find(too_many).status().code(), Code::kInvalidArgument);
}

Decision make_decision(int i, bool allowed) {
  Decision d;
  d.side = RecordSide::kProvider;
  d.client = "MX/GOB/1001/padron-cliente";
  d.service = "MX/GOB/2002/registro-civil/consulta-curp/v1";
  d.message_id = "msg-" + std::to_string(i);
  d.peer = "MX/GOB/1001/ss1";
  d.allowed = allowed;
  d.rule = allowed ? "acl" : "acl-denied";
  d.reason = std::string(5000, 'r');
  return d;
}

TEST_F(QueryRegisterTest, ADecisionKeepsThePartyTheClientActedFor) {
  Decision d = make_decision(1, true);
  d.represented_party = "MX/GOB/3003";
  reg_->record_decision(d);
  Decision hostile = make_decision(2, false);
  hostile.represented_party = std::string(3000, 'p') + "\xff";
  reg_->record_decision(hostile);
  ASSERT_TRUE(reg_->flush());
  Result<std::vector<StoredDecision>> stored = reg_->decisions(0, 10);
  ASSERT_TRUE(stored);
  ASSERT_EQ(stored->size(), 2u);
  EXPECT_EQ((*stored)[0].decision.represented_party, "MX/GOB/3003");
  EXPECT_EQ((*stored)[1].decision.represented_party.size(), kMaxIdentifierBytes);  // bounded, valid UTF-8
}

TEST_F(QueryRegisterTest, DecisionsAreWrittenWithTheNextGroup) {
  reg_->record_decision(make_decision(1, true));
  reg_->record_decision(make_decision(2, false));
  ASSERT_TRUE(reg_->flush());
  Result<std::vector<StoredDecision>> stored = reg_->decisions(0, 10);
  ASSERT_TRUE(stored);
  ASSERT_EQ(stored->size(), 2u);
  EXPECT_TRUE((*stored)[0].decision.allowed);
  EXPECT_FALSE((*stored)[1].decision.allowed);
  EXPECT_EQ((*stored)[1].decision.rule, "acl-denied");
  EXPECT_EQ((*stored)[1].decision.reason.size(), kMaxReasonBytes);  // bounded
  EXPECT_EQ((*stored)[0].at, clock_.now());
  EXPECT_EQ((*stored)[0].decision.represented_party, "");

  clock_.advance(24h);
  reg_->record_decision(make_decision(3, true));
  ASSERT_TRUE(reg_->flush());
  Result<std::int64_t> purged = reg_->purge_decisions_before(clock_.now() - 1h);
  ASSERT_TRUE(purged);
  EXPECT_EQ(*purged, 2);
  stored = reg_->decisions(0, 10);
  ASSERT_TRUE(stored);
  ASSERT_EQ(stored->size(), 1u);
  EXPECT_EQ(stored->front().decision.message_id, "msg-3");
}

TEST_F(QueryRegisterTest, DecisionQueueDropsTheOldestWhenFull) {
  RegisterOptions options;
  options.max_pending_decisions = 2;
  reopen(options);
  WriterGate gate;
  reg_->append(make_record(1, clock_.now()), gate.hold());
  gate.wait_until_held();
  for (int i = 1; i <= 3; ++i) reg_->record_decision(make_decision(i, false));
  gate.open();
  ASSERT_TRUE(reg_->flush());
  EXPECT_EQ(reg_->stats().decisions_dropped, 1);
  Result<std::vector<StoredDecision>> stored = reg_->decisions(0, 10);
  ASSERT_TRUE(stored);
  ASSERT_EQ(stored->size(), 2u);
  EXPECT_EQ((*stored)[0].decision.message_id, "msg-2");
}

TEST(ChainHash, EncodingIsTheDocumentedOne) {
  // The worked example of docs/protocol/query-register.md.
  ChainFields f;
  f.seq = 1;
  f.prev_hash = kGenesisHash;
  f.created_at_ms = 1'800'000'000'000;
  f.side = RecordSide::kClient;
  f.kind = RecordKind::kRequest;
  f.message_id = "m1";
  f.request_id = "r1";
  f.client = "MX/GOB/1001/a";
  f.service = "MX/GOB/2002/b/s/v1";
  f.user_id = "";
  const std::string zero(32, '\0');
  f.head_sha256 = zero;
  f.body_sha256 = zero;
  f.estamp_sha256 = zero;
  f.ocsp_produced_at = 1'799'999'400;
  f.deadline = 1'800'028'200;
  EXPECT_EQ(crypto::to_hex(chain_hash(f)), "4678137e96a403d85e1e130a1135f336c4f4e69876f970d6e089a551a5e4fedf");
}

}  // namespace
}  // namespace xacbe::ss
