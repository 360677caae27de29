#pragma once
// Every rule that depends on time reads an injected Clock, never the system clock directly,
// so tests set the time instead of sleeping.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

namespace xacbe {

using TimePoint = std::chrono::system_clock::time_point;

// Certificate times (notBefore, notAfter, a revocationTime) are std::chrono::sys_seconds: RFC 5280
// allows them up to 9999-12-31T23:59:59Z (GeneralizedTime 99991231235959Z), and a nanosecond
// TimePoint ends in 2262-04-11. Never convert such a time to a TimePoint (sys_seconds converts
// implicitly, and overflows silently); compare a clock reading with it through is_before() and
// is_after(), which floor the reading to seconds instead.

// "2026-11-23T15:00:00Z": UTC, seconds truncated (RFC 3339 / ISO 8601).
std::string to_iso8601_utc(TimePoint t);
std::string to_iso8601_utc(std::chrono::sys_seconds t);  // up to year 9999

// Seconds since the Unix epoch, as the stores keep times (truncated towards zero), and back.
inline std::int64_t to_unix_seconds(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}
// For times kept in whole seconds: no detour through nanoseconds, which overflow past year 2262.
inline std::int64_t to_unix_seconds(std::chrono::sys_seconds t) { return t.time_since_epoch().count(); }
inline TimePoint from_unix_seconds(std::int64_t s) { return TimePoint(std::chrono::seconds(s)); }
// A clock reading in whole seconds (rounded down), to compare with times kept as sys_seconds.
inline std::chrono::sys_seconds to_sys_seconds(TimePoint t) { return std::chrono::floor<std::chrono::seconds>(t); }

// For a stored certificate time, which may lie past 2262.
inline std::chrono::sys_seconds sys_seconds_from_unix(std::int64_t s) {
  return std::chrono::sys_seconds(std::chrono::seconds(s));
}

// Whether clock reading `t` is strictly before / after the whole second `s`, exactly (a reading
// a microsecond past `s` is after it), computed on `t` floored to seconds so that `s` is never
// converted to nanoseconds.
inline bool is_before(TimePoint t, std::chrono::sys_seconds s) {
  return std::chrono::floor<std::chrono::seconds>(t) < s;
}
inline bool is_after(TimePoint t, std::chrono::sys_seconds s) {
  const std::chrono::sys_seconds whole = std::chrono::floor<std::chrono::seconds>(t);
  return whole > s || (whole == s && t != whole);
}

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint now() const = 0;
  // False when the time source cannot be trusted (e.g. the kernel reports the clock as not
  // synchronised); a TSA answers timeNotAvailable then (RFC 3161 section 2.4.2).
  virtual bool trusted() const { return true; }
};

class SystemClock final : public Clock {
 public:
  TimePoint now() const override { return std::chrono::system_clock::now(); }
};

// A system clock that also asks the kernel (adjtimex) whether it is synchronised by NTP/PTP.
class SynchronisedSystemClock final : public Clock {
 public:
  TimePoint now() const override { return std::chrono::system_clock::now(); }
  bool trusted() const override;
};

// A clock the caller sets; thread-safe. For tests and tools that replay a given time.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(TimePoint start) : ns_(start.time_since_epoch().count()) {}
  TimePoint now() const override { return TimePoint(TimePoint::duration(ns_.load())); }
  bool trusted() const override { return trusted_.load(); }
  void set(TimePoint t) { ns_.store(t.time_since_epoch().count()); }
  void advance(std::chrono::nanoseconds d) {
    ns_.fetch_add(std::chrono::duration_cast<TimePoint::duration>(d).count());
  }
  void set_trusted(bool trusted) { trusted_.store(trusted); }

 private:
  std::atomic<TimePoint::rep> ns_;
  std::atomic<bool> trusted_{true};
};

}  // namespace xacbe
