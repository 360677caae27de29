#include "xacbe/crypto/tsa_client.hpp"

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pkcs7.h>
#include <openssl/ts.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <climits>
#include <cstdint>
#include <ctime>

#include "xacbe/crypto/asn1.hpp"
#include "xacbe/crypto/encoding.hpp"

namespace xacbe::crypto {
namespace {

using std::chrono::sys_seconds;

struct TS_MSG_IMPRINTDeleter {
  void operator()(TS_MSG_IMPRINT* p) const noexcept { TS_MSG_IMPRINT_free(p); }
};
using TS_MSG_IMPRINTPtr = std::unique_ptr<TS_MSG_IMPRINT, TS_MSG_IMPRINTDeleter>;
struct X509_ALGORDeleter {
  void operator()(X509_ALGOR* p) const noexcept { X509_ALGOR_free(p); }
};
using X509_ALGORPtr = std::unique_ptr<X509_ALGOR, X509_ALGORDeleter>;
struct PKCS7Deleter {
  void operator()(PKCS7* p) const noexcept { PKCS7_free(p); }
};
using PKCS7Ptr = std::unique_ptr<PKCS7, PKCS7Deleter>;
struct STACK_OF_X509Deleter {  // a stack that does not own its certificates
  void operator()(STACK_OF(X509) * p) const noexcept { sk_X509_free(p); }
};



const EVP_MD* digest_of(ImprintHash hash) {
  switch (hash) {
    case ImprintHash::kSha256:
      return EVP_sha256();
    case ImprintHash::kSha384:
      return EVP_sha384();
    case ImprintHash::kSha512:
      return EVP_sha512();
  }
  return EVP_sha256();
}


std::string oid_text(const ASN1_OBJECT* oid) {
  char text[128] = {0};
  if (oid == nullptr || OBJ_obj2txt(text, sizeof text, oid, 1) <= 0) return {};
  return text;
}

// The statusString is the TSA's free text: bounded and printable before it enters a message.
std::string bounded_text(const ASN1_UTF8STRING* s) {
  std::string out;
  for (char c : asn1_octets(s).substr(0, 120)) out.push_back(c >= 0x20 && c < 0x7f ? c : '?');
  return out;
}

// The subject of a certificate the answer brought along: escaped by the RFC 2253 printer, and
// bounded before it enters a message.
std::string untrusted_subject(X509* cert) {
  std::string subject = Certificate::share(cert).subject();
  if (subject.size() > 200) subject = subject.substr(0, 200) + "...";
  return subject;
}

// --- PKIStatusInfo (RFC 3161 section 2.4.2) ---

struct FailureBit {
  int bit;
  const char* name;
  Code code;  // what this failure means for us
};

constexpr FailureBit kFailureBits[] = {
    {TS_INFO_BAD_ALG, "badAlg", Code::kInvalidArgument},
    {TS_INFO_BAD_REQUEST, "badRequest", Code::kInvalidArgument},
    {TS_INFO_BAD_DATA_FORMAT, "badDataFormat", Code::kInvalidArgument},
    {TS_INFO_TIME_NOT_AVAILABLE, "timeNotAvailable", Code::kUnavailable},
    {TS_INFO_UNACCEPTED_POLICY, "unacceptedPolicy", Code::kInvalidArgument},
    {TS_INFO_UNACCEPTED_EXTENSION, "unacceptedExtension", Code::kInvalidArgument},
    {TS_INFO_ADD_INFO_NOT_AVAILABLE, "addInfoNotAvailable", Code::kInvalidArgument},
    {TS_INFO_SYSTEM_FAILURE, "systemFailure", Code::kUnavailable},
};

const char* status_name(long status) {
  switch (status) {
    case TS_STATUS_GRANTED:
      return "granted";
    case TS_STATUS_GRANTED_WITH_MODS:
      return "grantedWithMods";
    case TS_STATUS_REJECTION:
      return "rejection";
    case TS_STATUS_WAITING:
      return "waiting";
    case TS_STATUS_REVOCATION_WARNING:
      return "revocationWarning";
    case TS_STATUS_REVOCATION_NOTIFICATION:
      return "revocationNotification";
    default:
      return "an unknown status";
  }
}

Status not_granted(TS_STATUS_INFO* info, long status) {
  std::string what = std::string("the TSA answered ") + status_name(status) + " (" + std::to_string(status) + ")";
  Code code = Code::kPermissionDenied;
  if (status == TS_STATUS_WAITING) code = Code::kUnavailable;
  if (status == TS_STATUS_REJECTION) {
    const ASN1_BIT_STRING* failure = TS_STATUS_INFO_get0_failure_info(info);
    std::string names;
    // OpenSSL's own TSA rejects its internal failures without failInfo: a fault on its side.
    code = failure == nullptr ? Code::kUnavailable : Code::kInvalidArgument;
    for (const FailureBit& f : kFailureBits) {
      if (failure != nullptr && ASN1_BIT_STRING_get_bit(failure, f.bit) == 1) {
        names += (names.empty() ? "" : ", ") + std::string(f.name);
        // A fault on the TSA's side outweighs one it sees in the request.
        if (f.code == Code::kUnavailable) code = Code::kUnavailable;
      }
    }
    what += names.empty() ? " without failInfo" : " with failInfo " + names;
  }
  const STACK_OF(ASN1_UTF8STRING)* text = TS_STATUS_INFO_get0_text(info);
  if (text != nullptr && sk_ASN1_UTF8STRING_num(text) > 0) {
    what += ": \"" + bounded_text(sk_ASN1_UTF8STRING_value(text, 0)) + "\"";
  }
  return {code, what};
}

Result<TS_RESPPtr> parse_response(std::string_view der) {
  return from_der<TS_RESPPtr>(d2i_TS_RESP, der, "TimeStampResp");
}

// --- the signer (RFC 3161 sections 2.3 and 2.4.2, RFC 5816) ---

// RFC 3161 section 2.3: exactly one extendedKeyUsage, critical, timeStamping alone. OpenSSL's
// X509_PURPOSE_TIMESTAMP_SIGN applies this rule (and the key usages it allows).
Status check_tsa_certificate(const Certificate& tsa) {
  const int ok = X509_check_purpose(tsa.get(), X509_PURPOSE_TIMESTAMP_SIGN, 0);
  ERR_clear_error();
  if (ok != 1) {
    return permission_denied("TSA certificate " + tsa.subject() +
                             " is not a time-stamping certificate (RFC 3161 section 2.3: one critical "
                             "extendedKeyUsage, timeStamping alone)");
  }
  return Status::ok();
}

Status check_signer(PKCS7* token, const Certificate& tsa) {
  if (PKCS7_type_is_signed(token) == 0) return invalid_argument("the time-stamp token is not a SignedData");
  STACK_OF(PKCS7_SIGNER_INFO)* infos = PKCS7_get_signer_info(token);
  if (infos == nullptr || sk_PKCS7_SIGNER_INFO_num(infos) != 1) {
    return invalid_argument("the time-stamp token does not have exactly one signer");
  }
  X509StackPtr given = to_stack({tsa});
  // Looks for the signer among `given` first, then among the token's certificates.
  std::unique_ptr<STACK_OF(X509), STACK_OF_X509Deleter> signers(
      PKCS7_get0_signers(token, reinterpret_cast<STACK_OF(X509)*>(given.get()), 0));
  ERR_clear_error();
  X509* signer = signers && sk_X509_num(signers.get()) == 1 ? sk_X509_value(signers.get(), 0) : nullptr;
  if (signer == nullptr) {
    return permission_denied("the time-stamp token is not signed by the TSA certificate " + tsa.subject());
  }
  if (X509_cmp(signer, tsa.get()) != 0) {
    return permission_denied("the time-stamp token is signed by " + untrusted_subject(signer) +
                             ", not by the TSA certificate " + tsa.subject());
  }
  return Status::ok();
}

// The signature, the messageDigest attribute and the ESS signing-certificate attribute
// (RFC 5816), with the chain built again at `now`.
Status check_signature(PKCS7* token, const Certificate& tsa, const std::vector<Certificate>& roots, TimePoint now) {
  X509_STOREPtr store(X509_STORE_new());
  if (!store) return internal_error(openssl_error("X509_STORE_new"));
  for (const Certificate& root : roots) X509_STORE_add_cert(store.get(), root.get());
  X509_VERIFY_PARAM_set_time(X509_STORE_get0_param(store.get()), std::chrono::system_clock::to_time_t(now));
  X509StackPtr given = to_stack({tsa});
  const int ok = TS_RESP_verify_signature(token, reinterpret_cast<STACK_OF(X509)*>(given.get()), store.get(), nullptr);
  if (ok != 1) return permission_denied(openssl_error("the time-stamp token signature does not verify"));
  return Status::ok();
}

// --- the TSTInfo (RFC 3161 section 2.4.2) ---

Status check_imprint(TS_TST_INFO* info, const TimestampRequest& request) {
  TS_MSG_IMPRINT* imprint = TS_TST_INFO_get_msg_imprint(info);
  X509_ALGOR* algorithm = imprint == nullptr ? nullptr : TS_MSG_IMPRINT_get_algo(imprint);
  if (algorithm == nullptr) return invalid_argument("the TSTInfo has no messageImprint");
  const ASN1_OBJECT* oid = nullptr;
  X509_ALGOR_get0(&oid, nullptr, nullptr, algorithm);
  if (OBJ_obj2nid(oid) != EVP_MD_get_type(digest_of(request.hash()))) {
    return permission_denied("the time-stamp token's imprint uses " + oid_text(oid) + ", not the algorithm requested");
  }
  if (asn1_octets(TS_MSG_IMPRINT_get_msg(imprint)) != request.digest()) {
    return permission_denied("the time-stamp token's imprint is not the digest requested");
  }
  return Status::ok();
}

Status check_nonce(TS_TST_INFO* info, const TimestampRequest& request) {
  const ASN1_INTEGER* nonce = TS_TST_INFO_get_nonce(info);
  if (nonce == nullptr) return permission_denied("the time-stamp token carries no nonce, but the request sent one");
  BIGNUMPtr value(ASN1_INTEGER_to_BN(nonce, nullptr));
  if (!value || BN_is_negative(value.get())) return permission_denied("the time-stamp token's nonce is not ours");
  std::string bytes(static_cast<std::size_t>(BN_num_bytes(value.get())), '\0');
  BN_bn2bin(value.get(), reinterpret_cast<unsigned char*>(bytes.data()));
  if (bytes != request.nonce()) return permission_denied("the time-stamp token's nonce does not match the request");
  return Status::ok();
}

Result<std::optional<TimestampAccuracy>> read_accuracy(TS_TST_INFO* info) {
  const TS_ACCURACY* accuracy = TS_TST_INFO_get_accuracy(info);
  if (accuracy == nullptr) return std::optional<TimestampAccuracy>();
  auto value = [](const ASN1_INTEGER* i, std::int64_t max, std::int64_t& out) {
    out = 0;
    return i == nullptr || (ASN1_INTEGER_get_int64(&out, i) == 1 && out >= 0 && out <= max);
  };
  std::int64_t seconds = 0, millis = 0, micros = 0;
  // RFC 3161 section 2.4.2: millis and micros are 1..999.
  if (!value(TS_ACCURACY_get_seconds(accuracy), INT64_MAX, seconds) ||
      !value(TS_ACCURACY_get_millis(accuracy), 999, millis) || !value(TS_ACCURACY_get_micros(accuracy), 999, micros)) {
    ERR_clear_error();
    return invalid_argument("the time-stamp token has an invalid accuracy");
  }
  return std::optional<TimestampAccuracy>(
      TimestampAccuracy{seconds, static_cast<int>(millis), static_cast<int>(micros)});
}

Status check_gen_time(sys_seconds gen_time, const TimestampCheckOptions& options, sys_seconds now) {
  if (gen_time > now + options.max_clock_skew) {
    return failed_precondition("the time-stamp token's genTime " + to_iso8601_utc(gen_time) + " is in the future (now " +
                               to_iso8601_utc(now) + ", allowed clock skew " +
                               std::to_string(options.max_clock_skew.count()) + " s)");
  }
  if (now - gen_time > options.max_age) {
    return failed_precondition("the time-stamp token's genTime " + to_iso8601_utc(gen_time) + " is older than " +
                               std::to_string(options.max_age.count()) + " s (now " + to_iso8601_utc(now) + ")");
  }
  return Status::ok();
}

Result<TimestampToken> read_tst_info(TS_TST_INFO* info, const TimestampRequest& request,
                                     const TimestampCheckOptions& options, sys_seconds now) {
  if (TS_TST_INFO_get_version(info) != 1) return invalid_argument("the TSTInfo version is not 1");
  XACBE_RETURN_IF_ERROR(check_imprint(info, request));
  XACBE_RETURN_IF_ERROR(check_nonce(info, request));
  TimestampToken out;
  out.policy = oid_text(TS_TST_INFO_get_policy_id(info));
  if (out.policy.empty()) return invalid_argument("the TSTInfo has no policy");
  if (!request.policy().empty() && out.policy != request.policy()) {
    return permission_denied("the time-stamp token's policy " + out.policy + " is not the policy requested, " +
                             request.policy());
  }
  const ASN1_INTEGER* serial = TS_TST_INFO_get_serial(info);
  out.serial_hex = serial == nullptr ? "" : serial_to_hex(serial);
  if (out.serial_hex.empty()) return invalid_argument("the TSTInfo has no serial number");
  XACBE_ASSIGN_OR_RETURN(out.gen_time, from_asn1_time(TS_TST_INFO_get_time(info)));
  XACBE_ASSIGN_OR_RETURN(out.accuracy, read_accuracy(info));
  XACBE_RETURN_IF_ERROR(check_gen_time(out.gen_time, options, now));
  return out;
}

Result<TimestampToken> verify(std::string_view der, const TimestampRequest& request, const Certificate& tsa,
                              const std::vector<Certificate>& roots, const TimestampCheckOptions& options,
                              const Clock& clock) {
  XACBE_ASSIGN_OR_RETURN(TS_RESPPtr response, parse_response(der));
  TS_STATUS_INFO* status_info = TS_RESP_get_status_info(response.get());
  const long status = ASN1_INTEGER_get(TS_STATUS_INFO_get0_status(status_info));
  if (status != TS_STATUS_GRANTED && status != TS_STATUS_GRANTED_WITH_MODS) return not_granted(status_info, status);
  PKCS7* token = TS_RESP_get_token(response.get());
  TS_TST_INFO* info = TS_RESP_get_tst_info(response.get());
  if (token == nullptr || info == nullptr) return invalid_argument("the TSA granted the request without a token");

  const TimePoint now = clock.now();
  XACBE_RETURN_IF_ERROR(check_tsa_certificate(tsa));
  XACBE_RETURN_IF_ERROR(check_signer(token, tsa));
  XACBE_RETURN_IF_ERROR(verify_chain(tsa, roots, {}, now));
  XACBE_RETURN_IF_ERROR(check_signature(token, tsa, roots, now));

  XACBE_ASSIGN_OR_RETURN(TimestampToken out, read_tst_info(info, request, options, to_sys_seconds(now)));
  out.granted_with_mods = status == TS_STATUS_GRANTED_WITH_MODS;
  out.token_der = to_der(i2d_PKCS7, token);
  if (out.token_der.empty()) return internal_error(openssl_error("cannot encode the time-stamp token"));
  return out;
}

}  // namespace

// --- a stored token ---

Result<TimestampToken> verify_timestamp_token(std::string_view token_der, std::string_view sha256_digest,
                                              const Certificate& tsa_certificate,
                                              const std::vector<Certificate>& roots) {
  XACBE_ASSIGN_OR_RETURN(PKCS7Ptr token, from_der<PKCS7Ptr>(d2i_PKCS7, token_der, "TimeStampToken"));
  XACBE_RETURN_IF_ERROR(check_signer(token.get(), tsa_certificate));
  TS_TST_INFOPtr info(PKCS7_to_TS_TST_INFO(token.get()));
  if (!info) {
    ERR_clear_error();
    return invalid_argument("the time-stamp token does not hold a TSTInfo");
  }
  if (TS_TST_INFO_get_version(info.get()) != 1) return invalid_argument("the TSTInfo version is not 1");
  XACBE_ASSIGN_OR_RETURN(TimestampRequest imprint, TimestampRequest::create(ImprintHash::kSha256, sha256_digest));
  XACBE_RETURN_IF_ERROR(check_imprint(info.get(), imprint));
  TimestampToken out;
  XACBE_ASSIGN_OR_RETURN(out.gen_time, from_asn1_time(TS_TST_INFO_get_time(info.get())));
  out.policy = oid_text(TS_TST_INFO_get_policy_id(info.get()));
  const ASN1_INTEGER* serial = TS_TST_INFO_get_serial(info.get());
  out.serial_hex = serial == nullptr ? "" : serial_to_hex(serial);
  XACBE_ASSIGN_OR_RETURN(out.accuracy, read_accuracy(info.get()));
  // The TSA's certificate is judged at the time it vouches for, not today's.
  XACBE_RETURN_IF_ERROR(check_tsa_certificate(tsa_certificate));
  XACBE_RETURN_IF_ERROR(verify_chain(tsa_certificate, roots, {}, out.gen_time));
  XACBE_RETURN_IF_ERROR(check_signature(token.get(), tsa_certificate, roots, out.gen_time));
  out.token_der = std::string(token_der);
  return out;
}

Result<Certificate> timestamp_token_certificate(std::string_view token_der) {
  XACBE_ASSIGN_OR_RETURN(PKCS7Ptr token, from_der<PKCS7Ptr>(d2i_PKCS7, token_der, "TimeStampToken"));
  if (PKCS7_type_is_signed(token.get()) == 0) return invalid_argument("the time-stamp token is not a SignedData");
  std::unique_ptr<STACK_OF(X509), STACK_OF_X509Deleter> signers(PKCS7_get0_signers(token.get(), nullptr, 0));
  ERR_clear_error();
  if (!signers || sk_X509_num(signers.get()) != 1) {
    return invalid_argument("the time-stamp token does not carry its signer's certificate");
  }
  Certificate tsa = Certificate::share(sk_X509_value(signers.get(), 0));
  XACBE_RETURN_IF_ERROR(check_tsa_certificate(tsa));
  return tsa;
}

// --- TimestampRequest ---

Result<TimestampRequest> TimestampRequest::create(ImprintHash hash, std::string_view digest,
                                                  const std::string& policy) {
  const EVP_MD* md = digest_of(hash);
  if (digest.size() != static_cast<std::size_t>(EVP_MD_get_size(md))) {
    return invalid_argument("a " + std::string(EVP_MD_get0_name(md)) + " message imprint has " +
                            std::to_string(EVP_MD_get_size(md)) + " octets, not " + std::to_string(digest.size()));
  }
  TimestampRequest out;
  out.hash_ = hash;
  out.digest_ = std::string(digest);
  out.policy_ = policy;

  TS_REQPtr request(TS_REQ_new());
  TS_MSG_IMPRINTPtr imprint(TS_MSG_IMPRINT_new());
  X509_ALGORPtr algorithm(X509_ALGOR_new());
  if (!request || !imprint || !algorithm) return internal_error(openssl_error("cannot build the TimeStampReq"));
  // RFC 5754 section 2: SHA-2 AlgorithmIdentifiers omit the parameters.
  X509_ALGOR_set_md(algorithm.get(), md);
  ASN1_OBJECTPtr policy_oid;
  if (!policy.empty()) {
    policy_oid.reset(OBJ_txt2obj(policy.c_str(), /*no_name=*/1));
    if (!policy_oid) {
      ERR_clear_error();
      return invalid_argument("TSA policy '" + policy + "' is not a dotted OID");
    }
  }
  // A positive INTEGER from random octets (RFC 3161 section 2.4.1: a large random number).
  const std::string random = random_bytes(kTimestampNonceOctets);
  BIGNUMPtr nonce_bn(
      BN_bin2bn(reinterpret_cast<const unsigned char*>(random.data()), static_cast<int>(random.size()), nullptr));
  ASN1_INTEGERPtr nonce(nonce_bn ? BN_to_ASN1_INTEGER(nonce_bn.get(), nullptr) : nullptr);
  const bool ok = nonce && TS_MSG_IMPRINT_set_algo(imprint.get(), algorithm.get()) == 1 &&
                  TS_MSG_IMPRINT_set_msg(imprint.get(), reinterpret_cast<unsigned char*>(out.digest_.data()),
                                         static_cast<int>(out.digest_.size())) == 1 &&
                  TS_REQ_set_version(request.get(), 1) == 1 &&
                  TS_REQ_set_msg_imprint(request.get(), imprint.get()) == 1 &&
                  (!policy_oid || TS_REQ_set_policy_id(request.get(), policy_oid.get()) == 1) &&
                  TS_REQ_set_nonce(request.get(), nonce.get()) == 1 && TS_REQ_set_cert_req(request.get(), 1) == 1;
  if (!ok) return internal_error(openssl_error("cannot build the TimeStampReq"));
  out.nonce_.resize(static_cast<std::size_t>(BN_num_bytes(nonce_bn.get())));
  BN_bn2bin(nonce_bn.get(), reinterpret_cast<unsigned char*>(out.nonce_.data()));
  out.der_ = to_der(i2d_TS_REQ, request.get());
  if (out.der_.empty()) return internal_error(openssl_error("cannot encode the TimeStampReq"));
  return out;
}

Result<TimestampRequest> TimestampRequest::for_data(ImprintHash hash, std::string_view data,
                                                    const std::string& policy) {
  XACBE_ASSIGN_OR_RETURN(std::string d, crypto::digest(EVP_MD_get0_name(digest_of(hash)), data));
  return create(hash, d, policy);
}

net::HttpRequest TimestampRequest::post() const {
  net::HttpRequest request;
  request.method = "POST";
  request.headers = {{"Content-Type", kTimestampQueryMediaType}, {"Accept", kTimestampReplyMediaType}};
  request.body = der_;
  return request;
}

// --- verification and the client ---

Result<TimestampToken> verify_timestamp_response(std::string_view der, const TimestampRequest& request,
                                                 const Certificate& tsa_certificate,
                                                 const std::vector<Certificate>& roots,
                                                 const TimestampCheckOptions& options, const Clock& clock) {
  Result<TimestampToken> out = verify(der, request, tsa_certificate, roots, options, clock);
  ERR_clear_error();  // nothing of this response may linger in the thread's queue
  return out;
}

TsaClient::TsaClient(const Clock& clock, TimestampCheckOptions options, Fetch fetch)
    : clock_(clock), options_(options), fetch_(std::move(fetch)) {}

Result<TimestampToken> TsaClient::stamp(const std::string& url, const TimestampRequest& request,
                                        const Certificate& tsa_certificate,
                                        const std::vector<Certificate>& roots) const {
  Result<net::HttpResponse> answer = fetch_(url, request.post());
  if (!answer) return Status(answer.status().code(), "TSA " + url + ": " + answer.status().message());
  if (answer->status != 200) return unavailable("TSA " + url + " answered HTTP " + std::to_string(answer->status));
  if (media_type(*answer) != kTimestampReplyMediaType) {
    return invalid_argument("TSA " + url + " answered with Content-Type other than " + kTimestampReplyMediaType);
  }
  return verify_timestamp_response(answer->body, request, tsa_certificate, roots, options_, clock_);
}

Result<TimestampToken> TsaClient::stamp(const std::string& url, ImprintHash hash, std::string_view digest,
                                        const Certificate& tsa_certificate,
                                        const std::vector<Certificate>& roots) const {
  XACBE_ASSIGN_OR_RETURN(TimestampRequest request, TimestampRequest::create(hash, digest));
  return stamp(url, request, tsa_certificate, roots);
}

}  // namespace xacbe::crypto
