#include "xacbe/utf8.hpp"

#include <algorithm>

namespace xacbe {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// Length of the well-formed UTF-8 sequence at text[i] (RFC 3629 section 4: no overlong forms, no
// surrogates, nothing past U+10FFFF), or 0.
std::size_t sequence_length(std::string_view text, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char b0 = byte(i);
  if (b0 >= 0x01 && b0 <= 0x7F) return 1;
  std::size_t n = 0;
  unsigned char lo = 0x80, hi = 0xBF;  // range of the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    n = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    n = 3;
    if (b0 == 0xE0) lo = 0xA0;
    if (b0 == 0xED) hi = 0x9F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    n = 4;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;
  } else {
    return 0;  // NUL, a continuation byte, or a byte that never starts a sequence
  }
  if (i + n > text.size()) return 0;
  if (byte(i + 1) < lo || byte(i + 1) > hi) return 0;
  for (std::size_t k = 2; k < n; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
  }
  return n;
}

// Whether a control character starts at text[i]: C0, DEL, or C1 (C2 80..C2 9F).
bool is_control_at(std::string_view text, std::size_t i) {
  const auto c = static_cast<unsigned char>(text[i]);
  if (c < 0x20 || c == 0x7F) return true;
  return c == 0xC2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) <= 0x9F;
}

}  // namespace

bool is_utf8(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t n = text[i] == '\0' ? 1 : sequence_length(text, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

std::string valid_utf8(std::string_view text) {
  return bounded_utf8(text, std::string::npos);
}

std::string bounded_utf8(std::string_view text, std::size_t max) {
  std::string out;
  out.reserve(std::min(text.size(), max));
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t n = sequence_length(text, i);
    const std::string_view piece = n == 0 ? kReplacement : text.substr(i, n);
    if (out.size() + piece.size() > max) break;
    out.append(piece);
    i += n == 0 ? 1 : n;
  }
  return out;
}

std::string excerpt(std::string_view text, std::size_t max) {
  // A piece is at most 4 bytes, so bounded_utf8 stops short of max + 4 only after the whole text.
  std::string out = bounded_utf8(text, max + 4);
  if (out.size() <= max) return out;
  out = bounded_utf8(out, max);
  out.append("...");
  return out;
}

bool has_control_characters(std::string_view text) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (is_control_at(text, i)) return true;
  }
  return false;
}

Status check_text(std::string_view text, std::string_view field, std::size_t max, bool multiline) {
  std::string name(field);
  if (text.empty()) return invalid_argument(name + " is required");
  if (text.size() > max) return invalid_argument(name + " is longer than " + std::to_string(max) + " bytes");
  if (!is_utf8(text)) return invalid_argument(name + " is not UTF-8");
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (multiline && (text[i] == '\n' || text[i] == '\r' || text[i] == '\t')) continue;
    if (is_control_at(text, i)) return invalid_argument(name + " has control characters");
  }
  return Status::ok();
}

}  // namespace xacbe
