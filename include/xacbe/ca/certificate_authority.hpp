#pragma once
// The CEIQROO certificate authority: a self-signed root that issues, from CSRs, the five profiles
// of the Xacbe trust model, and records every certificate and revocation in SQLite.
// Profiles (docs/protocol/certificates.md):
//   auth     security-server authentication (TLS client and server), bound to one security server
//   sign     member signing certificate for e-stamps (nonRepudiation), bound to one member
//   ocsp     delegated OCSP responder (EKU OCSPSigning, id-pkix-ocsp-nocheck, short life)
//   tsa      time-stamping unit (single critical EKU timeStamping)
//   service  TLS server certificate of a CEIQROO service (registry, TSA, OCSP) or of a security
//            server's client interface: EKU serverAuth, the DNS names and IP addresses clients
//            reach it by in subjectAltName

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "xacbe/clock.hpp"
#include "xacbe/crypto/cert_status.hpp"
#include "xacbe/crypto/certificate.hpp"
#include "xacbe/crypto/csr.hpp"
#include "xacbe/crypto/key.hpp"
#include "xacbe/result.hpp"

namespace xacbe::store {
class Database;
}

namespace xacbe::ca {

enum class Profile { kAuthentication, kSigning, kOcspResponder, kTimestamping, kService };

const char* profile_name(Profile profile);         // "auth", "sign", "ocsp", "tsa", "service"
Result<Profile> parse_profile(std::string_view name);

// The subjectAltName of a service certificate (RFC 5280 4.2.1.6): the names TLS clients check
// (RFC 6125). DNS names are RFC 1123 host names whose last label is not numeric, without
// wildcards; IP addresses are IPv4 dotted quads or IPv6 literals (xacbe/id/host_name.hpp). At
// least one entry, at most kMaxSubjectAltNames in all, none twice (DNS names compare without
// regard to case, addresses by value).
struct SubjectAltNames {
  std::vector<std::string> dns;
  std::vector<std::string> ip;
};
inline constexpr std::size_t kMaxSubjectAltNames = 32;

struct CaSettings {
  // Written into the AuthorityInfoAccess of auth and sign certificates; empty omits it.
  std::string ocsp_url;
  std::chrono::hours auth_validity = std::chrono::hours(24 * 365 * 2);
  std::chrono::hours sign_validity = std::chrono::hours(24 * 365 * 2);
  std::chrono::hours ocsp_validity = std::chrono::hours(24 * 30);
  std::chrono::hours tsa_validity = std::chrono::hours(24 * 365 * 5);
  std::chrono::hours service_validity = std::chrono::hours(24 * 365);
};

struct IssuedCertificate {
  std::string serial_hex;
  Profile profile;
  std::string subject;
  std::chrono::sys_seconds not_before;  // whole seconds, up to year 9999 (clock.hpp)
  std::chrono::sys_seconds not_after;
  crypto::CertStatus status;
  std::string der;
};

struct RootMaterial {
  crypto::PrivateKey key;
  crypto::Certificate cert;
};

// Generates a root key and its self-signed certificate (CA:TRUE, keyCertSign|cRLSign), valid from
// clock.now() (floored to the second) for `validity`.
Result<RootMaterial> create_root(crypto::KeyType type, const crypto::DistinguishedName& subject,
                                 std::chrono::hours validity, const Clock& clock);
// The same, valid until `not_after` (at most 9999-12-31T23:59:59Z, RFC 5280 section 4.1.2.5).
Result<RootMaterial> create_root(crypto::KeyType type, const crypto::DistinguishedName& subject,
                                 std::chrono::sys_seconds not_after, const Clock& clock);

class CertificateAuthority {
 public:
  // `db` holds (or will hold, after migration) the CA tables. Thread-safe. A database records the
  // SHA-256 of the CA certificate it was made for (docs/protocol/certificates.md, "CA database"):
  // one made for another certificate is refused (kFailedPrecondition, naming both fingerprints);
  // a new one, or one made before the record existed whose root rows are this certificate's, is
  // claimed for `cert` (an adoption is logged).
  static Result<std::unique_ptr<CertificateAuthority>> open(std::unique_ptr<store::Database> db,
                                                            crypto::PrivateKey key,
                                                            crypto::Certificate cert,
                                                            CaSettings settings, const Clock& clock);
  ~CertificateAuthority();

  // Verifies the CSR (signature, key strength), ignores its subject in favour of `subject`, and
  // issues a certificate of `profile` with a fresh random serial that was never used before,
  // valid from now (floored to the second) for the profile's validity, or until `not_after` when
  // given (any time up to 9999-12-31T23:59:59Z). Never past the CA certificate's own notAfter.
  // `alt_names` is required for the service profile and refused for every other
  // (kInvalidArgument, naming the first bad entry).
  Result<crypto::Certificate> issue(const crypto::CertificateRequest& csr, Profile profile,
                                    const crypto::DistinguishedName& subject,
                                    const SubjectAltNames& alt_names = {},
                                    std::optional<std::chrono::sys_seconds> not_after = std::nullopt);

  // Revokes a certificate this CA issued. kCertificateHold puts it on hold (release_hold undoes
  // that); any other reason is final. Revoking a revoked certificate is kFailedPrecondition.
  Status revoke(const std::string& serial_hex, crypto::RevocationReason reason);
  Status release_hold(const std::string& serial_hex);

  Result<crypto::CertStatus> status(const std::string& serial_hex);
  Result<std::vector<IssuedCertificate>> list();

  const crypto::Certificate& certificate() const { return cert_; }

 private:
  CertificateAuthority(std::unique_ptr<store::Database> db, crypto::PrivateKey key,
                       crypto::Certificate cert, CaSettings settings, const Clock& clock);
  std::mutex mu_;
  std::unique_ptr<store::Database> db_;  // guarded by mu_
  crypto::PrivateKey key_;
  crypto::Certificate cert_;
  CaSettings settings_;
  const Clock& clock_;
};

// The OCSP responder's view of a CA database: a read-only connection to the file the CA writes,
// so a revocation is visible to the next request.
class CaStatusSource final : public crypto::CertStatusSource {
 public:
  // Refuses (kInvalidArgument) a file that is not a CA database and (kFailedPrecondition) the
  // database of another CA than `ca_certificate`, by the rule CertificateAuthority::open applies.
  static Result<std::unique_ptr<CaStatusSource>> open(const std::string& db_path,
                                                      const crypto::Certificate& ca_certificate);
  ~CaStatusSource() override;
  Result<crypto::CertStatus> lookup(const std::string& serial_hex) override;

 private:
  explicit CaStatusSource(std::unique_ptr<store::Database> db);
  std::mutex mu_;
  std::unique_ptr<store::Database> db_;  // guarded by mu_
};

}  // namespace xacbe::ca
