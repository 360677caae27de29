#include "xacbe/registry/security_servers.hpp"

#include <arpa/inet.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>

#include "xacbe/ca/certificate_authority.hpp"
#include "xacbe/calendar/business_calendar.hpp"
#include "xacbe/crypto/asn1.hpp"
#include "xacbe/crypto/cms.hpp"
#include "xacbe/crypto/csr.hpp"
#include "xacbe/globalconf/global_configuration.hpp"
#include "xacbe/registry/membership.hpp"
#include "xacbe/store/database.hpp"

namespace xacbe::registry {
namespace {

using Json = nlohmann::json;

constexpr std::string_view kTypeNames[] = {"register-server",    "submit-csr",         "register-auth-certificate",
                                           "report-version",     "list-notifications", "acknowledge-notification"};
constexpr std::string_view kStateNames[] = {"pending", "approved", "declined"};
constexpr std::string_view kBootstrap = "bootstrap";
constexpr std::string_view kAutoApproval = "policy:auto-approval";

// ISO 3166-1 alpha-2, the officially assigned codes.
constexpr std::string_view kCountries =
    "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY "
    "BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM "
    "FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT "
    "JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN "
    "MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT "
    "PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL "
    "TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW";

std::int64_t unix_seconds(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}
std::int64_t unix_seconds(std::chrono::sys_seconds t) { return t.time_since_epoch().count(); }
TimePoint from_unix(std::int64_t s) { return TimePoint(std::chrono::seconds(s)); }

bool has_control_characters(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

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

Result<std::array<std::uint32_t, 4>> parse_version(std::string_view text) {
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

// Strict JSON: one value, valid UTF-8, no repeated key in any object (nlohmann keeps the last of
// repeated keys; another reader may keep the first, so such a request would not say one thing).
Result<Json> parse_json(std::string_view text) {
  std::vector<std::set<std::string>> keys;
  std::string repeated;
  Json::parser_callback_t check = [&](int, Json::parse_event_t event, Json& parsed) {
    if (event == Json::parse_event_t::object_start) keys.emplace_back();
    if (event == Json::parse_event_t::object_end && !keys.empty()) keys.pop_back();
    if (event == Json::parse_event_t::key && !keys.empty() && !keys.back().insert(parsed.get<std::string>()).second &&
        repeated.empty()) {
      repeated = parsed.get<std::string>();
    }
    return true;
  };
  Json j = Json::parse(text.begin(), text.end(), check, /*allow_exceptions=*/false);
  if (j.is_discarded()) return invalid_argument("malformed request: not valid JSON");
  if (!repeated.empty()) return invalid_argument("malformed request: repeated key '" + repeated + "'");
  return j;
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

// Key strength first, so that a weak key is reported as such, then the CSR's self-signature.
Status check_csr(const crypto::CertificateRequest& csr) {
  crypto::EVP_PKEYPtr key = csr.public_key();
  XACBE_RETURN_IF_ERROR(crypto::check_key_strength(key.get()));
  return csr.verify();
}

template <typename Op>
Status audited(AuditTrail& audit, const std::string& actor, const std::string& action, const std::string& target,
               Op&& op, const std::string& detail = {}) {
  Status outcome = op();
  Status logged = audit.record(actor, action, target, outcome, detail);
  if (outcome.is_ok() && !logged.is_ok()) return logged;
  return outcome;
}

}  // namespace

struct SecurityServers::Envelope {
  ManagementRequestType type;
  id::SecurityServerId server;
  std::string request_id;
  // Whole seconds, years 1970..9999: compared with the clock in seconds, since years past 2262 do
  // not fit a nanosecond TimePoint.
  std::chrono::sys_seconds created_at;
  std::string address;           // register-server
  std::string country;           // register-server
  std::string software_version;  // register-server, report-version
  std::optional<crypto::CertificateRequest> csr;   // register-server, submit-csr
  ca::Profile key_usage = ca::Profile::kAuthentication;  // submit-csr
  std::optional<crypto::Certificate> certificate;  // register-auth-certificate
  std::optional<std::int64_t> notification_id;     // acknowledge-notification
};

struct SecurityServers::Signer {
  bool bootstrap = false;
  std::string serial;  // of the CEIQROO certificate, unless bootstrap
  std::string label() const { return bootstrap ? std::string(kBootstrap) : serial; }
};

struct SecurityServers::Received {
  Envelope envelope;
  Signer signer;
};

std::string_view request_type_name(ManagementRequestType type) { return kTypeNames[static_cast<int>(type)]; }

Result<ManagementRequestType> parse_request_type(std::string_view name) {
  for (std::size_t i = 0; i < std::size(kTypeNames); ++i) {
    if (kTypeNames[i] == name) return static_cast<ManagementRequestType>(i);
  }
  return invalid_argument("unknown request type '" + std::string(name.substr(0, 64)) +
                          "' (register-server, submit-csr, register-auth-certificate, report-version,"
                          " list-notifications, acknowledge-notification)");
}

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

SecurityServers::SecurityServers(store::Database& db, const Clock& clock, Membership& membership,
                                 ca::CertificateAuthority& ca, SecurityServerSettings settings)
    : db_(db), clock_(clock), membership_(membership), ca_(ca), settings_(std::move(settings)) {}

// ---- Receiving a request ----

Result<ManagementRequest> SecurityServers::submit(std::string_view body, std::string_view signature) {
  std::string actor = "unauthenticated";
  std::string target = "?";
  std::int64_t id = 0;
  bool auto_approve = false;
  Status outcome = [&]() -> Status {
    XACBE_ASSIGN_OR_RETURN(Received received,
                           receive(body, signature,
                                   {ManagementRequestType::kRegisterServer, ManagementRequestType::kSubmitCsr,
                                    ManagementRequestType::kRegisterAuthCertificate},
                                   actor, target));
    const Envelope& envelope = received.envelope;
    const Signer& signer = received.signer;
    XACBE_ASSIGN_OR_RETURN(store::Statement insert,
                           db_.prepare("INSERT INTO management_request(server_id, request_id, type, created_at,"
                                       " received_at, signer, body, signature, state)"
                                       " VALUES(?1,?2,?3,?4,?5,?6,?7,?8,'pending')"));
    insert.bind(1, target).bind(2, envelope.request_id).bind(3, request_type_name(envelope.type));
    insert.bind(4, unix_seconds(envelope.created_at)).bind(5, unix_seconds(clock_.now())).bind(6, signer.label());
    insert.bind_blob(7, body).bind_blob(8, signature);
    XACBE_RETURN_IF_ERROR(insert.run());
    id = db_.last_insert_rowid();
    auto_approve = settings_.auto_approve_csrs && envelope.type == ManagementRequestType::kSubmitCsr;
    return Status::ok();
  }();
  Status logged = membership_.audit().record(actor, "management.submit", target, outcome,
                                             id == 0 ? "" : "request " + std::to_string(id) + " pending");
  if (!outcome.is_ok()) return outcome;
  if (!logged.is_ok()) return logged;
  // A refused auto-approval leaves the request pending for an administrator; the refusal is audited.
  if (auto_approve) (void)approve(std::string(kAutoApproval), id);
  return request(id);
}

Result<SecurityServer> SecurityServers::report(std::string_view body, std::string_view signature) {
  std::string actor = "unauthenticated";
  std::string target = "?";
  std::optional<Received> received;
  Status outcome = [&]() -> Status {
    XACBE_ASSIGN_OR_RETURN(Received r, receive(body, signature, {ManagementRequestType::kReportVersion}, actor, target));
    received = std::move(r);
    return Status::ok();
  }();
  Status logged = membership_.audit().record(actor, "management.submit", target, outcome,
                                             received ? "report-version applied" : "");
  if (!outcome.is_ok()) return outcome;
  if (!logged.is_ok()) return logged;
  const id::SecurityServerId& server = received->envelope.server;
  XACBE_RETURN_IF_ERROR(report_version(server, received->envelope.software_version));
  return this->server(server);
}

Result<AuthenticatedRequest> SecurityServers::authenticate(std::string_view body, std::string_view signature) {
  std::string actor = "unauthenticated";
  std::string target = "?";
  std::optional<AuthenticatedRequest> out;
  Status outcome = [&]() -> Status {
    XACBE_ASSIGN_OR_RETURN(Received r, receive(body, signature,
                                               {ManagementRequestType::kListNotifications,
                                                ManagementRequestType::kAcknowledgeNotification},
                                               actor, target));
    out = AuthenticatedRequest{r.envelope.type, r.envelope.server, r.envelope.request_id, r.signer.serial,
                               r.envelope.notification_id};
    return Status::ok();
  }();
  Status logged = membership_.audit().record(
      actor, "management.submit", target, outcome,
      out ? std::string(request_type_name(out->type)) + " authenticated, answered by the API" : "");
  if (!outcome.is_ok()) return outcome;
  if (!logged.is_ok()) return logged;
  return std::move(*out);
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
  insert.bind(3, unix_seconds(envelope.created_at)).bind(4, unix_seconds(clock_.now()));
  XACBE_RETURN_IF_ERROR(insert.run());
  if (db_.changes() == 0) {
    return Status(Code::kAlreadyExists, "replayed request: request_id " + envelope.request_id +
                                            " was already used by " + envelope.server.to_string());
  }
  return Status::ok();
}

Status SecurityServers::check_owner_active(const id::MemberId& owner) {
  XACBE_ASSIGN_OR_RETURN(Member member, membership_.member(owner));
  if (member.state != MemberState::kActive) {
    return failed_precondition("inactive owner: member " + owner.to_string() + " is " +
                               std::string(state_name(member.state)) + "; only active members manage servers");
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

// The rules of each request type; run on receipt and again on approval.
Status SecurityServers::check_payload(const Envelope& envelope) {
  const id::SecurityServerId& server = envelope.server;
  XACBE_ASSIGN_OR_RETURN(bool registered, is_registered(server));
  switch (envelope.type) {
    case ManagementRequestType::kRegisterServer: {
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
    case ManagementRequestType::kReportVersion:
    case ManagementRequestType::kListNotifications:
    case ManagementRequestType::kAcknowledgeNotification:
      if (!registered) return not_found("unknown server: " + server.to_string() + " is not registered");
      return Status::ok();
    case ManagementRequestType::kSubmitCsr:
      if (!registered) return not_found("unknown server: " + server.to_string() + " is not registered");
      if (envelope.key_usage == ca::Profile::kSigning && server.owner().to_string().size() > 64) {
        return invalid_argument("member id " + server.owner().to_string() + " is longer than a certificate name (64)");
      }
      return check_csr(*envelope.csr);
    case ManagementRequestType::kRegisterAuthCertificate: {
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
  return audited(membership_.audit(), actor, "management.approve", "request:" + std::to_string(id), [&]() -> Status {
    if (actor.empty() || has_control_characters(actor)) return invalid_argument("an approval needs an actor");
    XACBE_ASSIGN_OR_RETURN(ManagementRequest request, this->request(id));
    if (request.state != RequestState::kPending) {
      return failed_precondition("request " + std::to_string(id) + " is already " +
                                 std::string(request_state_name(request.state)));
    }
    XACBE_ASSIGN_OR_RETURN(Envelope envelope, parse_envelope(request.body, settings_.instance));
    XACBE_RETURN_IF_ERROR(check_owner_active(envelope.server.owner()));
    XACBE_RETURN_IF_ERROR(check_payload(envelope));
    return carry_out(actor, request, envelope);
  });
}

Status SecurityServers::carry_out(const std::string& actor, const ManagementRequest& request,
                                  const Envelope& envelope) {
  const id::SecurityServerId& server = envelope.server;
  const id::MemberId& owner = server.owner();
  std::optional<crypto::Certificate> issued;
  ca::Profile profile = ca::Profile::kAuthentication;
  if (envelope.csr) {
    XACBE_ASSIGN_OR_RETURN(Member member, membership_.member(owner));
    profile = envelope.type == ManagementRequestType::kSubmitCsr ? envelope.key_usage : ca::Profile::kAuthentication;
    const std::string named = profile == ca::Profile::kSigning ? owner.to_string() : server.to_string();
    XACBE_ASSIGN_OR_RETURN(crypto::Certificate cert, ca_.issue(*envelope.csr, profile, subject_for(member.name, named)));
    issued = std::move(cert);
  }
  // The CA and the registry are separate databases: the certificate exists before the registry
  // records it. Should recording fail, the certificate is revoked so that none is left unaccounted.
  Status recorded = [&]() -> Status {
    const std::int64_t now = unix_seconds(clock_.now());
    XACBE_ASSIGN_OR_RETURN(store::Transaction tx, store::Transaction::begin(db_));
    if (envelope.type == ManagementRequestType::kRegisterServer) {
      XACBE_ASSIGN_OR_RETURN(store::Statement insert,
                             db_.prepare("INSERT INTO security_server(id, owner_id, address, country, software_version,"
                                         " version_reported_at, registered_at, registered_by)"
                                         " VALUES(?1,?2,?3,?4,?5,?6,?6,?7)"));
      insert.bind(1, server.to_string()).bind(2, owner.to_string()).bind(3, envelope.address);
      insert.bind(4, envelope.country).bind(5, envelope.software_version).bind(6, now).bind(7, actor);
      XACBE_RETURN_IF_ERROR(insert.run());
    }
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
  if (!recorded.is_ok() && issued) {
    Status revoked = ca_.revoke(issued->serial_hex(), crypto::RevocationReason::kCessationOfOperation);
    if (!revoked.is_ok()) {
      return Status(recorded.code(), recorded.message() + "; certificate " + issued->serial_hex() +
                                         " was issued but could not be revoked: " + revoked.message());
    }
  }
  return recorded;
}

Status SecurityServers::bind_auth_certificate(const id::SecurityServerId& server, const crypto::Certificate& cert) {
  XACBE_RETURN_IF_ERROR(membership_.record_certificate(server.owner(), {cert.serial_hex(), "auth", server.server_code()}));
  XACBE_ASSIGN_OR_RETURN(store::Statement insert,
                         db_.prepare("INSERT INTO security_server_certificate(serial, server_id, sha256, bound_at)"
                                     " VALUES(?1,?2,?3,?4)"));
  insert.bind(1, cert.serial_hex()).bind(2, server.to_string()).bind(3, cert.sha256_fingerprint());
  return insert.bind(4, unix_seconds(clock_.now())).run();
}

Status SecurityServers::decline(const std::string& actor, std::int64_t id, const std::string& reason) {
  return audited(membership_.audit(), actor, "management.decline", "request:" + std::to_string(id), [&]() -> Status {
    if (actor.empty() || has_control_characters(actor)) return invalid_argument("a decision needs an actor");
    if (reason.empty() || reason.size() > 4000 || has_control_characters(reason)) {
      return invalid_argument("declining needs a reason (one line, at most 4000 characters)");
    }
    XACBE_ASSIGN_OR_RETURN(store::Statement decide,
                           db_.prepare("UPDATE management_request SET state='declined', decided_at=?2, decided_by=?3,"
                                       " decline_reason=?4 WHERE id=?1 AND state='pending'"));
    decide.bind(1, id).bind(2, unix_seconds(clock_.now())).bind(3, actor).bind(4, reason);
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
      return invalid_argument("a hosting permission needs a reference (one line, at most 4000 characters)");
    }
    XACBE_ASSIGN_OR_RETURN(store::Statement insert,
                           db_.prepare("INSERT INTO foreign_hosting_permission(server_id, reference, granted_by,"
                                       " granted_at) VALUES(?1,?2,?3,?4)"));
    insert.bind(1, server.to_string()).bind(2, reference).bind(3, actor).bind(4, unix_seconds(clock_.now()));
    return insert.run();
  }, reference);
}

Status SecurityServers::record_release(const std::string& actor, const std::string& version, TimePoint published_at) {
  return audited(membership_.audit(), actor, "release.record", version.substr(0, 64), [&]() -> Status {
    XACBE_RETURN_IF_ERROR(validate_version(version));
    XACBE_ASSIGN_OR_RETURN(store::Statement insert,
                           db_.prepare("INSERT INTO software_release(version, published_at, recorded_by, recorded_at)"
                                       " VALUES(?1,?2,?3,?4)"));
    insert.bind(1, version).bind(2, unix_seconds(published_at)).bind(3, actor).bind(4, unix_seconds(clock_.now()));
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
                   update.bind(1, server.to_string()).bind(2, version).bind(3, unix_seconds(clock_.now()));
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
    out.push_back({query.column_text(0), from_unix(query.column_int64(1))});
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
                     from_unix(query.column_int64(4)), std::nullopt, {}};
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
    XACBE_ASSIGN_OR_RETURN(ManagementRequestType type, parse_request_type(query.column_text(3)));
    const std::string state_text = query.column_text(9);
    const auto state_index = std::find(std::begin(kStateNames), std::end(kStateNames), state_text) - std::begin(kStateNames);
    if (state_index < 0 || static_cast<std::size_t>(state_index) >= std::size(kStateNames)) return Status(Code::kCorrupt, "stored request state is corrupt");
    ManagementRequest r{query.column_int64(0), query.column_text(1), std::move(server), type,
                        from_unix(query.column_int64(4)), from_unix(query.column_int64(5)), query.column_text(6),
                        query.column_blob(7), query.column_blob(8), static_cast<RequestState>(state_index),
                        std::nullopt, {}, {}, {}};
    if (!query.is_null(10)) r.decided_at = from_unix(query.column_int64(10));
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
