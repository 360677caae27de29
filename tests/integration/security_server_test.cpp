// The exchange end to end: the real registry, CA, OCSP responder and TSA, and two security
// servers of two members (one of them also carrying a third member: a shared server), each with a
// small information system mocked in this process. Every message crosses real mutual TLS and is
// e-stamped, verified and logged on both sides.

#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <regex>
#include <iostream>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "support/e2e/federation.hpp"
#include "support/process.hpp"
#include "support/raw_connection.hpp"
#include "support/smtp_server.hpp"
#include "xacbe/crypto/encoding.hpp"
#include "xacbe/net/http_client.hpp"
#include "xacbe/net/http_server.hpp"

namespace xacbe::testing {
namespace {

using Json = nlohmann::json;

FederationExecutables executables() {
  return {{XACBE_CLI_BIN, XACBE_TSA_BIN, XACBE_OCSP_BIN}, XACBE_REGISTRY_BIN, XACBE_SECURITY_SERVER_BIN};
}

// A member's information system: answers every call with what it received.
class InformationSystem {
 public:
  explicit InformationSystem(std::string name) : name_(std::move(name)) {
    net::ServerOptions options;
    options.threads = 1;
    options.workers = 2;
    options.body_limit = 16 * 1024 * 1024;
    auto server = net::HttpServer::start(options, [this](const net::HttpRequest& r) {
      ++calls_;
      Json headers = Json::object();
      for (const auto& [n, v] : r.headers) headers[n] = v;
      {
        std::lock_guard lock(mu_);
        last_ = r;
      }
      net::HttpResponse out = net::HttpResponse::make(
          200, "application/json",
          Json{{"system", name_}, {"method", r.method}, {"target", r.target}, {"body", r.body}, {"headers", headers}}.dump());
      out.headers.emplace_back("X-Answer", "yes");
      out.headers.emplace_back("Set-Cookie", "session=secret");
      return out;
    });
    if (!server.is_ok()) throw std::runtime_error(server.status().to_string());
    server_ = std::move(server).value();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(server_->port()); }
  int calls() const { return calls_; }
  net::HttpRequest last() {
    std::lock_guard lock(mu_);
    return last_;
  }

 private:
  std::string name_;
  std::unique_ptr<net::HttpServer> server_;
  std::atomic<int> calls_{0};
  std::mutex mu_;
  net::HttpRequest last_;
};

void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

class SecurityServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    federation_ = new Federation(executables());
    Federation& f = *federation_;
    f.admit("QROO/EST/FGE", "Fiscalía General del Estado", {"SIS"});
    f.admit("QROO/EST/SSP", "Secretaría de Seguridad Pública", {"SIS"});
    fge_is_ = new InformationSystem("fge");
    ssp_is_ = new InformationSystem("ssp");
    fge_ = &f.add_server("QROO/EST/FGE/SS1");
    ssp_ = &f.add_server("QROO/EST/SSP/SS1");
    fge_->add_client("QROO/EST/FGE/SIS");
    fge_->add_service("QROO/EST/FGE/SIS/carpetas", fge_is_->url(), {"QROO/EST/SSP/SIS"});
    ssp_->add_client("QROO/EST/SSP/SIS");
    ssp_->add_service("QROO/EST/SSP/SIS/antecedentes", ssp_is_->url() + "/api",
                      {"QROO/EST/FGE/SIS GET /personas/*"}, {"GET /personas/*", "POST /consultas"});
    // The FGE server's admin API, with an administrator and an auditor.
    fge_->config["security_server"]["admin_listen"] = {{"address", "127.0.0.1"}, {"port", free_port()}};
    fge_->config["security_server"]["users"] = {
        {"admin", {{"role", "administrator"}, {"token_sha256", crypto::to_hex(crypto::sha256(kAdminToken))}}},
        {"auditor", {{"role", "auditor"}, {"token_sha256", crypto::to_hex(crypto::sha256(kAuditorToken))}}}};
    fge_->start();
    ssp_->start();
  }
  static void TearDownTestSuite() {
    if (::testing::UnitTest::GetInstance()->failed_test_count() > 0) {
      for (auto* node : {fge_, ssp_}) {
        const std::string log = node->log();
        std::cerr << "---- " << node->id << " log (end) ----\n" << log.substr(0);
      }
    }
    delete federation_;
    delete fge_is_;
    delete ssp_is_;
  }

  static net::HttpResponse call(SecurityServerNode& node, const std::string& method, const std::string& target,
                                const std::string& client, const std::string& body = {}, net::Headers extra = {}) {
    net::HttpRequest r;
    r.method = method;
    r.target = target;
    r.body = body;
    r.headers = std::move(extra);
    if (!client.empty()) r.headers.emplace_back("X-Xacbe-Client", client);
    net::ClientOptions options;
    options.timeout = std::chrono::seconds(30);
    auto response = net::http_request(node.client_url() + target, r, options);
    if (!response.is_ok()) throw std::runtime_error(response.status().to_string());
    return std::move(response).value();
  }

  static std::string error_code(const net::HttpResponse& r) {
    auto j = Json::parse(r.body, nullptr, false);
    return j.is_object() && j.contains("error") ? j["error"].value("code", "") : "(not a fault: " + r.body + ")";
  }

  static net::HttpResponse admin(const std::string& method, const std::string& target, const std::string& token,
                                 const Json& body = nullptr) {
    net::HttpRequest r;
    r.method = method;
    r.target = target;
    r.headers = {{"Authorization", "Bearer " + token}, {"Content-Type", "application/json"}};
    if (!body.is_null()) r.body = body.dump();
    const unsigned port = fge_->config["security_server"]["admin_listen"]["port"].get<unsigned>();
    auto response = net::http_request("http://127.0.0.1:" + std::to_string(port) + target, r);
    if (!response.is_ok()) throw std::runtime_error(response.status().to_string());
    return std::move(response).value();
  }

  static constexpr const char* kAdminToken = "4f9a1c0e5b7d2a8c6e3f1b9d7a5c3e1f0a2b4c6d8e0f1a3b5c7d9e1f3a5b7c9d";
  static constexpr const char* kAuditorToken = "0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c";
  static inline Federation* federation_ = nullptr;
  static inline InformationSystem *fge_is_ = nullptr, *ssp_is_ = nullptr;
  static inline SecurityServerNode *fge_ = nullptr, *ssp_ = nullptr;
};

TEST_F(SecurityServerTest, RestCallCrossesBothServersAndIsLoggedOnBothSides) {
  const int before_fge = fge_->count_records();
  const int before_ssp = ssp_->count_records();
  const auto r = call(*fge_, "GET", "/r1/QROO/EST/SSP/SIS/antecedentes/personas/123?curp=ABC", "QROO/EST/FGE/SIS", "",
                      {{"X-Xacbe-UserId", "fiscal-17"}, {"Accept", "application/json"}, {"Authorization", "Bearer x"}});
  ASSERT_EQ(r.status, 200) << r.body;
  const Json answer = Json::parse(r.body);
  EXPECT_EQ(answer["system"], "ssp");
  EXPECT_EQ(answer["target"], "/api/personas/123?curp=ABC");
  EXPECT_EQ(answer["headers"].value("X-Xacbe-Client", ""), "QROO/EST/FGE/SIS");
  EXPECT_EQ(answer["headers"].value("X-Xacbe-UserId", ""), "fiscal-17");
  EXPECT_EQ(answer["headers"].value("accept", ""), "application/json");
  EXPECT_FALSE(answer["headers"].contains("authorization")) << "credentials must not cross between members";
  EXPECT_EQ(r.header("x-answer"), "yes");
  EXPECT_EQ(r.header("set-cookie"), "");
  EXPECT_EQ(r.header("X-Xacbe-Request-Hash").size(), 64u);
  EXPECT_FALSE(r.header("X-Xacbe-Request-Id").empty());
  EXPECT_FALSE(r.header("X-Xacbe-Id").empty());
  // Request and response on each side, durable before the answer.
  EXPECT_EQ(fge_->count_records(), before_fge + 2);
  EXPECT_EQ(ssp_->count_records(), before_ssp + 2);
  EXPECT_EQ(ssp_->count_records("side = 'provider' AND message_id = '" + r.header("X-Xacbe-Id") + "'"), 2);
}

TEST_F(SecurityServerTest, TheOtherDirectionWorksToo) {
  const auto r = call(*ssp_, "POST", "/r1/QROO/EST/FGE/SIS/carpetas/expedientes", "QROO/EST/SSP/SIS", "{\"folio\": 9}",
                      {{"Content-Type", "application/json"}});
  ASSERT_EQ(r.status, 200) << r.body;
  const Json answer = Json::parse(r.body);
  EXPECT_EQ(answer["system"], "fge");
  EXPECT_EQ(answer["method"], "POST");
  EXPECT_EQ(answer["body"], "{\"folio\": 9}");
}

TEST_F(SecurityServerTest, RefusalsOfTheClientsRequest) {
  struct Row {
    std::string method, target, client;
    int status;
    std::string code;
  };
  const std::vector<Row> rows = {
      {"GET", "/r1/QROO/EST/SSP/SIS/antecedentes/personas/1", "", 400, "MALFORMED_REQUEST"},
      {"GET", "/r1/QROO/EST/SSP/SIS/antecedentes/personas/1", "QROO/est/FGE", 400, "MALFORMED_REQUEST"},
      {"GET", "/r1/QROO/EST/SSP/SIS/antecedentes/../../x", "QROO/EST/FGE/SIS", 400, "MALFORMED_REQUEST"},
      {"TRACE", "/r1/QROO/EST/SSP/SIS/antecedentes/personas/1", "QROO/EST/FGE/SIS", 400, "MALFORMED_REQUEST"},
      {"GET", "/r1/QROO/EST/SSP/SIS/antecedentes/personas/1", "QROO/EST/SSP/SIS", 403, "UNKNOWN_CLIENT"},
      {"GET", "/r1/QROO/EST/XXX/SIS/antecedentes/personas/1", "QROO/EST/FGE/SIS", 404, "UNKNOWN_PROVIDER"},
      {"GET", "/r1/QROO/EST/SSP/SIS/nothing/personas/1", "QROO/EST/FGE/SIS", 404, "UNKNOWN_SERVICE"},
      {"POST", "/r1/QROO/EST/SSP/SIS/antecedentes/consultas", "QROO/EST/FGE/SIS", 403, "ACCESS_DENIED"},
      {"GET", "/r1/QROO/EST/SSP/SIS/antecedentes/otros/1", "QROO/EST/FGE/SIS", 403, "ACCESS_DENIED"},
  };
  const int calls = ssp_is_->calls();
  for (const auto& row : rows) {
    const auto r = call(*fge_, row.method, row.target, row.client);
    EXPECT_EQ(r.status, row.status) << row.method << " " << row.target << ": " << r.body;
    EXPECT_EQ(error_code(r), row.code) << row.method << " " << row.target;
    EXPECT_FALSE(r.header("X-Xacbe-Error").empty());
  }
  EXPECT_EQ(ssp_is_->calls(), calls) << "a refused call reached the provider's system";
}

TEST_F(SecurityServerTest, ARepeatedMessageIdIsRefusedAsAReplay) {
  const net::Headers id = {{"X-Xacbe-Id", "replay-test-1"}};
  const auto first = call(*fge_, "GET", "/r1/QROO/EST/SSP/SIS/antecedentes/personas/7", "QROO/EST/FGE/SIS", "", id);
  ASSERT_EQ(first.status, 200) << first.body;
  const int calls = ssp_is_->calls();
  const auto second = call(*fge_, "GET", "/r1/QROO/EST/SSP/SIS/antecedentes/personas/7", "QROO/EST/FGE/SIS", "", id);
  EXPECT_EQ(second.status, 409) << second.body;
  EXPECT_EQ(error_code(second), "REPLAYED_MESSAGE");
  EXPECT_EQ(second.header("X-Xacbe-Error"), "provider-side.REPLAYED_MESSAGE");
  EXPECT_EQ(ssp_is_->calls(), calls);
}

TEST_F(SecurityServerTest, OversizeBodyIsAClearFault) {
  // Declared over the limit: refused before the body is read, never buffered.
  RawConnection raw(static_cast<std::uint16_t>(fge_->client_port));
  ASSERT_TRUE(raw.send("POST /r1/QROO/EST/SSP/SIS/antecedentes/consultas HTTP/1.1\r\nHost: x\r\n"
                       "X-Xacbe-Client: QROO/EST/FGE/SIS\r\nContent-Length: 10485761\r\n\r\n"));
  const auto received = raw.read_until_closed(std::chrono::seconds(10));
  EXPECT_EQ(received.data.rfind("HTTP/1.1 413", 0), 0u) << received.data;
  EXPECT_NE(received.data.find("\"BODY_TOO_LARGE\""), std::string::npos) << received.data;
  EXPECT_NE(received.data.find("X-Xacbe-Error: client-request.BODY_TOO_LARGE"), std::string::npos) << received.data;
  // Under the limit, larger than the HTTP default of 1 MiB: carried to the provider and back.
  const std::string body(2 * 1024 * 1024, 'y');
  const auto r = call(*ssp_, "PUT", "/r1/QROO/EST/FGE/SIS/carpetas/x", "QROO/EST/SSP/SIS", body);
  ASSERT_EQ(r.status, 200) << r.body.substr(0, 300);
  EXPECT_EQ(Json::parse(r.body)["body"], body);
}

// An auditor's check with tools nobody here wrote: the e-stamp logged by the provider's server
// verifies with the stock xmlsec1 given only the CEIQROO CA certificate, and the digests it lists
// are the sha256sum of the logged head and body.
TEST_F(SecurityServerTest, LoggedEStampsVerifyWithXmlsec1AndTheirDigestsWithSha256sum) {
  const auto ok = call(*ssp_, "POST", "/r1/QROO/EST/FGE/SIS/carpetas/expedientes", "QROO/EST/SSP/SIS", "folio=77",
                       {{"X-Xacbe-Id", "auditor-check-1"}});
  ASSERT_EQ(ok.status, 200) << ok.body;
  const std::string dir = federation_->services().dir().path();
  const std::string ca = federation_->services().root_pem();
  for (const std::string kind : {"request", "response"}) {
    const std::string where = "side = 'provider' AND kind = '" + kind + "' AND message_id = 'auditor-check-1'";
    const std::string estamp = fge_->record_column("estamp", where);
    ASSERT_FALSE(estamp.empty()) << kind;
    write_file(dir + "/estamp-" + kind + ".xml", estamp);
    write_file(dir + "/head-" + kind, fge_->record_column("head", where));
    write_file(dir + "/body-" + kind, fge_->record_column("body", where));
    const auto verified = run_command({"xmlsec1", "--verify", "--trusted-pem", ca, "--id-attr:Id",
                                       "urn:xacbe:estamp:1:Message", "--id-attr:Id", "urn:xacbe:estamp:1:Batch",
                                       dir + "/estamp-" + kind + ".xml"});
    EXPECT_EQ(verified.exit_code, 0) << kind << ": " << verified.output;
    EXPECT_NE(verified.output.find("OK"), std::string::npos) << verified.output;
    for (const std::string part : {"head", "body"}) {
      std::smatch m;
      ASSERT_TRUE(std::regex_search(estamp, m, std::regex("<e:Part name=\"" + part + "\">([0-9a-f]{64})</e:Part>")))
          << estamp;
      const auto sum = run_command({"sha256sum", dir + "/" + part + "-" + kind});
      EXPECT_EQ(sum.output.substr(0, 64), m[1].str()) << kind << " " << part;
    }
  }
  // A changed byte in the logged e-stamp is caught by the same tool.
  std::string tampered =
      fge_->record_column("estamp", "side = 'provider' AND kind = 'request' AND message_id = 'auditor-check-1'");
  tampered.replace(tampered.find("auditor-check-1"), 15, "auditor-check-2");
  write_file(dir + "/estamp-tampered.xml", tampered);
  const auto refused = run_command({"xmlsec1", "--verify", "--trusted-pem", ca, "--id-attr:Id",
                                    "urn:xacbe:estamp:1:Message", "--id-attr:Id", "urn:xacbe:estamp:1:Batch",
                                    dir + "/estamp-tampered.xml"});
  EXPECT_NE(refused.exit_code, 0) << refused.output;
}

TEST_F(SecurityServerTest, TheAdminStatusShowsConfigurationOcspAndTheRegister) {
  call(*ssp_, "GET", "/r1/QROO/EST/FGE/SIS/carpetas/x", "QROO/EST/SSP/SIS");
  const auto r = admin("GET", "/api/v1/status", kAuditorToken);
  ASSERT_EQ(r.status, 200) << r.body;
  const Json status = Json::parse(r.body);
  EXPECT_EQ(status["server"], "QROO/EST/FGE/SS1");
  EXPECT_TRUE(status["global_configuration"]["in_use"].get<bool>());
  EXPECT_GE(status["global_configuration"]["version"].get<int>(), 1);
  EXPECT_TRUE(status["ocsp"]["available"].get<bool>());
  ASSERT_EQ(status["ocsp"]["certificates"].size(), 2u);  // authentication and signing
  for (const auto& c : status["ocsp"]["certificates"]) EXPECT_EQ(c["status"], "good") << c.dump();
  EXPECT_TRUE(status["register"]["admitting"].get<bool>());
  EXPECT_GE(status["register"]["records"].get<int>(), 2);
  EXPECT_EQ(admin("GET", "/api/v1/status", "wrong-token").status, 401);
}

TEST_F(SecurityServerTest, AServiceAddedThroughTheAdminApiServesTheNextRequest) {
  const Json service = {{"id", "QROO/EST/FGE/SIS/denuncias"}, {"url", fge_is_->url() + "/denuncias"},
                        {"endpoints", {"GET /folios/*"}}};
  EXPECT_EQ(admin("POST", "/api/v1/services", kAuditorToken, service).status, 403);
  EXPECT_EQ(call(*ssp_, "GET", "/r1/QROO/EST/FGE/SIS/denuncias/folios/1", "QROO/EST/SSP/SIS").status, 404);
  ASSERT_EQ(admin("POST", "/api/v1/services", kAdminToken, service).status, 201);
  EXPECT_EQ(error_code(call(*ssp_, "GET", "/r1/QROO/EST/FGE/SIS/denuncias/folios/1", "QROO/EST/SSP/SIS")), "ACCESS_DENIED");
  ASSERT_EQ(admin("POST", "/api/v1/access-rights", kAdminToken, {{"subject", "QROO/EST/SSP/SIS"}, {"service", "QROO/EST/FGE/SIS/denuncias"}}).status, 201);
  const auto ok = call(*ssp_, "GET", "/r1/QROO/EST/FGE/SIS/denuncias/folios/1", "QROO/EST/SSP/SIS");
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(Json::parse(ok.body)["target"], "/denuncias/folios/1");
  // The refusal and the grant are in the decision record.
  const auto decisions = admin("GET", "/api/v1/decisions?limit=1000", kAuditorToken);
  ASSERT_EQ(decisions.status, 200);
  EXPECT_NE(decisions.body.find("ACCESS_DENIED"), std::string::npos);
  EXPECT_NE(decisions.body.find("right:QROO/EST/SSP/SIS"), std::string::npos);
}

}  // namespace
}  // namespace xacbe::testing
