#include "xacbe/ca/certificate_authority.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <ostream>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "support/temp_dir.hpp"
#include "support/test_pki.hpp"
#include "xacbe/crypto/asn1.hpp"
#include "xacbe/crypto/encoding.hpp"
#include "xacbe/store/database.hpp"

namespace xacbe::ca {
namespace {

using namespace std::chrono_literals;
using crypto::CertificateRequest;
using crypto::CertStatus;
using crypto::KeyType;
using crypto::PrivateKey;
using crypto::RevocationReason;

const TimePoint kStart = TimePoint(std::chrono::sys_days(std::chrono::year(2032) / 5 / 1)) + 8h;
const crypto::DistinguishedName kRootSubject = {{"C", "MX"}, {"O", "CEIQROO"}, {"CN", "CEIQROO Root"}};
const crypto::DistinguishedName kSubject = {{"C", "MX"}, {"O", "PGJ"}, {"CN", "SS1"}};
constexpr std::chrono::hours kRootValidity{24 * 365 * 10};

template <typename T>
T must(Result<T> r) {
  EXPECT_TRUE(r) << r.status().to_string();
  if (!r) throw std::runtime_error(r.status().to_string());
  return std::move(r).value();
}

// Extension inspection in OpenSSL terms, so the checks do not trust our own code.
std::vector<int> extended_key_usages(const crypto::Certificate& cert) {
  std::vector<int> out;
  auto* eku = static_cast<EXTENDED_KEY_USAGE*>(X509_get_ext_d2i(cert.get(), NID_ext_key_usage, nullptr, nullptr));
  if (eku == nullptr) return out;
  for (int i = 0; i < sk_ASN1_OBJECT_num(eku); ++i) out.push_back(OBJ_obj2nid(sk_ASN1_OBJECT_value(eku, i)));
  EXTENDED_KEY_USAGE_free(eku);
  return out;
}

bool extension_critical(const crypto::Certificate& cert, int nid) {
  const int index = X509_get_ext_by_NID(cert.get(), nid, -1);
  return index >= 0 && X509_EXTENSION_get_critical(X509_get_ext(cert.get(), index)) == 1;
}

bool has_extension(const crypto::Certificate& cert, int nid) {
  return X509_get_ext_by_NID(cert.get(), nid, -1) >= 0;
}

std::vector<std::string> ocsp_urls(const crypto::Certificate& cert) {
  std::vector<std::string> out;
  STACK_OF(OPENSSL_STRING)* urls = X509_get1_ocsp(cert.get());
  for (int i = 0; i < sk_OPENSSL_STRING_num(urls); ++i) out.emplace_back(sk_OPENSSL_STRING_value(urls, i));
  X509_email_free(urls);
  return out;
}

// The subjectAltName entries in order, as "DNS:name" and "IP:" + hex of the address octets.
std::vector<std::string> alt_names(const crypto::Certificate& cert) {
  std::vector<std::string> out;
  auto* names = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert.get(), NID_subject_alt_name, nullptr, nullptr));
  if (names == nullptr) return out;
  for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, i);
    if (name->type == GEN_DNS) {
      out.push_back("DNS:" + std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(name->d.dNSName)),
                                         static_cast<std::size_t>(ASN1_STRING_length(name->d.dNSName))));
    } else if (name->type == GEN_IPADD) {
      const std::string octets(reinterpret_cast<const char*>(ASN1_STRING_get0_data(name->d.iPAddress)),
                               static_cast<std::size_t>(ASN1_STRING_length(name->d.iPAddress)));
      out.push_back("IP:" + crypto::to_hex(octets));
    } else {
      out.push_back("other");
    }
  }
  GENERAL_NAMES_free(names);
  return out;
}

std::string csr_der_with_raw_key(EVP_PKEY* key) {
  crypto::X509_REQPtr req(X509_REQ_new());
  auto name = crypto::make_name({{"CN", "weak"}});
  EXPECT_TRUE(name);
  X509_REQ_set_subject_name(req.get(), name->get());
  X509_REQ_set_pubkey(req.get(), key);
  EXPECT_GT(X509_REQ_sign(req.get(), key, EVP_sha256()), 0);
  unsigned char* der = nullptr;
  const int n = i2d_X509_REQ(req.get(), &der);
  std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(n));
  OPENSSL_free(der);
  return out;
}

// A second CA, as another CA directory holds one.
RootMaterial other_root() {
  ManualClock clock(kStart);
  return must(create_root(KeyType::kEcP256, {{"C", "MX"}, {"O", "Other"}, {"CN", "Other Root"}}, kRootValidity, clock));
}

class CertificateAuthorityTest : public ::testing::Test {
 protected:
  CertificateAuthorityTest() {
    settings_.ocsp_url = "http://ocsp.ceiqroo.test/";
    settings_.auth_validity = 24h * 700;
    settings_.sign_validity = 24h * 600;
    settings_.ocsp_validity = 24h * 30;
    settings_.tsa_validity = 24h * 1000;
    ca_ = open_ca(settings_);
  }

  std::unique_ptr<CertificateAuthority> open_ca(const CaSettings& settings) {
    auto db = must(store::Database::open(db_path()));
    return must(CertificateAuthority::open(std::move(db), must(PrivateKey::from_pem(root_.key.to_pem())), root_.cert,
                                           settings, clock_));
  }

  std::string db_path() const { return dir_.file("ca.db"); }

  // ca.db as a release before schema_versions and ca_identity left it.
  void make_version_1_without_schema_versions() {
    auto db = must(store::Database::open(db_path()));
    ASSERT_TRUE(db->exec("DROP TABLE ca_identity; DROP TABLE schema_versions; PRAGMA user_version=1").is_ok());
  }

  static std::string recorded_owner(store::Database& db) {
    auto select = db.prepare("SELECT certificate_sha256 FROM ca_identity");
    if (!select) return "";
    auto row = select->step();
    return row && *row ? select->column_text(0) : "";
  }

  static std::int64_t root_rows(store::Database& db) {
    auto select = must(db.prepare("SELECT count(*) FROM ca_certificate WHERE profile='root'"));
    EXPECT_TRUE(must(select.step()));
    return select.column_int64(0);
  }

  CertificateRequest csr(KeyType type = KeyType::kEcP256) {
    return must(CertificateRequest::create(must(PrivateKey::generate(type)), {{"CN", "ignored by the CA"}}));
  }

  crypto::Certificate issue(Profile profile = Profile::kAuthentication) {
    return must(ca_->issue(csr_, profile, kSubject));
  }

  CertStatus status_of(const std::string& serial) { return must(ca_->status(serial)); }

  testing::TempDir dir_;
  ManualClock clock_{kStart};
  RootMaterial root_ = must(create_root(KeyType::kEcP256, kRootSubject, kRootValidity, clock_));
  CaSettings settings_;
  std::unique_ptr<CertificateAuthority> ca_;
  CertificateRequest csr_ = csr();
};

TEST(CreateRootTest, MakesSelfSignedCaCertificate) {
  for (KeyType type : {KeyType::kEcP256, KeyType::kEcP384, KeyType::kRsa2048}) {
    ManualClock clock(kStart);
    auto root = create_root(type, kRootSubject, kRootValidity, clock);
    ASSERT_TRUE(root) << root.status().to_string();
    const crypto::Certificate& cert = root->cert;
    EXPECT_EQ(cert.subject(), "CN=CEIQROO Root,O=CEIQROO,C=MX");
    EXPECT_EQ(cert.issuer(), cert.subject());
    EXPECT_TRUE(cert.is_ca());
    EXPECT_TRUE(extension_critical(cert, NID_basic_constraints));
    EXPECT_EQ(X509_get_key_usage(cert.get()), static_cast<std::uint32_t>(KU_KEY_CERT_SIGN | KU_CRL_SIGN));
    EXPECT_TRUE(extension_critical(cert, NID_key_usage));
    EXPECT_EQ(cert.not_before(), kStart);
    EXPECT_EQ(cert.not_after(), kStart + kRootValidity);
    EXPECT_EQ(X509_check_private_key(cert.get(), root->key.get()), 1);
    EXPECT_TRUE(crypto::verify_chain(cert, {cert}, {}, kStart + 1h).is_ok());
  }
}

TEST(CreateRootTest, RefusesBadSubject) {
  ManualClock clock(kStart);
  auto root = create_root(KeyType::kEcP256, {{"CN", ""}}, kRootValidity, clock);
  ASSERT_FALSE(root);
  EXPECT_EQ(root.status().code(), Code::kInvalidArgument);
}

TEST_F(CertificateAuthorityTest, OpenRefusesKeyThatDoesNotMatchTheCertificate) {
  auto db = must(store::Database::open(dir_.file("other.db")));
  auto ca = CertificateAuthority::open(std::move(db), must(PrivateKey::generate(KeyType::kEcP256)), root_.cert,
                                       settings_, clock_);
  ASSERT_FALSE(ca);
  EXPECT_EQ(ca.status().code(), Code::kInvalidArgument);
}

TEST_F(CertificateAuthorityTest, OpenRefusesNonCaCertificate) {
  const PrivateKey leaf_key = must(PrivateKey::generate(KeyType::kEcP256));
  const crypto::Certificate leaf =
      must(ca_->issue(must(CertificateRequest::create(leaf_key, kSubject)), Profile::kAuthentication, kSubject));
  auto db = must(store::Database::open(dir_.file("other.db")));
  auto ca =
      CertificateAuthority::open(std::move(db), must(PrivateKey::from_pem(leaf_key.to_pem())), leaf, settings_, clock_);
  ASSERT_FALSE(ca);
  EXPECT_EQ(ca.status().code(), Code::kInvalidArgument);
}

TEST(ProfileTest, NamesRoundTrip) {
  for (Profile p : {Profile::kAuthentication, Profile::kSigning, Profile::kOcspResponder, Profile::kTimestamping,
                    Profile::kService}) {
    auto parsed = parse_profile(profile_name(p));
    ASSERT_TRUE(parsed) << profile_name(p);
    EXPECT_EQ(*parsed, p);
  }
  EXPECT_STREQ(profile_name(Profile::kAuthentication), "auth");
  EXPECT_STREQ(profile_name(Profile::kTimestamping), "tsa");
  EXPECT_STREQ(profile_name(Profile::kService), "service");
  for (const char* bad : {"", "root", "AUTH", "signing"}) EXPECT_FALSE(parse_profile(bad)) << bad;
}

TEST_F(CertificateAuthorityTest, IssuesAuthenticationCertificate) {
  const crypto::Certificate cert = issue(Profile::kAuthentication);
  EXPECT_EQ(cert.subject(), "CN=SS1,O=PGJ,C=MX");  // the CA's subject, not the CSR's
  EXPECT_EQ(cert.issuer(), root_.cert.subject());
  EXPECT_FALSE(cert.is_ca());
  EXPECT_TRUE(extension_critical(cert, NID_basic_constraints));
  EXPECT_EQ(X509_get_key_usage(cert.get()), static_cast<std::uint32_t>(KU_DIGITAL_SIGNATURE));
  EXPECT_TRUE(extension_critical(cert, NID_key_usage));
  EXPECT_EQ(extended_key_usages(cert), (std::vector<int>{NID_server_auth, NID_client_auth}));
  EXPECT_FALSE(has_extension(cert, NID_id_pkix_OCSP_noCheck));
  EXPECT_EQ(ocsp_urls(cert), std::vector<std::string>{"http://ocsp.ceiqroo.test/"});
  EXPECT_TRUE(has_extension(cert, NID_authority_key_identifier));
  EXPECT_TRUE(has_extension(cert, NID_subject_key_identifier));
  EXPECT_EQ(cert.not_before(), kStart);
  EXPECT_EQ(cert.not_after(), kStart + settings_.auth_validity);
  EXPECT_EQ(X509_verify(cert.get(), X509_get0_pubkey(root_.cert.get())), 1);
  EXPECT_TRUE(crypto::verify_chain(cert, {root_.cert}, {}, kStart + 1h).is_ok());
  crypto::EVP_PKEYPtr csr_key = csr_.public_key();
  EXPECT_EQ(EVP_PKEY_eq(X509_get0_pubkey(cert.get()), csr_key.get()), 1);
}

TEST_F(CertificateAuthorityTest, AuthenticationCertificateForRsaKeyAllowsKeyEncipherment) {
  const crypto::Certificate cert = must(ca_->issue(csr(KeyType::kRsa2048), Profile::kAuthentication, kSubject));
  EXPECT_EQ(X509_get_key_usage(cert.get()), static_cast<std::uint32_t>(KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT));
}

TEST_F(CertificateAuthorityTest, IssuesSigningCertificate) {
  const crypto::Certificate cert = issue(Profile::kSigning);
  EXPECT_EQ(X509_get_key_usage(cert.get()), static_cast<std::uint32_t>(KU_NON_REPUDIATION));
  EXPECT_TRUE(extension_critical(cert, NID_key_usage));
  EXPECT_TRUE(extended_key_usages(cert).empty());
  EXPECT_EQ(ocsp_urls(cert), std::vector<std::string>{"http://ocsp.ceiqroo.test/"});
  EXPECT_FALSE(has_extension(cert, NID_id_pkix_OCSP_noCheck));
  EXPECT_EQ(cert.not_after(), kStart + settings_.sign_validity);
}

TEST_F(CertificateAuthorityTest, IssuesOcspResponderCertificate) {
  const crypto::Certificate cert = issue(Profile::kOcspResponder);
  EXPECT_EQ(X509_get_key_usage(cert.get()), static_cast<std::uint32_t>(KU_DIGITAL_SIGNATURE));
  EXPECT_EQ(extended_key_usages(cert), std::vector<int>{NID_OCSP_sign});
  // RFC 6960 section 4.2.2.2.1: the responder's own certificate is not checked by OCSP.
  EXPECT_TRUE(has_extension(cert, NID_id_pkix_OCSP_noCheck));
  EXPECT_TRUE(ocsp_urls(cert).empty());
  EXPECT_EQ(cert.not_after(), kStart + settings_.ocsp_validity);
}

TEST_F(CertificateAuthorityTest, IssuesTimestampingCertificateWithSingleCriticalEku) {
  const crypto::Certificate cert = issue(Profile::kTimestamping);
  // RFC 3161 section 2.3: exactly one EKU, id-kp-timeStamping, marked critical.
  EXPECT_EQ(extended_key_usages(cert), std::vector<int>{NID_time_stamp});
  EXPECT_TRUE(extension_critical(cert, NID_ext_key_usage));
  EXPECT_EQ(X509_get_key_usage(cert.get()), static_cast<std::uint32_t>(KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION));
  EXPECT_FALSE(has_extension(cert, NID_id_pkix_OCSP_noCheck));
  EXPECT_TRUE(ocsp_urls(cert).empty());
  EXPECT_EQ(cert.not_after(), kStart + settings_.tsa_validity);
  EXPECT_EQ(X509_check_purpose(cert.get(), X509_PURPOSE_TIMESTAMP_SIGN, 0), 1);
}

TEST_F(CertificateAuthorityTest, IssuesServiceCertificateWithExactlyTheGivenNames) {
  settings_.service_validity = 24h * 365;
  ca_.reset();
  ca_ = open_ca(settings_);
  const SubjectAltNames names{{"registry.ceiqroo.example", "Registry-2.ceiqroo.example"},
                              {"10.20.0.5", "2001:DB8:0:0::7", "::ffff:192.0.2.1"}};
  const crypto::Certificate cert = must(ca_->issue(csr_, Profile::kService, kSubject, names));
  EXPECT_EQ(alt_names(cert), (std::vector<std::string>{"DNS:registry.ceiqroo.example", "DNS:Registry-2.ceiqroo.example",
                                                       "IP:0a140005", "IP:20010db8000000000000000000000007",
                                                       "IP:00000000000000000000ffffc0000201"}));
  EXPECT_FALSE(extension_critical(cert, NID_subject_alt_name));  // the subject is not empty
  EXPECT_EQ(X509_get_key_usage(cert.get()), static_cast<std::uint32_t>(KU_DIGITAL_SIGNATURE));
  EXPECT_TRUE(extension_critical(cert, NID_key_usage));
  // A TLS server only: it cannot authenticate as a security server (no clientAuth).
  EXPECT_EQ(extended_key_usages(cert), std::vector<int>{NID_server_auth});
  EXPECT_EQ(X509_check_purpose(cert.get(), X509_PURPOSE_SSL_SERVER, 0), 1);
  EXPECT_EQ(X509_check_purpose(cert.get(), X509_PURPOSE_SSL_CLIENT, 0), 0);
  EXPECT_EQ(ocsp_urls(cert), std::vector<std::string>{"http://ocsp.ceiqroo.test/"});
  EXPECT_EQ(cert.not_after(), kStart + settings_.service_validity);
  // What a TLS client checks (RFC 6125): the names given, and nothing else.
  EXPECT_EQ(X509_check_host(cert.get(), "registry.ceiqroo.example", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_host(cert.get(), "REGISTRY-2.ceiqroo.example", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_host(cert.get(), "tsa.ceiqroo.example", 0, 0, nullptr), 0);
  EXPECT_EQ(X509_check_ip_asc(cert.get(), "10.20.0.5", 0), 1);
  EXPECT_EQ(X509_check_ip_asc(cert.get(), "2001:db8::7", 0), 1);
  EXPECT_EQ(X509_check_ip_asc(cert.get(), "10.20.0.6", 0), 0);
  EXPECT_EQ(must(ca_->list()).back().profile, Profile::kService);
}

TEST_F(CertificateAuthorityTest, ServiceCertificateForRsaKeyAllowsKeyEncipherment) {
  const crypto::Certificate cert =
      must(ca_->issue(csr(KeyType::kRsa2048), Profile::kService, kSubject, {{"tsa.ceiqroo.example"}, {}}));
  EXPECT_EQ(X509_get_key_usage(cert.get()), static_cast<std::uint32_t>(KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT));
  EXPECT_EQ(alt_names(cert), std::vector<std::string>{"DNS:tsa.ceiqroo.example"});
}

TEST_F(CertificateAuthorityTest, OtherProfilesCarryNoSubjectAltName) {
  for (Profile p : {Profile::kAuthentication, Profile::kSigning, Profile::kOcspResponder, Profile::kTimestamping}) {
    EXPECT_FALSE(has_extension(issue(p), NID_subject_alt_name)) << profile_name(p);
    auto refused = ca_->issue(csr_, p, kSubject, {{"ss1.example"}, {}});
    EXPECT_EQ(refused.status().code(), Code::kInvalidArgument) << profile_name(p);
    EXPECT_NE(refused.status().message().find("only in service certificates"), std::string::npos)
        << refused.status().to_string();
  }
}

struct BadAltNames {
  const char* what;
  SubjectAltNames names;
  const char* message;
};

void PrintTo(const BadAltNames& b, std::ostream* os) { *os << b.what; }

class ServiceAltNameRefusalTest : public CertificateAuthorityTest, public ::testing::WithParamInterface<BadAltNames> {};

TEST_P(ServiceAltNameRefusalTest, RefusesAndIssuesNothing) {
  auto cert = ca_->issue(csr_, Profile::kService, kSubject, GetParam().names);
  ASSERT_FALSE(cert) << GetParam().what;
  EXPECT_EQ(cert.status().code(), Code::kInvalidArgument);
  EXPECT_NE(cert.status().message().find(GetParam().message), std::string::npos) << cert.status().to_string();
  EXPECT_TRUE(must(ca_->list()).empty());
}

SubjectAltNames many_names(std::size_t n) {
  SubjectAltNames names;
  for (std::size_t i = 0; i < n; ++i) names.dns.push_back("host" + std::to_string(i) + ".ceiqroo.example");
  return names;
}

INSTANTIATE_TEST_SUITE_P(
    BadNames, ServiceAltNameRefusalTest,
    ::testing::Values(
        BadAltNames{"none given", {}, "needs at least one DNS name or IP address"},
        BadAltNames{"too many", many_names(kMaxSubjectAltNames + 1), "at most 32"},
        BadAltNames{"wildcard", {{"*.ceiqroo.example"}, {}}, "wildcards are not issued"},
        BadAltNames{"empty DNS name", {{""}, {}}, "is not an RFC 1123 host name"},
        BadAltNames{"trailing dot", {{"registry.ceiqroo.example."}, {}}, "is not an RFC 1123 host name"},
        BadAltNames{"empty label", {{"registry..example"}, {}}, "is not an RFC 1123 host name"},
        BadAltNames{"label starting with a hyphen", {{"-registry.example"}, {}}, "is not an RFC 1123 host name"},
        BadAltNames{"label ending with a hyphen", {{"registry-.example"}, {}}, "is not an RFC 1123 host name"},
        BadAltNames{"label over 63 characters", {{std::string(64, 'a') + ".example"}, {}}, "not an RFC 1123"},
        BadAltNames{"name over 253 characters",
                    {{std::string(63, 'a') + "." + std::string(63, 'b') + "." + std::string(63, 'c') + "." +
                      std::string(62, 'd')},
                     {}},
                    "not an RFC 1123"},
        BadAltNames{"underscore", {{"my_registry.example"}, {}}, "is not an RFC 1123 host name"},
        BadAltNames{"space", {{"registry example"}, {}}, "is not an RFC 1123 host name"},
        BadAltNames{"non-ASCII", {{"registro.señal.example"}, {}}, "is not an RFC 1123 host name"},
        BadAltNames{"IPv4 address as a DNS name", {{"10.20.0.5"}, {}}, "an IP address is given as an IP entry"},
        BadAltNames{"numeric last label", {{"registry.123"}, {}}, "an IP address is given as an IP entry"},
        BadAltNames{"comma that would add an entry", {{"a.example,IP:1.2.3.4"}, {}}, "is not an RFC 1123 host name"},
        BadAltNames{"same DNS name twice", {{"a.example", "A.Example"}, {}}, "is given twice"},
        BadAltNames{"IPv4 with three parts", {{}, {"10.20.5"}}, "is not an IPv4 or IPv6 address"},
        BadAltNames{"IPv4 octet over 255", {{}, {"10.20.0.256"}}, "is not an IPv4 or IPv6 address"},
        BadAltNames{"IPv4 with a leading zero", {{}, {"10.20.0.05"}}, "is not an IPv4 or IPv6 address"},
        BadAltNames{"IPv6 with a zone", {{}, {"fe80::1%eth0"}}, "is not an IPv4 or IPv6 address"},
        BadAltNames{"bracketed IPv6", {{}, {"[2001:db8::1]"}}, "is not an IPv4 or IPv6 address"},
        BadAltNames{"IPv6 with two ::", {{}, {"2001::db8::1"}}, "is not an IPv4 or IPv6 address"},
        BadAltNames{"network, not address", {{}, {"10.0.0.0/8"}}, "is not an IPv4 or IPv6 address"},
        BadAltNames{"host name as an IP", {{}, {"registry.example"}}, "is not an IPv4 or IPv6 address"},
        BadAltNames{"same address twice", {{}, {"2001:db8::1", "2001:DB8:0::1"}}, "is given twice"}));

TEST_F(CertificateAuthorityTest, OmitsAiaWhenNoOcspUrlIsConfigured) {
  CaSettings no_url = settings_;
  no_url.ocsp_url.clear();
  ca_.reset();
  ca_ = open_ca(no_url);
  for (Profile p : {Profile::kAuthentication, Profile::kSigning}) {
    const crypto::Certificate cert = issue(p);
    EXPECT_FALSE(has_extension(cert, NID_info_access)) << profile_name(p);
  }
}

TEST_F(CertificateAuthorityTest, CertificateNeverOutlivesTheRoot) {
  clock_.set(root_.cert.not_after() - 24h);
  const crypto::Certificate cert = issue(Profile::kTimestamping);
  EXPECT_EQ(cert.not_after(), root_.cert.not_after());
}

// RFC 5280 allows validity up to GeneralizedTime 99991231235959Z; a nanosecond TimePoint ends in
// 2262, so the CA computes validity in whole seconds.
TEST_F(CertificateAuthorityTest, IssuesCertificatesValidPastTheNanosecondRangeUpToYear9999) {
  RootMaterial far_root = must(create_root(KeyType::kEcP256, kRootSubject, testing::kLastX509Second, clock_));
  EXPECT_EQ(far_root.cert.not_before(), kStart);
  EXPECT_EQ(far_root.cert.not_after(), testing::kLastX509Second);
  testing::TempDir far_dir;
  auto far_ca = must(CertificateAuthority::open(must(store::Database::open(far_dir.file("ca.db"))),
                                                std::move(far_root.key), far_root.cert, settings_, clock_));
  std::map<std::string, std::chrono::sys_seconds> issued;  // serial -> notAfter
  for (const auto& far : testing::far_validities()) {
    SCOPED_TRACE(far.name);
    const crypto::Certificate cert = must(far_ca->issue(csr_, Profile::kTimestamping, kSubject, {}, far.not_after));
    EXPECT_EQ(cert.not_before(), kStart);
    EXPECT_EQ(cert.not_after(), far.not_after);
    EXPECT_TRUE(crypto::verify_chain(cert, {far_ca->certificate()}, {}, kStart + 1h).is_ok());
    issued[cert.serial_hex()] = cert.not_after();
  }
  // The register keeps the same seconds, and a revocation of such a certificate reads back.
  const auto listed = must(far_ca->list());
  ASSERT_EQ(listed.size(), issued.size());
  for (const IssuedCertificate& c : listed) {
    ASSERT_EQ(issued.count(c.serial_hex), 1u) << c.serial_hex;
    EXPECT_EQ(c.not_after, issued[c.serial_hex]);
    EXPECT_EQ(c.not_before, kStart);
  }
  const std::string last = issued.rbegin()->first;
  ASSERT_TRUE(far_ca->revoke(last, RevocationReason::kSuperseded).is_ok());
  EXPECT_EQ(must(far_ca->status(last)).revoked_at, kStart);
  // Without a chosen end, the profile's validity, as before.
  EXPECT_EQ(must(far_ca->issue(csr_, Profile::kAuthentication, kSubject)).not_after(),
            kStart + settings_.auth_validity);
}

TEST_F(CertificateAuthorityTest, ChosenNotAfterNeverOutlivesTheRootNorPrecedesNow) {
  const crypto::Certificate capped = must(ca_->issue(csr_, Profile::kSigning, kSubject, {}, testing::kLastX509Second));
  EXPECT_EQ(capped.not_after(), root_.cert.not_after());
  const auto past = ca_->issue(csr_, Profile::kSigning, kSubject, {}, std::chrono::floor<std::chrono::seconds>(kStart));
  EXPECT_EQ(past.status().code(), Code::kInvalidArgument) << past.status().to_string();
}

TEST_F(CertificateAuthorityTest, RefusesToIssueAfterTheRootExpired) {
  clock_.set(root_.cert.not_after() + 1s);
  auto cert = ca_->issue(csr_, Profile::kAuthentication, kSubject);
  ASSERT_FALSE(cert);
  EXPECT_EQ(cert.status().code(), Code::kFailedPrecondition);
}

TEST_F(CertificateAuthorityTest, RefusesCsrWithRsa1024Key) {
  crypto::EVP_PKEYPtr weak(EVP_RSA_gen(1024));
  auto request = CertificateRequest::from_der(csr_der_with_raw_key(weak.get()));
  ASSERT_TRUE(request) << request.status().to_string();
  auto cert = ca_->issue(*request, Profile::kAuthentication, kSubject);
  ASSERT_FALSE(cert);
  EXPECT_EQ(cert.status().code(), Code::kPermissionDenied);
  EXPECT_TRUE(must(ca_->list()).empty());
}

TEST_F(CertificateAuthorityTest, RefusesCsrWithBadSignature) {
  std::string der = csr_.der();
  der[der.size() - 1] ^= 0x01;
  auto request = CertificateRequest::from_der(der);
  ASSERT_TRUE(request) << request.status().to_string();
  auto cert = ca_->issue(*request, Profile::kSigning, kSubject);
  ASSERT_FALSE(cert);
  EXPECT_EQ(cert.status().code(), Code::kPermissionDenied);
  EXPECT_TRUE(must(ca_->list()).empty());
}

struct BadSubject {
  const char* what;
  crypto::DistinguishedName dn;
};

void PrintTo(const BadSubject& c, std::ostream* os) {
  *os << c.what;
}

class CaBadSubjectTest : public CertificateAuthorityTest, public ::testing::WithParamInterface<BadSubject> {};

TEST_P(CaBadSubjectTest, RefusesBadSubject) {
  auto cert = ca_->issue(csr_, Profile::kAuthentication, GetParam().dn);
  ASSERT_FALSE(cert);
  EXPECT_EQ(cert.status().code(), Code::kInvalidArgument);
  EXPECT_TRUE(must(ca_->list()).empty());
}

INSTANTIATE_TEST_SUITE_P(BadSubjects, CaBadSubjectTest,
                         ::testing::Values(BadSubject{"empty subject", {}}, BadSubject{"empty value", {{"CN", ""}}},
                                           BadSubject{"unknown attribute", {{"NOPE", "x"}}}));

TEST_F(CertificateAuthorityTest, SerialsAreUniquePositiveAndAtMost20Octets) {
  std::set<std::string> serials{root_.cert.serial_hex()};
  constexpr int kCount = 200;
  for (int i = 0; i < kCount; ++i) {
    const crypto::Certificate cert = issue(Profile::kSigning);
    EXPECT_TRUE(serials.insert(cert.serial_hex()).second) << "serial reused: " << cert.serial_hex();
    const ASN1_INTEGER* serial = X509_get0_serialNumber(cert.get());
    EXPECT_EQ(ASN1_STRING_type(serial), V_ASN1_INTEGER);  // not V_ASN1_NEG_INTEGER
    EXPECT_LE(ASN1_STRING_length(serial), 20);
    EXPECT_GE(cert.serial_hex().size(), 8u) << "serial has too little entropy";
  }
  EXPECT_EQ(must(ca_->list()).size(), static_cast<std::size_t>(kCount));
}

TEST_F(CertificateAuthorityTest, ConcurrentIssuesGetDistinctSerials) {
  constexpr int kThreads = 4, kEach = 8;
  std::mutex mu;
  std::set<std::string> serials;  // guarded by mu
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kEach; ++i) {
        auto cert = ca_->issue(csr_, Profile::kAuthentication, kSubject);
        std::lock_guard lock(mu);
        if (cert) serials.insert(cert->serial_hex());
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(serials.size(), static_cast<std::size_t>(kThreads * kEach));
  EXPECT_EQ(must(ca_->list()).size(), static_cast<std::size_t>(kThreads * kEach));
}

TEST_F(CertificateAuthorityTest, NewCertificateIsGoodAndUnknownSerialIsUnknown) {
  const crypto::Certificate cert = issue();
  EXPECT_EQ(status_of(cert.serial_hex()).kind, CertStatus::Kind::kGood);
  EXPECT_EQ(status_of("123456789ABCDEF").kind, CertStatus::Kind::kUnknown);
}

TEST_F(CertificateAuthorityTest, RevokeRecordsTimeAndReason) {
  const crypto::Certificate cert = issue();
  clock_.advance(36h + 250ms);
  ASSERT_TRUE(ca_->revoke(cert.serial_hex(), RevocationReason::kKeyCompromise).is_ok());
  const CertStatus st = status_of(cert.serial_hex());
  EXPECT_EQ(st.kind, CertStatus::Kind::kRevoked);
  EXPECT_EQ(st.reason, RevocationReason::kKeyCompromise);
  EXPECT_EQ(st.revoked_at, kStart + 36h);  // whole seconds
}

TEST_F(CertificateAuthorityTest, RevokingTwiceFailsAndKeepsTheFirstRevocation) {
  const crypto::Certificate cert = issue();
  ASSERT_TRUE(ca_->revoke(cert.serial_hex(), RevocationReason::kSuperseded).is_ok());
  clock_.advance(1h);
  for (RevocationReason again :
       {RevocationReason::kSuperseded, RevocationReason::kKeyCompromise, RevocationReason::kCertificateHold}) {
    const Status st = ca_->revoke(cert.serial_hex(), again);
    EXPECT_EQ(st.code(), Code::kFailedPrecondition) << crypto::reason_name(again) << ": " << st.to_string();
  }
  const CertStatus st = status_of(cert.serial_hex());
  EXPECT_EQ(st.reason, RevocationReason::kSuperseded);
  EXPECT_EQ(st.revoked_at, kStart);
}

TEST_F(CertificateAuthorityTest, RevokeAndReleaseOfUnknownSerialAreNotFound) {
  EXPECT_EQ(ca_->revoke("ABCDEF0123", RevocationReason::kKeyCompromise).code(), Code::kNotFound);
  EXPECT_EQ(ca_->release_hold("ABCDEF0123").code(), Code::kNotFound);
}

TEST_F(CertificateAuthorityTest, RefusesToRevokeItsOwnRoot) {
  EXPECT_EQ(ca_->revoke(root_.cert.serial_hex(), RevocationReason::kCaCompromise).code(), Code::kFailedPrecondition);
  EXPECT_EQ(status_of(root_.cert.serial_hex()).kind, CertStatus::Kind::kGood);
}

TEST_F(CertificateAuthorityTest, RemoveFromCrlIsNotARevocationReason) {
  const crypto::Certificate cert = issue();
  EXPECT_EQ(ca_->revoke(cert.serial_hex(), RevocationReason::kRemoveFromCrl).code(), Code::kInvalidArgument);
  EXPECT_EQ(status_of(cert.serial_hex()).kind, CertStatus::Kind::kGood);
}

TEST_F(CertificateAuthorityTest, HoldThenReleaseMakesCertificateGoodAgain) {
  const crypto::Certificate cert = issue();
  ASSERT_TRUE(ca_->revoke(cert.serial_hex(), RevocationReason::kCertificateHold).is_ok());
  CertStatus held = status_of(cert.serial_hex());
  EXPECT_EQ(held.kind, CertStatus::Kind::kRevoked);
  EXPECT_EQ(held.reason, RevocationReason::kCertificateHold);
  clock_.advance(2h);
  ASSERT_TRUE(ca_->release_hold(cert.serial_hex()).is_ok());
  EXPECT_EQ(status_of(cert.serial_hex()).kind, CertStatus::Kind::kGood);
  // It can be held again after a release.
  EXPECT_TRUE(ca_->revoke(cert.serial_hex(), RevocationReason::kCertificateHold).is_ok());
  EXPECT_EQ(status_of(cert.serial_hex()).revoked_at, kStart + 2h);
}

TEST_F(CertificateAuthorityTest, ReleaseRefusesCertificateNotOnHold) {
  const crypto::Certificate good = issue();
  EXPECT_EQ(ca_->release_hold(good.serial_hex()).code(), Code::kFailedPrecondition);
  const crypto::Certificate revoked = issue();
  ASSERT_TRUE(ca_->revoke(revoked.serial_hex(), RevocationReason::kKeyCompromise).is_ok());
  EXPECT_EQ(ca_->release_hold(revoked.serial_hex()).code(), Code::kFailedPrecondition);
  EXPECT_EQ(status_of(revoked.serial_hex()).kind, CertStatus::Kind::kRevoked);
}

TEST_F(CertificateAuthorityTest, HeldCertificateRevokedForGoodKeepsTheHoldTime) {
  const crypto::Certificate cert = issue();
  clock_.advance(1h);
  ASSERT_TRUE(ca_->revoke(cert.serial_hex(), RevocationReason::kCertificateHold).is_ok());
  clock_.advance(5h);
  ASSERT_TRUE(ca_->revoke(cert.serial_hex(), RevocationReason::kKeyCompromise).is_ok());
  const CertStatus st = status_of(cert.serial_hex());
  EXPECT_EQ(st.reason, RevocationReason::kKeyCompromise);
  EXPECT_EQ(st.revoked_at, kStart + 1h);  // RFC 5280 section 5.3.2
  EXPECT_EQ(ca_->release_hold(cert.serial_hex()).code(), Code::kFailedPrecondition);
}

TEST_F(CertificateAuthorityTest, ListShowsEveryIssuedCertificateButNotTheRoot) {
  const crypto::Certificate auth = issue(Profile::kAuthentication);
  clock_.advance(1s);
  const crypto::Certificate tsa = issue(Profile::kTimestamping);
  ASSERT_TRUE(ca_->revoke(tsa.serial_hex(), RevocationReason::kCessationOfOperation).is_ok());
  const auto listed = must(ca_->list());
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0].serial_hex, auth.serial_hex());  // in issue order
  EXPECT_EQ(listed[0].profile, Profile::kAuthentication);
  EXPECT_EQ(listed[0].subject, "CN=SS1,O=PGJ,C=MX");
  EXPECT_EQ(listed[0].not_before, auth.not_before());
  EXPECT_EQ(listed[0].not_after, auth.not_after());
  EXPECT_EQ(listed[0].status.kind, CertStatus::Kind::kGood);
  EXPECT_EQ(listed[0].der, auth.der());
  EXPECT_EQ(listed[1].serial_hex, tsa.serial_hex());
  EXPECT_EQ(listed[1].profile, Profile::kTimestamping);
  EXPECT_EQ(listed[1].status.kind, CertStatus::Kind::kRevoked);
  EXPECT_EQ(listed[1].status.reason, RevocationReason::kCessationOfOperation);
  EXPECT_EQ(listed[1].status.revoked_at, kStart + 1s);
}

TEST_F(CertificateAuthorityTest, StateSurvivesReopeningTheCa) {
  const crypto::Certificate cert = issue();
  ASSERT_TRUE(ca_->revoke(cert.serial_hex(), RevocationReason::kAffiliationChanged).is_ok());
  ca_.reset();
  ca_ = open_ca(settings_);
  EXPECT_EQ(status_of(cert.serial_hex()).reason, RevocationReason::kAffiliationChanged);
  EXPECT_EQ(must(ca_->list()).size(), 1u);
}

// ca.db as the releases before schema_versions made it: the version in PRAGMA user_version, and
// no record of its CA certificate (schema version 1).
TEST_F(CertificateAuthorityTest, AdoptsADatabaseMadeBeforeSchemaVersionsInPlace) {
  const crypto::Certificate cert = issue();
  ASSERT_TRUE(ca_->revoke(cert.serial_hex(), RevocationReason::kKeyCompromise).is_ok());
  ca_.reset();
  make_version_1_without_schema_versions();
  ca_ = open_ca(settings_);
  EXPECT_EQ(status_of(cert.serial_hex()).reason, RevocationReason::kKeyCompromise);
  EXPECT_EQ(must(ca_->list()).size(), 1u);
  const crypto::Certificate next = issue();  // the adopted tables take new certificates
  EXPECT_EQ(must(ca_->list()).size(), 2u);
  auto db = must(store::Database::open(db_path()));
  EXPECT_EQ(db->schema_version("ca"), 2);
  EXPECT_EQ(recorded_owner(*db), root_.cert.sha256_fingerprint());
}

TEST_F(CertificateAuthorityTest, RecordsTheCaCertificateItsDatabaseBelongsTo) {
  auto db = must(store::Database::open(db_path()));
  EXPECT_EQ(db->schema_version("ca"), 2);
  EXPECT_EQ(recorded_owner(*db), root_.cert.sha256_fingerprint());
}

// Another CA directory's ca.db beside this ca.pem (or the files of two CAs swapped): its serials
// and statuses are not this CA's, and nothing of it may be used or changed.
TEST_F(CertificateAuthorityTest, RefusesTheDatabaseOfAnotherCaNamingBothFingerprints) {
  const crypto::Certificate cert = issue();
  ca_.reset();
  const RootMaterial other = other_root();
  auto refused = CertificateAuthority::open(must(store::Database::open(db_path())),
                                            must(PrivateKey::from_pem(other.key.to_pem())), other.cert, settings_,
                                            clock_);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.status().code(), Code::kFailedPrecondition);
  EXPECT_NE(refused.status().message().find(root_.cert.sha256_fingerprint()), std::string::npos)
      << refused.status().message();
  EXPECT_NE(refused.status().message().find(other.cert.sha256_fingerprint()), std::string::npos);
  // Untouched: the other root was not recorded, and the rightful CA still opens it.
  auto db = must(store::Database::open(db_path()));
  EXPECT_EQ(recorded_owner(*db), root_.cert.sha256_fingerprint());
  EXPECT_EQ(root_rows(*db), 1);
  ca_ = open_ca(settings_);
  EXPECT_EQ(status_of(cert.serial_hex()).kind, CertStatus::Kind::kGood);
}

TEST_F(CertificateAuthorityTest, RefusesToAdoptAnOldDatabaseWhoseRootIsAnotherCa) {
  issue();
  ca_.reset();
  make_version_1_without_schema_versions();
  const RootMaterial other = other_root();
  auto refused = CertificateAuthority::open(must(store::Database::open(db_path())),
                                            must(PrivateKey::from_pem(other.key.to_pem())), other.cert, settings_,
                                            clock_);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.status().code(), Code::kFailedPrecondition);
  EXPECT_NE(refused.status().message().find(root_.cert.sha256_fingerprint()), std::string::npos)
      << refused.status().message();
  EXPECT_NE(refused.status().message().find(other.cert.sha256_fingerprint()), std::string::npos);
  auto db = must(store::Database::open(db_path()));
  EXPECT_EQ(recorded_owner(*db), "");
  EXPECT_EQ(root_rows(*db), 1);
}

TEST_F(CertificateAuthorityTest, RefusesADatabaseThatAlreadyMixesTwoRoots) {
  ca_.reset();
  make_version_1_without_schema_versions();
  const RootMaterial other = other_root();
  {
    auto db = must(store::Database::open(db_path()));
    auto insert = must(db->prepare("INSERT INTO ca_certificate(serial, profile, subject, not_before, not_after,"
                                   " issued_at, der) VALUES('77','root','CN=other',0,1,0,?1)"));
    ASSERT_TRUE(insert.bind_blob(1, other.cert.der()).run().is_ok());
  }
  auto refused = CertificateAuthority::open(must(store::Database::open(db_path())),
                                            must(PrivateKey::from_pem(root_.key.to_pem())), root_.cert, settings_,
                                            clock_);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.status().message().find(other.cert.sha256_fingerprint()), std::string::npos)
      << refused.status().message();
}

TEST_F(CertificateAuthorityTest, StatusSourceSeesRevocationMadeThroughTheCa) {
  auto source = must(CaStatusSource::open(db_path(), root_.cert));
  const crypto::Certificate cert = issue();
  EXPECT_EQ(must(source->lookup(cert.serial_hex())).kind, CertStatus::Kind::kGood);
  clock_.advance(10min);
  ASSERT_TRUE(ca_->revoke(cert.serial_hex(), RevocationReason::kPrivilegeWithdrawn).is_ok());
  const CertStatus st = must(source->lookup(cert.serial_hex()));
  EXPECT_EQ(st.kind, CertStatus::Kind::kRevoked);
  EXPECT_EQ(st.reason, RevocationReason::kPrivilegeWithdrawn);
  EXPECT_EQ(st.revoked_at, kStart + 10min);
  EXPECT_EQ(must(source->lookup("FEEDFACE")).kind, CertStatus::Kind::kUnknown);
}

TEST_F(CertificateAuthorityTest, StatusSourceSeesHoldReleased) {
  const crypto::Certificate cert = issue();
  ASSERT_TRUE(ca_->revoke(cert.serial_hex(), RevocationReason::kCertificateHold).is_ok());
  auto source = must(CaStatusSource::open(db_path(), root_.cert));
  EXPECT_EQ(must(source->lookup(cert.serial_hex())).reason, RevocationReason::kCertificateHold);
  ASSERT_TRUE(ca_->release_hold(cert.serial_hex()).is_ok());
  EXPECT_EQ(must(source->lookup(cert.serial_hex())).kind, CertStatus::Kind::kGood);
}

TEST_F(CertificateAuthorityTest, StatusSourceRefusesTheDatabaseOfAnotherCa) {
  auto source = CaStatusSource::open(db_path(), other_root().cert);
  ASSERT_FALSE(source);
  EXPECT_EQ(source.status().code(), Code::kFailedPrecondition);
  EXPECT_NE(source.status().message().find(root_.cert.sha256_fingerprint()), std::string::npos)
      << source.status().message();
}

// The responder may start on an old database before the CA has adopted it: it has no record yet,
// so the root rows decide, read-only.
TEST_F(CertificateAuthorityTest, StatusSourceJudgesAnOldDatabaseByItsRoot) {
  const crypto::Certificate cert = issue();
  ca_.reset();
  make_version_1_without_schema_versions();
  auto source = must(CaStatusSource::open(db_path(), root_.cert));
  EXPECT_EQ(must(source->lookup(cert.serial_hex())).kind, CertStatus::Kind::kGood);
  auto refused = CaStatusSource::open(db_path(), other_root().cert);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.status().code(), Code::kFailedPrecondition);
}

TEST(CaStatusSourceTest, RefusesMissingFileWithoutCreatingIt) {
  testing::TempDir dir;
  EXPECT_FALSE(CaStatusSource::open(dir.file("absent.db"), other_root().cert));
  EXPECT_FALSE(std::filesystem::exists(dir.file("absent.db")));
}

TEST(CaStatusSourceTest, RefusesDatabaseThatIsNotACaDatabase) {
  testing::TempDir dir;
  {
    auto db = must(store::Database::open(dir.file("other.db")));
    ASSERT_TRUE(db->exec("CREATE TABLE unrelated(x)").is_ok());
  }
  auto source = CaStatusSource::open(dir.file("other.db"), other_root().cert);
  ASSERT_FALSE(source);
  EXPECT_EQ(source.status().code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace xacbe::ca
