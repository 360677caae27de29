#include "xacbe/crypto/encoding.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cstdint>
#include <stdexcept>

#include "xacbe/crypto/openssl_ptr.hpp"

namespace xacbe::crypto {

std::string to_hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 0xf]);
  }
  return out;
}

Result<std::string> from_hex(std::string_view hex) {
  if (hex.size() % 2 != 0) return invalid_argument("hex string has odd length");
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(hex.size() / 2);
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    const int hi = nibble(hex[i]), lo = nibble(hex[i + 1]);
    if (hi < 0 || lo < 0) return invalid_argument("not a hex string");
    out.push_back(static_cast<char>(hi << 4 | lo));
  }
  return out;
}

std::string base64_encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

Result<std::string> base64_decode(std::string_view text) {
  // RFC 4648 section 4, strictly: whole quanta, padding only at the very end, no characters outside
  // the alphabet (no whitespace), and zero pad bits (section 3.5), so every byte string has exactly
  // one accepted encoding. EVP_DecodeBlock is not used: it decodes '=' anywhere as a zero sextet.
  auto sextet = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  if (text.size() % 4 != 0) return invalid_argument("base64 length is not a multiple of 4");
  std::size_t padding = 0;
  if (!text.empty() && text.back() == '=') ++padding;
  if (text.size() >= 2 && text[text.size() - 2] == '=') ++padding;
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (std::size_t i = 0; i < text.size(); i += 4) {
    const bool last = i + 4 == text.size();
    const std::size_t data_chars = last ? 4 - padding : 4;
    std::uint32_t quantum = 0;
    for (std::size_t j = 0; j < 4; ++j) {
      const int v = j < data_chars ? sextet(text[i + j]) : 0;
      if (v < 0) {
        return invalid_argument(text[i + j] == '=' ? "misplaced base64 padding" : "invalid base64 character");
      }
      quantum = quantum << 6 | static_cast<std::uint32_t>(v);
    }
    const std::size_t bytes = data_chars - 1;  // 4 -> 3, 3 -> 2, 2 -> 1
    if (bytes < 3 && (quantum & ((1u << (8 * (3 - bytes))) - 1)) != 0) {
      return invalid_argument("non-canonical base64 (pad bits are not zero)");
    }
    for (std::size_t k = 0; k < bytes; ++k) out.push_back(static_cast<char>((quantum >> (16 - 8 * k)) & 0xff));
  }
  return out;
}

Result<std::string> percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out.push_back(text[i]);
      continue;
    }
    if (text.size() - i < 3) return invalid_argument("truncated percent-encoding");
    auto byte = from_hex(text.substr(i + 1, 2));
    if (!byte) return invalid_argument("'%' is not followed by two hex digits");
    out += *byte;
    i += 2;
  }
  return out;
}

Result<std::string> digest(std::string_view algorithm, std::string_view data) {
  const EVP_MD* md = EVP_get_digestbyname(std::string(algorithm).c_str());
  if (md == nullptr) return invalid_argument("unknown digest algorithm " + std::string(algorithm));
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out, &len, md, nullptr) != 1 || len == 0) {
    return internal_error(openssl_error(std::string(algorithm) + " digest failed"));
  }
  return std::string(reinterpret_cast<char*>(out), len);
}

std::string sha256(std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out, &len, EVP_sha256(), nullptr) != 1 || len != 32) {
    // No SHA-256 is a broken OpenSSL installation, not an input error; an empty or partial digest
    // must never stand in for one (it would compare equal to another empty fingerprint).
    throw std::runtime_error(openssl_error("SHA-256 digest failed"));
  }
  return std::string(reinterpret_cast<char*>(out), len);
}

std::string random_bytes(std::size_t n) {
  std::string out(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {
    // No entropy is a broken machine, not an input error.
    throw std::runtime_error(openssl_error("RAND_bytes failed"));
  }
  return out;
}

}  // namespace xacbe::crypto
