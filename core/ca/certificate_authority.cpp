#include "xacbe/ca/certificate_authority.hpp"

#include <arpa/inet.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cctype>

#include "database_owner.hpp"
#include "status_query.hpp"
#include "xacbe/crypto/asn1.hpp"
#include "xacbe/crypto/encoding.hpp"
#include "xacbe/id/host_name.hpp"
#include "xacbe/log/log.hpp"
#include "xacbe/store/database.hpp"

namespace xacbe::ca {
namespace {

using crypto::Certificate;
using crypto::CertStatus;
using crypto::RevocationReason;

// Append-only: docs/protocol/certificates.md describes these tables. Their version is the "ca" row
// of schema_versions (before that, PRAGMA user_version, which is adopted).
constexpr const char* kSchemaModule = "ca";
const std::vector<std::string> kMigrations = {
    R"(CREATE TABLE ca_certificate(
         serial TEXT PRIMARY KEY,
         profile TEXT NOT NULL,
         subject TEXT NOT NULL,
         not_before INTEGER NOT NULL,
         not_after INTEGER NOT NULL,
         issued_at INTEGER NOT NULL,
         der BLOB NOT NULL,
         revoked_at INTEGER,
         reason INTEGER);
       CREATE TABLE ca_revocation_event(
         id INTEGER PRIMARY KEY,
         serial TEXT NOT NULL REFERENCES ca_certificate(serial),
         at INTEGER NOT NULL,
         action TEXT NOT NULL CHECK(action IN ('revoke','release')),
         reason INTEGER);)",
    // 2: the CA certificate the database belongs to, so that it is never used beside another
    // CA's certificate. Filled by open(): on creation, or when an older database is adopted.
    R"(CREATE TABLE ca_identity(
         id INTEGER PRIMARY KEY CHECK(id = 1),
         certificate_sha256 TEXT NOT NULL CHECK(length(certificate_sha256) = 64),
         recorded_at INTEGER NOT NULL);)",
};

// A positive 127-bit random serial (RFC 5280 4.1.2.2: at most 20 octets, positive).
crypto::ASN1_INTEGERPtr random_serial() {
  std::string bytes = crypto::random_bytes(16);
  bytes[0] = static_cast<char>((static_cast<unsigned char>(bytes[0]) & 0x7f) | 0x40);
  return std::move(crypto::serial_from_hex(crypto::to_hex(bytes))).value();
}

Status add_extension(X509* cert, X509V3_CTX* ctx, int nid, const std::string& value) {
  crypto::X509_EXTENSIONPtr ext(X509V3_EXT_conf_nid(nullptr, ctx, nid, value.c_str()));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) {
    return internal_error(crypto::openssl_error(std::string("cannot add extension ") + OBJ_nid2sn(nid)));
  }
  return Status::ok();
}

struct ProfileExtensions {
  std::string key_usage;
  std::string extended_key_usage;  // empty: none
  bool ocsp_nocheck = false;
  bool aia = false;
};

ProfileExtensions extensions_for(Profile profile, bool rsa) {
  switch (profile) {
    case Profile::kAuthentication:
      return {rsa ? "critical,digitalSignature,keyEncipherment" : "critical,digitalSignature",
              "serverAuth,clientAuth", false, true};
    case Profile::kSigning: return {"critical,nonRepudiation", "", false, true};
    case Profile::kOcspResponder: return {"critical,digitalSignature", "OCSPSigning", true, false};
    case Profile::kTimestamping:
      return {"critical,digitalSignature,nonRepudiation", "critical,timeStamping", false, false};
    case Profile::kService:
      return {rsa ? "critical,digitalSignature,keyEncipherment" : "critical,digitalSignature", "serverAuth", false,
              true};
  }
  return {};
}

std::chrono::hours validity_for(Profile profile, const CaSettings& s) {
  switch (profile) {
    case Profile::kAuthentication: return s.auth_validity;
    case Profile::kSigning: return s.sign_validity;
    case Profile::kOcspResponder: return s.ocsp_validity;
    case Profile::kTimestamping: return s.tsa_validity;
    case Profile::kService: return s.service_validity;
  }
  return s.auth_validity;
}

// An operator's entry as a message may show it: bounded, printable.
std::string shown(std::string_view text) {
  std::string out;
  for (char c : text.substr(0, 64)) out.push_back(c > 0x20 && c < 0x7f ? c : '?');
  return text.size() > 64 ? out + "..." : out;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
  });
}

// The subjectAltName value in OpenSSL's configuration syntax ("DNS:a,IP:b"), after the rules of
// SubjectAltNames. Entries hold only letters, digits, '-', '.' and ':' once checked, so none can
// break out of that syntax; addresses are written in inet_ntop's canonical form.
Result<std::string> subject_alt_name_value(const SubjectAltNames& names) {
  const std::size_t count = names.dns.size() + names.ip.size();
  if (count == 0) return invalid_argument("a service certificate needs at least one DNS name or IP address");
  if (count > kMaxSubjectAltNames) {
    return invalid_argument("a service certificate takes at most " + std::to_string(kMaxSubjectAltNames) +
                            " DNS names and IP addresses, not " + std::to_string(count));
  }
  std::string value;
  for (std::size_t i = 0; i < names.dns.size(); ++i) {
    const std::string& name = names.dns[i];
    if (name.find('*') != std::string::npos) {
      return invalid_argument("DNS name '" + shown(name) + "': wildcards are not issued");
    }
    // RFC 1123 2.1: a host name never ends in a numeric label, so it cannot be read as an address.
    const std::size_t dot = name.rfind('.');
    const std::string_view last = std::string_view(name).substr(dot == std::string::npos ? 0 : dot + 1);
    const bool numeric_tld = !last.empty() && last.find_first_not_of("0123456789") == std::string_view::npos;
    if (!id::is_host_name(name) || numeric_tld) {
      return invalid_argument("DNS name '" + shown(name) + "' is not an RFC 1123 host name" +
                              (numeric_tld ? " (an IP address is given as an IP entry)" : ""));
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (iequals(names.dns[j], name)) return invalid_argument("DNS name '" + shown(name) + "' is given twice");
    }
    value += (value.empty() ? "DNS:" : ",DNS:") + name;
  }
  std::vector<std::string> seen;
  for (const std::string& text : names.ip) {
    const auto address = id::parse_ip_address(text);
    if (!address) return invalid_argument("'" + shown(text) + "' is not an IPv4 or IPv6 address");
    if (std::find(seen.begin(), seen.end(), *address) != seen.end()) {
      return invalid_argument("IP address '" + shown(text) + "' is given twice");
    }
    seen.push_back(*address);
    char canonical[INET6_ADDRSTRLEN];
    if (inet_ntop(address->size() == 4 ? AF_INET : AF_INET6, address->data(), canonical, sizeof canonical) == nullptr) {
      return internal_error("cannot write IP address '" + shown(text) + "'");
    }
    value += (value.empty() ? "IP:" : ",IP:") + std::string(canonical);
  }
  return value;
}

// Sets version, serial, names, validity and key of a new certificate.
Status fill_basics(X509* cert, ASN1_INTEGER* serial, const X509_NAME* issuer, const X509_NAME* subject,
                   std::chrono::sys_seconds not_before, std::chrono::sys_seconds not_after, EVP_PKEY* key) {
  auto nb = crypto::to_asn1_time(not_before);
  auto na = crypto::to_asn1_time(not_after);
  if (!nb || !na) return invalid_argument("certificate validity outside what X.509 can encode (year 9999 at most)");
  if (X509_set_version(cert, 2) != 1 || X509_set_serialNumber(cert, serial) != 1 ||
      X509_set_issuer_name(cert, issuer) != 1 || X509_set_subject_name(cert, subject) != 1 ||
      X509_set1_notBefore(cert, nb.get()) != 1 || X509_set1_notAfter(cert, na.get()) != 1 ||
      X509_set_pubkey(cert, key) != 1) {
    return internal_error(crypto::openssl_error("cannot build certificate"));
  }
  return Status::ok();
}

// Checks that `db` belongs to `cert` and records it as the owner when nothing is recorded yet (a
// new database, or one made before schema version 2, which is adopted in place). The root's own
// serial is recorded too, so that no issued certificate can reuse it. One transaction: two
// programs opening a new database at once cannot record two owners.
Status claim_database(store::Database& db, const Certificate& cert, const Clock& clock) {
  XACBE_ASSIGN_OR_RETURN(store::Transaction tx, store::Transaction::begin(db));
  XACBE_ASSIGN_OR_RETURN(detail::DatabaseOwner owner, detail::read_owner(db));
  XACBE_RETURN_IF_ERROR(detail::check_owner(owner, cert));
  if (!owner.recorded_sha256) {
    XACBE_ASSIGN_OR_RETURN(store::Statement record,
                           db.prepare("INSERT INTO ca_identity(id, certificate_sha256, recorded_at) VALUES(1,?1,?2)"));
    XACBE_RETURN_IF_ERROR(record.bind(1, cert.sha256_fingerprint()).bind(2, to_unix_seconds(clock.now())).run());
  }
  XACBE_ASSIGN_OR_RETURN(store::Statement insert,
                         db.prepare("INSERT OR IGNORE INTO ca_certificate(serial, profile, subject, not_before,"
                                    " not_after, issued_at, der) VALUES(?1,'root',?2,?3,?4,?3,?5)"));
  insert.bind(1, cert.serial_hex()).bind(2, cert.subject()).bind(3, to_unix_seconds(cert.not_before()));
  insert.bind(4, to_unix_seconds(cert.not_after())).bind_blob(5, cert.der());
  XACBE_RETURN_IF_ERROR(insert.run());
  XACBE_RETURN_IF_ERROR(tx.commit());
  if (!owner.recorded_sha256 && owner.has_certificates) {
    log::warn("CA database adopted: it now records that it belongs to the CA certificate {} (SHA-256 {})",
              cert.subject(), cert.sha256_fingerprint());
  }
  return Status::ok();
}

}  // namespace

const char* profile_name(Profile profile) {
  switch (profile) {
    case Profile::kAuthentication: return "auth";
    case Profile::kSigning: return "sign";
    case Profile::kOcspResponder: return "ocsp";
    case Profile::kTimestamping: return "tsa";
    case Profile::kService: return "service";
  }
  return "?";
}

Result<Profile> parse_profile(std::string_view name) {
  for (Profile p : {Profile::kAuthentication, Profile::kSigning, Profile::kOcspResponder, Profile::kTimestamping,
                    Profile::kService}) {
    if (name == profile_name(p)) return p;
  }
  return invalid_argument("unknown certificate profile '" + shown(name) + "' (auth, sign, ocsp, tsa or service)");
}

Result<RootMaterial> create_root(crypto::KeyType type, const crypto::DistinguishedName& subject,
                                 std::chrono::hours validity, const Clock& clock) {
  return create_root(type, subject, std::chrono::floor<std::chrono::seconds>(clock.now()) + validity, clock);
}

Result<RootMaterial> create_root(crypto::KeyType type, const crypto::DistinguishedName& subject,
                                 std::chrono::sys_seconds not_after, const Clock& clock) {
  const std::chrono::sys_seconds now = std::chrono::floor<std::chrono::seconds>(clock.now());
  if (not_after <= now) return invalid_argument("the root certificate would expire before it is valid");
  XACBE_ASSIGN_OR_RETURN(crypto::PrivateKey key, crypto::PrivateKey::generate(type));
  XACBE_ASSIGN_OR_RETURN(crypto::X509_NAMEPtr name, crypto::make_name(subject));
  crypto::X509Ptr cert(X509_new());
  XACBE_RETURN_IF_ERROR(fill_basics(cert.get(), random_serial().get(), name.get(), name.get(), now, not_after,
                                    key.get()));
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
  XACBE_RETURN_IF_ERROR(add_extension(cert.get(), &ctx, NID_basic_constraints, "critical,CA:TRUE"));
  XACBE_RETURN_IF_ERROR(add_extension(cert.get(), &ctx, NID_key_usage, "critical,keyCertSign,cRLSign"));
  XACBE_RETURN_IF_ERROR(add_extension(cert.get(), &ctx, NID_subject_key_identifier, "hash"));
  if (X509_sign(cert.get(), key.get(), crypto::signing_digest(key.get())) <= 0) {
    return internal_error(crypto::openssl_error("cannot sign root certificate"));
  }
  return RootMaterial{std::move(key), Certificate::share(cert.get())};
}

CertificateAuthority::CertificateAuthority(std::unique_ptr<store::Database> db, crypto::PrivateKey key,
                                           Certificate cert, CaSettings settings, const Clock& clock)
    : db_(std::move(db)), key_(std::move(key)), cert_(std::move(cert)), settings_(std::move(settings)),
      clock_(clock) {}

CertificateAuthority::~CertificateAuthority() = default;

Result<std::unique_ptr<CertificateAuthority>> CertificateAuthority::open(std::unique_ptr<store::Database> db,
                                                                         crypto::PrivateKey key, Certificate cert,
                                                                         CaSettings settings, const Clock& clock) {
  if (X509_check_private_key(cert.get(), key.get()) != 1) {
    return invalid_argument(crypto::openssl_error("CA key does not match the CA certificate"));
  }
  if (!cert.is_ca()) return invalid_argument("CA certificate " + cert.subject() + " is not a CA certificate");
  XACBE_RETURN_IF_ERROR(db->migrate(kSchemaModule, kMigrations, store::LegacyVersion::user_version()));
  XACBE_RETURN_IF_ERROR(claim_database(*db, cert, clock));
  return std::unique_ptr<CertificateAuthority>(
      new CertificateAuthority(std::move(db), std::move(key), std::move(cert), std::move(settings), clock));
}

Result<Certificate> CertificateAuthority::issue(const crypto::CertificateRequest& csr, Profile profile,
                                                const crypto::DistinguishedName& subject,
                                                const SubjectAltNames& alt_names,
                                                std::optional<std::chrono::sys_seconds> chosen_not_after) {
  std::string alt_name_value;
  if (profile == Profile::kService) {
    XACBE_ASSIGN_OR_RETURN(alt_name_value, subject_alt_name_value(alt_names));
  } else if (!alt_names.dns.empty() || !alt_names.ip.empty()) {
    return invalid_argument(std::string("DNS names and IP addresses are issued only in service certificates, not in ") +
                            profile_name(profile) + " certificates");
  }
  XACBE_RETURN_IF_ERROR(csr.verify());
  XACBE_ASSIGN_OR_RETURN(crypto::X509_NAMEPtr name, crypto::make_name(subject));
  if (X509_NAME_entry_count(name.get()) == 0) return invalid_argument("certificate subject is empty");
  crypto::EVP_PKEYPtr public_key = csr.public_key();
  const bool rsa = EVP_PKEY_get_base_id(public_key.get()) == EVP_PKEY_RSA;
  // Whole seconds throughout: a certificate may be valid until 9999-12-31T23:59:59Z, which a
  // nanosecond TimePoint cannot hold.
  const std::chrono::sys_seconds now = std::chrono::floor<std::chrono::seconds>(clock_.now());
  if (cert_.not_after() <= now) return failed_precondition("the CA certificate has expired");
  if (chosen_not_after && *chosen_not_after <= now) {
    return invalid_argument("the certificate would expire before it is valid");
  }
  // A certificate never outlives its issuer.
  const std::chrono::sys_seconds not_after =
      std::min(chosen_not_after.value_or(now + validity_for(profile, settings_)), cert_.not_after());

  std::lock_guard lock(mu_);
  for (int attempt = 0; attempt < 4; ++attempt) {
    crypto::X509Ptr cert(X509_new());
    crypto::ASN1_INTEGERPtr serial = random_serial();
    XACBE_RETURN_IF_ERROR(fill_basics(cert.get(), serial.get(), X509_get_subject_name(cert_.get()), name.get(),
                                      now, not_after, public_key.get()));
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, cert_.get(), cert.get(), nullptr, nullptr, 0);
    const ProfileExtensions ext = extensions_for(profile, rsa);
    XACBE_RETURN_IF_ERROR(add_extension(cert.get(), &ctx, NID_basic_constraints, "critical,CA:FALSE"));
    XACBE_RETURN_IF_ERROR(add_extension(cert.get(), &ctx, NID_key_usage, ext.key_usage));
    if (!ext.extended_key_usage.empty()) {
      XACBE_RETURN_IF_ERROR(add_extension(cert.get(), &ctx, NID_ext_key_usage, ext.extended_key_usage));
    }
    XACBE_RETURN_IF_ERROR(add_extension(cert.get(), &ctx, NID_subject_key_identifier, "hash"));
    XACBE_RETURN_IF_ERROR(add_extension(cert.get(), &ctx, NID_authority_key_identifier, "keyid:always"));
    if (ext.ocsp_nocheck) {
      XACBE_RETURN_IF_ERROR(add_extension(cert.get(), &ctx, NID_id_pkix_OCSP_noCheck, "ignored"));
    }
    if (!alt_name_value.empty()) {
      XACBE_RETURN_IF_ERROR(add_extension(cert.get(), &ctx, NID_subject_alt_name, alt_name_value));
    }
    if (ext.aia && !settings_.ocsp_url.empty()) {
      XACBE_RETURN_IF_ERROR(add_extension(cert.get(), &ctx, NID_info_access, "OCSP;URI:" + settings_.ocsp_url));
    }
    if (X509_sign(cert.get(), key_.get(), crypto::signing_digest(key_.get())) <= 0) {
      return internal_error(crypto::openssl_error("cannot sign certificate"));
    }
    Certificate issued = Certificate::share(cert.get());
    XACBE_ASSIGN_OR_RETURN(store::Statement insert,
                           db_->prepare("INSERT INTO ca_certificate(serial, profile, subject, not_before, not_after,"
                                        " issued_at, der) VALUES(?1,?2,?3,?4,?5,?6,?7)"));
    insert.bind(1, issued.serial_hex()).bind(2, profile_name(profile)).bind(3, issued.subject());
    insert.bind(4, to_unix_seconds(now)).bind(5, to_unix_seconds(not_after)).bind(6, to_unix_seconds(now));
    insert.bind_blob(7, issued.der());
    Status st = insert.run();
    if (st.is_ok()) return issued;
    // A serial collision is astronomically unlikely, but the store, not chance, guarantees uniqueness.
    if (st.code() != Code::kAlreadyExists) return st;
  }
  return internal_error("could not draw an unused serial number");
}

Status CertificateAuthority::revoke(const std::string& serial_hex, RevocationReason reason) {
  if (reason == RevocationReason::kRemoveFromCrl) {
    return invalid_argument("removeFromCRL is not a revocation reason; release the hold instead");
  }
  std::lock_guard lock(mu_);
  XACBE_ASSIGN_OR_RETURN(CertStatus current, detail::query_status(*db_, serial_hex));
  if (current.kind == CertStatus::Kind::kUnknown) return not_found("no certificate with serial " + serial_hex);
  if (serial_hex == cert_.serial_hex()) return failed_precondition("the CA cannot revoke its own root");
  if (current.kind == CertStatus::Kind::kRevoked &&
      !(current.reason == RevocationReason::kCertificateHold && reason != RevocationReason::kCertificateHold)) {
    return failed_precondition("certificate " + serial_hex + " is already revoked (" +
                               crypto::reason_name(current.reason) + ")");
  }
  // A held certificate that is then revoked for good keeps its original revocation time (RFC 5280 5.3.2).
  const std::int64_t at = current.kind == CertStatus::Kind::kRevoked ? to_unix_seconds(current.revoked_at)
                                                                     : to_unix_seconds(clock_.now());
  XACBE_ASSIGN_OR_RETURN(store::Transaction tx, store::Transaction::begin(*db_));
  XACBE_ASSIGN_OR_RETURN(store::Statement update,
                         db_->prepare("UPDATE ca_certificate SET revoked_at=?2, reason=?3 WHERE serial=?1"));
  update.bind(1, serial_hex).bind(2, at).bind(3, static_cast<std::int64_t>(reason));
  XACBE_RETURN_IF_ERROR(update.run());
  XACBE_ASSIGN_OR_RETURN(store::Statement event,
                         db_->prepare("INSERT INTO ca_revocation_event(serial, at, action, reason)"
                                      " VALUES(?1,?2,'revoke',?3)"));
  event.bind(1, serial_hex).bind(2, to_unix_seconds(clock_.now())).bind(3, static_cast<std::int64_t>(reason));
  XACBE_RETURN_IF_ERROR(event.run());
  return tx.commit();
}

Status CertificateAuthority::release_hold(const std::string& serial_hex) {
  std::lock_guard lock(mu_);
  XACBE_ASSIGN_OR_RETURN(CertStatus current, detail::query_status(*db_, serial_hex));
  if (current.kind == CertStatus::Kind::kUnknown) return not_found("no certificate with serial " + serial_hex);
  if (current.kind != CertStatus::Kind::kRevoked || current.reason != RevocationReason::kCertificateHold) {
    return failed_precondition("certificate " + serial_hex + " is not on hold");
  }
  XACBE_ASSIGN_OR_RETURN(store::Transaction tx, store::Transaction::begin(*db_));
  XACBE_ASSIGN_OR_RETURN(store::Statement update,
                         db_->prepare("UPDATE ca_certificate SET revoked_at=NULL, reason=NULL WHERE serial=?1"));
  XACBE_RETURN_IF_ERROR(update.bind(1, serial_hex).run());
  XACBE_ASSIGN_OR_RETURN(store::Statement event,
                         db_->prepare("INSERT INTO ca_revocation_event(serial, at, action) VALUES(?1,?2,'release')"));
  XACBE_RETURN_IF_ERROR(event.bind(1, serial_hex).bind(2, to_unix_seconds(clock_.now())).run());
  return tx.commit();
}

Result<CertStatus> CertificateAuthority::status(const std::string& serial_hex) {
  std::lock_guard lock(mu_);
  return detail::query_status(*db_, serial_hex);
}

Result<std::vector<IssuedCertificate>> CertificateAuthority::list() {
  std::lock_guard lock(mu_);
  XACBE_ASSIGN_OR_RETURN(store::Statement select,
                         db_->prepare("SELECT serial, profile, subject, not_before, not_after, revoked_at, reason, der"
                                      " FROM ca_certificate WHERE profile <> 'root' ORDER BY issued_at, serial"));
  std::vector<IssuedCertificate> out;
  for (;;) {
    XACBE_ASSIGN_OR_RETURN(bool row, select.step());
    if (!row) break;
    IssuedCertificate c;
    c.serial_hex = select.column_text(0);
    c.profile = parse_profile(select.column_text(1)).value();
    c.subject = select.column_text(2);
    c.not_before = sys_seconds_from_unix(select.column_int64(3));
    c.not_after = sys_seconds_from_unix(select.column_int64(4));
    if (select.is_null(5)) {
      c.status.kind = CertStatus::Kind::kGood;
    } else {
      c.status = {CertStatus::Kind::kRevoked, sys_seconds_from_unix(select.column_int64(5)),
                  static_cast<RevocationReason>(select.column_int64(6))};
    }
    c.der = select.column_blob(7);
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace xacbe::ca
