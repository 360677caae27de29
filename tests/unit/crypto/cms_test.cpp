#include "xacbe/crypto/cms.hpp"

#include <gtest/gtest.h>

#include "support/process.hpp"
#include "support/test_pki.hpp"
#include "xacbe/file.hpp"

namespace xacbe::crypto {
namespace {

using xacbe::testing::TestPki;

class CmsTest : public ::testing::Test {
 protected:
  ManualClock clock_{TimePoint(std::chrono::seconds(1'800'000'000))};
  TestPki pki_{clock_};
  xacbe::testing::KeyAndCert server_ = pki_.issue(ca::Profile::kAuthentication, "QROO/EST/SSP/SS1");
  const std::string request_ = R"({"action":"register-server","code":"SS1"})";
};

TEST_F(CmsTest, SignedContentVerifiesAndNamesTheSigner) {
  auto cms = cms_sign_detached(server_.key, server_.cert, request_);
  ASSERT_TRUE(cms.is_ok()) << cms.status().to_string();
  auto signer = cms_verify_detached(*cms, request_, {pki_.root()}, clock_.now());
  ASSERT_TRUE(signer.is_ok()) << signer.status().to_string();
  EXPECT_EQ(signer->der(), server_.cert.der());
}

TEST_F(CmsTest, StockOpensslVerifiesOurSignature) {
  auto cms = cms_sign_detached(server_.key, server_.cert, request_);
  ASSERT_TRUE(cms.is_ok());
  const std::string sig = pki_.dir().file("req.p7s"), data = pki_.dir().file("req.json"), root = pki_.dir().file("root.pem");
  ASSERT_TRUE(write_file_atomic(sig, *cms).is_ok());
  ASSERT_TRUE(write_file_atomic(data, request_).is_ok());
  ASSERT_TRUE(write_file_atomic(root, pki_.root().pem()).is_ok());
  auto r = xacbe::testing::run_command({"openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in", sig,
                                        "-content", data, "-CAfile", root, "-purpose", "any", "-attime",
                                        "1800000000", "-out", "/dev/null"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("Verification successful"), std::string::npos) << r.output;
}

TEST_F(CmsTest, RefusesAlteredContent) {
  auto cms = cms_sign_detached(server_.key, server_.cert, request_);
  ASSERT_TRUE(cms.is_ok());
  auto r = cms_verify_detached(*cms, R"({"action":"register-server","code":"SS2"})", {pki_.root()}, clock_.now());
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), Code::kPermissionDenied);
}

TEST_F(CmsTest, RefusesASignerFromAnotherCa) {
  TestPki other(clock_);
  auto forger = other.issue(ca::Profile::kAuthentication, "QROO/EST/SSP/SS1");
  auto cms = cms_sign_detached(forger.key, forger.cert, request_);
  ASSERT_TRUE(cms.is_ok());
  auto r = cms_verify_detached(*cms, request_, {pki_.root()}, clock_.now());
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), Code::kPermissionDenied);
}

TEST_F(CmsTest, RefusesASignerOutsideItsValidity) {
  auto cms = cms_sign_detached(server_.key, server_.cert, request_);
  ASSERT_TRUE(cms.is_ok());
  auto r = cms_verify_detached(*cms, request_, {pki_.root()}, server_.cert.not_after() + std::chrono::hours(1));
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), Code::kPermissionDenied);
}

TEST_F(CmsTest, RefusesAKeyThatDoesNotMatchTheCertificate) {
  auto other = pki_.issue(ca::Profile::kAuthentication, "QROO/EST/SSP/SS2");
  auto cms = cms_sign_detached(other.key, server_.cert, request_);
  EXPECT_FALSE(cms.is_ok());
}

TEST_F(CmsTest, RefusesMalformedInput) {
  auto cms = cms_sign_detached(server_.key, server_.cert, request_);
  ASSERT_TRUE(cms.is_ok());
  const std::string cases[] = {"", "garbage", cms->substr(0, cms->size() / 2), *cms + "trailing"};
  for (const auto& bad : cases) {
    auto r = cms_verify_detached(bad, request_, {pki_.root()}, clock_.now());
    ASSERT_FALSE(r.is_ok());
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument) << r.status().to_string();
  }
}

}  // namespace
}  // namespace xacbe::crypto
