#pragma once
// X.509 certificates (shared, immutable handles) and PEM/DER helpers.

#include <string>
#include <string_view>
#include <vector>

#include "xacbe/clock.hpp"
#include "xacbe/crypto/openssl_ptr.hpp"
#include "xacbe/result.hpp"

namespace xacbe::crypto {

class Certificate {
 public:
  static Result<Certificate> from_der(std::string_view der);
  static Result<Certificate> from_pem(std::string_view pem);
  static Result<Certificate> load(const std::string& path);  // PEM file, first certificate
  // Takes one more reference on `cert`.
  static Certificate share(X509* cert);

  std::string der() const;
  std::string pem() const;
  // RFC 2253 form, e.g. "CN=TSA,O=CEIQROO,C=MX".
  std::string subject() const;
  std::string issuer() const;
  // Upper-case hex without leading zeros, e.g. "1F3A".
  std::string serial_hex() const;
  // Whole seconds, up to 9999-12-31T23:59:59Z: compare a clock reading with is_before() and
  // is_after() (clock.hpp), never by converting these to a TimePoint. The Unix epoch when the
  // field cannot be read.
  std::chrono::sys_seconds not_before() const;
  std::chrono::sys_seconds not_after() const;
  // Lower-case hex SHA-256 of the DER encoding.
  std::string sha256_fingerprint() const;
  bool is_ca() const;

  X509* get() const { return cert_.get(); }

 private:
  explicit Certificate(X509Ptr cert);
  // X509 is reference-counted; copies share it.
  std::shared_ptr<X509> cert_;
  friend class CertificateRequest;
};

// All certificates in a PEM bundle, in order; an empty bundle is an error.
Result<std::vector<Certificate>> certificates_from_pem(std::string_view pem);
Result<std::vector<Certificate>> load_certificates(const std::string& path);

// Builds an owning STACK_OF(X509) holding extra references to `certs`.
X509StackPtr to_stack(const std::vector<Certificate>& certs);

// Verifies that `cert` chains to one of `roots` (with optional `intermediates`) at time `at`
// (whole seconds, any time a certificate can name).
Status verify_chain(const Certificate& cert, const std::vector<Certificate>& roots,
                    const std::vector<Certificate>& intermediates, std::chrono::sys_seconds at);
// At a clock reading, floored to seconds.
inline Status verify_chain(const Certificate& cert, const std::vector<Certificate>& roots,
                           const std::vector<Certificate>& intermediates, TimePoint at) {
  return verify_chain(cert, roots, intermediates, std::chrono::floor<std::chrono::seconds>(at));
}

}  // namespace xacbe::crypto
