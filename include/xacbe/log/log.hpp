#pragma once
// Structured logging on spdlog: one line per event, plain text for people or JSON lines for log
// collectors ({"time","level","component","msg"}). Messages never contain keys or secrets.

#include <fmt/format.h>

#include <string>
#include <string_view>
#include <utility>

namespace xacbe::log {

enum class Level { kDebug, kInfo, kWarn, kError };

struct LogOptions {
  std::string component = "xacbe";  // e.g. "tsa", "ocsp"
  Level level = Level::kInfo;
  bool json = false;
  std::string file;  // empty: standard error
};

// Idempotent; before init() messages go to standard error as text.
void init(const LogOptions& options);
void write(Level level, std::string_view message);
bool enabled(Level level);
// Parses "debug", "info", "warn", "error".
bool parse_level(std::string_view name, Level& out);

// Text from outside (a request target, a header) made safe for one log line: printable ASCII kept,
// every other byte as \xNN, cut after `max` bytes with the full length noted.
std::string bounded(std::string_view text, std::size_t max = 200);

template <typename... Args>
void debug(fmt::format_string<Args...> f, Args&&... args) {
  if (enabled(Level::kDebug)) write(Level::kDebug, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void info(fmt::format_string<Args...> f, Args&&... args) {
  if (enabled(Level::kInfo)) write(Level::kInfo, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void warn(fmt::format_string<Args...> f, Args&&... args) {
  if (enabled(Level::kWarn)) write(Level::kWarn, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void error(fmt::format_string<Args...> f, Args&&... args) {
  if (enabled(Level::kError)) write(Level::kError, fmt::format(f, std::forward<Args>(args)...));
}

}  // namespace xacbe::log
