#pragma once
// Byte encodings and digests used across the modules. Binary data travels as std::string.

#include <string>
#include <string_view>

#include "xacbe/result.hpp"

namespace xacbe::crypto {

std::string to_hex(std::string_view bytes);       // lower case
Result<std::string> from_hex(std::string_view hex);
std::string base64_encode(std::string_view bytes);  // standard alphabet, padded, no newlines
Result<std::string> base64_decode(std::string_view text);  // strict: bad characters are errors

// RFC 3986 section 2.1 percent-decoding, for a path segment or a query component: "%" and two
// hex digits (either case) is that byte; every other byte stands for itself, '+' too (this is not
// HTML form decoding). A "%" not followed by two hex digits is kInvalidArgument. The result may
// hold any byte, NUL and '/' included: callers check what they accept.
Result<std::string> percent_decode(std::string_view text);

// Digest by OpenSSL name ("SHA256", "SHA1", ...); raw bytes. An unknown name is
// kInvalidArgument, a digest OpenSSL fails to compute kInternal.
Result<std::string> digest(std::string_view algorithm, std::string_view data);
// SHA-256, 32 raw bytes. OpenSSL failing to compute it means a broken installation, not bad
// input: it throws std::runtime_error (like random_bytes), never returns a short digest.
std::string sha256(std::string_view data);

// Cryptographically random bytes.
std::string random_bytes(std::size_t n);

}  // namespace xacbe::crypto
