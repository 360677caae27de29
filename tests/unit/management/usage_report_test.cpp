// The report-usage management request (docs/protocol/management-requests.md, "report-usage"):
// built, signed and parsed back; every malformed payload refused with its own reason.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "support/test_pki.hpp"
#include "xacbe/management/management_request.hpp"

namespace xacbe::management {
namespace {

using namespace std::chrono;
using Json = nlohmann::json;

// 2026-11-23 15:00:00 UTC.
const TimePoint kNow = sys_days{year{2026} / November / 23} + hours(15);
const sys_seconds kCreated = floor<seconds>(kNow);
const id::SecurityServerId kServer = id::SecurityServerId::parse("QROO/EST/FGE/SS1").value();

UsageRow row(year_month_day day, UsageSide side, const std::string& client, const std::string& service,
             std::uint64_t requests, std::uint64_t succeeded, std::uint64_t refused) {
  return UsageRow{day,
                  side,
                  id::ClientId::parse(client).value(),
                  id::ServiceId::parse(service).value(),
                  requests,
                  succeeded,
                  requests - succeeded,
                  refused};
}

TEST(UsageReportTest, RoundTripsThroughBuildSignAndParse) {
  ManualClock clock{kNow};
  xacbe::testing::TestPki pki{clock};
  const auto signer = pki.issue(ca::Profile::kAuthentication, "QROO/EST/FGE/SS1");
  const year_month_day d22 = year{2026} / November / 22, d23 = year{2026} / November / 23;
  UsageReport report{d22, d23, {}};
  report.rows.push_back(row(d22, UsageSide::kClient, "QROO/EST/FGE/SIS", "QROO/EST/SSP/SIS/antecedentes", 5, 4, 0));
  report.rows.push_back(row(d23, UsageSide::kProvider, "QROO/EST/SSP/SIS", "QROO/EST/FGE/SIS/carpetas/v2", 3, 3, 2));
  report.rows.push_back(row(d23, UsageSide::kProvider, "QROO/EST/SSP", "QROO/EST/FGE/SIS/carpetas", 0, 0, 7));
  const Request built = make_report_usage(kServer, kCreated, report);
  auto signed_request = sign_request(built, signer.key, signer.cert);
  ASSERT_TRUE(signed_request.is_ok()) << signed_request.status().to_string();
  auto parsed = parse_request(signed_request->request, "QROO");
  ASSERT_TRUE(parsed.is_ok()) << parsed.status().to_string();
  EXPECT_EQ(parsed->type, RequestType::kReportUsage);
  EXPECT_EQ(request_type_name(parsed->type), "report-usage");
  ASSERT_TRUE(parsed->usage.has_value());
  EXPECT_EQ(parsed->usage->from, d22);
  EXPECT_EQ(parsed->usage->to, d23);
  ASSERT_EQ(parsed->usage->rows.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    const UsageRow& a = parsed->usage->rows[i];
    const UsageRow& b = report.rows[i];
    EXPECT_EQ(a.day, b.day);
    EXPECT_EQ(a.side, b.side);
    EXPECT_EQ(a.client, b.client);
    EXPECT_EQ(a.service, b.service);
    EXPECT_EQ(a.requests, b.requests);
    EXPECT_EQ(a.succeeded, b.succeeded);
    EXPECT_EQ(a.failed, b.failed);
    EXPECT_EQ(a.refused, b.refused);
  }
  // A report without rows is a report too: the server had no exchanges, and says so.
  auto empty = to_json(make_report_usage(kServer, kCreated, UsageReport{d23, d23, {}}));
  ASSERT_TRUE(empty.is_ok()) << empty.status().to_string();
  EXPECT_NE(empty->find(R"("payload":{"from":"2026-11-23","rows":[],"to":"2026-11-23"})"), std::string::npos) << *empty;
}

TEST(UsageReportTest, BuilderRefusesAReportThatBreaksTheRules) {
  const year_month_day d23 = year{2026} / November / 23;
  UsageReport inconsistent{d23, d23, {row(d23, UsageSide::kClient, "QROO/EST/FGE/SIS", "QROO/EST/SSP/SIS/a", 5, 4, 0)}};
  inconsistent.rows[0].failed = 0;
  EXPECT_EQ(to_json(make_report_usage(kServer, kCreated, inconsistent)).status().code(), Code::kInvalidArgument);
  Request missing = make_report_usage(kServer, kCreated, UsageReport{d23, d23, {}});
  missing.usage.reset();
  EXPECT_EQ(to_json(missing).status().code(), Code::kInvalidArgument);
}

Json valid_row() {
  return {{"day", "2026-11-23"}, {"side", "provider"},  {"client", "QROO/EST/SSP/SIS"},
          {"service", "QROO/EST/FGE/SIS/carpetas"},    {"requests", 3}, {"succeeded", 2},
          {"failed", 1},         {"refused", 1}};
}

Json request_with(Json payload) {
  return {{"type", "report-usage"},
          {"server", "QROO/EST/FGE/SS1"},
          {"request_id", "usage-0001"},
          {"created_at", "2026-11-23T15:00:00Z"},
          {"payload", std::move(payload)}};
}

Json payload_with_rows(Json rows) {
  return {{"from", "2026-11-22"}, {"to", "2026-11-23"}, {"rows", std::move(rows)}};
}

Json row_with(const std::string& key, Json value) {
  Json r = valid_row();
  r[key] = std::move(value);
  return r;
}

TEST(UsageReportTest, AcceptsTheValidReportTheRowsSpoil) {
  auto parsed = parse_request(request_with(payload_with_rows(Json::array({valid_row()}))).dump(), "QROO");
  ASSERT_TRUE(parsed.is_ok()) << parsed.status().to_string();
  EXPECT_EQ(parsed->usage->rows.at(0).refused, 1u);
}

TEST(UsageReportTest, RefusesEveryMalformedReportWithItsOwnReason) {
  Json without_refused = valid_row();
  without_refused.erase("refused");
  Json extra = valid_row();
  extra["bytes"] = 10;
  Json other_client = valid_row();
  other_client["client"] = "QROO/EST/FGE/SIS";
  Json many = Json::array();
  for (std::size_t i = 0; i <= kMaxUsageRows; ++i) {
    many.push_back(row_with("service", "QROO/EST/FGE/SIS/s" + std::to_string(i)));
  }
  struct Row {
    const char* name;
    Json payload;
    std::string message;
  };
  const std::vector<Row> rows = {
      {"payload not an object", Json::array(), "'payload' is not an object"},
      {"missing rows", {{"from", "2026-11-22"}, {"to", "2026-11-23"}}, "missing field 'payload.rows'"},
      {"unknown payload field", {{"from", "2026-11-22"}, {"to", "2026-11-23"}, {"rows", Json::array()}, {"x", 1}},
       "unknown field 'payload.x'"},
      {"from not a day", {{"from", "2026-11-31"}, {"to", "2026-11-23"}, {"rows", Json::array()}},
       "'payload.from': '2026-11-31' is not an existing day"},
      {"to not a string", {{"from", "2026-11-22"}, {"to", 20261123}, {"rows", Json::array()}},
       "'payload.to' is not a string"},
      {"from after to", {{"from", "2026-11-23"}, {"to", "2026-11-22"}, {"rows", Json::array()}},
       "'from' is after its 'to'"},
      {"period too long", {{"from", "2026-10-01"}, {"to", "2026-11-23"}, {"rows", Json::array()}},
       "a period is at most 32 days"},
      {"period in the future", {{"from", "2026-11-23"}, {"to", "2026-11-24"}, {"rows", Json::array()}},
       "ends after the day of created_at"},
      {"rows not an array", {{"from", "2026-11-22"}, {"to", "2026-11-23"}, {"rows", Json::object()}},
       "'payload.rows' is not an array"},
      {"too many rows", payload_with_rows(many), "more than 100 rows"},
      {"row not an object", payload_with_rows(Json::array({1})), "'payload.rows[]' is not an object"},
      {"row field missing", payload_with_rows(Json::array({without_refused})), "missing field 'payload.rows[].refused'"},
      {"row field unknown", payload_with_rows(Json::array({extra})), "unknown field 'payload.rows[].bytes'"},
      {"day outside the period", payload_with_rows(Json::array({row_with("day", "2026-11-21")})),
       "outside the period"},
      {"day malformed", payload_with_rows(Json::array({row_with("day", "23/11/2026")})), "is not an existing day"},
      {"bad side", payload_with_rows(Json::array({row_with("side", "both")})), "side is client or provider"},
      {"bad client", payload_with_rows(Json::array({row_with("client", "QROO/est/FGE")})), "bad client id"},
      {"bad service", payload_with_rows(Json::array({row_with("service", "QROO/EST/FGE/SIS")})), "bad service id"},
      {"client of another instance", payload_with_rows(Json::array({row_with("client", "QROO-TEST/EST/SSP")})),
       "belong to the server's instance QROO"},
      {"service of another instance",
       payload_with_rows(Json::array({row_with("service", "QROO-TEST/EST/FGE/SIS/carpetas")})),
       "belong to the server's instance QROO"},
      {"negative count", payload_with_rows(Json::array({row_with("refused", -1)})), "'payload.rows[].refused' is not"},
      {"fractional count", payload_with_rows(Json::array({row_with("requests", 1.5)})), "'payload.rows[].requests'"},
      {"text count", payload_with_rows(Json::array({row_with("failed", "1")})), "'payload.rows[].failed'"},
      {"oversize count", payload_with_rows(Json::array({row_with("refused", kMaxUsageCount + 1)})),
       "'payload.rows[].refused' is not an integer"},
      {"inconsistent counts", payload_with_rows(Json::array({row_with("succeeded", 3)})),
       "requests are not its succeeded plus its failed"},
      {"duplicate row", payload_with_rows(Json::array({valid_row(), row_with("refused", 9)})),
       "two rows of the same day, side, client and service"},
  };
  for (const Row& r : rows) {
    SCOPED_TRACE(r.name);
    auto parsed = parse_request(request_with(r.payload).dump(), "QROO");
    ASSERT_FALSE(parsed.is_ok());
    EXPECT_EQ(parsed.status().code(), Code::kInvalidArgument);
    EXPECT_NE(parsed.status().message().find(r.message), std::string::npos) << parsed.status().to_string();
  }
  // The same row on the other side, or of another day, is another row.
  auto parsed = parse_request(
      request_with(payload_with_rows(Json::array({valid_row(), row_with("side", "client"), row_with("day", "2026-11-22")})))
          .dump(),
      "QROO");
  EXPECT_TRUE(parsed.is_ok()) << parsed.status().to_string();
}

TEST(UsageReportTest, EchoesHostileTextOnlyBoundedAndEscaped) {
  for (const Json& payload : {payload_with_rows(Json::array({row_with("day", std::string(1, '\x01').append(5000, '9'))})),
                              payload_with_rows(Json::array({row_with("day", "2026-1\n-23")})),
                              payload_with_rows(Json::array({row_with("client", std::string("QROO/EST/\x02").append(5000, 'x'))})),
                              Json{{"from", std::string(5000, '2')}, {"to", "2026-11-23"}, {"rows", Json::array()}}}) {
    auto parsed = parse_request(request_with(payload).dump(), "QROO");
    ASSERT_FALSE(parsed.is_ok());
    const std::string& message = parsed.status().message();
    EXPECT_LT(message.size(), 400u) << message.substr(0, 400);
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    EXPECT_EQ(message.find('\x01'), std::string::npos) << message;
    EXPECT_EQ(message.find('\x02'), std::string::npos) << message;
  }
}

}  // namespace
}  // namespace xacbe::management
