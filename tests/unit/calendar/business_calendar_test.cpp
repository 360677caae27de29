#include "xacbe/calendar/business_calendar.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "support/temp_dir.hpp"

namespace xacbe::calendar {
namespace {

using namespace std::chrono;

// The project's calendar, found from this source file (tests/unit/calendar/ -> conf/).
std::string project_calendar_path() {
  // The source tree as the build names it: __FILE__ is relative when the compiler is given
  // relative paths (a compiler cache does so), and then depends on where the test runs.
  return (std::filesystem::path(XACBE_SOURCE_DIR) / "conf/business-calendar.json").lexically_normal().string();
}

Date date(const std::string& text) {
  auto d = parse_date(text);
  EXPECT_TRUE(d) << d.status().to_string();
  return d ? *d : Date{};
}

std::string calendar_json(const std::string& rules, const std::string& dates) {
  return R"({"time_zone": "America/Cancun", "rules": [)" + rules + R"(], "dates": [)" + dates + "]}";
}

class BusinessCalendarTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto loaded = BusinessCalendar::load(project_calendar_path());
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

TEST_F(BusinessCalendarTest, MandatoryRestDaysOfLftArticle74AreHolidays) {
  const std::vector<std::string> holidays = {"2026-01-01", "2026-02-02", "2026-03-16", "2026-05-01", "2026-09-16",
                                             "2026-11-16", "2026-12-25", "2027-01-01", "2027-02-01", "2027-03-15",
                                             "2027-05-01", "2027-09-16", "2027-11-15", "2027-12-25", "2024-10-01",
                                             "2030-10-01", "2036-10-01"};
  for (const auto& text : holidays) {
    SCOPED_TRACE(text);
    EXPECT_FALSE(cal().is_business_day(date(text)));
    EXPECT_TRUE(cal().holiday_name(date(text)).has_value());
  }
}

TEST_F(BusinessCalendarTest, OrdinaryWeekdaysAreBusinessDays) {
  const std::vector<std::string> business_days = {
      "2026-01-02",                              // Friday after New Year
      "2026-02-05",                              // the commemorated date itself: the rest day is the first Monday
      "2026-02-09",                              // second Monday of February
      "2026-03-17",                              // day after the third Monday of March
      "2027-03-22",                              // fourth Monday of March
      "2026-11-20",                              // the commemorated date of the Revolution
      "2025-10-01", "2029-10-01", "2031-10-01",  // not a year of transmission of the Executive
      "2026-12-01",                              // the pre-2024 date of the transmission is not a rest day
      "2026-12-24", "2026-12-31"};
  for (const auto& text : business_days) {
    SCOPED_TRACE(text);
    EXPECT_TRUE(cal().is_business_day(date(text)));
    EXPECT_FALSE(cal().holiday_name(date(text)).has_value());
  }
}

TEST_F(BusinessCalendarTest, WeekendsAreNotBusinessDaysNorHolidays) {
  for (const auto* text : {"2026-01-03", "2026-01-04", "2026-02-07", "2027-01-02", "2027-01-03"}) {
    SCOPED_TRACE(text);
    EXPECT_FALSE(cal().is_business_day(date(text)));
    EXPECT_FALSE(cal().holiday_name(date(text)).has_value());
  }
}

TEST_F(BusinessCalendarTest, ListsTheHolidaysOfAYearInOrder) {
  std::vector<std::string> dates_2026;
  for (const auto& h : cal().holidays(year{2026})) dates_2026.push_back(format_date(h.date));
  EXPECT_EQ(dates_2026, (std::vector<std::string>{"2026-01-01", "2026-02-02", "2026-03-16", "2026-05-01", "2026-09-16",
                                                  "2026-11-16", "2026-12-25"}));
  std::vector<std::string> dates_2030;
  for (const auto& h : cal().holidays(year{2030})) dates_2030.push_back(format_date(h.date));
  EXPECT_EQ(dates_2030, (std::vector<std::string>{"2030-01-01", "2030-02-04", "2030-03-18", "2030-05-01", "2030-09-16",
                                                  "2030-10-01", "2030-11-18", "2030-12-25"}));
}

TEST_F(BusinessCalendarTest, AddsBusinessDaysAcrossHolidaysWeekendsAndYearEnds) {
  struct Row {
    const char* from;
    int n;
    const char* expected;
  };
  const Row rows[] = {
      {"2026-01-05", 0, "2026-01-05"},    // zero: the date itself
      {"2026-01-03", 0, "2026-01-03"},    // even on a Saturday
      {"2026-01-05", 1, "2026-01-06"},    // an ordinary week
      {"2026-01-05", 15, "2026-01-26"},   // three weeks
      {"2026-01-30", 1, "2026-02-03"},    // Monday 2 February
      {"2026-03-13", 1, "2026-03-17"},    // Monday 16 March
      {"2026-11-13", 1, "2026-11-17"},    // Monday 16 November
      {"2026-12-24", 1, "2026-12-28"},    // 25 December and the weekend
      {"2026-12-24", 5, "2027-01-04"},    // 28-31 December, then 1 January and the weekend
      {"2026-12-31", 1, "2027-01-04"},    // year end
      {"2027-01-29", 1, "2027-02-02"},    // Monday 1 February 2027
      {"2030-09-30", 1, "2030-10-02"},    // 1 October 2030
      {"2026-01-03", 1, "2026-01-05"},    // from a Saturday
      {"2026-02-03", -1, "2026-01-30"},   // backwards over 2 February
      {"2027-01-04", -1, "2026-12-31"},   // backwards over a year end
      {"2027-01-04", -5, "2026-12-24"},   // backwards over 25 December
      {"2026-01-26", -15, "2026-01-05"},  // the inverse of the three weeks above
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(std::string(row.from) + " + " + std::to_string(row.n));
    EXPECT_EQ(format_date(cal().add_business_days(date(row.from), row.n)), row.expected);
  }
}

TEST_F(BusinessCalendarTest, NextBusinessDayIsStrictlyAfter) {
  EXPECT_EQ(cal().next_business_day(date("2026-01-05")), date("2026-01-06"));
  EXPECT_EQ(cal().next_business_day(date("2026-01-03")), date("2026-01-05"));
  EXPECT_EQ(cal().next_business_day(date("2026-03-13")), date("2026-03-17"));
  EXPECT_EQ(cal().next_business_day(date("2026-12-31")), date("2027-01-04"));
}

TEST_F(BusinessCalendarTest, CountsBusinessDaysAfterTheFirstDateUpToAndIncludingTheLast) {
  EXPECT_EQ(cal().business_days_between(date("2026-01-05"), date("2026-01-05")), 0);
  EXPECT_EQ(cal().business_days_between(date("2026-01-05"), date("2026-01-06")), 1);
  EXPECT_EQ(cal().business_days_between(date("2026-01-05"), date("2026-01-26")), 15);
  EXPECT_EQ(cal().business_days_between(date("2026-01-26"), date("2026-01-05")), -15);
  EXPECT_EQ(cal().business_days_between(date("2026-12-24"), date("2027-01-04")), 5);
  EXPECT_EQ(cal().business_days_between(date("2026-01-02"), date("2026-01-04")), 0);    // a weekend
  EXPECT_EQ(cal().business_days_between(date("2026-01-01"), date("2026-12-31")), 254);  // 261 weekdays - 7
}

TEST_F(BusinessCalendarTest, AddingAndCountingAgreeOnEveryDayOfTwoYears) {
  for (sys_days day = sys_days{date("2026-01-01")}; day <= sys_days{date("2027-12-31")}; day += days{1}) {
    for (int n = 1; n <= 20; n += 3) {
      const Date to = cal().add_business_days(Date{day}, n);
      ASSERT_EQ(cal().business_days_between(Date{day}, to), n) << format_date(Date{day}) << " + " << n;
      ASSERT_TRUE(cal().is_business_day(to));
      // Back n business days from `to` lands on the last business day on or before `day`.
      const Date back = cal().is_business_day(Date{day}) ? Date{day} : cal().add_business_days(Date{day}, -1);
      ASSERT_EQ(cal().add_business_days(to, -n), back) << format_date(Date{day}) << " + " << n;
    }
  }
}

TEST(LocalDateTest, UsesTheFixedUtcMinusFiveOffset) {
  const auto utc = [](const char* d, int h, int m, int s) {
    return TimePoint{sys_days{date(d)} + hours{h} + minutes{m} + seconds{s}};
  };
  EXPECT_EQ(local_date(utc("2026-01-06", 4, 59, 59)), date("2026-01-05"));
  EXPECT_EQ(local_date(utc("2026-01-06", 5, 0, 0)), date("2026-01-06"));
  EXPECT_EQ(local_date(utc("2026-07-01", 4, 59, 59)), date("2026-06-30"));  // no daylight saving time
  EXPECT_EQ(local_date(utc("2027-01-01", 3, 0, 0)), date("2026-12-31"));
  EXPECT_EQ(local_date(utc("1970-01-01", 0, 0, 0)), date("1969-12-31"));  // before the epoch
  EXPECT_EQ(local_date(utc("2026-01-06", 4, 59, 59) + nanoseconds{999'999'999}), date("2026-01-05"));
}

TEST(DateTest, ParsesOnlyExistingIsoDates) {
  for (const auto* good : {"2026-01-01", "2028-02-29", "0001-01-01", "9999-12-31"}) {
    SCOPED_TRACE(good);
    auto d = parse_date(good);
    ASSERT_TRUE(d) << d.status().to_string();
    EXPECT_EQ(format_date(*d), good);
  }
  for (const auto* bad : {"", "2026-02-29", "2026-02-30", "2026-04-31", "2026-13-01", "2026-00-10", "2026-01-00",
                          "2026-01-32", "0000-01-01", "2026-1-01", "2026-01-1", "26-01-01", "2026/01/01",
                          "2026-01-01T00:00", " 2026-01-01", "2026-01-01 ", "+026-01-01", "2026-0a-01", "20260101"}) {
    SCOPED_TRACE(bad);
    auto d = parse_date(bad);
    ASSERT_FALSE(d);
    EXPECT_EQ(d.status().code(), Code::kInvalidArgument);
  }
}

TEST(BusinessCalendarParseTest, AddsTheSingleDatesOfTheFile) {
  auto cal = BusinessCalendar::parse(calendar_json(R"({"name": "Navidad", "month": 12, "day": 25})",
                                                   R"({"date": "2026-12-24", "name": "Nochebuena, CEIQROO"},
                                                      {"date": "2026-06-08", "name": "Asueto"})"));
  ASSERT_TRUE(cal) << cal.status().to_string();
  EXPECT_FALSE(cal->is_business_day(date("2026-12-24")));
  EXPECT_EQ(cal->holiday_name(date("2026-12-24")), "Nochebuena, CEIQROO");
  EXPECT_TRUE(cal->is_business_day(date("2027-12-24")));  // a single date, not every year
  EXPECT_EQ(cal->holidays(year{2026}), (std::vector<Holiday>{{date("2026-06-08"), "Asueto"},
                                                             {date("2026-12-24"), "Nochebuena, CEIQROO"},
                                                             {date("2026-12-25"), "Navidad"}}));
  EXPECT_EQ(cal->add_business_days(date("2026-12-23"), 1), date("2026-12-28"));
}

TEST(BusinessCalendarParseTest, RulesApplyInTheirYearsOnly) {
  auto cal = BusinessCalendar::parse(calendar_json(
      R"({"name": "A", "month": 10, "day": 1, "from_year": 2024, "every_years": 6},
         {"name": "B", "month": 12, "day": 1, "from_year": 2000, "until_year": 2018, "every_years": 6},
         {"name": "C", "month": 6, "weekday": "friday", "nth": 4, "until_year": 2026},
         {"name": "D", "month": 8, "day": 3, "from_year": 2027})",
      ""));
  ASSERT_TRUE(cal) << cal.status().to_string();
  struct Row {
    const char* date;
    bool holiday;
  };
  const Row rows[] = {
      // A: every sixth year from 2024.
      {"2024-10-01", true},
      {"2030-10-01", true},
      {"2018-10-01", false},
      {"2025-10-01", false},
      {"2027-10-01", false},
      // B: 2000, 2006, 2012 and 2018 only.
      {"2006-12-01", true},
      {"2018-12-01", true},
      {"2003-12-01", false},
      {"2024-12-01", false},
      {"1994-12-01", false},
      // C: fourth Friday of June, until 2026.
      {"2026-06-26", true},
      {"2026-06-19", false},
      {"2020-06-26", true},
      {"2027-06-25", false},
      // D: from 2027 on.
      {"2026-08-03", false},
      {"2027-08-03", true},
      {"2100-08-03", true},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.date);
    EXPECT_EQ(cal->holiday_name(date(row.date)).has_value(), row.holiday);
  }
}

TEST(BusinessCalendarParseTest, RefusesMalformedFiles) {
  const std::string fixed = R"({"name": "Navidad", "month": 12, "day": 25})";
  struct Row {
    const char* what;
    std::string text;
    const char* message;
  };
  const Row rows[] = {
      {"not JSON", "{", "invalid JSON"},
      {"trailing comma", R"({"time_zone": "America/Cancun", "rules": [], "dates": [],})", "invalid JSON"},
      {"comment", "// x\n" + calendar_json("", ""), "invalid JSON"},
      {"top level list", "[]", "top level must be an object"},
      {"no time zone", R"({"rules": [], "dates": []})", "'time_zone' is required"},
      {"other time zone", R"({"time_zone": "America/Mexico_City", "rules": [], "dates": []})",
       "'time_zone' must be \"America/Cancun\""},
      {"unknown top-level key", R"({"time_zone": "America/Cancun", "rules": [], "dates": [], "holidays": []})",
       "unknown key 'holidays'"},
      {"duplicate top-level key", R"({"time_zone": "America/Cancun", "rules": [], "rules": [], "dates": []})",
       "duplicate key 'rules'"},
      {"no rules", R"({"time_zone": "America/Cancun", "dates": []})", "'rules' is required"},
      {"no dates", R"({"time_zone": "America/Cancun", "rules": []})", "'dates' is required"},
      {"rules not a list", R"({"time_zone": "America/Cancun", "rules": {}, "dates": []})", "'rules' must be a list"},
      {"rule not an object", calendar_json("1", ""), "rules[0] must be an object"},
      {"unknown rule key", calendar_json(R"({"name": "X", "month": 1, "day": 2, "dia": 2})", ""),
       "unknown key 'rules[0].dia'"},
      {"duplicate rule key", calendar_json(R"({"name": "X", "month": 1, "day": 2, "day": 3})", ""),
       "duplicate key 'day'"},
      {"rule without name", calendar_json(R"({"month": 1, "day": 2})", ""), "'rules[0].name' is required"},
      {"rule with empty name", calendar_json(R"({"name": "", "month": 1, "day": 2})", ""),
       "'rules[0].name' must be a non-empty string"},
      {"month 13", calendar_json(R"({"name": "X", "month": 13, "day": 2})", ""),
       "'rules[0].month' must be an integer in 1..12"},
      {"month 0", calendar_json(R"({"name": "X", "month": 0, "day": 2})", ""), "'rules[0].month' must be"},
      {"negative month", calendar_json(R"({"name": "X", "month": -1, "day": 2})", ""), "'rules[0].month' must be"},
      {"huge month", calendar_json(R"({"name": "X", "month": 18446744073709551615, "day": 2})", ""),
       "'rules[0].month' must be"},
      {"month as text", calendar_json(R"({"name": "X", "month": "1", "day": 2})", ""), "'rules[0].month' must be"},
      {"month as float", calendar_json(R"({"name": "X", "month": 1.0, "day": 2})", ""), "'rules[0].month' must be"},
      {"day and weekday", calendar_json(R"({"name": "X", "month": 1, "day": 2, "weekday": "monday", "nth": 1})", ""),
       "give either 'day' or both 'weekday' and 'nth'"},
      {"neither day nor weekday", calendar_json(R"({"name": "X", "month": 1})", ""), "give either 'day'"},
      {"weekday without nth", calendar_json(R"({"name": "X", "month": 1, "weekday": "monday"})", ""),
       "'rules[0].nth' is required"},
      {"31 April", calendar_json(R"({"name": "X", "month": 4, "day": 31})", ""),
       "'rules[0].day' must be a day that month 4 has in every year"},
      {"29 February", calendar_json(R"({"name": "X", "month": 2, "day": 29})", ""), "'rules[0].day' must be a day"},
      {"day 32", calendar_json(R"({"name": "X", "month": 1, "day": 32})", ""),
       "'rules[0].day' must be an integer in 1..31"},
      {"capitalised weekday", calendar_json(R"({"name": "X", "month": 2, "weekday": "Monday", "nth": 1})", ""),
       "'rules[0].weekday' must be a weekday name"},
      {"Spanish weekday", calendar_json(R"({"name": "X", "month": 2, "weekday": "lunes", "nth": 1})", ""),
       "'rules[0].weekday' must be a weekday name"},
      {"fifth weekday", calendar_json(R"({"name": "X", "month": 2, "weekday": "monday", "nth": 5})", ""),
       "'rules[0].nth' must be an integer in 1..4"},
      {"every_years without from_year", calendar_json(R"({"name": "X", "month": 10, "day": 1, "every_years": 6})", ""),
       "'rules[0].every_years' needs 'from_year'"},
      {"every_years 0",
       calendar_json(R"({"name": "X", "month": 10, "day": 1, "from_year": 2024, "every_years": 0})", ""),
       "'rules[0].every_years' must be an integer in 1..100"},
      {"until before from",
       calendar_json(R"({"name": "X", "month": 10, "day": 1, "from_year": 2024, "until_year": 2023})", ""),
       "'rules[0].until_year' must not be before 'from_year'"},
      {"year 0", calendar_json(R"({"name": "X", "month": 10, "day": 1, "from_year": 0})", ""),
       "'rules[0].from_year' must be an integer in 1..9999"},
      {"duplicate rule name", calendar_json(fixed + R"(, {"name": "Navidad", "month": 1, "day": 1})", ""),
       "rules[1]: duplicate rule name 'Navidad'"},
      {"duplicate rule", calendar_json(fixed + R"(, {"name": "Christmas", "month": 12, "day": 25})", ""),
       "rules[1]: 'Christmas' repeats the rule 'Navidad'"},
      {"dates not a list", R"({"time_zone": "America/Cancun", "rules": [], "dates": "2026-12-24"})",
       "'dates' must be a list"},
      {"date entry not an object", calendar_json("", R"("2026-12-24")"), "dates[0] must be an object"},
      {"impossible date", calendar_json("", R"({"date": "2026-02-30", "name": "X"})"),
       "'dates[0].date': invalid date '2026-02-30'"},
      {"short year", calendar_json("", R"({"date": "26-12-24", "name": "X"})"), "invalid date '26-12-24'"},
      {"date with time", calendar_json("", R"({"date": "2026-12-24T00:00:00", "name": "X"})"), "invalid date"},
      {"date as number", calendar_json("", R"({"date": 20261224, "name": "X"})"),
       "'dates[0].date' must be a non-empty string"},
      {"date without name", calendar_json("", R"({"date": "2026-12-24"})"), "'dates[0].name' is required"},
      {"unknown date key", calendar_json("", R"({"date": "2026-12-24", "name": "X", "note": "y"})"),
       "unknown key 'dates[0].note'"},
      {"duplicate date key", calendar_json("", R"({"date": "2026-12-24", "date": "2026-12-31", "name": "X"})"),
       "duplicate key 'date'"},
      {"duplicate date",
       calendar_json("", R"({"date": "2026-12-24", "name": "X"}, {"date": "2026-12-24", "name": "Y"})"),
       "dates[1]: duplicate date 2026-12-24"},
      {"date already a rule holiday", calendar_json(fixed, R"({"date": "2026-12-25", "name": "X"})"),
       "dates[0]: 2026-12-25 is already a holiday by the rule 'Navidad'"},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.what);
    auto cal = BusinessCalendar::parse(row.text, "test.json");
    ASSERT_FALSE(cal);
    EXPECT_EQ(cal.status().code(), Code::kInvalidArgument);
    EXPECT_NE(cal.status().message().find(row.message), std::string::npos) << cal.status().message();
    EXPECT_EQ(cal.status().message().rfind("test.json: ", 0), 0u) << cal.status().message();
  }
}

TEST(BusinessCalendarLoadTest, NamesTheFileInMessages) {
  testing::TempDir dir;
  const std::string path = dir.file("calendar.json");
  auto missing = BusinessCalendar::load(path);
  EXPECT_FALSE(missing);
  std::FILE* f = std::fopen(path.c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fputs(R"({"time_zone": "America/Cancun", "rules": [], "dates": [], "extra": 1})", f);
  std::fclose(f);
  auto bad = BusinessCalendar::load(path);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.status().message(), path + ": unknown key 'extra'");
}

TEST(BusinessCalendarLoadTest, LoadsTheProjectCalendar) {
  auto cal = BusinessCalendar::load(project_calendar_path());
  ASSERT_TRUE(cal) << cal.status().to_string();
  EXPECT_EQ(cal->holidays(year{2027}).size(), 7u);
  EXPECT_EQ(cal->holidays(year{2036}).size(), 8u);
}

}  // namespace
}  // namespace xacbe::calendar
