#include "timestamp_authority.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/ts.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <chrono>
#include <climits>
#include <utility>

// TimeStampResp generation is OpenSSL's TS_RESP_create_response: it parses the TimeStampReq and
// applies the checks of RFC 3161 section 2.4.1 (version, known hash algorithm without parameters,
// imprint length, accepted policy, no extension), copies the nonce, honours certReq and signs a
// SignedData with SigningCertificateV2 (RFC 5816). This file configures it, feeds it only single
// DER requests of bounded size, and supplies serial numbers and genTime through its callbacks.

namespace xacbe::tsa {
namespace {

using crypto::openssl_error;

// Idle contexts kept for reuse; a burst beyond this allocates and later frees the extras.
constexpr std::size_t kMaxIdleContexts = 16;

// The last resort when OpenSSL cannot even build a rejection (allocation failure): the DER of
// TimeStampResp { status { status rejection(2), failInfo systemFailure(25) } } (RFC 3161 2.4.2).
constexpr unsigned char kSystemFailureDer[] = {0x30, 0x0c, 0x30, 0x0a, 0x02, 0x01, 0x02,
                                               0x03, 0x05, 0x06, 0x00, 0x00, 0x00, 0x40};

std::string system_failure_der() {
  return std::string(reinterpret_cast<const char*>(kSystemFailureDer), sizeof kSystemFailureDer);
}

struct ExtendedKeyUsageDeleter {
  void operator()(EXTENDED_KEY_USAGE* p) const noexcept { EXTENDED_KEY_USAGE_free(p); }
};
using ExtendedKeyUsagePtr = std::unique_ptr<EXTENDED_KEY_USAGE, ExtendedKeyUsageDeleter>;

// RFC 3161 section 2.3: the TSA certificate MUST contain only one instance of the extended key
// usage field extension, with KeyPurposeID id-kp-timeStamping, and it MUST be critical.
Status check_signer(const crypto::Certificate& cert, const crypto::PrivateKey& key) {
  int critical = -1;
  ExtendedKeyUsagePtr eku(static_cast<EXTENDED_KEY_USAGE*>(
      X509_get_ext_d2i(cert.get(), NID_ext_key_usage, &critical, nullptr)));
  const std::string who = "TSA certificate " + cert.subject();
  if (!eku) {
    return permission_denied(openssl_error(
        who + (critical == -2 ? " has more than one extendedKeyUsage extension"
                              : " has no (decodable) extendedKeyUsage extension")));
  }
  if (critical != 1) return permission_denied(who + ": extendedKeyUsage must be critical");
  if (sk_ASN1_OBJECT_num(eku.get()) != 1 ||
      OBJ_obj2nid(sk_ASN1_OBJECT_value(eku.get(), 0)) != NID_time_stamp) {
    return permission_denied(who + ": extendedKeyUsage must be timeStamping alone");
  }
  if (X509_check_private_key(cert.get(), key.get()) != 1) {
    return invalid_argument(openssl_error(who + " does not match the private key"));
  }
  return Status::ok();
}

Status check_settings(const TsaSettings& s) {
  if (s.accuracy_seconds < 0 || s.accuracy_millis < 0 || s.accuracy_millis > 999 ||
      s.accuracy_micros < 0 || s.accuracy_micros > 999) {
    return invalid_argument("TSA accuracy: seconds >= 0, millis and micros 0..999 (RFC 3161 2.4.2)");
  }
  if (s.clock_precision_digits > TS_MAX_CLOCK_PRECISION_DIGITS) {
    return invalid_argument("TSA clock precision: at most 6 digits");
  }
  if (s.max_request_bytes == 0 || s.max_request_bytes > static_cast<std::size_t>(INT_MAX)) {
    return invalid_argument("TSA max_request_bytes out of range");
  }
  if (s.digests.empty()) return invalid_argument("TSA accepts no message-imprint digest");
  return Status::ok();
}

Result<crypto::ASN1_OBJECTPtr> parse_policy(const std::string& oid) {
  crypto::ASN1_OBJECTPtr obj(OBJ_txt2obj(oid.c_str(), /*no_name=*/1));
  if (!obj) return invalid_argument(openssl_error("TSA policy '" + oid + "' is not a dotted OID"));
  return obj;
}

Result<const EVP_MD*> find_digest(const std::string& name) {
  const EVP_MD* md = EVP_get_digestbyname(name.c_str());
  if (md == nullptr) return invalid_argument("unknown digest '" + name + "'");
  return md;
}

// RFC 5816: the token names its signer in an ESSCertIDv2. Given SHA-1, OpenSSL writes a
// version-1 SigningCertificate (RFC 2634) instead, so SHA-1 is refused here.
Result<const EVP_MD*> find_ess_cert_id_digest(const std::string& name) {
  XACBE_ASSIGN_OR_RETURN(const EVP_MD* md, find_digest(name));
  if (EVP_MD_get_type(md) == NID_sha1) {
    return invalid_argument("ESSCertIDv2 digest '" + name + "': SHA-1 would give a version-1 "
                            "SigningCertificate, not SigningCertificateV2 (RFC 5816)");
  }
  return md;
}

// RFC 3161 section 2.4.1: the request is one DER TimeStampReq; trailing bytes make it malformed.
bool is_single_request(std::string_view der) {
  const auto* begin = reinterpret_cast<const unsigned char*>(der.data());
  const unsigned char* p = begin;
  crypto::TS_REQPtr req(d2i_TS_REQ(nullptr, &p, static_cast<long>(der.size())));
  return req != nullptr && p == begin + der.size();
}

std::string to_der(const TS_RESP* resp) {
  const int len = i2d_TS_RESP(resp, nullptr);
  if (len <= 0) return system_failure_der();
  std::string out(static_cast<std::size_t>(len), '\0');
  auto* p = reinterpret_cast<unsigned char*>(out.data());
  if (i2d_TS_RESP(resp, &p) != len) return system_failure_der();
  return out;
}

// RFC 3161 section 2.4.2: a rejection says why. OpenSSL rejects its own internal failures
// (TSTInfo encoding, signing) with a status text but no failInfo; for the client those are a
// systemFailure.
bool rejected_without_failure_info(TS_RESP* resp) {
  TS_STATUS_INFO* info = TS_RESP_get_status_info(resp);
  return ASN1_INTEGER_get(TS_STATUS_INFO_get0_status(info)) != TS_STATUS_GRANTED &&
         TS_STATUS_INFO_get0_failure_info(info) == nullptr;
}

// Turns the response being built into a rejection (RFC 3161 section 2.4.2, PKIStatusInfo).
// OpenSSL keeps a rejection once set, so its own later, vaguer text does not replace this one.
void reject(TS_RESP_CTX* ctx, int failure, const char* text) {
  TS_RESP_CTX_set_status_info(ctx, TS_STATUS_REJECTION, text);
  TS_RESP_CTX_add_failure_info(ctx, failure);
}

}  // namespace

struct TimestampAuthority::Impl {
  Impl(crypto::PrivateKey k, crypto::Certificate c, std::vector<crypto::Certificate> issuers,
       TsaSettings s, const Clock& clk, SerialSource& source)
      : key(std::move(k)), cert(std::move(c)), chain(crypto::to_stack(issuers)),
        settings(std::move(s)), not_before(cert.not_before()), not_after(cert.not_after()),
        clock(clk), serials(source) {}

  Result<crypto::TS_RESP_CTXPtr> new_context();
  crypto::TS_RESP_CTXPtr acquire();
  void release(crypto::TS_RESP_CTXPtr ctx);
  std::string respond(std::string_view der);

  // TS_RESP_CTX callbacks; `data` is the Impl.
  static ASN1_INTEGER* serial_cb(TS_RESP_CTX* ctx, void* data);
  static int time_cb(TS_RESP_CTX* ctx, void* data, long* sec, long* usec);

  const crypto::PrivateKey key;
  const crypto::Certificate cert;
  const crypto::X509StackPtr chain;
  const TsaSettings settings;
  // Of `cert`, in whole seconds: it may be valid until 9999-12-31T23:59:59Z (clock.hpp).
  const std::chrono::sys_seconds not_before;
  const std::chrono::sys_seconds not_after;
  const Clock& clock;
  SerialSource& serials;
  // Resolved from `settings` by create().
  crypto::ASN1_OBJECTPtr default_policy;
  std::vector<crypto::ASN1_OBJECTPtr> other_policies;
  std::vector<const EVP_MD*> digests;
  const EVP_MD* ess_cert_id_digest = nullptr;

  // A TS_RESP_CTX holds the request being answered, so each respond() borrows its own.
  std::mutex pool_mu;
  std::vector<crypto::TS_RESP_CTXPtr> idle;  // guarded by pool_mu
};

Result<crypto::TS_RESP_CTXPtr> TimestampAuthority::Impl::new_context() {
  crypto::TS_RESP_CTXPtr owned(TS_RESP_CTX_new());
  TS_RESP_CTX* ctx = owned.get();
  const EVP_MD* signer_md = crypto::signing_digest(key.get());
  bool ok = ctx != nullptr && signer_md != nullptr &&
            TS_RESP_CTX_set_signer_cert(ctx, cert.get()) == 1 &&
            TS_RESP_CTX_set_signer_key(ctx, key.get()) == 1 &&
            TS_RESP_CTX_set_signer_digest(ctx, signer_md) == 1 &&
            TS_RESP_CTX_set_ess_cert_id_digest(ctx, ess_cert_id_digest) == 1 &&
            TS_RESP_CTX_set_def_policy(ctx, default_policy.get()) == 1 &&
            TS_RESP_CTX_set_certs(ctx, chain.get()) == 1 &&
            TS_RESP_CTX_set_accuracy(ctx, settings.accuracy_seconds, settings.accuracy_millis,
                                     settings.accuracy_micros) == 1 &&
            TS_RESP_CTX_set_clock_precision_digits(ctx, settings.clock_precision_digits) == 1;
  for (const auto& policy : other_policies) ok = ok && TS_RESP_CTX_add_policy(ctx, policy.get()) == 1;
  for (const EVP_MD* md : digests) ok = ok && TS_RESP_CTX_add_md(ctx, md) == 1;
  if (!ok) return internal_error(openssl_error("cannot configure the time-stamp response context"));
  // The tsa field names the signer (RFC 3161 section 2.4.2), so verifiers can match it.
  TS_RESP_CTX_add_flags(ctx, TS_TSA_NAME);
  TS_RESP_CTX_set_serial_cb(ctx, &Impl::serial_cb, this);
  TS_RESP_CTX_set_time_cb(ctx, &Impl::time_cb, this);
  // The default extension callback stays: it refuses every extension with unacceptedExtension,
  // as this TSA understands none (RFC 3161 section 2.4.1).
  return owned;
}

crypto::TS_RESP_CTXPtr TimestampAuthority::Impl::acquire() {
  {
    std::lock_guard<std::mutex> lock(pool_mu);
    if (!idle.empty()) {
      crypto::TS_RESP_CTXPtr ctx = std::move(idle.back());
      idle.pop_back();
      return ctx;
    }
  }
  // create() configured one context with these settings, so only allocation can fail here.
  Result<crypto::TS_RESP_CTXPtr> fresh = new_context();
  return fresh ? std::move(fresh).value() : nullptr;
}

void TimestampAuthority::Impl::release(crypto::TS_RESP_CTXPtr ctx) {
  std::lock_guard<std::mutex> lock(pool_mu);
  if (idle.size() < kMaxIdleContexts) idle.push_back(std::move(ctx));
}

std::string TimestampAuthority::Impl::respond(std::string_view der) {
  // Oversized or not exactly one TimeStampReq: OpenSSL is given empty input, which it refuses
  // with badDataFormat like any other unparseable request.
  if (der.size() > settings.max_request_bytes || !is_single_request(der)) der = {};
  crypto::TS_RESP_CTXPtr ctx = acquire();
  if (!ctx) return system_failure_der();
  crypto::BIOPtr in(BIO_new_mem_buf(der.empty() ? "" : der.data(), static_cast<int>(der.size())));
  crypto::TS_RESPPtr resp(in ? TS_RESP_create_response(ctx.get(), in.get()) : nullptr);
  release(std::move(ctx));
  if (!resp || rejected_without_failure_info(resp.get())) return system_failure_der();
  return to_der(resp.get());
}

ASN1_INTEGER* TimestampAuthority::Impl::serial_cb(TS_RESP_CTX* ctx, void* data) {
  auto* self = static_cast<Impl*>(data);
  Result<std::uint64_t> serial = self->serials.next();
  crypto::ASN1_INTEGERPtr out(serial ? ASN1_INTEGER_new() : nullptr);
  if (!out || ASN1_INTEGER_set_uint64(out.get(), *serial) != 1) {
    reject(ctx, TS_INFO_SYSTEM_FAILURE, "Serial number generation failed.");
    return nullptr;
  }
  return out.release();  // OpenSSL takes ownership
}

int TimestampAuthority::Impl::time_cb(TS_RESP_CTX* ctx, void* data, long* sec, long* usec) {
  const auto* self = static_cast<const Impl*>(data);
  // RFC 3161 section 2.4.2: timeNotAvailable when the TSA's time source is not available.
  if (!self->clock.trusted()) {
    reject(ctx, TS_INFO_TIME_NOT_AVAILABLE, "The time source is not synchronised.");
    return 0;
  }
  const TimePoint now = self->clock.now();
  if (is_before(now, self->not_before) || is_after(now, self->not_after)) {
    reject(ctx, TS_INFO_SYSTEM_FAILURE, "The TSA certificate is not valid at this time.");
    return 0;
  }
  const auto micros =
      std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count();
  *sec = static_cast<long>(micros / 1000000);
  *usec = static_cast<long>(micros % 1000000);
  return 1;
}

TimestampAuthority::TimestampAuthority(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TimestampAuthority::~TimestampAuthority() = default;

Result<std::unique_ptr<TimestampAuthority>> TimestampAuthority::create(
    crypto::PrivateKey key, crypto::Certificate cert, std::vector<crypto::Certificate> chain,
    TsaSettings settings, const Clock& clock, SerialSource& serials) {
  XACBE_RETURN_IF_ERROR(check_settings(settings));
  XACBE_RETURN_IF_ERROR(check_signer(cert, key));
  auto impl = std::make_unique<Impl>(std::move(key), std::move(cert), std::move(chain),
                                     std::move(settings), clock, serials);
  XACBE_ASSIGN_OR_RETURN(impl->default_policy, parse_policy(impl->settings.default_policy));
  for (const std::string& oid : impl->settings.other_policies) {
    XACBE_ASSIGN_OR_RETURN(crypto::ASN1_OBJECTPtr policy, parse_policy(oid));
    impl->other_policies.push_back(std::move(policy));
  }
  for (const std::string& name : impl->settings.digests) {
    XACBE_ASSIGN_OR_RETURN(const EVP_MD* md, find_digest(name));
    impl->digests.push_back(md);
  }
  XACBE_ASSIGN_OR_RETURN(impl->ess_cert_id_digest,
                         find_ess_cert_id_digest(impl->settings.ess_cert_id_digest));
  // One context now, so that anything OpenSSL refuses (say, a certificate whose key usage does
  // not allow time-stamping) is a start-up error rather than a rejection of every request.
  XACBE_ASSIGN_OR_RETURN(crypto::TS_RESP_CTXPtr first, impl->new_context());
  impl->release(std::move(first));
  return std::unique_ptr<TimestampAuthority>(new TimestampAuthority(std::move(impl)));
}

std::string TimestampAuthority::respond(std::string_view request_der) const {
  std::string response = impl_->respond(request_der);
  // Rejections leave OpenSSL errors behind; the queue is per thread and must not grow.
  ERR_clear_error();
  return response;
}

}  // namespace xacbe::tsa
