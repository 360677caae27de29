#pragma once
// A throw-away PKI for tests: a CEIQROO root in a temporary SQLite file and helpers that issue a
// fresh key + certificate of any profile through the real CertificateAuthority.

#include <memory>
#include <string>
#include <vector>

#include "support/temp_dir.hpp"
#include "xacbe/ca/certificate_authority.hpp"
#include "xacbe/clock.hpp"

namespace xacbe::testing {

struct KeyAndCert {
  crypto::PrivateKey key;
  crypto::Certificate cert;
};

class TestPki {
 public:
  // Root "CN=Test Root,O=CEIQROO,C=MX" valid from clock.now() - 1 day, EC P-256 unless given.
  explicit TestPki(const Clock& clock, crypto::KeyType root_key = crypto::KeyType::kEcP256);

  // Issues through the CA; aborts the test (ADD_FAILURE + throw) if issuing fails.
  KeyAndCert issue(ca::Profile profile, const std::string& common_name,
                   crypto::KeyType key = crypto::KeyType::kEcP256);

  // A TLS server certificate (EKU serverAuth) signed by the root, with a subjectAltName of these
  // DNS names and IP addresses (either list may be empty), for host-name checks.
  KeyAndCert issue_tls_server(const std::string& common_name, const std::vector<std::string>& dns,
                              const std::vector<std::string>& ips);

  ca::CertificateAuthority& ca() { return *ca_; }
  const crypto::Certificate& root() const { return ca_->certificate(); }
  const crypto::PrivateKey& root_key() const { return *root_key_; }
  std::string db_path() const { return dir_.path() + "/ca.db"; }
  const TempDir& dir() const { return dir_; }

 private:
  TempDir dir_;
  std::unique_ptr<crypto::PrivateKey> root_key_;
  std::unique_ptr<ca::CertificateAuthority> ca_;
  const Clock& clock_;
};

}  // namespace xacbe::testing
