#include "signing_key_files.hpp"

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <filesystem>

#include "xacbe/crypto/csr.hpp"
#include "xacbe/file.hpp"
#include "xacbe/log/log.hpp"

namespace xacbe::registry {
namespace {

Result<bool> file_exists(const std::string& path) {
  std::error_code ec;
  const bool exists = std::filesystem::exists(path, ec);
  if (ec) return unavailable("cannot look at " + path + ": " + ec.message());
  return exists;
}

std::string normal(const std::string& path) {
  std::error_code ec;
  const auto absolute = std::filesystem::absolute(path, ec);
  return (ec ? std::filesystem::path(path) : absolute).lexically_normal().string();
}

bool same_public_key(const crypto::Certificate& a, const crypto::Certificate& b) {
  const EVP_PKEY* x = X509_get0_pubkey(a.get());
  const EVP_PKEY* y = X509_get0_pubkey(b.get());
  return x != nullptr && y != nullptr && EVP_PKEY_eq(x, y) == 1;
}

Result<crypto::Certificate> load_certificate(const SigningKeyPaths& paths, const char* role) {
  XACBE_ASSIGN_OR_RETURN(bool exists, file_exists(paths.certificate));
  if (!exists) {
    return failed_precondition("the " + std::string(role) + " configuration-signing certificate " + paths.certificate +
                               " does not exist; it stays listed in the anchor until the key change is finished");
  }
  return crypto::Certificate::load(paths.certificate);
}

// The key and certificate at `paths`, made when absent; `role` names them in messages and logs.
Result<ConfigurationSigner> make_or_load(const SigningKeyPaths& paths, const char* role, const std::string& instance,
                                         ca::CertificateAuthority& ca) {
  XACBE_ASSIGN_OR_RETURN(bool has_key, file_exists(paths.key));
  XACBE_ASSIGN_OR_RETURN(bool has_certificate, file_exists(paths.certificate));
  if (!has_key && has_certificate) {
    // Never a new key under an existing certificate: the pair could not sign anything.
    return failed_precondition("the " + std::string(role) + " configuration-signing certificate " + paths.certificate +
                               " exists but its key " + paths.key +
                               " does not: restore the key, or move the certificate away so that a new pair is made");
  }
  if (!has_key) {
    XACBE_ASSIGN_OR_RETURN(crypto::PrivateKey made, crypto::PrivateKey::generate(crypto::KeyType::kEcP256));
    XACBE_RETURN_IF_ERROR(made.save(paths.key));
    log::info("created the {} configuration-signing key {}", role, paths.key);
  }
  XACBE_ASSIGN_OR_RETURN(crypto::PrivateKey key, crypto::PrivateKey::load(paths.key));
  if (!has_certificate) {
    const crypto::DistinguishedName dn = {
        {"C", "MX"}, {"O", "CEIQROO"}, {"CN", "CEIQROO global configuration " + instance}};
    XACBE_ASSIGN_OR_RETURN(crypto::CertificateRequest csr, crypto::CertificateRequest::create(key, dn));
    XACBE_ASSIGN_OR_RETURN(crypto::Certificate issued, ca.issue(csr, ca::Profile::kSigning, dn));
    XACBE_RETURN_IF_ERROR(write_file_atomic(paths.certificate, issued.pem()));
    log::info("the CA issued the {} configuration-signing certificate {} (serial {})", role, paths.certificate,
              issued.serial_hex());
  }
  XACBE_ASSIGN_OR_RETURN(crypto::Certificate certificate, crypto::Certificate::load(paths.certificate));
  if (X509_check_private_key(certificate.get(), key.get()) != 1) {
    return failed_precondition(crypto::openssl_error("the " + std::string(role) + " configuration-signing key " +
                                                     paths.key + " does not match its certificate " +
                                                     paths.certificate));
  }
  return ConfigurationSigner{std::move(key), std::move(certificate)};
}

}  // namespace

Result<SigningKeys> open_signing_keys(const SigningKeyFiles& files, const std::string& instance,
                                      ca::CertificateAuthority& ca) {
  if (!files.next) {
    if (files.sign_with_next) return invalid_argument("signing with the next key needs a next key");
    XACBE_ASSIGN_OR_RETURN(ConfigurationSigner active, make_or_load(files.current, "current", instance, ca));
    return SigningKeys{std::move(active), std::nullopt, std::nullopt};
  }
  const SigningKeyPaths& next = *files.next;
  if (normal(next.key) == normal(files.current.key) || normal(next.certificate) == normal(files.current.certificate) ||
      normal(next.key) == normal(next.certificate)) {
    return invalid_argument("the next configuration-signing key and certificate (" + next.key + ", " +
                            next.certificate + ") must be files of their own, not " + files.current.key + " or " +
                            files.current.certificate);
  }
  // The new key is another key than the old one, whichever of the two signs.
  auto check_new_key = [&](const crypto::Certificate& old_one, const crypto::Certificate& new_one) -> Status {
    if (!same_public_key(old_one, new_one)) return Status::ok();
    return invalid_argument("the next configuration-signing certificate " + next.certificate +
                            " is for the same key as " + files.current.certificate + ": a key change needs a new key");
  };
  if (files.sign_with_next) {
    // The switch is made: the retired key is not needed, only its certificate for the anchor.
    XACBE_ASSIGN_OR_RETURN(ConfigurationSigner active, make_or_load(next, "next", instance, ca));
    XACBE_ASSIGN_OR_RETURN(crypto::Certificate previous, load_certificate(files.current, "previous"));
    XACBE_RETURN_IF_ERROR(check_new_key(previous, active.certificate));
    return SigningKeys{std::move(active), std::nullopt, std::move(previous)};
  }
  XACBE_ASSIGN_OR_RETURN(ConfigurationSigner active, make_or_load(files.current, "current", instance, ca));
  XACBE_ASSIGN_OR_RETURN(ConfigurationSigner announced, make_or_load(next, "next", instance, ca));
  XACBE_RETURN_IF_ERROR(check_new_key(active.certificate, announced.certificate));
  return SigningKeys{std::move(active), std::move(announced), std::nullopt};
}

}  // namespace xacbe::registry
