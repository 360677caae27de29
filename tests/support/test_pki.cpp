#include "support/test_pki.hpp"

#include <gtest/gtest.h>

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

TestPki::TestPki(const Clock& clock, crypto::KeyType root_key) {
  ManualClock earlier(clock.now() - std::chrono::hours(24));
  auto root = must(ca::create_root(root_key, {{"C", "MX"}, {"O", "CEIQROO"}, {"CN", "Test Root"}},
                                   std::chrono::hours(24 * 3650), earlier),
                   "create_root");
  root_key_ = std::make_unique<crypto::PrivateKey>(must(crypto::PrivateKey::from_pem(root.key.to_pem()), "root key"));
  auto db = must(store::Database::open(db_path()), "open CA database");
  ca::CaSettings settings;
  settings.ocsp_url = "http://127.0.0.1:1/";
  ca_ = must(ca::CertificateAuthority::open(std::move(db), std::move(root.key), root.cert, settings, clock),
             "open CA");
}

KeyAndCert TestPki::issue(ca::Profile profile, const std::string& common_name, crypto::KeyType key_type) {
  auto key = must(crypto::PrivateKey::generate(key_type), "generate key");
  auto csr = must(crypto::CertificateRequest::create(key, {{"CN", common_name}}), "create CSR");
  auto cert = must(ca_->issue(csr, profile, {{"C", "MX"}, {"O", "Test"}, {"CN", common_name}}), "issue");
  return {std::move(key), std::move(cert)};
}

}  // namespace xacbe::testing
