#include "support/test_pki.hpp"

#include <gtest/gtest.h>

#include <openssl/x509v3.h>

#include <random>
#include <stdexcept>

#include "xacbe/crypto/csr.hpp"
#include "xacbe/store/database.hpp"

namespace xacbe::testing {
namespace {

template <typename T>
T must(Result<T> r, const char* what) {
  if (!r) {
    ADD_FAILURE() << what << ": " << r.status().to_string();
    throw std::runtime_error(r.status().to_string());
  }
  return std::move(r).value();
}

}  // namespace

const std::vector<FarValidity>& far_validities() {
  using namespace std::chrono;
  static const std::vector<FarValidity> kFar = {
      {"2262-04-12, past the nanosecond limit", sys_days(year(2262) / 4 / 12)},
      {"2999-12-31", sys_days(year(2999) / 12 / 31)},
      {"9999-12-31T23:59:59Z, the last X.509 second", kLastX509Second},
  };
  return kFar;
}

TestPki::TestPki(const Clock& clock, crypto::KeyType root_key,
                 std::optional<std::chrono::sys_seconds> root_not_after)
    : clock_(clock) {
  ManualClock earlier(clock.now() - std::chrono::hours(24));
  const crypto::DistinguishedName subject = {{"C", "MX"}, {"O", "CEIQROO"}, {"CN", "Test Root"}};
  auto root = must(root_not_after ? ca::create_root(root_key, subject, *root_not_after, earlier)
                                  : ca::create_root(root_key, subject, std::chrono::hours(24 * 3650), earlier),
                   "create_root");
  root_key_ = std::make_unique<crypto::PrivateKey>(must(crypto::PrivateKey::from_pem(root.key.to_pem()), "root key"));
  auto db = must(store::Database::open(db_path()), "open CA database");
  ca::CaSettings settings;
  settings.ocsp_url = "http://127.0.0.1:1/";
  ca_ = must(ca::CertificateAuthority::open(std::move(db), std::move(root.key), root.cert, settings, clock),
             "open CA");
}

KeyAndCert TestPki::issue(ca::Profile profile, const std::string& common_name, crypto::KeyType key_type,
                          std::optional<std::chrono::sys_seconds> not_after) {
  auto key = must(crypto::PrivateKey::generate(key_type), "generate key");
  auto csr = must(crypto::CertificateRequest::create(key, {{"CN", common_name}}), "create CSR");
  auto cert = must(ca_->issue(csr, profile, {{"C", "MX"}, {"O", "Test"}, {"CN", common_name}}, {}, not_after), "issue");
  return {std::move(key), std::move(cert)};
}

KeyAndCert TestPki::issue_tls_server(const std::string& common_name, const std::vector<std::string>& dns,
                                     const std::vector<std::string>& ips) {
  auto key = must(crypto::PrivateKey::generate(crypto::KeyType::kEcP256), "generate key");
  X509* x = X509_new();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), static_cast<long>(std::random_device{}() & 0x7fffffff));
  time_t now = std::chrono::system_clock::to_time_t(clock_.now());
  X509_time_adj_ex(X509_getm_notBefore(x), 0, -3600, &now);
  X509_time_adj_ex(X509_getm_notAfter(x), 30, 0, &now);
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(common_name.c_str()),
                             -1, -1, 0);
  X509_set_issuer_name(x, X509_get_subject_name(root().get()));
  X509_set_pubkey(x, key.get());
  std::string san;
  for (const auto& d : dns) san += (san.empty() ? "DNS:" : ",DNS:") + d;
  for (const auto& i : ips) san += (san.empty() ? "IP:" : ",IP:") + i;
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, root().get(), x, nullptr, nullptr, 0);
  auto add = [&](int nid, const std::string& value) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
    if (!ext) throw std::runtime_error("extension " + value);
    X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
  };
  add(NID_basic_constraints, "critical,CA:FALSE");
  add(NID_key_usage, "critical,digitalSignature");
  add(NID_ext_key_usage, "serverAuth");
  if (!san.empty()) add(NID_subject_alt_name, san);
  if (X509_sign(x, root_key().get(), EVP_sha256()) == 0) throw std::runtime_error("sign TLS certificate");
  auto cert = crypto::Certificate::share(x);
  X509_free(x);
  return {std::move(key), std::move(cert)};
}

}  // namespace xacbe::testing
