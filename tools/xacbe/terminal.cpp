#include "terminal.hpp"

#include <algorithm>

#include "xacbe/utf8.hpp"

namespace xacbe::tools {
namespace {

// Length of the UTF-8 sequence a lead byte announces; 1 for a byte that starts none.
std::size_t announced_length(unsigned char lead) {
  return lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
}

void escape(std::string& out, std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (const char c : bytes) {
    const auto byte = static_cast<unsigned char>(c);
    out += "\\x";
    out += kHex[byte >> 4];
    out += kHex[byte & 0xf];
  }
}

}  // namespace

std::string printable(std::string_view text, std::size_t max) {
  std::string out;
  std::size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    const std::string_view character = text.substr(i, std::min(announced_length(lead), text.size() - i));
    // A byte that is not part of well-formed UTF-8 (RFC 3629) is shown, never passed on for the
    // terminal to guess at.
    const std::string_view piece = is_utf8(character) ? character : character.substr(0, 1);
    if (i + piece.size() > max) break;  // whole characters only
    // C0 controls, DEL and the C1 controls U+0080..U+009F (a terminal may obey C1 CSI).
    const bool control = lead < 0x20 || lead == 0x7F ||
                         (piece.size() == 2 && lead == 0xC2 && static_cast<unsigned char>(piece[1]) < 0xA0);
    if (piece.size() != character.size() || control) {
      escape(out, piece);
    } else {
      out.append(piece);
    }
    i += piece.size();
  }
  if (i < text.size()) out += "...";
  return out;
}

}  // namespace xacbe::tools
