#pragma once
// PKCS#10 certificate signing requests. Security servers generate them for their own keys; the
// CEIQROO CA accepts only requests whose self-signature verifies and whose key is strong.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "xacbe/crypto/key.hpp"
#include "xacbe/crypto/openssl_ptr.hpp"
#include "xacbe/result.hpp"

namespace xacbe::crypto {

// An X.500 name as ordered (attribute, value) pairs, e.g. {{"C","MX"},{"O","PGJ"},{"CN","SS1"}}.
using DistinguishedName = std::vector<std::pair<std::string, std::string>>;

Result<X509_NAMEPtr> make_name(const DistinguishedName& dn);

class CertificateRequest {
 public:
  static Result<CertificateRequest> create(const PrivateKey& key, const DistinguishedName& subject);
  static Result<CertificateRequest> from_der(std::string_view der);
  // Accepts PEM or DER.
  static Result<CertificateRequest> parse(std::string_view pem_or_der);

  // Self-signature and key strength; the CA calls this before issuing.
  Status verify() const;
  std::string der() const;
  std::string pem() const;
  std::string subject() const;
  // The request's public key (owning reference).
  EVP_PKEYPtr public_key() const;

  X509_REQ* get() const { return req_.get(); }

 private:
  explicit CertificateRequest(X509_REQPtr req) : req_(std::move(req)) {}
  X509_REQPtr req_;
};

}  // namespace xacbe::crypto
