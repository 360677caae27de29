#pragma once
// Security servers in the central registry (ARCHITECTURE.md, "Central registry" and "Trust model";
// the wire format is docs/protocol/management-requests.md, shared with the security servers in
// xacbe/management/management_request.hpp).
//
// A security server asks the registry for things with a management request: JSON bytes plus a
// detached CMS signature over exactly those bytes. Requests that change trust are stored and
// decided (submit):
//   register-server            register the server (address, hosting country, software version)
//                              and certify its first authentication key (the CSR it carries)
//   submit-csr                 certify another key: "auth" (names the server) or "sign" (names the
//                              owner member)
//   register-auth-certificate  bind an authentication certificate the CEIQROO CA issued otherwise
//   register-client            carry a member, or a subsystem, of another member (a shared server)
//   unregister-client          stop carrying one (carried out at receipt: it only takes away)
// The others are answered at once and not stored (their request ids still are):
//   report-version             the software version the server now runs (report)
//   report-usage               the server's usage statistics (receive_report; stored by
//                              UsageStatistics, usage_statistics.hpp)
//   list-notifications         the owner member's notifications (authenticate; the caller answers)
//   acknowledge-notification   the owner member acknowledges one (authenticate; the caller records)
//
// Authentication. A request is signed by a certificate the CEIQROO CA issued to the owner member
// (a signing certificate, or an authentication certificate bound to this very server), except the
// bootstrap: a register-server for a server not yet registered may be signed with the key of the
// CSR it carries, under a self-signed certificate (management::make_bootstrap_certificate). That
// proves possession of the key, not identity, so such a request always waits for an
// administrator, who confirms the key's fingerprint with the owner member out of band (X-Road's
// model).
// Every request must also be fresh (created_at within `freshness` of the registry clock), carry a
// request id never seen before from that server, and come from an active owner member.
//
// Requests are kept with their signature and wait as pending until an administrator approves or
// declines them; the auto-approval setting approves submit-csr requests (which only registered
// servers can send) at once. An unregister-client is carried out at receipt (actor
// policy:removal); a register-client always waits, since the administrator confirms with the
// client member, out of band, that it chose this server. Approved CSRs are issued by the CA and recorded with
// Membership::record_certificate, so the certificates follow the member's suspension and
// termination.
//
// Hosting rule: a server hosted outside Mexico needs the CEIQROO's recorded permission.
// Update rule: a server is outdated when some release newer than the one it runs was published
// two calendar months ago or earlier (update_deadline).
//
// Every operation, successful or refused, is written to the registry's audit trail.
// Not thread-safe: the owner serialises calls (the database connection is shared with Membership).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "xacbe/clock.hpp"
#include "xacbe/crypto/certificate.hpp"
#include "xacbe/crypto/key.hpp"
#include "xacbe/id/identifiers.hpp"
#include "xacbe/management/management_request.hpp"
#include "xacbe/result.hpp"

namespace xacbe::store {
class Database;
}
namespace xacbe::ca {
class CertificateAuthority;
}

namespace xacbe::registry {

class Membership;

enum class RequestState { kPending, kApproved, kDeclined };
std::string_view request_state_name(RequestState state);  // "pending", "approved", "declined"

// Servers hosted in this country need no permission (ISO 3166-1 alpha-2).
inline constexpr std::string_view kHomeCountry = "MX";

struct SecurityServerSettings {
  std::string instance = "QROO";  // server ids of another instance are refused
  std::chrono::seconds freshness{5 * 60};
  bool auto_approve_csrs = false;
};

// A management request the registry accepted (its signature, freshness and sender verified).
struct ManagementRequest {
  std::int64_t id = 0;     // assigned by the registry; what approve() and decline() take
  std::string request_id;  // the sender's, unique per server
  id::SecurityServerId server;
  management::RequestType type;
  TimePoint created_at;
  TimePoint received_at;
  std::string signer;  // serial of the signing CEIQROO certificate, or "bootstrap"
  std::string body;       // the request bytes exactly as signed
  std::string signature;  // the detached CMS SignedData (DER)
  RequestState state;
  std::optional<TimePoint> decided_at;
  std::string decided_by;
  std::string decline_reason;
  std::string issued_certificate_pem;  // approved register-server and submit-csr
};

// A request of a type answered at once (list-notifications, acknowledge-notification) that
// authenticate() verified: signature, signer, freshness, request id, owner and server.
struct AuthenticatedRequest {
  management::RequestType type;
  id::SecurityServerId server;  // registered; its owner member is the one that speaks
  std::string request_id;
  std::string signer;                           // serial of the signing CEIQROO certificate
  std::optional<std::int64_t> notification_id;  // acknowledge-notification
};

// A client of another member that a server carries (register-client), as approved. The binding
// stays while the client is suspended or its subsystem removed; the global configuration lists
// only clients it lists itself.
struct RegisteredClient {
  id::ClientId client;
  TimePoint approved_at;
  std::string approved_by;
  std::int64_t request = 0;  // the register-client (ManagementRequest::id)
};

struct SecurityServer {
  id::SecurityServerId id;
  std::string address;           // host:port
  std::string country;           // ISO 3166-1 alpha-2
  std::string software_version;  // as last reported
  bool outdated = false;
  TimePoint registered_at;
  std::optional<std::string> foreign_hosting_reference;  // the permission, when recorded
  std::vector<std::string> auth_certificate_sha256;      // lower-case hex, bound certificates
  // Besides its owner and the owner's subsystems (carried implicitly), in client id order.
  std::vector<RegisteredClient> registered_clients;
};

struct SoftwareRelease {
  std::string version;
  TimePoint published_at;
};

// Release versions are 1 to 4 dot-separated decimal numbers without leading zeros ("1.4.2");
// they compare numerically, part by part, missing parts counting as 0 ("1.4" == "1.4.0").
Status validate_version(std::string_view version);

// The moment a release published at `published` makes every server on an older release outdated:
// two calendar months later in America/Cancun civil time, same time of day; a day the target month
// lacks becomes its last day (published Dec 31 10:00 -> Feb 28 or 29 10:00).
TimePoint update_deadline(TimePoint published);

class SecurityServers {
 public:
  // `db` has the registry schema and is the one `membership` uses; all must outlive this.
  SecurityServers(store::Database& db, const Clock& clock, Membership& membership, ca::CertificateAuthority& ca,
                  SecurityServerSettings settings);

  // Verifies and stores a management request; it is pending unless auto-approved. Refusals:
  // kPermissionDenied (unsigned, signature not over these bytes, signer not issued by the CEIQROO
  // CA or not the server's, signer certificate revoked or on hold, stale, foreign hosting without
  // permission, weak or badly signed CSR), kInvalidArgument (malformed JSON or field, bad server
  // id, unknown type, garbage CMS), kAlreadyExists (replayed request id, server already
  // registered, certificate already bound, client already carried), kFailedPrecondition (owner
  // member not active, client not in good standing), kNotFound (server not registered, unknown
  // owner member or client, client not carried).
  // Only the stored types; another type is kInvalidArgument.
  Result<ManagementRequest> submit(std::string_view request, std::string_view signature);

  // A signed report-version: verified like submit(), then the version is recorded at once, without
  // approval (a report changes no trust). Returns the server as it now is (outdated recomputed).
  // Refusals as submit(); kNotFound for a server not registered.
  Result<SecurityServer> report(std::string_view request, std::string_view signature);

  // A signed report-usage: verified like submit() (the server must be registered), then `store`
  // runs with the verified request in the same audited transaction, so that what it writes and
  // the audit entry (detail `detail`, which `store` may set) commit together. Refusals as
  // submit(), or `store`'s. Returns the verified request.
  Result<management::Request> receive_report(std::string_view request, std::string_view signature,
                                             const std::function<Status(const management::Request&, std::string& detail)>& store);

  // Verifies a list-notifications or acknowledge-notification request like submit() (the server
  // must be registered) and records its request id, without storing the request: acting on it is
  // the caller's (the registry's API, which holds the notifications). Audited like submit().
  Result<AuthenticatedRequest> authenticate(std::string_view request, std::string_view signature);

  // Approves a pending request: re-checks the rules (the owner's state may have changed), issues
  // the certificate and records it. Approving a decided request is kFailedPrecondition.
  Status approve(const std::string& actor, std::int64_t request);
  Status decline(const std::string& actor, std::int64_t request, const std::string& reason);

  // Records the CEIQROO's permission for `server` to be hosted outside Mexico; `reference` names
  // the decision (e.g. a folio). The server need not be registered yet.
  Status grant_foreign_hosting(const std::string& actor, const id::SecurityServerId& server,
                               const std::string& reference);

  // A published release of the security-server software.
  Status record_release(const std::string& actor, const std::string& version, TimePoint published_at);
  // The version a registered server reports it runs (audited with actor "server:<id>").
  Status report_version(const id::SecurityServerId& server, const std::string& version);

  Result<std::vector<SecurityServer>> list_servers();
  Result<SecurityServer> server(const id::SecurityServerId& server);
  Result<ManagementRequest> request(std::int64_t request);
  Result<std::vector<ManagementRequest>> requests(std::optional<RequestState> state = std::nullopt);
  Result<std::vector<SoftwareRelease>> releases();

 private:
  struct Signer;
  struct Received;  // a verified request and its signer

  Result<Received> receive(std::string_view body, std::string_view signature,
                           std::initializer_list<management::RequestType> accepted, std::string& actor,
                           std::string& target);
  Result<Signer> verify_signer(const management::Request& envelope, std::string_view body,
                               std::string_view signature);
  Status check_fresh(const management::Request& envelope) const;
  Status remember_request_id(const management::Request& envelope);
  Status check_owner_active(const id::MemberId& owner);
  Status check_signer_status(const Signer& signer);
  Status check_payload(const management::Request& envelope);
  // The rules of register-client and unregister-client (server_clients.cpp).
  Status check_client_change(const management::Request& envelope);
  Status check_client_in_good_standing(const id::ClientId& client);
  Result<bool> is_registered_client(const id::SecurityServerId& server, const id::ClientId& client);
  Status carry_out_client_change(const std::string& actor, const ManagementRequest& request,
                                 const management::Request& envelope);
  Result<std::vector<RegisteredClient>> registered_clients(const id::SecurityServerId& server);
  Result<bool> is_registered(const id::SecurityServerId& server);
  Result<std::optional<std::string>> foreign_hosting_permission(const id::SecurityServerId& server);
  // Issues the certificate a request asks for (into `issued`) and records the approval.
  Status carry_out(const std::string& actor, const ManagementRequest& request, const management::Request& envelope,
                   std::optional<crypto::Certificate>& issued);
  Status bind_auth_certificate(const id::SecurityServerId& server, const crypto::Certificate& cert);
  Result<std::vector<ManagementRequest>> query_requests(std::optional<std::int64_t> id,
                                                        std::optional<RequestState> state);
  Result<std::vector<SecurityServer>> query_servers(const std::optional<id::SecurityServerId>& only);

  store::Database& db_;
  const Clock& clock_;
  Membership& membership_;
  ca::CertificateAuthority& ca_;
  const SecurityServerSettings settings_;
};

}  // namespace xacbe::registry
