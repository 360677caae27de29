#include "xacbe/crypto/encoding.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <array>
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

namespace {

// The sextet of each byte of the base64 alphabet (RFC 4648 table 1); -1 for every other byte.
constexpr std::array<std::int8_t, 256> kSextets = [] {
  std::array<std::int8_t, 256> t{};
  t.fill(-1);
  constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (int i = 0; i < 64; ++i) t[static_cast<unsigned char>(kAlphabet[i])] = static_cast<std::int8_t>(i);
  return t;
}();

}  // namespace

Result<std::string> base64_decode(std::string_view text) {
  // RFC 4648 section 4, strictly: whole quanta, padding only at the very end, no characters outside
  // the alphabet (no whitespace), and zero pad bits (section 3.5), so every byte string has exactly
  // one accepted encoding. EVP_DecodeBlock is not used: it decodes '=' anywhere as a zero sextet.
  // E-stamps and heads cross every exchange in base64, so the full quanta go through a table.
  if (text.size() % 4 != 0) return invalid_argument("base64 length is not a multiple of 4");
  std::size_t padding = 0;
  if (!text.empty() && text.back() == '=') ++padding;
  if (text.size() >= 2 && text[text.size() - 2] == '=') ++padding;
  const auto refuse = [](char c) {
    return invalid_argument(c == '=' ? "misplaced base64 padding" : "invalid base64 character");
  };
  std::string out(text.size() / 4 * 3 - padding, '\0');
  const std::size_t full = padding == 0 ? text.size() : text.size() - 4;  // quanta without padding
  std::size_t o = 0;
  for (std::size_t i = 0; i < full; i += 4) {
    const int a = kSextets[static_cast<unsigned char>(text[i])], b = kSextets[static_cast<unsigned char>(text[i + 1])];
    const int c = kSextets[static_cast<unsigned char>(text[i + 2])], d = kSextets[static_cast<unsigned char>(text[i + 3])];
    if ((a | b | c | d) < 0) {
      for (std::size_t j = i; j < i + 4; ++j) {
        if (kSextets[static_cast<unsigned char>(text[j])] < 0) return refuse(text[j]);
      }
    }
    const std::uint32_t quantum = static_cast<std::uint32_t>(a << 18 | b << 12 | c << 6 | d);
    out[o++] = static_cast<char>(quantum >> 16);
    out[o++] = static_cast<char>(quantum >> 8 & 0xff);
    out[o++] = static_cast<char>(quantum & 0xff);
  }
  if (padding == 0) return out;
  // The last quantum: 2 or 3 data characters, then the padding.
  const std::size_t i = full, data_chars = 4 - padding;
  std::uint32_t quantum = 0;
  for (std::size_t j = 0; j < 4; ++j) {
    const int v = j < data_chars ? kSextets[static_cast<unsigned char>(text[i + j])] : 0;
    if (v < 0) return refuse(text[i + j]);
    quantum = quantum << 6 | static_cast<std::uint32_t>(v);
  }
  const std::size_t bytes = data_chars - 1;  // 3 -> 2, 2 -> 1
  if ((quantum & ((1u << (8 * (3 - bytes))) - 1)) != 0) {
    return invalid_argument("non-canonical base64 (pad bits are not zero)");
  }
  for (std::size_t k = 0; k < bytes; ++k) out[o++] = static_cast<char>((quantum >> (16 - 8 * k)) & 0xff);
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
  // Fetched once: EVP_sha256() makes every EVP_Digest look the algorithm up in the provider
  // store again, and digests run many times per exchange.
  static EVP_MD* const kSha256 = EVP_MD_fetch(nullptr, "SHA2-256", nullptr);
  if (kSha256 == nullptr || EVP_Digest(data.data(), data.size(), out, &len, kSha256, nullptr) != 1 || len != 32) {
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
