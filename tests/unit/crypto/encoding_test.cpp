#include "xacbe/crypto/encoding.hpp"

#include <gtest/gtest.h>
#include <openssl/provider.h>

#include <cstdio>
#include <cstdlib>
#include <ostream>
#include <stdexcept>
#include <string>
#include <string_view>

namespace xacbe::crypto {
namespace {

using namespace std::string_literals;

TEST(HexTest, EncodesLowerCase) {
  EXPECT_EQ(to_hex(""), "");
  EXPECT_EQ(to_hex("\x00\x01\xab\xff"s), "0001abff");
}

TEST(HexTest, DecodesBothCases) {
  auto lower = from_hex("0001abff");
  ASSERT_TRUE(lower) << lower.status().to_string();
  EXPECT_EQ(*lower, "\x00\x01\xab\xff"s);
  auto upper = from_hex("0001ABFF");
  ASSERT_TRUE(upper) << upper.status().to_string();
  EXPECT_EQ(*upper, "\x00\x01\xab\xff"s);
}

TEST(HexTest, RoundTripsEveryByteValue) {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  auto back = from_hex(to_hex(all));
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, all);
}

class HexRefusalTest : public ::testing::TestWithParam<std::string_view> {};

TEST_P(HexRefusalTest, RefusesMalformedHex) {
  auto decoded = from_hex(GetParam());
  ASSERT_FALSE(decoded) << "accepted '" << GetParam() << "'";
  EXPECT_EQ(decoded.status().code(), Code::kInvalidArgument);
}

INSTANTIATE_TEST_SUITE_P(BadInputs, HexRefusalTest,
                         ::testing::Values("abc",     // odd length
                                           "0g",      // not a hex digit
                                           "zz",      //
                                           " 0",      // whitespace
                                           "00 ",     //
                                           "0x00",    // prefix
                                           "-1",      // sign
                                           "00\n"));  // trailing newline (odd length, bad char)

// RFC 4648 section 10 test vectors.
struct Base64Vector {
  std::string_view plain;
  std::string_view encoded;
};

void PrintTo(const Base64Vector& v, std::ostream* os) {
  *os << '"' << v.encoded << '"';
}

class Base64VectorTest : public ::testing::TestWithParam<Base64Vector> {};

TEST_P(Base64VectorTest, EncodesAndDecodesRfc4648Vectors) {
  const auto& v = GetParam();
  EXPECT_EQ(base64_encode(v.plain), v.encoded);
  auto decoded = base64_decode(v.encoded);
  ASSERT_TRUE(decoded) << decoded.status().to_string();
  EXPECT_EQ(*decoded, v.plain);
}

INSTANTIATE_TEST_SUITE_P(Rfc4648, Base64VectorTest,
                         ::testing::Values(Base64Vector{"", ""}, Base64Vector{"f", "Zg=="}, Base64Vector{"fo", "Zm8="},
                                           Base64Vector{"foo", "Zm9v"}, Base64Vector{"foob", "Zm9vYg=="},
                                           Base64Vector{"fooba", "Zm9vYmE="}, Base64Vector{"foobar", "Zm9vYmFy"}));

TEST(Base64Test, RoundTripsBinaryOfEveryLength) {
  std::string data;
  for (int len = 0; len < 300; ++len) {
    auto decoded = base64_decode(base64_encode(data));
    ASSERT_TRUE(decoded) << "length " << len << ": " << decoded.status().to_string();
    ASSERT_EQ(*decoded, data) << "length " << len;
    data.push_back(static_cast<char>((len * 37 + 11) & 0xff));
  }
}

TEST(Base64Test, EncodesWithoutLineBreaks) {
  const std::string encoded = base64_encode(std::string(1000, '\xff'));
  EXPECT_EQ(encoded.find('\n'), std::string::npos);
  EXPECT_EQ(encoded.size(), 4u * ((1000 + 2) / 3));
}

struct Base64Refusal {
  std::string_view what;
  std::string_view text;
};

void PrintTo(const Base64Refusal& r, std::ostream* os) {
  *os << r.what;
}

class Base64RefusalTest : public ::testing::TestWithParam<Base64Refusal> {};

TEST_P(Base64RefusalTest, RefusesMalformedBase64) {
  auto decoded = base64_decode(GetParam().text);
  ASSERT_FALSE(decoded) << GetParam().what << ": accepted, decoded to " << to_hex(*decoded);
  EXPECT_EQ(decoded.status().code(), Code::kInvalidArgument);
}

INSTANTIATE_TEST_SUITE_P(
    BadInputs, Base64RefusalTest,
    ::testing::Values(Base64Refusal{"trailing newline", "Zm9v\n"}, Base64Refusal{"line break inside", "Zm9v\nYmFy"},
                      Base64Refusal{"space inside", "Zm9v YmFy"}, Base64Refusal{"url-safe minus", "Zm-v"},
                      Base64Refusal{"url-safe underscore", "Zm_v"}, Base64Refusal{"non-ASCII byte", "Zm9\xff"},
                      Base64Refusal{"NUL byte", std::string_view("Zm9\0", 4)}, Base64Refusal{"missing padding", "Zg"},
                      Base64Refusal{"short padding", "Zg="}, Base64Refusal{"three padding characters", "Z==="},
                      Base64Refusal{"padding only", "===="}, Base64Refusal{"padding first", "=Zm9"},
                      Base64Refusal{"padding in the middle of a quantum", "Zm=v"},
                      Base64Refusal{"padding between characters", "Z=g="},
                      Base64Refusal{"padded quantum followed by more", "Zg==Zm9v"},
                      Base64Refusal{"extra padding quantum", "Zm9v===="},
                      Base64Refusal{"non-canonical one-byte tail", "Zh=="},
                      Base64Refusal{"non-canonical two-byte tail", "Zm9="}));

TEST(PercentDecodeTest, DecodesRfc3986PercentEncoding) {
  EXPECT_EQ(percent_decode("").value(), "");
  EXPECT_EQ(percent_decode("plain-text_1.2~").value(), "plain-text_1.2~");
  EXPECT_EQ(percent_decode("QROO%2FEST%2fFGE").value(), "QROO/EST/FGE");
  EXPECT_EQ(percent_decode("a+b%2Bc%3D").value(), "a+b+c=");  // '+' is not a space
  EXPECT_EQ(percent_decode("%25%41").value(), "%A");            // decoded once, not twice
  EXPECT_EQ(percent_decode("%00%ff").value(), std::string("\0\xff", 2));
  EXPECT_EQ(percent_decode("caf%C3%A9").value(), "caf\xc3\xa9");
}

TEST(PercentDecodeTest, RefusesAPercentWithoutTwoHexDigits) {
  for (const char* bad : {"%", "%4", "a%", "a%4", "%zz", "%4g", "%g4", "% 41", "%%41", "100%"}) {
    auto decoded = percent_decode(bad);
    EXPECT_FALSE(decoded) << bad;
    EXPECT_EQ(decoded.status().code(), Code::kInvalidArgument) << bad;
  }
}

TEST(DigestTest, ComputesKnownDigests) {
  auto sha256_abc = digest("SHA256", "abc");
  ASSERT_TRUE(sha256_abc) << sha256_abc.status().to_string();
  EXPECT_EQ(to_hex(*sha256_abc), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  auto sha1_abc = digest("SHA1", "abc");
  ASSERT_TRUE(sha1_abc) << sha1_abc.status().to_string();
  EXPECT_EQ(to_hex(*sha1_abc), "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_EQ(to_hex(sha256("")), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(DigestTest, RefusesUnknownAlgorithm) {
  auto d = digest("NOT-A-DIGEST", "abc");
  ASSERT_FALSE(d);
  EXPECT_EQ(d.status().code(), Code::kInvalidArgument);
}

// A process whose OpenSSL has only the null provider cannot compute any digest. The death-test
// child is a fresh process, so the provider is loaded there before anything fetched SHA-256.
TEST(DigestDeathTest, DigestOpenSslCannotComputeIsAnErrorNeverAShortDigest) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        if (OSSL_PROVIDER_load(nullptr, "null") == nullptr) std::_Exit(2);
        const Result<std::string> named = digest("SHA256", "abc");
        if (named || named.status().code() != Code::kInternal) std::_Exit(3);
        try {
          (void)sha256("abc");
        } catch (const std::runtime_error& e) {
          std::fprintf(stderr, "%s\n", e.what());
          std::_Exit(0);
        }
        std::_Exit(4);
      },
      ::testing::ExitedWithCode(0), "SHA-256 digest failed");
}

TEST(RandomBytesTest, ReturnsRequestedLengthAndDiffers) {
  EXPECT_TRUE(random_bytes(0).empty());
  const std::string a = random_bytes(32), b = random_bytes(32);
  EXPECT_EQ(a.size(), 32u);
  EXPECT_EQ(b.size(), 32u);
  EXPECT_NE(a, b);
}

}  // namespace
}  // namespace xacbe::crypto
