// libFuzzer target for crypto::base64_decode and base64_encode (RFC 4648 section 4, strict): every
// byte string has exactly one accepted encoding, so whatever the decoder accepts, the encoder
// writes back byte for byte; and every byte string survives encoding and decoding.

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "xacbe/crypto/encoding.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace xacbe;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto decoded = crypto::base64_decode(input);
  if (decoded) {
    if (crypto::base64_encode(*decoded) != input) abort();
  } else if (decoded.status().code() != Code::kInvalidArgument) {
    abort();
  }
  auto round_trip = crypto::base64_decode(crypto::base64_encode(input));
  if (!round_trip || *round_trip != input) abort();
  return 0;
}
