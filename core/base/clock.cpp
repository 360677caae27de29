#include "xacbe/clock.hpp"

#include <ctime>

#include <sys/timex.h>

namespace xacbe {

std::string to_iso8601_utc(TimePoint t) { return to_iso8601_utc(std::chrono::floor<std::chrono::seconds>(t)); }

std::string to_iso8601_utc(std::chrono::sys_seconds t) {
  const auto tt = static_cast<std::time_t>(t.time_since_epoch().count());
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

bool SynchronisedSystemClock::trusted() const {
  // adjtimex(2) with modes=0 only reads; TIME_ERROR or STA_UNSYNC mean the kernel does not
  // consider the clock synchronised.
  struct timex tx {};
  const int state = ::adjtimex(&tx);
  return state != -1 && state != TIME_ERROR && (tx.status & STA_UNSYNC) == 0;
}

}  // namespace xacbe
