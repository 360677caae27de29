// Metaservices end to end (docs/protocol/metaservices.md): the real registry, CA, OCSP responder
// and TSA, and two security servers. FGE's information system asks its own server for the
// federation's clients, and SSP's server, through ordinary e-stamped exchanges, for its services,
// the endpoints FGE may call and a service's OpenAPI document, which SSP's server fetches from
// SSP's information system (mocked here). Refusals: unknown providers, callers without rights,
// bad calls, a reserved code as a service name.

#include <gtest/gtest.h>

#include <atomic>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "support/e2e/federation.hpp"
#include "support/process.hpp"
#include "support/smtp_server.hpp"  // free_port
#include "xacbe/crypto/encoding.hpp"
#include "xacbe/net/http_client.hpp"
#include "xacbe/net/http_server.hpp"

namespace xacbe::testing {
namespace {

using Json = nlohmann::json;

constexpr const char* kAdminToken = "3c5e7a9b1d2f4a6c8e0b2d4f6a8c0e1b3d5f7a9c1e3b5d7f9a0c2e4b6d8f0a1c";
const std::string kFgeSis = "QROO/EST/FGE/SIS";
const std::string kFgeOtro = "QROO/EST/FGE/OTRO";
const std::string kSsp = "QROO/EST/SSP/SIS";
const std::string kWsdl = R"(<?xml version="1.0"?><definitions xmlns="http://schemas.xmlsoap.org/wsdl/" name="padron"/>)";
const std::string kOpenApi = R"({"openapi":"3.0.3","info":{"title":"Antecedentes","version":"1"},"paths":{}})";

// SSP's information system: its OpenAPI document, a page that is not one, and an echo.
class InformationSystem {
 public:
  InformationSystem() {
    net::ServerOptions options;
    options.threads = 1;
    options.workers = 2;
    auto server = net::HttpServer::start(options, [this](const net::HttpRequest& r) {
      ++calls_;
      if (r.target == "/docs/openapi.json") return net::HttpResponse::make(200, "application/json; charset=utf-8", kOpenApi);
      if (r.target == "/docs/index.html") return net::HttpResponse::make(200, "text/html", "<html></html>");
      if (r.target == "/docs/padron.wsdl") return net::HttpResponse::make(200, "text/xml", kWsdl);
      // Over the 4 MiB a description may have.
      if (r.target == "/docs/big.json") return net::HttpResponse::make(200, "application/json", std::string(5 << 20, ' '));
      return net::HttpResponse::make(200, "application/json", Json{{"target", r.target}}.dump());
    });
    if (!server.is_ok()) throw std::runtime_error(server.status().to_string());
    server_ = std::move(server).value();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(server_->port()); }
  int calls() const { return calls_; }

 private:
  std::unique_ptr<net::HttpServer> server_;
  std::atomic<int> calls_{0};
};

class SecurityServerMetaservicesTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    federation_ = new Federation(
        {{XACBE_CLI_BIN, XACBE_TSA_BIN, XACBE_OCSP_BIN}, XACBE_REGISTRY_BIN, XACBE_SECURITY_SERVER_BIN});
    Federation& f = *federation_;
    f.admit("QROO/EST/FGE", "Fiscalía General del Estado", {"SIS", "OTRO"});
    f.admit("QROO/EST/SSP", "Secretaría de Seguridad Pública", {"SIS"});
    is_ = new InformationSystem();
    fge_ = &f.add_server("QROO/EST/FGE/SS1");
    ssp_ = &f.add_server("QROO/EST/SSP/SS1");
    fge_->add_client(kFgeSis);
    fge_->add_client(kFgeOtro);
    ssp_->add_client(kSsp);
    ssp_->add_service(kSsp + "/antecedentes", is_->url() + "/api", {kFgeSis + " GET /personas/*"},
                      {"GET /personas/*", "POST /consultas"});
    ssp_->config["security_server"]["services"][kSsp + "/antecedentes"]["description_url"] = is_->url() + "/docs/openapi.json";
    ssp_->add_service(kSsp + "/vehiculos", is_->url(), {kFgeSis});
    ssp_->config["security_server"]["services"][kSsp + "/vehiculos"]["description_url"] = is_->url() + "/docs/index.html";
    ssp_->add_service(kSsp + "/padron", is_->url(), {kFgeSis});
    ssp_->config["security_server"]["services"][kSsp + "/padron"]["description_url"] = is_->url() + "/docs/padron.wsdl";
    ssp_->add_service(kSsp + "/grande", is_->url(), {kFgeSis});
    ssp_->config["security_server"]["services"][kSsp + "/grande"]["description_url"] = is_->url() + "/docs/big.json";
    ssp_->add_service(kSsp + "/cerrado", is_->url(), {kFgeSis});
    ssp_->config["security_server"]["services"][kSsp + "/cerrado"]["enabled"] = false;
    ssp_->config["security_server"]["admin_listen"] = {{"address", "127.0.0.1"}, {"port", free_port()}};
    ssp_->config["security_server"]["users"] = {
        {"admin", {{"role", "administrator"}, {"token_sha256", crypto::to_hex(crypto::sha256(kAdminToken))}}}};
    fge_->start();
    ssp_->start();
  }
  static void TearDownTestSuite() {
    if (::testing::UnitTest::GetInstance()->failed_test_count() > 0) {
      for (auto* node : {fge_, ssp_}) std::cerr << "---- " << node->id << " log ----\n" << node->log();
    }
    delete federation_;
    delete is_;
  }

  static net::HttpResponse call(const std::string& method, const std::string& target, const std::string& client) {
    net::HttpRequest r;
    r.method = method;
    r.target = target;
    if (!client.empty()) r.headers = {{"X-Xacbe-Client", client}};
    net::ClientOptions options;
    options.timeout = std::chrono::seconds(30);
    auto response = net::http_request(fge_->client_url() + target, r, options);
    if (!response.is_ok()) throw std::runtime_error(response.status().to_string());
    return std::move(response).value();
  }

  static net::HttpResponse admin(const std::string& method, const std::string& target, const Json& body = nullptr) {
    net::HttpRequest r;
    r.method = method;
    r.target = target;
    r.headers = {{"Authorization", std::string("Bearer ") + kAdminToken}, {"Content-Type", "application/json"}};
    if (!body.is_null()) r.body = body.dump();
    const unsigned port = ssp_->config["security_server"]["admin_listen"]["port"].get<unsigned>();
    auto response = net::http_request("http://127.0.0.1:" + std::to_string(port) + target, r);
    if (!response.is_ok()) throw std::runtime_error(response.status().to_string());
    return std::move(response).value();
  }

  static std::string error_code(const net::HttpResponse& r) {
    auto j = Json::parse(r.body, nullptr, false);
    return j.is_object() && j.contains("error") ? j["error"].value("code", "") : "(not a fault: " + r.body + ")";
  }

  // "CODE METHOD /path" of every endpoint in a listMethods / allowedMethods answer.
  static std::set<std::string> endpoints(const net::HttpResponse& r) {
    std::set<std::string> out;
    const Json j = Json::parse(r.body);
    for (const Json& s : j.at("services")) {
      for (const Json& e : s.at("endpoints")) {
        out.insert(s.at("service_code").get<std::string>() + " " + e.at("method").get<std::string>() + " " +
                   e.at("path").get<std::string>());
      }
    }
    return out;
  }

  // The provider side's decision about `message_id`, waiting (bounded) for the record.
  static Json provider_decision(const std::string& message_id) {
    for (int i = 0; i < 50; ++i) {
      const auto r = admin("GET", "/api/v1/decisions?limit=500");
      const Json j = Json::parse(r.body, nullptr, false);
      if (j.is_object() && j.contains("decisions")) {
        for (const Json& d : j["decisions"]) {
          if (d.value("message_id", "") == message_id && d.value("side", "") == "provider") return d;
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return nullptr;
  }

  static std::string quoted(const std::string& text) { return "'" + text + "'"; }

  static inline Federation* federation_ = nullptr;
  static inline InformationSystem* is_ = nullptr;
  static inline SecurityServerNode *fge_ = nullptr, *ssp_ = nullptr;
};

TEST_F(SecurityServerMetaservicesTest, ListClientsIsAnsweredByTheClientsOwnServer) {
  const int before = fge_->count_records();
  const auto r = call("GET", "/r1/QROO/listClients", kFgeSis);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("Content-Type"), "application/json");
  const Json j = Json::parse(r.body);
  EXPECT_EQ(j["instance"], "QROO");
  EXPECT_GE(j["configuration_version"].get<int>(), 1);
  std::map<std::string, std::pair<std::string, std::string>> clients;
  for (const Json& c : j["clients"]) clients[c["id"]] = {c["kind"], c["name"]};
  EXPECT_EQ(clients["QROO/EST/FGE"], std::make_pair(std::string("member"), std::string("Fiscalía General del Estado")));
  EXPECT_EQ(clients[kFgeOtro], std::make_pair(std::string("subsystem"), std::string("Fiscalía General del Estado")));
  EXPECT_EQ(clients[kSsp].first, "subsystem");
  EXPECT_EQ(clients["QROO/EST/SSP"].second, "Secretaría de Seguridad Pública");
  EXPECT_EQ(fge_->count_records(), before) << "listClients is not an exchange";

  EXPECT_EQ(error_code(call("GET", "/r1/QROO-TEST/listClients", kFgeSis)), "UNKNOWN_PROVIDER");
  EXPECT_EQ(error_code(call("GET", "/r1/QROO/listClients", "")), "MALFORMED_REQUEST");
  EXPECT_EQ(error_code(call("GET", "/r1/QROO/listClients", "QROO/EST/SSP/SIS")), "UNKNOWN_CLIENT");
  EXPECT_EQ(error_code(call("POST", "/r1/QROO/listClients", kFgeSis)), "MALFORMED_REQUEST");
  EXPECT_EQ(error_code(call("GET", "/r1/QROO/listClients?x=1", kFgeSis)), "MALFORMED_REQUEST");
}

TEST_F(SecurityServerMetaservicesTest, ListMethodsTravelsAsAnExchangeLoggedOnBothSides) {
  const int is_calls = is_->calls();
  const auto r = call("GET", "/r1/" + kSsp + "/listMethods", kFgeOtro);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(endpoints(r), (std::set<std::string>{"antecedentes GET /personas/*", "antecedentes POST /consultas",
                                                 "vehiculos * /**", "padron * /**", "grande * /**"}));
  EXPECT_EQ(r.header("X-Xacbe-Request-Hash").size(), 64u) << "a verified, e-stamped answer";
  EXPECT_EQ(is_->calls(), is_calls) << "the provider's server answers itself";
  const std::string id = quoted(r.header("X-Xacbe-Id"));
  const std::string service = quoted(kSsp + "/listMethods");
  EXPECT_EQ(fge_->count_records("side = 'client' AND message_id = " + id + " AND service = " + service), 2);
  EXPECT_EQ(ssp_->count_records("side = 'provider' AND message_id = " + id + " AND service = " + service), 2);
  const Json decision = provider_decision(r.header("X-Xacbe-Id"));
  ASSERT_FALSE(decision.is_null());
  EXPECT_EQ(decision["allowed"], true);
  EXPECT_EQ(decision["rule"], "metaservice");
}

TEST_F(SecurityServerMetaservicesTest, AllowedMethodsIsWhatTheAccessCheckLetsThrough) {
  const auto fge = call("GET", "/r1/" + kSsp + "/allowedMethods", kFgeSis);
  ASSERT_EQ(fge.status, 200) << fge.body;
  EXPECT_EQ(endpoints(fge), (std::set<std::string>{"antecedentes GET /personas/*", "vehiculos * /**", "padron * /**",
                                                   "grande * /**"}));
  // And the calls themselves agree.
  EXPECT_EQ(call("GET", "/r1/" + kSsp + "/antecedentes/personas/9", kFgeSis).status, 200);
  EXPECT_EQ(error_code(call("POST", "/r1/" + kSsp + "/antecedentes/consultas", kFgeSis)), "ACCESS_DENIED");

  const auto other = call("GET", "/r1/" + kSsp + "/allowedMethods", kFgeOtro);
  ASSERT_EQ(other.status, 200) << other.body;
  EXPECT_EQ(Json::parse(other.body), (Json{{"services", Json::array()}}));
  EXPECT_EQ(error_code(call("GET", "/r1/" + kSsp + "/antecedentes/personas/9", kFgeOtro)), "ACCESS_DENIED");
  EXPECT_EQ(ssp_->count_records("side = 'provider' AND message_id = " + quoted(other.header("X-Xacbe-Id"))), 2);
}

TEST_F(SecurityServerMetaservicesTest, GetOpenApiFetchesTheDocumentForAnAllowedClient) {
  const auto r = call("GET", "/r1/" + kSsp + "/getOpenAPI?serviceCode=antecedentes", kFgeSis);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, kOpenApi);
  EXPECT_EQ(r.header("Content-Type"), "application/json");
  const std::string id = quoted(r.header("X-Xacbe-Id"));
  const std::string service = quoted(kSsp + "/getOpenAPI");
  EXPECT_EQ(fge_->count_records("message_id = " + id + " AND service = " + service), 2);
  EXPECT_EQ(ssp_->count_records("message_id = " + id + " AND service = " + service), 2);
  const Json decision = provider_decision(r.header("X-Xacbe-Id"));
  ASSERT_FALSE(decision.is_null());
  EXPECT_EQ(decision["rule"], "right:" + kFgeSis);
}

TEST_F(SecurityServerMetaservicesTest, GetWsdlFetchesAnXmlDocument) {
  const auto r = call("GET", "/r1/" + kSsp + "/getWsdl?serviceCode=padron", kFgeSis);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, kWsdl);
  EXPECT_EQ(r.header("Content-Type"), "text/xml");
  // Not an OpenAPI document.
  EXPECT_EQ(error_code(call("GET", "/r1/" + kSsp + "/getOpenAPI?serviceCode=padron", kFgeSis)), "SERVICE_FAILED");
}

TEST_F(SecurityServerMetaservicesTest, RefusedMetaserviceCalls) {
  struct Row {
    std::string target, client, code;
  };
  const std::vector<Row> rows = {
      // No server carries the provider.
      {"/r1/QROO/EST/NADA/SIS/listMethods", kFgeSis, "UNKNOWN_PROVIDER"},
      {"/r1/QROO/EST/SSP/NADA/allowedMethods", kFgeSis, "UNKNOWN_PROVIDER"},
      // A caller without a right on the service.
      {"/r1/" + kSsp + "/getOpenAPI?serviceCode=antecedentes", kFgeOtro, "ACCESS_DENIED"},
      {"/r1/" + kSsp + "/getOpenAPI?serviceCode=nada", kFgeSis, "UNKNOWN_SERVICE"},
      {"/r1/" + kSsp + "/getOpenAPI", kFgeSis, "UNKNOWN_SERVICE"},
      {"/r1/" + kSsp + "/getOpenAPI?serviceCode=cerrado", kFgeSis, "SERVICE_DISABLED"},
      // The document is an HTML page, or not a WSDL.
      {"/r1/" + kSsp + "/getOpenAPI?serviceCode=vehiculos", kFgeSis, "SERVICE_FAILED"},
      {"/r1/" + kSsp + "/getWsdl?serviceCode=antecedentes", kFgeSis, "SERVICE_FAILED"},
      {"/r1/" + kSsp + "/getOpenAPI?serviceCode=grande", kFgeSis, "SERVICE_FAILED"},  // over 4 MiB
      {"/r1/" + kSsp + "/listMethods/x", kFgeSis, "UNKNOWN_SERVICE"},
      {"/r1/" + kSsp + "/listMethods?a=b", kFgeSis, "UNKNOWN_SERVICE"},
      // listClients is the client's own server's, never a provider's service.
      {"/r1/" + kSsp + "/listClients", kFgeSis, "UNKNOWN_SERVICE"},
  };
  for (const auto& row : rows) {
    const auto r = call("GET", row.target, row.client);
    EXPECT_EQ(error_code(r), row.code) << row.target << " by " << row.client << ": " << r.body;
  }
  const auto big = call("GET", "/r1/" + kSsp + "/getOpenAPI?serviceCode=grande", kFgeSis);
  EXPECT_NE(big.body.find("exceeds the limit"), std::string::npos) << big.body;
  const auto page = call("GET", "/r1/" + kSsp + "/getOpenAPI?serviceCode=vehiculos", kFgeSis);
  EXPECT_NE(page.body.find("content type 'text/html'"), std::string::npos) << page.body;
  // A refused metaservice call is a recorded decision.
  const auto denied = call("GET", "/r1/" + kSsp + "/getOpenAPI?serviceCode=antecedentes", kFgeOtro);
  const Json decision = provider_decision(denied.header("X-Xacbe-Id"));
  ASSERT_FALSE(decision.is_null());
  EXPECT_EQ(decision["allowed"], false);
  EXPECT_EQ(decision["rule"], "ACCESS_DENIED");
}

TEST_F(SecurityServerMetaservicesTest, AReservedCodeIsNoServiceName) {
  const auto r = admin("POST", "/api/v1/services", {{"id", kSsp + "/allowedMethods"}, {"url", is_->url()}});
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_NE(r.body.find("reserved"), std::string::npos) << r.body;
  const auto lower = admin("POST", "/api/v1/services", {{"id", kSsp + "/getopenapi"}, {"url", is_->url()}});
  EXPECT_EQ(lower.status, 400) << lower.body;
  // The metaservice still answers as before.
  const auto listed = call("GET", "/r1/" + kSsp + "/listMethods", kFgeSis);
  ASSERT_EQ(listed.status, 200) << listed.body;
  EXPECT_EQ(endpoints(listed).size(), 5u);
}

}  // namespace
}  // namespace xacbe::testing
