#pragma once
// What travels between security servers besides the body (docs/protocol/exchange.md "Message"):
// the head of a request or response, a small JSON document that the e-stamp digests together with
// the body. The sender builds it once (to_json, canonical) and sends those exact bytes; the
// receiver parses the bytes it received and never rebuilds them, so the digest it checks is the
// digest of what was signed.
//
// Also here: the client interface's REST call (/r1/{service id}/{path}) and the rules of the
// headers that cross from one member's information system to another's.

#include <cstddef>
#include <string>
#include <string_view>

#include "xacbe/id/identifiers.hpp"
#include "xacbe/net/http.hpp"
#include "xacbe/result.hpp"

namespace xacbe::ss {

inline constexpr std::string_view kRestPrefix = "/r1/";
inline constexpr std::size_t kMaxTargetBytes = 4096;
inline constexpr std::size_t kMaxForwardedHeaders = 64;
inline constexpr std::size_t kMaxTextBytes = 255;  // message id, user id, issue
// The request head's "protocol" of a call that came as a SOAP envelope (docs/protocol/soap.md).
inline constexpr std::string_view kSoapProtocol = "soap";

struct RequestHead {
  id::ClientId client;
  id::ServiceId service;
  std::string message_id;  // X-Xacbe-Id
  std::string user_id;     // X-Xacbe-UserId, may be empty
  std::string issue;       // X-Xacbe-Issue, may be empty
  std::string method;      // GET, POST, PUT, PATCH or DELETE
  std::string path;        // "/..." after the service id, or empty; raw (percent-encoding kept)
  std::string query;       // after '?', raw; may be empty
  net::Headers headers;    // end-to-end headers, names in lower case, in arrival order
  std::string request_id;  // the client server's id of this exchange
  // X-Xacbe-Represented-Party: the party the client (an intermediary) calls on behalf of, a member
  // id text (INSTANCE/CLASS/CODE); empty when it calls for itself. In the head only when given.
  std::string represented_party = {};
  std::string protocol = {};  // empty: REST; kSoapProtocol: a SOAP envelope (POST, no path, no query)
};

struct ResponseHead {
  int status = 200;
  net::Headers headers;     // end-to-end headers of the provider's answer, names in lower case
  std::string message_id;   // of the request answered
  std::string request_id;   // the provider server's id of this exchange
  std::string request_hash; // lower-case hex SHA-256 of the request's e-stamp bytes
};

// ---- The client interface ----

// Splits "/r1/INSTANCE/CLASS/CODE/SUBSYSTEM/SERVICE[/path][?query]" and checks every part:
// the service id strictly (id::ServiceId, five parts: REST services are unversioned here), the
// path free of dot segments, encoded slashes or backslashes, controls, spaces and non-ASCII, and
// the query of RFC 3986 query characters only. kInvalidArgument with a bounded message otherwise.
struct RestTarget {
  id::ServiceId service;
  std::string path;
  std::string query;
};
Result<RestTarget> parse_rest_target(std::string_view target);

bool is_rest_method(std::string_view method);
// 1..255 characters from [A-Za-z0-9._:@+=-] (a UUID fits); generated ids are UUIDs.
bool is_message_id(std::string_view text);
// 0..255 bytes of valid UTF-8 without control characters (user id, issue).
bool is_header_text(std::string_view text);
std::string new_message_id();  // a random (version 4) UUID
// ASCII lower case, as header names and media types are compared.
std::string ascii_lower(std::string_view text);
// How many of `headers` are named `name`, compared without regard to ASCII case.
std::size_t count_headers(const net::Headers& headers, std::string_view name);
// A represented party as the client interface and the head take it: a member id, strictly
// (id::MemberId); the party need not be in the global configuration. kInvalidArgument otherwise.
Status check_represented_party(std::string_view text);

// The end-to-end headers of an information system's message, to cross to the other member:
// everything but hop-by-hop headers (RFC 9110 section 7.6.1, and those named in Connection),
// Host, Content-Length, Expect, credentials and cookies (Authorization, Cookie, Set-Cookie,
// Proxy-*), forwarding headers (Forwarded, X-Forwarded-*, X-Real-IP, Via) and every X-Xacbe-*
// header (identity headers are the security server's alone). Names lower-cased. Refuses
// (kInvalidArgument) more than kMaxForwardedHeaders or a value that is not valid UTF-8 or holds a
// control character other than tab.
Result<net::Headers> forwardable_headers(const net::Headers& headers);

// ---- Heads ----

std::string to_json(const RequestHead& head);
std::string to_json(const ResponseHead& head);
// Strict: exactly the documented keys, each checked by the rules above. kInvalidArgument otherwise.
Result<RequestHead> parse_request_head(std::string_view json);
Result<ResponseHead> parse_response_head(std::string_view json);

}  // namespace xacbe::ss
