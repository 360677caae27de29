#include "xacbe/crypto/cms.hpp"

#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <memory>

#include "xacbe/crypto/asn1.hpp"

namespace xacbe::crypto {
namespace {

BIOPtr memory_bio(std::string_view bytes) {
  return BIOPtr(BIO_new_mem_buf(bytes.data(), static_cast<int>(bytes.size())));
}

Result<std::string> encoded(const CMS_ContentInfo* cms) {
  std::string out = to_der(i2d_CMS_ContentInfo, cms);
  if (out.empty()) return internal_error(openssl_error("CMS encoding failed"));
  return out;
}

}  // namespace

Result<std::string> cms_sign_detached(const PrivateKey& key, const Certificate& cert, std::string_view content,
                                      const std::vector<Certificate>& chain) {
  auto data = memory_bio(content);
  X509StackPtr extra = to_stack(chain);
  CMS_ContentInfoPtr cms(CMS_sign(cert.get(), key.get(), reinterpret_cast<STACK_OF(X509)*>(extra.get()), data.get(), CMS_DETACHED | CMS_BINARY));
  if (!cms) return invalid_argument(openssl_error("CMS signing failed (does the key match the certificate?)"));
  return encoded(cms.get());
}

Result<Certificate> cms_verify_detached(std::string_view cms_der, std::string_view content,
                                        const std::vector<Certificate>& roots, std::chrono::sys_seconds at) {
  const auto* p = reinterpret_cast<const unsigned char*>(cms_der.data());
  CMS_ContentInfoPtr cms(d2i_CMS_ContentInfo(nullptr, &p, static_cast<long>(cms_der.size())));
  if (!cms || p != reinterpret_cast<const unsigned char*>(cms_der.data()) + cms_der.size()) {
    return invalid_argument(openssl_error("not a DER CMS structure"));
  }
  if (OBJ_obj2nid(CMS_get0_type(cms.get())) != NID_pkcs7_signed) {
    ERR_clear_error();
    return invalid_argument("CMS structure is not SignedData");
  }
  if (sk_CMS_SignerInfo_num(CMS_get0_SignerInfos(cms.get())) != 1) {
    return invalid_argument("CMS SignedData must have exactly one signer");
  }
  // The signature is checked here; the signer's chain is checked below with our own rules, so
  // that OpenSSL's S/MIME purpose check does not apply to CEIQROO certificate profiles.
  auto data = memory_bio(content);
  if (CMS_verify(cms.get(), nullptr, nullptr, data.get(), nullptr, CMS_BINARY | CMS_NO_SIGNER_CERT_VERIFY) != 1) {
    return permission_denied(openssl_error("CMS signature does not verify"));
  }
  // CMS_get0_signers returns a new stack of borrowed certificates: free the stack only.
  std::unique_ptr<STACK_OF(X509), void (*)(STACK_OF(X509)*)> signers(
      CMS_get0_signers(cms.get()), [](STACK_OF(X509)* s) { sk_X509_free(s); });
  if (!signers || sk_X509_num(signers.get()) != 1) return permission_denied("CMS signer certificate not found");
  Certificate signer = Certificate::share(sk_X509_value(signers.get(), 0));
  std::vector<Certificate> intermediates;
  if (STACK_OF(X509)* certs = CMS_get1_certs(cms.get())) {
    for (int i = 0; i < sk_X509_num(certs); ++i) intermediates.push_back(Certificate::share(sk_X509_value(certs, i)));
    sk_X509_pop_free(certs, X509_free);
  }
  Status chained = verify_chain(signer, roots, intermediates, at);
  if (!chained.is_ok()) return permission_denied("CMS signer not trusted: " + chained.message());
  return signer;
}

Result<std::string> cms_encrypt(std::string_view content, const std::vector<Certificate>& recipients) {
  if (recipients.empty()) return invalid_argument("CMS encryption needs at least one recipient certificate");
  X509StackPtr certs = to_stack(recipients);
  auto data = memory_bio(content);
  CMS_ContentInfoPtr cms(CMS_encrypt(reinterpret_cast<STACK_OF(X509)*>(certs.get()), data.get(), EVP_aes_256_gcm(),
                                     CMS_BINARY));
  if (!cms) return invalid_argument(openssl_error("CMS encryption failed (is each recipient's key RSA or EC?)"));
  return encoded(cms.get());
}

Result<std::string> cms_decrypt(std::string_view cms_der, const PrivateKey& key, const Certificate& cert) {
  const auto* p = reinterpret_cast<const unsigned char*>(cms_der.data());
  CMS_ContentInfoPtr cms(d2i_CMS_ContentInfo(nullptr, &p, static_cast<long>(cms_der.size())));
  if (!cms || p != reinterpret_cast<const unsigned char*>(cms_der.data()) + cms_der.size()) {
    return invalid_argument(openssl_error("not a DER CMS structure"));
  }
  const int type = OBJ_obj2nid(CMS_get0_type(cms.get()));
  if (type != NID_pkcs7_enveloped && type != NID_id_smime_ct_authEnvelopedData) {
    ERR_clear_error();
    return invalid_argument("CMS structure is not (Auth)EnvelopedData");
  }
  BIOPtr out(BIO_new(BIO_s_mem()));
  // With the certificate, only the recipient info issued to it is tried (no trial decryption).
  if (CMS_decrypt(cms.get(), key.get(), cert.get(), nullptr, out.get(), CMS_BINARY) != 1) {
    return permission_denied(openssl_error("CMS content cannot be decrypted with this key and certificate"));
  }
  char* bytes = nullptr;
  const long size = BIO_get_mem_data(out.get(), &bytes);
  return std::string(bytes, static_cast<std::size_t>(size));
}

}  // namespace xacbe::crypto
