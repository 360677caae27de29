// Receiving a management request (docs/protocol/management-requests.md): the strict parsing of
// its JSON envelope and the verification of its signature, signer, freshness and request id.
#include "management_request.hpp"

#include "xacbe/config/strict_json.hpp"

#include <arpa/inet.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cctype>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <vector>

#include "xacbe/crypto/asn1.hpp"
#include "xacbe/crypto/cms.hpp"
#include "xacbe/globalconf/global_configuration.hpp"
#include "xacbe/store/database.hpp"

namespace xacbe::registry {
namespace {

using detail::parse_version;

using Json = nlohmann::json;

constexpr std::string_view kTypeNames[] = {"register-server",    "submit-csr",         "register-auth-certificate",
                                           "report-version",     "list-notifications", "acknowledge-notification"};

// ISO 3166-1 alpha-2, the officially assigned codes.
constexpr std::string_view kCountries =
    "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY "
    "BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM "
    "FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT "
    "JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN "
    "MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT "
    "PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL "
    "TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW";

bool is_country(std::string_view code) {
  if (code.size() != 2 || code[0] < 'A' || code[0] > 'Z' || code[1] < 'A' || code[1] > 'Z') return false;
  for (std::size_t i = 0; i + 2 <= kCountries.size(); i += 3) {
    if (kCountries.substr(i, 2) == code) return true;
  }
  return false;
}

bool is_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// RFC 1123 host name: dot-separated labels of 1..63 letters, digits and hyphens, not starting or
// ending with a hyphen; 253 characters at most.
bool is_host_name(std::string_view host) {
  if (host.empty() || host.size() > 253) return false;
  std::size_t start = 0;
  while (start <= host.size()) {
    const std::size_t end = std::min(host.find('.', start), host.size());
    const std::string_view label = host.substr(start, end - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return false;
    for (char c : label) {
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') return false;
    }
    start = end + 1;
  }
  return true;
}

// "host:port" with a host name, a dotted IPv4 address or a bracketed IPv6 address; port 1..65535.
bool is_address(std::string_view address) {
  std::string_view host;
  std::string_view port;
  unsigned char buffer[16];
  if (!address.empty() && address.front() == '[') {
    const auto close = address.find("]:");
    if (close == std::string_view::npos) return false;
    const std::string literal(address.substr(1, close - 1));
    if (inet_pton(AF_INET6, literal.c_str(), buffer) != 1) return false;
    port = address.substr(close + 2);
  } else {
    const auto colon = address.rfind(':');
    if (colon == std::string_view::npos) return false;
    host = address.substr(0, colon);
    port = address.substr(colon + 1);
    const bool numeric = std::all_of(host.begin(), host.end(), [](char c) { return (c >= '0' && c <= '9') || c == '.'; });
    if (numeric ? inet_pton(AF_INET, std::string(host).c_str(), buffer) != 1 : !is_host_name(host)) return false;
  }
  if (!is_digits(port) || port.size() > 5 || port.front() == '0') return false;
  return std::stoi(std::string(port)) <= 65535;
}

// Request ids: 8..128 characters from [A-Za-z0-9._-] (a UUID or 128 random bits in hex fit).
bool is_request_id(std::string_view id) {
  return id.size() >= 8 && id.size() <= 128 && std::all_of(id.begin(), id.end(), [](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
         });
}

// Strict JSON (config::parse_json_strict): a repeated key is refused, since another reader might
// keep the other copy and the request would not say one thing.
Result<Json> parse_json(std::string_view text) {
  auto parsed = config::parse_json_strict(text);
  if (!parsed) return invalid_argument("malformed request: " + parsed.status().message());
  return std::move(parsed).value();
}

Status exact_keys(const Json& object, std::initializer_list<std::string_view> names, const std::string& where) {
  if (!object.is_object()) return invalid_argument("malformed request: '" + where + "' is not an object");
  for (const auto& [key, value] : object.items()) {
    if (std::find(names.begin(), names.end(), key) == names.end()) {
      return invalid_argument("malformed request: unknown field '" + where + "." + key + "'");
    }
  }
  for (std::string_view name : names) {
    if (!object.contains(name)) {
      return invalid_argument("malformed request: missing field '" + where + "." + std::string(name) + "'");
    }
  }
  return Status::ok();
}

Result<std::string> text(const Json& object, const char* name, const std::string& where) {
  const Json& value = object.at(name);
  if (!value.is_string()) return invalid_argument("malformed request: '" + where + "." + name + "' is not a string");
  return value.get<std::string>();
}

// The certificate of the single signer of a CMS SignedData, as embedded in it.
Result<crypto::Certificate> embedded_signer(std::string_view cms_der) {
  const auto* p = reinterpret_cast<const unsigned char*>(cms_der.data());
  crypto::CMS_ContentInfoPtr cms(d2i_CMS_ContentInfo(nullptr, &p, static_cast<long>(cms_der.size())));
  if (!cms || p != reinterpret_cast<const unsigned char*>(cms_der.data()) + cms_der.size() ||
      OBJ_obj2nid(CMS_get0_type(cms.get())) != NID_pkcs7_signed) {
    return invalid_argument(crypto::openssl_error("signature is not a DER CMS SignedData"));
  }
  STACK_OF(CMS_SignerInfo)* infos = CMS_get0_SignerInfos(cms.get());
  if (sk_CMS_SignerInfo_num(infos) != 1) return invalid_argument("signature must have exactly one signer");
  CMS_SignerInfo* info = sk_CMS_SignerInfo_value(infos, 0);
  crypto::X509StackPtr certs(reinterpret_cast<STACK_OF_X509*>(CMS_get1_certs(cms.get())));
  auto* stack = reinterpret_cast<STACK_OF(X509)*>(certs.get());
  for (int i = 0; stack != nullptr && i < sk_X509_num(stack); ++i) {
    if (CMS_SignerInfo_cert_cmp(info, sk_X509_value(stack, i)) == 0) {
      return crypto::Certificate::share(sk_X509_value(stack, i));
    }
  }
  return permission_denied("untrusted signer: the signature does not carry its signer's certificate");
}

bool is_self_signed(const crypto::Certificate& cert) {
  const bool ok = X509_check_issued(cert.get(), cert.get()) == X509_V_OK &&
                  X509_verify(cert.get(), X509_get0_pubkey(cert.get())) == 1;
  ERR_clear_error();
  return ok;
}

}  // namespace

Result<std::array<std::uint32_t, 4>> detail::parse_version(std::string_view text) {
  std::array<std::uint32_t, 4> parts{};
  std::size_t n = 0;
  std::size_t start = 0;
  for (;;) {
    const std::size_t end = std::min(text.find('.', start), text.size());
    const std::string_view part = text.substr(start, end - start);
    if (n == parts.size() || !is_digits(part) || part.size() > 9 || (part.size() > 1 && part.front() == '0')) {
      return invalid_argument("'" + std::string(text.substr(0, 64)) +
                              "' is not a release version (1 to 4 dot-separated numbers, e.g. 1.4.2)");
    }
    parts[n++] = static_cast<std::uint32_t>(std::stoul(std::string(part)));
    if (end == text.size()) break;
    start = end + 1;
  }
  return parts;
}

std::string_view request_type_name(ManagementRequestType type) { return kTypeNames[static_cast<int>(type)]; }

Result<ManagementRequestType> parse_request_type(std::string_view name) {
  for (std::size_t i = 0; i < std::size(kTypeNames); ++i) {
    if (kTypeNames[i] == name) return static_cast<ManagementRequestType>(i);
  }
  return invalid_argument("unknown request type '" + std::string(name.substr(0, 64)) +
                          "' (register-server, submit-csr, register-auth-certificate, report-version,"
                          " list-notifications, acknowledge-notification)");
}

Result<crypto::Certificate> make_bootstrap_certificate(const crypto::PrivateKey& key,
                                                       const id::SecurityServerId& server, TimePoint now) {
  XACBE_ASSIGN_OR_RETURN(crypto::X509_NAMEPtr name, crypto::make_name({{"CN", server.to_string()}}));
  crypto::X509Ptr cert(X509_new());
  auto not_before = crypto::to_asn1_time(now - std::chrono::hours(1));
  auto not_after = crypto::to_asn1_time(now + std::chrono::hours(1));
  if (!cert || X509_set_version(cert.get(), 2) != 1 || ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1) != 1 ||
      X509_set_issuer_name(cert.get(), name.get()) != 1 || X509_set_subject_name(cert.get(), name.get()) != 1 ||
      X509_set1_notBefore(cert.get(), not_before.get()) != 1 || X509_set1_notAfter(cert.get(), not_after.get()) != 1 ||
      X509_set_pubkey(cert.get(), key.get()) != 1 ||
      X509_sign(cert.get(), key.get(), crypto::signing_digest(key.get())) <= 0) {
    return internal_error(crypto::openssl_error("cannot build the bootstrap certificate"));
  }
  return crypto::Certificate::share(cert.get());
}

Result<SecurityServers::Envelope> SecurityServers::parse_envelope(std::string_view body, const std::string& instance) {
  XACBE_ASSIGN_OR_RETURN(Json j, parse_json(body));
  XACBE_RETURN_IF_ERROR(exact_keys(j, {"type", "server", "request_id", "created_at", "payload"}, "request"));
  XACBE_ASSIGN_OR_RETURN(std::string type_name, text(j, "type", "request"));
  XACBE_ASSIGN_OR_RETURN(ManagementRequestType type, parse_request_type(type_name));
  XACBE_ASSIGN_OR_RETURN(std::string server_text, text(j, "server", "request"));
  auto server = id::SecurityServerId::parse(server_text);
  if (!server) return invalid_argument("malformed request: bad server id: " + server.status().message());
  if (server->owner().instance() != instance) {
    return invalid_argument("malformed request: server " + server->to_string() + " belongs to instance " +
                            server->owner().instance() + "; this registry serves " + instance);
  }
  XACBE_ASSIGN_OR_RETURN(std::string request_id, text(j, "request_id", "request"));
  if (!is_request_id(request_id)) {
    return invalid_argument("malformed request: request_id must be 8..128 characters from [A-Za-z0-9._-]");
  }
  XACBE_ASSIGN_OR_RETURN(std::string created_text, text(j, "created_at", "request"));
  auto created = globalconf::parse_time(created_text);
  if (!created) return invalid_argument("malformed request: created_at: " + created.status().message());
  SecurityServers::Envelope e{type, std::move(server).value(), request_id, *created, {}, {}, {}, {}, {}, {}, {}};

  const Json& payload = j.at("payload");
  auto parse_csr = [&](const std::string& pem) -> Status {
    auto csr = crypto::CertificateRequest::parse(pem);
    if (!csr) return invalid_argument("malformed request: CSR: " + csr.status().message());
    e.csr = std::move(csr).value();
    return Status::ok();
  };
  switch (type) {
    case ManagementRequestType::kRegisterServer: {
      XACBE_RETURN_IF_ERROR(exact_keys(payload, {"address", "country", "software_version", "auth_csr"}, "payload"));
      XACBE_ASSIGN_OR_RETURN(e.address, text(payload, "address", "payload"));
      XACBE_ASSIGN_OR_RETURN(e.country, text(payload, "country", "payload"));
      XACBE_ASSIGN_OR_RETURN(e.software_version, text(payload, "software_version", "payload"));
      XACBE_ASSIGN_OR_RETURN(std::string pem, text(payload, "auth_csr", "payload"));
      if (!is_address(e.address)) return invalid_argument("malformed request: address must be host:port");
      if (!is_country(e.country)) {
        return invalid_argument("malformed request: country must be an ISO 3166-1 alpha-2 code such as MX");
      }
      auto version = parse_version(e.software_version);
      if (!version) return invalid_argument("malformed request: software_version: " + version.status().message());
      XACBE_RETURN_IF_ERROR(parse_csr(pem));
      break;
    }
    case ManagementRequestType::kSubmitCsr: {
      XACBE_RETURN_IF_ERROR(exact_keys(payload, {"key_usage", "csr"}, "payload"));
      XACBE_ASSIGN_OR_RETURN(std::string usage, text(payload, "key_usage", "payload"));
      if (usage != "auth" && usage != "sign") return invalid_argument("malformed request: key_usage is auth or sign");
      e.key_usage = usage == "auth" ? ca::Profile::kAuthentication : ca::Profile::kSigning;
      XACBE_ASSIGN_OR_RETURN(std::string pem, text(payload, "csr", "payload"));
      XACBE_RETURN_IF_ERROR(parse_csr(pem));
      break;
    }
    case ManagementRequestType::kRegisterAuthCertificate: {
      XACBE_RETURN_IF_ERROR(exact_keys(payload, {"certificate"}, "payload"));
      XACBE_ASSIGN_OR_RETURN(std::string pem, text(payload, "certificate", "payload"));
      auto cert = crypto::Certificate::from_pem(pem);
      if (!cert) return invalid_argument("malformed request: certificate: " + cert.status().message());
      e.certificate = std::move(cert).value();
      break;
    }
    case ManagementRequestType::kReportVersion: {
      XACBE_RETURN_IF_ERROR(exact_keys(payload, {"version"}, "payload"));
      XACBE_ASSIGN_OR_RETURN(e.software_version, text(payload, "version", "payload"));
      auto version = parse_version(e.software_version);
      if (!version) return invalid_argument("malformed request: version: " + version.status().message());
      break;
    }
    case ManagementRequestType::kListNotifications:
      XACBE_RETURN_IF_ERROR(exact_keys(payload, {}, "payload"));
      break;
    case ManagementRequestType::kAcknowledgeNotification: {
      XACBE_RETURN_IF_ERROR(exact_keys(payload, {"notification_id"}, "payload"));
      const Json& id = payload.at("notification_id");
      if (!id.is_number_unsigned() || id.get<std::uint64_t>() == 0 ||
          id.get<std::uint64_t>() > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
        return invalid_argument("malformed request: 'payload.notification_id' is not a positive integer");
      }
      e.notification_id = static_cast<std::int64_t>(id.get<std::uint64_t>());
      break;
    }
  }
  return e;
}

// Checks 1 to 13 of docs/protocol/management-requests.md, everything but storing or acting on the
// request. `actor` and `target` are set for the audit entry as soon as they are known.
Result<SecurityServers::Received> SecurityServers::receive(std::string_view body, std::string_view signature,
                                                           std::initializer_list<ManagementRequestType> accepted,
                                                           std::string& actor, std::string& target) {
  if (signature.empty()) return permission_denied("unsigned request: a management request needs a CMS signature");
  if (body.size() > kMaxManagementRequestBytes || signature.size() > kMaxManagementRequestBytes) {
    return invalid_argument("malformed request: request or signature over 64 KiB");
  }
  XACBE_ASSIGN_OR_RETURN(Envelope envelope, parse_envelope(body, settings_.instance));
  target = envelope.server.to_string();
  if (std::find(accepted.begin(), accepted.end(), envelope.type) == accepted.end()) {
    return invalid_argument("malformed request: a " + std::string(request_type_name(envelope.type)) +
                            " request is not handled by this operation");
  }
  XACBE_ASSIGN_OR_RETURN(Signer signer, verify_signer(envelope, body, signature));
  actor = "server:" + target;
  XACBE_RETURN_IF_ERROR(check_fresh(envelope));
  XACBE_RETURN_IF_ERROR(remember_request_id(envelope));
  XACBE_RETURN_IF_ERROR(check_owner_active(envelope.server.owner()));
  XACBE_RETURN_IF_ERROR(check_signer_status(signer));
  XACBE_RETURN_IF_ERROR(check_payload(envelope));
  return Received{std::move(envelope), std::move(signer)};
}

Result<SecurityServers::Signer> SecurityServers::verify_signer(const Envelope& envelope, std::string_view body,
                                                              std::string_view signature) {
  const TimePoint now = clock_.now();
  XACBE_ASSIGN_OR_RETURN(crypto::Certificate signer, embedded_signer(signature));
  const crypto::Certificate& root = ca_.certificate();

  if (is_self_signed(signer) && signer.der() != root.der()) {
    // Bootstrap: proof of possession of the key of the CSR the register-server carries.
    if (envelope.type != ManagementRequestType::kRegisterServer) {
      return permission_denied("untrusted signer: a self-signed certificate may sign only the first "
                               "register-server request of a server");
    }
    auto verified = crypto::cms_verify_detached(signature, body, {signer}, now);
    if (!verified) return permission_denied("signature does not match the request: " + verified.status().message());
    crypto::EVP_PKEYPtr csr_key = envelope.csr->public_key();
    if (EVP_PKEY_eq(X509_get0_pubkey(signer.get()), csr_key.get()) != 1) {
      ERR_clear_error();
      return permission_denied("wrong signer: a bootstrap request must be signed with the key of its auth_csr");
    }
    return Signer{true, {}};
  }

  Status chained = crypto::verify_chain(signer, {root}, {}, now);
  if (!chained.is_ok()) {
    return permission_denied("untrusted signer: " + signer.subject() + " is not a valid certificate of the CEIQROO CA (" +
                             chained.message() + ")");
  }
  auto verified = crypto::cms_verify_detached(signature, body, {root}, now);
  if (!verified) return permission_denied("signature does not match the request: " + verified.status().message());

  // The signer must be a certificate recorded for the owner member: its signing certificate, or an
  // authentication certificate bound to this very server.
  const std::string serial = signer.serial_hex();
  XACBE_ASSIGN_OR_RETURN(store::Statement find, db_.prepare("SELECT member_id, profile, server_code FROM"
                                                            " member_certificate WHERE serial=?1"));
  find.bind(1, serial);
  XACBE_ASSIGN_OR_RETURN(bool found, find.step());
  const std::string owner = envelope.server.owner().to_string();
  if (!found) {
    return permission_denied("wrong signer: certificate " + serial + " is not recorded for any member");
  }
  if (find.column_text(0) != owner) {
    return permission_denied("wrong signer: certificate " + serial + " belongs to " + find.column_text(0) +
                             ", not to " + owner);
  }
  if (find.column_text(1) == "auth" && (find.is_null(2) || find.column_text(2) != envelope.server.server_code())) {
    return permission_denied("wrong signer: authentication certificate " + serial + " is bound to server " +
                             owner + "/" + (find.is_null(2) ? "?" : find.column_text(2)) + ", not to " +
                             envelope.server.to_string());
  }
  return Signer{false, serial};
}

Status SecurityServers::check_fresh(const Envelope& envelope) const {
  const auto skew = std::chrono::abs(std::chrono::floor<std::chrono::seconds>(clock_.now()) - envelope.created_at);
  if (skew > settings_.freshness) {
    return permission_denied("stale request: created_at " + globalconf::format_time(envelope.created_at) +
                             " is " + std::to_string(skew.count()) + " s from the registry's clock (limit " +
                             std::to_string(settings_.freshness.count()) + " s)");
  }
  return Status::ok();
}

// Request ids of authenticated requests are kept for good: a second use is a replay, whatever
// happened to the first.
Status SecurityServers::remember_request_id(const Envelope& envelope) {
  XACBE_ASSIGN_OR_RETURN(store::Statement insert,
                         db_.prepare("INSERT OR IGNORE INTO management_request_id(server_id, request_id, created_at,"
                                     " seen_at) VALUES(?1,?2,?3,?4)"));
  insert.bind(1, envelope.server.to_string()).bind(2, envelope.request_id);
  insert.bind(3, to_unix_seconds(envelope.created_at)).bind(4, to_unix_seconds(clock_.now()));
  XACBE_RETURN_IF_ERROR(insert.run());
  if (db_.changes() == 0) {
    return Status(Code::kAlreadyExists, "replayed request: request_id " + envelope.request_id +
                                            " was already used by " + envelope.server.to_string());
  }
  return Status::ok();
}

Status SecurityServers::check_signer_status(const Signer& signer) {
  if (signer.bootstrap) return Status::ok();
  XACBE_ASSIGN_OR_RETURN(crypto::CertStatus status, ca_.status(signer.serial));
  if (status.kind != crypto::CertStatus::Kind::kGood) {
    return permission_denied("revoked signer: certificate " + signer.serial + " is " +
                             (status.kind == crypto::CertStatus::Kind::kRevoked
                                  ? std::string("revoked (") + crypto::reason_name(status.reason) + ")"
                                  : std::string("unknown to the CA")));
  }
  return Status::ok();
}

}  // namespace xacbe::registry
