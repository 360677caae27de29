#include "xacbe/crypto/certificate.hpp"

#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <chrono>
#include <ostream>
#include <regex>
#include <string>
#include <vector>

#include "support/temp_dir.hpp"
#include "support/test_pki.hpp"
#include "xacbe/crypto/encoding.hpp"
#include "xacbe/file.hpp"

namespace xacbe::crypto {
namespace {

using namespace std::chrono_literals;

// A whole second, so that certificate times (whole seconds) compare equal to it.
const TimePoint kNow = TimePoint(std::chrono::sys_days(2031y / 3 / 14)) + 9h;

class CertificateTest : public ::testing::Test {
 protected:
  ManualClock clock_{kNow};
  testing::TestPki pki_{clock_};
  testing::KeyAndCert leaf_ = pki_.issue(ca::Profile::kAuthentication, "SS1");
};

TEST_F(CertificateTest, ParsesItsOwnPemAndDer) {
  auto from_pem = Certificate::from_pem(leaf_.cert.pem());
  ASSERT_TRUE(from_pem) << from_pem.status().to_string();
  EXPECT_EQ(from_pem->der(), leaf_.cert.der());
  auto from_der = Certificate::from_der(leaf_.cert.der());
  ASSERT_TRUE(from_der) << from_der.status().to_string();
  EXPECT_EQ(from_der->der(), leaf_.cert.der());
  EXPECT_NE(leaf_.cert.pem().find("-----BEGIN CERTIFICATE-----"), std::string::npos);
}

TEST_F(CertificateTest, ReportsSubjectIssuerAndValidity) {
  EXPECT_EQ(leaf_.cert.subject(), "CN=SS1,O=Test,C=MX");
  EXPECT_EQ(leaf_.cert.issuer(), "CN=Test Root,O=CEIQROO,C=MX");
  EXPECT_EQ(pki_.root().subject(), pki_.root().issuer());
  EXPECT_EQ(leaf_.cert.not_before(), kNow);
  EXPECT_EQ(leaf_.cert.not_after(), kNow + ca::CaSettings{}.auth_validity);
  EXPECT_FALSE(leaf_.cert.is_ca());
  EXPECT_TRUE(pki_.root().is_ca());
}

TEST_F(CertificateTest, SerialIsCanonicalUpperCaseHex) {
  const std::string serial = leaf_.cert.serial_hex();
  EXPECT_TRUE(std::regex_match(serial, std::regex("[1-9A-F][0-9A-F]*"))) << serial;
  EXPECT_NE(serial, pki_.root().serial_hex());
}

TEST_F(CertificateTest, FingerprintIsLowerCaseSha256OfDer) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  ASSERT_EQ(X509_digest(leaf_.cert.get(), EVP_sha256(), md, &len), 1);
  const std::string expected = to_hex(std::string(reinterpret_cast<char*>(md), len));
  EXPECT_EQ(leaf_.cert.sha256_fingerprint(), expected);
  EXPECT_TRUE(std::regex_match(expected, std::regex("[0-9a-f]{64}")));
  EXPECT_NE(leaf_.cert.sha256_fingerprint(), pki_.root().sha256_fingerprint());
}

TEST_F(CertificateTest, SharedHandleOutlivesTheCallersReference) {
  X509* raw = X509_dup(leaf_.cert.get());
  ASSERT_NE(raw, nullptr);
  Certificate shared = Certificate::share(raw);
  X509_free(raw);
  EXPECT_EQ(shared.der(), leaf_.cert.der());
}

TEST_F(CertificateTest, CopiesShareOneX509) {
  const Certificate copy = leaf_.cert;
  EXPECT_EQ(copy.get(), leaf_.cert.get());
}

TEST_F(CertificateTest, RefusesDerWithTrailingBytes) {
  auto cert = Certificate::from_der(leaf_.cert.der() + std::string(1, '\0'));
  ASSERT_FALSE(cert);
  EXPECT_EQ(cert.status().code(), Code::kInvalidArgument);
}

TEST_F(CertificateTest, RefusesTruncatedDer) {
  const std::string der = leaf_.cert.der();
  auto cert = Certificate::from_der(der.substr(0, der.size() - 1));
  ASSERT_FALSE(cert);
  EXPECT_EQ(cert.status().code(), Code::kInvalidArgument);
}

struct GarbageCase {
  const char* what;
  std::string text;
};

void PrintTo(const GarbageCase& c, std::ostream* os) {
  *os << c.what;
}

class CertificateGarbageTest : public ::testing::TestWithParam<GarbageCase> {};

TEST_P(CertificateGarbageTest, RefusesGarbageAsPemAndAsDer) {
  auto pem = Certificate::from_pem(GetParam().text);
  ASSERT_FALSE(pem);
  EXPECT_EQ(pem.status().code(), Code::kInvalidArgument);
  auto der = Certificate::from_der(GetParam().text);
  ASSERT_FALSE(der);
  EXPECT_EQ(der.status().code(), Code::kInvalidArgument);
}

INSTANTIATE_TEST_SUITE_P(
    BadInputs, CertificateGarbageTest,
    ::testing::Values(GarbageCase{"empty", ""}, GarbageCase{"text", "hello"},
                      GarbageCase{"empty PEM", "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n"},
                      GarbageCase{"bad PEM body", "-----BEGIN CERTIFICATE-----\nMIIBAAAA\n-----END CERTIFICATE-----\n"},
                      GarbageCase{"DER SEQUENCE header only", std::string("\x30\x82\x01\x00", 4)},
                      GarbageCase{
                          "private key PEM",
                          "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END PRIVATE KEY-----\n"}));

TEST_F(CertificateTest, ReadsEveryCertificateOfABundleInOrder) {
  auto certs = certificates_from_pem(leaf_.cert.pem() + pki_.root().pem());
  ASSERT_TRUE(certs) << certs.status().to_string();
  ASSERT_EQ(certs->size(), 2u);
  EXPECT_EQ((*certs)[0].der(), leaf_.cert.der());
  EXPECT_EQ((*certs)[1].der(), pki_.root().der());
  EXPECT_EQ(ERR_peek_error(), 0u) << "error queue left dirty";
}

TEST(CertificateBundleTest, RefusesBundleWithoutCertificates) {
  auto certs = certificates_from_pem("no certificates here\n");
  ASSERT_FALSE(certs);
  EXPECT_EQ(certs.status().code(), Code::kInvalidArgument);
}

TEST_F(CertificateTest, LoadsCertificateAndBundleFiles) {
  testing::TempDir dir;
  ASSERT_TRUE(write_file_atomic(dir.file("bundle.pem"), leaf_.cert.pem() + pki_.root().pem()).is_ok());
  auto first = Certificate::load(dir.file("bundle.pem"));
  ASSERT_TRUE(first) << first.status().to_string();
  EXPECT_EQ(first->der(), leaf_.cert.der());
  auto all = load_certificates(dir.file("bundle.pem"));
  ASSERT_TRUE(all) << all.status().to_string();
  EXPECT_EQ(all->size(), 2u);
}

TEST(CertificateFileTest, LoadErrorsNameThePath) {
  testing::TempDir dir;
  const std::string missing = dir.file("missing.pem");
  auto cert = Certificate::load(missing);
  ASSERT_FALSE(cert);
  EXPECT_NE(cert.status().message().find(missing), std::string::npos);
  const std::string junk = dir.file("junk.pem");
  ASSERT_TRUE(write_file_atomic(junk, "junk").is_ok());
  auto bad = Certificate::load(junk);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.status().code(), Code::kInvalidArgument);
  EXPECT_NE(bad.status().message().find(junk), std::string::npos);
  auto bundle = load_certificates(junk);
  ASSERT_FALSE(bundle);
  EXPECT_NE(bundle.status().message().find(junk), std::string::npos);
}

TEST_F(CertificateTest, StackHoldsItsOwnReferences) {
  X509StackPtr stack;
  {
    std::vector<Certificate> certs{Certificate::from_der(leaf_.cert.der()).value(), pki_.root()};
    stack = to_stack(certs);
  }
  auto* sk = reinterpret_cast<STACK_OF(X509)*>(stack.get());
  ASSERT_EQ(sk_X509_num(sk), 2);
  EXPECT_EQ(Certificate::share(sk_X509_value(sk, 0)).der(), leaf_.cert.der());
}

TEST_F(CertificateTest, VerifiesChainToItsRoot) {
  const Status st = verify_chain(leaf_.cert, {pki_.root()}, {}, kNow + 1h);
  EXPECT_TRUE(st.is_ok()) << st.to_string();
  EXPECT_TRUE(verify_chain(pki_.root(), {pki_.root()}, {}, kNow).is_ok());
}

TEST_F(CertificateTest, VerifiesAgainstAnyOfSeveralRoots) {
  testing::TestPki other(clock_);
  EXPECT_TRUE(verify_chain(leaf_.cert, {other.root(), pki_.root()}, {}, kNow).is_ok());
}

TEST_F(CertificateTest, RefusesChainToWrongRoot) {
  testing::TestPki other(clock_);
  const Status st = verify_chain(leaf_.cert, {other.root()}, {}, kNow);
  ASSERT_FALSE(st.is_ok());
  EXPECT_EQ(st.code(), Code::kPermissionDenied);
  EXPECT_NE(st.message().find("CN=SS1"), std::string::npos) << st.message();
}

TEST_F(CertificateTest, RefusesChainWithoutRoots) {
  EXPECT_EQ(verify_chain(leaf_.cert, {}, {}, kNow).code(), Code::kPermissionDenied);
}

TEST_F(CertificateTest, RefusesSameNamedRootWithAnotherKey) {
  // Both test roots are "CN=Test Root,O=CEIQROO,C=MX"; only the key tells them apart.
  testing::TestPki other(clock_);
  ASSERT_EQ(other.root().subject(), pki_.root().subject());
  EXPECT_FALSE(verify_chain(leaf_.cert, {other.root()}, {}, kNow).is_ok());
}

TEST_F(CertificateTest, VerificationUsesTheGivenTimeNotTheSystemClock) {
  // Accepted from not_before on and until just before not_after (OpenSSL treats the notAfter second
  // itself as expired, one second stricter than RFC 5280 section 4.1.2.5).
  EXPECT_TRUE(verify_chain(leaf_.cert, {pki_.root()}, {}, leaf_.cert.not_before()).is_ok());
  EXPECT_TRUE(verify_chain(leaf_.cert, {pki_.root()}, {}, leaf_.cert.not_after() - 1s).is_ok());
  const Status expired = verify_chain(leaf_.cert, {pki_.root()}, {}, leaf_.cert.not_after() + 1s);
  ASSERT_FALSE(expired.is_ok());
  EXPECT_NE(expired.message().find("expired"), std::string::npos) << expired.message();
  const Status early = verify_chain(leaf_.cert, {pki_.root()}, {}, leaf_.cert.not_before() - 1s);
  ASSERT_FALSE(early.is_ok());
  EXPECT_NE(early.message().find("not yet valid"), std::string::npos) << early.message();
  // kNow is years ahead of any real clock this test runs on.
  EXPECT_FALSE(verify_chain(leaf_.cert, {pki_.root()}, {}, std::chrono::system_clock::now()).is_ok());
}

// RFC 5280 allows validity up to GeneralizedTime 99991231235959Z.
TEST_F(CertificateTest, ReportsAndVerifiesValidityPastTheNanosecondRangeUpToYear9999) {
  testing::TestPki far_pki(clock_, KeyType::kEcP256, testing::kLastX509Second);
  EXPECT_EQ(far_pki.root().not_after(), testing::kLastX509Second);
  EXPECT_EQ(to_iso8601_utc(far_pki.root().not_after()), "9999-12-31T23:59:59Z");
  for (const auto& far : testing::far_validities()) {
    SCOPED_TRACE(far.name);
    const testing::KeyAndCert leaf =
        far_pki.issue(ca::Profile::kAuthentication, "SS9", KeyType::kEcP256, far.not_after);
    EXPECT_EQ(leaf.cert.not_before(), kNow);
    EXPECT_EQ(leaf.cert.not_after(), far.not_after);
    EXPECT_TRUE(verify_chain(leaf.cert, {far_pki.root()}, {}, kNow).is_ok());
    // A time in range beyond 2262, which only whole seconds can name.
    const std::chrono::sys_seconds late = far.not_after - std::chrono::hours(24);
    const Status at_late = verify_chain(leaf.cert, {far_pki.root()}, {}, late);
    EXPECT_TRUE(at_late.is_ok()) << at_late.to_string();
    EXPECT_FALSE(verify_chain(leaf.cert, {far_pki.root()}, {}, leaf.cert.not_before() - 1s).is_ok());
  }
}

TEST_F(CertificateTest, RefusesLeafWithTamperedSignature) {
  std::string der = leaf_.cert.der();
  der[der.size() - 1] ^= 0x01;
  auto tampered = Certificate::from_der(der);
  ASSERT_TRUE(tampered) << tampered.status().to_string();
  EXPECT_FALSE(verify_chain(*tampered, {pki_.root()}, {}, kNow).is_ok());
}

}  // namespace
}  // namespace xacbe::crypto
