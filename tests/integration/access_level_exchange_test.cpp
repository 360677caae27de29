// Access levels end to end (docs/protocol/access-levels.md): the CEIQROO sets the levels with the
// CLI against the real registry, the registry publishes them in the global configuration, and a
// provider's security server that requires a minimum level for a service refuses a client whose
// level is below it, with the rule that refused, in its answer and in its record of decisions. A
// lowered level applies from the next configuration the servers download.

#include <gtest/gtest.h>

#include <atomic>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "support/e2e/federation.hpp"
#include "support/process.hpp"
#include "support/smtp_server.hpp"
#include "xacbe/crypto/encoding.hpp"
#include "xacbe/globalconf/global_configuration.hpp"
#include "xacbe/globalconf/signed_configuration.hpp"
#include "xacbe/net/http_client.hpp"
#include "xacbe/net/http_server.hpp"

namespace xacbe::testing {
namespace {

using Json = nlohmann::json;

FederationExecutables executables() {
  return {{XACBE_CLI_BIN, XACBE_TSA_BIN, XACBE_OCSP_BIN}, XACBE_REGISTRY_BIN, XACBE_SECURITY_SERVER_BIN};
}

const char* kService = "QROO/EST/SSP/SIS/antecedentes";
const char* kClient = "QROO/EST/FGE/SIS";
const char* kAuditorToken = "0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c";

class AccessLevelExchangeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    federation_ = new Federation(executables());
    Federation& f = *federation_;
    f.admit("QROO/EST/FGE", "Fiscalía General del Estado", {"SIS"});
    f.admit("QROO/EST/SSP", "Secretaría de Seguridad Pública", {"SIS"});
    // The CEIQROO's levels, and the client member's level, set as an operator sets them.
    ceiqroo({"access-levels", "set", "public=Pública", "restricted=Reservada", "confidential=Confidencial"});
    ceiqroo({"access-levels", "assign", "QROO/EST/FGE", "confidential"});
    auto server = net::HttpServer::start({}, [](const net::HttpRequest&) {
      ++calls_;
      return net::HttpResponse::make(200, "text/plain", "antecedentes");
    });
    if (!server.is_ok()) throw std::runtime_error(server.status().to_string());
    system_ = std::move(server).value().release();
    fge_ = &f.add_server("QROO/EST/FGE/SS1");
    ssp_ = &f.add_server("QROO/EST/SSP/SS1");
    fge_->add_client(kClient);
    ssp_->add_client("QROO/EST/SSP/SIS");
    ssp_->add_service(kService, "http://127.0.0.1:" + std::to_string(system_->port()), {kClient});
    ssp_->config["security_server"]["services"][kService]["minimum_level"] = "restricted";
    ssp_->config["security_server"]["admin_listen"] = {{"address", "127.0.0.1"}, {"port", free_port()}};
    ssp_->config["security_server"]["users"] = {
        {"auditor", {{"role", "auditor"}, {"token_sha256", crypto::to_hex(crypto::sha256(kAuditorToken))}}}};
    fge_->start();
    ssp_->start();
  }
  static void TearDownTestSuite() {
    if (::testing::UnitTest::GetInstance()->failed_test_count() > 0) {
      for (auto* node : {fge_, ssp_}) std::cerr << "---- " << node->id << " log ----\n" << node->log();
    }
    delete federation_;
    delete system_;
  }

  // "xacbe registry ... <args>" as the CEIQROO's administrator; throws unless it succeeds.
  static Json ceiqroo(const std::vector<std::string>& args) {
    RegistryProcess& registry = federation_->registry();
    std::vector<std::string> argv = {"registry", "--url", registry.url(), "--token-file", registry.admin().file};
    argv.insert(argv.end(), args.begin(), args.end());
    const CommandResult r = federation_->services().cli(argv);
    if (r.exit_code != 0) throw std::runtime_error("xacbe registry: " + r.output);
    return Json::parse(r.output);
  }

  // The version the registry serves now (publishing a new one if something changed).
  static std::uint64_t served_version() {
    const auto reply = federation_->registry().get("/globalconf/QROO", RegistryProcess::As::kAnonymous);
    if (reply.status != 200) throw std::runtime_error("globalconf: HTTP " + std::to_string(reply.status));
    auto signed_form = globalconf::SignedConfiguration::parse(reply.http.body);
    if (!signed_form) throw std::runtime_error(signed_form.status().to_string());
    auto doc = globalconf::GlobalConfiguration::from_json(signed_form->content);
    if (!doc) throw std::runtime_error(doc.status().to_string());
    return doc->version();
  }

  static Json ssp_admin(const std::string& target) {
    net::HttpRequest r;
    r.method = "GET";
    r.target = target;
    r.headers = {{"Authorization", std::string("Bearer ") + kAuditorToken}};
    const unsigned port = ssp_->config["security_server"]["admin_listen"]["port"].get<unsigned>();
    auto response = net::http_request("http://127.0.0.1:" + std::to_string(port) + target, r);
    if (!response.is_ok()) throw std::runtime_error(response.status().to_string());
    return Json::parse(response->body);
  }

  // Waits (bounded) until the provider's server uses a configuration of at least `version`: its
  // refresh runs in another process, on its own schedule.
  static void wait_for_provider_configuration(std::uint64_t version) {
    for (int i = 0; i < 100; ++i) {
      const Json status = ssp_admin("/api/v1/status");
      const Json& v = status["global_configuration"]["version"];
      if (v.is_number_unsigned() && v.get<std::uint64_t>() >= version) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));  // waiting for another process, not for time
    }
    throw std::runtime_error("the provider's server did not download version " + std::to_string(version));
  }

  static net::HttpResponse call() {
    net::HttpRequest r;
    r.method = "GET";
    r.target = std::string("/r1/") + kService + "/personas/1";
    r.headers = {{"X-Xacbe-Client", kClient}};
    net::ClientOptions options;
    options.timeout = std::chrono::seconds(30);
    auto response = net::http_request(fge_->client_url() + r.target, r, options);
    if (!response.is_ok()) throw std::runtime_error(response.status().to_string());
    return std::move(response).value();
  }

  static Json error_of(const net::HttpResponse& r) {
    auto j = Json::parse(r.body, nullptr, false);
    return j.is_object() && j.contains("error") ? j["error"] : Json::object();
  }

  static inline Federation* federation_ = nullptr;
  static inline net::HttpServer* system_ = nullptr;
  static inline std::atomic<int> calls_{0};
  static inline SecurityServerNode *fge_ = nullptr, *ssp_ = nullptr;
};

TEST_F(AccessLevelExchangeTest, ALoweredLevelIsRefusedFromTheNextConfigurationWithTheRuleThatRefused) {
  // Confidential reaches the service's minimum (restricted): allowed.
  wait_for_provider_configuration(served_version());
  const auto allowed = call();
  ASSERT_EQ(allowed.status, 200) << allowed.body;
  EXPECT_EQ(allowed.body, "antecedentes");
  const int calls = calls_;

  // The CEIQROO lowers the member's level; its subsystem has none of its own, so it follows.
  const Json lowered = ceiqroo({"access-levels", "assign", "QROO/EST/FGE", "public"});
  EXPECT_EQ(lowered["level"], "public");
  const Json shown = ceiqroo({"access-levels", "show"});
  ASSERT_EQ(shown["levels"].size(), 3u);
  EXPECT_EQ(shown["levels"][0]["code"], "public");
  EXPECT_EQ(shown["assignments"][0]["client"], "QROO/EST/FGE");
  EXPECT_EQ(shown["assignments"][0]["level"], "public");
  wait_for_provider_configuration(served_version());

  const auto refused = call();
  EXPECT_EQ(refused.status, 403) << refused.body;
  const Json error = error_of(refused);
  EXPECT_EQ(error.value("code", ""), "ACCESS_DENIED") << refused.body;
  EXPECT_EQ(error.value("side", ""), "provider-side") << refused.body;
  const std::string message = error.value("message", "");
  EXPECT_NE(message.find("(level:restricted)"), std::string::npos) << message;
  EXPECT_NE(message.find("access level 'public' is below the required 'restricted'"), std::string::npos) << message;
  EXPECT_EQ(calls_, calls) << "a refused call must not reach the provider's system";

  // The provider's record of decisions names the refusal and its rule. A decision is written with
  // the register writer's next group, after the answer: asked again a bounded while.
  Json decisions = ssp_admin("/api/v1/decisions?limit=1000")["decisions"];
  for (int attempt = 0; attempt < 100 && (decisions.empty() || decisions.back()["allowed"].get<bool>()); ++attempt) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    decisions = ssp_admin("/api/v1/decisions?limit=1000")["decisions"];
  }
  ASSERT_FALSE(decisions.empty());
  const Json& last = decisions.back();
  EXPECT_EQ(last["side"], "provider");
  EXPECT_EQ(last["client"], kClient);
  EXPECT_EQ(last["service"], kService);
  EXPECT_FALSE(last["allowed"].get<bool>());
  EXPECT_EQ(last["rule"], "ACCESS_DENIED");
  EXPECT_NE(last["reason"].get<std::string>().find("(level:restricted)"), std::string::npos) << last;

  // The CEIQROO gives the subsystem a level of its own, above its member's: allowed again.
  ceiqroo({"access-levels", "assign", kClient, "restricted"});
  wait_for_provider_configuration(served_version());
  const auto again = call();
  EXPECT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(calls_, calls + 1);
}

TEST_F(AccessLevelExchangeTest, TheRegistryRefusesWhatTheLevelsRulesForbid) {
  RegistryProcess& registry = federation_->registry();
  struct Row {
    const char* name;
    std::string target;
    Json body;
    int status;
  };
  const std::vector<Row> rows = {
      {"a level not in the list", "/api/v1/access-levels/assignments", {{"client", "QROO/EST/SSP"}, {"level", "secret"}},
       400},
      {"a bad client id", "/api/v1/access-levels/assignments", {{"client", "QROO/est/SSP"}, {"level", "public"}}, 400},
      {"an unknown member", "/api/v1/access-levels/assignments", {{"client", "QROO/EST/SAT"}, {"level", "public"}}, 404},
      {"removing an assigned level", "/api/v1/access-levels", {{"levels", {{{"code", "restricted"}, {"name", "R"}}}}},
       409},
      {"a hostile name", "/api/v1/access-levels", {{"levels", {{{"code", "public"}, {"name", "\x1b[2J"}}}}}, 400},
      {"an unknown key", "/api/v1/access-levels", {{"levels", Json::array()}, {"extra", 1}}, 400},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    const auto reply = registry.post(row.target, row.body);
    EXPECT_EQ(reply.status, row.status) << reply.http.body;
  }
  // Nothing changed.
  const Json shown = ceiqroo({"access-levels", "show"});
  EXPECT_EQ(shown["levels"].size(), 3u);
  // The CLI refuses a malformed client id before sending anything (usage error).
  RegistryProcess& r = federation_->registry();
  const CommandResult bad = federation_->services().cli(
      {"registry", "--url", r.url(), "--token-file", r.admin().file, "access-levels", "assign", "QROO/est/X", "public"});
  EXPECT_EQ(bad.exit_code, 2) << bad.output;
}

}  // namespace
}  // namespace xacbe::testing
