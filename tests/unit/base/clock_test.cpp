#include "xacbe/clock.hpp"

#include <gtest/gtest.h>

#include <chrono>

#include "support/test_pki.hpp"

namespace xacbe {
namespace {

using namespace std::chrono;
using xacbe::testing::kLastX509Second;

const TimePoint kNow = TimePoint(sys_days(year(2031) / 3 / 14)) + 9h;

TEST(ClockTest, ComparesAClockReadingWithWholeSecondsExactly) {
  const sys_seconds s = floor<seconds>(kNow);
  EXPECT_FALSE(is_before(kNow, s));
  EXPECT_FALSE(is_after(kNow, s));
  EXPECT_TRUE(is_before(kNow - microseconds(1), s));
  EXPECT_TRUE(is_after(kNow + microseconds(1), s));
  EXPECT_FALSE(is_after(kNow + microseconds(1), s + 1s));
  EXPECT_TRUE(is_before(kNow + 999ms, s + 1s));
  // Before the epoch the floor goes down, not towards zero.
  const TimePoint early = TimePoint(sys_days(year(1969) / 12 / 31)) + 23h + 59min + 59s + 500ms;
  EXPECT_TRUE(is_after(early, floor<seconds>(early)));
  EXPECT_TRUE(is_before(early, floor<seconds>(early) + 1s));
}

// A certificate may be valid until 9999-12-31T23:59:59Z; a TimePoint ends in 2262.
TEST(ClockTest, ComparesWithTimesPastTheNanosecondRangeWithoutOverflow) {
  for (const auto& far : xacbe::testing::far_validities()) {
    SCOPED_TRACE(far.name);
    EXPECT_TRUE(is_before(kNow, far.not_after));
    EXPECT_FALSE(is_after(kNow, far.not_after));
    EXPECT_TRUE(is_after(kNow, sys_seconds(sys_days(year(1950) / 1 / 1))));
  }
}

TEST(ClockTest, FormatsTimesUpToYear9999) {
  EXPECT_EQ(to_iso8601_utc(kNow + 999ms), "2031-03-14T09:00:00Z");
  EXPECT_EQ(to_iso8601_utc(floor<seconds>(kNow)), "2031-03-14T09:00:00Z");
  EXPECT_EQ(to_iso8601_utc(kLastX509Second), "9999-12-31T23:59:59Z");
  EXPECT_EQ(to_iso8601_utc(sys_seconds(sys_days(year(2262) / 4 / 12))), "2262-04-12T00:00:00Z");
  EXPECT_EQ(to_iso8601_utc(sys_seconds_from_unix(253402300799)), "9999-12-31T23:59:59Z");
}

}  // namespace
}  // namespace xacbe
