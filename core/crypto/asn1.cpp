#include "xacbe/crypto/asn1.hpp"

#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>

#include <cctype>
#include <ctime>

namespace xacbe::crypto {

std::string_view asn1_octets(const ASN1_STRING* s) {
  if (s == nullptr) return {};
  return {reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)), static_cast<std::size_t>(ASN1_STRING_length(s))};
}

Result<std::chrono::sys_seconds> from_asn1_time(const ASN1_TIME* time) {
  using namespace std::chrono;
  struct tm tm {};
  if (time == nullptr || ASN1_TIME_to_tm(time, &tm) != 1) return invalid_argument("invalid ASN.1 time");
  const year_month_day date{year(tm.tm_year + 1900), month(static_cast<unsigned>(tm.tm_mon + 1)),
                            day(static_cast<unsigned>(tm.tm_mday))};
  if (!date.ok()) return invalid_argument("invalid ASN.1 time");
  return sys_days(date) + hours(tm.tm_hour) + minutes(tm.tm_min) + seconds(tm.tm_sec);
}

ASN1_TIMEPtr to_asn1_time(std::chrono::sys_seconds time) {
  return ASN1_TIMEPtr(ASN1_TIME_set(nullptr, static_cast<std::time_t>(time.time_since_epoch().count())));
}

ASN1_TIMEPtr to_asn1_time(TimePoint time) { return to_asn1_time(std::chrono::floor<std::chrono::seconds>(time)); }

std::string serial_to_hex(const ASN1_INTEGER* serial) {
  BIGNUMPtr bn(ASN1_INTEGER_to_BN(serial, nullptr));
  if (!bn) return {};
  char* hex = BN_bn2hex(bn.get());
  std::string out(hex);
  OPENSSL_free(hex);
  // BN_bn2hex pads to whole bytes; strip the leading zeros so the form is canonical.
  const bool negative = !out.empty() && out[0] == '-';
  const std::size_t start = negative ? 1 : 0;
  std::size_t digits = start;
  while (digits + 1 < out.size() && out[digits] == '0') ++digits;
  out.erase(start, digits - start);  // keeps the sign
  return out;
}

Result<ASN1_INTEGERPtr> serial_from_hex(const std::string& hex) {
  if (hex.empty() || hex.size() > 40) return invalid_argument("serial number must be 1..40 hex digits");
  for (char c : hex) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) return invalid_argument("serial number is not hex: " + hex);
  }
  BIGNUM* raw = nullptr;
  if (BN_hex2bn(&raw, hex.c_str()) == 0) return invalid_argument("invalid serial number " + hex);
  BIGNUMPtr bn(raw);
  ASN1_INTEGERPtr out(BN_to_ASN1_INTEGER(bn.get(), nullptr));
  if (!out) return internal_error("cannot encode serial number");
  return out;
}

}  // namespace xacbe::crypto
