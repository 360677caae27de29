#pragma once
// Management requests: what a security server sends the central registry to register itself, get
// its keys certified, register the clients of other members it carries, report its software
// version, read its notifications and report its usage statistics
// (docs/protocol/management-requests.md). This is the wire format both sides share:
//   - the request types and the fields a request carries (Request);
//   - strict parsing of the signed bytes (parse_request), the one reader of those bytes;
//   - the canonical JSON a security server builds (to_json) and its detached CMS signature
//     (sign_request, or sign_bootstrap_request for a server that has no certificate yet).
// What the registry decides about a request (who signed it, freshness, replay, the owner's state,
// approval) is the registry's, not the format's. Sending one: registry_client.hpp.

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "xacbe/clock.hpp"
#include "xacbe/crypto/certificate.hpp"
#include "xacbe/crypto/csr.hpp"
#include "xacbe/crypto/key.hpp"
#include "xacbe/id/identifiers.hpp"
#include "xacbe/result.hpp"

namespace xacbe::management {

enum class RequestType {
  kRegisterServer,           // register the server and certify its first authentication key
  kSubmitCsr,                // certify another key: of the server (auth) or of its owner (sign)
  kRegisterAuthCertificate,  // bind an authentication certificate the CA issued otherwise
  kReportVersion,            // the software release the server now runs
  kListNotifications,        // the owner member's notifications
  kAcknowledgeNotification,  // the owner member acknowledges one
  kRegisterClient,           // carry a member, or a subsystem, of another member (a shared server)
  kUnregisterClient,         // stop carrying one
  kReportUsage,              // usage statistics: exchanges per UTC day, side, client and service
};
std::string_view request_type_name(RequestType type);  // "register-server", "submit-csr", ...
// kInvalidArgument "unknown request type '...'" for any other name.
Result<RequestType> parse_request_type(std::string_view name);

// What a submit-csr asks the CA to certify. The registry maps it to its CA's profiles.
enum class KeyUsage {
  kAuth,  // "auth": an authentication key of the sending server
  kSign,  // "sign": a signing key of the server's owner member
};
std::string_view key_usage_name(KeyUsage usage);  // "auth", "sign"

// A report-usage row: the exchanges one server logged on one UTC day, on one side, for one client
// and one service (docs/protocol/management-requests.md, "report-usage").
enum class UsageSide {
  kClient,    // "client": the server acted for the client (its client interface)
  kProvider,  // "provider": the server acted for the service's provider
};
std::string_view usage_side_name(UsageSide side);  // "client", "provider"

struct UsageRow {
  std::chrono::year_month_day day;
  UsageSide side = UsageSide::kClient;
  id::ClientId client;
  id::ServiceId service;
  std::uint64_t requests = 0;   // request records logged
  std::uint64_t succeeded = 0;  // of those, answered with a logged response of HTTP status 200..399
  std::uint64_t failed = 0;     // of those, the others: requests = succeeded + failed
  std::uint64_t refused = 0;    // refused by an authentication or authorization decision, never logged
};

// The period a report covers (UTC days, both included) and its rows, each day inside the period.
struct UsageReport {
  std::chrono::year_month_day from;
  std::chrono::year_month_day to;
  std::vector<UsageRow> rows;
};

// Bounds of a report-usage: rows per request, days per period, each count.
inline constexpr std::size_t kMaxUsageRows = 100;
inline constexpr int kMaxUsagePeriodDays = 32;
inline constexpr std::uint64_t kMaxUsageCount = 1'000'000'000'000;

// Larger requests or signatures are refused before parsing.
inline constexpr std::size_t kMaxRequestBytes = 64 * 1024;
inline constexpr std::size_t kMaxSignatureBytes = 64 * 1024;
// Where the registry's admin API receives management requests (POST).
inline constexpr std::string_view kRegistryPath = "/api/v1/management-requests";

// One request, as built by a security server or as parsed from the bytes it signed. Which fields
// a type uses is noted beside each; the others stay empty.
struct Request {
  RequestType type;
  id::SecurityServerId server;  // the sender; its owner member is the first three parts
  std::string request_id;       // 8..128 of [A-Za-z0-9._-], never reused by the server
  // Whole seconds, years 1970..9999: the registry compares it with its clock in seconds, since
  // years past 2262 do not fit a nanosecond TimePoint.
  std::chrono::sys_seconds created_at;
  std::string address;                             // register-server: host:port
  std::string country;                             // register-server: ISO 3166-1 alpha-2
  std::string software_version;                    // register-server, report-version
  std::optional<crypto::CertificateRequest> csr;   // register-server (auth_csr), submit-csr
  KeyUsage key_usage = KeyUsage::kAuth;            // submit-csr
  std::optional<crypto::Certificate> certificate;  // register-auth-certificate
  std::optional<std::int64_t> notification_id;     // acknowledge-notification, positive
  std::optional<id::ClientId> client;              // register-client, unregister-client; server's instance
  std::optional<UsageReport> usage;                // report-usage
};

// ---- Rules of single fields, applied by the parser and the builder alike ----

// A release version: 1 to 4 dot-separated decimal numbers without leading zeros, each at most
// 9 digits ("1.4.2"); its numeric parts, missing ones 0. kInvalidArgument otherwise.
Result<std::array<std::uint32_t, 4>> parse_version(std::string_view text);
// 8..128 characters from [A-Za-z0-9._-] (a UUID or 128 random bits in hex fit).
bool is_request_id(std::string_view text);
// An officially assigned ISO 3166-1 alpha-2 code, upper case ("MX").
bool is_country_code(std::string_view text);
// "host:port": an RFC 1123 host name, a dotted IPv4 address or a bracketed IPv6 address; port
// 1..65535 without leading zeros.
bool is_server_address(std::string_view text);

// ---- Reading ----

// Parses the signed request bytes strictly: a UTF-8 JSON object of at most kMaxRequestBytes with
// exactly the fields of its type (unknown, missing or repeated keys refused), each value checked
// by the rules above; the server must belong to `instance`. Refusals are kInvalidArgument
// "malformed request: ..." or "unknown request type '...'"; input is echoed only bounded and
// escaped. The CSR's and certificate's signatures are not checked here.
Result<Request> parse_request(std::string_view bytes, std::string_view instance);

// ---- Building (a security server) ----

// 128 random bits in lower-case hex.
std::string new_request_id();

// Requests with a fresh request id, created at `created_at` (the caller's clock, in seconds).
Request make_register_server(const id::SecurityServerId& server, std::chrono::sys_seconds created_at,
                             std::string address, std::string country, std::string software_version,
                             crypto::CertificateRequest auth_csr);
Request make_submit_csr(const id::SecurityServerId& server, std::chrono::sys_seconds created_at, KeyUsage usage,
                        crypto::CertificateRequest csr);
Request make_register_auth_certificate(const id::SecurityServerId& server, std::chrono::sys_seconds created_at,
                                       crypto::Certificate certificate);
Request make_report_version(const id::SecurityServerId& server, std::chrono::sys_seconds created_at,
                            std::string version);
Request make_list_notifications(const id::SecurityServerId& server, std::chrono::sys_seconds created_at);
Request make_acknowledge_notification(const id::SecurityServerId& server, std::chrono::sys_seconds created_at,
                                      std::int64_t notification_id);
Request make_register_client(const id::SecurityServerId& server, std::chrono::sys_seconds created_at,
                             id::ClientId client);
Request make_unregister_client(const id::SecurityServerId& server, std::chrono::sys_seconds created_at,
                               id::ClientId client);
Request make_report_usage(const id::SecurityServerId& server, std::chrono::sys_seconds created_at,
                          UsageReport report);

// The canonical bytes of `request`: compact JSON, keys in byte order, no insignificant
// whitespace (for these values the same as RFC 8785), CSR and certificate as PEM. Refuses
// (kInvalidArgument, as parse_request would) a request whose fields break the rules above or lack
// what its type needs, so that parse_request(to_json(r), instance) gives r back.
Result<std::string> to_json(const Request& request);

// The two byte strings that travel together: the request and a DER CMS SignedData over exactly
// those bytes, detached.
struct SignedRequest {
  std::string request;
  std::string signature;
};

// to_json(request), signed by `key` under `certificate` (embedded, with `chain`): a CEIQROO
// certificate of the owner member (its signing certificate, or this server's authentication one).
Result<SignedRequest> sign_request(const Request& request, const crypto::PrivateKey& key,
                                   const crypto::Certificate& certificate,
                                   const std::vector<crypto::Certificate>& chain = {});

// The self-signed certificate a server that has no CEIQROO certificate yet signs its first
// register-server with: v3, no extensions, CN=<server id>, valid from an hour before to an hour
// after `now`, over `key`, the key of the request's auth_csr. It proves possession of that key
// and nothing else.
Result<crypto::Certificate> make_bootstrap_certificate(const crypto::PrivateKey& key,
                                                       const id::SecurityServerId& server, TimePoint now);

// A register-server signed the bootstrap way: with `auth_key` under make_bootstrap_certificate.
// kInvalidArgument for another type or when `auth_key` is not the key of the request's auth_csr.
Result<SignedRequest> sign_bootstrap_request(const Request& registration, const crypto::PrivateKey& auth_key,
                                             TimePoint now);

}  // namespace xacbe::management
