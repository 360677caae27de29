#pragma once
// The e-stamp: the electronic seal of one message (request or response) exchanged between security
// servers (ARCHITECTURE "The e-stamp and the eight-hour rule"). A standard XML-DSig document, made
// and checked with xmlsec over libxml2, that anyone can verify with the stock `xmlsec1 --verify`
// given only the CEIQROO CA certificate. docs/protocol/e-stamp.md is the normative format; this
// header is its implementation.
//
// One message is signed directly; several waiting messages can share one signature over the
// RFC 6962 Merkle root of their digests (merkle.hpp), each stamp keeping its audit path. Both kinds
// verify through verify_estamp.

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "estamp/signer.hpp"
#include "xacbe/clock.hpp"
#include "xacbe/crypto/certificate.hpp"
#include "xacbe/crypto/ocsp_client.hpp"
#include "xacbe/result.hpp"

namespace xacbe::ss {

// Limits of docs/protocol/e-stamp.md "Limits".
inline constexpr std::size_t kMaxEStampBytes = 256 * 1024;
inline constexpr std::size_t kMaxStampedParts = 16;
inline constexpr std::size_t kMaxPartNameLength = 32;
inline constexpr std::size_t kMaxStampTextLength = 255;  // message id, client, service
inline constexpr std::size_t kMaxBatchSize = 65536;
inline constexpr std::size_t kMaxOcspResponseBytes = 16 * 1024;

// One part of a message (its header block, its body, an attachment) by the SHA-256 of its bytes.
struct StampedPart {
  std::string name;    // [a-z0-9-]{1,32}, unique within the message
  std::string sha256;  // raw 32 bytes

  bool operator==(const StampedPart&) const = default;
};

// What an e-stamp says about one message.
struct StampContent {
  std::string kind;          // "request" or "response"
  std::string message_id;    // 1..255 printable ASCII
  std::string client;        // client identifier text, opaque printable ASCII, 1..255
  std::string service;       // service identifier text, opaque printable ASCII, 1..255
  std::string request_hash;  // responses: raw 32-byte SHA-256 of the request's e-stamp bytes; requests: empty
  std::vector<StampedPart> parts;  // 1..16

  bool operator==(const StampContent&) const = default;
};

// kInvalidArgument naming the first field that breaks the rules above (never echoing its value).
Status validate_stamp_content(const StampContent& content);

// Signs one message. `ocsp_der` is a verified, recent OCSP response (DER OCSPResponse) for the
// signer's certificate, which the stamp carries so that a verifier needs no responder;
// `signing_time` is written to the signed properties (whole seconds).
Result<std::string> sign_estamp(const StampContent& content, const Signer& signer, std::string_view ocsp_der,
                                std::chrono::sys_seconds signing_time);

// One signature over the Merkle root of all messages' leaves; one e-stamp document per content, in
// order (1..kMaxBatchSize contents).
Result<std::vector<std::string>> sign_estamp_batch(const std::vector<StampContent>& contents, const Signer& signer,
                                                   std::string_view ocsp_der, std::chrono::sys_seconds signing_time);

// Why an e-stamp was refused; docs/protocol/e-stamp.md "Verification" lists which check gives which.
enum class EStampFault {
  kMalformed,             // not one well-formed document of exactly our schema, or over the limits
  kBadSignature,          // the signature, a reference digest or the batch proof does not hold
  kUntrustedCertificate,  // the certificate does not chain to the CA, is not valid, or is not a signing certificate
  kWrongSigner,           // the KeyInfo certificate is not the one the signed properties name
  kCertificateNotGood,    // the carried OCSP response says revoked or unknown
  kOcspInvalid,           // the carried OCSP response is unreadable, badly signed, or about another certificate
  kOcspStale,             // the carried OCSP response is older than the freshness limit or from the future
};
const char* estamp_fault_name(EStampFault fault);  // "MALFORMED", "BAD_SIGNATURE", ...

struct EStampTrust {
  crypto::Certificate ca;                            // CEIQROO CA: signing certificates are issued directly by it
  std::vector<crypto::Certificate> ocsp_responders;  // allowed OCSP signers (add `ca` to accept CA-signed answers)
  std::chrono::seconds ocsp_freshness{3600};         // oldest producedAt accepted, relative to clock.now()
  std::chrono::seconds max_clock_skew{60};
};

struct VerifiedEStamp {
  StampContent content;
  crypto::Certificate signer;
  crypto::OcspResponse ocsp;  // verified; status good
  std::chrono::sys_seconds signing_time;
  std::size_t batch_size = 1, batch_index = 0;  // 1 and 0 for a directly signed message
};

// Every check of docs/protocol/e-stamp.md "Verification". On refusal the Status is
// kInvalidArgument (kMalformed) or kPermissionDenied (every other fault), kInternal when a library
// fails, and `fault`, when given, says which check failed. Does not decide which member may sign:
// the caller compares the returned signer with signer_member_matches. Thread-safe.
Result<VerifiedEStamp> verify_estamp(std::string_view xml, const EStampTrust& trust, const Clock& clock,
                                     EStampFault* fault = nullptr);

// The binding of a signing certificate to its member (docs/protocol/certificates.md "Signing
// certificates and members"): the signer is the member whose identifier is the subject's one and
// only commonName, compared exactly. True when that is `member_id_text`.
bool signer_member_matches(const crypto::Certificate& signer, std::string_view member_id_text);

}  // namespace xacbe::ss
