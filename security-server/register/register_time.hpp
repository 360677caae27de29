#pragma once
// The register keeps record and batch times in Unix milliseconds (certificate-derived times, such
// as deadlines, in seconds).

#include <chrono>
#include <cstdint>

#include "xacbe/clock.hpp"

namespace xacbe::ss {

inline std::int64_t to_unix_millis(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}
inline TimePoint from_unix_millis(std::int64_t ms) {
  return TimePoint(std::chrono::duration_cast<TimePoint::duration>(std::chrono::milliseconds(ms)));
}

}  // namespace xacbe::ss
