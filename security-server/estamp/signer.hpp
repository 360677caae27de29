#pragma once
// What makes an e-stamp signature: the member's signing key and certificate. An interface so that a
// PKCS#11 token (an OpenSSL 3 provider key) can take the software key's place without touching the
// e-stamp code.

#include <memory>

#include "xacbe/crypto/certificate.hpp"
#include "xacbe/crypto/key.hpp"
#include "xacbe/crypto/openssl_ptr.hpp"
#include "xacbe/result.hpp"

namespace xacbe::ss {

// Implementations are used from several signing threads at once and must be thread-safe.
class Signer {
 public:
  virtual ~Signer();
  // The `sign` certificate (docs/protocol/certificates.md) of the key below.
  virtual const crypto::Certificate& certificate() const = 0;
  // The private key. xmlsec takes one more reference on it (EVP_PKEY_up_ref) for each signature
  // and signs through EVP, so a key held by a provider works as well as one in memory.
  virtual EVP_PKEY* private_key() const = 0;
};

// A key held in memory by this process.
class SoftwareSigner final : public Signer {
 public:
  // kInvalidArgument when `key` is not the private half of `certificate`'s public key.
  static Result<std::unique_ptr<SoftwareSigner>> create(crypto::PrivateKey key, crypto::Certificate certificate);

  const crypto::Certificate& certificate() const override { return certificate_; }
  EVP_PKEY* private_key() const override { return key_.get(); }

 private:
  SoftwareSigner(crypto::PrivateKey key, crypto::Certificate certificate)
      : key_(std::move(key)), certificate_(std::move(certificate)) {}
  crypto::PrivateKey key_;
  crypto::Certificate certificate_;
};

}  // namespace xacbe::ss
