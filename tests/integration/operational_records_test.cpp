// Operational records end to end: a federation on loopback (the real registry, CA, OCSP responder,
// TSA and two security servers), one exchange that succeeds and one the provider's server refuses
// with ACCESS_DENIED, then each server's records read through its admin API: one record per side,
// with the same message and request ids, the sizes, both servers' ids and the result. And the
// daily usage the records sum to.

#include <gtest/gtest.h>

#include <chrono>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "support/e2e/federation.hpp"
#include "support/e2e/information_system.hpp"
#include "support/process.hpp"
#include "support/smtp_server.hpp"  // free_port
#include "xacbe/clock.hpp"
#include "xacbe/crypto/encoding.hpp"
#include "xacbe/net/http_client.hpp"
#include "xacbe/net/http_server.hpp"

namespace xacbe::testing {
namespace {

using Json = nlohmann::json;

constexpr const char* kAdminToken = "5e0c7a91d2b34f68a1c9e07b3d5f2a48c6e1b9d07f3a5c2e8b4d6f0a1c3e5b79";
constexpr const char* kReaderToken = "a7c3e5b9d1f2a4c6e8b0d2f4a6c8e0b1d3f5a7c9e1b3d5f7a9c1e3b5d7f9a0c2";
const std::string kCarpetas = "QROO/EST/FGE/SIS/carpetas";
const std::string kAntecedentes = "QROO/EST/SSP/SIS/antecedentes";
const std::string kAnswer = R"({"expediente":"FGE/2026/0815","estado":"abierto"})";
const std::string kRequestBody = R"({"consulta":"ABC1234"})";


class OperationalRecordsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    federation_ =
        new Federation({{XACBE_CLI_BIN, XACBE_TSA_BIN, XACBE_OCSP_BIN}, XACBE_REGISTRY_BIN, XACBE_SECURITY_SERVER_BIN});
    Federation& f = *federation_;
    f.admit("QROO/EST/FGE", "Fiscalía General del Estado", {"SIS"});
    f.admit("QROO/EST/SSP", "Secretaría de Seguridad Pública", {"SIS"});
    is_ = new InformationSystemMock(
        [](const net::HttpRequest&) { return net::HttpResponse::make(200, "application/json", kAnswer); });
    fge_ = &f.add_server("QROO/EST/FGE/SS1");
    ssp_ = &f.add_server("QROO/EST/SSP/SS1");
    fge_->add_client("QROO/EST/FGE/SIS");
    fge_->add_service(kCarpetas, is_->url(), {"QROO/EST/SSP/SIS"});
    ssp_->add_client("QROO/EST/SSP/SIS");
    // FGE may only GET /personas/*: a POST is refused with ACCESS_DENIED by SSP's server.
    ssp_->add_service(kAntecedentes, is_->url(), {"QROO/EST/FGE/SIS GET /personas/*"});
    for (SecurityServerNode* node : {fge_, ssp_}) {
      const std::string member = node == fge_ ? "QROO/EST/FGE" : "QROO/EST/SSP";
      node->config["security_server"]["admin_listen"] = {{"address", "127.0.0.1"}, {"port", free_port()}};
      node->config["security_server"]["users"] = {
          {"admin", {{"role", "administrator"}, {"token_sha256", crypto::to_hex(crypto::sha256(kAdminToken))}}},
          {"lector", {{"role", "auditor"}, {"token_sha256", crypto::to_hex(crypto::sha256(kReaderToken))}}}};
      node->config["security_server"]["register_readers"] = {{"lector", {member}}};
      node->config["security_server"]["operational_retention_days"] = 3;
      node->start();
    }
  }
  static void TearDownTestSuite() {
    if (::testing::UnitTest::GetInstance()->failed_test_count() > 0) {
      for (auto* node : {fge_, ssp_}) std::cerr << "---- " << node->id << " log ----\n" << node->log();
    }
    delete federation_;
    delete is_;
  }

  static net::HttpResponse exchange(SecurityServerNode& node, const std::string& target, const std::string& client) {
    net::HttpRequest r;
    r.method = "POST";
    r.target = target;
    r.headers = {{"X-Xacbe-Client", client}, {"Content-Type", "application/json"}};
    r.body = kRequestBody;
    net::ClientOptions options;
    options.timeout = std::chrono::seconds(30);
    auto response = net::http_request(node.client_url() + target, r, options);
    if (!response.is_ok()) throw std::runtime_error(response.status().to_string());
    return std::move(response).value();
  }

  static net::HttpResponse admin_get(SecurityServerNode& node, const std::string& target, const std::string& token) {
    net::HttpRequest r;
    r.method = "GET";
    r.target = target;
    r.headers = {{"Authorization", "Bearer " + token}};
    const unsigned port = node.config["security_server"]["admin_listen"]["port"].get<unsigned>();
    auto response = net::http_request("http://127.0.0.1:" + std::to_string(port) + target, r);
    if (!response.is_ok()) throw std::runtime_error(response.status().to_string());
    return std::move(response).value();
  }

  // The reader's records of `message_id` on `node`, once the writer has them (at most ~10 s).
  static Json records_of(SecurityServerNode& node, const std::string& message_id) {
    for (int attempt = 0; attempt < 100; ++attempt) {
      const net::HttpResponse r = admin_get(node, "/api/v1/operational-records?limit=1000", kReaderToken);
      EXPECT_EQ(r.status, 200) << r.body;
      Json found = Json::array();
      const Json page = Json::parse(r.body);
      for (const Json& record : page["records"]) {
        if (record["message_id"] == message_id) found.push_back(record);
      }
      if (!found.empty()) return found;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return Json::array();
  }

  static inline Federation* federation_ = nullptr;
  static inline InformationSystemMock* is_ = nullptr;
  static inline SecurityServerNode *fge_ = nullptr, *ssp_ = nullptr;
};

TEST_F(OperationalRecordsTest, BothSidesRecordASuccessfulExchangeAlike) {
  const net::HttpResponse answer = exchange(*ssp_, "/r1/" + kCarpetas + "/expedientes?folio=7", "QROO/EST/SSP/SIS");
  ASSERT_EQ(answer.status, 200) << answer.body;
  ASSERT_EQ(answer.body, kAnswer);
  const std::string message_id = answer.header("X-Xacbe-Id");
  const std::string request_id = answer.header("X-Xacbe-Request-Id");
  ASSERT_FALSE(message_id.empty());
  ASSERT_FALSE(request_id.empty());

  const Json client_side = records_of(*ssp_, message_id);
  const Json provider_side = records_of(*fge_, message_id);
  ASSERT_EQ(client_side.size(), 1u) << client_side.dump();
  ASSERT_EQ(provider_side.size(), 1u) << provider_side.dump();
  EXPECT_EQ(client_side[0]["side"], "client");
  EXPECT_EQ(provider_side[0]["side"], "provider");
  for (const Json* r : {&client_side[0], &provider_side[0]}) {
    SCOPED_TRACE(r->dump());
    EXPECT_EQ((*r)["client"], "QROO/EST/SSP/SIS");
    EXPECT_EQ((*r)["service"], kCarpetas);
    EXPECT_EQ((*r)["endpoint"], "POST /expedientes");  // no query
    EXPECT_EQ((*r)["represented_party"], "");
    EXPECT_EQ((*r)["message_id"], message_id);
    EXPECT_EQ((*r)["request_id"], request_id);
    EXPECT_EQ((*r)["request_bytes"], kRequestBody.size());
    EXPECT_EQ((*r)["response_bytes"], kAnswer.size());
    EXPECT_EQ((*r)["result"], "ok");
    EXPECT_EQ((*r)["fault_side"], "");
    EXPECT_EQ((*r)["http_status"], 200);
    EXPECT_EQ((*r)["client_server"], "QROO/EST/SSP/SS1");
    EXPECT_EQ((*r)["provider_server"], "QROO/EST/FGE/SS1");
    EXPECT_LE((*r)["time_in_ms"].get<std::int64_t>(), (*r)["time_out_ms"].get<std::int64_t>());
  }
  // The provider's side lies within the client's.
  EXPECT_LE(client_side[0]["time_in_ms"].get<std::int64_t>(),
            provider_side[0]["time_in_ms"].get<std::int64_t>() + 1000);
  EXPECT_GE(client_side[0]["time_out_ms"].get<std::int64_t>() + 1000,
            provider_side[0]["time_out_ms"].get<std::int64_t>());

  // The usage summary counts it on each side.
  const auto today = std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now());
  const std::string from = to_iso8601_utc(TimePoint(today - std::chrono::days(1))).substr(0, 10);
  const std::string to = to_iso8601_utc(TimePoint(today + std::chrono::days(1))).substr(0, 10);
  const net::HttpResponse usage = admin_get(*ssp_, "/api/v1/usage?from=" + from + "&to=" + to, kReaderToken);
  ASSERT_EQ(usage.status, 200) << usage.body;
  bool counted = false;
  const Json summary = Json::parse(usage.body);
  for (const Json& line : summary["usage"]) {
    if (line["service"] == kCarpetas && line["side"] == "client") {
      EXPECT_GE(line["ok"].get<int>(), 1);
      EXPECT_GE(line["request_bytes"].get<std::size_t>(), kRequestBody.size());
      counted = true;
    }
  }
  EXPECT_TRUE(counted) << usage.body;
}

TEST_F(OperationalRecordsTest, BothSidesRecordAnAccessDeniedWithItsFaultCode) {
  const net::HttpResponse refused = exchange(*fge_, "/r1/" + kAntecedentes + "/consultas", "QROO/EST/FGE/SIS");
  ASSERT_EQ(refused.status, 403) << refused.body;
  ASSERT_EQ(refused.header("X-Xacbe-Error"), "provider-side.ACCESS_DENIED");
  const std::string message_id = refused.header("X-Xacbe-Id");
  const std::string request_id = refused.header("X-Xacbe-Request-Id");
  ASSERT_FALSE(message_id.empty());

  const Json client_side = records_of(*fge_, message_id);
  const Json provider_side = records_of(*ssp_, message_id);
  ASSERT_EQ(client_side.size(), 1u) << client_side.dump();
  ASSERT_EQ(provider_side.size(), 1u) << provider_side.dump();
  EXPECT_EQ(client_side[0]["side"], "client");
  EXPECT_EQ(provider_side[0]["side"], "provider");
  for (const Json* r : {&client_side[0], &provider_side[0]}) {
    SCOPED_TRACE(r->dump());
    EXPECT_EQ((*r)["client"], "QROO/EST/FGE/SIS");
    EXPECT_EQ((*r)["service"], kAntecedentes);
    EXPECT_EQ((*r)["endpoint"], "POST /consultas");
    EXPECT_EQ((*r)["message_id"], message_id);
    EXPECT_EQ((*r)["request_id"], request_id);
    EXPECT_EQ((*r)["request_bytes"], kRequestBody.size());
    EXPECT_EQ((*r)["result"], "ACCESS_DENIED");
    EXPECT_EQ((*r)["fault_side"], "provider-side");
    EXPECT_EQ((*r)["http_status"], 403);
    EXPECT_EQ((*r)["client_server"], "QROO/EST/FGE/SS1");
    EXPECT_EQ((*r)["provider_server"], "QROO/EST/SSP/SS1");
    EXPECT_GT((*r)["response_bytes"].get<std::size_t>(), 0u);
  }
  EXPECT_EQ(client_side[0]["response_bytes"], refused.body.size());

  // Filters by result select it; another member's records stay out of sight.
  const net::HttpResponse denied =
      admin_get(*fge_, "/api/v1/operational-records?result=ACCESS_DENIED&side=client", kReaderToken);
  ASSERT_EQ(denied.status, 200) << denied.body;
  bool listed = false;
  const Json denied_page = Json::parse(denied.body);
  for (const Json& r : denied_page["records"]) {
    EXPECT_EQ(r["result"], "ACCESS_DENIED");
    listed = listed || r["message_id"] == message_id;
  }
  EXPECT_TRUE(listed);
  const net::HttpResponse bad = admin_get(*fge_, "/api/v1/operational-records?result=MAYBE", kReaderToken);
  EXPECT_EQ(bad.status, 400) << bad.body;
  // The administrator is not a designated reader.
  EXPECT_EQ(admin_get(*fge_, "/api/v1/operational-records", kAdminToken).status, 403);
}

TEST_F(OperationalRecordsTest, MetricsAndStatusCountTheRecordsWrittenAndDropped) {
  const net::HttpResponse answer = exchange(*ssp_, "/r1/" + kCarpetas + "/expedientes", "QROO/EST/SSP/SIS");
  ASSERT_EQ(answer.status, 200) << answer.body;
  ASSERT_EQ(records_of(*ssp_, answer.header("X-Xacbe-Id")).size(), 1u);  // written by now
  const net::HttpResponse status = admin_get(*ssp_, "/api/v1/status", kAdminToken);
  ASSERT_EQ(status.status, 200) << status.body;
  const Json operational = Json::parse(status.body)["operational_records"];
  EXPECT_GE(operational["written"].get<int>(), 1) << status.body;
  EXPECT_EQ(operational["dropped"], 0);
  EXPECT_EQ(operational["capacity"], 10000);
  const net::HttpResponse metrics = admin_get(*ssp_, "/metrics", kAdminToken);
  ASSERT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.body.find("# TYPE xacbe_operational_records_written_total counter"), std::string::npos);
  EXPECT_NE(metrics.body.find("xacbe_operational_records_dropped_total 0\n"), std::string::npos) << metrics.body;
  EXPECT_NE(metrics.body.find("xacbe_operational_queue_records "), std::string::npos);
}

}  // namespace
}  // namespace xacbe::testing
