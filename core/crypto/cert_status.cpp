#include "xacbe/crypto/cert_status.hpp"

#include <array>
#include <utility>

namespace xacbe::crypto {
namespace {

constexpr std::array<std::pair<RevocationReason, const char*>, 10> kReasons{{
    {RevocationReason::kUnspecified, "unspecified"},
    {RevocationReason::kKeyCompromise, "keyCompromise"},
    {RevocationReason::kCaCompromise, "cACompromise"},
    {RevocationReason::kAffiliationChanged, "affiliationChanged"},
    {RevocationReason::kSuperseded, "superseded"},
    {RevocationReason::kCessationOfOperation, "cessationOfOperation"},
    {RevocationReason::kCertificateHold, "certificateHold"},
    {RevocationReason::kRemoveFromCrl, "removeFromCRL"},
    {RevocationReason::kPrivilegeWithdrawn, "privilegeWithdrawn"},
    {RevocationReason::kAaCompromise, "aACompromise"},
}};

}  // namespace

const char* reason_name(RevocationReason reason) {
  for (const auto& [r, name] : kReasons) {
    if (r == reason) return name;
  }
  return "unspecified";
}

Result<RevocationReason> parse_reason(std::string_view name) {
  for (const auto& [r, n] : kReasons) {
    if (name == n) return r;
  }
  return invalid_argument("unknown revocation reason '" + std::string(name) +
                          "' (RFC 5280 names, e.g. keyCompromise, certificateHold)");
}

}  // namespace xacbe::crypto
