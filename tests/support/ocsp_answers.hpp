#pragma once
// OCSP responses made in-process for client tests: a correct answer to a given request by
// default, and every kind of wrong answer a client must refuse through the knobs of OcspAnswer.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "xacbe/crypto/certificate.hpp"
#include "xacbe/crypto/key.hpp"
#include "xacbe/net/http.hpp"

namespace xacbe::testing {

struct OcspAnswer {
  // OCSPResponseStatus; anything but 0 gives the unsigned 5-byte answer and ignores the rest.
  int response_status = 0;
  // V_OCSP_CERTSTATUS_GOOD (0), _REVOKED (1), _UNKNOWN (2).
  int cert_status = 0;
  int reason = -1;  // CRLReason when revoked; -1 omits it
  std::chrono::sys_seconds revoked_at{};
  std::chrono::sys_seconds produced_at{};
  std::chrono::sys_seconds this_update{};
  std::optional<std::chrono::sys_seconds> next_update;
  enum class Nonce { kEcho, kOmit, kOther } nonce = Nonce::kEcho;
  // The CertID is the request's unless one of these changes it.
  bool cert_id_sha1 = false;  // rehash the CertID with SHA-1
  bool other_serial = false;
  bool other_issuer_name_hash = false;
  bool other_issuer_key_hash = false;
  bool responder_id_by_key = true;
  bool include_signer_certificate = true;
  bool corrupt_signature = false;
  bool unknown_critical_extension = false;
};

// The DER of an OCSPResponse answering the DER OCSPRequest `request` (its first CertID), signed by
// `signer`. Throws std::runtime_error when OpenSSL fails.
std::string make_ocsp_response(std::string_view request, const crypto::Certificate& signer_cert,
                               const crypto::PrivateKey& signer_key, const OcspAnswer& answer);

// The DER OCSPRequest an OCSP client sent: the body of a POST, or the percent-decoded base64 last
// path segment of a GET URL (RFC 6960 appendix A.1). Throws when it cannot be decoded.
std::string ocsp_request_of(const std::string& url, const net::HttpRequest& request);

}  // namespace xacbe::testing
