// Built with NDEBUG, as a Release build is: the check on Result::value() must not be an assert.
#ifndef NDEBUG
#define NDEBUG 1
#endif

#include "xacbe/result.hpp"

#include <gtest/gtest.h>

#include <string>

namespace xacbe {
namespace {

// A type no other translation unit instantiates Result with, so this NDEBUG build of the
// template cannot differ from another one.
struct Widget {
  int size = 0;
};

Result<Widget> find_widget(bool found) {
  if (!found) return not_found("no widget on shelf 7");
  return Widget{3};
}

class ResultDeathTest : public ::testing::Test {
 protected:
  void SetUp() override { GTEST_FLAG_SET(death_test_style, "threadsafe"); }
};

TEST(ResultTest, ValueOfASuccessIsTheValue) {
  Result<Widget> r = find_widget(true);
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(r.value().size, 3);
  EXPECT_EQ(r->size, 3);
  EXPECT_EQ((*r).size, 3);
  EXPECT_EQ(std::move(r).value().size, 3);
}

TEST_F(ResultDeathTest, ValueOfAnErrorAbortsWithTheStatusEvenWithoutAsserts) {
  const Result<Widget> error = find_widget(false);
  ASSERT_FALSE(error.is_ok());
  EXPECT_DEATH((void)error.value(), "Result::value\\(\\) called on an error: NOT_FOUND: no widget on shelf 7");
  Result<Widget> mutable_error = find_widget(false);
  EXPECT_DEATH((void)mutable_error->size, "NOT_FOUND: no widget on shelf 7");
  EXPECT_DEATH((void)std::move(mutable_error).value(), "NOT_FOUND: no widget on shelf 7");
}

}  // namespace
}  // namespace xacbe
