#pragma once
// The business-day calendar of the CEIQROO (docs/protocol/business-calendar.md): which civil dates
// are business days, for the notice periods of notifications and the other rules counted in
// business days.
//
// Dates are civil dates in the America/Cancun time zone. Quintana Roo has kept UTC-5 all year,
// without daylight saving time, since 2015-02-01, so an instant becomes a local date with the fixed
// offset kUtcOffset and no time-zone database (instants before 2015-02-01 are not converted by the
// rules in force then; nothing here needs them).
//
// A date is a business day unless it is a Saturday, a Sunday or a holiday. Holidays come from a
// strict JSON file: annual rules (a fixed month and day, or the n-th weekday of a month, optionally
// limited to a range of years and to every k-th year) and single dates the CEIQROO adds. The
// project's file, conf/business-calendar.json, holds the mandatory rest days of the Ley Federal del
// Trabajo, art. 74.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "xacbe/clock.hpp"
#include "xacbe/result.hpp"

namespace xacbe::calendar {

// A civil date. Functions taking a Date expect date.ok().
using Date = std::chrono::year_month_day;

inline constexpr std::string_view kTimeZone = "America/Cancun";
inline constexpr std::chrono::minutes kUtcOffset{-5 * 60};  // local = UTC - 5 h, all year

// The civil date in America/Cancun at instant `t` (UTC shifted by kUtcOffset, then truncated).
Date local_date(TimePoint t);

// ISO 8601 calendar date "YYYY-MM-DD" exactly: four-digit year 0001..9999, two-digit month and day,
// a date that exists (no 2026-02-29). Anything else is kInvalidArgument.
Result<Date> parse_date(std::string_view text);
// "YYYY-MM-DD".
std::string format_date(Date date);

struct Holiday {
  Date date;
  std::string name;
  friend bool operator==(const Holiday&, const Holiday&) = default;
};

// One annual holiday rule: a fixed month and day, or the nth (1..4) weekday of a month; applies in
// the years from_year..until_year (both included, either end open), and only every every_years-th
// year counted from from_year. BusinessCalendar::parse builds and validates them.
struct HolidayRule {
  std::string name;
  std::chrono::month month;
  std::optional<std::chrono::day> day_of_month;             // set for a fixed date
  std::optional<std::chrono::weekday_indexed> nth_weekday;  // set for "the nth weekday"
  std::optional<std::chrono::year> from_year;
  std::optional<std::chrono::year> until_year;
  int every_years = 1;  // other than 1 only with from_year

  bool applies_in(std::chrono::year year) const;
  bool matches(Date date) const;
  std::optional<Date> in_year(std::chrono::year year) const;
  // Same dates in every year, whatever the names.
  bool same_definition(const HolidayRule& other) const;
};

class BusinessCalendar {
 public:
  // Reads and validates a calendar file; every refusal is kInvalidArgument naming the file and the
  // offending element (invalid JSON, a duplicate or unknown key, a wrong type or range, a bad date,
  // a duplicate rule or date, a single date that a rule already makes a holiday).
  static Result<BusinessCalendar> load(const std::string& path);
  // As load(), from text; `origin` names the source in messages.
  static Result<BusinessCalendar> parse(const std::string& json_text, const std::string& origin = "business calendar");

  // Not a Saturday, not a Sunday, not a holiday.
  bool is_business_day(Date date) const;
  // The name of the rule or single date that makes `date` a holiday (weekends are not holidays).
  std::optional<std::string> holiday_name(Date date) const;
  // Every holiday of `year`, in date order (a date named twice is listed twice).
  std::vector<Holiday> holidays(std::chrono::year year) const;

  // The first business day strictly after `date`.
  Date next_business_day(Date date) const;
  // n > 0: the n-th business day strictly after `date`; n < 0: the |n|-th business day strictly
  // before it; n == 0: `date` itself, business day or not. Linear in the distance.
  Date add_business_days(Date date, int n) const;
  // The number of business days d with from < d <= to (so add_business_days(from, k) is the first
  // date `to` for which this reaches k); when to < from, minus the number with to < d <= from.
  int business_days_between(Date from, Date to) const;

 private:
  BusinessCalendar() = default;
  bool is_business_day(std::chrono::sys_days day) const;
  const std::string* find_holiday(Date date) const;  // nullptr when `date` is no holiday

  std::vector<HolidayRule> rules_;
  std::vector<Holiday> dates_;  // single dates, sorted by date, no two alike
};

}  // namespace xacbe::calendar
