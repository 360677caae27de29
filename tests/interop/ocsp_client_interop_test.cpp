// Interop: our OCSP client against responders it must work with: the real xacbe-ocsp (with
// certificates issued and revoked through the real `xacbe ca` CLI) and stock `openssl ocsp`
// answering from an index file. The client's clock is a ManualClock set to the real time at the
// start; time rules are tested by moving it, never by waiting.

#include <gtest/gtest.h>
#include <openssl/bn.h>
#include <openssl/x509.h>

#include <chrono>
#include <ctime>
#include <fstream>

#include "support/e2e/trust_services.hpp"
#include "support/ocsp_answers.hpp"
#include "support/test_pki.hpp"
#include "xacbe/crypto/ocsp_client.hpp"
#include "xacbe/file.hpp"

namespace xacbe::testing {
namespace {

using namespace std::chrono_literals;
using crypto::CertIdHash;
using crypto::Certificate;
using crypto::CertStatus;
using crypto::Fetch;
using crypto::OcspClient;
using crypto::OcspClientOptions;
using crypto::RevocationReason;

// Real time that may pass between reading the clock at the start of a test and a server stamping
// its answer; whole-second times add up to one more.
constexpr std::chrono::seconds kMargin{30};

Certificate load(const std::string& pem_path) {
  auto cert = Certificate::load(pem_path);
  if (!cert) throw std::runtime_error(cert.status().to_string());
  return *cert;
}

// A Fetch that remembers the last answer, or replays it instead of asking (an attacker
// answering with an old response).
struct Recorder {
  explicit Recorder(Fetch f = {}) : inner(std::move(f)) {}
  Fetch inner;
  std::string method;
  std::optional<net::HttpResponse> last;
  bool replay = false;

  Fetch fetch() {
    return [this](const std::string& url, net::HttpRequest request) -> Result<net::HttpResponse> {
      method = request.method;
      if (replay && last) return *last;
      auto r = inner(url, std::move(request));
      if (r) last = *r;
      return r;
    };
  }
};

// --- against xacbe-ocsp ---

class OcspClientXacbeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    services_ = new TrustServices({XACBE_CLI_BIN, XACBE_TSA_BIN, XACBE_OCSP_BIN});
    services_->start_ocsp();
  }
  static void TearDownTestSuite() {
    delete services_;
    services_ = nullptr;
  }

  Result<crypto::OcspResponse> query(const Certificate& cert, OcspClientOptions options = {},
                                     std::optional<std::vector<Certificate>> allowed = std::nullopt) {
    OcspClient client(clock_, options, recorder_.fetch());
    return client.query(services_->ocsp_url(), cert, root_, allowed.value_or(std::vector<Certificate>{responder_}));
  }

  static TrustServices* services_;
  ManualClock clock_{std::chrono::system_clock::now()};
  Certificate root_ = load(services_->root_pem());
  Certificate responder_ = load(services_->ocsp_cert());
  Recorder recorder_{crypto::http_fetch()};
};

TrustServices* OcspClientXacbeTest::services_ = nullptr;

TEST_F(OcspClientXacbeTest, ReportsGoodOverGetAndPost) {
  const Certificate cert = load(services_->issue("sign", "member-a"));
  auto r = query(cert);
  ASSERT_TRUE(r) << r.status().to_string();
  EXPECT_EQ(recorder_.method, "GET");  // SHA-256 CertID and 32-octet nonce fit in 255 bytes
  EXPECT_EQ(r->status, CertStatus::Kind::kGood);
  EXPECT_LE(r->produced_at, to_sys_seconds(clock_.now()) + 60s);
  ASSERT_TRUE(r->next_update.has_value());
  EXPECT_EQ(*r->next_update, r->this_update + 600s);

  OcspClientOptions post;
  post.prefer_get = false;
  post.request.cert_id_hash = CertIdHash::kSha1;
  r = query(cert, post);
  ASSERT_TRUE(r) << r.status().to_string();
  EXPECT_EQ(recorder_.method, "POST");
  EXPECT_EQ(r->status, CertStatus::Kind::kGood);
}

TEST_F(OcspClientXacbeTest, QueriesOverThePooledClientReuseOneConnection) {
  const Certificate cert = load(services_->issue("sign", "member-pooled"));
  auto http = net::HttpClient::create();
  OcspClient client(clock_, {}, crypto::pooled_fetch(http));
  for (int i = 0; i < 20; ++i) {
    auto r = client.query(services_->ocsp_url(), cert, root_, {responder_});
    ASSERT_TRUE(r) << i << ": " << r.status().to_string();
    EXPECT_EQ(r->status, CertStatus::Kind::kGood);
  }
  EXPECT_EQ(http->stats().connections_opened, 1u);
  EXPECT_EQ(http->stats().reused, 19u);
}

TEST_F(OcspClientXacbeTest, ReportsRevokedWithReasonAndTime) {
  const std::string pem = services_->issue("auth", "server-b");
  const auto before = to_sys_seconds(std::chrono::system_clock::now());
  auto revoked = services_->cli({"ca", "revoke", "--serial", serial_of(pem), "--reason", "keyCompromise"});
  ASSERT_EQ(revoked.exit_code, 0) << revoked.output;
  auto r = query(load(pem));
  ASSERT_TRUE(r) << r.status().to_string();
  EXPECT_EQ(r->status, CertStatus::Kind::kRevoked);
  EXPECT_EQ(r->reason, RevocationReason::kKeyCompromise);
  EXPECT_GE(r->revoked_at, before - 1s);
  EXPECT_LE(r->revoked_at, r->produced_at);
}

TEST_F(OcspClientXacbeTest, ReportsUnknownForACertificateTheCaDatabaseDoesNotHold) {
  // Signed with the CA key outside the CA, so never recorded: our issuer, an unknown serial.
  const std::string key = services_->dir().file("stray.key"), csr = services_->dir().file("stray.csr"),
                    pem = services_->dir().file("stray.pem");
  auto made = run_command({"openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                           "-keyout", key, "-out", csr, "-subj", "/CN=stray"});
  ASSERT_EQ(made.exit_code, 0) << made.output;
  made = run_command({"openssl", "x509", "-req", "-in", csr, "-CA", services_->root_pem(), "-CAkey",
                      services_->ca_dir() + "/ca.key", "-set_serial", "0x7A7A7A", "-days", "2", "-out", pem});
  ASSERT_EQ(made.exit_code, 0) << made.output;
  auto r = query(load(pem));
  ASSERT_TRUE(r) << r.status().to_string();
  EXPECT_EQ(r->status, CertStatus::Kind::kUnknown);
}

TEST_F(OcspClientXacbeTest, RefusesAReplayedResponseByItsNonce) {
  const Certificate cert = load(services_->issue("sign", "member-c"));
  ASSERT_TRUE(query(cert));
  recorder_.replay = true;
  auto r = query(cert);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().code(), Code::kPermissionDenied);
  EXPECT_NE(r.status().message().find("nonce does not match"), std::string::npos) << r.status().message();
}

TEST_F(OcspClientXacbeTest, RefusesAResponderNotInTheAllowedSet) {
  const Certificate cert = load(services_->issue("sign", "member-d"));
  const Certificate other = load(services_->issue("ocsp", "ocsp-2"));
  auto r = query(cert, {}, std::vector<Certificate>{other});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().code(), Code::kPermissionDenied);
  EXPECT_NE(r.status().message().find("not an allowed OCSP responder"), std::string::npos) << r.status().message();
}

TEST_F(OcspClientXacbeTest, RefusesAResponseOlderThanTheFreshnessLimit) {
  const Certificate cert = load(services_->issue("sign", "member-e"));
  ASSERT_TRUE(query(cert));
  // The responder stamps the real time, which has moved on since the test read it (by far less
  // than the margin): to the client the answer is now past the hour of freshness.
  clock_.advance(3600s + kMargin);
  auto r = query(cert);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().code(), Code::kFailedPrecondition);
  EXPECT_NE(r.status().message().find("older than the freshness limit"), std::string::npos) << r.status().message();
}

// --- against stock `openssl ocsp`, one process per request ---
//
// `openssl ocsp -port` (OpenSSL 3.0) binds the wildcard address and cannot be told to listen on
// 127.0.0.1 only, so the test runs OpenSSL's responder code per request instead (-reqin/-respout
// with the same -index, -CA, -rsigner): the same answer, no listener.

std::string bn_hex_serial(const Certificate& cert) {
  crypto::BIGNUMPtr bn(ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert.get()), nullptr));
  char* hex = BN_bn2hex(bn.get());
  std::string out(hex);
  OPENSSL_free(hex);
  return out;
}

std::string utc_time(std::chrono::sys_seconds t) {
  const std::time_t tt = static_cast<std::time_t>(t.time_since_epoch().count());
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%y%m%d%H%M%SZ", &tm);
  return buf;
}

class OcspClientOpensslTest : public ::testing::Test {
 protected:
  void SetUp() override {
    write(pki_.dir().file("ca.pem"), pki_.root().pem());
    write(pki_.dir().file("ca.key"), pki_.root_key().to_pem());
    write(pki_.dir().file("ocsp.pem"), responder_.cert.pem());
    write(pki_.dir().file("ocsp.key"), responder_.key.to_pem());
    write(pki_.dir().file("rogue.pem"), rogue_.cert.pem());
    write(pki_.dir().file("rogue.key"), rogue_.key.to_pem());
    const std::string expiry = utc_time(to_sys_seconds(clock_.now()) + 24h * 365);
    revoked_at_ = to_sys_seconds(clock_.now()) - 3600s;
    // index.txt: status, expiry, revocation[,reason], serial, file name, subject (tab-separated).
    write(pki_.dir().file("index.txt"), "V\t" + expiry + "\t\t" + bn_hex_serial(good_.cert) + "\tunknown\t/CN=good\n" +
                                            "R\t" + expiry + "\t" + utc_time(revoked_at_) + ",superseded\t" +
                                            bn_hex_serial(revoked_.cert) + "\tunknown\t/CN=revoked\n");
  }

  static void write(const std::string& path, const std::string& text) {
    ASSERT_TRUE(write_file_atomic(path, text).is_ok()) << path;
  }

  // OpenSSL answering the request it is sent, signed by `signer` ("ocsp", "rogue" or "ca").
  Fetch openssl_responder(const std::string& signer) {
    return [this, signer](const std::string& url, net::HttpRequest request) -> Result<net::HttpResponse> {
      const std::string in = pki_.dir().file("req.der"), out = pki_.dir().file("resp.der");
      if (!write_file_atomic(in, ocsp_request_of(url, request)).is_ok()) return internal_error("write " + in);
      auto r = run_command({"openssl", "ocsp", "-index", pki_.dir().file("index.txt"), "-CA", pki_.dir().file("ca.pem"),
                            "-rsigner", pki_.dir().file(signer + ".pem"), "-rkey", pki_.dir().file(signer + ".key"),
                            "-reqin", in, "-respout", out, "-nmin", "10"});
      if (r.exit_code != 0) return unavailable("openssl ocsp failed: " + r.output);
      auto der = read_file(out);
      if (!der) return der.status();
      return net::HttpResponse::make(200, "application/ocsp-response", *der);
    };
  }

  Result<crypto::OcspResponse> query(const Certificate& cert, const std::string& signer = "ocsp",
                                     std::vector<Certificate> allowed = {}) {
    if (allowed.empty()) allowed = {responder_.cert};
    recorder_.inner = openssl_responder(signer);
    return OcspClient(clock_, {}, recorder_.fetch()).query("http://127.0.0.1:9/", cert, pki_.root(), allowed);
  }

  ManualClock clock_{std::chrono::system_clock::now()};
  TestPki pki_{clock_};
  KeyAndCert responder_ = pki_.issue(ca::Profile::kOcspResponder, "ocsp");
  KeyAndCert rogue_ = pki_.issue(ca::Profile::kOcspResponder, "rogue");
  KeyAndCert good_ = pki_.issue(ca::Profile::kSigning, "good");
  KeyAndCert revoked_ = pki_.issue(ca::Profile::kSigning, "revoked");
  KeyAndCert unknown_ = pki_.issue(ca::Profile::kSigning, "unknown");
  std::chrono::sys_seconds revoked_at_;
  Recorder recorder_;
};

TEST_F(OcspClientOpensslTest, ReportsGood) {
  auto r = query(good_.cert);
  ASSERT_TRUE(r) << r.status().to_string();
  EXPECT_EQ(r->status, CertStatus::Kind::kGood);
  ASSERT_TRUE(r->next_update.has_value());
  EXPECT_EQ(*r->next_update, r->this_update + 600s);
}

TEST_F(OcspClientOpensslTest, ReportsRevokedWithReasonAndTime) {
  auto r = query(revoked_.cert);
  ASSERT_TRUE(r) << r.status().to_string();
  EXPECT_EQ(r->status, CertStatus::Kind::kRevoked);
  EXPECT_EQ(r->reason, RevocationReason::kSuperseded);
  EXPECT_EQ(r->revoked_at, revoked_at_);
}

TEST_F(OcspClientOpensslTest, ReportsUnknown) {
  auto r = query(unknown_.cert);
  ASSERT_TRUE(r) << r.status().to_string();
  EXPECT_EQ(r->status, CertStatus::Kind::kUnknown);
}

TEST_F(OcspClientOpensslTest, AcceptsTheCaSigningItselfWhenAllowed) {
  auto r = query(good_.cert, "ca", {responder_.cert, pki_.root()});
  ASSERT_TRUE(r) << r.status().to_string();
  EXPECT_EQ(r->status, CertStatus::Kind::kGood);
}

TEST_F(OcspClientOpensslTest, RefusesAReplayedResponseByItsNonce) {
  ASSERT_TRUE(query(good_.cert));
  recorder_.replay = true;
  auto r = query(good_.cert);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().code(), Code::kPermissionDenied);
  EXPECT_NE(r.status().message().find("nonce does not match"), std::string::npos) << r.status().message();
}

TEST_F(OcspClientOpensslTest, RefusesAResponderNotInTheAllowedSet) {
  auto r = query(good_.cert, "rogue");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().code(), Code::kPermissionDenied);
  EXPECT_NE(r.status().message().find("CN=rogue,O=Test,C=MX, which is not an allowed OCSP responder"),
            std::string::npos)
      << r.status().message();
}

TEST_F(OcspClientOpensslTest, RefusesAResponseOlderThanTheFreshnessLimit) {
  ASSERT_TRUE(query(good_.cert));
  // OpenSSL stamps the real time, which has moved on since the test read it (by far less than
  // the margin): to the client the answer is now past the hour of freshness.
  clock_.advance(3600s + kMargin);
  auto r = query(good_.cert);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().code(), Code::kFailedPrecondition);
  EXPECT_NE(r.status().message().find("older than the freshness limit"), std::string::npos) << r.status().message();
}

}  // namespace
}  // namespace xacbe::testing
