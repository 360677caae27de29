#include "xacbe/calendar/notice_rule.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <string>

#include "xacbe/calendar/business_calendar.hpp"

namespace xacbe::calendar {
namespace {

using namespace std::chrono;

Date date(const std::string& text) {
  auto d = parse_date(text);
  EXPECT_TRUE(d) << d.status().to_string();
  return d ? *d : Date{};
}

// An instant given as a civil date and time in America/Cancun (UTC-5).
TimePoint local(const std::string& day, int h, int m) {
  return TimePoint{sys_days{date(day)} + hours{h} + minutes{m} + hours{5}};
}

class NoticeRuleTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const auto path = std::filesystem::path(XACBE_SOURCE_DIR) / "conf/business-calendar.json";
    auto loaded = BusinessCalendar::load(path.lexically_normal().string());
    ASSERT_TRUE(loaded) << loaded.status().to_string();
    calendar_ = new BusinessCalendar(std::move(loaded).value());
  }
  static void TearDownTestSuite() {
    delete calendar_;
    calendar_ = nullptr;
  }
  static const BusinessCalendar& cal() { return *calendar_; }

 private:
  static inline BusinessCalendar* calendar_ = nullptr;
};

struct LimitRow {
  NoticeKind kind;
  const char* sent;      // local civil date of sending
  const char* earliest;  // earliest allowed effective date
};

TEST_F(NoticeRuleTest, AcceptsExactlyTheMinimumNoticeAndRefusesOneDayLess) {
  const LimitRow rows[] = {
      // 15 business days after the sending date.
      {NoticeKind::kPlannedChange, "2026-01-05", "2026-01-26"},
      {NoticeKind::kPlannedChange, "2026-01-23", "2026-02-16"},  // Monday 2 February is not counted
      {NoticeKind::kPlannedChange, "2026-12-19", "2027-01-12"},  // sent on a Saturday, across 25 Dec and 1 Jan
      // 5 business days.
      {NoticeKind::kExtraordinaryChange, "2026-11-11", "2026-11-19"},  // Monday 16 November
      {NoticeKind::kExtraordinaryChange, "2030-09-26", "2030-10-04"},  // 1 October 2030
      {NoticeKind::kExtraordinaryChange, "2026-03-13", "2026-03-23"},  // sent the Friday before 16 March
      // 5 calendar days, holidays included.
      {NoticeKind::kTermination, "2026-03-13", "2026-03-18"},
      {NoticeKind::kTermination, "2026-12-29", "2027-01-03"},
      // One calendar month: same day number, or the first of the following month.
      {NoticeKind::kProtocolChange, "2026-01-15", "2026-02-15"},
      {NoticeKind::kProtocolChange, "2026-01-31", "2026-03-01"},
      {NoticeKind::kProtocolChange, "2026-01-29", "2026-03-01"},
      {NoticeKind::kProtocolChange, "2028-01-29", "2028-02-29"},  // leap year
      {NoticeKind::kProtocolChange, "2028-01-30", "2028-03-01"},
      {NoticeKind::kProtocolChange, "2026-03-31", "2026-05-01"},
      {NoticeKind::kProtocolChange, "2026-02-28", "2026-03-28"},
      {NoticeKind::kProtocolChange, "2026-12-15", "2027-01-15"},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(std::string(notice_kind_name(row.kind)) + " sent " + row.sent);
    for (const int hour : {0, 12, 23}) {
      const TimePoint sent = local(row.sent, hour, hour == 23 ? 59 : 0);
      const Date earliest = date(row.earliest);
      EXPECT_EQ(earliest_effective_date(row.kind, sent, cal()), earliest);
      EXPECT_TRUE(check_notice(row.kind, sent, earliest, cal()).is_ok());
      EXPECT_TRUE(check_notice(row.kind, sent, Date{sys_days{earliest} + days{40}}, cal()).is_ok());

      const Date short_by_one = Date{sys_days{earliest} - days{1}};
      const Status refused = check_notice(row.kind, sent, short_by_one, cal());
      ASSERT_FALSE(refused.is_ok());
      EXPECT_EQ(refused.code(), Code::kFailedPrecondition);
      EXPECT_NE(refused.message().find("earliest allowed effective date is " + format_date(earliest)),
                std::string::npos)
          << refused.message();
    }
  }
}

TEST_F(NoticeRuleTest, BusinessDayNoticeCountsBusinessDaysAfterTheSendingDate) {
  for (const auto kind : {NoticeKind::kPlannedChange, NoticeKind::kExtraordinaryChange}) {
    const int needed = notice_rule(kind).amount;
    for (sys_days day = sys_days{date("2026-01-01")}; day <= sys_days{date("2027-12-31")}; day += days{1}) {
      const TimePoint sent = TimePoint{day + hours{17}};  // 12:00 local
      const Date earliest = earliest_effective_date(kind, sent, cal());
      ASSERT_EQ(cal().business_days_between(Date{day}, earliest), needed) << format_date(Date{day});
      ASSERT_EQ(cal().business_days_between(Date{day}, Date{sys_days{earliest} - days{1}}), needed - 1);
    }
  }
}

TEST_F(NoticeRuleTest, EffectiveDateNeedNotBeABusinessDayOnceTheNoticeHasRun) {
  // Sent Monday 2026-01-05; the 15th business day is Monday 26 January, so the weekend after it is fine
  // and the weekend before it is not.
  EXPECT_TRUE(check_notice(NoticeKind::kPlannedChange, local("2026-01-05", 9, 0), date("2026-01-31"), cal()).is_ok());
  EXPECT_FALSE(check_notice(NoticeKind::kPlannedChange, local("2026-01-05", 9, 0), date("2026-01-25"), cal()).is_ok());
}

TEST_F(NoticeRuleTest, TheSendingDateIsTheLocalDateNotTheUtcDate) {
  // 23:59 on Monday 5 January in Cancun is already 04:59 on the 6th in UTC.
  const TimePoint late = local("2026-01-05", 23, 59);
  EXPECT_EQ(late, TimePoint{sys_days{date("2026-01-06")} + hours{4} + minutes{59}});
  EXPECT_EQ(earliest_effective_date(NoticeKind::kPlannedChange, late, cal()), date("2026-01-26"));
  EXPECT_TRUE(check_notice(NoticeKind::kPlannedChange, late, date("2026-01-26"), cal()).is_ok());
  // One minute later it is the 6th in Cancun too, and the limit moves by one business day.
  const TimePoint midnight = local("2026-01-06", 0, 0);
  EXPECT_EQ(earliest_effective_date(NoticeKind::kPlannedChange, midnight, cal()), date("2026-01-27"));
  const Status refused = check_notice(NoticeKind::kPlannedChange, midnight, date("2026-01-26"), cal());
  EXPECT_EQ(refused.code(), Code::kFailedPrecondition);
  EXPECT_NE(refused.message().find("2026-01-27"), std::string::npos) << refused.message();

  // Termination sent at 22:00 on 31 December local time (1 January, 03:00 UTC): five calendar days
  // from the 31st, not from the 1st.
  const TimePoint new_year_eve = local("2026-12-31", 22, 0);
  EXPECT_EQ(earliest_effective_date(NoticeKind::kTermination, new_year_eve, cal()), date("2027-01-05"));
  // And the one-month rule from 31 January late at night (1 February in UTC).
  EXPECT_EQ(earliest_effective_date(NoticeKind::kProtocolChange, local("2026-01-31", 23, 30), cal()),
            date("2026-03-01"));
  EXPECT_EQ(earliest_effective_date(NoticeKind::kProtocolChange, local("2026-02-01", 0, 30), cal()),
            date("2026-03-01"));
}

TEST_F(NoticeRuleTest, RefusalNamesTheRuleTheDatesAndTheEarliestDate) {
  const Status refused =
      check_notice(NoticeKind::kPlannedChange, local("2026-01-05", 10, 0), date("2026-01-23"), cal());
  EXPECT_EQ(refused.code(), Code::kFailedPrecondition);
  EXPECT_EQ(refused.message(),
            "planned-change notice must be given at least 15 business days before the effective date: sent "
            "2026-01-05 (America/Cancun), effective 2026-01-23; the earliest allowed effective date is 2026-01-26");
}

TEST_F(NoticeRuleTest, RefusesAnInvalidEffectiveDate) {
  const Date invalid{year{2026}, month{2}, day{30}};
  const Status status = check_notice(NoticeKind::kTermination, local("2026-01-05", 10, 0), invalid, cal());
  EXPECT_EQ(status.code(), Code::kInvalidArgument);
}

TEST(NoticeKindTest, NamesRoundTrip) {
  struct Row {
    NoticeKind kind;
    const char* name;
    const char* notice;
  };
  const Row rows[] = {
      {NoticeKind::kPlannedChange, "planned-change", "15 business days"},
      {NoticeKind::kExtraordinaryChange, "extraordinary-change", "5 business days"},
      {NoticeKind::kProtocolChange, "protocol-change", "1 calendar month"},
      {NoticeKind::kTermination, "termination", "5 calendar days"},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    EXPECT_EQ(notice_kind_name(row.kind), row.name);
    auto parsed = parse_notice_kind(row.name);
    ASSERT_TRUE(parsed) << parsed.status().to_string();
    EXPECT_EQ(*parsed, row.kind);
    EXPECT_EQ(notice_rule(row.kind).kind, row.kind);
    EXPECT_EQ(notice_rule(row.kind).to_string(), row.notice);
  }
}

TEST(NoticeKindTest, RefusesUnknownNames) {
  for (const auto* bad : {"", "Planned-change", "planned_change", "planned-change ", " termination", "maintenance",
                          "protocol", "terminate"}) {
    SCOPED_TRACE(bad);
    auto parsed = parse_notice_kind(bad);
    ASSERT_FALSE(parsed);
    EXPECT_EQ(parsed.status().code(), Code::kInvalidArgument);
  }
}

}  // namespace
}  // namespace xacbe::calendar
