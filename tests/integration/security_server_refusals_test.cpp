// The provider side's refusals, one test per attack (issue list: tampered body, head or e-stamp;
// replayed message; signer of another member; unregistered or wrong-server authentication
// certificate; revoked signing certificate; stale OCSP response; expired configuration; suspended
// member). The attacker is a "rogue" security server made in this process: it holds a member's
// real keys and certificates (as a compromised or misbehaving server would) and crafts messages
// byte by byte, so that each check is reached on its own.

#include <gtest/gtest.h>

#include <atomic>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "estamp/estamp.hpp"
#include "estamp/signer.hpp"
#include "exchange/context.hpp"
#include "exchange/message.hpp"
#include "support/e2e/federation.hpp"
#include "xacbe/crypto/encoding.hpp"
#include "xacbe/crypto/ocsp_client.hpp"
#include "xacbe/net/http_client.hpp"
#include "xacbe/net/http_server.hpp"

namespace xacbe::testing {
namespace {

using Json = nlohmann::json;

template <typename T>
T must(Result<T> r, const std::string& what = "") {
  if (!r.is_ok()) throw std::runtime_error(what + ": " + r.status().to_string());
  return std::move(r).value();
}

FederationExecutables executables() {
  return {{XACBE_CLI_BIN, XACBE_TSA_BIN, XACBE_OCSP_BIN}, XACBE_REGISTRY_BIN, XACBE_SECURITY_SERVER_BIN};
}

// The provider's information system: counts what reaches it.
class CountingSystem {
 public:
  CountingSystem() {
    auto server = net::HttpServer::start({}, [this](const net::HttpRequest&) {
      ++calls_;
      return net::HttpResponse::make(200, "text/plain", "data");
    });
    server_ = must(std::move(server));
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(server_->port()); }
  int calls() const { return calls_; }

 private:
  std::unique_ptr<net::HttpServer> server_;
  std::atomic<int> calls_{0};
};

// One crafted message: its parts, each of which a test may spoil before sending.
struct Message {
  std::string head, estamp, body, auth_ocsp;
};

class Rogue {
 public:
  // Speaks with `auth` (key, certificate) to the provider `target`, signing with `sign`.
  Rogue(TrustServices& services, std::pair<std::string, std::string> auth, std::pair<std::string, std::string> sign)
      : services_(services) {
    ca_ = must(crypto::Certificate::load(services.root_pem()), "ca");
    responder_ = must(crypto::Certificate::load(services.ocsp_cert()), "ocsp cert");
    auth_cert_ = must(crypto::Certificate::load(auth.second), "auth cert");
    net::TlsOptions tls;
    tls.certificate = auth_cert_;
    tls.key = std::make_shared<const crypto::PrivateKey>(must(crypto::PrivateKey::load(auth.first), "auth key"));
    tls.trusted = {*ca_};
    tls_ = must(net::TlsContext::create_client(tls), "tls");
    set_signer(sign);
  }

  void set_signer(const std::pair<std::string, std::string>& sign) {
    sign_cert_ = must(crypto::Certificate::load(sign.second), "sign cert");
    signer_ = must(ss::SoftwareSigner::create(must(crypto::PrivateKey::load(sign.first), "sign key"), *sign_cert_), "signer");
  }

  std::string ocsp_for(const crypto::Certificate& cert) {
    static const SystemClock clock;
    crypto::OcspClientOptions options;
    options.request.nonce_octets = 0;
    crypto::OcspClient client(clock, options);
    return must(client.query(services_.ocsp_url(), cert, *ca_, {*responder_}), "ocsp").der;
  }

  // A well-formed request of `client` for `service` with this rogue's keys.
  Message make(const std::string& client, const std::string& service, const std::string& path,
               const std::string& message_id = ss::new_message_id()) {
    ss::RequestHead head{must(id::ClientId::parse(client)), must(id::ServiceId::parse(service)), message_id, "", "",
                         "GET", path, "", {}, ss::new_message_id()};
    Message m;
    m.head = ss::to_json(head);
    m.body = "";
    ss::StampContent content{"request", message_id, client, service, {},
                             {{"head", crypto::sha256(m.head)}, {"body", crypto::sha256(m.body)}}};
    const auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
    m.estamp = must(ss::sign_estamp(content, *signer_, ocsp_for(*sign_cert_), now), "sign");
    m.auth_ocsp = ocsp_for(*auth_cert_);
    return m;
  }

  Result<net::HttpResponse> send(const SecurityServerNode& provider, const Message& m,
                                 const std::vector<std::string>& pinned) {
    net::HttpRequest r;
    r.method = "POST";
    r.target = ss::kMessagePath;
    r.headers = {{ss::kHeadHeader, crypto::base64_encode(m.head)},
                 {ss::kEStampHeader, crypto::base64_encode(m.estamp)},
                 {ss::kAuthOcspHeader, crypto::base64_encode(m.auth_ocsp)}};
    r.body = m.body;
    net::ClientOptions options;
    options.tls = tls_;
    options.peer.pinned = pinned;
    options.timeout = std::chrono::seconds(20);
    return net::http_request("https://127.0.0.1:" + std::to_string(provider.provider_port) + ss::kMessagePath, r, options);
  }

 private:
  TrustServices& services_;
  std::optional<crypto::Certificate> ca_, responder_, auth_cert_, sign_cert_;
  std::shared_ptr<net::TlsContext> tls_;
  std::unique_ptr<ss::SoftwareSigner> signer_;
};

std::string fault_code(const Result<net::HttpResponse>& r) {
  if (!r.is_ok()) return "(no answer: " + r.status().to_string() + ")";
  auto j = Json::parse(r->body, nullptr, false);
  return j.is_object() && j.contains("error") ? j["error"].value("code", "") : "(HTTP " + std::to_string(r->status) + ")";
}

std::string fingerprint(const std::string& pem) { return must(crypto::Certificate::load(pem)).sha256_fingerprint(); }

class SecurityServerRefusalTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    federation_ = new Federation(executables());
    Federation& f = *federation_;
    f.admit("QROO/EST/FGE", "Fiscalia General del Estado", {"SIS"});
    f.admit("QROO/EST/SSP", "Secretaria de Seguridad Publica", {"SIS"});
    system_ = new CountingSystem();
    fge_ = &f.add_server("QROO/EST/FGE/SS1");
    ssp_ = &f.add_server("QROO/EST/SSP/SS1");
    fge_->add_client("QROO/EST/FGE/SIS");
    ssp_->add_client("QROO/EST/SSP/SIS");
    ssp_->add_service("QROO/EST/SSP/SIS/antecedentes", system_->url(), {"QROO/EST/FGE/SIS"});
    fge_->start();
    ssp_->start();
  }
  static void TearDownTestSuite() {
    if (::testing::UnitTest::GetInstance()->failed_test_count() > 0) std::cerr << ssp_->log();
    delete federation_;
    delete system_;
  }

  void SetUp() override {
    rogue_ = std::make_unique<Rogue>(federation_->services(), std::make_pair(fge_->auth_key, fge_->auth_cert),
                                     fge_->signing.at("QROO/EST/FGE"));
  }

  Result<net::HttpResponse> send(const Message& m) { return rogue_->send(*ssp_, m, {fingerprint(ssp_->auth_cert)}); }
  Message genuine(const std::string& path = "/x") {
    return rogue_->make("QROO/EST/FGE/SIS", "QROO/EST/SSP/SIS/antecedentes", path);
  }

  static inline Federation* federation_ = nullptr;
  static inline CountingSystem* system_ = nullptr;
  static inline SecurityServerNode *fge_ = nullptr, *ssp_ = nullptr;
  std::unique_ptr<Rogue> rogue_;
};

TEST_F(SecurityServerRefusalTest, AGenuineCraftedMessageIsAccepted) {
  const int calls = system_->calls();
  auto r = send(genuine());
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->body, "data");
  EXPECT_EQ(system_->calls(), calls + 1);
}

TEST_F(SecurityServerRefusalTest, EachTamperingIsRefusedAndNothingIsForwarded) {
  struct Row {
    std::string name;
    std::function<void(Message&)> spoil;
    std::string code;
  };
  const std::vector<Row> rows = {
      {"body", [](Message& m) { m.body.assign(1, 'x'); }, "DIGEST_MISMATCH"},  // (not = "x": a GCC 12 -O2 false -Wrestrict)
      {"head path",
       [](Message& m) {
         const auto pos = m.head.find("\"/x\"");
         ASSERT_NE(pos, std::string::npos);
         m.head[pos + 2] = 'y';  // "/x" -> "/y"
       },
       "DIGEST_MISMATCH"},
      {"head not JSON", [](Message& m) { m.head = "not json"; }, "MALFORMED_MESSAGE"},
      {"e-stamp digest",
       [](Message& m) {
         const auto pos = m.estamp.find("name=\"body\">") + 12;
         m.estamp[pos] = m.estamp[pos] == '0' ? '1' : '0';
       },
       "INVALID_ESTAMP"},
      {"e-stamp not XML", [](Message& m) { m.estamp = "<x"; }, "INVALID_ESTAMP"},
      {"no auth OCSP", [](Message& m) { m.auth_ocsp.clear(); }, "PEER_NOT_AUTHENTICATED"},
      {"auth OCSP of another certificate",
       [this](Message& m) { m.auth_ocsp = rogue_->ocsp_for(must(crypto::Certificate::load(ssp_->auth_cert))); },
       "PEER_NOT_AUTHENTICATED"},
  };
  const int calls = system_->calls();
  for (const auto& row : rows) {
    Message m = genuine();
    row.spoil(m);
    auto r = send(m);
    EXPECT_EQ(fault_code(r), row.code) << row.name << ": " << (r.is_ok() ? r->body : "");
    if (r.is_ok()) {
      EXPECT_EQ(r->header("X-Xacbe-Error"), "provider-side." + row.code) << row.name;
    }
  }
  EXPECT_EQ(system_->calls(), calls) << "a refused message reached the provider's system";
}

TEST_F(SecurityServerRefusalTest, TheSameBytesSentTwiceAreAReplay) {
  const Message m = genuine();
  auto first = send(m);
  ASSERT_TRUE(first.is_ok());
  ASSERT_EQ(first->status, 200) << first->body;
  const int calls = system_->calls();
  EXPECT_EQ(fault_code(send(m)), "REPLAYED_MESSAGE");
  EXPECT_EQ(system_->calls(), calls);
}

TEST_F(SecurityServerRefusalTest, ASignerOfAnotherMemberIsRefused) {
  rogue_->set_signer(ssp_->signing.at("QROO/EST/SSP"));
  EXPECT_EQ(fault_code(send(genuine())), "SIGNER_MISMATCH");
}

TEST_F(SecurityServerRefusalTest, AServerThatDoesNotCarryTheClientIsRefused) {
  // SSP's server, with its own registered certificate, speaking for FGE's subsystem.
  Rogue other(federation_->services(), {ssp_->auth_key, ssp_->auth_cert}, fge_->signing.at("QROO/EST/FGE"));
  Message m = other.make("QROO/EST/FGE/SIS", "QROO/EST/SSP/SIS/antecedentes", "/x");
  EXPECT_EQ(fault_code(other.send(*ssp_, m, {fingerprint(ssp_->auth_cert)})), "CLIENT_NOT_REGISTERED");
}

TEST_F(SecurityServerRefusalTest, AnUnregisteredAuthenticationCertificateIsRefusedAtTheHandshake) {
  // Issued by the CEIQROO CA, but never registered for a server.
  const std::string pem = federation_->services().issue("auth", "rogue-auth");
  Rogue stranger(federation_->services(), {federation_->services().dir().file("rogue-auth.key"), pem},
                 fge_->signing.at("QROO/EST/FGE"));
  auto r = stranger.send(*ssp_, stranger.make("QROO/EST/FGE/SIS", "QROO/EST/SSP/SIS/antecedentes", "/x"),
                         {fingerprint(ssp_->auth_cert)});
  EXPECT_FALSE(r.is_ok()) << "the handshake must fail: " << (r.is_ok() ? r->body : "");
}

TEST_F(SecurityServerRefusalTest, ARevokedSigningCertificateIsRefused) {
  Federation& f = *federation_;
  SecurityServerNode scratch;
  scratch.dir = fge_->dir;
  f.add_hosted_signing_key(scratch, "QROO/EST/FGE", "Fiscalia General del Estado");
  const auto& files = scratch.signing.at("QROO/EST/FGE");
  auto revoked = f.services().cli({"ca", "revoke", "--serial", serial_of(files.second), "--reason", "keyCompromise"});
  ASSERT_EQ(revoked.exit_code, 0) << revoked.output;
  rogue_->set_signer(files);
  EXPECT_EQ(fault_code(send(genuine())), "CERTIFICATE_NOT_GOOD");
}

TEST_F(SecurityServerRefusalTest, ARevokedAuthenticationCertificateIsRefused) {
  // A second server of the same member, registered and then compromised: its certificate revoked.
  SecurityServerNode& second = federation_->add_server("QROO/EST/FGE/SS2");
  Rogue revoked(federation_->services(), {second.auth_key, second.auth_cert}, fge_->signing.at("QROO/EST/FGE"));
  // Before: accepted once the provider's server has the configuration that lists it.
  std::string code;
  for (int i = 0; i < 50; ++i) {
    auto r = revoked.send(*ssp_, revoked.make("QROO/EST/FGE/SIS", "QROO/EST/SSP/SIS/antecedentes", "/x"),
                          {fingerprint(ssp_->auth_cert)});
    if (r.is_ok()) {
      code = r->status == 200 ? "OK" : fault_code(r);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the other process's refresh
  }
  ASSERT_EQ(code, "OK");
  auto revoke = federation_->services().cli({"ca", "revoke", "--serial", serial_of(second.auth_cert), "--reason", "keyCompromise"});
  ASSERT_EQ(revoke.exit_code, 0) << revoke.output;
  const int calls = system_->calls();
  auto r = revoked.send(*ssp_, revoked.make("QROO/EST/FGE/SIS", "QROO/EST/SSP/SIS/antecedentes", "/x"),
                        {fingerprint(ssp_->auth_cert)});
  EXPECT_EQ(fault_code(r), "CERTIFICATE_NOT_GOOD");
  EXPECT_EQ(system_->calls(), calls);
}

// Rules that depend on time and on the registry's decisions, with the provider's clock moved
// (libfaketime) and a member suspended through the registry's API.
class SecurityServerStateTest : public SecurityServerRefusalTest {
 protected:
  void TearDown() override { ssp_->start(); }  // the real clock again, for the next test
};

TEST_F(SecurityServerStateTest, AnOcspResponseOlderThanTheFreshnessLimitIsRefused) {
  ssp_->start(faketime_environment("+2h"));  // every OCSP response made now is two hours old there
  EXPECT_EQ(fault_code(send(genuine())), "OCSP_STALE");
}

TEST_F(SecurityServerStateTest, AnExpiredConfigurationStopsEveryExchange) {
  ssp_->start(faketime_environment("+3d"));  // the configuration is valid for one day
  EXPECT_EQ(fault_code(send(genuine())), "NO_GLOBAL_CONFIGURATION");
}

TEST_F(SecurityServerStateTest, AServerWithoutAFreshOcspResponseRefusesToSign) {
  // Two hours later on the client's server, every response the responder gives is too old to sign with.
  fge_->start(faketime_environment("+2h"));
  net::HttpRequest r;
  r.headers = {{"X-Xacbe-Client", "QROO/EST/FGE/SIS"}};
  auto answer = net::http_request(fge_->client_url() + "/r1/QROO/EST/SSP/SIS/antecedentes/x", r);
  ASSERT_TRUE(answer.is_ok());
  EXPECT_EQ(fault_code(answer), "SIGNING_UNAVAILABLE");
  EXPECT_EQ(answer->header("X-Xacbe-Error"), "client-side.SIGNING_UNAVAILABLE");
  fge_->start();
}

// Last: the member stays suspended.
TEST_F(SecurityServerStateTest, ZzASuspendedMembersMessagesAreRefusedEvenWithResponsesMadeBefore) {
  std::vector<Message> made;
  for (int i = 0; i < 100; ++i) made.push_back(genuine());
  federation_->admin("POST", "/api/v1/members/QROO/EST/FGE/suspend", {{"reason", "security incident"}}, 200);
  // The provider's server refreshes its configuration every second; until then it still accepts.
  // Then the suspended member's server is no longer in it: the handshake itself fails.
  bool refused = false;
  for (const auto& m : made) {
    auto r = send(m);
    if (!r.is_ok() || r->status != 200) {
      refused = true;
      EXPECT_FALSE(r.is_ok()) << "expected a refused handshake, got " << r->body;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // waiting for another process, not for time
  }
  EXPECT_TRUE(refused);
  const int calls = system_->calls();
  EXPECT_FALSE(send(made.back()).is_ok());
  EXPECT_EQ(system_->calls(), calls);
  // The member's own server stops its calls too once its configuration no longer lists it.
  std::string code;
  for (int i = 0; i < 100 && code != "UNKNOWN_CLIENT"; ++i) {
    net::HttpRequest r;
    r.headers = {{"X-Xacbe-Client", "QROO/EST/FGE/SIS"}};
    code = fault_code(net::http_request(fge_->client_url() + "/r1/QROO/EST/SSP/SIS/antecedentes/x", r));
    if (code != "UNKNOWN_CLIENT") std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(code, "UNKNOWN_CLIENT");
}

}  // namespace
}  // namespace xacbe::testing
