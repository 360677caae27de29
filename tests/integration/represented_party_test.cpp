// An intermediary's exchange end to end: FGE's case system calls SSP's service on behalf of the
// municipality of Benito Juárez (X-Xacbe-Represented-Party), through two real security servers.
// The party is traced where an auditor looks for it: the signed head of both request records, the
// register search by party, the authentication and authorization record of both sides, both
// sides' operational records, and the header the provider's information system receives. A right bound to that party refuses a call
// made for nobody or for another party, and names the rule that refused.

#include <gtest/gtest.h>

#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "support/e2e/federation.hpp"
#include "support/e2e/information_system.hpp"
#include "support/process.hpp"
#include "support/raw_connection.hpp"
#include "support/smtp_server.hpp"
#include "xacbe/crypto/encoding.hpp"
#include "xacbe/net/http_client.hpp"
#include "xacbe/net/http_server.hpp"

namespace xacbe::testing {
namespace {

using Json = nlohmann::json;

constexpr const char* kAuditorToken = "c1e3b5d7f9a0c2a7c3e5b9d1f2a4c6e8b0d2f4a6c8e0b1d3f5a7c9e1b3d5f7a9";
const std::string kAntecedentes = "QROO/EST/SSP/SIS/antecedentes";
const std::string kParty = "QROO/MUN/BJ";

// SSP's information system: answers 200 and keeps the represented-party header of each call.
class InformationSystem {
 public:
  std::string url() const { return mock_.url(); }
  std::vector<std::string> seen() const {
    std::lock_guard lock(mu_);
    return seen_;
  }

 private:
  mutable std::mutex mu_;
  std::vector<std::string> seen_;
  InformationSystemMock mock_{[this](const net::HttpRequest& r) {
    std::lock_guard lock(mu_);
    seen_.push_back(r.header("X-Xacbe-Represented-Party"));
    return net::HttpResponse::make(200, "application/json", "{}");
  }};
};

class RepresentedPartyTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    federation_ = new Federation(
        {{XACBE_CLI_BIN, XACBE_TSA_BIN, XACBE_OCSP_BIN}, XACBE_REGISTRY_BIN, XACBE_SECURITY_SERVER_BIN});
    Federation& f = *federation_;
    f.admit("QROO/EST/FGE", "Fiscalía General del Estado", {"SIS"});
    f.admit("QROO/EST/SSP", "Secretaría de Seguridad Pública", {"SIS"});
    is_ = new InformationSystem();
    fge_ = &f.add_server("QROO/EST/FGE/SS1");
    ssp_ = &f.add_server("QROO/EST/SSP/SS1");
    fge_->add_client("QROO/EST/FGE/SIS");
    ssp_->add_client("QROO/EST/SSP/SIS");
    // FGE may call only on behalf of Benito Juárez.
    ssp_->add_service(kAntecedentes, is_->url(), {"QROO/EST/FGE/SIS for " + kParty});
    for (SecurityServerNode* node : {fge_, ssp_}) {
      node->config["security_server"]["admin_listen"] = {{"address", "127.0.0.1"}, {"port", free_port()}};
      node->config["security_server"]["users"] = {
          {"auditor", {{"role", "auditor"}, {"token_sha256", crypto::to_hex(crypto::sha256(kAuditorToken))}}}};
      node->config["security_server"]["register_readers"] = {{"auditor", {node->id.substr(0, node->id.rfind('/'))}}};
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

  // A call of FGE's case system; `parties` are the X-Xacbe-Represented-Party headers it sends.
  static net::HttpResponse call(const std::vector<std::string>& parties, const std::string& message_id) {
    net::HttpRequest r;
    r.method = "GET";
    r.target = "/r1/" + kAntecedentes + "/personas/7";
    r.headers = {{"X-Xacbe-Client", "QROO/EST/FGE/SIS"}, {"X-Xacbe-Id", message_id}};
    for (const auto& p : parties) r.headers.emplace_back("X-Xacbe-Represented-Party", p);
    net::ClientOptions options;
    options.timeout = std::chrono::seconds(30);
    auto response = net::http_request(fge_->client_url() + r.target, r, options);
    if (!response.is_ok()) throw std::runtime_error(response.status().to_string());
    return std::move(response).value();
  }

  // GET `target` on `node`'s admin API as its auditor; the JSON answer.
  static Json admin_get(SecurityServerNode& node, const std::string& target) {
    net::HttpRequest r;
    r.method = "GET";
    r.target = target;
    r.headers = {{"Authorization", std::string("Bearer ") + kAuditorToken}};
    const unsigned port = node.config["security_server"]["admin_listen"]["port"].get<unsigned>();
    auto response = net::http_request("http://127.0.0.1:" + std::to_string(port) + target, r);
    if (!response.is_ok()) throw std::runtime_error(response.status().to_string());
    EXPECT_EQ(response->status, 200) << target << ": " << response->body;
    return Json::parse(response->body, nullptr, false);
  }

  // The decisions of `node` about message `message_id`, at least `expected` of them: a decision is
  // written with the register writer's next group, after the answer, so this asks again for a
  // bounded while (at most 100 times, 50 ms apart).
  static std::vector<Json> decisions_of(SecurityServerNode& node, const std::string& message_id,
                                        std::size_t expected = 1) {
    std::vector<Json> out;
    for (int attempt = 0; attempt < 100 && out.size() < expected; ++attempt) {
      if (attempt > 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
      out.clear();
      const Json listed = admin_get(node, "/api/v1/decisions?limit=1000");
      for (const Json& d : listed["decisions"]) {
        if (d["message_id"] == message_id) out.push_back(d);
      }
    }
    return out;
  }

  // The operational records of `node` about message `message_id`, asked for again a bounded while
  // (they are written through a buffer, after the answer).
  static std::vector<Json> operational_records_of(SecurityServerNode& node, const std::string& message_id) {
    std::vector<Json> out;
    for (int attempt = 0; attempt < 100 && out.empty(); ++attempt) {
      if (attempt > 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
      const Json listed = admin_get(node, "/api/v1/operational-records?client=QROO/EST/FGE/SIS&limit=1000");
      for (const Json& r : listed["records"]) {
        if (r["message_id"] == message_id) out.push_back(r);
      }
    }
    return out;
  }

  static inline Federation* federation_ = nullptr;
  static inline InformationSystem* is_ = nullptr;
  static inline SecurityServerNode *fge_ = nullptr, *ssp_ = nullptr;
};

TEST_F(RepresentedPartyTest, TheExchangeForAPartyIsTracedThroughRegisterDecisionAndOperationalRecords) {
  const net::HttpResponse answer = call({kParty}, "rep-ok-1");
  ASSERT_EQ(answer.status, 200) << answer.body;
  const std::vector<std::string> seen = is_->seen();
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen.back(), kParty) << "the provider's information system learns whom the call is for";

  for (SecurityServerNode* node : {fge_, ssp_}) {
    SCOPED_TRACE(node->id);
    // The register: searched by the party, the request of this exchange; its head names the party.
    const Json found = admin_get(*node, "/api/v1/register/records?represented_party=" + kParty);
    ASSERT_EQ(found["records"].size(), 1u) << found.dump();
    const Json& record = found["records"][0];
    EXPECT_EQ(record["message_id"], "rep-ok-1");
    EXPECT_EQ(record["kind"], "request");
    EXPECT_EQ(record["represented_party"], kParty);
    const std::string head = node->record_column("CAST(head AS TEXT)", "message_id = 'rep-ok-1' AND kind = 'request'");
    EXPECT_NE(head.find("\"represented_party\":\"" + kParty + "\""), std::string::npos) << head;
    // The authentication and authorization record names the party.
    const std::vector<Json> decisions = decisions_of(*node, "rep-ok-1");
    ASSERT_FALSE(decisions.empty());
    for (const Json& d : decisions) {
      EXPECT_TRUE(d["allowed"].get<bool>()) << d.dump();
      EXPECT_EQ(d["represented_party"], kParty) << d.dump();
    }
    // The operational record of the exchange on this side names it too.
    const std::vector<Json> operational = operational_records_of(*node, "rep-ok-1");
    ASSERT_EQ(operational.size(), 1u);
    EXPECT_EQ(operational[0]["represented_party"], kParty) << operational[0].dump();
    EXPECT_EQ(operational[0]["result"], "ok");
    EXPECT_EQ(operational[0]["side"], node == fge_ ? "client" : "provider");
  }
  const std::vector<Json> provider = decisions_of(*ssp_, "rep-ok-1");
  ASSERT_EQ(provider.size(), 1u);
  EXPECT_EQ(provider[0]["rule"], "right:QROO/EST/FGE/SIS");
  EXPECT_NE(provider[0]["reason"].get<std::string>().find("on behalf of " + kParty), std::string::npos);
}

TEST_F(RepresentedPartyTest, ARightBoundToAPartyRefusesOtherCallsAndNamesItsRule) {
  for (const auto& [parties, message_id] :
       std::vector<std::pair<std::vector<std::string>, std::string>>{{{}, "rep-none"}, {{"QROO/EST/SSP"}, "rep-other"}}) {
    const net::HttpResponse refused = call(parties, message_id);
    EXPECT_EQ(refused.status, 403) << refused.body;
    const Json fault = Json::parse(refused.body, nullptr, false)["error"];
    EXPECT_EQ(fault.value("code", ""), "ACCESS_DENIED") << refused.body;
    EXPECT_NE(fault.value("message", "").find("represented-party"), std::string::npos) << refused.body;
    const std::vector<Json> d = decisions_of(*ssp_, message_id);
    ASSERT_EQ(d.size(), 1u) << message_id;
    EXPECT_FALSE(d[0]["allowed"].get<bool>());
    EXPECT_EQ(d[0]["represented_party"], parties.empty() ? Json(nullptr) : Json(parties[0]));
  }
  EXPECT_EQ(ssp_->count_records("message_id IN ('rep-none', 'rep-other')"), 0) << "refused calls are not logged";
}

TEST_F(RepresentedPartyTest, TheClientInterfaceRefusesABadOrRepeatedParty) {
  for (const auto& parties : std::vector<std::vector<std::string>>{
           {"QROO/MUN/BJ/SIS"}, {"BJ"}, {"QROO/MUN/B\xc3"}, {std::string(300, 'A')}}) {
    const net::HttpResponse refused = call(parties, "rep-bad");
    EXPECT_EQ(refused.status, 400) << refused.body;
    EXPECT_EQ(refused.header("X-Xacbe-Error"), "client-request.MALFORMED_REQUEST") << refused.body;
  }
  // Twice, even the same party: refused, not one of them picked (the HTTP client folds repeats,
  // so the request is written by hand).
  RawConnection raw(static_cast<std::uint16_t>(fge_->client_port));
  ASSERT_TRUE(raw.send("GET /r1/" + kAntecedentes + "/personas/7 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                       "X-Xacbe-Client: QROO/EST/FGE/SIS\r\nX-Xacbe-Id: rep-bad\r\nX-Xacbe-Represented-Party: " +
                       kParty + "\r\nX-Xacbe-Represented-Party: " + kParty + "\r\n\r\n"));
  const auto received = raw.read_until_closed(std::chrono::seconds(10));
  EXPECT_EQ(received.data.rfind("HTTP/1.1 400", 0), 0u) << received.data;
  EXPECT_NE(received.data.find("X-Xacbe-Represented-Party given more than once"), std::string::npos) << received.data;
  EXPECT_EQ(fge_->count_records("message_id = 'rep-bad'"), 0);
}

}  // namespace
}  // namespace xacbe::testing
