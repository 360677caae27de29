#include "xacbe/crypto/openssl_ptr.hpp"

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/ts.h>
#include <openssl/x509.h>

namespace xacbe::crypto {

#define XACBE_DEFINE_DELETER(T, fn) \
  void T##Deleter::operator()(T* p) const noexcept { fn(p); }

XACBE_DEFINE_DELETER(EVP_PKEY, EVP_PKEY_free)
XACBE_DEFINE_DELETER(EVP_PKEY_CTX, EVP_PKEY_CTX_free)
XACBE_DEFINE_DELETER(EVP_MD_CTX, EVP_MD_CTX_free)
XACBE_DEFINE_DELETER(X509, X509_free)
XACBE_DEFINE_DELETER(X509_REQ, X509_REQ_free)
XACBE_DEFINE_DELETER(X509_NAME, X509_NAME_free)
XACBE_DEFINE_DELETER(X509_EXTENSION, X509_EXTENSION_free)
XACBE_DEFINE_DELETER(X509_STORE, X509_STORE_free)
XACBE_DEFINE_DELETER(X509_STORE_CTX, X509_STORE_CTX_free)
XACBE_DEFINE_DELETER(BIO, BIO_free_all)
XACBE_DEFINE_DELETER(BIGNUM, BN_free)
XACBE_DEFINE_DELETER(ASN1_INTEGER, ASN1_INTEGER_free)
XACBE_DEFINE_DELETER(ASN1_OBJECT, ASN1_OBJECT_free)
XACBE_DEFINE_DELETER(ASN1_TIME, ASN1_TIME_free)
XACBE_DEFINE_DELETER(ASN1_OCTET_STRING, ASN1_OCTET_STRING_free)
XACBE_DEFINE_DELETER(CMS_ContentInfo, CMS_ContentInfo_free)
XACBE_DEFINE_DELETER(TS_REQ, TS_REQ_free)
XACBE_DEFINE_DELETER(TS_RESP, TS_RESP_free)
XACBE_DEFINE_DELETER(TS_TST_INFO, TS_TST_INFO_free)
XACBE_DEFINE_DELETER(TS_RESP_CTX, TS_RESP_CTX_free)
XACBE_DEFINE_DELETER(OCSP_REQUEST, OCSP_REQUEST_free)
XACBE_DEFINE_DELETER(OCSP_RESPONSE, OCSP_RESPONSE_free)
XACBE_DEFINE_DELETER(OCSP_BASICRESP, OCSP_BASICRESP_free)
XACBE_DEFINE_DELETER(OCSP_CERTID, OCSP_CERTID_free)

#undef XACBE_DEFINE_DELETER

void X509StackDeleter::operator()(STACK_OF_X509* p) const noexcept {
  sk_X509_pop_free(reinterpret_cast<STACK_OF(X509)*>(p), X509_free);
}

std::string openssl_error(const std::string& context) {
  std::string out = context;
  bool first = true;
  unsigned long err;
  while ((err = ERR_get_error()) != 0) {
    char buf[256];
    ERR_error_string_n(err, buf, sizeof buf);
    out += first ? ": " : "; ";
    out += buf;
    first = false;
  }
  return out;
}

}  // namespace xacbe::crypto
