#include "xacbe/id/host_name.hpp"

#include <arpa/inet.h>

#include <algorithm>

namespace xacbe::id {
namespace {

bool is_label_character(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
}

bool is_port(std::string_view port) {
  if (port.empty() || port.size() > 5 || port.front() == '0') return false;
  unsigned value = 0;
  for (char c : port) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  return value <= 65535;
}

}  // namespace

bool is_host_and_port(std::string_view text) {
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find("]:");
    if (close == std::string_view::npos) return false;
    const auto literal = parse_ip_address(text.substr(1, close - 1));
    return literal && literal->size() == 16 && is_port(text.substr(close + 2));
  }
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos) return false;
  const std::string_view host = text.substr(0, colon);
  // A host of digits and dots is an IPv4 address or nothing: "1.2.3" is not a host name here.
  const bool numeric = std::all_of(host.begin(), host.end(), [](char c) { return (c >= '0' && c <= '9') || c == '.'; });
  if (numeric) {
    const auto literal = parse_ip_address(host);
    if (!literal || literal->size() != 4) return false;
  } else if (!is_host_name(host)) {
    return false;
  }
  return is_port(text.substr(colon + 1));
}

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
