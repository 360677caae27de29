#include "xacbe/crypto/ocsp_client.hpp"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/ocsp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <climits>
#include <ctime>
#include <utility>

#include "xacbe/crypto/asn1.hpp"
#include "xacbe/crypto/encoding.hpp"

namespace xacbe::crypto {
namespace {

using std::chrono::sys_seconds;



const EVP_MD* digest_of(CertIdHash hash) {
  return hash == CertIdHash::kSha1 ? EVP_sha1() : EVP_sha256();
}
int nid_of(CertIdHash hash) {
  return hash == CertIdHash::kSha1 ? NID_sha1 : NID_sha256;
}

std::string hash_name(int nid) {
  const char* name = OBJ_nid2sn(nid);
  return name != nullptr && nid != NID_undef ? name : "an unknown algorithm";
}

std::string seconds_text(std::chrono::seconds s) {
  return std::to_string(s.count()) + " s";
}


// RFC 3986 section 2.3 unreserved characters stay; every other byte becomes %HH.
std::string percent_encode(std::string_view in) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  auto unreserved = [](unsigned char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
           c == '_' || c == '~';
  };
  std::string out;
  for (unsigned char c : in) {
    if (unreserved(c)) {
      out.push_back(static_cast<char>(c));
    } else {
      out += {'%', kHex[c >> 4], kHex[c & 0xf]};
    }
  }
  return out;
}

// The DER of the nonce extension's extnValue: an OCTET STRING holding the nonce (RFC 8954 2.1).
std::string nonce_extension_value(std::string_view nonce) {
  return std::string{'\x04', static_cast<char>(nonce.size())} + std::string(nonce);
}

// The subject of a certificate the answer brought along: escaped by the RFC 2253 printer, and
// bounded before it enters a message.
std::string untrusted_subject(X509* cert) {
  std::string subject = Certificate::share(cert).subject();
  if (subject.size() > 200) subject = subject.substr(0, 200) + "...";
  return subject;
}

// --- responseStatus (RFC 6960 section 4.2.1) ---

const char* response_status_name(int status) {
  switch (status) {
    case OCSP_RESPONSE_STATUS_MALFORMEDREQUEST:
      return "malformedRequest";
    case OCSP_RESPONSE_STATUS_INTERNALERROR:
      return "internalError";
    case OCSP_RESPONSE_STATUS_TRYLATER:
      return "tryLater";
    case OCSP_RESPONSE_STATUS_SIGREQUIRED:
      return "sigRequired";
    case OCSP_RESPONSE_STATUS_UNAUTHORIZED:
      return "unauthorized";
    default:
      return "an unknown responseStatus";
  }
}

Status unsuccessful(int status) {
  const std::string what =
      std::string("the OCSP responder answered ") + response_status_name(status) + " (" + std::to_string(status) + ")";
  switch (status) {
    case OCSP_RESPONSE_STATUS_MALFORMEDREQUEST:
      return invalid_argument(what + ": it found our request malformed");
    case OCSP_RESPONSE_STATUS_INTERNALERROR:
    case OCSP_RESPONSE_STATUS_TRYLATER:
      return unavailable(what);
    case OCSP_RESPONSE_STATUS_SIGREQUIRED:
      return permission_denied(what + ": it wants signed requests");
    case OCSP_RESPONSE_STATUS_UNAUTHORIZED:
      return permission_denied(what + ": it does not answer for this certificate's issuer");
    default:
      return invalid_argument(what);
  }
}

Result<OCSP_RESPONSEPtr> parse_response(std::string_view der) {
  return from_der<OCSP_RESPONSEPtr>(d2i_OCSP_RESPONSE, der, "OCSPResponse");
}

// --- who signed (RFC 6960 sections 4.2.1 and 4.2.2.2) ---

// Whether the ResponderID (byName or byKey) names `cert`.
bool responder_id_names(const OCSP_BASICRESP* basic, X509* cert) {
  const ASN1_OCTET_STRING* key_id = nullptr;
  const X509_NAME* name = nullptr;
  if (OCSP_resp_get0_id(basic, &key_id, &name) != 1) return false;
  if (name != nullptr) return X509_NAME_cmp(name, X509_get_subject_name(cert)) == 0;
  if (key_id == nullptr) return false;
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  // byKey: SHA-1 of the value of the subjectPublicKey BIT STRING.
  if (X509_pubkey_digest(cert, EVP_sha1(), md, &len) != 1) return false;
  return asn1_octets(key_id) == std::string_view(reinterpret_cast<const char*>(md), len);
}

bool signature_verifies(OCSP_BASICRESP* basic, const Certificate& signer) {
  X509StackPtr only = to_stack({signer});
  // Only the signature: the signer was chosen among the allowed ones (OCSP_NOINTERN) and is
  // authorised by check_authorised, not by a chain to some store (OCSP_NOVERIFY).
  const int ok =
      OCSP_basic_verify(basic, reinterpret_cast<STACK_OF(X509)*>(only.get()), nullptr, OCSP_NOINTERN | OCSP_NOVERIFY);
  ERR_clear_error();
  return ok == 1;
}

// The allowed responder whose key made the signature.
Result<Certificate> find_signer(OCSP_BASICRESP* basic, const std::vector<Certificate>& allowed) {
  bool named = false;
  for (const Certificate& candidate : allowed) {
    if (!responder_id_names(basic, candidate.get())) continue;
    named = true;
    if (signature_verifies(basic, candidate)) return candidate;
  }
  if (named) return permission_denied("the OCSP response signature does not verify with the responder's key");
  const STACK_OF(X509)* embedded = OCSP_resp_get0_certs(basic);
  for (int i = 0; i < sk_X509_num(embedded); ++i) {
    X509* cert = sk_X509_value(embedded, i);
    if (responder_id_names(basic, cert)) {
      return permission_denied("the OCSP response is signed by " + untrusted_subject(cert) +
                               ", which is not an allowed OCSP responder");
    }
  }
  return permission_denied("the OCSP response is signed by a responder that is not an allowed OCSP responder");
}

Status check_validity(const Certificate& cert, sys_seconds now, std::chrono::seconds skew) {
  auto not_before = from_asn1_time(X509_get0_notBefore(cert.get()));
  auto not_after = from_asn1_time(X509_get0_notAfter(cert.get()));
  if (!not_before || !not_after) return invalid_argument("OCSP responder certificate with an invalid validity");
  if (now + skew < *not_before) {
    return permission_denied("OCSP responder certificate " + cert.subject() + " is not valid before " +
                             to_iso8601_utc(*not_before));
  }
  if (now - skew > *not_after) {
    return permission_denied("OCSP responder certificate " + cert.subject() + " expired at " + to_iso8601_utc(*not_after));
  }
  return Status::ok();
}

// RFC 6960 section 4.2.2.2: the CA that issued the certificate, or a delegate it certified
// directly with id-kp-OCSPSigning.
Status check_authorised(const Certificate& signer, const Certificate& issuer, sys_seconds now,
                        std::chrono::seconds skew) {
  if (X509_cmp(signer.get(), issuer.get()) != 0) {
    const std::string who = "OCSP responder certificate " + signer.subject();
    EVP_PKEY* issuer_key = X509_get0_pubkey(issuer.get());
    const bool issued = X509_check_issued(issuer.get(), signer.get()) == X509_V_OK && issuer_key != nullptr &&
                        X509_verify(signer.get(), issuer_key) == 1;
    ERR_clear_error();
    if (!issued) return permission_denied(who + " is not issued by " + issuer.subject());
    if ((X509_get_extension_flags(signer.get()) & EXFLAG_XKUSAGE) == 0 ||
        (X509_get_extended_key_usage(signer.get()) & XKU_OCSP_SIGN) == 0) {
      return permission_denied(who + " lacks the extended key usage OCSPSigning (RFC 6960 section 4.2.2.2)");
    }
  }
  return check_validity(signer, now, skew);
}

// RFC 6960 section 4.4 and RFC 5280 section 4.2: a critical extension we do not understand makes
// the response unusable. The only one we know is the nonce.
Status check_critical_extensions(OCSP_BASICRESP* basic, OCSP_SINGLERESP* single) {
  auto object_name = [](X509_EXTENSION* ext) {
    char name[80] = {0};
    OBJ_obj2txt(name, sizeof name, X509_EXTENSION_get_object(ext), 1);
    return std::string(name);
  };
  for (int i = 0; i < OCSP_BASICRESP_get_ext_count(basic); ++i) {
    X509_EXTENSION* ext = OCSP_BASICRESP_get_ext(basic, i);
    if (X509_EXTENSION_get_critical(ext) > 0 && OBJ_obj2nid(X509_EXTENSION_get_object(ext)) != NID_id_pkix_OCSP_Nonce) {
      return invalid_argument("unsupported critical response extension " + object_name(ext));
    }
  }
  for (int i = 0; i < OCSP_SINGLERESP_get_ext_count(single); ++i) {
    X509_EXTENSION* ext = OCSP_SINGLERESP_get_ext(single, i);
    if (X509_EXTENSION_get_critical(ext) > 0) {
      return invalid_argument("unsupported critical singleExtension " + object_name(ext));
    }
  }
  return Status::ok();
}

// --- what it answers ---

// Empty when `id` is the CertID of `request`, else which field differs.
std::string cert_id_difference(const OCSP_CERTID* id, const OcspRequest& request) {
  ASN1_OCTET_STRING* name_hash = nullptr;
  ASN1_OBJECT* algorithm = nullptr;
  ASN1_OCTET_STRING* key_hash = nullptr;
  ASN1_INTEGER* serial = nullptr;
  // OpenSSL 3 has no const accessor; nothing is modified.
  if (OCSP_id_get0_info(&name_hash, &algorithm, &key_hash, &serial, const_cast<OCSP_CERTID*>(id)) != 1) {
    return "an unreadable CertID";
  }
  const int nid = OBJ_obj2nid(algorithm);
  if (nid != nid_of(request.cert_id_hash())) {
    return "hash algorithm " + hash_name(nid) + " instead of " + hash_name(nid_of(request.cert_id_hash()));
  }
  if (asn1_octets(name_hash) != request.issuer_name_hash()) return "another issuerNameHash";
  if (asn1_octets(key_hash) != request.issuer_key_hash()) return "another issuerKeyHash";
  const std::string answered = serial == nullptr ? "" : serial_to_hex(serial);
  if (answered != request.serial_hex()) {
    return "serial number " + answered.substr(0, 48) + " instead of " + request.serial_hex();
  }
  return {};
}

Result<OCSP_SINGLERESP*> find_single_response(OCSP_BASICRESP* basic, const OcspRequest& request) {
  const int count = OCSP_resp_count(basic);
  if (count <= 0) return invalid_argument("the OCSP response holds no SingleResponse");
  std::string first_difference;
  for (int i = 0; i < count; ++i) {
    OCSP_SINGLERESP* single = OCSP_resp_get0(basic, i);
    std::string difference = cert_id_difference(OCSP_SINGLERESP_get0_id(single), request);
    if (difference.empty()) return single;
    if (i == 0) first_difference = std::move(difference);
  }
  return permission_denied("the OCSP response does not answer the CertID requested: it names " + first_difference);
}

// RFC 8954 section 2.1 / RFC 6960 section 4.4.1: the nonce sent comes back unchanged.
Status check_nonce(OCSP_BASICRESP* basic, const OcspRequest& request) {
  if (request.nonce().empty()) return Status::ok();
  const int index = OCSP_BASICRESP_get_ext_by_NID(basic, NID_id_pkix_OCSP_Nonce, -1);
  if (index < 0) return permission_denied("the OCSP response carries no nonce, but the request sent one");
  if (OCSP_BASICRESP_get_ext_by_NID(basic, NID_id_pkix_OCSP_Nonce, index) >= 0) {
    return invalid_argument("the OCSP response carries more than one nonce");
  }
  const ASN1_OCTET_STRING* value = X509_EXTENSION_get_data(OCSP_BASICRESP_get_ext(basic, index));
  if (asn1_octets(value) != nonce_extension_value(request.nonce())) {
    return permission_denied("the OCSP response nonce does not match the nonce of the request");
  }
  return Status::ok();
}

struct SingleStatus {
  int kind = V_OCSP_CERTSTATUS_UNKNOWN;
  int reason = OCSP_REVOKED_STATUS_NOSTATUS;
  ASN1_GENERALIZEDTIME* revoked_at = nullptr;
  ASN1_GENERALIZEDTIME* this_update = nullptr;
  ASN1_GENERALIZEDTIME* next_update = nullptr;
};

Result<RevocationReason> revocation_reason(int reason) {
  switch (reason) {
    case OCSP_REVOKED_STATUS_NOSTATUS:
      return RevocationReason::kUnspecified;
    case 0:
    case 1:
    case 2:
    case 3:
    case 4:
    case 5:
    case 6:
    case 8:
    case 9:
    case 10:
      return static_cast<RevocationReason>(reason);
    default:
      return invalid_argument("the OCSP response has an unknown revocation reason " + std::to_string(reason));
  }
}

// Fills the times and the status of `out` (RFC 6960 section 4.2.1).
Status read_single(OCSP_SINGLERESP* single, OcspResponse& out) {
  SingleStatus s;
  s.kind = OCSP_single_get0_status(single, &s.reason, &s.revoked_at, &s.this_update, &s.next_update);
  XACBE_ASSIGN_OR_RETURN(out.this_update, from_asn1_time(s.this_update));
  if (s.next_update != nullptr) {
    XACBE_ASSIGN_OR_RETURN(out.next_update, from_asn1_time(s.next_update));
    if (*out.next_update < out.this_update)
      return invalid_argument("the OCSP response's nextUpdate precedes thisUpdate");
  }
  switch (s.kind) {
    case V_OCSP_CERTSTATUS_GOOD:
      out.status = CertStatus::Kind::kGood;
      break;
    case V_OCSP_CERTSTATUS_UNKNOWN:
      out.status = CertStatus::Kind::kUnknown;
      break;
    case V_OCSP_CERTSTATUS_REVOKED: {
      out.status = CertStatus::Kind::kRevoked;
      XACBE_ASSIGN_OR_RETURN(out.revoked_at, from_asn1_time(s.revoked_at));
      XACBE_ASSIGN_OR_RETURN(out.reason, revocation_reason(s.reason));
      break;
    }
    default:
      return invalid_argument("the OCSP response has an unreadable certStatus");
  }
  return Status::ok();
}

// thisUpdate and producedAt not ahead of us, producedAt within the freshness limit, nextUpdate
// not passed; the clock skew is allowed on each side.
Status check_times(const OcspResponse& r, const OcspCheckOptions& options, sys_seconds now) {
  const auto skew = options.max_clock_skew;
  for (const auto& [name, t] : {std::pair{"thisUpdate", r.this_update}, std::pair{"producedAt", r.produced_at}}) {
    if (t > now + skew) {
      return failed_precondition(std::string("the OCSP response's ") + name + " " + to_iso8601_utc(t) +
                                 " is in the future (now " + to_iso8601_utc(now) + ", allowed clock skew " +
                                 seconds_text(skew) + ")");
    }
  }
  if (now - r.produced_at > options.freshness) {
    return failed_precondition("the OCSP response was produced at " + to_iso8601_utc(r.produced_at) +
                               ", older than the freshness limit of " + seconds_text(options.freshness) + " (now " +
                               to_iso8601_utc(now) + ")");
  }
  if (r.next_update && *r.next_update + skew < now) {
    return failed_precondition("the OCSP response's nextUpdate " + to_iso8601_utc(*r.next_update) + " has passed (now " +
                               to_iso8601_utc(now) + ")");
  }
  return Status::ok();
}

Result<OcspResponse> verify(std::string_view der, const OcspRequest& request,
                            const std::vector<Certificate>& allowed_responders, const OcspCheckOptions& options,
                            const Clock& clock) {
  XACBE_ASSIGN_OR_RETURN(OCSP_RESPONSEPtr response, parse_response(der));
  const int status = OCSP_response_status(response.get());
  if (status != OCSP_RESPONSE_STATUS_SUCCESSFUL) return unsuccessful(status);
  OCSP_BASICRESPPtr basic(OCSP_response_get1_basic(response.get()));
  if (!basic) return invalid_argument(openssl_error("the OCSP response is not a BasicOCSPResponse"));

  const sys_seconds now = to_sys_seconds(clock.now());
  // Authenticate before reading anything else.
  XACBE_ASSIGN_OR_RETURN(Certificate signer, find_signer(basic.get(), allowed_responders));
  XACBE_RETURN_IF_ERROR(check_authorised(signer, request.issuer(), now, options.max_clock_skew));

  XACBE_ASSIGN_OR_RETURN(OCSP_SINGLERESP * single, find_single_response(basic.get(), request));
  XACBE_RETURN_IF_ERROR(check_critical_extensions(basic.get(), single));
  XACBE_RETURN_IF_ERROR(check_nonce(basic.get(), request));

  OcspResponse out;
  XACBE_ASSIGN_OR_RETURN(out.produced_at, from_asn1_time(OCSP_resp_get0_produced_at(basic.get())));
  XACBE_RETURN_IF_ERROR(read_single(single, out));
  XACBE_RETURN_IF_ERROR(check_times(out, options, now));
  out.der = std::string(der);
  out.responder = std::move(signer);
  return out;
}

}  // namespace

// --- OcspRequest ---

Result<OcspRequest> OcspRequest::create(const Certificate& cert, const Certificate& issuer,
                                        const OcspRequestOptions& options) {
  if (options.nonce_octets > kMaxOcspNonceOctets) {
    return invalid_argument("OCSP nonce of " + std::to_string(options.nonce_octets) +
                            " octets; RFC 8954 allows 1 to 32");
  }
  EVP_PKEY* issuer_key = X509_get0_pubkey(issuer.get());
  if (X509_check_issued(issuer.get(), cert.get()) != X509_V_OK || issuer_key == nullptr ||
      X509_verify(cert.get(), issuer_key) != 1) {
    ERR_clear_error();
    return invalid_argument("certificate " + cert.subject() + " is not issued by " + issuer.subject());
  }
  OcspRequest out(issuer);
  out.hash_ = options.cert_id_hash;
  out.serial_hex_ = cert.serial_hex();
  const std::string algorithm = options.cert_id_hash == CertIdHash::kSha1 ? "SHA1" : "SHA256";
  const std::string name = to_der(i2d_X509_NAME, X509_get_subject_name(issuer.get()));
  XACBE_ASSIGN_OR_RETURN(out.name_hash_, digest(algorithm, name));
  XACBE_ASSIGN_OR_RETURN(out.key_hash_, digest(algorithm, asn1_octets(X509_get0_pubkey_bitstr(issuer.get()))));

  // RFC 6960 section 4.1.1: CertID over the issuer's name and key and the serial number.
  OCSP_REQUESTPtr request(OCSP_REQUEST_new());
  OCSP_CERTID* id = OCSP_cert_to_id(digest_of(options.cert_id_hash), cert.get(), issuer.get());
  if (!request || id == nullptr || OCSP_request_add0_id(request.get(), id) == nullptr) {
    OCSP_CERTID_free(id);
    return internal_error(openssl_error("cannot build the OCSP request"));
  }
  if (options.nonce_octets > 0) {
    out.nonce_ = random_bytes(options.nonce_octets);
    if (OCSP_request_add1_nonce(request.get(), reinterpret_cast<unsigned char*>(out.nonce_.data()),
                                static_cast<int>(out.nonce_.size())) != 1) {
      return internal_error(openssl_error("cannot add the OCSP nonce"));
    }
  }
  out.der_ = to_der(i2d_OCSP_REQUEST, static_cast<const OCSP_REQUEST*>(request.get()));
  if (out.der_.empty()) return internal_error(openssl_error("cannot encode the OCSP request"));
  return out;
}

net::HttpRequest OcspRequest::post() const {
  net::HttpRequest request;
  request.method = "POST";
  request.headers = {{"Content-Type", kOcspRequestMediaType}, {"Accept", kOcspResponseMediaType}};
  request.body = der_;
  return request;
}

std::string OcspRequest::url_encoded() const {
  return percent_encode(base64_encode(der_));
}

std::optional<std::string> OcspRequest::get_url(std::string_view responder_url) const {
  std::string encoded = url_encoded();
  if (encoded.size() > kMaxOcspGetEncodedBytes) return std::nullopt;
  std::string url(responder_url);
  if (url.empty() || url.back() != '/') url.push_back('/');
  return url + encoded;
}

// --- verification and the client ---

Status recheck_ocsp_response_times(const OcspResponse& response, const OcspCheckOptions& options, const Clock& clock) {
  if (!response.responder) return invalid_argument("the OCSP response has no responder to recheck");
  const sys_seconds now = to_sys_seconds(clock.now());
  XACBE_RETURN_IF_ERROR(check_validity(*response.responder, now, options.max_clock_skew));
  return check_times(response, options, now);
}

Result<OcspResponse> verify_ocsp_response(std::string_view der, const OcspRequest& request,
                                          const std::vector<Certificate>& allowed_responders,
                                          const OcspCheckOptions& options, const Clock& clock) {
  Result<OcspResponse> out = verify(der, request, allowed_responders, options, clock);
  ERR_clear_error();  // nothing of this response may linger in the thread's queue
  return out;
}

OcspClient::OcspClient(const Clock& clock, OcspClientOptions options, Fetch fetch)
    : clock_(clock), options_(std::move(options)), fetch_(std::move(fetch)) {}

Result<OcspResponse> OcspClient::query(const std::string& url, const Certificate& cert, const Certificate& issuer,
                                       const std::vector<Certificate>& allowed_responders) const {
  XACBE_ASSIGN_OR_RETURN(OcspRequest request, OcspRequest::create(cert, issuer, options_.request));
  std::optional<std::string> get_url = options_.prefer_get ? request.get_url(url) : std::nullopt;
  net::HttpRequest http;
  if (get_url) {
    http.method = "GET";
    http.headers = {{"Accept", kOcspResponseMediaType}};
  } else {
    http = request.post();
  }
  Result<net::HttpResponse> answer = fetch_(get_url ? *get_url : url, std::move(http));
  if (!answer) return Status(answer.status().code(), "OCSP responder " + url + ": " + answer.status().message());
  if (answer->status != 200) {
    return unavailable("OCSP responder " + url + " answered HTTP " + std::to_string(answer->status));
  }
  if (media_type(*answer) != kOcspResponseMediaType) {
    return invalid_argument("OCSP responder " + url + " answered with Content-Type other than " +
                            kOcspResponseMediaType);
  }
  return verify_ocsp_response(answer->body, request, allowed_responders, options_.check, clock_);
}

}  // namespace xacbe::crypto
