// SecurityServers: storing and deciding management requests, issuing and binding certificates,
// the hosting and update rules. Receiving a request (signature, signer, freshness, replay) is in
// request_verification.cpp; its parsing is the shared wire format's (management::parse_request).
#include "security_servers.hpp"

#include <openssl/crypto.h>
#include <openssl/x509.h>

#include <algorithm>
#include <array>
#include <cctype>

#include "xacbe/ca/certificate_authority.hpp"
#include "xacbe/calendar/business_calendar.hpp"
#include "xacbe/crypto/csr.hpp"
#include "xacbe/crypto/key.hpp"
#include "xacbe/globalconf/global_configuration.hpp"
#include "membership.hpp"
#include "request_verification.hpp"
#include "xacbe/store/database.hpp"
#include "xacbe/utf8.hpp"

namespace xacbe::registry {
namespace {

using management::parse_version;

constexpr std::string_view kStateNames[] = {"pending", "approved", "declined"};
constexpr std::string_view kAutoApproval = "policy:auto-approval";
// Who carries out an unregister-client at receipt: removing a client only takes away.
constexpr std::string_view kRemovalPolicy = "policy:removal";

// The first `max` characters (code points) of UTF-8 `s`: X.520 bounds names by characters.
std::string truncate_characters(const std::string& s, std::size_t max) {
  std::size_t count = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80 && count++ == max) return s.substr(0, i);
  }
  return s;
}

// X.520 PrintableString characters; serialNumber is a PrintableString of at most 64.
bool is_printable_string(std::string_view s) {
  return !s.empty() && s.size() <= 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) || std::string_view(" '()+,-./:=?").find(c) !=
                                                                      std::string_view::npos;
         });
}

// C=MX, O=<member name>, CN=<id>, serialNumber=<id> (when a PrintableString can carry the id).
crypto::DistinguishedName subject_for(const std::string& member_name, const std::string& id) {
  crypto::DistinguishedName dn{{"C", "MX"}, {"O", truncate_characters(member_name, 64)}, {"CN", id}};
  if (is_printable_string(id)) dn.emplace_back("serialNumber", id);
  return dn;
}

std::string common_name(const crypto::Certificate& cert) {
  const X509_NAME* name = X509_get_subject_name(cert.get());
  const int index = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
  if (index < 0) return {};
  unsigned char* utf8 = nullptr;
  const int n = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index)));
  if (n < 0) return {};
  std::string out(reinterpret_cast<char*>(utf8), static_cast<std::size_t>(n));
  OPENSSL_free(utf8);
  return out;
}

// The CA profile a submit-csr's key usage asks for.
ca::Profile profile_for(management::KeyUsage usage) {
  return usage == management::KeyUsage::kSign ? ca::Profile::kSigning : ca::Profile::kAuthentication;
}

// Key strength first, so that a weak key is reported as such, then the CSR's self-signature.
Status check_csr(const crypto::CertificateRequest& csr) {
  crypto::EVP_PKEYPtr key = csr.public_key();
  XACBE_RETURN_IF_ERROR(crypto::check_key_strength(key.get()));
  return csr.verify();
}

// Runs `op` and its audit entry (`detail` when successful) as one transaction
// (AuditTrail::run_audited): both commit or neither does, and a refusal is recorded on its own.
template <typename Op>
Status audited(AuditTrail& audit, const std::string& actor, const std::string& action, const std::string& target,
               Op&& op, const std::string& detail = {}) {
  AuditNote note{target, detail, {}};
  return audit.run_audited(actor, action, note, std::forward<Op>(op));
}

}  // namespace

std::string_view request_state_name(RequestState state) { return kStateNames[static_cast<int>(state)]; }

Status validate_version(std::string_view version) { return parse_version(version).status(); }

TimePoint update_deadline(TimePoint published) {
  using namespace std::chrono;
  const auto local = floor<seconds>(published) + calendar::kUtcOffset;
  const auto day = floor<days>(local);
  year_month_day target = year_month_day(day) + months(2);
  if (!target.ok()) target = year_month_day_last(target.year(), month_day_last(target.month()));
  return sys_days(target) + (local - day) - calendar::kUtcOffset;
}

SecurityServers::SecurityServers(store::Database& db, const Clock& clock, Membership& membership,
                                 ca::CertificateAuthority& ca, SecurityServerSettings settings)
    : db_(db), clock_(clock), membership_(membership), ca_(ca), settings_(std::move(settings)) {}

// ---- Receiving a request ----

// The three receiving operations run under AuditTrail::run_audited with OnRefusal::kKeepWrites:
// the request id receive() remembers (the replay guard) commits with the entry, refused or not.
// receive() sets `actor` and `note.target` as it learns them, before the entry is written.

Result<ManagementRequest> SecurityServers::submit(std::string_view body, std::string_view signature) {
  std::string actor = "unauthenticated";
  AuditNote note{"?", "", {}};
  std::int64_t id = 0;
  std::string_view approve_at_once;  // the policy that approves the request at receipt, if any
  const Status outcome = membership_.audit().run_audited(actor, "management.submit", note, [&]() -> Status {
    XACBE_ASSIGN_OR_RETURN(Received received,
                           receive(body, signature,
                                   {management::RequestType::kRegisterServer, management::RequestType::kSubmitCsr,
                                    management::RequestType::kRegisterAuthCertificate,
                                    management::RequestType::kRegisterClient,
                                    management::RequestType::kUnregisterClient},
                                   actor, note.target));
    const management::Request& envelope = received.envelope;
    const Signer& signer = received.signer;
    XACBE_ASSIGN_OR_RETURN(store::Statement insert,
                           db_.prepare("INSERT INTO management_request(server_id, request_id, type, created_at,"
                                       " received_at, signer, body, signature, state)"
                                       " VALUES(?1,?2,?3,?4,?5,?6,?7,?8,'pending')"));
    insert.bind(1, note.target).bind(2, envelope.request_id).bind(3, management::request_type_name(envelope.type));
    insert.bind(4, to_unix_seconds(envelope.created_at)).bind(5, to_unix_seconds(clock_.now())).bind(6, signer.label());
    insert.bind_blob(7, body).bind_blob(8, signature);
    XACBE_RETURN_IF_ERROR(insert.run());
    id = db_.last_insert_rowid();
    note.detail = "request " + std::to_string(id) + " pending";
    if (settings_.auto_approve_csrs && envelope.type == management::RequestType::kSubmitCsr) {
      approve_at_once = kAutoApproval;
    } else if (envelope.type == management::RequestType::kUnregisterClient) {
      approve_at_once = kRemovalPolicy;
    }
    return Status::ok();
  }, OnRefusal::kKeepWrites);
  if (!outcome.is_ok()) return outcome;
  // A refused approval at receipt leaves the request pending for an administrator; the refusal is
  // audited.
  if (!approve_at_once.empty()) (void)approve(std::string(approve_at_once), id);
  return request(id);
}

Result<SecurityServer> SecurityServers::report(std::string_view body, std::string_view signature) {
  std::string actor = "unauthenticated";
  AuditNote note{"?", "report-version applied", {}};
  std::optional<Received> received;
  const Status outcome = membership_.audit().run_audited(actor, "management.submit", note, [&]() -> Status {
    XACBE_ASSIGN_OR_RETURN(Received r,
                           receive(body, signature, {management::RequestType::kReportVersion}, actor, note.target));
    received = std::move(r);
    return Status::ok();
  }, OnRefusal::kKeepWrites);
  if (!outcome.is_ok()) return outcome;
  // The version itself is a change of its own, with its own entry (server.report-version).
  const id::SecurityServerId& server = received->envelope.server;
  XACBE_RETURN_IF_ERROR(report_version(server, received->envelope.software_version));
  return this->server(server);
}

Result<management::Request> SecurityServers::receive_report(
    std::string_view body, std::string_view signature,
    const std::function<Status(const management::Request&, std::string& detail)>& store) {
  std::string actor = "unauthenticated";
  AuditNote note{"?", "", {}};
  std::optional<management::Request> out;
  const Status outcome = membership_.audit().run_audited(actor, "management.submit", note, [&]() -> Status {
    XACBE_ASSIGN_OR_RETURN(Received r,
                           receive(body, signature, {management::RequestType::kReportUsage}, actor, note.target));
    XACBE_RETURN_IF_ERROR(store(r.envelope, note.detail));
    out = std::move(r.envelope);
    return Status::ok();
  }, OnRefusal::kKeepWrites);
  if (!outcome.is_ok()) return outcome;
  return std::move(*out);
}

Result<AuthenticatedRequest> SecurityServers::authenticate(std::string_view body, std::string_view signature) {
  std::string actor = "unauthenticated";
  AuditNote note{"?", "", {}};
  std::optional<AuthenticatedRequest> out;
  const Status outcome = membership_.audit().run_audited(actor, "management.submit", note, [&]() -> Status {
    XACBE_ASSIGN_OR_RETURN(Received r, receive(body, signature,
                                               {management::RequestType::kListNotifications,
                                                management::RequestType::kAcknowledgeNotification},
                                               actor, note.target));
    out = AuthenticatedRequest{r.envelope.type, r.envelope.server, r.envelope.request_id, r.signer.serial,
                               r.envelope.notification_id};
    note.detail = std::string(management::request_type_name(out->type)) + " authenticated, answered by the API";
    return Status::ok();
  }, OnRefusal::kKeepWrites);
  if (!outcome.is_ok()) return outcome;
  return std::move(*out);
}

Status SecurityServers::check_owner_active(const id::MemberId& owner) {
  XACBE_ASSIGN_OR_RETURN(Member member, membership_.member(owner));
  if (member.state != MemberState::kActive) {
    return failed_precondition("inactive owner: member " + owner.to_string() + " is " +
                               std::string(state_name(member.state)) + "; only active members manage servers");
  }
  return Status::ok();
}

// The rules of each request type; run on receipt and again on approval.
Status SecurityServers::check_payload(const management::Request& envelope) {
  const id::SecurityServerId& server = envelope.server;
  XACBE_ASSIGN_OR_RETURN(bool registered, is_registered(server));
  switch (envelope.type) {
    case management::RequestType::kRegisterServer: {
      if (registered) return Status(Code::kAlreadyExists, "already registered: server " + server.to_string());
      if (server.to_string().size() > 64) {
        return invalid_argument("server id " + server.to_string() + " is longer than a certificate name (64)");
      }
      XACBE_RETURN_IF_ERROR(check_csr(*envelope.csr));
      if (envelope.country != kHomeCountry) {
        XACBE_ASSIGN_OR_RETURN(std::optional<std::string> permission, foreign_hosting_permission(server));
        if (!permission) {
          return permission_denied("foreign hosting: server " + server.to_string() + " is hosted in " +
                                   envelope.country + "; hosting outside MX needs the CEIQROO's recorded permission");
        }
      }
      return Status::ok();
    }
    case management::RequestType::kRegisterClient:
    case management::RequestType::kUnregisterClient:
      if (!registered) return not_found("unknown server: " + server.to_string() + " is not registered");
      return check_client_change(envelope);
    case management::RequestType::kReportVersion:
    case management::RequestType::kReportUsage:
    case management::RequestType::kListNotifications:
    case management::RequestType::kAcknowledgeNotification:
      if (!registered) return not_found("unknown server: " + server.to_string() + " is not registered");
      return Status::ok();
    case management::RequestType::kSubmitCsr:
      if (!registered) return not_found("unknown server: " + server.to_string() + " is not registered");
      if (envelope.key_usage == management::KeyUsage::kSign && server.owner().to_string().size() > 64) {
        return invalid_argument("member id " + server.owner().to_string() + " is longer than a certificate name (64)");
      }
      return check_csr(*envelope.csr);
    case management::RequestType::kRegisterAuthCertificate: {
      if (!registered) return not_found("unknown server: " + server.to_string() + " is not registered");
      const crypto::Certificate& cert = *envelope.certificate;
      Status chained = crypto::verify_chain(cert, {ca_.certificate()}, {}, clock_.now());
      if (!chained.is_ok()) return permission_denied("certificate not issued by the CEIQROO CA: " + chained.message());
      XACBE_ASSIGN_OR_RETURN(std::vector<ca::IssuedCertificate> issued, ca_.list());
      const auto it = std::find_if(issued.begin(), issued.end(),
                                   [&](const ca::IssuedCertificate& c) { return c.serial_hex == cert.serial_hex(); });
      if (it == issued.end() || it->der != cert.der() || it->profile != ca::Profile::kAuthentication) {
        return permission_denied("certificate " + cert.serial_hex() + " is not an authentication certificate of the CA");
      }
      if (it->status.kind != crypto::CertStatus::Kind::kGood) {
        return permission_denied("certificate " + cert.serial_hex() + " is revoked");
      }
      if (common_name(cert) != server.to_string()) {
        return permission_denied("certificate " + cert.serial_hex() + " does not name server " + server.to_string() +
                                 " (CN)");
      }
      XACBE_ASSIGN_OR_RETURN(store::Statement bound,
                             db_.prepare("SELECT member_id FROM member_certificate WHERE serial=?1"));
      XACBE_ASSIGN_OR_RETURN(bool exists, bound.bind(1, cert.serial_hex()).step());
      if (exists) return Status(Code::kAlreadyExists, "certificate " + cert.serial_hex() + " is already bound");
      return Status::ok();
    }
  }
  return Status::ok();
}

Result<bool> SecurityServers::is_registered(const id::SecurityServerId& server) {
  XACBE_ASSIGN_OR_RETURN(store::Statement find, db_.prepare("SELECT 1 FROM security_server WHERE id=?1"));
  return find.bind(1, server.to_string()).step();
}

Result<std::optional<std::string>> SecurityServers::foreign_hosting_permission(const id::SecurityServerId& server) {
  XACBE_ASSIGN_OR_RETURN(store::Statement find,
                         db_.prepare("SELECT reference FROM foreign_hosting_permission WHERE server_id=?1"));
  XACBE_ASSIGN_OR_RETURN(bool found, find.bind(1, server.to_string()).step());
  if (!found) return std::optional<std::string>();
  return std::optional<std::string>(find.column_text(0));
}

// ---- Decisions ----

Status SecurityServers::approve(const std::string& actor, std::int64_t id) {
  std::optional<crypto::Certificate> issued;
  AuditNote note{"request:" + std::to_string(id), "", {}};
  // The CA and the registry are separate databases: a certificate exists before the registry
  // records it. Should the recording, the audit entry or the commit fail, the certificate is
  // revoked, so that none is left unaccounted.
  note.undo_outside = [this, &issued](const Status& outcome) -> Status {
    if (!issued) return outcome;
    Status revoked = ca_.revoke(issued->serial_hex(), crypto::RevocationReason::kCessationOfOperation);
    if (revoked.is_ok()) return outcome;
    return Status(outcome.code(), outcome.message() + "; certificate " + issued->serial_hex() +
                                      " was issued but could not be revoked: " + revoked.message());
  };
  return membership_.audit().run_audited(actor, "management.approve", note, [&]() -> Status {
    if (actor.empty() || has_control_characters(actor)) return invalid_argument("an approval needs an actor");
    XACBE_ASSIGN_OR_RETURN(ManagementRequest request, this->request(id));
    if (request.state != RequestState::kPending) {
      return failed_precondition("request " + std::to_string(id) + " is already " +
                                 std::string(request_state_name(request.state)));
    }
    XACBE_ASSIGN_OR_RETURN(management::Request envelope, management::parse_request(request.body, settings_.instance));
    XACBE_RETURN_IF_ERROR(check_owner_active(envelope.server.owner()));
    XACBE_RETURN_IF_ERROR(check_payload(envelope));
    if (envelope.client) {
      note.detail = std::string(management::request_type_name(envelope.type)) + " " + envelope.client->to_string() +
                    " on " + envelope.server.to_string();
    }
    return carry_out(actor, request, envelope, issued);
  });
}

Status SecurityServers::carry_out(const std::string& actor, const ManagementRequest& request,
                                  const management::Request& envelope, std::optional<crypto::Certificate>& issued) {
  const id::SecurityServerId& server = envelope.server;
  const id::MemberId& owner = server.owner();
  ca::Profile profile = ca::Profile::kAuthentication;
  if (envelope.csr) {
    XACBE_ASSIGN_OR_RETURN(Member member, membership_.member(owner));
    profile = envelope.type == management::RequestType::kSubmitCsr ? profile_for(envelope.key_usage)
                                                                   : ca::Profile::kAuthentication;
    const std::string named = profile == ca::Profile::kSigning ? owner.to_string() : server.to_string();
    XACBE_ASSIGN_OR_RETURN(crypto::Certificate cert, ca_.issue(*envelope.csr, profile, subject_for(member.name, named)));
    issued = std::move(cert);
  }
  // The caller (approve) revokes `issued` if this change or its entry does not commit.
  return [&]() -> Status {
    const std::int64_t now = to_unix_seconds(clock_.now());
    XACBE_ASSIGN_OR_RETURN(store::Transaction tx, store::Transaction::begin(db_));
    if (envelope.type == management::RequestType::kRegisterServer) {
      XACBE_ASSIGN_OR_RETURN(store::Statement insert,
                             db_.prepare("INSERT INTO security_server(id, owner_id, address, country, software_version,"
                                         " version_reported_at, registered_at, registered_by)"
                                         " VALUES(?1,?2,?3,?4,?5,?6,?6,?7)"));
      insert.bind(1, server.to_string()).bind(2, owner.to_string()).bind(3, envelope.address);
      insert.bind(4, envelope.country).bind(5, envelope.software_version).bind(6, now).bind(7, actor);
      XACBE_RETURN_IF_ERROR(insert.run());
    }
    if (envelope.client) XACBE_RETURN_IF_ERROR(carry_out_client_change(actor, request, envelope));
    const crypto::Certificate* bound = issued ? &*issued : envelope.certificate ? &*envelope.certificate : nullptr;
    if (bound != nullptr && profile == ca::Profile::kAuthentication) {
      XACBE_RETURN_IF_ERROR(bind_auth_certificate(server, *bound));
    } else if (issued) {
      XACBE_RETURN_IF_ERROR(membership_.record_certificate(owner, {issued->serial_hex(), "sign", ""}));
    }
    XACBE_ASSIGN_OR_RETURN(store::Statement decide,
                           db_.prepare("UPDATE management_request SET state='approved', decided_at=?2, decided_by=?3,"
                                       " issued_serial=?4, issued_certificate=?5 WHERE id=?1 AND state='pending'"));
    decide.bind(1, request.id).bind(2, now).bind(3, actor);
    if (issued) decide.bind(4, issued->serial_hex()).bind_blob(5, issued->der()); else decide.bind_null(4).bind_null(5);
    XACBE_RETURN_IF_ERROR(decide.run());
    return tx.commit();
  }();
}

Status SecurityServers::bind_auth_certificate(const id::SecurityServerId& server, const crypto::Certificate& cert) {
  XACBE_RETURN_IF_ERROR(membership_.record_certificate(server.owner(), {cert.serial_hex(), "auth", server.server_code()}));
  XACBE_ASSIGN_OR_RETURN(store::Statement insert,
                         db_.prepare("INSERT INTO security_server_certificate(serial, server_id, sha256, bound_at)"
                                     " VALUES(?1,?2,?3,?4)"));
  insert.bind(1, cert.serial_hex()).bind(2, server.to_string()).bind(3, cert.sha256_fingerprint());
  return insert.bind(4, to_unix_seconds(clock_.now())).run();
}

Status SecurityServers::decline(const std::string& actor, std::int64_t id, const std::string& reason) {
  return audited(membership_.audit(), actor, "management.decline", "request:" + std::to_string(id), [&]() -> Status {
    if (actor.empty() || has_control_characters(actor)) return invalid_argument("a decision needs an actor");
    if (reason.empty() || reason.size() > 4000 || has_control_characters(reason)) {
      return invalid_argument("declining needs a reason (one line, at most 4000 bytes)");
    }
    XACBE_ASSIGN_OR_RETURN(store::Statement decide,
                           db_.prepare("UPDATE management_request SET state='declined', decided_at=?2, decided_by=?3,"
                                       " decline_reason=?4 WHERE id=?1 AND state='pending'"));
    decide.bind(1, id).bind(2, to_unix_seconds(clock_.now())).bind(3, actor).bind(4, reason);
    XACBE_RETURN_IF_ERROR(decide.run());
    if (db_.changes() == 1) return Status::ok();
    XACBE_ASSIGN_OR_RETURN(ManagementRequest request, this->request(id));
    return failed_precondition("request " + std::to_string(id) + " is already " +
                               std::string(request_state_name(request.state)));
  });
}

// ---- Hosting and update rules ----

Status SecurityServers::grant_foreign_hosting(const std::string& actor, const id::SecurityServerId& server,
                                              const std::string& reference) {
  return audited(membership_.audit(), actor, "server.grant-foreign-hosting", server.to_string(), [&]() -> Status {
    if (server.owner().instance() != settings_.instance) {
      return invalid_argument("server " + server.to_string() + " belongs to another instance");
    }
    if (reference.empty() || reference.size() > 4000 || has_control_characters(reference)) {
      return invalid_argument("a hosting permission needs a reference (one line, at most 4000 bytes)");
    }
    XACBE_ASSIGN_OR_RETURN(store::Statement insert,
                           db_.prepare("INSERT INTO foreign_hosting_permission(server_id, reference, granted_by,"
                                       " granted_at) VALUES(?1,?2,?3,?4)"));
    insert.bind(1, server.to_string()).bind(2, reference).bind(3, actor).bind(4, to_unix_seconds(clock_.now()));
    return insert.run();
  }, reference);
}

Status SecurityServers::record_release(const std::string& actor, const std::string& version, TimePoint published_at) {
  return audited(membership_.audit(), actor, "release.record", version.substr(0, 64), [&]() -> Status {
    XACBE_RETURN_IF_ERROR(validate_version(version));
    XACBE_ASSIGN_OR_RETURN(store::Statement insert,
                           db_.prepare("INSERT INTO software_release(version, published_at, recorded_by, recorded_at)"
                                       " VALUES(?1,?2,?3,?4)"));
    insert.bind(1, version).bind(2, to_unix_seconds(published_at)).bind(3, actor).bind(4, to_unix_seconds(clock_.now()));
    return insert.run();
  }, "published " + globalconf::format_time(std::chrono::floor<std::chrono::seconds>(published_at)));
}

Status SecurityServers::report_version(const id::SecurityServerId& server, const std::string& version) {
  return audited(membership_.audit(), "server:" + server.to_string(), "server.report-version", server.to_string(),
                 [&]() -> Status {
                   XACBE_RETURN_IF_ERROR(validate_version(version));
                   XACBE_ASSIGN_OR_RETURN(store::Statement update,
                                          db_.prepare("UPDATE security_server SET software_version=?2,"
                                                      " version_reported_at=?3 WHERE id=?1"));
                   update.bind(1, server.to_string()).bind(2, version).bind(3, to_unix_seconds(clock_.now()));
                   XACBE_RETURN_IF_ERROR(update.run());
                   if (db_.changes() == 0) return not_found("unknown server: " + server.to_string());
                   return Status::ok();
                 }, version.substr(0, 64));
}

// ---- Queries ----

Result<std::vector<SoftwareRelease>> SecurityServers::releases() {
  XACBE_ASSIGN_OR_RETURN(store::Statement query,
                         db_.prepare("SELECT version, published_at FROM software_release ORDER BY published_at, version"));
  std::vector<SoftwareRelease> out;
  for (;;) {
    XACBE_ASSIGN_OR_RETURN(bool row, query.step());
    if (!row) break;
    out.push_back({query.column_text(0), from_unix_seconds(query.column_int64(1))});
  }
  return out;
}

Result<std::vector<SecurityServer>> SecurityServers::list_servers() { return query_servers(std::nullopt); }

Result<SecurityServer> SecurityServers::server(const id::SecurityServerId& server) {
  XACBE_ASSIGN_OR_RETURN(std::vector<SecurityServer> found, query_servers(server));
  if (found.empty()) return not_found("unknown server: " + server.to_string());
  return std::move(found.front());
}

Result<std::vector<SecurityServer>> SecurityServers::query_servers(const std::optional<id::SecurityServerId>& only) {
  // The releases whose update deadline has passed; a server on an older one is outdated.
  XACBE_ASSIGN_OR_RETURN(std::vector<SoftwareRelease> all_releases, releases());
  std::vector<std::array<std::uint32_t, 4>> due;
  for (const auto& r : all_releases) {
    if (update_deadline(r.published_at) > clock_.now()) continue;
    XACBE_ASSIGN_OR_RETURN(auto parts, parse_version(r.version));
    due.push_back(parts);
  }
  XACBE_ASSIGN_OR_RETURN(store::Statement query,
                         db_.prepare("SELECT s.id, s.address, s.country, s.software_version, s.registered_at,"
                                     " p.reference FROM security_server s LEFT JOIN foreign_hosting_permission p"
                                     " ON p.server_id = s.id WHERE ?1 IS NULL OR s.id = ?1 ORDER BY s.id"));
  if (only) query.bind(1, only->to_string()); else query.bind_null(1);
  XACBE_ASSIGN_OR_RETURN(store::Statement certs,
                         db_.prepare("SELECT sha256 FROM security_server_certificate WHERE server_id=?1"
                                     " ORDER BY bound_at, rowid"));
  std::vector<SecurityServer> out;
  for (;;) {
    XACBE_ASSIGN_OR_RETURN(bool row, query.step());
    if (!row) break;
    XACBE_ASSIGN_OR_RETURN(id::SecurityServerId id, id::SecurityServerId::parse(query.column_text(0)));
    SecurityServer s{std::move(id), query.column_text(1), query.column_text(2), query.column_text(3), false,
                     from_unix_seconds(query.column_int64(4)), std::nullopt, {}, {}};
    if (!query.is_null(5)) s.foreign_hosting_reference = query.column_text(5);
    auto version = parse_version(s.software_version);
    if (!version) return Status(Code::kCorrupt, "stored version of " + s.id.to_string() + " is corrupt");
    s.outdated = std::any_of(due.begin(), due.end(), [&](const auto& release) { return *version < release; });
    certs.reset();
    certs.bind(1, s.id.to_string());
    for (;;) {
      XACBE_ASSIGN_OR_RETURN(bool cert_row, certs.step());
      if (!cert_row) break;
      s.auth_certificate_sha256.push_back(certs.column_text(0));
    }
    XACBE_ASSIGN_OR_RETURN(s.registered_clients, registered_clients(s.id));
    out.push_back(std::move(s));
  }
  return out;
}

Result<ManagementRequest> SecurityServers::request(std::int64_t id) {
  XACBE_ASSIGN_OR_RETURN(std::vector<ManagementRequest> found, query_requests(id, std::nullopt));
  if (found.empty()) return not_found("no management request " + std::to_string(id));
  return std::move(found.front());
}

Result<std::vector<ManagementRequest>> SecurityServers::requests(std::optional<RequestState> state) {
  return query_requests(std::nullopt, state);
}

Result<std::vector<ManagementRequest>> SecurityServers::query_requests(std::optional<std::int64_t> id,
                                                                       std::optional<RequestState> state) {
  XACBE_ASSIGN_OR_RETURN(store::Statement query,
                         db_.prepare("SELECT id, request_id, server_id, type, created_at, received_at, signer, body,"
                                     " signature, state, decided_at, decided_by, decline_reason, issued_certificate"
                                     " FROM management_request WHERE (?1 IS NULL OR id=?1) AND (?2 IS NULL OR state=?2)"
                                     " ORDER BY id"));
  if (id) query.bind(1, *id); else query.bind_null(1);
  if (state) query.bind(2, request_state_name(*state)); else query.bind_null(2);
  std::vector<ManagementRequest> out;
  for (;;) {
    XACBE_ASSIGN_OR_RETURN(bool row, query.step());
    if (!row) break;
    XACBE_ASSIGN_OR_RETURN(id::SecurityServerId server, id::SecurityServerId::parse(query.column_text(2)));
    XACBE_ASSIGN_OR_RETURN(management::RequestType type, management::parse_request_type(query.column_text(3)));
    const std::string state_text = query.column_text(9);
    const auto state_index = std::find(std::begin(kStateNames), std::end(kStateNames), state_text) - std::begin(kStateNames);
    if (state_index < 0 || static_cast<std::size_t>(state_index) >= std::size(kStateNames)) return Status(Code::kCorrupt, "stored request state is corrupt");
    ManagementRequest r{query.column_int64(0), query.column_text(1), std::move(server), type,
                        from_unix_seconds(query.column_int64(4)), from_unix_seconds(query.column_int64(5)), query.column_text(6),
                        query.column_blob(7), query.column_blob(8), static_cast<RequestState>(state_index),
                        std::nullopt, {}, {}, {}};
    if (!query.is_null(10)) r.decided_at = from_unix_seconds(query.column_int64(10));
    if (!query.is_null(11)) r.decided_by = query.column_text(11);
    if (!query.is_null(12)) r.decline_reason = query.column_text(12);
    if (!query.is_null(13)) {
      XACBE_ASSIGN_OR_RETURN(crypto::Certificate cert, crypto::Certificate::from_der(query.column_blob(13)));
      r.issued_certificate_pem = cert.pem();
    }
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace xacbe::registry
