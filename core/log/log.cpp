#include "xacbe/log/log.hpp"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <memory>
#include <mutex>

#include "xacbe/utf8.hpp"

namespace xacbe::log {
namespace {

std::mutex mu;
std::shared_ptr<spdlog::logger> logger;  // guarded by mu (the pointer; the logger is thread-safe)
std::atomic<bool> json_mode{false};
std::atomic<int> min_level{static_cast<int>(Level::kInfo)};

spdlog::level::level_enum to_spdlog(Level level) {
  switch (level) {
    case Level::kDebug: return spdlog::level::debug;
    case Level::kInfo: return spdlog::level::info;
    case Level::kWarn: return spdlog::level::warn;
    case Level::kError: return spdlog::level::err;
  }
  return spdlog::level::info;
}

// A log line is one line of UTF-8 whatever a message quotes: bytes that are not UTF-8 become
// U+FFFD; in JSON mode the string is escaped (RFC 8259 7), in text mode control characters are
// written as \xNN so that quoted input cannot forge a line.
std::string text_escape(std::string_view in) {
  std::string out;
  for (unsigned char c : valid_utf8(in)) {
    if (c < 0x20 || c == 0x7F) {
      out += fmt::format("\\x{:02x}", c);
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return out;
}

std::string json_escape(std::string_view raw) {
  const std::string in = valid_utf8(raw);
  std::string out;
  out.reserve(in.size() + 8);
  for (unsigned char c : in) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          out += fmt::format("\\u{:04x}", c);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  return out;
}

std::shared_ptr<spdlog::logger> current() {
  std::lock_guard lock(mu);
  if (!logger) logger = spdlog::stderr_color_mt("xacbe");
  return logger;
}

}  // namespace

std::string bounded(std::string_view text, std::size_t max) {
  std::string out;
  const std::size_t shown = std::min(text.size(), max);
  out.reserve(shown + 16);
  for (unsigned char c : text.substr(0, shown)) {
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      out += fmt::format("\\x{:02x}", c);
    }
  }
  if (shown < text.size()) out += fmt::format("...({} bytes)", text.size());
  return out;
}

void init(const LogOptions& options) {
  std::lock_guard lock(mu);
  spdlog::sink_ptr sink;
  if (options.file.empty()) {
    sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  } else {
    sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(options.file);
  }
  logger = std::make_shared<spdlog::logger>(options.component, sink);
  if (options.json) {
    // The component name is the configuration's; it is escaped like a message ('%' for spdlog too).
    std::string component;
    for (char c : json_escape(options.component)) {
      if (c == '%') component.push_back('%');
      component.push_back(c);
    }
    logger = std::make_shared<spdlog::logger>("", sink);
    std::string pattern = R"({"time":"%Y-%m-%dT%H:%M:%S.%fZ","level":"%l","component":")";
    pattern.append(component).append(R"(","msg":"%v"})");
    logger->set_pattern(pattern, spdlog::pattern_time_type::utc);
  } else {
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%fZ %l %n: %v", spdlog::pattern_time_type::utc);
  }
  logger->set_level(to_spdlog(options.level));
  // Every line is written through: operators tail the file, and scripts read the "listening on"
  // line from it; a crash must not swallow the lines that explain it.
  logger->flush_on(spdlog::level::debug);
  json_mode = options.json;
  min_level = static_cast<int>(options.level);
}

bool enabled(Level level) { return static_cast<int>(level) >= min_level.load(); }

void write(Level level, std::string_view message) {
  auto l = current();
  if (json_mode) {
    l->log(to_spdlog(level), "{}", json_escape(message));
  } else {
    l->log(to_spdlog(level), "{}", text_escape(message));
  }
}

bool parse_level(std::string_view name, Level& out) {
  if (name == "debug") out = Level::kDebug;
  else if (name == "info") out = Level::kInfo;
  else if (name == "warn") out = Level::kWarn;
  else if (name == "error") out = Level::kError;
  else return false;
  return true;
}

}  // namespace xacbe::log
