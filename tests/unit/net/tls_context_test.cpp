#include "xacbe/net/tls_context.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "support/test_pki.hpp"
#include "xacbe/net/http_client.hpp"
#include "xacbe/net/http_server.hpp"

namespace xacbe::net {
namespace {

using namespace std::chrono_literals;
using testing::KeyAndCert;
using testing::TestPki;

// OpenSSL checks peer certificates against the system time during a handshake, so this PKI is
// issued at the real current time (read once here; nothing waits on it).
TimePoint real_now() {
  return std::chrono::system_clock::now();
}

TlsOptions identity(KeyAndCert kc) {
  TlsOptions options;
  options.certificate = kc.cert;
  options.key = std::make_shared<const crypto::PrivateKey>(std::move(kc.key));
  return options;
}

std::shared_ptr<TlsContext> server_context(TlsOptions options) {
  auto ctx = TlsContext::create_server(std::move(options));
  EXPECT_TRUE(ctx) << ctx.status().to_string();
  return ctx ? *ctx : nullptr;
}

std::shared_ptr<TlsContext> client_context(TlsOptions options) {
  auto ctx = TlsContext::create_client(std::move(options));
  EXPECT_TRUE(ctx) << ctx.status().to_string();
  return ctx ? *ctx : nullptr;
}

class TlsTest : public ::testing::Test {
 protected:
  // Starts an HTTPS server whose handler records the peer certificate it was given.
  void start(std::shared_ptr<TlsContext> tls) {
    ASSERT_NE(tls, nullptr);
    ServerOptions options;
    options.address = "127.0.0.1";
    options.threads = 2;
    options.idle_timeout = 5s;
    options.tls = std::move(tls);
    auto server = HttpServer::start(std::move(options), [this](const HttpRequest& r) {
      ++calls_;
      std::lock_guard lock(mu_);
      peer_ = r.peer_certificate;
      return HttpResponse::make(200, "text/plain", "secure");
    });
    ASSERT_TRUE(server) << server.status().to_string();
    server_ = std::move(server).value();
  }

  Result<HttpResponse> get(std::shared_ptr<TlsContext> client) {
    ClientOptions options;
    options.timeout = 5s;
    options.tls = std::move(client);
    return http_request("https://127.0.0.1:" + std::to_string(server_->port()) + "/", {}, options);
  }

  TlsOptions trusting(const TestPki& pki) {
    TlsOptions options;
    options.trusted = {pki.root()};
    return options;
  }

  std::optional<crypto::Certificate> peer() {
    std::lock_guard lock(mu_);
    return peer_;
  }

  ManualClock clock_{real_now()};
  TestPki pki_{clock_};
  TestPki other_pki_{clock_};  // same root name, another key
  std::atomic<int> calls_{0};
  std::mutex mu_;
  std::optional<crypto::Certificate> peer_;  // guarded by mu_
  std::unique_ptr<HttpServer> server_;
};

TEST_F(TlsTest, ServerNeedsCertificateAndKey) {
  auto none = TlsContext::create_server({});
  ASSERT_FALSE(none);
  EXPECT_EQ(none.status().code(), Code::kInvalidArgument);
  TlsOptions no_key;
  no_key.certificate = pki_.issue(ca::Profile::kAuthentication, "server").cert;
  auto missing_key = TlsContext::create_server(no_key);
  ASSERT_FALSE(missing_key);
  EXPECT_EQ(missing_key.status().code(), Code::kInvalidArgument);
}

TEST_F(TlsTest, RefusesKeyThatDoesNotMatchCertificate) {
  TlsOptions options = identity(pki_.issue(ca::Profile::kAuthentication, "server"));
  options.key = std::make_shared<const crypto::PrivateKey>(pki_.issue(ca::Profile::kAuthentication, "x").key);
  auto ctx = TlsContext::create_server(options);
  ASSERT_FALSE(ctx);
  EXPECT_EQ(ctx.status().code(), Code::kInvalidArgument);
}

TEST_F(TlsTest, ClientNeedsTrustedRoots) {
  auto ctx = TlsContext::create_client({});
  ASSERT_FALSE(ctx);
  EXPECT_EQ(ctx.status().code(), Code::kInvalidArgument);
}

TEST_F(TlsTest, ServerRequiresClientCertificateOnlyWithTrustedRoots) {
  auto plain = server_context(identity(pki_.issue(ca::Profile::kAuthentication, "server")));
  ASSERT_NE(plain, nullptr);
  EXPECT_FALSE(plain->requires_peer_certificate());
  TlsOptions mutual = identity(pki_.issue(ca::Profile::kAuthentication, "server"));
  mutual.trusted = {pki_.root()};
  auto with_roots = server_context(mutual);
  ASSERT_NE(with_roots, nullptr);
  EXPECT_TRUE(with_roots->requires_peer_certificate());
}

TEST_F(TlsTest, ClientTrustingTheRootCompletesARequest) {
  start(server_context(identity(pki_.issue_tls_server("server", {}, {"127.0.0.1"}))));
  auto response = get(client_context(trusting(pki_)));
  ASSERT_TRUE(response) << response.status().to_string();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "secure");
  EXPECT_FALSE(peer().has_value()) << "no client certificate was sent";
}

TEST_F(TlsTest, ServerSendsItsChain) {
  TlsOptions options = identity(pki_.issue_tls_server("server", {}, {"127.0.0.1"}));
  options.chain = {pki_.root()};
  start(server_context(options));
  auto response = get(client_context(trusting(pki_)));
  ASSERT_TRUE(response) << response.status().to_string();
}

TEST_F(TlsTest, ClientRefusesServerFromAnotherCa) {
  start(server_context(identity(other_pki_.issue_tls_server("server", {}, {"127.0.0.1"}))));
  auto response = get(client_context(trusting(pki_)));
  ASSERT_FALSE(response);
  EXPECT_EQ(response.status().code(), Code::kUnavailable) << response.status().to_string();
  EXPECT_EQ(calls_.load(), 0);
}

TEST_F(TlsTest, ClientRefusesExpiredServerCertificate) {
  ManualClock long_ago(real_now() - 24h * 365 * 3);
  TestPki old_pki(long_ago);  // root valid for ten years, leaf for two: expired a year ago
  start(server_context(identity(old_pki.issue_tls_server("server", {}, {"127.0.0.1"}))));
  auto response = get(client_context(trusting(old_pki)));
  ASSERT_FALSE(response);
  EXPECT_EQ(response.status().code(), Code::kUnavailable) << response.status().to_string();
  EXPECT_EQ(calls_.load(), 0);
}

TEST_F(TlsTest, ClientRefusesServerCertificateWithoutServerAuthUsage) {
  // Chains to the trusted root, but its only EKU is timeStamping.
  start(server_context(identity(pki_.issue(ca::Profile::kTimestamping, "tsa"))));
  auto response = get(client_context(trusting(pki_)));
  ASSERT_FALSE(response);
  EXPECT_EQ(calls_.load(), 0);
}

TEST_F(TlsTest, ClientPeerCheckCanRefuseTheServer) {
  start(server_context(identity(pki_.issue_tls_server("unregistered", {}, {"127.0.0.1"}))));
  std::atomic<int> checks{0};
  TlsOptions client = trusting(pki_);
  client.peer_check = [&](const crypto::Certificate& server) {
    ++checks;
    return server.subject().find("CN=registered") == 0 ? Status::ok() : permission_denied("not registered");
  };
  auto response = get(client_context(client));
  ASSERT_FALSE(response);
  EXPECT_EQ(response.status().code(), Code::kUnavailable);
  EXPECT_GE(checks.load(), 1);
  EXPECT_EQ(calls_.load(), 0);
}

TEST_F(TlsTest, PlainClientCannotTalkToTlsServer) {
  start(server_context(identity(pki_.issue_tls_server("server", {}, {"127.0.0.1"}))));
  ClientOptions options;
  options.timeout = 5s;
  auto response = http_request("http://127.0.0.1:" + std::to_string(server_->port()) + "/", {}, options);
  EXPECT_FALSE(response);
  EXPECT_EQ(calls_.load(), 0);
}

class MutualTlsTest : public TlsTest {
 protected:
  void SetUp() override {
    TlsOptions options = identity(pki_.issue_tls_server("server", {}, {"127.0.0.1"}));
    options.trusted = {pki_.root()};
    options.peer_check = [this](const crypto::Certificate& client) {
      ++server_checks_;
      return client.subject().find("CN=refused,") == 0 ? permission_denied("not in the global configuration")
                                                       : Status::ok();
    };
    start(server_context(std::move(options)));
  }

  // The server's peer_check uses server_checks_, which goes before the base fixture's server_.
  void TearDown() override { server_.reset(); }

  std::shared_ptr<TlsContext> client_with(KeyAndCert kc) {
    TlsOptions options = identity(std::move(kc));
    options.trusted = {pki_.root()};
    return client_context(std::move(options));
  }

  std::atomic<int> server_checks_{0};
};

TEST_F(MutualTlsTest, RefusesClientWithoutCertificate) {
  auto response = get(client_context(trusting(pki_)));
  ASSERT_FALSE(response);
  EXPECT_EQ(response.status().code(), Code::kUnavailable) << response.status().to_string();
  EXPECT_EQ(calls_.load(), 0);
}

TEST_F(MutualTlsTest, RefusesClientCertificateFromAnotherCa) {
  auto response = get(client_with(other_pki_.issue(ca::Profile::kAuthentication, "SS2")));
  ASSERT_FALSE(response);
  EXPECT_EQ(calls_.load(), 0);
  EXPECT_EQ(server_checks_.load(), 0) << "peer_check ran on a client that did not chain";
}

TEST_F(MutualTlsTest, AcceptsClientFromTheTrustedCaAndShowsItsCertificate) {
  KeyAndCert client = pki_.issue(ca::Profile::kAuthentication, "SS1");
  const std::string fingerprint = client.cert.sha256_fingerprint();
  auto response = get(client_with(std::move(client)));
  ASSERT_TRUE(response) << response.status().to_string();
  EXPECT_EQ(response->status, 200);
  const auto seen = peer();
  ASSERT_TRUE(seen.has_value());
  EXPECT_EQ(seen->sha256_fingerprint(), fingerprint);
  EXPECT_EQ(seen->subject(), "CN=SS1,O=Test,C=MX");
  EXPECT_GE(server_checks_.load(), 1);
}

TEST_F(MutualTlsTest, PeerCheckCanRefuseAVerifiedClient) {
  auto response = get(client_with(pki_.issue(ca::Profile::kAuthentication, "refused")));
  ASSERT_FALSE(response);
  EXPECT_EQ(calls_.load(), 0);
  EXPECT_GE(server_checks_.load(), 1);
}

// The server's name is checked against the certificate's subjectAltName: any certificate of the
// CEIQROO CA is not enough to pose as a service.
class HostNameTest : public TlsTest {
 protected:
  Result<HttpResponse> get_at(const std::string& host) {
    ClientOptions options;
    options.timeout = 5s;
    options.tls = client_context(trusting(pki_));
    return http_request("https://" + host + ":" + std::to_string(server_->port()) + "/", {}, options);
  }
};

TEST_F(HostNameTest, RefusesAMembersAuthenticationCertificatePosingAsAService) {
  start(server_context(identity(pki_.issue(ca::Profile::kAuthentication, "SS1"))));
  auto response = get_at("127.0.0.1");
  ASSERT_FALSE(response);
  EXPECT_EQ(response.status().code(), Code::kPermissionDenied) << response.status().to_string();
  EXPECT_EQ(calls_.load(), 0) << "the request (and its bearer token) reached an impostor";
}

TEST_F(HostNameTest, RefusesACertificateForAnotherName) {
  start(server_context(identity(pki_.issue_tls_server("registry", {"registry.ceiqroo.test"}, {"127.0.0.2"}))));
  auto response = get_at("127.0.0.1");
  ASSERT_FALSE(response);
  EXPECT_EQ(response.status().code(), Code::kPermissionDenied) << response.status().to_string();
  EXPECT_EQ(calls_.load(), 0);
}

TEST_F(HostNameTest, AcceptsTheIpAddressItNames) {
  start(server_context(identity(pki_.issue_tls_server("registry", {"registry.ceiqroo.test"}, {"127.0.0.1"}))));
  auto response = get_at("127.0.0.1");
  ASSERT_TRUE(response) << response.status().to_string();
  EXPECT_EQ(response->status, 200);
}

TEST_F(HostNameTest, NeverFallsBackToTheCommonName) {
  // CN=localhost, but the subjectAltName names only another address.
  start(server_context(identity(pki_.issue_tls_server("localhost", {}, {"127.0.0.2"}))));
  auto response = get_at("localhost");
  ASSERT_FALSE(response);
  EXPECT_EQ(response.status().code(), Code::kPermissionDenied) << response.status().to_string();
  EXPECT_EQ(calls_.load(), 0);
}

TEST_F(HostNameTest, ChecksDnsNames) {
  start(server_context(identity(pki_.issue_tls_server("local", {"localhost"}, {}))));
  auto named = get_at("localhost");
  ASSERT_TRUE(named) << named.status().to_string();
  auto by_address = get_at("127.0.0.1");
  ASSERT_FALSE(by_address);
  EXPECT_EQ(by_address.status().code(), Code::kPermissionDenied);
}

// Between security servers the caller names the certificates it expects, per connection.
class PinnedPeerTest : public TlsTest {
 protected:
  void SetUp() override {
    KeyAndCert server = pki_.issue(ca::Profile::kAuthentication, "SS2");
    server_fingerprint_ = server.cert.sha256_fingerprint();
    start(server_context(identity(std::move(server))));
  }

  Result<HttpResponse> get_pinned(std::vector<std::string> pinned, std::shared_ptr<TlsContext> tls = nullptr) {
    ClientOptions options;
    options.timeout = 5s;
    options.tls = tls ? tls : client_context(trusting(pki_));
    options.peer.pinned = std::move(pinned);
    return http_request("https://127.0.0.1:" + std::to_string(server_->port()) + "/", {}, options);
  }

  std::string server_fingerprint_;
};

TEST_F(PinnedPeerTest, AcceptsTheExpectedServerWithoutAHostName) {
  auto response = get_pinned({std::string(64, '0'), server_fingerprint_});
  ASSERT_TRUE(response) << response.status().to_string();
  EXPECT_EQ(response->body, "secure");
}

TEST_F(PinnedPeerTest, TheAnswerCarriesTheServersCertificate) {
  auto response = get_pinned({server_fingerprint_});
  ASSERT_TRUE(response) << response.status().to_string();
  ASSERT_TRUE(response->peer_certificate.has_value());
  EXPECT_EQ(response->peer_certificate->sha256_fingerprint(), server_fingerprint_);
}

TEST_F(PinnedPeerTest, RefusesAnotherServerOfTheSameCaAndNamesBothFingerprints) {
  const std::string expected = pki_.issue(ca::Profile::kAuthentication, "SS3").cert.sha256_fingerprint();
  auto response = get_pinned({expected});
  ASSERT_FALSE(response);
  EXPECT_EQ(response.status().code(), Code::kPermissionDenied);
  EXPECT_NE(response.status().message().find(expected), std::string::npos) << response.status().message();
  EXPECT_NE(response.status().message().find(server_fingerprint_), std::string::npos) << response.status().message();
  EXPECT_EQ(calls_.load(), 0);
}

TEST_F(PinnedPeerTest, PinningDoesNotSkipTheChain) {
  // The right fingerprint, but the client trusts another root: the chain fails first.
  auto response = get_pinned({server_fingerprint_}, client_context(trusting(other_pki_)));
  ASSERT_FALSE(response);
  EXPECT_EQ(response.status().code(), Code::kUnavailable) << response.status().to_string();
}

TEST_F(TlsTest, ReloadedIdentityServesNewConnections) {
  KeyAndCert first = pki_.issue(ca::Profile::kAuthentication, "SS1");
  KeyAndCert second = pki_.issue(ca::Profile::kAuthentication, "SS1");
  const std::string first_fp = first.cert.sha256_fingerprint(), second_fp = second.cert.sha256_fingerprint();
  auto context = server_context(identity(std::move(first)));
  start(context);
  ClientOptions options;
  options.timeout = 5s;
  options.tls = client_context(trusting(pki_));
  options.peer.pinned = {first_fp};
  const std::string url = "https://127.0.0.1:" + std::to_string(server_->port()) + "/";
  // A kept-alive connection opened before the reload goes on with the old certificate.
  auto client = HttpClient::create();
  ASSERT_TRUE(client->request_blocking(url, {}, options));

  ASSERT_TRUE(context->reload(identity(std::move(second))).is_ok());
  EXPECT_TRUE(client->request_blocking(url, {}, options)) << "the open connection finishes on the old identity";
  EXPECT_EQ(client->stats().tls_handshakes, 1u);
  auto old_pin = http_request(url, {}, options);
  ASSERT_FALSE(old_pin);
  EXPECT_EQ(old_pin.status().code(), Code::kPermissionDenied);
  options.peer.pinned = {second_fp};
  auto new_pin = http_request(url, {}, options);
  ASSERT_TRUE(new_pin) << new_pin.status().to_string();
}

TEST_F(TlsTest, ReloadRefusesABrokenIdentityAndKeepsTheCurrentOne) {
  auto context = server_context(identity(pki_.issue_tls_server("server", {}, {"127.0.0.1"})));
  TlsOptions broken = identity(pki_.issue(ca::Profile::kAuthentication, "server"));
  broken.key = std::make_shared<const crypto::PrivateKey>(pki_.issue(ca::Profile::kAuthentication, "x").key);
  EXPECT_EQ(context->reload(broken).code(), Code::kInvalidArgument);
  start(context);
  auto response = get(client_context(trusting(pki_)));
  ASSERT_TRUE(response) << response.status().to_string();
}

}  // namespace
}  // namespace xacbe::net

namespace xacbe::net {
namespace {

// A security server's client interface: information systems may present a self-signed
// certificate, which the handler then matches by fingerprint; presenting none is allowed too.
class UnchainedClientCertificateTest : public TlsTest {
 protected:
  void SetUp() override {
    TlsOptions options = identity(pki_.issue_tls_server("server", {}, {"127.0.0.1"}));
    options.accept_unchained_client_certificate = true;
    start(server_context(std::move(options)));
  }
};

TEST_F(UnchainedClientCertificateTest, AcceptsACertificateOfAnyIssuerAndShowsIt) {
  KeyAndCert client = other_pki_.issue(ca::Profile::kAuthentication, "information system");
  const std::string fingerprint = client.cert.sha256_fingerprint();
  TlsOptions options = identity(std::move(client));
  options.trusted = {pki_.root()};
  auto response = get(client_context(std::move(options)));
  ASSERT_TRUE(response) << response.status().to_string();
  const auto seen = peer();
  ASSERT_TRUE(seen.has_value());
  EXPECT_EQ(seen->sha256_fingerprint(), fingerprint);
}

TEST_F(UnchainedClientCertificateTest, AcceptsAClientWithoutCertificate) {
  auto response = get(client_context(trusting(pki_)));
  ASSERT_TRUE(response) << response.status().to_string();
  EXPECT_FALSE(peer().has_value());
}

TEST(UnchainedClientCertificateOption, IsRefusedTogetherWithTrustedRootsOrOnAClient) {
  ManualClock clock{real_now()};
  TestPki pki{clock};
  TlsOptions options = identity(pki.issue_tls_server("server", {}, {"127.0.0.1"}));
  options.accept_unchained_client_certificate = true;
  options.trusted = {pki.root()};
  EXPECT_FALSE(TlsContext::create_server(options));
  TlsOptions client;
  client.trusted = {pki.root()};
  client.accept_unchained_client_certificate = true;
  EXPECT_FALSE(TlsContext::create_client(client));
}

}  // namespace
}  // namespace xacbe::net
