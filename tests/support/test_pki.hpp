#pragma once
// A throw-away PKI for tests: a CEIQROO root in a temporary SQLite file and helpers that issue a
// fresh key + certificate of any profile through the real CertificateAuthority.

#include <chrono>
#include <memory>
#include <optional>
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

// The last second an X.509 certificate can name: GeneralizedTime 99991231235959Z (RFC 5280
// section 4.1.2.5.2).
inline const std::chrono::sys_seconds kLastX509Second =
    std::chrono::sys_days(std::chrono::year(9999) / 12 / 31) + std::chrono::hours(23) + std::chrono::minutes(59) +
    std::chrono::seconds(59);

// Certificate validities that end past the range of a nanosecond TimePoint (2262-04-11T23:47:16Z):
// 2262-04-12T00:00:00Z, 2999-12-31T00:00:00Z and kLastX509Second.
struct FarValidity {
  const char* name;
  std::chrono::sys_seconds not_after;
};
const std::vector<FarValidity>& far_validities();

class TestPki {
 public:
  // Root "CN=Test Root,O=CEIQROO,C=MX" valid from clock.now() - 1 day for ten years, or until
  // `root_not_after` when given; EC P-256 unless given.
  explicit TestPki(const Clock& clock, crypto::KeyType root_key = crypto::KeyType::kEcP256,
                   std::optional<std::chrono::sys_seconds> root_not_after = std::nullopt);

  // Issues through the CA, valid for the profile's validity or until `not_after` (never past the
  // root's); aborts the test (ADD_FAILURE + throw) if issuing fails.
  KeyAndCert issue(ca::Profile profile, const std::string& common_name,
                   crypto::KeyType key = crypto::KeyType::kEcP256,
                   std::optional<std::chrono::sys_seconds> not_after = std::nullopt);

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
