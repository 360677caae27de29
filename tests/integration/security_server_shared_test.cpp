// A shared security server: the state's public-security agency (SSP) also carries a
// municipality's information system (QROO/MUN/BJ/SIS), registered on its server with a
// register-client request the CEIQROO approved. On a shared server every client connects with
// HTTPS and a certificate registered for it, so that no member can speak as another.

#include <gtest/gtest.h>

#include <atomic>
#include <iostream>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>

#include "support/e2e/federation.hpp"
#include "xacbe/net/http_client.hpp"
#include "xacbe/net/http_server.hpp"
#include "xacbe/net/tls_context.hpp"

namespace xacbe::testing {
namespace {

using Json = nlohmann::json;

template <typename T>
T must(Result<T> r) {
  if (!r.is_ok()) throw std::runtime_error(r.status().to_string());
  return std::move(r).value();
}

class SharedServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    federation_ = new Federation({{XACBE_CLI_BIN, XACBE_TSA_BIN, XACBE_OCSP_BIN}, XACBE_REGISTRY_BIN, XACBE_SECURITY_SERVER_BIN});
    Federation& f = *federation_;
    f.admit("QROO/EST/FGE", "Fiscalia General del Estado", {"SIS"});
    f.admit("QROO/EST/SSP", "Secretaria de Seguridad Publica", {"SIS"});
    f.admit("QROO/MUN/BJ", "Municipio de Benito Juarez", {"SIS"});
    system_ = must(net::HttpServer::start({}, [](const net::HttpRequest& r) {
      return net::HttpResponse::make(200, "application/json", Json{{"client", r.header("X-Xacbe-Client")}}.dump());
    }));
    fge_ = &f.add_server("QROO/EST/FGE/SS1");
    ssp_ = &f.add_server("QROO/EST/SSP/SS1");
    f.register_client(*ssp_, "QROO/MUN/BJ/SIS");
    f.add_hosted_signing_key(*ssp_, "QROO/MUN/BJ", "Municipio de Benito Juarez");
    f.enable_client_tls(*ssp_);
    // The information systems' own certificates (any issuer; registered by fingerprint).
    ssp_is_ = f.services().issue("auth", "ssp-information-system");
    mun_is_ = f.services().issue("auth", "mun-information-system");
    ssp_->add_client("QROO/EST/SSP/SIS", "https-certificate", {must(crypto::Certificate::load(ssp_is_)).sha256_fingerprint()});
    ssp_->add_client("QROO/MUN/BJ/SIS", "https-certificate", {must(crypto::Certificate::load(mun_is_)).sha256_fingerprint()});
    fge_->add_client("QROO/EST/FGE/SIS");
    fge_->add_service("QROO/EST/FGE/SIS/carpetas", "http://127.0.0.1:" + std::to_string(system_->port()),
                      {"QROO/MUN/BJ/SIS", "QROO/EST/SSP/SIS"});
    fge_->start();
    ssp_->start();
  }
  static void TearDownTestSuite() {
    if (::testing::UnitTest::GetInstance()->failed_test_count() > 0) std::cerr << ssp_->log() << fge_->log();
    delete federation_;
    system_.reset();
  }

  // A call to the shared server's HTTPS client interface, with `certificate` (a PEM path; empty:
  // none) and X-Xacbe-Client `client`.
  static net::HttpResponse call_tls(const std::string& certificate, const std::string& client) {
    net::TlsOptions tls;
    tls.trusted = {must(crypto::Certificate::load(federation_->services().root_pem()))};
    if (!certificate.empty()) {
      tls.certificate = must(crypto::Certificate::load(certificate));
      std::string key = certificate.substr(0, certificate.size() - 4) + ".key";
      tls.key = std::make_shared<const crypto::PrivateKey>(must(crypto::PrivateKey::load(key)));
    }
    net::ClientOptions options;
    options.tls = must(net::TlsContext::create_client(tls));
    net::HttpRequest r;
    r.headers = {{"X-Xacbe-Client", client}};
    return must(net::http_request("https://127.0.0.1:" + std::to_string(ssp_->client_tls_port) +
                                      "/r1/QROO/EST/FGE/SIS/carpetas/x",
                                  r, options));
  }

  static std::string code(const net::HttpResponse& r) {
    auto j = Json::parse(r.body, nullptr, false);
    return j.is_object() && j.contains("error") ? j["error"].value("code", "") : "HTTP " + std::to_string(r.status);
  }

  static inline Federation* federation_ = nullptr;
  static inline std::unique_ptr<net::HttpServer> system_;
  static inline SecurityServerNode *fge_ = nullptr, *ssp_ = nullptr;
  static inline std::string ssp_is_, mun_is_;
};

TEST_F(SharedServerTest, EachMemberOfTheSharedServerCallsAsItself) {
  const auto mun = call_tls(mun_is_, "QROO/MUN/BJ/SIS");
  ASSERT_EQ(mun.status, 200) << mun.body;
  EXPECT_EQ(Json::parse(mun.body)["client"], "QROO/MUN/BJ/SIS");
  const auto ssp = call_tls(ssp_is_, "QROO/EST/SSP/SIS");
  ASSERT_EQ(ssp.status, 200) << ssp.body;
  EXPECT_EQ(Json::parse(ssp.body)["client"], "QROO/EST/SSP/SIS");
}

TEST_F(SharedServerTest, AClientCannotSpeakAsAnotherMember) {
  EXPECT_EQ(code(call_tls(mun_is_, "QROO/EST/SSP/SIS")), "CLIENT_NOT_AUTHENTICATED");
  EXPECT_EQ(code(call_tls(ssp_is_, "QROO/MUN/BJ/SIS")), "CLIENT_NOT_AUTHENTICATED");
}

TEST_F(SharedServerTest, WithoutItsCertificateOrOverPlainHttpNobodyIsServed) {
  EXPECT_EQ(code(call_tls("", "QROO/MUN/BJ/SIS")), "CLIENT_NOT_AUTHENTICATED");
  net::HttpRequest r;
  r.headers = {{"X-Xacbe-Client", "QROO/MUN/BJ/SIS"}};
  const auto plain = must(net::http_request(ssp_->client_url() + "/r1/QROO/EST/FGE/SIS/carpetas/x", r));
  EXPECT_EQ(code(plain), "CLIENT_NOT_AUTHENTICATED");
  EXPECT_EQ(plain.status, 401);
}

TEST_F(SharedServerTest, TheSharedServerMustRequireCertificatesOfEveryClient) {
  // A configuration with a plain-HTTP client on a server of several members does not start.
  SecurityServerNode& ssp = *ssp_;
  const Json saved = ssp.config;
  ssp.config["security_server"]["clients"]["QROO/EST/SSP/SIS"] = {{"connection", "http"}};
  EXPECT_THROW(ssp.start(), std::runtime_error);
  EXPECT_NE(ssp.log().find("requires https-certificate"), std::string::npos) << ssp.log();
  ssp.config = saved;
  ssp.start();
}

}  // namespace
}  // namespace xacbe::testing
