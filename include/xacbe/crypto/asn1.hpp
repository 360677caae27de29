#pragma once
// Conversions between ASN.1 values and the types the rest of Xacbe uses.

#include <chrono>
#include <string>

#include "xacbe/clock.hpp"
#include "xacbe/crypto/openssl_ptr.hpp"
#include "xacbe/result.hpp"

namespace xacbe::crypto {

Result<TimePoint> from_asn1_time(const ASN1_TIME* time);
// UTCTime before 2050, GeneralizedTime after (RFC 5280 section 4.1.2.5); whole seconds.
ASN1_TIMEPtr to_asn1_time(TimePoint time);

// The same in whole seconds, for times that may lie past 2262 (TimePoint counts nanoseconds in
// 64 bits): the GeneralizedTime 99991231235959Z of RFC 5280 section 4.1.2.5, or an OCSP
// nextUpdate far ahead. Fractions of a second are dropped.
Result<std::chrono::sys_seconds> from_asn1_time_seconds(const ASN1_TIME* time);
ASN1_TIMEPtr to_asn1_time(std::chrono::sys_seconds time);

// Upper-case hex without leading zeros ("0" for zero); negative serials get a leading '-'.
std::string serial_to_hex(const ASN1_INTEGER* serial);
Result<ASN1_INTEGERPtr> serial_from_hex(const std::string& hex);

}  // namespace xacbe::crypto
