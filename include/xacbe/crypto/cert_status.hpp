#pragma once
// The revocation status of a certificate, as the CA records it and the OCSP responder reports it.

#include <optional>
#include <string>
#include <string_view>

#include "xacbe/clock.hpp"
#include "xacbe/result.hpp"

namespace xacbe::crypto {

// RFC 5280 section 5.3.1 CRLReason codes (7 is not used).
enum class RevocationReason : int {
  kUnspecified = 0,
  kKeyCompromise = 1,
  kCaCompromise = 2,
  kAffiliationChanged = 3,
  kSuperseded = 4,
  kCessationOfOperation = 5,
  kCertificateHold = 6,
  kRemoveFromCrl = 8,
  kPrivilegeWithdrawn = 9,
  kAaCompromise = 10,
};

// "keyCompromise" etc. (RFC 5280 spelling) <-> enum.
const char* reason_name(RevocationReason reason);
Result<RevocationReason> parse_reason(std::string_view name);

struct CertStatus {
  enum class Kind { kGood, kRevoked, kUnknown };
  Kind kind = Kind::kUnknown;
  std::chrono::sys_seconds revoked_at{};                    // when kRevoked; whole seconds
  RevocationReason reason = RevocationReason::kUnspecified;  // when kRevoked
};

// Where a status is learnt for a serial number of one issuer: the CA's store for the OCSP
// responder, anything else in tests. Thread-safe.
class CertStatusSource {
 public:
  virtual ~CertStatusSource() = default;
  // `serial_hex`: upper-case hex without leading zeros (as Certificate::serial_hex()).
  // A serial the CA never issued is kUnknown; an error Status becomes internalError.
  virtual Result<CertStatus> lookup(const std::string& serial_hex) = 0;
};

}  // namespace xacbe::crypto
