#pragma once
// Private and public keys. Xacbe accepts RSA of 2048 bits or more and ECDSA on P-256 or P-384;
// anything else (smaller RSA, DSA, other curves) is a weak key and is refused where a key enters
// the system (CSRs at the CA, keys loaded from files).

#include <string>
#include <string_view>

#include "xacbe/crypto/openssl_ptr.hpp"
#include "xacbe/result.hpp"

namespace xacbe::crypto {

enum class KeyType { kRsa2048, kRsa3072, kRsa4096, kEcP256, kEcP384 };

// Parses "rsa2048", "rsa3072", "rsa4096", "ec-p256", "ec-p384".
Result<KeyType> parse_key_type(std::string_view name);

// Refuses keys weaker than the policy above; the message names the key.
Status check_key_strength(const EVP_PKEY* key);

// One-line description, e.g. "RSA 2048" or "EC P-256".
std::string describe_key(const EVP_PKEY* key);

class PrivateKey {
 public:
  static Result<PrivateKey> generate(KeyType type);
  // PKCS#8 or traditional PEM; strength is checked.
  static Result<PrivateKey> from_pem(std::string_view pem);
  static Result<PrivateKey> load(const std::string& path);

  // Unencrypted PKCS#8 PEM (key files are protected by file mode 0600).
  std::string to_pem() const;
  Status save(const std::string& path) const;
  // DER SubjectPublicKeyInfo of the public half.
  std::string public_key_der() const;

  EVP_PKEY* get() const { return key_.get(); }

 private:
  explicit PrivateKey(EVP_PKEYPtr key) : key_(std::move(key)) {}
  EVP_PKEYPtr key_;
};

// Digest used when signing with this key: SHA-256 for RSA and P-256, SHA-384 for P-384.
const EVP_MD* signing_digest(const EVP_PKEY* key);

}  // namespace xacbe::crypto
