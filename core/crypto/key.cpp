#include "xacbe/crypto/key.hpp"

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "xacbe/file.hpp"

namespace xacbe::crypto {
namespace {

std::string group_name(const EVP_PKEY* key) {
  char name[64] = {0};
  size_t len = 0;
  if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, name, sizeof name, &len) != 1) {
    return "";
  }
  return std::string(name, len);
}

std::string bio_contents(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(n));
}

}  // namespace

Result<KeyType> parse_key_type(std::string_view name) {
  if (name == "rsa2048") return KeyType::kRsa2048;
  if (name == "rsa3072") return KeyType::kRsa3072;
  if (name == "rsa4096") return KeyType::kRsa4096;
  if (name == "ec-p256") return KeyType::kEcP256;
  if (name == "ec-p384") return KeyType::kEcP384;
  return invalid_argument("unknown key type '" + std::string(name) +
                          "' (expected rsa2048, rsa3072, rsa4096, ec-p256 or ec-p384)");
}

std::string describe_key(const EVP_PKEY* key) {
  switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_RSA: return "RSA " + std::to_string(EVP_PKEY_get_bits(key));
    case EVP_PKEY_EC: {
      // NIST names ("P-256") where the curve has one, as the policy and the messages spell them.
      const std::string group = group_name(key);
      const char* nist = EC_curve_nid2nist(OBJ_sn2nid(group.c_str()));
      return "EC " + (nist != nullptr ? std::string(nist) : group);
    }
    default: return std::string(OBJ_nid2sn(EVP_PKEY_get_base_id(key)));
  }
}

Status check_key_strength(const EVP_PKEY* key) {
  if (key == nullptr) return invalid_argument("no public key");
  switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_RSA:
      if (EVP_PKEY_get_bits(key) < 2048) {
        return permission_denied("weak key: " + describe_key(key) + " (RSA keys need 2048 bits or more)");
      }
      return Status::ok();
    case EVP_PKEY_EC: {
      const std::string group = group_name(key);
      if (group == "prime256v1" || group == "P-256" || group == "secp384r1" || group == "P-384") {
        return Status::ok();
      }
      return permission_denied("weak key: EC curve '" + group + "' is not allowed (P-256 or P-384)");
    }
    default:
      return permission_denied("key algorithm " + describe_key(key) + " is not allowed (RSA or ECDSA)");
  }
}

const EVP_MD* signing_digest(const EVP_PKEY* key) {
  if (EVP_PKEY_get_base_id(key) == EVP_PKEY_EC && EVP_PKEY_get_bits(key) > 256) return EVP_sha384();
  return EVP_sha256();
}

Result<PrivateKey> PrivateKey::generate(KeyType type) {
  EVP_PKEY* raw = nullptr;
  switch (type) {
    case KeyType::kRsa2048: raw = EVP_RSA_gen(2048); break;
    case KeyType::kRsa3072: raw = EVP_RSA_gen(3072); break;
    case KeyType::kRsa4096: raw = EVP_RSA_gen(4096); break;
    case KeyType::kEcP256: raw = EVP_EC_gen("P-256"); break;
    case KeyType::kEcP384: raw = EVP_EC_gen("P-384"); break;
  }
  if (raw == nullptr) return internal_error(openssl_error("key generation failed"));
  return PrivateKey(EVP_PKEYPtr(raw));
}

Result<PrivateKey> PrivateKey::from_pem(std::string_view pem) {
  BIOPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  EVP_PKEYPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!key) return invalid_argument(openssl_error("not a PEM private key"));
  XACBE_RETURN_IF_ERROR(check_key_strength(key.get()));
  return PrivateKey(std::move(key));
}

Result<PrivateKey> PrivateKey::load(const std::string& path) {
  XACBE_ASSIGN_OR_RETURN(std::string pem, read_file(path));
  auto key = from_pem(pem);
  if (!key) return Status(key.status().code(), path + ": " + key.status().message());
  return key;
}

std::string PrivateKey::to_pem() const {
  BIOPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PrivateKey(bio.get(), key_.get(), nullptr, nullptr, 0, nullptr, nullptr);
  return bio_contents(bio.get());
}

Status PrivateKey::save(const std::string& path) const { return write_file_atomic(path, to_pem(), 0600); }

std::string PrivateKey::public_key_der() const {
  unsigned char* der = nullptr;
  const int n = i2d_PUBKEY(key_.get(), &der);
  if (n <= 0) return {};
  std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(n));
  OPENSSL_free(der);
  return out;
}

}  // namespace xacbe::crypto
