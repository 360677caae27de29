// libFuzzer target for crypto::percent_decode (RFC 3986 section 2.1), the one decoder of the OCSP
// responder's GET path and the registry's request paths and queries: it accepts exactly the
// inputs where every '%' starts a "%XX" triplet, each triplet is one byte and every other byte
// stands for itself; and whatever bytes it yields, encoding all of them decodes back to them.

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "xacbe/crypto/encoding.hpp"

namespace {

bool is_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// Whether every '%' of `s` is followed by two hex digits, by a plain scan.
bool well_formed(std::string_view s) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') continue;
    if (i + 2 >= s.size() || !is_hex(s[i + 1]) || !is_hex(s[i + 2])) return false;
    i += 2;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace xacbe;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto decoded = crypto::percent_decode(input);
  if (decoded.is_ok() != well_formed(input)) abort();
  if (!decoded) {
    if (decoded.status().code() != Code::kInvalidArgument) abort();
    return 0;
  }
  const auto percents = static_cast<std::size_t>(std::count(input.begin(), input.end(), '%'));
  if (decoded->size() != input.size() - 2 * percents) abort();
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string encoded;
  for (unsigned char c : *decoded) {
    encoded += '%';
    encoded += kHex[c >> 4];
    encoded += kHex[c & 0xf];
  }
  auto again = crypto::percent_decode(encoded);
  if (!again || *again != *decoded) abort();
  return 0;
}
