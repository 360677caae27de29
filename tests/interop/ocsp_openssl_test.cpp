// Interop: the stock `openssl ocsp` client against the running xacbe-ocsp, with certificates
// issued and revoked through the real `xacbe ca` CLI.

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "support/e2e/trust_services.hpp"

namespace xacbe::testing {
namespace {

class OcspOpensslTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    services_ = new TrustServices({XACBE_CLI_BIN, XACBE_TSA_BIN, XACBE_OCSP_BIN});
    services_->start_ocsp();
  }
  static void TearDownTestSuite() {
    delete services_;
    services_ = nullptr;
  }

  // `openssl ocsp` with the response signature checked against the CEIQROO root.
  CommandResult query(const std::vector<std::string>& what, const std::vector<std::string>& flags = {}) {
    std::vector<std::string> argv = {"openssl", "ocsp", "-issuer", services_->root_pem(), "-url",
                                     services_->ocsp_url(), "-CAfile", services_->root_pem(), "-resp_text"};
    argv.insert(argv.end(), what.begin(), what.end());
    argv.insert(argv.end(), flags.begin(), flags.end());
    return run_command(argv);
  }

  static void expect_verified(const CommandResult& r) {
    EXPECT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("Response verify OK"), std::string::npos) << r.output;
    EXPECT_EQ(r.output.find("WARNING"), std::string::npos) << r.output;  // e.g. a missing nonce
  }

  static TrustServices* services_;
};

TrustServices* OcspOpensslTest::services_ = nullptr;

TEST_F(OcspOpensslTest, ReportsGoodThenRevokedAfterARevocation) {
  const auto cert = services_->issue("sign", "member-a");
  auto r = query({"-cert", cert});
  expect_verified(r);
  EXPECT_NE(r.output.find(cert + ": good"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("Next Update:"), std::string::npos) << r.output;

  auto revoked = services_->cli({"ca", "revoke", "--serial", serial_of(cert), "--reason", "keyCompromise"});
  ASSERT_EQ(revoked.exit_code, 0) << revoked.output;
  // The responder reads the CA's store on every request: the revocation shows at once (the rule
  // is within a second; no wait is needed or taken).
  r = query({"-cert", cert});
  expect_verified(r);
  EXPECT_NE(r.output.find(cert + ": revoked"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("Reason: keyCompromise"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("Revocation Time:"), std::string::npos) << r.output;
}

TEST_F(OcspOpensslTest, ReportsAHeldCertificateRevokedAndGoodAgainAfterRelease) {
  const auto cert = services_->issue("auth", "server-b");
  const auto serial = serial_of(cert);
  ASSERT_EQ(services_->cli({"ca", "revoke", "--serial", serial, "--reason", "certificateHold"}).exit_code, 0);
  auto r = query({"-cert", cert});
  expect_verified(r);
  EXPECT_NE(r.output.find("Reason: certificateHold"), std::string::npos) << r.output;
  ASSERT_EQ(services_->cli({"ca", "release", "--serial", serial}).exit_code, 0);
  r = query({"-cert", cert});
  expect_verified(r);
  EXPECT_NE(r.output.find(cert + ": good"), std::string::npos) << r.output;
}

// A self-signed certificate made outside the CA: `subject` is also its issuer name.
std::string outside_certificate(const TrustServices& services, const std::string& name, const std::string& subject) {
  const std::string key = services.dir().file(name + ".key"), pem = services.dir().file(name + ".pem");
  auto made = run_command({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                           "-keyout", key, "-out", pem, "-subj", subject, "-days", "2"});
  EXPECT_EQ(made.exit_code, 0) << made.output;
  return pem;
}

TEST_F(OcspOpensslTest, ReportsUnknownForACertificateOurCaNeverIssued) {
  // An impostor that names our CA as its issuer: the CertID is ours, the serial never issued.
  const auto pem = outside_certificate(*services_, "impostor", "/C=MX/O=CEIQROO/CN=CEIQROO Test Root");
  auto r = query({"-cert", pem});
  expect_verified(r);
  EXPECT_NE(r.output.find(pem + ": unknown"), std::string::npos) << r.output;
}

TEST_F(OcspOpensslTest, AnswersUnauthorizedForAnotherIssuer) {
  // RFC 6960 section 2.3: a responder that is not authoritative for the issuer says unauthorized.
  const auto pem = outside_certificate(*services_, "foreign", "/C=MX/O=Outside/CN=foreign");
  auto r = query({"-cert", pem});
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("Responder Error: unauthorized (6)"), std::string::npos) << r.output;
}

TEST_F(OcspOpensslTest, AnswersSeveralCertificatesWithSha256CertIds) {
  const auto a = services_->issue("sign", "member-c");
  const auto b = services_->issue("sign", "member-d");
  ASSERT_EQ(services_->cli({"ca", "revoke", "--serial", serial_of(b), "--reason", "superseded"}).exit_code, 0);
  auto r = query({"-sha256", "-cert", a, "-cert", b});
  expect_verified(r);
  EXPECT_NE(r.output.find(a + ": good"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find(b + ": revoked"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("Hash Algorithm: sha256"), std::string::npos) << r.output;
}

TEST_F(OcspOpensslTest, AnswersWithoutANonceWhenNoneIsAsked) {
  const auto cert = services_->issue("sign", "member-e");
  auto r = query({"-cert", cert}, {"-no_nonce"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("Response verify OK"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("OCSP Nonce"), std::string::npos) << r.output;
}

TEST_F(OcspOpensslTest, SignatureFailsAgainstAnotherRoot) {
  const auto cert = services_->issue("sign", "member-f");
  const auto other = outside_certificate(*services_, "other-root", "/CN=Other Root");
  auto r = run_command({"openssl", "ocsp", "-issuer", services_->root_pem(), "-cert", cert, "-url",
                        services_->ocsp_url(), "-CAfile", other});
  EXPECT_EQ(r.output.find("Response verify OK"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("Response Verify Failure"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace xacbe::testing
