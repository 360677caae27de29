#pragma once
// Conversions between ASN.1 values and the types the rest of Xacbe uses.

#include <chrono>
#include <limits>
#include <string>
#include <string_view>

#include "xacbe/clock.hpp"
#include "xacbe/crypto/openssl_ptr.hpp"
#include "xacbe/result.hpp"

namespace xacbe::crypto {

// Whole seconds, up to 9999-12-31T23:59:59Z (see clock.hpp: never a nanosecond TimePoint).
Result<std::chrono::sys_seconds> from_asn1_time(const ASN1_TIME* time);
// UTCTime before 2050, GeneralizedTime after (RFC 5280 section 4.1.2.5); null past year 9999.
ASN1_TIMEPtr to_asn1_time(std::chrono::sys_seconds time);
// A clock reading, floored to whole seconds.
ASN1_TIMEPtr to_asn1_time(TimePoint time);

// The bytes of an ASN.1 string (OCTET STRING, BIT STRING, ...); empty for null.
std::string_view asn1_octets(const ASN1_STRING* s);

// DER of any OpenSSL object through its i2d function; empty on failure.
template <typename T>
std::string to_der(int (*i2d)(const T*, unsigned char**), const T* value) {
  const int n = i2d(value, nullptr);
  if (n <= 0) return {};
  std::string out(static_cast<std::size_t>(n), '\0');
  auto* p = reinterpret_cast<unsigned char*>(out.data());
  if (i2d(value, &p) != n) return {};
  return out;
}

// Exactly one DER value parsed with its d2i function into its owning pointer type; garbage and
// bytes after the value are kInvalidArgument naming `what` ("OCSPResponse", ...).
template <typename Ptr, typename T>
Result<Ptr> from_der(T* (*d2i)(T**, const unsigned char**, long), std::string_view der, const std::string& what) {
  if (der.empty()) return invalid_argument("empty " + what);
  if (der.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) return invalid_argument(what + " too large");
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  const unsigned char* const end = p + der.size();
  Ptr value(d2i(nullptr, &p, static_cast<long>(der.size())));
  if (!value) return invalid_argument(openssl_error("not a DER " + what));
  if (p != end) return invalid_argument("bytes after the end of the " + what);
  return value;
}

// Upper-case hex without leading zeros ("0" for zero); negative serials get a leading '-'.
std::string serial_to_hex(const ASN1_INTEGER* serial);
Result<ASN1_INTEGERPtr> serial_from_hex(const std::string& hex);

}  // namespace xacbe::crypto
