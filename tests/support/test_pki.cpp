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
                 std::optional<std::chrono::sys_seconds> root_not_after) {
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
  auto cert = must(ca_->issue(csr, profile, {{"C", "MX"}, {"O", "Test"}, {"CN", common_name}}, not_after), "issue");
  return {std::move(key), std::move(cert)};
}

}  // namespace xacbe::testing
