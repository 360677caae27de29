#include "xacbe/crypto/asn1.hpp"

#include <gtest/gtest.h>
#include <openssl/asn1.h>
#include <openssl/bn.h>

#include <chrono>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

namespace xacbe::crypto {
namespace {

using std::chrono::seconds;
using std::chrono::sys_days;
using namespace std::chrono_literals;

TimePoint at(std::chrono::year_month_day day, seconds time_of_day = seconds(0)) {
  return TimePoint(sys_days(day)) + time_of_day;
}

struct TimeCase {
  const char* what;
  TimePoint time;
  int asn1_type;  // V_ASN1_UTCTIME or V_ASN1_GENERALIZEDTIME
};

void PrintTo(const TimeCase& c, std::ostream* os) {
  *os << c.what;
}

class Asn1TimeTest : public ::testing::TestWithParam<TimeCase> {};

// RFC 5280 section 4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050 (and before 1950).
TEST_P(Asn1TimeTest, RoundTripsInTheRfc5280Encoding) {
  const auto& c = GetParam();
  ASN1_TIMEPtr encoded = to_asn1_time(c.time);
  ASSERT_NE(encoded, nullptr);
  EXPECT_EQ(ASN1_STRING_type(encoded.get()), c.asn1_type);
  auto decoded = from_asn1_time(encoded.get());
  ASSERT_TRUE(decoded) << decoded.status().to_string();
  EXPECT_EQ(*decoded, c.time);
}

INSTANTIATE_TEST_SUITE_P(
    Times, Asn1TimeTest,
    ::testing::Values(TimeCase{"epoch", at(1970y / 1 / 1), V_ASN1_UTCTIME},
                      TimeCase{"y2k", at(2000y / 1 / 1), V_ASN1_UTCTIME},
                      TimeCase{"leap day", at(2024y / 2 / 29, 12h + 34min + 56s), V_ASN1_UTCTIME},
                      TimeCase{"last UTCTime second", at(2049y / 12 / 31, 23h + 59min + 59s), V_ASN1_UTCTIME},
                      TimeCase{"first GeneralizedTime second", at(2050y / 1 / 1), V_ASN1_GENERALIZEDTIME},
                      TimeCase{"far future", at(2100y / 3 / 1, 1s), V_ASN1_GENERALIZEDTIME},
                      TimeCase{"before 1950", at(1949y / 12 / 31), V_ASN1_GENERALIZEDTIME}));

// RFC 5280 section 4.1.2.5.2: GeneralizedTime up to 99991231235959Z, past what a nanosecond
// TimePoint holds (2262-04-11T23:47:16Z).
TEST(Asn1TimeConversionTest, RoundTripsTimesUpToYear9999) {
  for (const auto& [text, time] : std::vector<std::pair<std::string, std::chrono::sys_seconds>>{
           {"22620412000000Z", sys_days(2262y / 4 / 12)},
           {"29991231000000Z", sys_days(2999y / 12 / 31)},
           {"99991231235959Z", sys_days(9999y / 12 / 31) + 23h + 59min + 59s}}) {
    SCOPED_TRACE(text);
    ASN1_TIMEPtr encoded = to_asn1_time(time);
    ASSERT_NE(encoded, nullptr);
    EXPECT_EQ(ASN1_STRING_type(encoded.get()), V_ASN1_GENERALIZEDTIME);
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(encoded.get()))), text);
    auto decoded = from_asn1_time(encoded.get());
    ASSERT_TRUE(decoded) << decoded.status().to_string();
    EXPECT_EQ(decoded->time_since_epoch(), time.time_since_epoch());
  }
}

TEST(Asn1TimeConversionTest, DropsFractionsOfASecond) {
  const TimePoint whole = at(2030y / 6 / 15, 10s);
  auto decoded = from_asn1_time(to_asn1_time(whole + 999ms).get());
  ASSERT_TRUE(decoded);
  EXPECT_EQ(*decoded, whole);
}

TEST(Asn1TimeConversionTest, RefusesMissingTime) {
  auto decoded = from_asn1_time(nullptr);
  ASSERT_FALSE(decoded);
  EXPECT_EQ(decoded.status().code(), Code::kInvalidArgument);
}

TEST(Asn1TimeConversionTest, RefusesMalformedTime) {
  ASN1_TIMEPtr bad(ASN1_TIME_new());
  ASSERT_TRUE(ASN1_STRING_set(bad.get(), "2024-13-45 99:99", -1));
  auto decoded = from_asn1_time(bad.get());
  ASSERT_FALSE(decoded);
  EXPECT_EQ(decoded.status().code(), Code::kInvalidArgument);
}

// Times past 2262 do not fit a nanosecond TimePoint; whole seconds reach the year 9999.
TEST(Asn1TimeConversionTest, SecondsRoundTripUpToTheYear9999) {
  for (const std::chrono::sys_seconds t :
       {std::chrono::sys_seconds(sys_days(1970y / 1 / 1)), std::chrono::sys_seconds(sys_days(2049y / 12 / 31) + 23h),
        std::chrono::sys_seconds(sys_days(2263y / 1 / 1)),
        std::chrono::sys_seconds(sys_days(9999y / 12 / 31) + 23h + 59min + 59s)}) {
    ASN1_TIMEPtr encoded = to_asn1_time(t);
    ASSERT_NE(encoded, nullptr);
    auto decoded = from_asn1_time(encoded.get());
    ASSERT_TRUE(decoded) << decoded.status().to_string();
    EXPECT_EQ(*decoded, t);
  }
  ASN1_TIMEPtr last(ASN1_TIME_new());
  ASSERT_TRUE(ASN1_TIME_set_string(last.get(), "99991231235959Z"));
  EXPECT_EQ(from_asn1_time(last.get())->time_since_epoch().count(), 253402300799);
  EXPECT_FALSE(from_asn1_time(nullptr));
}

ASN1_INTEGERPtr integer_from_bn(const char* hex) {
  BIGNUM* raw = nullptr;
  EXPECT_NE(BN_hex2bn(&raw, hex), 0);
  BIGNUMPtr bn(raw);
  return ASN1_INTEGERPtr(BN_to_ASN1_INTEGER(bn.get(), nullptr));
}

struct SerialCase {
  const char* input;  // as BN_hex2bn takes it
  const char* canonical;
};

void PrintTo(const SerialCase& c, std::ostream* os) {
  *os << c.input;
}

class SerialHexTest : public ::testing::TestWithParam<SerialCase> {};

TEST_P(SerialHexTest, PrintsCanonicalUpperCaseHex) {
  auto serial = integer_from_bn(GetParam().input);
  ASSERT_NE(serial, nullptr);
  EXPECT_EQ(serial_to_hex(serial.get()), GetParam().canonical);
}

INSTANTIATE_TEST_SUITE_P(Serials, SerialHexTest,
                         ::testing::Values(SerialCase{"0", "0"}, SerialCase{"F", "F"}, SerialCase{"0f", "F"},
                                           SerialCase{"100", "100"}, SerialCase{"00ff", "FF"}, SerialCase{"-0a", "-A"},
                                           SerialCase{"7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
                                                      "7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF"}));

TEST(SerialFromHexTest, RoundTripsThroughTheCanonicalForm) {
  for (const char* hex : {"1", "ABCDEF", "abcdef", "0001", "4000000000000000000000000000000000000001"}) {
    auto serial = serial_from_hex(hex);
    ASSERT_TRUE(serial) << hex << ": " << serial.status().to_string();
    auto again = serial_from_hex(serial_to_hex(serial->get()));
    ASSERT_TRUE(again);
    EXPECT_EQ(ASN1_INTEGER_cmp(serial->get(), again->get()), 0) << hex;
  }
  auto lower = serial_from_hex("00abcdef");
  ASSERT_TRUE(lower);
  EXPECT_EQ(serial_to_hex(lower->get()), "ABCDEF");
}

class SerialRefusalTest : public ::testing::TestWithParam<std::string> {};

TEST_P(SerialRefusalTest, RefusesMalformedSerial) {
  auto serial = serial_from_hex(GetParam());
  ASSERT_FALSE(serial) << "accepted '" << GetParam() << "'";
  EXPECT_EQ(serial.status().code(), Code::kInvalidArgument);
}

INSTANTIATE_TEST_SUITE_P(BadInputs, SerialRefusalTest,
                         ::testing::Values("", "0x1", "-1", "G", " 1", "1 ", "12:34",
                                           std::string(41, '1')));  // over 20 octets

}  // namespace
}  // namespace xacbe::crypto
