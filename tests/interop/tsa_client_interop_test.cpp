// Interop: our TSA client against time-stamping authorities it must work with: the real xacbe-tsa
// (certificates issued through the real `xacbe ca` CLI) and stock `openssl ts -reply`, run per
// request with a TSA certificate and key made by the test PKI. The client's clock is a
// ManualClock set to the real time at the start; time rules are tested by moving it.

#include <gtest/gtest.h>

#include <chrono>

#include "support/e2e/trust_services.hpp"
#include "support/test_pki.hpp"
#include "support/tsa_answers.hpp"
#include "xacbe/crypto/encoding.hpp"
#include "xacbe/crypto/tsa_client.hpp"
#include "xacbe/file.hpp"

namespace xacbe::testing {
namespace {

using namespace std::chrono_literals;
using crypto::Certificate;
using crypto::Fetch;
using crypto::ImprintHash;
using crypto::TimestampAccuracy;
using crypto::TimestampRequest;
using crypto::TsaClient;

// Real time that may pass between reading the clock at the start of a test and a server stamping
// its answer; whole-second times add up to one more.
constexpr std::chrono::seconds kMargin{30};

Certificate load(const std::string& pem_path) {
  auto cert = Certificate::load(pem_path);
  if (!cert) throw std::runtime_error(cert.status().to_string());
  return *cert;
}

// Someone between client and TSA who changes the request as `change` says before passing it on.
Fetch tampering(Fetch inner, TsaAnswer change) {
  return [inner = std::move(inner), change](const std::string& url, net::HttpRequest request) {
    request.body = changed_timestamp_request(request.body, change);
    return inner(url, std::move(request));
  };
}

TsaAnswer other_imprint() {
  TsaAnswer change;
  change.other_imprint = true;
  return change;
}

TsaAnswer other_nonce() {
  TsaAnswer change;
  change.nonce = TsaAnswer::Nonce::kOther;
  return change;
}

// --- against xacbe-tsa ---

class TsaClientXacbeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    services_ = new TrustServices({XACBE_CLI_BIN, XACBE_TSA_BIN, XACBE_OCSP_BIN});
    services_->start_tsa(R"("other_policies": ["1.3.6.1.4.1.4146.2.3"])");
  }
  static void TearDownTestSuite() {
    delete services_;
    services_ = nullptr;
  }

  Result<crypto::TimestampToken> stamp(const TimestampRequest& request, Fetch fetch = crypto::http_fetch(),
                                       std::optional<Certificate> tsa = std::nullopt) {
    return TsaClient(clock_, {}, std::move(fetch)).stamp(services_->tsa_url(), request, tsa.value_or(tsa_), {root_});
  }

  static TrustServices* services_;
  ManualClock clock_{std::chrono::system_clock::now()};
  Certificate root_ = load(services_->root_pem());
  Certificate tsa_ = load(services_->tsa_cert());
  TimestampRequest request_ = TimestampRequest::for_data(ImprintHash::kSha256, "acta de entrega").value();
};

TrustServices* TsaClientXacbeTest::services_ = nullptr;

TEST_F(TsaClientXacbeTest, GrantsAVerifiedToken) {
  auto r = stamp(request_);
  ASSERT_TRUE(r) << r.status().to_string();
  EXPECT_LE(r->gen_time, to_sys_seconds(clock_.now()) + 60s);
  EXPECT_GE(r->gen_time, to_sys_seconds(clock_.now()) - 60s);
  EXPECT_EQ(r->policy, "2.25.338228687574603672098159078013054936676.1.1");
  EXPECT_EQ(r->accuracy, (TimestampAccuracy{1, 0, 0}));
  EXPECT_FALSE(r->serial_hex.empty());
  EXPECT_FALSE(r->token_der.empty());
}

TEST_F(TsaClientXacbeTest, GrantsSha512ImprintsAndAnOfferedPolicy) {
  auto request = TimestampRequest::for_data(ImprintHash::kSha512, "acta", "1.3.6.1.4.1.4146.2.3").value();
  auto r = stamp(request);
  ASSERT_TRUE(r) << r.status().to_string();
  EXPECT_EQ(r->policy, "1.3.6.1.4.1.4146.2.3");
}

TEST_F(TsaClientXacbeTest, ReportsARejectionByItsFailInfo) {
  auto request = TimestampRequest::for_data(ImprintHash::kSha256, "acta", "1.2.3.4.5").value();
  auto r = stamp(request);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_NE(r.status().message().find("rejection (2) with failInfo unacceptedPolicy"), std::string::npos)
      << r.status().message();
}

TEST_F(TsaClientXacbeTest, RefusesATokenForAnotherImprint) {
  auto r = stamp(request_, tampering(crypto::http_fetch(), other_imprint()));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().code(), Code::kPermissionDenied);
  EXPECT_NE(r.status().message().find("imprint is not the digest requested"), std::string::npos)
      << r.status().message();
}

TEST_F(TsaClientXacbeTest, RefusesATokenWithAnotherNonce) {
  auto r = stamp(request_, tampering(crypto::http_fetch(), other_nonce()));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().code(), Code::kPermissionDenied);
  EXPECT_NE(r.status().message().find("nonce does not match"), std::string::npos) << r.status().message();
}

TEST_F(TsaClientXacbeTest, RefusesATokenNotSignedByTheConfiguredTsa) {
  const Certificate other = load(services_->issue("tsa", "tsa-2"));
  auto r = stamp(request_, crypto::http_fetch(), other);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().code(), Code::kPermissionDenied);
  EXPECT_NE(r.status().message().find("not by the TSA certificate"), std::string::npos) << r.status().message();
}

TEST_F(TsaClientXacbeTest, RefusesATokenOlderThanTheLimit) {
  // The TSA stamps the real time, which has moved on since the test read it (by far less than
  // the margin): to the client the token is now past the five minutes allowed.
  clock_.advance(300s + kMargin);
  auto r = stamp(request_);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().code(), Code::kFailedPrecondition);
  EXPECT_NE(r.status().message().find("is older than 300 s"), std::string::npos) << r.status().message();
}

// --- against stock `openssl ts -reply`, one process per request ---

class TsaClientOpensslTest : public ::testing::Test {
 protected:
  void SetUp() override {
    write(pki_.dir().file("ca.pem"), pki_.root().pem());
    write(pki_.dir().file("tsa.pem"), tsa_.cert.pem());
    write(pki_.dir().file("tsa.key"), tsa_.key.to_pem());
    write(pki_.dir().file("tsaserial"), "00\n");  // the last serial used
    write(pki_.dir().file("ts.cnf"),
          "[ tsa ]\n"
          "default_tsa = tsa_config\n"
          "[ tsa_config ]\n"
          "dir = " +
              pki_.dir().path() +
              "\n"
              "serial = $dir/tsaserial\n"
              "crypto_device = builtin\n"
              "signer_cert = $dir/tsa.pem\n"
              "certs = $dir/ca.pem\n"
              "signer_key = $dir/tsa.key\n"
              "signer_digest = sha256\n"
              "default_policy = 1.2.3.4.1\n"
              "other_policies = 1.2.3.4.5\n"
              "digests = sha256, sha384, sha512\n"
              "accuracy = secs:1, millisecs:500, microsecs:100\n"
              "clock_precision_digits = 0\n"
              "ordering = yes\n"
              "tsa_name = yes\n"
              "ess_cert_id_chain = no\n"
              "ess_cert_id_alg = sha256\n");
  }

  static void write(const std::string& path, const std::string& text) {
    ASSERT_TRUE(write_file_atomic(path, text).is_ok()) << path;
  }

  Fetch openssl_tsa() {
    return [this](const std::string&, net::HttpRequest request) -> Result<net::HttpResponse> {
      const std::string in = pki_.dir().file("req.tsq"), out = pki_.dir().file("resp.tsr");
      if (!write_file_atomic(in, request.body).is_ok()) return internal_error("write " + in);
      auto r =
          run_command({"openssl", "ts", "-reply", "-config", pki_.dir().file("ts.cnf"), "-queryfile", in, "-out", out});
      if (r.exit_code != 0) return unavailable("openssl ts failed: " + r.output);
      auto der = read_file(out);
      if (!der) return der.status();
      return net::HttpResponse::make(200, "application/timestamp-reply", *der);
    };
  }

  Result<crypto::TimestampToken> stamp(const TimestampRequest& request, std::optional<Fetch> fetch = std::nullopt,
                                       std::optional<Certificate> tsa = std::nullopt) {
    return TsaClient(clock_, {}, fetch.value_or(openssl_tsa()))
        .stamp("http://127.0.0.1:9/", request, tsa.value_or(tsa_.cert), {pki_.root()});
  }

  ManualClock clock_{std::chrono::system_clock::now()};
  TestPki pki_{clock_};
  KeyAndCert tsa_ = pki_.issue(ca::Profile::kTimestamping, "tsa");
  TimestampRequest request_ = TimestampRequest::for_data(ImprintHash::kSha384, "acta de entrega").value();
};

TEST_F(TsaClientOpensslTest, GrantsAVerifiedToken) {
  auto r = stamp(request_);
  ASSERT_TRUE(r) << r.status().to_string();
  EXPECT_EQ(r->serial_hex, "1");
  EXPECT_EQ(r->policy, "1.2.3.4.1");
  EXPECT_EQ(r->accuracy, (TimestampAccuracy{1, 500, 100}));
  EXPECT_LE(r->gen_time, to_sys_seconds(clock_.now()) + 60s);
  r = stamp(request_);
  ASSERT_TRUE(r) << r.status().to_string();
  EXPECT_EQ(r->serial_hex, "2");
}

TEST_F(TsaClientOpensslTest, ReportsARejectionByItsFailInfo) {
  auto request = TimestampRequest::for_data(ImprintHash::kSha256, "acta", "1.2.3.4.6").value();
  auto r = stamp(request);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_NE(r.status().message().find("failInfo unacceptedPolicy"), std::string::npos) << r.status().message();
}

TEST_F(TsaClientOpensslTest, RefusesATokenForAnotherImprint) {
  auto r = stamp(request_, tampering(openssl_tsa(), other_imprint()));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().code(), Code::kPermissionDenied);
  EXPECT_NE(r.status().message().find("imprint is not the digest requested"), std::string::npos)
      << r.status().message();
}

TEST_F(TsaClientOpensslTest, RefusesATokenWithAnotherNonce) {
  auto r = stamp(request_, tampering(openssl_tsa(), other_nonce()));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().code(), Code::kPermissionDenied);
  EXPECT_NE(r.status().message().find("nonce does not match"), std::string::npos) << r.status().message();
}

TEST_F(TsaClientOpensslTest, RefusesATokenNotSignedByTheConfiguredTsa) {
  const KeyAndCert other = pki_.issue(ca::Profile::kTimestamping, "tsa-2");
  auto r = stamp(request_, std::nullopt, other.cert);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().code(), Code::kPermissionDenied);
  EXPECT_NE(r.status().message().find("not by the TSA certificate"), std::string::npos) << r.status().message();
}

TEST_F(TsaClientOpensslTest, RefusesATokenOlderThanTheLimit) {
  clock_.advance(300s + kMargin);  // as above
  auto r = stamp(request_);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().code(), Code::kFailedPrecondition);
  EXPECT_NE(r.status().message().find("is older than 300 s"), std::string::npos) << r.status().message();
}

}  // namespace
}  // namespace xacbe::testing
