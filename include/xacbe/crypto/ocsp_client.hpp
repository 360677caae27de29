#pragma once
// RFC 6960 OCSP client: asks a responder about one certificate and accepts the answer only after
// every check of docs/protocol/ocsp.md "Client side" (who signed it, that it answers our CertID
// and nonce, that it is recent). A security server keeps such a response for each of its own
// certificates (ocsp_cache.hpp) and embeds its DER in the e-stamp.
//
// Times are whole seconds (sys_seconds) so that any GeneralizedTime up to 9999 is representable.

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "xacbe/clock.hpp"
#include "xacbe/crypto/cert_status.hpp"
#include "xacbe/crypto/certificate.hpp"
#include "xacbe/crypto/fetch.hpp"
#include "xacbe/net/http.hpp"
#include "xacbe/result.hpp"

namespace xacbe::crypto {

// Hash algorithm of the CertID (RFC 6960 section 4.1.1).
enum class CertIdHash { kSha1, kSha256 };

inline constexpr const char* kOcspRequestMediaType = "application/ocsp-request";
inline constexpr const char* kOcspResponseMediaType = "application/ocsp-response";
// RFC 8954 section 2.1: Nonce ::= OCTET STRING(SIZE(1..32)).
inline constexpr std::size_t kMaxOcspNonceOctets = 32;
// RFC 5019 section 5: GET only for an encoded request shorter than 255 bytes.
inline constexpr std::size_t kMaxOcspGetEncodedBytes = 254;

struct OcspRequestOptions {
  CertIdHash cert_id_hash = CertIdHash::kSha256;
  // Random nonce length, 1..32; 0 sends no nonce.
  std::size_t nonce_octets = kMaxOcspNonceOctets;
};

// One OCSPRequest (one CertID, optional nonce, unsigned) and what its answer must match.
class OcspRequest {
 public:
  // kInvalidArgument when `issuer` did not issue `cert` (issuer name and signature) or the nonce
  // length is over 32.
  static Result<OcspRequest> create(const Certificate& cert, const Certificate& issuer,
                                    const OcspRequestOptions& options = {});

  const std::string& der() const { return der_; }
  const Certificate& issuer() const { return issuer_; }
  CertIdHash cert_id_hash() const { return hash_; }
  const std::string& issuer_name_hash() const { return name_hash_; }  // raw digest
  const std::string& issuer_key_hash() const { return key_hash_; }    // raw digest
  const std::string& serial_hex() const { return serial_hex_; }       // as Certificate::serial_hex
  const std::string& nonce() const { return nonce_; }                 // raw octets; empty: none sent

  // RFC 6960 appendix A.1: POST to the responder URL, body the DER,
  // Content-Type application/ocsp-request.
  net::HttpRequest post() const;
  // The DER in base64 (RFC 4648), then percent-encoded (everything but RFC 3986 unreserved
  // characters, so '+', '/' and '=' become %2B, %2F, %3D).
  std::string url_encoded() const;
  // RFC 6960 appendix A.1 GET URL "{responder_url}/{url_encoded()}" (no second '/' when the URL
  // ends with one); nullopt when url_encoded() is 255 bytes or longer (RFC 5019 section 5).
  std::optional<std::string> get_url(std::string_view responder_url) const;

 private:
  explicit OcspRequest(Certificate issuer) : issuer_(std::move(issuer)) {}
  Certificate issuer_;
  CertIdHash hash_ = CertIdHash::kSha256;
  std::string der_, name_hash_, key_hash_, serial_hex_, nonce_;
};

struct OcspCheckOptions {
  // How far thisUpdate and producedAt may lie ahead of our clock, and nextUpdate behind it.
  std::chrono::seconds max_clock_skew{60};
  // Oldest producedAt accepted; the global configuration's ocsp_freshness_seconds.
  std::chrono::seconds freshness{3600};
};

// A verified answer about one certificate.
struct OcspResponse {
  CertStatus::Kind status = CertStatus::Kind::kUnknown;
  std::chrono::sys_seconds revoked_at{};  // when kRevoked
  // When kRevoked; kUnspecified also when the response gives no reason.
  RevocationReason reason = RevocationReason::kUnspecified;
  std::chrono::sys_seconds produced_at{};
  std::chrono::sys_seconds this_update{};
  std::optional<std::chrono::sys_seconds> next_update;
  std::string der;  // the whole OCSPResponse, as received
  std::optional<Certificate> responder;  // the allowed responder certificate that signed it
};

// Verifies the DER of an OCSPResponse answering `request`. `allowed_responders` are the
// certificates that may sign it (the global configuration's OCSP responder certificates; add the
// CA certificate to accept responses the CA signs itself). Refusals, in the order checked:
//   kInvalidArgument    not one DER OCSPResponse, not a BasicOCSPResponse, a malformed field, an
//                       unsupported critical extension, responseStatus malformedRequest
//   kUnavailable        responseStatus internalError or tryLater
//   kPermissionDenied   responseStatus unauthorized or sigRequired; signer not an allowed
//                       responder; bad signature; allowed signer that is neither the issuer nor
//                       issued by it with EKU OCSPSigning, or outside its validity; the answer is
//                       not about the requested CertID; nonce missing or different
//   kFailedPrecondition thisUpdate or producedAt ahead of the clock by more than the skew,
//                       producedAt older than the freshness limit, nextUpdate passed
Result<OcspResponse> verify_ocsp_response(std::string_view der, const OcspRequest& request,
                                          const std::vector<Certificate>& allowed_responders,
                                          const OcspCheckOptions& options, const Clock& clock);

// The checks of verify_ocsp_response that depend on the time, for a response it accepted
// earlier (so that a verifier may keep what does not change — the signature, the responder, the
// CertID — and still judge every use by the clock): the responder certificate valid now, thisUpdate
// and producedAt not ahead, producedAt within the freshness limit, nextUpdate not passed. The same
// codes as verify_ocsp_response: kPermissionDenied for the responder, kFailedPrecondition for the
// times. kInvalidArgument for a response without its responder.
Status recheck_ocsp_response_times(const OcspResponse& response, const OcspCheckOptions& options, const Clock& clock);

struct OcspClientOptions {
  OcspRequestOptions request;
  OcspCheckOptions check;
  // Use GET when the encoded request allows it (RFC 5019 section 5), POST otherwise.
  bool prefer_get = true;
};

// Thread-safe when its Fetch is.
class OcspClient {
 public:
  // `clock` must outlive the client.
  explicit OcspClient(const Clock& clock, OcspClientOptions options = {}, Fetch fetch = http_fetch());

  // Asks the responder at `url` about `cert` and verifies the answer (verify_ocsp_response).
  // Besides its refusals: the Fetch's error as it is; kUnavailable for an HTTP status other
  // than 200; kInvalidArgument for a Content-Type other than application/ocsp-response.
  Result<OcspResponse> query(const std::string& url, const Certificate& cert, const Certificate& issuer,
                             const std::vector<Certificate>& allowed_responders) const;

  const OcspClientOptions& options() const { return options_; }

 private:
  const Clock& clock_;
  OcspClientOptions options_;
  Fetch fetch_;
};

}  // namespace xacbe::crypto
