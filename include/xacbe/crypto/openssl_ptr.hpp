#pragma once
// Owning handles for OpenSSL objects (like BoringSSL's bssl::UniquePtr). Business code never
// calls *_free itself. The deleters are defined in core/crypto so this header stays light.

#include <openssl/types.h>

#include <memory>
#include <string>

// Types not covered by <openssl/types.h>.
typedef struct TS_req_st TS_REQ;
typedef struct TS_resp_st TS_RESP;
typedef struct TS_tst_info_st TS_TST_INFO;
typedef struct TS_resp_ctx TS_RESP_CTX;
typedef struct ocsp_request_st OCSP_REQUEST;
typedef struct ocsp_response_st OCSP_RESPONSE;
typedef struct ocsp_basic_response_st OCSP_BASICRESP;
typedef struct ocsp_cert_id_st OCSP_CERTID;
typedef struct stack_st_X509 STACK_OF_X509;
typedef struct X509_req_st X509_REQ;
typedef struct X509_extension_st X509_EXTENSION;
typedef struct CMS_ContentInfo_st CMS_ContentInfo;

namespace xacbe::crypto {

#define XACBE_OPENSSL_DELETER(T)                  \
  struct T##Deleter {                             \
    void operator()(T* p) const noexcept;         \
  };                                              \
  using T##Ptr = std::unique_ptr<T, T##Deleter>;

XACBE_OPENSSL_DELETER(EVP_PKEY)
XACBE_OPENSSL_DELETER(EVP_PKEY_CTX)
XACBE_OPENSSL_DELETER(EVP_MD_CTX)
XACBE_OPENSSL_DELETER(X509)
XACBE_OPENSSL_DELETER(X509_REQ)
XACBE_OPENSSL_DELETER(X509_NAME)
XACBE_OPENSSL_DELETER(X509_EXTENSION)
XACBE_OPENSSL_DELETER(X509_STORE)
XACBE_OPENSSL_DELETER(X509_STORE_CTX)
XACBE_OPENSSL_DELETER(BIO)
XACBE_OPENSSL_DELETER(BIGNUM)
XACBE_OPENSSL_DELETER(ASN1_INTEGER)
XACBE_OPENSSL_DELETER(ASN1_OBJECT)
XACBE_OPENSSL_DELETER(ASN1_TIME)
XACBE_OPENSSL_DELETER(ASN1_OCTET_STRING)
XACBE_OPENSSL_DELETER(CMS_ContentInfo)
XACBE_OPENSSL_DELETER(TS_REQ)
XACBE_OPENSSL_DELETER(TS_RESP)
XACBE_OPENSSL_DELETER(TS_TST_INFO)
XACBE_OPENSSL_DELETER(TS_RESP_CTX)
XACBE_OPENSSL_DELETER(OCSP_REQUEST)
XACBE_OPENSSL_DELETER(OCSP_RESPONSE)
XACBE_OPENSSL_DELETER(OCSP_BASICRESP)
XACBE_OPENSSL_DELETER(OCSP_CERTID)

#undef XACBE_OPENSSL_DELETER

// A STACK_OF(X509) that owns its certificates (sk_X509_pop_free).
struct X509StackDeleter {
  void operator()(STACK_OF_X509* p) const noexcept;
};
using X509StackPtr = std::unique_ptr<STACK_OF_X509, X509StackDeleter>;

// Drains the thread's OpenSSL error queue into one readable line (and clears it).
// Returns `context` alone when the queue is empty.
std::string openssl_error(const std::string& context);

}  // namespace xacbe::crypto
