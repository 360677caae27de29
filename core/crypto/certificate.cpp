#include "xacbe/crypto/certificate.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "xacbe/crypto/asn1.hpp"
#include "xacbe/crypto/encoding.hpp"
#include "xacbe/file.hpp"

namespace xacbe::crypto {
namespace {

std::string name_to_string(const X509_NAME* name) {
  BIOPtr bio(BIO_new(BIO_s_mem()));
  X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

}  // namespace

Certificate::Certificate(X509Ptr cert) : cert_(cert.release(), X509Deleter()) {}

Certificate Certificate::share(X509* cert) {
  X509_up_ref(cert);
  return Certificate(X509Ptr(cert));
}

Result<Certificate> Certificate::from_der(std::string_view der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (!cert) return invalid_argument(openssl_error("not a DER certificate"));
  if (p != reinterpret_cast<const unsigned char*>(der.data() + der.size())) {
    return invalid_argument("trailing bytes after DER certificate");
  }
  return Certificate(std::move(cert));
}

Result<Certificate> Certificate::from_pem(std::string_view pem) {
  BIOPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!cert) return invalid_argument(openssl_error("not a PEM certificate"));
  return Certificate(std::move(cert));
}

Result<Certificate> Certificate::load(const std::string& path) {
  XACBE_ASSIGN_OR_RETURN(std::string pem, read_file(path));
  auto cert = from_pem(pem);
  if (!cert) return Status(cert.status().code(), path + ": " + cert.status().message());
  return cert;
}

std::string Certificate::der() const {
  unsigned char* der = nullptr;
  const int n = i2d_X509(cert_.get(), &der);
  if (n <= 0) return {};
  std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(n));
  OPENSSL_free(der);
  return out;
}

std::string Certificate::pem() const {
  BIOPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(bio.get(), cert_.get());
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

std::string Certificate::subject() const { return name_to_string(X509_get_subject_name(cert_.get())); }
std::string Certificate::issuer() const { return name_to_string(X509_get_issuer_name(cert_.get())); }
std::string Certificate::serial_hex() const { return serial_to_hex(X509_get0_serialNumber(cert_.get())); }

std::chrono::sys_seconds Certificate::not_before() const {
  auto t = from_asn1_time(X509_get0_notBefore(cert_.get()));
  return t ? *t : std::chrono::sys_seconds{};
}

std::chrono::sys_seconds Certificate::not_after() const {
  auto t = from_asn1_time(X509_get0_notAfter(cert_.get()));
  return t ? *t : std::chrono::sys_seconds{};
}

std::string Certificate::sha256_fingerprint() const { return to_hex(sha256(der())); }

bool Certificate::is_ca() const { return X509_check_ca(cert_.get()) != 0; }

Result<std::vector<Certificate>> certificates_from_pem(std::string_view pem) {
  BIOPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  std::vector<Certificate> out;
  while (X509* raw = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    out.push_back(Certificate::share(raw));
    X509_free(raw);  // share() took its own reference
  }
  ERR_clear_error();  // the loop ends on a "no start line" error
  if (out.empty()) return invalid_argument("no PEM certificate found");
  return out;
}

Result<std::vector<Certificate>> load_certificates(const std::string& path) {
  XACBE_ASSIGN_OR_RETURN(std::string pem, read_file(path));
  auto certs = certificates_from_pem(pem);
  if (!certs) return Status(certs.status().code(), path + ": " + certs.status().message());
  return certs;
}

X509StackPtr to_stack(const std::vector<Certificate>& certs) {
  X509StackPtr stack(sk_X509_new_null());
  for (const auto& c : certs) {
    X509_up_ref(c.get());
    sk_X509_push(stack.get(), c.get());
  }
  return stack;
}

Status verify_chain(const Certificate& cert, const std::vector<Certificate>& roots,
                    const std::vector<Certificate>& intermediates, std::chrono::sys_seconds at) {
  X509_STOREPtr store(X509_STORE_new());
  for (const auto& root : roots) X509_STORE_add_cert(store.get(), root.get());
  X509StackPtr untrusted = to_stack(intermediates);
  X509_STORE_CTXPtr ctx(X509_STORE_CTX_new());
  if (X509_STORE_CTX_init(ctx.get(), store.get(), cert.get(), untrusted.get()) != 1) {
    return internal_error(openssl_error("X509_STORE_CTX_init failed"));
  }
  X509_STORE_CTX_set_time(ctx.get(), 0, static_cast<time_t>(at.time_since_epoch().count()));
  if (X509_verify_cert(ctx.get()) != 1) {
    const int err = X509_STORE_CTX_get_error(ctx.get());
    ERR_clear_error();
    return permission_denied("certificate " + cert.subject() + " does not verify: " +
                             X509_verify_cert_error_string(err));
  }
  return Status::ok();
}

}  // namespace xacbe::crypto
