#include "xacbe/clock.hpp"

#include <sys/timex.h>

namespace xacbe {

bool SynchronisedSystemClock::trusted() const {
  // adjtimex(2) with modes=0 only reads; TIME_ERROR or STA_UNSYNC mean the kernel does not
  // consider the clock synchronised.
  struct timex tx {};
  const int state = ::adjtimex(&tx);
  return state != -1 && state != TIME_ERROR && (tx.status & STA_UNSYNC) == 0;
}

}  // namespace xacbe
