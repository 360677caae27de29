// Usage statistics end to end: a federation on loopback (the real registry, CA, OCSP responder,
// TSA and two real security servers), a few exchanges, one of them refused, both servers'
// signed report-usage requests (sent at start: report_at_start, after a restart), and the
// registry's statistics API and CLI, whose counts must be exactly the exchanges made. A third
// registered server that never runs is shown silent, by the API, the CLI and the metric.

#include <gtest/gtest.h>

#include <chrono>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "support/e2e/federation.hpp"
#include "support/e2e/information_system.hpp"
#include "support/process.hpp"
#include "xacbe/crypto/encoding.hpp"
#include "xacbe/net/http_client.hpp"
#include "xacbe/net/http_server.hpp"

namespace xacbe::testing {
namespace {

using Json = nlohmann::json;

const std::string kCarpetas = "QROO/EST/FGE/SIS/carpetas";
const std::string kAntecedentes = "QROO/EST/SSP/SIS/antecedentes";
constexpr int kOk = 3;


// (server, side, client, service) -> (requests, succeeded, failed, refused)
using Counts = std::map<std::tuple<std::string, std::string, std::string, std::string>, std::vector<std::uint64_t>>;

Counts counts_of(const Json& answer) {
  Counts out;
  for (const Json& g : answer.at("groups")) {
    out[{g.at("server"), g.at("side"), g.at("client"), g.at("service")}] = {
        g.at("requests").get<std::uint64_t>(), g.at("succeeded").get<std::uint64_t>(),
        g.at("failed").get<std::uint64_t>(), g.at("refused").get<std::uint64_t>()};
  }
  return out;
}

class UsageReportingTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    federation_ = new Federation(
        {{XACBE_CLI_BIN, XACBE_TSA_BIN, XACBE_OCSP_BIN}, XACBE_REGISTRY_BIN, XACBE_SECURITY_SERVER_BIN});
    Federation& f = *federation_;
    f.admit("QROO/EST/FGE", "Fiscalía General del Estado", {"SIS"});
    f.admit("QROO/EST/SSP", "Secretaría de Seguridad Pública", {"SIS"});
    is_ = new InformationSystemMock();
    fge_ = &f.add_server("QROO/EST/FGE/SS1");
    ssp_ = &f.add_server("QROO/EST/SSP/SS1");
    // Registered, never started: it never reports.
    f.add_server("QROO/EST/FGE/SS2");
    fge_->add_client("QROO/EST/FGE/SIS");
    fge_->add_service(kCarpetas, is_->url(), {"QROO/EST/SSP/SIS"});
    ssp_->add_client("QROO/EST/SSP/SIS");
    // FGE may only GET /personas/*: a POST is refused with ACCESS_DENIED by SSP's server.
    ssp_->add_service(kAntecedentes, is_->url(), {"QROO/EST/FGE/SIS GET /personas/*"});
    for (SecurityServerNode* node : {fge_, ssp_}) {
      // A day between rounds: within the test, a server reports only at start.
      node->config["security_server"]["usage_report"] = {
          {"registry_url", f.registry().url()}, {"interval_seconds", 86400}, {"report_at_start", true}};
      node->start();
    }
  }
  static void TearDownTestSuite() {
    if (::testing::UnitTest::GetInstance()->failed_test_count() > 0) {
      for (auto* node : {fge_, ssp_}) std::cerr << "---- " << node->id << " log ----\n" << node->log();
      std::cerr << "---- registry log ----\n" << federation_->registry().log();
    }
    delete federation_;
    delete is_;
  }

  static net::HttpResponse exchange(SecurityServerNode& node, const std::string& method, const std::string& target,
                                    const std::string& client) {
    net::HttpRequest r;
    r.method = method;
    r.target = target;
    r.headers = {{"X-Xacbe-Client", client}};
    net::ClientOptions options;
    options.timeout = std::chrono::seconds(30);
    auto response = net::http_request(node.client_url() + target, r, options);
    if (!response.is_ok()) throw std::runtime_error(response.status().to_string());
    return std::move(response).value();
  }

  // Each server's last report as the registry lists it.
  static std::map<std::string, Json> reporting() {
    auto reply = federation_->registry().get("/api/v1/statistics/reporting", RegistryProcess::As::kAuditor);
    EXPECT_EQ(reply.status, 200) << reply.http.body;
    std::map<std::string, Json> out;
    for (const Json& s : reply.json.value("servers", Json::array())) out[s.value("server", "")] = s;
    return out;
  }

  // Polls (bounded: 60 s) until both running servers' last reports have `rows` rows.
  static bool wait_for_reports(std::int64_t rows) {
    for (int i = 0; i < 240; ++i) {
      auto servers = reporting();
      bool done = true;
      for (const char* id : {"QROO/EST/FGE/SS1", "QROO/EST/SSP/SS1"}) {
        done = done && servers.count(id) > 0 && !servers[id]["last_report_at"].is_null() &&
               servers[id].value("last_rows", -1) == rows;
      }
      if (done) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    return false;
  }

  static inline Federation* federation_ = nullptr;
  static inline InformationSystemMock* is_ = nullptr;
  static inline SecurityServerNode *fge_ = nullptr, *ssp_ = nullptr;
};

TEST_F(UsageReportingTest, RegistryStatisticsMatchTheExchangesMadeAndShowTheSilentServer) {
  // Both servers reported at start, before any exchange: reports without rows.
  ASSERT_TRUE(wait_for_reports(0)) << reporting()["QROO/EST/FGE/SS1"].dump();
  const Counts before = counts_of(federation_->registry().get("/api/v1/statistics?group_by=server,side,client,service").json);
  EXPECT_TRUE(before.empty());

  for (int i = 0; i < kOk; ++i) {
    ASSERT_EQ(exchange(*ssp_, "GET", "/r1/" + kCarpetas + "/expedientes/" + std::to_string(i), "QROO/EST/SSP/SIS").status,
              200);
  }
  const net::HttpResponse refused = exchange(*fge_, "POST", "/r1/" + kAntecedentes + "/consultas", "QROO/EST/FGE/SIS");
  ASSERT_EQ(refused.status, 403) << refused.body;
  ASSERT_NE(refused.body.find("ACCESS_DENIED"), std::string::npos) << refused.body;

  // The hook: a restart reports at once (report_at_start); each server now has two rows.
  for (SecurityServerNode* node : {fge_, ssp_}) {
    node->stop(15);
    node->start();
  }
  ASSERT_TRUE(wait_for_reports(2)) << reporting()["QROO/EST/FGE/SS1"].dump() << reporting()["QROO/EST/SSP/SS1"].dump();

  // Exactly the exchanges made, from both sides.
  auto all = federation_->registry().get("/api/v1/statistics?group_by=server,side,client,service",
                                         RegistryProcess::As::kAuditor);
  ASSERT_EQ(all.status, 200) << all.http.body;
  const Counts expected = {
      // SSP's client called FGE's service three times, each answered.
      {{"QROO/EST/SSP/SS1", "client", "QROO/EST/SSP/SIS", kCarpetas}, {kOk, kOk, 0, 0}},
      {{"QROO/EST/FGE/SS1", "provider", "QROO/EST/SSP/SIS", kCarpetas}, {kOk, kOk, 0, 0}},
      // FGE's client's POST: logged and failed at FGE's server, refused (never logged) at SSP's.
      {{"QROO/EST/FGE/SS1", "client", "QROO/EST/FGE/SIS", kAntecedentes}, {1, 0, 1, 0}},
      {{"QROO/EST/SSP/SS1", "provider", "QROO/EST/FGE/SIS", kAntecedentes}, {0, 0, 0, 1}},
  };
  EXPECT_EQ(counts_of(all.json), expected) << all.http.body;
  EXPECT_EQ(all.json["total"], (Json{{"requests", 2 * kOk + 1}, {"succeeded", 2 * kOk}, {"failed", 1}, {"refused", 1}}));

  // The provider side counts each exchange once: per service.
  auto provider = federation_->registry().get("/api/v1/statistics?side=provider&group_by=service");
  ASSERT_EQ(provider.status, 200) << provider.http.body;
  ASSERT_EQ(provider.json["groups"].size(), 2u) << provider.http.body;
  EXPECT_EQ(provider.json["groups"][0]["service"], kCarpetas);
  EXPECT_EQ(provider.json["groups"][0]["succeeded"], kOk);
  EXPECT_EQ(provider.json["groups"][1]["service"], kAntecedentes);
  EXPECT_EQ(provider.json["groups"][1]["refused"], 1);

  // The same through the CLI, per member.
  const CommandResult cli = federation_->services().cli(
      {"registry", "--url", federation_->registry().url(), "--token-file", federation_->registry().auditor().file,
       "statistics", "--member", "QROO/EST/SSP", "--side", "client", "--group-by", "client,service"});
  ASSERT_EQ(cli.exit_code, 0) << cli.output;
  const Json by_cli = Json::parse(cli.output, nullptr, false);
  ASSERT_TRUE(by_cli.is_object()) << cli.output;
  ASSERT_EQ(by_cli["groups"].size(), 2u) << cli.output;
  EXPECT_EQ(by_cli["groups"][0]["client"], "QROO/EST/FGE/SIS");
  EXPECT_EQ(by_cli["groups"][0]["failed"], 1);
  EXPECT_EQ(by_cli["groups"][1]["client"], "QROO/EST/SSP/SIS");
  EXPECT_EQ(by_cli["groups"][1]["requests"], kOk);

  // Who reports: the two running servers; SS2 never did and is silent.
  const auto servers = reporting();
  ASSERT_EQ(servers.size(), 3u);
  EXPECT_FALSE(servers.at("QROO/EST/FGE/SS1")["silent"].get<bool>());
  EXPECT_FALSE(servers.at("QROO/EST/SSP/SS1")["silent"].get<bool>());
  EXPECT_TRUE(servers.at("QROO/EST/FGE/SS2")["silent"].get<bool>());
  EXPECT_TRUE(servers.at("QROO/EST/FGE/SS2")["last_report_at"].is_null());
  const CommandResult silent = federation_->services().cli({"registry", "--url", federation_->registry().url(),
                                                            "--token-file", federation_->registry().admin().file,
                                                            "statistics", "reporting"});
  ASSERT_EQ(silent.exit_code, 0) << silent.output;
  const Json listed = Json::parse(silent.output, nullptr, false);
  ASSERT_TRUE(listed.is_object()) << silent.output;
  EXPECT_EQ(listed["servers"][0]["server"], "QROO/EST/FGE/SS1");
  EXPECT_EQ(listed["servers"][1]["server"], "QROO/EST/FGE/SS2");
  EXPECT_EQ(listed["servers"][1]["silent"], true);
  auto metrics = federation_->registry().get("/metrics");
  EXPECT_NE(metrics.http.body.find("xacbe_registry_security_servers_silent 1\n"), std::string::npos)
      << metrics.http.body;
}

TEST_F(UsageReportingTest, RefusesBadQueriesAndUnsignedReports) {
  struct Row {
    const char* name;
    std::string target;
    const char* message;
  };
  const std::vector<Row> rows = {
      {"bad day", "/api/v1/statistics?from=2026-13-01", "'from' must be a day"},
      {"from after to", "/api/v1/statistics?from=2026-11-23&to=2026-11-22", "'from' is after 'to'"},
      {"unknown group_by", "/api/v1/statistics?group_by=colour", "unknown dimension 'colour'"},
      {"hostile member", "/api/v1/statistics?member=%01%0A%3Cscript%3E", "'member' is not an id"},
      {"unknown parameter", "/api/v1/statistics?memebr=QROO/EST/FGE", "unknown query parameter 'memebr'"},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.name);
    auto reply = federation_->registry().get(row.target);
    EXPECT_EQ(reply.status, 400) << reply.http.body;
    EXPECT_EQ(reply.code(), "INVALID_ARGUMENT");
    EXPECT_NE(reply.message().find(row.message), std::string::npos) << reply.message();
    EXPECT_EQ(reply.message().find('\n'), std::string::npos);
  }
  // The CLI refuses a malformed id before sending anything (usage error).
  const CommandResult cli = federation_->services().cli({"registry", "--url", federation_->registry().url(),
                                                         "--token-file", federation_->registry().admin().file,
                                                         "statistics", "--member", "QROO/est"});
  EXPECT_EQ(cli.exit_code, 2) << cli.output;
  // Without a token: 401.
  EXPECT_EQ(federation_->registry().get("/api/v1/statistics", RegistryProcess::As::kAnonymous).status, 401);
  // A report-usage that is not signed is refused.
  const std::string body = Json{{"type", "report-usage"},
                                {"server", "QROO/EST/FGE/SS1"},
                                {"request_id", "unsigned-usage-1"},
                                {"created_at", "2026-11-23T15:00:00Z"},
                                {"payload", {{"from", "2026-11-23"}, {"to", "2026-11-23"}, {"rows", Json::array()}}}}
                               .dump();
  auto reply = federation_->registry().call("POST", "/api/v1/management-requests",
                                            Json{{"request", crypto::base64_encode(body)}}.dump(),
                                            RegistryProcess::As::kAnonymous);
  EXPECT_EQ(reply.status, 403) << reply.http.body;
  EXPECT_NE(reply.message().find("unsigned request"), std::string::npos) << reply.message();
}

}  // namespace
}  // namespace xacbe::testing
