#include "xacbe/crypto/csr.hpp"

#include <openssl/pem.h>
#include <openssl/x509.h>

namespace xacbe::crypto {

Result<X509_NAMEPtr> make_name(const DistinguishedName& dn) {
  X509_NAMEPtr name(X509_NAME_new());
  for (const auto& [attr, value] : dn) {
    if (value.empty()) return invalid_argument("empty value for name attribute " + attr);
    if (X509_NAME_add_entry_by_txt(name.get(), attr.c_str(), MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(value.c_str()),
                                   static_cast<int>(value.size()), -1, 0) != 1) {
      return invalid_argument(openssl_error("invalid name attribute " + attr + "=" + value));
    }
  }
  return name;
}

Result<CertificateRequest> CertificateRequest::create(const PrivateKey& key,
                                                      const DistinguishedName& subject) {
  X509_REQPtr req(X509_REQ_new());
  XACBE_ASSIGN_OR_RETURN(X509_NAMEPtr name, make_name(subject));
  if (X509_REQ_set_version(req.get(), 0) != 1 || X509_REQ_set_subject_name(req.get(), name.get()) != 1 ||
      X509_REQ_set_pubkey(req.get(), key.get()) != 1 ||
      X509_REQ_sign(req.get(), key.get(), signing_digest(key.get())) <= 0) {
    return internal_error(openssl_error("cannot build CSR"));
  }
  return CertificateRequest(std::move(req));
}

Result<CertificateRequest> CertificateRequest::from_der(std::string_view der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  X509_REQPtr req(d2i_X509_REQ(nullptr, &p, static_cast<long>(der.size())));
  if (!req) return invalid_argument(openssl_error("not a DER certificate request"));
  if (p != reinterpret_cast<const unsigned char*>(der.data() + der.size())) {
    return invalid_argument("trailing bytes after DER certificate request");
  }
  return CertificateRequest(std::move(req));
}

Result<CertificateRequest> CertificateRequest::parse(std::string_view pem_or_der) {
  if (pem_or_der.find("-----BEGIN") == std::string_view::npos) return from_der(pem_or_der);
  BIOPtr bio(BIO_new_mem_buf(pem_or_der.data(), static_cast<int>(pem_or_der.size())));
  X509_REQPtr req(PEM_read_bio_X509_REQ(bio.get(), nullptr, nullptr, nullptr));
  if (!req) return invalid_argument(openssl_error("not a PEM certificate request"));
  return CertificateRequest(std::move(req));
}

Status CertificateRequest::verify() const {
  EVP_PKEY* key = X509_REQ_get0_pubkey(req_.get());
  if (key == nullptr) return invalid_argument(openssl_error("CSR has no usable public key"));
  XACBE_RETURN_IF_ERROR(check_key_strength(key));
  if (X509_REQ_verify(req_.get(), key) != 1) {
    return permission_denied(openssl_error("CSR signature does not verify"));
  }
  return Status::ok();
}

std::string CertificateRequest::der() const {
  unsigned char* der = nullptr;
  const int n = i2d_X509_REQ(req_.get(), &der);
  if (n <= 0) return {};
  std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(n));
  OPENSSL_free(der);
  return out;
}

std::string CertificateRequest::pem() const {
  BIOPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509_REQ(bio.get(), req_.get());
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

std::string CertificateRequest::subject() const {
  BIOPtr bio(BIO_new(BIO_s_mem()));
  X509_NAME_print_ex(bio.get(), X509_REQ_get_subject_name(req_.get()), 0, XN_FLAG_RFC2253);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

EVP_PKEYPtr CertificateRequest::public_key() const { return EVP_PKEYPtr(X509_REQ_get_pubkey(req_.get())); }

}  // namespace xacbe::crypto
