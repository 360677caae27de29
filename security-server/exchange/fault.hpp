#pragma once
// Faults of the exchange (docs/protocol/exchange.md "Faults"): one list of stable codes, the same
// shape on every interface. A fault names the side that refused: the client's own request
// ("client-request"), the client's security server ("client-side") or the provider's
// ("provider-side"). Its message is for people and never holds a key, token or file path; its id
// is also in the log line that records it, so an operator can find one from the other.

#include <optional>
#include <string>
#include <string_view>

#include "xacbe/net/http.hpp"

namespace xacbe::ss {

enum class FaultSide { kClientRequest, kClientSide, kProviderSide };
std::string_view fault_side_name(FaultSide side);  // "client-request", "client-side", "provider-side"

// The stable codes; docs/protocol/exchange.md has the HTTP status and meaning of each.
enum class FaultCode {
  kMalformedRequest,          // not a well-formed /r1 call: target, header, identifier
  kBodyTooLarge,              // over the body limit
  kHeadersTooLarge,           // request line and headers over the header limit
  kUnknownClient,             // not a client of this security server
  kClientNotAuthenticated,    // the connection does not meet the client's connection mode
  kNoGlobalConfiguration,     // none, or the one held has expired
  kUnknownProvider,           // the configuration lists no server carrying the provider
  kProviderUnreachable,       // no server carrying the provider answered
  kSigningUnavailable,        // no fresh OCSP response for the signing certificate, or signer busy
  kTimestampBacklog,          // the eight-hour rule: the TSA is behind, exchanges stop
  kRegisterFailure,           // the query register could not store the record
  kMalformedMessage,          // a message between servers that does not parse
  kPeerNotAuthenticated,      // the peer server's certificate does not belong where it claims
  kClientNotRegistered,       // the client is not registered, not carried by the peer, or suspended
  kInvalidEStamp,             // signature, structure or chain of the e-stamp
  kSignerMismatch,            // the e-stamp is signed by another member than the client's
  kCertificateNotGood,        // revoked, on hold or unknown
  kOcspStale,                 // the OCSP response is older than the freshness limit
  kDigestMismatch,            // a message part differs from the digest the e-stamp lists
  kReplayedMessage,           // the message id was already used by this client
  kMessageTooOld,             // signed outside the replay window
  kUnknownService,            // no such service on the provider's server
  kServiceDisabled,           // the service exists but is switched off
  kAccessDenied,              // no access right for the client
  kServiceProtocolMismatch,   // a SOAP call to a REST service or a REST call to a SOAP service
  kServiceFailed,             // the provider's information system did not answer
  kInvalidResponse,           // the provider's answer failed verification on the client side
  kInternalError,
};
std::string_view fault_code_name(FaultCode code);  // "MALFORMED_REQUEST", ...
std::optional<FaultCode> parse_fault_code(std::string_view name);
int fault_http_status(FaultCode code);

struct Fault {
  FaultSide side;
  FaultCode code;
  std::string message;  // our own words; untrusted text only through log::bounded
  std::string id;       // 128 random bits in hex, also logged

  // A new fault with a fresh id, logged once at warning level.
  static Fault make(FaultSide side, FaultCode code, std::string message);

  // {"error": {"side": ..., "code": ..., "message": ..., "fault_id": ...}} with the code's
  // HTTP status and X-Xacbe-Error: "<side>.<code>".
  net::HttpResponse to_response() const;
  // A fault answer of a provider's server, as its client side relays it; nullopt when `response`
  // is not one.
  static std::optional<Fault> from_response(const net::HttpResponse& response);
};

}  // namespace xacbe::ss
