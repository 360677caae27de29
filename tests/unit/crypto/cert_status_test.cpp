#include "xacbe/crypto/cert_status.hpp"

#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <string_view>

namespace xacbe::crypto {
namespace {

struct ReasonCase {
  RevocationReason reason;
  std::string_view name;  // RFC 5280 section 5.3.1 spelling
};

void PrintTo(const ReasonCase& c, std::ostream* os) {
  *os << c.name;
}

class ReasonNameTest : public ::testing::TestWithParam<ReasonCase> {};

TEST_P(ReasonNameTest, NameRoundTripsThroughParse) {
  const auto& c = GetParam();
  EXPECT_EQ(reason_name(c.reason), c.name);
  auto parsed = parse_reason(c.name);
  ASSERT_TRUE(parsed) << parsed.status().to_string();
  EXPECT_EQ(*parsed, c.reason);
}

INSTANTIATE_TEST_SUITE_P(Rfc5280, ReasonNameTest,
                         ::testing::Values(ReasonCase{RevocationReason::kUnspecified, "unspecified"},
                                           ReasonCase{RevocationReason::kKeyCompromise, "keyCompromise"},
                                           ReasonCase{RevocationReason::kCaCompromise, "cACompromise"},
                                           ReasonCase{RevocationReason::kAffiliationChanged, "affiliationChanged"},
                                           ReasonCase{RevocationReason::kSuperseded, "superseded"},
                                           ReasonCase{RevocationReason::kCessationOfOperation, "cessationOfOperation"},
                                           ReasonCase{RevocationReason::kCertificateHold, "certificateHold"},
                                           ReasonCase{RevocationReason::kRemoveFromCrl, "removeFromCRL"},
                                           ReasonCase{RevocationReason::kPrivilegeWithdrawn, "privilegeWithdrawn"},
                                           ReasonCase{RevocationReason::kAaCompromise, "aACompromise"}));

TEST(RevocationReasonTest, CodesAreTheRfc5280Values) {
  EXPECT_EQ(static_cast<int>(RevocationReason::kKeyCompromise), 1);
  EXPECT_EQ(static_cast<int>(RevocationReason::kCertificateHold), 6);
  EXPECT_EQ(static_cast<int>(RevocationReason::kRemoveFromCrl), 8);
  EXPECT_EQ(static_cast<int>(RevocationReason::kAaCompromise), 10);
}

class UnknownReasonTest : public ::testing::TestWithParam<std::string_view> {};

TEST_P(UnknownReasonTest, RefusesUnknownReasonName) {
  auto parsed = parse_reason(GetParam());
  ASSERT_FALSE(parsed) << "accepted '" << GetParam() << "'";
  EXPECT_EQ(parsed.status().code(), Code::kInvalidArgument);
  EXPECT_NE(parsed.status().message().find(std::string(GetParam())), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(BadNames, UnknownReasonTest,
                         ::testing::Values("", "KeyCompromise", "keycompromise", "key-compromise", "1", "7", "revoked",
                                           " keyCompromise", "keyCompromise "));

TEST(CertStatusTest, DefaultsToUnknown) {
  const CertStatus status;
  EXPECT_EQ(status.kind, CertStatus::Kind::kUnknown);
  EXPECT_EQ(status.reason, RevocationReason::kUnspecified);
}

}  // namespace
}  // namespace xacbe::crypto
