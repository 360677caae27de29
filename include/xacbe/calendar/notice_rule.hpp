#pragma once
// The minimum notice the protocol sets for CEIQROO notifications (docs/protocol/business-calendar.md,
// "Notice periods"); a notification that gives less notice is refused.
//
//   kind                   covers                                              minimum notice
//   planned-change         a planned change or planned maintenance             15 business days
//   extraordinary-change   an extraordinary change or unplanned maintenance     5 business days
//   protocol-change        a change of the protocol that forces changes in      1 calendar month
//                          the members' systems
//   termination            termination of a membership by the CEIQROO           5 calendar days
//
// How notice is counted. S is the civil date in America/Cancun (UTC-5, see business_calendar.hpp)
// of the instant the notification is sent; the time of day does not matter, and S itself never
// counts, however early the notification leaves. E is the effective date (a civil date, the day the
// change takes effect). The days counted are the full days strictly after S up to and including E:
//   - N business days:  at least N business days d with S < d <= E; the earliest E is the N-th
//                       business day after S (add_business_days(S, N)). E itself need not be a
//                       business day once N of them have passed (e.g. weekend maintenance).
//   - N calendar days:  E >= S + N days (S + 1 .. S + N are the N days).
//   - one month:        E >= the same day number in the month after S; when that month has no
//                       such day (sent 31 January, or 29-31 January towards a short February),
//                       the earliest E is the first day of the month after it (1 March), so the
//                       notice is never shorter than one month on any reading.
// Example: sent Monday 2026-01-05 at 23:59 local time (2026-01-06 04:59 UTC), planned change:
// S = 2026-01-05, earliest E = 2026-01-26 (15 business days: 6-9, 12-16, 19-23, 26 January).

#include <string>
#include <string_view>

#include "xacbe/calendar/business_calendar.hpp"
#include "xacbe/clock.hpp"
#include "xacbe/result.hpp"

namespace xacbe::calendar {

enum class NoticeKind {
  kPlannedChange,        // "planned-change"
  kExtraordinaryChange,  // "extraordinary-change"
  kProtocolChange,       // "protocol-change"
  kTermination,          // "termination"
};

enum class NoticeUnit { kBusinessDays, kCalendarDays, kCalendarMonths };

// The minimum notice of one kind, from the table above.
struct NoticeRule {
  NoticeKind kind;
  NoticeUnit unit;
  int amount;

  // "15 business days", "1 calendar month", ...
  std::string to_string() const;
};

NoticeRule notice_rule(NoticeKind kind);

// The names in the table above; parse_notice_kind refuses anything else (exact, case-sensitive)
// with kInvalidArgument.
std::string_view notice_kind_name(NoticeKind kind);
Result<NoticeKind> parse_notice_kind(std::string_view name);

// The earliest effective date a notification of `kind` sent at `sent_at` may announce.
Date earliest_effective_date(NoticeKind kind, TimePoint sent_at, const BusinessCalendar& calendar);

// OK when `effective` is on or after earliest_effective_date(); otherwise kFailedPrecondition
// with a message naming the rule, the sending date and the earliest allowed effective date
// (YYYY-MM-DD). An invalid `effective` date is kInvalidArgument.
Status check_notice(NoticeKind kind, TimePoint sent_at, Date effective, const BusinessCalendar& calendar);

}  // namespace xacbe::calendar
