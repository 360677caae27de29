#include "responder.hpp"

#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/ocsp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <climits>
#include <memory>
#include <mutex>
#include <vector>

#include "xacbe/crypto/asn1.hpp"
#include "xacbe/crypto/encoding.hpp"

namespace xacbe::ocsp {
namespace {

using crypto::openssl_error;

// RFC 8954 section 2.1: Nonce ::= OCTET STRING(SIZE(1..32)).
constexpr int kMinNonceOctets = 1;
constexpr int kMaxNonceOctets = 32;
// RFC 5280 section 4.1.2.2: serial numbers are positive and at most 20 octets. Our CA never issues
// any other, so such a CertID is answered "unknown" without asking the status source.
constexpr std::size_t kMaxSerialHexDigits = 40;

// RFC 6960 section 4.2.1: an unsuccessful OCSPResponse is SEQUENCE { ENUMERATED status } without
// responseBytes or signature. Written out directly, it cannot fail to encode.
std::string unsigned_response(int status) {
  return std::string{'\x30', '\x03', '\x0a', '\x01', static_cast<char>(status)};
}

// Internal failures map onto the unsigned statuses of RFC 6960 section 2.3. kUnavailable is the
// responder's own certificate outside its validity: the service exists but cannot sign now, and
// will again once a current certificate is installed (tryLater); internalError is kept for
// failures the responder cannot explain by its state (the database, OpenSSL).
int response_status_for(Code code) {
  switch (code) {
    case Code::kInvalidArgument: return OCSP_RESPONSE_STATUS_MALFORMEDREQUEST;
    case Code::kPermissionDenied: return OCSP_RESPONSE_STATUS_UNAUTHORIZED;
    case Code::kUnavailable: return OCSP_RESPONSE_STATUS_TRYLATER;
    default: return OCSP_RESPONSE_STATUS_INTERNALERROR;
  }
}

// The issuer as a CertID names it with one hash algorithm (RFC 6960 section 4.1.1).
struct IssuerHashes {
  int digest_nid;
  std::string name_hash;  // over the DER of the issuer's subject Name
  std::string key_hash;   // over the issuer's subjectPublicKey BIT STRING value
};

Result<std::vector<IssuerHashes>> compute_issuer_hashes(const crypto::Certificate& issuer) {
  const std::string name = crypto::to_der(i2d_X509_NAME, X509_get_subject_name(issuer.get()));
  const ASN1_BIT_STRING* key = X509_get0_pubkey_bitstr(issuer.get());
  if (name.empty() || key == nullptr) return internal_error(openssl_error("cannot read the issuer name or key"));
  std::vector<IssuerHashes> out;
  for (const auto& [nid, algorithm] : {std::pair{NID_sha1, "SHA1"}, std::pair{NID_sha256, "SHA256"}}) {
    XACBE_ASSIGN_OR_RETURN(std::string name_hash, crypto::digest(algorithm, name));
    XACBE_ASSIGN_OR_RETURN(std::string key_hash, crypto::digest(algorithm, crypto::asn1_octets(key)));
    out.push_back({nid, std::move(name_hash), std::move(key_hash)});
  }
  return out;
}

// RFC 6960 section 4.2.2.2: a delegated responder is certified directly by the CA it answers for,
// with id-kp-OCSPSigning in its extended key usage.
Status check_responder_certificate(const crypto::Certificate& issuer, const crypto::Certificate& cert,
                                   const crypto::PrivateKey& key) {
  const std::string who = "OCSP responder certificate " + cert.subject();
  EVP_PKEY* issuer_key = X509_get0_pubkey(issuer.get());
  if (X509_check_issued(issuer.get(), cert.get()) != X509_V_OK || issuer_key == nullptr ||
      X509_verify(cert.get(), issuer_key) != 1) {
    return permission_denied(openssl_error(who + " is not issued by " + issuer.subject()));
  }
  if ((X509_get_extension_flags(cert.get()) & EXFLAG_XKUSAGE) == 0 ||
      (X509_get_extended_key_usage(cert.get()) & XKU_OCSP_SIGN) == 0) {
    return permission_denied(who + " lacks the extended key usage OCSPSigning");
  }
  if (X509_check_private_key(cert.get(), key.get()) != 1) {
    return invalid_argument(openssl_error("the OCSP responder key does not match " + who));
  }
  return Status::ok();
}

// RFC 6960 section 4.1.1 (DER OCSPRequest) and the responder's size limits.
Result<crypto::OCSP_REQUESTPtr> parse_request(std::string_view der, const ResponderSettings& settings) {
  if (der.empty()) return invalid_argument("empty OCSP request");
  if (der.size() > settings.max_request_bytes || der.size() > static_cast<std::size_t>(INT_MAX)) {
    return invalid_argument("OCSP request of " + std::to_string(der.size()) + " bytes exceeds the limit of " +
                            std::to_string(settings.max_request_bytes));
  }
  XACBE_ASSIGN_OR_RETURN(auto request, crypto::from_der<crypto::OCSP_REQUESTPtr>(d2i_OCSP_REQUEST, der, "OCSPRequest"));
  const int count = OCSP_request_onereq_count(request.get());
  if (count <= 0) return invalid_argument("OCSP request without a CertID");
  if (static_cast<std::size_t>(count) > settings.max_certs_per_request) {
    return invalid_argument("OCSP request with " + std::to_string(count) + " CertIDs exceeds the limit of " +
                            std::to_string(settings.max_certs_per_request));
  }
  return request;
}

// RFC 8954 section 2.1: the extnValue holds a DER OCTET STRING of 1 to 32 octets.
Status check_nonce(X509_EXTENSION* extension) {
  const ASN1_OCTET_STRING* value = X509_EXTENSION_get_data(extension);
  const std::string_view der = crypto::asn1_octets(value);
  if (der.empty()) return invalid_argument("empty nonce extension (RFC 8954 section 2.1)");
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  const unsigned char* const end = p + der.size();
  crypto::ASN1_OCTET_STRINGPtr nonce(d2i_ASN1_OCTET_STRING(nullptr, &p, static_cast<long>(der.size())));
  if (!nonce || p != end) {
    return invalid_argument(openssl_error("nonce is not a DER OCTET STRING (RFC 8954 section 2.1)"));
  }
  const int length = ASN1_STRING_length(nonce.get());
  if (length < kMinNonceOctets || length > kMaxNonceOctets) {
    return invalid_argument("nonce of " + std::to_string(length) + " octets; RFC 8954 allows 1 to 32");
  }
  return Status::ok();
}

std::string extension_name(X509_EXTENSION* extension) {
  char name[80] = {0};
  OBJ_obj2txt(name, sizeof name, X509_EXTENSION_get_object(extension), 1);
  return name;
}

// RFC 6960 section 4.4: unrecognised extensions are ignored unless marked critical; the only
// request extension we understand is the nonce, which may appear once (RFC 5280 section 4.2).
Status check_extensions(OCSP_REQUEST* request) {
  int nonces = 0;
  for (int i = 0; i < OCSP_REQUEST_get_ext_count(request); ++i) {
    X509_EXTENSION* extension = OCSP_REQUEST_get_ext(request, i);
    if (OBJ_obj2nid(X509_EXTENSION_get_object(extension)) == NID_id_pkix_OCSP_Nonce) {
      if (++nonces > 1) return invalid_argument("more than one nonce extension");
      XACBE_RETURN_IF_ERROR(check_nonce(extension));
    } else if (X509_EXTENSION_get_critical(extension) > 0) {
      return invalid_argument("unsupported critical request extension " + extension_name(extension));
    }
  }
  for (int i = 0; i < OCSP_request_onereq_count(request); ++i) {
    OCSP_ONEREQ* one = OCSP_request_onereq_get0(request, i);
    for (int j = 0; j < OCSP_ONEREQ_get_ext_count(one); ++j) {
      X509_EXTENSION* extension = OCSP_ONEREQ_get_ext(one, j);
      if (X509_EXTENSION_get_critical(extension) > 0) {
        return invalid_argument("unsupported critical singleRequest extension " + extension_name(extension));
      }
    }
  }
  return Status::ok();
}

OCSP_CERTID* cert_id_at(OCSP_REQUEST* request, int index) {
  return OCSP_onereq_get0_id(OCSP_request_onereq_get0(request, index));
}

}  // namespace

struct Responder::Impl {
  Impl(crypto::Certificate issuer, ResponderCredentials credentials, ResponderSettings settings, const Clock& clock,
       CertStatusSource& statuses, std::vector<IssuerHashes> issuer_hashes)
      : issuer_(std::move(issuer)), settings_(settings), clock_(clock), statuses_(statuses),
        issuer_hashes_(std::move(issuer_hashes)),
        credentials_(std::make_shared<const ResponderCredentials>(std::move(credentials))) {}

  Result<std::string> answer(std::string_view request_der) const;
  Status check_issuers(OCSP_REQUEST* request) const;
  bool is_our_issuer(OCSP_CERTID* id) const;
  Result<CertStatus> status_of(OCSP_CERTID* id) const;
  Status add_single_response(OCSP_BASICRESP* basic, OCSP_CERTID* id, ASN1_TIME* this_update,
                             ASN1_TIME* next_update) const;
  Result<std::string> sign(OCSP_BASICRESP* basic, TimePoint produced_at, const ResponderCredentials& credentials) const;
  std::shared_ptr<const ResponderCredentials> credentials() const {
    std::lock_guard lock(mu_);
    return credentials_;
  }

  // Immutable after create(): OpenSSL 3 allows concurrent signing with one EVP_PKEY and
  // concurrent reads of one X509.
  const crypto::Certificate issuer_;
  const ResponderSettings settings_;
  const Clock& clock_;
  CertStatusSource& statuses_;  // thread-safe by contract
  const std::vector<IssuerHashes> issuer_hashes_;
  mutable std::mutex mu_;
  // Replaced whole, never changed in place: an answer holds the pair it began with until it is
  // signed, whatever replace_credentials() does meanwhile.
  std::shared_ptr<const ResponderCredentials> credentials_;  // guarded by mu_
};

Result<std::string> Responder::Impl::answer(std::string_view request_der) const {
  XACBE_ASSIGN_OR_RETURN(crypto::OCSP_REQUESTPtr request, parse_request(request_der, settings_));
  XACBE_RETURN_IF_ERROR(check_extensions(request.get()));
  XACBE_RETURN_IF_ERROR(check_issuers(request.get()));

  // RFC 6960 section 4.2.2.1: thisUpdate is when the status is known correct; nextUpdate, when
  // newer information will be available.
  const TimePoint now = clock_.now();
  const std::shared_ptr<const ResponderCredentials> credentials = this->credentials();
  const crypto::Certificate& cert = credentials->certificate;
  // A response signed by an expired (or not yet valid) responder certificate is worthless to
  // the relying party: say tryLater until the operator installs a current certificate, which
  // the responder takes without a restart.
  if (is_before(now, cert.not_before()) || is_after(now, cert.not_after())) {
    return unavailable("the responder certificate is outside its validity");
  }
  crypto::ASN1_TIMEPtr this_update = crypto::to_asn1_time(now);
  crypto::ASN1_TIMEPtr next_update;
  if (settings_.next_update.count() > 0) {
    next_update = crypto::to_asn1_time(now + settings_.next_update);
    if (!next_update) return internal_error(openssl_error("cannot encode nextUpdate"));
  }
  crypto::OCSP_BASICRESPPtr basic(OCSP_BASICRESP_new());
  if (!this_update || !basic) return internal_error(openssl_error("cannot build the OCSP response"));

  for (int i = 0; i < OCSP_request_onereq_count(request.get()); ++i) {
    XACBE_RETURN_IF_ERROR(
        add_single_response(basic.get(), cert_id_at(request.get(), i), this_update.get(), next_update.get()));
  }
  // RFC 8954 section 2.1 / RFC 6960 section 4.4.1: the nonce is echoed unchanged; none if none.
  if (OCSP_copy_nonce(basic.get(), request.get()) <= 0) {
    return internal_error(openssl_error("cannot copy the nonce"));
  }
  return sign(basic.get(), now, *credentials);
}

Status Responder::Impl::check_issuers(OCSP_REQUEST* request) const {
  for (int i = 0; i < OCSP_request_onereq_count(request); ++i) {
    if (!is_our_issuer(cert_id_at(request, i))) {
      return permission_denied("CertID " + std::to_string(i) + " does not name " + issuer_.subject());
    }
  }
  return Status::ok();
}

bool Responder::Impl::is_our_issuer(OCSP_CERTID* id) const {
  ASN1_OCTET_STRING* name_hash = nullptr;
  ASN1_OBJECT* algorithm = nullptr;
  ASN1_OCTET_STRING* key_hash = nullptr;
  if (OCSP_id_get0_info(&name_hash, &algorithm, &key_hash, nullptr, id) != 1 || name_hash == nullptr ||
      key_hash == nullptr) {
    return false;
  }
  const int nid = OBJ_obj2nid(algorithm);
  for (const IssuerHashes& ours : issuer_hashes_) {
    if (ours.digest_nid == nid) return crypto::asn1_octets(name_hash) == ours.name_hash && crypto::asn1_octets(key_hash) == ours.key_hash;
  }
  return false;  // a hash we do not compute cannot be matched against our issuer
}

Result<CertStatus> Responder::Impl::status_of(OCSP_CERTID* id) const {
  ASN1_INTEGER* serial = nullptr;
  if (OCSP_id_get0_info(nullptr, nullptr, nullptr, &serial, id) != 1 || serial == nullptr) {
    return invalid_argument("CertID without a serial number");
  }
  const std::string hex = crypto::serial_to_hex(serial);
  if (hex.empty() || hex == "0" || hex[0] == '-' || hex.size() > kMaxSerialHexDigits) return CertStatus{};
  Result<CertStatus> status = statuses_.lookup(hex);
  // Whatever the source's code, its failure is ours, not the client's (RFC 6960 section 2.3).
  if (!status) return internal_error("status of serial " + hex + ": " + status.status().to_string());
  return status;
}

Status Responder::Impl::add_single_response(OCSP_BASICRESP* basic, OCSP_CERTID* id, ASN1_TIME* this_update,
                                            ASN1_TIME* next_update) const {
  XACBE_ASSIGN_OR_RETURN(CertStatus status, status_of(id));
  int kind = V_OCSP_CERTSTATUS_UNKNOWN;
  int reason = OCSP_REVOKED_STATUS_NOSTATUS;
  crypto::ASN1_TIMEPtr revoked_at;
  switch (status.kind) {
    case CertStatus::Kind::kGood: kind = V_OCSP_CERTSTATUS_GOOD; break;
    case CertStatus::Kind::kUnknown: break;
    case CertStatus::Kind::kRevoked:
      // RFC 6960 section 2.2: "revoked" also covers certificateHold.
      kind = V_OCSP_CERTSTATUS_REVOKED;
      revoked_at = crypto::to_asn1_time(status.revoked_at);
      if (!revoked_at) return internal_error(openssl_error("cannot encode revocationTime"));
      // RFC 5280 section 5.3.1: the reason is absent rather than "unspecified".
      if (status.reason != RevocationReason::kUnspecified) reason = static_cast<int>(status.reason);
      break;
  }
  // Copies `id` as requested, hash algorithm included (RFC 6960 section 4.2.1).
  if (OCSP_basic_add1_status(basic, id, kind, reason, revoked_at.get(), this_update, next_update) == nullptr) {
    return internal_error(openssl_error("cannot add a SingleResponse"));
  }
  return Status::ok();
}

Result<std::string> Responder::Impl::sign(OCSP_BASICRESP* basic, TimePoint produced_at,
                                          const ResponderCredentials& credentials) const {
  // OCSP_basic_sign stamps producedAt from the system clock unless OCSP_NOTIME is given, so the
  // injected clock's time is written first. OpenSSL 3 only offers a const accessor, but the
  // GeneralizedTime it returns is a mutable member of `basic`, which we own and have not signed.
  auto* produced = const_cast<ASN1_GENERALIZEDTIME*>(OCSP_resp_get0_produced_at(basic));
  if (produced == nullptr ||
      ASN1_GENERALIZEDTIME_set(produced, std::chrono::system_clock::to_time_t(produced_at)) == nullptr) {
    return internal_error(openssl_error("cannot set producedAt"));
  }
  // RFC 6960 section 4.2.1: the responder certificate goes into `certs` (OpenSSL adds it unless
  // OCSP_NOCERTS) so clients can check the delegation.
  const unsigned long flags = OCSP_NOTIME | (settings_.responder_id_by_key ? OCSP_RESPID_KEY : 0UL);
  if (OCSP_basic_sign(basic, credentials.certificate.get(), credentials.key.get(),
                      crypto::signing_digest(credentials.key.get()), nullptr, flags) != 1) {
    return internal_error(openssl_error("cannot sign the OCSP response"));
  }
  crypto::OCSP_RESPONSEPtr response(OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, basic));
  std::string der = response ? crypto::to_der(i2d_OCSP_RESPONSE, static_cast<const OCSP_RESPONSE*>(response.get())) : "";
  if (der.empty()) return internal_error(openssl_error("cannot encode the OCSP response"));
  return der;
}

Responder::Responder(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Responder::~Responder() = default;

Result<std::unique_ptr<Responder>> Responder::create(crypto::Certificate issuer, crypto::Certificate responder_cert,
                                                     crypto::PrivateKey responder_key, ResponderSettings settings,
                                                     const Clock& clock, CertStatusSource& statuses) {
  XACBE_RETURN_IF_ERROR(check_responder_certificate(issuer, responder_cert, responder_key));
  XACBE_ASSIGN_OR_RETURN(std::vector<IssuerHashes> hashes, compute_issuer_hashes(issuer));
  return std::unique_ptr<Responder>(new Responder(std::make_unique<Impl>(
      std::move(issuer), ResponderCredentials{std::move(responder_cert), std::move(responder_key)}, settings, clock,
      statuses, std::move(hashes))));
}

Status Responder::replace_credentials(ResponderCredentials credentials) {
  Status checked = check_responder_certificate(impl_->issuer_, credentials.certificate, credentials.key);
  ERR_clear_error();
  XACBE_RETURN_IF_ERROR(checked);
  auto replacement = std::make_shared<const ResponderCredentials>(std::move(credentials));
  std::lock_guard lock(impl_->mu_);
  impl_->credentials_ = std::move(replacement);
  return Status::ok();
}

crypto::Certificate Responder::certificate() const { return impl_->credentials()->certificate; }

std::string Responder::respond(std::string_view request_der) const {
  Result<std::string> answer = impl_->answer(request_der);
  // Nothing of this request may linger in the thread's OpenSSL error queue.
  ERR_clear_error();
  if (answer) return std::move(answer).value();
  return unsigned_response(response_status_for(answer.status().code()));
}

}  // namespace xacbe::ocsp
