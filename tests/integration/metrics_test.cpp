// GET /metrics end to end: a federation on loopback (the real registry, CA, OCSP responder, TSA
// and two security servers), a few exchanges, one of them refused, then each /metrics scraped and
// parsed by the Prometheus project's own parser (Debian's python3-prometheus-client), so that the
// text is checked by a reader we did not write, and its counts against the exchanges made.

#include <gtest/gtest.h>

#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "support/e2e/federation.hpp"
#include "support/e2e/information_system.hpp"
#include "support/process.hpp"
#include "support/smtp_server.hpp"
#include "xacbe/crypto/encoding.hpp"
#include "xacbe/net/http_client.hpp"
#include "xacbe/net/http_server.hpp"

namespace xacbe::testing {
namespace {

using Json = nlohmann::json;

constexpr const char* kAdminToken = "5e0c7a91d2b34f68a1c9e07b3d5f2a48c6e1b9d07f3a5c2e8b4d6f0a1c3e5b79";
constexpr const char* kAuditorToken = "a7c3e5b9d1f2a4c6e8b0d2f4a6c8e0b1d3f5a7c9e1b3d5f7a9c1e3b5d7f9a0c2";
const std::string kCarpetas = "QROO/EST/FGE/SIS/carpetas";
const std::string kAntecedentes = "QROO/EST/SSP/SIS/antecedentes";

// One sample as the Prometheus parser read it.
struct Sample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

// The interpreter that has prometheus_client (python3-prometheus-client).
const std::string& prometheus_python() {
  static const std::string found = python_with("prometheus_client.parser");
  return found;
}

// Parses `text` with prometheus_client.parser.text_string_to_metric_families. Fails the test
// when the parser refuses it or is not installed.
std::vector<Sample> parse_with_prometheus_client(const std::string& text) {
  if (prometheus_python().empty()) {
    ADD_FAILURE() << "no python3 with prometheus_client (Debian package python3-prometheus-client; scripts/setup)";
    return {};
  }
  const std::string script =
      "import json, sys\n"
      "from prometheus_client.parser import text_string_to_metric_families\n"
      "out = []\n"
      "for family in text_string_to_metric_families(sys.stdin.read()):\n"
      "    for s in family.samples:\n"
      "        out.append({'name': s.name, 'labels': s.labels, 'value': s.value})\n"
      "print(json.dumps(out))\n";
  const CommandResult r = run_command({prometheus_python(), "-c", script}, text);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  std::vector<Sample> samples;
  const Json parsed = Json::parse(r.output, nullptr, false);
  if (!parsed.is_array()) {
    ADD_FAILURE() << "the parser printed: " << r.output;
    return samples;
  }
  for (const Json& s : parsed) {
    Sample sample{s["name"].get<std::string>(), s["labels"].get<std::map<std::string, std::string>>(),
                  s["value"].is_number() ? s["value"].get<double>() : 0};
    samples.push_back(std::move(sample));
  }
  return samples;
}

// The value of the one sample named `name` with exactly `labels`; nullopt when there is none.
std::optional<double> value_of(const std::vector<Sample>& samples, const std::string& name,
                               const std::map<std::string, std::string>& labels = {}) {
  for (const Sample& s : samples) {
    if (s.name == name && s.labels == labels) return s.value;
  }
  return std::nullopt;
}


class MetricsTest : public ::testing::Test {
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
    fge_->add_client("QROO/EST/FGE/SIS");
    fge_->add_service(kCarpetas, is_->url(), {"QROO/EST/SSP/SIS"});
    ssp_->add_client("QROO/EST/SSP/SIS");
    // FGE may only GET /personas/*: a POST is refused with ACCESS_DENIED by SSP's server.
    ssp_->add_service(kAntecedentes, is_->url(), {"QROO/EST/FGE/SIS GET /personas/*"});
    for (SecurityServerNode* node : {fge_, ssp_}) {
      node->config["security_server"]["admin_listen"] = {{"address", "127.0.0.1"}, {"port", free_port()}};
      node->config["security_server"]["users"] = {
          {"admin", {{"role", "administrator"}, {"token_sha256", crypto::to_hex(crypto::sha256(kAdminToken))}}},
          {"auditor", {{"role", "auditor"}, {"token_sha256", crypto::to_hex(crypto::sha256(kAuditorToken))}}}};
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

  static net::HttpResponse scrape(SecurityServerNode& node, const std::string& token) {
    net::HttpRequest r;
    r.method = "GET";
    r.target = "/metrics";
    if (!token.empty()) r.headers = {{"Authorization", "Bearer " + token}};
    const unsigned port = node.config["security_server"]["admin_listen"]["port"].get<unsigned>();
    auto response = net::http_request("http://127.0.0.1:" + std::to_string(port) + "/metrics", r);
    if (!response.is_ok()) throw std::runtime_error(response.status().to_string());
    return std::move(response).value();
  }

  static inline Federation* federation_ = nullptr;
  static inline InformationSystemMock* is_ = nullptr;
  static inline SecurityServerNode *fge_ = nullptr, *ssp_ = nullptr;
};

TEST_F(MetricsTest, ScrapesOfBothServersCountTheExchangesMade) {
  constexpr int kOk = 3;
  for (int i = 0; i < kOk; ++i) {
    ASSERT_EQ(exchange(*ssp_, "GET", "/r1/" + kCarpetas + "/expedientes/" + std::to_string(i), "QROO/EST/SSP/SIS").status,
              200);
  }
  const net::HttpResponse refused = exchange(*fge_, "POST", "/r1/" + kAntecedentes + "/consultas", "QROO/EST/FGE/SIS");
  ASSERT_EQ(refused.status, 403) << refused.body;

  const net::HttpResponse ssp_scrape = scrape(*ssp_, kAuditorToken);
  ASSERT_EQ(ssp_scrape.status, 200) << ssp_scrape.body;
  EXPECT_EQ(ssp_scrape.header("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  const auto ssp = parse_with_prometheus_client(ssp_scrape.body);
  const auto fge = parse_with_prometheus_client(scrape(*fge_, kAdminToken).body);

  // The client side of SSP's server and the provider side of FGE's saw the same three.
  EXPECT_EQ(value_of(ssp, "xacbe_exchanges_total", {{"side", "client"}, {"service", kCarpetas}, {"result", "ok"}}), kOk);
  EXPECT_EQ(value_of(fge, "xacbe_exchanges_total", {{"side", "provider"}, {"service", kCarpetas}, {"result", "ok"}}), kOk);
  // The refusal: once where SSP's server refused it, once where FGE's relayed it to its client.
  EXPECT_EQ(value_of(ssp, "xacbe_exchanges_total",
                     {{"side", "provider"}, {"service", kAntecedentes}, {"result", "ACCESS_DENIED"}}),
            1);
  EXPECT_EQ(value_of(fge, "xacbe_exchanges_total",
                     {{"side", "client"}, {"service", kAntecedentes}, {"result", "ACCESS_DENIED"}}),
            1);
  // Nothing else was counted.
  for (const auto* samples : {&ssp, &fge}) {
    double total = 0;
    for (const Sample& s : *samples) {
      if (s.name == "xacbe_exchanges_total") total += s.value;
    }
    EXPECT_EQ(total, kOk + 1);
  }
  // The histograms: one observation per exchange, on the side where it happened.
  EXPECT_EQ(value_of(ssp, "xacbe_exchange_duration_seconds_count", {{"side", "client"}}), kOk);
  EXPECT_EQ(value_of(ssp, "xacbe_exchange_duration_seconds_bucket", {{"side", "client"}, {"le", "+Inf"}}), kOk);
  EXPECT_EQ(value_of(ssp, "xacbe_exchange_duration_seconds_count", {{"side", "provider"}}), 1);
  EXPECT_EQ(value_of(fge, "xacbe_exchange_duration_seconds_count", {{"side", "provider"}}), kOk);
  EXPECT_GT(value_of(fge, "xacbe_exchange_duration_seconds_sum", {{"side", "provider"}}).value_or(0), 0);

  // The server's state: configuration, OCSP of both own certificates, TSA, the register.
  for (const auto* samples : {&ssp, &fge}) {
    EXPECT_EQ(value_of(*samples, "xacbe_global_configuration_in_use"), 1);
    EXPECT_GE(value_of(*samples, "xacbe_global_configuration_version").value_or(0), 1);
    EXPECT_GE(value_of(*samples, "xacbe_global_configuration_age_seconds").value_or(-1), 0);
    EXPECT_EQ(value_of(*samples, "xacbe_ocsp_up"), 1);
    int ocsp_ages = 0;
    for (const Sample& s : *samples) {
      if (s.name == "xacbe_ocsp_response_age_seconds" && s.labels.count("serial")) ++ocsp_ages;
    }
    EXPECT_EQ(ocsp_ages, 2);  // authentication and signing
    EXPECT_TRUE(value_of(*samples, "xacbe_tsa_up").has_value());
    EXPECT_GE(value_of(*samples, "xacbe_register_records").value_or(0), 2);
    EXPECT_GE(value_of(*samples, "xacbe_register_untimestamped_records").value_or(-1), 0);
    EXPECT_TRUE(value_of(*samples, "xacbe_register_oldest_untimestamped_age_seconds").has_value());
    EXPECT_GE(value_of(*samples, "xacbe_register_commits_total").value_or(0), 1);
    EXPECT_EQ(value_of(*samples, "xacbe_register_admitting"), 1);
  }
}

TEST_F(MetricsTest, TheRegistrysScrapeShowsItsMembersAndServers) {
  const auto reply = federation_->registry().get("/metrics", RegistryProcess::As::kAuditor);
  ASSERT_EQ(reply.status, 200) << reply.http.body;
  EXPECT_EQ(reply.http.header("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  const auto samples = parse_with_prometheus_client(reply.http.body);
  EXPECT_GE(value_of(samples, "xacbe_registry_members", {{"state", "active"}}).value_or(0), 2);  // FGE, SSP
  EXPECT_EQ(value_of(samples, "xacbe_registry_members", {{"state", "pending"}}), 0);
  EXPECT_EQ(value_of(samples, "xacbe_registry_security_servers"), 2);
  EXPECT_EQ(value_of(samples, "xacbe_registry_management_requests_pending"), 0);
  EXPECT_EQ(value_of(samples, "xacbe_registry_applications_pending"), 0);
  EXPECT_TRUE(value_of(samples, "xacbe_registry_mail_outbox", {{"state", "failed"}}).has_value());
  EXPECT_GE(value_of(samples, "xacbe_registry_audit_entries").value_or(0), 1);
  EXPECT_GE(value_of(samples, "xacbe_registry_global_configuration_version").value_or(0), 1);
  EXPECT_GE(value_of(samples, "xacbe_registry_global_configuration_age_seconds").value_or(-1), 0);
}

TEST_F(MetricsTest, AScrapeWithoutAValidTokenIsRefusedAsTheAdminApiRefuses) {
  for (const std::string& token : {std::string(), std::string("wrong-token")}) {
    const net::HttpResponse r = scrape(*fge_, token);
    EXPECT_EQ(r.status, 401) << token;
    EXPECT_EQ(r.header("WWW-Authenticate"), "Bearer");
    EXPECT_EQ(Json::parse(r.body, nullptr, false)["error"]["code"], "UNAUTHENTICATED");
  }
  for (const auto as : {RegistryProcess::As::kAnonymous, RegistryProcess::As::kWrongToken}) {
    const auto reply = federation_->registry().get("/metrics", as);
    EXPECT_EQ(reply.status, 401);
    EXPECT_EQ(reply.code(), "UNAUTHENTICATED");
  }
}

}  // namespace
}  // namespace xacbe::testing
