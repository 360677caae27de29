#include "xacbe/crypto/asn1.hpp"

#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>

#include <cctype>
#include <ctime>

namespace xacbe::crypto {

Result<TimePoint> from_asn1_time(const ASN1_TIME* time) {
  struct tm tm {};
  if (time == nullptr || ASN1_TIME_to_tm(time, &tm) != 1) return invalid_argument("invalid ASN.1 time");
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

ASN1_TIMEPtr to_asn1_time(TimePoint time) {
  return ASN1_TIMEPtr(ASN1_TIME_set(nullptr, std::chrono::system_clock::to_time_t(time)));
}

Result<std::chrono::sys_seconds> from_asn1_time_seconds(const ASN1_TIME* time) {
  struct tm tm {};
  if (time == nullptr || ASN1_TIME_to_tm(time, &tm) != 1) return invalid_argument("invalid ASN.1 time");
  return std::chrono::sys_seconds(std::chrono::seconds(timegm(&tm)));
}

ASN1_TIMEPtr to_asn1_time(std::chrono::sys_seconds time) {
  return ASN1_TIMEPtr(ASN1_TIME_set(nullptr, static_cast<time_t>(time.time_since_epoch().count())));
}

std::string serial_to_hex(const ASN1_INTEGER* serial) {
  BIGNUMPtr bn(ASN1_INTEGER_to_BN(serial, nullptr));
  if (!bn) return {};
  char* hex = BN_bn2hex(bn.get());
  std::string out(hex);
  OPENSSL_free(hex);
  // BN_bn2hex pads to whole bytes; strip the leading zeros so the form is canonical.
  const bool negative = !out.empty() && out[0] == '-';
  std::size_t start = negative ? 1 : 0;
  while (start + 1 < out.size() && out[start] == '0') ++start;
  return (negative ? "-" : "") + out.substr(start);
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
