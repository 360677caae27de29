#include "estamp/signer.hpp"

#include <openssl/err.h>
#include <openssl/x509.h>

namespace xacbe::ss {

Signer::~Signer() = default;

Result<std::unique_ptr<SoftwareSigner>> SoftwareSigner::create(crypto::PrivateKey key,
                                                               crypto::Certificate certificate) {
  if (key.get() == nullptr || certificate.get() == nullptr) return invalid_argument("signer key or certificate missing");
  if (X509_check_private_key(certificate.get(), key.get()) != 1) {
    ERR_clear_error();
    return invalid_argument("the signing key does not belong to the signing certificate");
  }
  return std::unique_ptr<SoftwareSigner>(new SoftwareSigner(std::move(key), std::move(certificate)));
}

}  // namespace xacbe::ss
