#include "xacbe/id/host_name.hpp"

#include <arpa/inet.h>

#include <algorithm>

namespace xacbe::id {
namespace {

bool is_label_character(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
}

}  // namespace

bool is_host_name(std::string_view name) {
  if (name.empty() || name.size() > 253) return false;
  std::size_t start = 0;
  while (start <= name.size()) {
    const std::size_t end = std::min(name.find('.', start), name.size());
    const std::string_view label = name.substr(start, end - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return false;
    for (char c : label) {
      if (!is_label_character(c)) return false;
    }
    start = end + 1;
  }
  return true;
}

std::optional<std::string> parse_ip_address(std::string_view text) {
  // inet_pton reads a C string: an embedded NUL would cut the text short.
  if (text.empty() || text.size() > 45 || text.find('\0') != std::string_view::npos) return std::nullopt;
  const std::string literal(text);
  unsigned char buffer[16];
  if (literal.find(':') == std::string::npos) {
    // glibc's inet_pton refuses leading zeros, so "010.0.0.1" cannot be read as octal elsewhere.
    if (inet_pton(AF_INET, literal.c_str(), buffer) != 1) return std::nullopt;
    return std::string(reinterpret_cast<const char*>(buffer), 4);
  }
  if (inet_pton(AF_INET6, literal.c_str(), buffer) != 1) return std::nullopt;
  return std::string(reinterpret_cast<const char*>(buffer), 16);
}

}  // namespace xacbe::id
