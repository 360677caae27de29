// The operational log on a temporary file: records written and read back, the bounded queue that
// drops and counts while its writer is held, retention by a moved clock, usage summaries, hostile
// text, and the trace each side of an exchange fills.

#include "monitoring/operational_log.hpp"

#include <gtest/gtest.h>

#include <future>

#include "monitoring/operational_trace.hpp"
#include "support/temp_dir.hpp"
#include "xacbe/utf8.hpp"

namespace xacbe::ss {
namespace {

using namespace std::chrono_literals;

// 2026-11-30T10:00:00Z
const TimePoint kStart = from_unix_seconds(1796032800);

OperationalRecord sample(int i, TimePoint at, std::string result = "ok") {
  OperationalRecord r;
  r.side = i % 2 == 0 ? RecordSide::kProvider : RecordSide::kClient;
  r.client = "MX/GOB/1001/SIS";
  r.service = "MX/GOB/2002/PLAT/consulta";
  r.endpoint = "GET /personas/" + std::to_string(i);
  r.message_id = "msg-" + std::to_string(i);
  r.request_id = "req-" + std::to_string(i);
  r.time_in = at;
  r.time_out = at + 42ms;
  r.request_bytes = 10 * i;
  r.response_bytes = 100 * i;
  r.result = std::move(result);
  r.fault_side = r.result == "ok" ? "" : "provider-side";
  r.client_server = "MX/GOB/1001/SS1";
  r.provider_server = "MX/GOB/2002/SS1";
  r.http_status = r.result == "ok" ? 200 : 403;
  return r;
}

class OperationalLogTest : public ::testing::Test {
 protected:
  std::unique_ptr<OperationalLog> open(OperationalLogOptions options = {}) {
    auto log = OperationalLog::open(dir_.file("operational.db"), clock_, std::move(options));
    EXPECT_TRUE(log.is_ok()) << log.status().to_string();
    return log.is_ok() ? std::move(log).value() : nullptr;
  }
  std::vector<StoredOperationalRecord> all(const OperationalLog& log) {
    OperationalFilter f;
    f.limit = 1000;
    auto page = log.find(f);
    EXPECT_TRUE(page.is_ok()) << page.status().to_string();
    return page.is_ok() ? page->records : std::vector<StoredOperationalRecord>{};
  }

  testing::TempDir dir_;
  ManualClock clock_{kStart};
};

TEST_F(OperationalLogTest, RecordsAreWrittenAndReadBackFieldByField) {
  auto log = open();
  ASSERT_TRUE(log);
  const OperationalRecord one = sample(1, kStart);
  const OperationalRecord two = sample(2, kStart + 1s, "ACCESS_DENIED");
  log->record(one);
  log->record(two);
  ASSERT_TRUE(log->flush().is_ok());
  const auto records = all(*log);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_LT(records[0].id, records[1].id);
  for (std::size_t i = 0; i < 2; ++i) {
    const OperationalRecord& want = i == 0 ? one : two;
    const OperationalRecord& got = records[i].record;
    EXPECT_EQ(got.side, want.side);
    EXPECT_EQ(got.client, want.client);
    EXPECT_EQ(got.service, want.service);
    EXPECT_EQ(got.endpoint, want.endpoint);
    EXPECT_EQ(got.represented_party, "");
    EXPECT_EQ(got.message_id, want.message_id);
    EXPECT_EQ(got.request_id, want.request_id);
    EXPECT_EQ(got.time_in, want.time_in);
    EXPECT_EQ(got.time_out, want.time_out);
    EXPECT_EQ(got.request_bytes, want.request_bytes);
    EXPECT_EQ(got.response_bytes, want.response_bytes);
    EXPECT_EQ(got.result, want.result);
    EXPECT_EQ(got.fault_side, want.fault_side);
    EXPECT_EQ(got.client_server, want.client_server);
    EXPECT_EQ(got.provider_server, want.provider_server);
    EXPECT_EQ(got.http_status, want.http_status);
  }
  const OperationalStats s = log->stats();
  EXPECT_EQ(s.written, 2);
  EXPECT_EQ(s.dropped, 0);
  EXPECT_EQ(s.queued, 0);
  EXPECT_GE(s.batches, 1);
}

TEST_F(OperationalLogTest, RecordsSurviveReopening) {
  {
    auto log = open();
    ASSERT_TRUE(log);
    log->record(sample(1, kStart));
  }  // the destructor writes what is queued
  auto log = open();
  ASSERT_TRUE(log);
  const auto records = all(*log);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].record.message_id, "msg-1");
}

TEST_F(OperationalLogTest, AFullQueueDropsAndCountsWithoutWaitingForABlockedWriter) {
  std::promise<void> entered, release;
  std::shared_future<void> released = release.get_future().share();
  bool first = true;
  OperationalLogOptions options;
  options.max_queue = 5;
  options.before_batch = [&] {
    if (!first) return;
    first = false;
    entered.set_value();
    released.wait();  // the writer is stuck, as behind a disk that does not answer
  };
  auto log = open(options);
  ASSERT_TRUE(log);
  log->record(sample(1, kStart));
  ASSERT_EQ(entered.get_future().wait_for(10s), std::future_status::ready);
  // The writer holds none of the queue yet: the first record and four more fill it; the rest drop.
  auto flood = std::async(std::launch::async, [&] {
    for (int i = 2; i <= 1000; ++i) log->record(sample(i, kStart));
  });
  ASSERT_EQ(flood.wait_for(10s), std::future_status::ready) << "record() waited for the blocked writer";
  OperationalStats s = log->stats();
  EXPECT_EQ(s.queued, 5);
  EXPECT_EQ(s.dropped, 995);
  EXPECT_EQ(s.written, 0);
  EXPECT_EQ(s.capacity, 5u);
  release.set_value();
  ASSERT_TRUE(log->flush().is_ok());
  s = log->stats();
  EXPECT_EQ(s.written, 5);
  EXPECT_EQ(s.dropped, 995);
  const auto records = all(*log);
  ASSERT_EQ(records.size(), 5u);
  EXPECT_EQ(records.front().record.message_id, "msg-1");
  EXPECT_EQ(records.back().record.message_id, "msg-5");  // the newest were dropped, not the oldest
}

TEST_F(OperationalLogTest, RetentionRemovesRecordsOlderThanItsDaysByTheClock) {
  OperationalLogOptions options;
  options.retention = std::chrono::hours(24 * 7);
  auto log = open(options);
  ASSERT_TRUE(log);
  log->record(sample(1, clock_.now()));
  clock_.advance(std::chrono::hours(24 * 3));
  log->record(sample(2, clock_.now()));
  ASSERT_TRUE(log->flush().is_ok());

  auto purged = log->purge_expired();  // nothing is a week old yet
  ASSERT_TRUE(purged.is_ok()) << purged.status().to_string();
  EXPECT_EQ(*purged, 0);
  EXPECT_EQ(all(*log).size(), 2u);

  clock_.advance(std::chrono::hours(24 * 4) + 1ms);  // the first is 7 days and 1 ms old
  purged = log->purge_expired();
  ASSERT_TRUE(purged.is_ok());
  EXPECT_EQ(*purged, 1);
  auto left = all(*log);
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].record.message_id, "msg-2");

  clock_.advance(std::chrono::hours(24 * 3));
  purged = log->purge_expired();
  ASSERT_TRUE(purged.is_ok());
  EXPECT_EQ(*purged, 1);
  EXPECT_TRUE(all(*log).empty());
  EXPECT_EQ(log->stats().purged, 2);
}

TEST_F(OperationalLogTest, OpenRefusesBoundsThatCannotWork) {
  for (auto change : std::vector<std::function<void(OperationalLogOptions&)>>{
           [](OperationalLogOptions& o) { o.max_queue = 0; }, [](OperationalLogOptions& o) { o.max_batch = 0; },
           [](OperationalLogOptions& o) { o.retention = std::chrono::seconds(0); }}) {
    OperationalLogOptions options;
    change(options);
    auto log = OperationalLog::open(dir_.file("bad.db"), clock_, options);
    EXPECT_FALSE(log.is_ok());
    EXPECT_EQ(log.status().code(), Code::kInvalidArgument);
  }
}

TEST_F(OperationalLogTest, HostileTextIsStoredValidAndBounded) {
  auto log = open();
  ASSERT_TRUE(log);
  OperationalRecord r = sample(1, kStart);
  r.client = std::string("MX/\xff\xfe/\0x\n\r\x1b[31m", 15) + std::string(5000, 'c');
  r.service = std::string(100000, 's');
  r.endpoint = "GET /" + std::string(4000, '\xc3');  // lone lead bytes
  r.message_id = std::string(300, 'm') + "\xe2\x82";
  r.request_id = std::string(1000, 'r');
  r.represented_party = std::string(2000, 'p');
  r.result = std::string(500, 'R');
  r.fault_side = std::string(500, 'F');
  r.client_server = std::string(2000, 'a');
  r.provider_server = "\xf0\x9f\x98";
  r.request_bytes = -5;
  log->record(r);
  ASSERT_TRUE(log->flush().is_ok());
  const auto records = all(*log);
  ASSERT_EQ(records.size(), 1u);
  const OperationalRecord& got = records[0].record;
  for (const std::string* text :
       {&got.client, &got.service, &got.endpoint, &got.message_id, &got.request_id, &got.represented_party, &got.result,
        &got.fault_side, &got.client_server, &got.provider_server}) {
    EXPECT_TRUE(is_utf8(*text));
    EXPECT_EQ(text->find('\0'), std::string::npos);
  }
  EXPECT_LE(got.client.size(), kMaxOperationalIdentifierBytes);
  EXPECT_EQ(got.client.substr(0, 3), "MX/");
  EXPECT_LE(got.service.size(), kMaxOperationalIdentifierBytes);
  EXPECT_LE(got.endpoint.size(), kMaxEndpointBytes);
  EXPECT_LE(got.message_id.size(), kMaxOperationalMessageIdBytes);
  EXPECT_LE(got.request_id.size(), kMaxOperationalMessageIdBytes);
  EXPECT_LE(got.represented_party.size(), kMaxOperationalIdentifierBytes);
  EXPECT_LE(got.result.size(), kMaxResultBytes);
  EXPECT_LE(got.fault_side.size(), kMaxFaultSideBytes);
  EXPECT_NE(got.provider_server.find("\xef\xbf\xbd"), std::string::npos);  // the cut character is U+FFFD
  EXPECT_EQ(got.request_bytes, 0);
}

TEST_F(OperationalLogTest, FiltersSelectAndPagesFollowInIdOrder) {
  auto log = open();
  ASSERT_TRUE(log);
  for (int i = 1; i <= 6; ++i)
    log->record(sample(i, kStart + std::chrono::minutes(i), i == 3 ? "ACCESS_DENIED" : "ok"));
  OperationalRecord other = sample(7, kStart + 7min);
  other.client = "MX/GOB/3003/OTRO";
  log->record(other);
  ASSERT_TRUE(log->flush().is_ok());

  OperationalFilter f;
  f.limit = 2;
  auto page = log->find(f);
  ASSERT_TRUE(page.is_ok());
  ASSERT_EQ(page->records.size(), 2u);
  EXPECT_TRUE(page->more);
  f.after_id = page->next_after;
  f.limit = 10;
  page = log->find(f);
  ASSERT_TRUE(page.is_ok());
  EXPECT_EQ(page->records.size(), 5u);
  EXPECT_FALSE(page->more);

  OperationalFilter failed;
  failed.result = "failed";
  page = log->find(failed);
  ASSERT_TRUE(page.is_ok());
  ASSERT_EQ(page->records.size(), 1u);
  EXPECT_EQ(page->records[0].record.message_id, "msg-3");

  OperationalFilter window;
  window.from = kStart + 2min;
  window.to = kStart + 4min;          // msg-2 and msg-3
  window.side = RecordSide::kClient;  // odd i: msg-3
  page = log->find(window);
  ASSERT_TRUE(page.is_ok());
  ASSERT_EQ(page->records.size(), 1u);
  EXPECT_EQ(page->records[0].record.message_id, "msg-3");

  OperationalFilter by_client;
  by_client.client = "MX/GOB/3003/OTRO";
  page = log->find(by_client);
  ASSERT_TRUE(page.is_ok());
  ASSERT_EQ(page->records.size(), 1u);

  // A member reads its own side's records: the client's on the client side, the service's on the
  // provider side.
  OperationalFilter caller;
  caller.members = std::vector<id::MemberId>{*id::MemberId::parse("MX/GOB/1001")};
  page = log->find(caller);
  ASSERT_TRUE(page.is_ok());
  for (const auto& r : page->records) EXPECT_EQ(r.record.side, RecordSide::kClient) << r.record.message_id;
  EXPECT_EQ(page->records.size(), 3u);  // msg-1, 3, 5 (msg-7 is another member's client)
  OperationalFilter provider;
  provider.members = std::vector<id::MemberId>{*id::MemberId::parse("MX/GOB/2002")};
  page = log->find(provider);
  ASSERT_TRUE(page.is_ok());
  EXPECT_EQ(page->records.size(), 3u);  // msg-2, 4, 6
  OperationalFilter nobody;
  nobody.members = std::vector<id::MemberId>{};
  page = log->find(nobody);
  ASSERT_TRUE(page.is_ok());
  EXPECT_TRUE(page->records.empty());

  OperationalFilter bad;
  bad.limit = 0;
  EXPECT_EQ(log->find(bad).status().code(), Code::kInvalidArgument);
  bad.limit = 1001;
  EXPECT_EQ(log->find(bad).status().code(), Code::kInvalidArgument);
}

TEST_F(OperationalLogTest, UsageSumsEachDayClientServiceAndSide) {
  auto log = open();
  ASSERT_TRUE(log);
  // Day 1 (2026-11-30): three client-side exchanges, one failed; one provider-side.
  log->record(sample(1, kStart));
  log->record(sample(3, kStart + 1h, "SERVICE_FAILED"));
  log->record(sample(5, kStart + 2h));
  log->record(sample(2, kStart + 3h));
  // Day 2 (2026-12-01): one client-side exchange.
  log->record(sample(7, kStart + 24h));
  ASSERT_TRUE(log->flush().is_ok());

  const TimePoint day1 = from_unix_seconds(1795996800);  // 2026-11-30T00:00:00Z
  auto usage = log->usage(day1, day1 + 48h, std::nullopt);
  ASSERT_TRUE(usage.is_ok()) << usage.status().to_string();
  ASSERT_EQ(usage->lines.size(), 3u);
  EXPECT_FALSE(usage->truncated);
  const UsageLine& client1 = usage->lines[0];
  EXPECT_EQ(client1.day, "2026-11-30");
  EXPECT_EQ(client1.side, RecordSide::kClient);
  EXPECT_EQ(client1.ok, 2);
  EXPECT_EQ(client1.failed, 1);
  EXPECT_EQ(client1.request_bytes, 10 + 30 + 50);
  EXPECT_EQ(client1.response_bytes, 100 + 300 + 500);
  EXPECT_EQ(usage->lines[1].day, "2026-11-30");
  EXPECT_EQ(usage->lines[1].side, RecordSide::kProvider);
  EXPECT_EQ(usage->lines[1].ok, 1);
  EXPECT_EQ(usage->lines[2].day, "2026-12-01");
  EXPECT_EQ(usage->lines[2].ok, 1);

  // One day only, and at most one line.
  usage = log->usage(day1 + 24h, day1 + 48h, std::nullopt);
  ASSERT_TRUE(usage.is_ok());
  ASSERT_EQ(usage->lines.size(), 1u);
  usage = log->usage(day1, day1 + 48h, std::nullopt, 1);
  ASSERT_TRUE(usage.is_ok());
  EXPECT_EQ(usage->lines.size(), 1u);
  EXPECT_TRUE(usage->truncated);
  // The provider's member sees its own side only.
  usage = log->usage(day1, day1 + 48h, std::vector<id::MemberId>{*id::MemberId::parse("MX/GOB/2002")});
  ASSERT_TRUE(usage.is_ok());
  ASSERT_EQ(usage->lines.size(), 1u);
  EXPECT_EQ(usage->lines[0].side, RecordSide::kProvider);

  EXPECT_EQ(log->usage(day1 + 1h, day1, std::nullopt).status().code(), Code::kInvalidArgument);
}

TEST(OperationalTraceTest, FinishRecordsOnceWithTheAnswersFaultSideAndSizes) {
  testing::TempDir dir;
  ManualClock clock(kStart);
  auto log = OperationalLog::open(dir.file("operational.db"), clock);
  ASSERT_TRUE(log.is_ok());
  {
    OperationalTrace trace(log->get(), clock, RecordSide::kClient, "MX/GOB/1001/SS1", 12);
    trace.set_endpoint("POST", "/consultas");
    trace.set_request_id("req-9");
    trace.set_peer_server("MX/GOB/2002/SS1");
    clock.advance(250ms);
    net::HttpResponse answer = net::HttpResponse::make(403, "application/json", "{\"error\":{}}");
    answer.headers.emplace_back("X-Xacbe-Error", "provider-side.ACCESS_DENIED");
    trace.finish("ACCESS_DENIED", "MX/GOB/1001/SIS", "MX/GOB/2002/PLAT/consulta", "msg-9", answer);
    trace.finish("ok", "x", "y", "z", answer);  // a second end is ignored
  }
  {
    OperationalTrace provider(log->get(), clock, RecordSide::kProvider, "MX/GOB/2002/SS1", 0);
    provider.finish("MALFORMED_MESSAGE", "", "", "", net::HttpResponse::make(400, "application/json", ""));
  }
  OperationalTrace none(nullptr, clock, RecordSide::kClient, "MX/GOB/1001/SS1", 1);
  none.finish("ok", "a", "b", "c", net::HttpResponse{});  // no log: nothing happens
  ASSERT_TRUE((*log)->flush().is_ok());
  OperationalFilter all;
  auto page = (*log)->find(all);
  ASSERT_TRUE(page.is_ok());
  ASSERT_EQ(page->records.size(), 2u);
  const OperationalRecord& r = page->records[0].record;
  EXPECT_EQ(r.side, RecordSide::kClient);
  EXPECT_EQ(r.endpoint, "POST /consultas");
  EXPECT_EQ(r.request_id, "req-9");
  EXPECT_EQ(r.client_server, "MX/GOB/1001/SS1");
  EXPECT_EQ(r.provider_server, "MX/GOB/2002/SS1");
  EXPECT_EQ(r.result, "ACCESS_DENIED");
  EXPECT_EQ(r.fault_side, "provider-side");
  EXPECT_EQ(r.http_status, 403);
  EXPECT_EQ(r.request_bytes, 12);
  EXPECT_EQ(r.response_bytes, 12);
  EXPECT_EQ(r.time_out - r.time_in, 250ms);
  const OperationalRecord& p = page->records[1].record;
  EXPECT_EQ(p.side, RecordSide::kProvider);
  EXPECT_EQ(p.provider_server, "MX/GOB/2002/SS1");
  EXPECT_EQ(p.client_server, "");  // refused before the peer was known
  EXPECT_EQ(p.fault_side, "");     // the answer had no X-Xacbe-Error
  EXPECT_EQ(p.http_status, 400);
}

}  // namespace
}  // namespace xacbe::ss
