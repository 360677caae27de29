#include "xacbe/utf8.hpp"

#include <gtest/gtest.h>

#include <string>

namespace xacbe {
namespace {

TEST(Utf8, ChecksRfc3629Strictly) {
  EXPECT_TRUE(is_utf8(""));
  EXPECT_TRUE(is_utf8("plain"));
  EXPECT_TRUE(is_utf8("ni\xc3\xb1o \xe2\x82\xac \xf0\x9f\x98\x80"));
  EXPECT_TRUE(is_utf8(std::string("a\0b", 3)));  // NUL is a character; callers refuse controls
  EXPECT_FALSE(is_utf8("caf\xe9"));                // Latin-1
  EXPECT_FALSE(is_utf8("\xc0\xaf"));               // overlong
  EXPECT_FALSE(is_utf8("\xed\xa0\x80"));           // surrogate
  EXPECT_FALSE(is_utf8("\xf4\x90\x80\x80"));       // past U+10FFFF
  EXPECT_FALSE(is_utf8("\xe2\x82"));               // cut short
  EXPECT_FALSE(is_utf8("\x80"));                   // a lone continuation byte
}

TEST(Utf8, ValidUtf8ReplacesEveryBadSequence) {
  EXPECT_EQ(valid_utf8("plain"), "plain");
  EXPECT_EQ(valid_utf8("ni\xc3\xb1o"), "ni\xc3\xb1o");
  EXPECT_EQ(valid_utf8("\xc0\xaf"), "\xEF\xBF\xBD\xEF\xBF\xBD");                  // overlong
  EXPECT_EQ(valid_utf8("\xed\xa0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
  EXPECT_EQ(valid_utf8("\xf4\x90\x80\x80").substr(0, 3), "\xEF\xBF\xBD");         // past U+10FFFF
  EXPECT_EQ(valid_utf8("\xe2\x82"), "\xEF\xBF\xBD\xEF\xBF\xBD");                  // cut short
  EXPECT_EQ(valid_utf8(std::string("a\0b", 3)), "a\xEF\xBF\xBD" "b");             // NUL too
  EXPECT_EQ(bounded_utf8("a\xc3\xb1", 2), "a");                                   // never half a character
  for (const std::string bad : {"caf\xe9", "\xc0\xaf", "\xed\xa0\x80", "\xe2\x82"}) {
    EXPECT_TRUE(is_utf8(valid_utf8(bad))) << bad;
  }
}

TEST(ExcerptTest, QuotesShortTextWholeAndMarksWhereLongTextWasCut) {
  EXPECT_EQ(excerpt("short"), "short");
  EXPECT_EQ(excerpt(std::string(64, 'k')), std::string(64, 'k'));
  EXPECT_EQ(excerpt(std::string(65, 'k')), std::string(64, 'k') + "...");
  EXPECT_EQ(excerpt(std::string(200'000, 'k'), 10), std::string(10, 'k') + "...");
  // Cut at a character boundary; bad bytes replaced before counting.
  EXPECT_EQ(excerpt("\xC3\xB1\xC3\xB1", 3), "\xC3\xB1...");
  EXPECT_EQ(excerpt("A\xFF", 8), "A\xEF\xBF\xBD");
  EXPECT_EQ(excerpt(std::string(30, '\xFF'), 64).size(), 63u + 3u);  // 21 replacements, then cut
}

TEST(CheckTextTest, OneRuleForTextAPersonWrote) {
  EXPECT_TRUE(check_text("Fiscalía General", "'name'", 64).is_ok());
  EXPECT_EQ(check_text("", "'name'", 64).message(), "'name' is required");
  EXPECT_EQ(check_text(std::string(65, 'n'), "'name'", 64).message(), "'name' is longer than 64 bytes");
  EXPECT_EQ(check_text("A\xFF", "'name'", 64).message(), "'name' is not UTF-8");
  const std::string controls[] = {"a\nb", "a\tb", "a\x7F", "a\xC2\x85" "b", std::string("a\0b", 3)};
  for (const std::string& bad : controls) {
    EXPECT_EQ(check_text(bad, "'name'", 64).message(), "'name' has control characters") << bad;
    EXPECT_TRUE(has_control_characters(bad));
  }
  // Several lines where they are allowed; C1 never.
  EXPECT_TRUE(check_text("línea 1\r\nlínea 2\tfin", "the body", 64, /*multiline=*/true).is_ok());
  EXPECT_FALSE(check_text("a\xC2\x9B" "b", "the body", 64, true).is_ok());
  EXPECT_FALSE(has_control_characters("\xC2\xA0no-break space is no control"));
}

}  // namespace
}  // namespace xacbe
