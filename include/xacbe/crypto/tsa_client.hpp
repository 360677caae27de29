#pragma once
// RFC 3161 time-stamping client: asks the TSA the global configuration names for a token over a
// message imprint, and accepts the token only after every check of
// docs/protocol/timestamp-authority.md "Client side" (signed by that TSA certificate, chaining to
// the CA, answering our imprint and nonce, recent). The query register keeps the token DER.
//
// Times are whole seconds (sys_seconds) so that any GeneralizedTime up to 9999 is representable.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "xacbe/clock.hpp"
#include "xacbe/crypto/certificate.hpp"
#include "xacbe/crypto/fetch.hpp"
#include "xacbe/net/http.hpp"
#include "xacbe/result.hpp"

namespace xacbe::crypto {

// Message-imprint hash algorithms a request may use.
enum class ImprintHash { kSha256, kSha384, kSha512 };

inline constexpr const char* kTimestampQueryMediaType = "application/timestamp-query";
inline constexpr const char* kTimestampReplyMediaType = "application/timestamp-reply";
// Octets of the random nonce (RFC 3161 section 2.4.1 asks for a large random number).
inline constexpr std::size_t kTimestampNonceOctets = 16;

// A TimeStampReq (version 1, certReq true, a random nonce, optional reqPolicy, no extensions)
// and what its answer must match.
class TimestampRequest {
 public:
  // `digest`: the message imprint, as long as `hash` gives (32, 48 or 64 octets), else
  // kInvalidArgument. `policy`: a dotted OID to ask for, empty for the TSA's default.
  static Result<TimestampRequest> create(ImprintHash hash, std::string_view digest, const std::string& policy = {});
  // Hashes `data` with `hash` first.
  static Result<TimestampRequest> for_data(ImprintHash hash, std::string_view data, const std::string& policy = {});

  const std::string& der() const { return der_; }
  ImprintHash hash() const { return hash_; }
  const std::string& digest() const { return digest_; }
  const std::string& nonce() const { return nonce_; }  // big-endian octets of the positive INTEGER
  const std::string& policy() const { return policy_; }

  // RFC 3161 section 3.4: POST, Content-Type application/timestamp-query, body the DER.
  net::HttpRequest post() const;

 private:
  TimestampRequest() = default;
  ImprintHash hash_ = ImprintHash::kSha256;
  std::string der_, digest_, nonce_, policy_;
};

struct TimestampCheckOptions {
  // How far genTime may lie ahead of our clock.
  std::chrono::seconds max_clock_skew{60};
  // Oldest genTime accepted: a token just asked for is never older than this.
  std::chrono::seconds max_age{300};
};

// TSTInfo accuracy (RFC 3161 section 2.4.2); absent parts are 0.
struct TimestampAccuracy {
  std::int64_t seconds = 0;
  int millis = 0;
  int micros = 0;
  friend bool operator==(const TimestampAccuracy&, const TimestampAccuracy&) = default;
};

// A verified time-stamp token.
struct TimestampToken {
  std::chrono::sys_seconds gen_time{};  // fractions of a second dropped
  std::string serial_hex;               // as Certificate::serial_hex
  std::string policy;                   // dotted OID
  std::optional<TimestampAccuracy> accuracy;
  bool granted_with_mods = false;  // PKIStatus grantedWithMods (1)
  std::string token_der;           // the TimeStampToken (ContentInfo holding the SignedData)
};

// Verifies the DER of a TimeStampResp answering `request`. `tsa_certificate` is the TSA's
// certificate from the global configuration, `roots` the CA certificates it must chain to.
// Refusals, in the order checked:
//   kInvalidArgument    not one DER TimeStampResp, granted without a token, malformed TSTInfo
//                       (also: TSTInfo version other than 1); PKIStatus rejection for a fault of
//                       the request (badAlg, badRequest, badDataFormat, unacceptedPolicy,
//                       unacceptedExtension, addInfoNotAvailable)
//   kUnavailable        rejection with timeNotAvailable or systemFailure or without failInfo;
//                       waiting
//   kPermissionDenied   other PKIStatus values (revocationWarning, revocationNotification, unknown);
//                       tsa_certificate without the single critical EKU timeStamping; the token
//                       not signed by tsa_certificate; tsa_certificate not chaining to `roots`
//                       now; bad signature or ESS signing-certificate attribute; imprint, nonce
//                       or requested policy not matching
//   kFailedPrecondition genTime ahead of the clock by more than the skew, or older than max_age
// A rejection's message names its failInfo bits (e.g. "badAlg").
Result<TimestampToken> verify_timestamp_response(std::string_view der, const TimestampRequest& request,
                                                 const Certificate& tsa_certificate,
                                                 const std::vector<Certificate>& roots,
                                                 const TimestampCheckOptions& options, const Clock& clock);

// Verifies a kept TimeStampToken offline, years later: exactly one signer, `tsa_certificate`, a
// time-stamping certificate chaining to `roots` at the token's own genTime; the signature and the
// ESS signing-certificate attribute hold; TSTInfo version 1 and its imprint is SHA-256
// `sha256_digest`. No nonce and no age are checked. Refusals as verify_timestamp_response's.
Result<TimestampToken> verify_timestamp_token(std::string_view token_der, std::string_view sha256_digest,
                                              const Certificate& tsa_certificate,
                                              const std::vector<Certificate>& roots);

// The certificate a stored token carries for its signer (the request asked for it, certReq), for a
// verifier that has no configuration naming the TSA; it must still pass verify_timestamp_token
// with it. kInvalidArgument when the token carries none; kPermissionDenied when it is not a
// time-stamping certificate (RFC 3161 section 2.3).
Result<Certificate> timestamp_token_certificate(std::string_view token_der);

// Thread-safe when its Fetch is.
class TsaClient {
 public:
  // `clock` must outlive the client.
  explicit TsaClient(const Clock& clock, TimestampCheckOptions options = {}, Fetch fetch = http_fetch());

  // Posts `request` to `url` and verifies the answer (verify_timestamp_response). Besides its
  // refusals: the Fetch's error as it is; kUnavailable for an HTTP status other than 200;
  // kInvalidArgument for a Content-Type other than application/timestamp-reply.
  Result<TimestampToken> stamp(const std::string& url, const TimestampRequest& request,
                               const Certificate& tsa_certificate, const std::vector<Certificate>& roots) const;
  // A fresh request (random nonce) for `digest` and the same.
  Result<TimestampToken> stamp(const std::string& url, ImprintHash hash, std::string_view digest,
                               const Certificate& tsa_certificate, const std::vector<Certificate>& roots) const;

  const TimestampCheckOptions& options() const { return options_; }

 private:
  const Clock& clock_;
  TimestampCheckOptions options_;
  Fetch fetch_;
};

}  // namespace xacbe::crypto
