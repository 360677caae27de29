// The security server's usage statistics (usage/usage_reporter.hpp): counted from the query
// register per UTC day, side, client and service, sent as signed report-usage requests, the
// finished days remembered only once the registry took every request of a round.
#include "usage/usage_reporter.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "register/query_register.hpp"
#include "support/temp_dir.hpp"
#include "support/test_pki.hpp"
#include "xacbe/crypto/cms.hpp"
#include "xacbe/crypto/encoding.hpp"
#include "xacbe/file.hpp"

namespace xacbe::ss {
namespace {

using namespace std::chrono;
using management::UsageRow;
using management::UsageSide;

// 2026-11-22 10:00 UTC.
const TimePoint kDay1 = sys_days{year{2026} / November / 22} + hours(10);
const std::string kCarpetas = "QROO/EST/FGE/SIS/carpetas";
const std::string kAntecedentes = "QROO/EST/SSP/SIS/antecedentes";

class UsageReporterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto reg = QueryRegister::open(dir_.file("register.db"), clock_);
    ASSERT_TRUE(reg.is_ok()) << reg.status().to_string();
    register_ = std::move(reg).value();
    xacbe::testing::KeyAndCert auth = pki_.issue(ca::Profile::kAuthentication, "QROO/EST/FGE/SS1");
    auth_key_ = std::make_shared<const crypto::PrivateKey>(std::move(auth.key));
    auth_cert_ = std::make_unique<crypto::Certificate>(auth.cert);
  }

  // One record of exchange `exchange` (its request_id), as the exchange sides append them.
  void append(RecordSide side, RecordKind kind, const std::string& exchange, const std::string& client,
              const std::string& service, int status = 200) {
    RecordInput in;
    in.side = side;
    in.kind = kind;
    in.message_id = "msg-" + exchange;
    in.request_id = exchange;
    in.client = client;
    in.service = service;
    in.head = kind == RecordKind::kResponse ? R"({"status":)" + std::to_string(status) + "}" : R"({"method":"GET"})";
    in.body = "{}";
    in.body_sha256 = crypto::sha256(*in.body);
    in.estamp = "<ds:Signature/>";
    in.ocsp_produced_at = floor<seconds>(clock_.now()) - minutes(10);
    in.deadline = in.ocsp_produced_at + hours(8);
    auto ref = register_->append_blocking(std::move(in));
    ASSERT_TRUE(ref.is_ok()) << ref.status().to_string();
  }
  void exchange(RecordSide side, const std::string& id, const std::string& client, const std::string& service,
                int status = 200) {
    append(side, RecordKind::kRequest, id, client, service);
    append(side, RecordKind::kResponse, id, client, service, status);
  }
  void refusal(RecordSide side, const std::string& client, const std::string& service, bool allowed = false) {
    register_->record_decision(Decision{side, client, service, "msg", "peer", allowed, "acl", "reason"});
  }

  std::unique_ptr<UsageReporter> reporter(UsageReporter::Send send) {
    auto r = UsageReporter::create(*register_, clock_, id::SecurityServerId::parse("QROO/EST/FGE/SS1").value(),
                                   auth_key_, *auth_cert_, std::move(send),
                                   dir_.file("usage-report.json"));
    EXPECT_TRUE(r.is_ok()) << r.status().to_string();
    return r.is_ok() ? std::move(r).value() : nullptr;
  }

  // A Send that keeps what it was given, parsed as the registry parses it.
  UsageReporter::Send keep(std::vector<management::Request>& sent, Status outcome = Status::ok()) {
    return [this, &sent, outcome](const management::SignedRequest& s) -> Status {
      auto verified = crypto::cms_verify_detached(s.signature, s.request, {pki_.root()}, clock_.now());
      EXPECT_TRUE(verified.is_ok()) << verified.status().to_string();
      auto parsed = management::parse_request(s.request, "QROO");
      EXPECT_TRUE(parsed.is_ok()) << parsed.status().to_string();
      if (parsed) sent.push_back(std::move(parsed).value());
      return outcome;
    };
  }

  static const UsageRow* find(const std::vector<UsageRow>& rows, year_month_day day, UsageSide side,
                              const std::string& client, const std::string& service) {
    for (const UsageRow& r : rows) {
      if (r.day == day && r.side == side && r.client.to_string() == client && r.service.to_string() == service) return &r;
    }
    return nullptr;
  }

  ManualClock clock_{kDay1};
  xacbe::testing::TempDir dir_;
  xacbe::testing::TestPki pki_{clock_};
  std::unique_ptr<QueryRegister> register_;
  std::shared_ptr<const crypto::PrivateKey> auth_key_;
  std::unique_ptr<crypto::Certificate> auth_cert_;
};

TEST_F(UsageReporterTest, CountsTheRegisterPerDaySideClientAndService) {
  const year_month_day d1 = year{2026} / November / 22, d2 = year{2026} / November / 23;
  exchange(RecordSide::kProvider, "x1", "QROO/EST/SSP/SIS", kCarpetas);
  exchange(RecordSide::kProvider, "x2", "QROO/EST/SSP/SIS", kCarpetas);
  exchange(RecordSide::kProvider, "x3", "QROO/EST/SSP/SIS", kCarpetas, 500);  // the provider's system failed
  append(RecordSide::kClient, RecordKind::kRequest, "x4", "QROO/EST/FGE/SIS", kAntecedentes);  // refused over there
  refusal(RecordSide::kProvider, "QROO/EST/SSP/SIS", kCarpetas);
  refusal(RecordSide::kProvider, "QROO/EST/SSP/SIS", kCarpetas, /*allowed=*/true);  // not a refusal
  refusal(RecordSide::kProvider, "not an id", "\x01garbage");                       // left out
  clock_.advance(hours(24));
  exchange(RecordSide::kProvider, "x5", "QROO/EST/SSP/SIS", kCarpetas);
  ASSERT_TRUE(register_->flush().is_ok());

  std::vector<management::Request> sent;
  auto r = reporter(keep(sent));
  auto count = r->report_once();
  ASSERT_TRUE(count.is_ok()) << count.status().to_string();
  EXPECT_EQ(*count, 1u);
  ASSERT_EQ(sent.size(), 1u);
  const management::UsageReport& report = *sent[0].usage;
  EXPECT_EQ(sys_days(report.to), sys_days(d2));
  EXPECT_EQ(sys_days(report.from), sys_days(d2) - days(management::kMaxUsagePeriodDays - 1));
  ASSERT_EQ(report.rows.size(), 3u);
  const UsageRow* provider1 = find(report.rows, d1, UsageSide::kProvider, "QROO/EST/SSP/SIS", kCarpetas);
  ASSERT_NE(provider1, nullptr);
  EXPECT_EQ(provider1->requests, 3u);
  EXPECT_EQ(provider1->succeeded, 2u);
  EXPECT_EQ(provider1->failed, 1u);
  EXPECT_EQ(provider1->refused, 1u);
  const UsageRow* client1 = find(report.rows, d1, UsageSide::kClient, "QROO/EST/FGE/SIS", kAntecedentes);
  ASSERT_NE(client1, nullptr);
  EXPECT_EQ(client1->requests, 1u);
  EXPECT_EQ(client1->succeeded, 0u);
  EXPECT_EQ(client1->failed, 1u);
  const UsageRow* provider2 = find(report.rows, d2, UsageSide::kProvider, "QROO/EST/SSP/SIS", kCarpetas);
  ASSERT_NE(provider2, nullptr);
  EXPECT_EQ(provider2->requests, 1u);
  EXPECT_EQ(provider2->succeeded, 1u);
  EXPECT_EQ(provider2->refused, 0u);
  // The finished day is remembered.
  ASSERT_TRUE(r->reported_through().has_value());
  EXPECT_EQ(*r->reported_through(), d1);
  EXPECT_EQ(read_file(dir_.file("usage-report.json")).value(), "{\"reported_through\":\"2026-11-22\"}\n");
}

TEST_F(UsageReporterTest, ReportsTheCurrentDayAgainAndFinishedDaysOnce) {
  exchange(RecordSide::kProvider, "x1", "QROO/EST/SSP/SIS", kCarpetas);
  clock_.advance(hours(24));
  ASSERT_TRUE(register_->flush().is_ok());
  std::vector<management::Request> sent;
  auto r = reporter(keep(sent));
  ASSERT_TRUE(r->report_once().is_ok());
  exchange(RecordSide::kProvider, "x2", "QROO/EST/SSP/SIS", kCarpetas);
  ASSERT_TRUE(register_->flush().is_ok());
  ASSERT_TRUE(r->report_once().is_ok());
  ASSERT_EQ(sent.size(), 2u);
  // The second round covers today alone, with its exchange so far.
  const management::UsageReport& second = *sent[1].usage;
  EXPECT_EQ(second.from, second.to);
  ASSERT_EQ(second.rows.size(), 1u);
  EXPECT_EQ(second.rows[0].requests, 1u);
  // A new reporter (a restart) starts where the state file says.
  std::vector<management::Request> after_restart;
  ASSERT_TRUE(reporter(keep(after_restart))->report_once().is_ok());
  ASSERT_EQ(after_restart.size(), 1u);
  EXPECT_EQ(after_restart[0].usage->from, second.from);
}

TEST_F(UsageReporterTest, AFailedRoundIsRepeatedInFull) {
  exchange(RecordSide::kProvider, "x1", "QROO/EST/SSP/SIS", kCarpetas);
  clock_.advance(hours(24));
  ASSERT_TRUE(register_->flush().is_ok());
  std::vector<management::Request> failed;
  auto refused = reporter(keep(failed, unavailable("registry unreachable")))->report_once();
  ASSERT_FALSE(refused.is_ok());
  EXPECT_EQ(refused.status().code(), Code::kUnavailable);
  EXPECT_FALSE(std::filesystem::exists(dir_.file("usage-report.json")));
  std::vector<management::Request> sent;
  auto r = reporter(keep(sent));
  EXPECT_FALSE(r->reported_through().has_value());
  ASSERT_TRUE(r->report_once().is_ok());
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].usage->from, failed[0].usage->from);
  EXPECT_EQ(sent[0].usage->rows.size(), 1u);
}

TEST_F(UsageReporterTest, ManyRowsAreSplitAndNoExchangesStillReport) {
  std::vector<management::Request> quiet;
  ASSERT_TRUE(reporter(keep(quiet))->report_once().is_ok());
  ASSERT_EQ(quiet.size(), 1u);
  EXPECT_TRUE(quiet[0].usage->rows.empty());

  for (std::size_t i = 0; i < kUsageRowsPerRequest + 5; ++i) {
    exchange(RecordSide::kProvider, std::string("x").append(std::to_string(i)), "QROO/EST/SSP/SIS",
             kCarpetas + std::to_string(i));
  }
  ASSERT_TRUE(register_->flush().is_ok());
  std::vector<management::Request> sent;
  auto count = reporter(keep(sent))->report_once();
  ASSERT_TRUE(count.is_ok()) << count.status().to_string();
  EXPECT_EQ(*count, 2u);
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[0].usage->rows.size(), kUsageRowsPerRequest);
  EXPECT_EQ(sent[1].usage->rows.size(), 5u);
  EXPECT_NE(sent[0].request_id, sent[1].request_id);
}

TEST_F(UsageReporterTest, CountsNamingNoIdOfTheInstanceAreLeftOut) {
  const std::vector<UsageCount> counts = {
      {"2026-11-22", RecordSide::kProvider, "QROO/EST/SSP/SIS", kCarpetas, 2, 1, 0},
      {"2026-11-22", RecordSide::kProvider, "garbage\x01", kCarpetas, 0, 0, 4},
      {"2026-11-22", RecordSide::kProvider, "QROO-TEST/EST/SSP/SIS", kCarpetas, 1, 1, 0},
      {"2026-11-22", RecordSide::kProvider, "QROO/EST/SSP/SIS", "QROO/EST/FGE", 0, 0, 1},
      {"not a day", RecordSide::kProvider, "QROO/EST/SSP/SIS", kCarpetas, 1, 1, 0},
  };
  std::size_t skipped = 0;
  const auto rows = usage_rows(counts, "QROO", &skipped);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].failed, 1u);
  EXPECT_EQ(skipped, 4u);
}

TEST_F(UsageReporterTest, AFloodOfRefusalsIsCutBeforeTheExchanges) {
  const year_month_day d1 = year{2026} / November / 22;
  std::vector<UsageRow> rows;
  for (int i = 0; i < 5; ++i) {
    const bool refusal_only = i % 2 == 0;
    rows.push_back(UsageRow{d1, UsageSide::kProvider, id::ClientId::parse("QROO/EST/X" + std::to_string(i)).value(),
                            id::ServiceId::parse(kCarpetas).value(), refusal_only ? 0u : 1u, refusal_only ? 0u : 1u,
                            0, refusal_only ? 1u : 0u});
  }
  std::vector<UsageRow> cut = rows;
  EXPECT_EQ(cap_usage_rows(cut, 3), 2u);
  ASSERT_EQ(cut.size(), 3u);
  // The two rows with logged requests stay, in their order, then the first refusal.
  EXPECT_EQ(cut[0].client.to_string(), "QROO/EST/X1");
  EXPECT_EQ(cut[1].client.to_string(), "QROO/EST/X3");
  EXPECT_EQ(cut[2].client.to_string(), "QROO/EST/X0");
  std::vector<UsageRow> whole = rows;
  EXPECT_EQ(cap_usage_rows(whole, 5), 0u);
  EXPECT_EQ(whole.size(), 5u);
  EXPECT_EQ(whole[0].client.to_string(), "QROO/EST/X0");
}

TEST_F(UsageReporterTest, RefusesAMalformedStateFile) {
  ASSERT_TRUE(write_file_atomic(dir_.file("usage-report.json"), "{\"reported_through\":\"yesterday\"}").is_ok());
  auto r = UsageReporter::create(*register_, clock_, id::SecurityServerId::parse("QROO/EST/FGE/SS1").value(),
                                 auth_key_, *auth_cert_,
                                 [](const management::SignedRequest&) { return Status::ok(); },
                                 dir_.file("usage-report.json"));
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace xacbe::ss
