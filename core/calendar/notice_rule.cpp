#include "xacbe/calendar/notice_rule.hpp"

#include <array>

namespace xacbe::calendar {

using namespace std::chrono;

namespace {

struct KindEntry {
  NoticeKind kind;
  std::string_view name;
  NoticeUnit unit;
  int amount;
};

// The protocol's table of minimum notice (ARCHITECTURE.md, "Central registry", Notifications).
constexpr std::array<KindEntry, 4> kKinds = {{
    {NoticeKind::kPlannedChange, "planned-change", NoticeUnit::kBusinessDays, 15},
    {NoticeKind::kExtraordinaryChange, "extraordinary-change", NoticeUnit::kBusinessDays, 5},
    {NoticeKind::kProtocolChange, "protocol-change", NoticeUnit::kCalendarMonths, 1},
    {NoticeKind::kTermination, "termination", NoticeUnit::kCalendarDays, 5},
}};

const KindEntry& entry(NoticeKind kind) {
  for (const KindEntry& e : kKinds) {
    if (e.kind == kind) return e;
  }
  return kKinds.front();  // unreachable for a valid enumerator
}

// The same day number `n` months later; when that month is too short, the first day of the month
// after it (31 January + 1 month = 1 March), never the last day of the short month.
Date add_months_no_earlier(Date date, int n) {
  const year_month target = year_month{date.year(), date.month()} + months{n};
  const Date same_day = target / date.day();
  if (same_day.ok()) return same_day;
  return (target + months{1}) / day{1};
}

}  // namespace

std::string NoticeRule::to_string() const {
  const bool one = amount == 1;
  switch (unit) {
    case NoticeUnit::kBusinessDays:
      return std::to_string(amount) + (one ? " business day" : " business days");
    case NoticeUnit::kCalendarDays:
      return std::to_string(amount) + (one ? " calendar day" : " calendar days");
    case NoticeUnit::kCalendarMonths:
      return std::to_string(amount) + (one ? " calendar month" : " calendar months");
  }
  return std::to_string(amount);
}

NoticeRule notice_rule(NoticeKind kind) {
  const KindEntry& e = entry(kind);
  return {e.kind, e.unit, e.amount};
}

std::string_view notice_kind_name(NoticeKind kind) {
  return entry(kind).name;
}

Result<NoticeKind> parse_notice_kind(std::string_view name) {
  for (const KindEntry& e : kKinds) {
    if (e.name == name) return e.kind;
  }
  return invalid_argument("unknown notification kind '" + std::string(name) +
                          "': expected planned-change, extraordinary-change, protocol-change or termination");
}

Date earliest_effective_date(NoticeKind kind, TimePoint sent_at, const BusinessCalendar& calendar) {
  const NoticeRule rule = notice_rule(kind);
  const Date sent = local_date(sent_at);
  switch (rule.unit) {
    case NoticeUnit::kBusinessDays:
      return calendar.add_business_days(sent, rule.amount);
    case NoticeUnit::kCalendarDays:
      return Date{sys_days{sent} + days{rule.amount}};
    case NoticeUnit::kCalendarMonths:
      return add_months_no_earlier(sent, rule.amount);
  }
  return sent;
}

Status check_notice(NoticeKind kind, TimePoint sent_at, Date effective, const BusinessCalendar& calendar) {
  if (!effective.ok()) return invalid_argument("the effective date is not a valid date");
  const Date earliest = earliest_effective_date(kind, sent_at, calendar);
  if (sys_days{effective} >= sys_days{earliest}) return Status::ok();
  return failed_precondition(
      std::string(notice_kind_name(kind)) + " notice must be given at least " + notice_rule(kind).to_string() +
      " before the effective date: sent " + format_date(local_date(sent_at)) + " (" + std::string(kTimeZone) +
      "), effective " + format_date(effective) + "; the earliest allowed effective date is " + format_date(earliest));
}

}  // namespace xacbe::calendar
