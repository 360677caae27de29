// Verifying: docs/protocol/e-stamp.md "Verification", the checks in the order listed there.

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <xmlsec/openssl/crypto.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <optional>

#include "estamp/estamp.hpp"
#include "estamp/estamp_xml.hpp"
#include "merkle.hpp"
#include "xacbe/crypto/encoding.hpp"

namespace xacbe::ss {
namespace {

Status refuse(EStampFault* out, EStampFault fault, const std::string& why) {
  if (out != nullptr) *out = fault;
  const Code code = fault == EStampFault::kMalformed ? Code::kInvalidArgument : Code::kPermissionDenied;
  return {code, std::string("e-stamp refused (") + estamp_fault_name(fault) + "): " + why};
}

// A library's reason, cut short: it may quote fields of the (untrusted) OCSP response.
std::string bounded(const std::string& reason) {
  constexpr std::size_t kMax = 160;
  return reason.size() <= kMax ? reason : reason.substr(0, kMax) + "...";
}

// docs/protocol/certificates.md `sign` profile: keyUsage nonRepudiation, not a CA.
bool is_signing_certificate(const crypto::Certificate& cert) {
  X509* x509 = cert.get();
  const uint32_t usage = X509_get_key_usage(x509);
  const bool has_usage = (X509_get_extension_flags(x509) & EXFLAG_KUSAGE) != 0;
  return has_usage && (usage & KU_NON_REPUDIATION) != 0 && !cert.is_ca();
}

// XML-DSig core validation with xmlsec, against the certificate's public key, allowing only the
// algorithms of docs/protocol/e-stamp.md and same-document references.
bool signature_holds(xmlNode* signature, const crypto::Certificate& cert) {
  auto key = xml::key_of(X509_get0_pubkey(cert.get()));
  if (!key) return false;
  xml::DSigCtxPtr ctx(xmlSecDSigCtxCreate(nullptr));
  if (!ctx) return false;
  ctx->enabledReferenceUris = xmlSecTransformUriTypeSameDocument;
  const xmlSecTransformId signature_transforms[] = {
      xmlSecTransformExclC14NId,           xmlSecOpenSSLTransformRsaSha256Id,   xmlSecOpenSSLTransformRsaSha384Id,
      xmlSecOpenSSLTransformRsaSha512Id,   xmlSecOpenSSLTransformEcdsaSha256Id, xmlSecOpenSSLTransformEcdsaSha384Id,
      xmlSecOpenSSLTransformEcdsaSha512Id,
  };
  const xmlSecTransformId reference_transforms[] = {
      xmlSecTransformExclC14NId, xmlSecOpenSSLTransformSha256Id, xmlSecOpenSSLTransformSha384Id,
      xmlSecOpenSSLTransformSha512Id};
  for (auto id : signature_transforms) {
    if (xmlSecDSigCtxEnableSignatureTransform(ctx.get(), id) < 0) return false;
  }
  for (auto id : reference_transforms) {
    if (xmlSecDSigCtxEnableReferenceTransform(ctx.get(), id) < 0) return false;
  }
  ctx->signKey = key->release();  // the context owns it now
  const bool ok = xmlSecDSigCtxVerify(ctx.get(), signature) >= 0 && ctx->status == xmlSecDSigStatusSucceeded;
  ERR_clear_error();
  return ok;
}

// What checking a signing certificate and its OCSP response against one trust (the CA and the
// allowed responders) found, without what depends on the time: the same certificate and response
// come with every message its member signs until the response is renewed, and checking them again
// each time (OCSP signature, chains, OpenSSL's key decoding) was most of a verification's cost.
// On a hit, everything that depends on the clock is judged again, in the same order and with the
// same faults as a full verification (chain validity at signing time and now, then the OCSP
// responder's validity and the response's times).
struct TrustedSigner {
  crypto::Certificate certificate;        // parsed once, shared (read-only)
  std::chrono::sys_seconds valid_from{};  // the chain's validity: cert and CA together, as
  std::chrono::sys_seconds valid_until{};  // X509_verify_cert judges it: from <= t < until
  crypto::OcspResponse ocsp;              // verified, status good, with its responder
};

class TrustCache {
 public:
  std::optional<TrustedSigner> find(const std::string& key) const {
    std::lock_guard lock(mu_);
    auto it = entries_.find(key);
    if (it == entries_.end()) return std::nullopt;
    return it->second;
  }
  void add(std::string key, TrustedSigner entry) {
    std::lock_guard lock(mu_);
    if (entries_.size() >= kMaxEntries) entries_.clear();  // a member renews its response hourly
    entries_.emplace(std::move(key), std::move(entry));
  }

 private:
  static constexpr std::size_t kMaxEntries = 4096;
  mutable std::mutex mu_;
  std::map<std::string, TrustedSigner> entries_;  // guarded by mu_
};

TrustCache& trust_cache() {
  static TrustCache cache;
  return cache;
}

// Everything the time-independent result depends on, each part length-prefixed.
std::string trust_key(const std::string& certificate_der, const std::string& ocsp_der, const EStampTrust& trust) {
  std::string material;
  auto add = [&](std::string_view part) {
    material += std::to_string(part.size());
    material += ':';
    material += part;
  };
  add(certificate_der);
  add(ocsp_der);
  add(trust.ca.sha256_fingerprint());
  for (const auto& r : trust.ocsp_responders) add(r.sha256_fingerprint());
  return crypto::sha256(material);
}

bool within(std::chrono::sys_seconds t, const TrustedSigner& s) { return s.valid_from <= t && t < s.valid_until; }

}  // namespace

const char* estamp_fault_name(EStampFault fault) {
  switch (fault) {
    case EStampFault::kMalformed: return "MALFORMED";
    case EStampFault::kBadSignature: return "BAD_SIGNATURE";
    case EStampFault::kUntrustedCertificate: return "UNTRUSTED_CERTIFICATE";
    case EStampFault::kWrongSigner: return "WRONG_SIGNER";
    case EStampFault::kCertificateNotGood: return "CERTIFICATE_NOT_GOOD";
    case EStampFault::kOcspInvalid: return "OCSP_INVALID";
    case EStampFault::kOcspStale: return "OCSP_STALE";
  }
  return "UNKNOWN";
}

Result<VerifiedEStamp> verify_estamp(std::string_view xml, const EStampTrust& trust, const Clock& clock,
                                     EStampFault* fault) {
  using F = EStampFault;
  auto parsed = estamp_xml::parse_estamp(xml);
  if (!parsed) {
    if (parsed.status().code() == Code::kInternal) return parsed.status();
    return refuse(fault, F::kMalformed, parsed.status().message());
  }
  estamp_xml::ParsedEStamp& p = parsed.value();

  // 1. The certificate in KeyInfo is the one the signed properties name.
  const std::string key = trust_key(p.certificate_der, p.ocsp_der, trust);
  const std::optional<TrustedSigner> known = trust_cache().find(key);
  auto cert = known ? Result<crypto::Certificate>(known->certificate) : crypto::Certificate::from_der(p.certificate_der);
  if (!cert) return refuse(fault, F::kMalformed, "the KeyInfo certificate is not a DER X.509 certificate");
  if (crypto::sha256(p.certificate_der) != p.certificate_sha256) {
    return refuse(fault, F::kWrongSigner, "the KeyInfo certificate is not the one the signed properties name");
  }

  // 2. The XML signature over the Message (or Batch) and the signed properties, before any
  // signed claim (the signing time) is believed.
  xmlNode* content = p.batch != nullptr ? p.batch : p.message;
  if (!estamp_xml::register_id(p.doc.get(), content) || !estamp_xml::register_id(p.doc.get(), p.signed_properties)) {
    return refuse(fault, F::kMalformed, "duplicate Id");
  }
  if (!signature_holds(p.signature, *cert)) return refuse(fault, F::kBadSignature, "the XML signature does not verify");

  // 3. A batched message leads to the signed root.
  VerifiedEStamp out{.content = std::move(p.content), .signer = *cert, .ocsp = {}, .signing_time = p.signing_time};
  if (p.batch_info) {
    const auto& batch = *p.batch_info;
    auto leaf = estamp_xml::message_leaf_hash(p.doc.get(), p.message);
    if (!leaf) return leaf.status();
    auto root = merkle_root_from_path(*leaf, batch.index, batch.size, batch.path);
    if (!root || *root != batch.root) {
      return refuse(fault, F::kBadSignature, "the batch proof does not lead to the signed root");
    }
    out.batch_size = batch.size;
    out.batch_index = batch.index;
  }

  // 4. The certificate: issued by the CA, valid when signed and now, a signing certificate.
  const TimePoint now = clock.now();
  if (p.signing_time > to_sys_seconds(now) + trust.max_clock_skew) {
    return refuse(fault, F::kBadSignature, "the signing time lies in the future");
  }
  if (known) {  // checked before against this trust: only what depends on the time again
    if (!within(p.signing_time, *known)) {
      return refuse(fault, F::kUntrustedCertificate, "the signing certificate does not chain to the CA at the signing time");
    }
    if (!within(to_sys_seconds(now), *known)) {
      return refuse(fault, F::kUntrustedCertificate, "the signing certificate does not chain to the CA now");
    }
    const crypto::OcspCheckOptions options{.max_clock_skew = trust.max_clock_skew, .freshness = trust.ocsp_freshness};
    Status times = crypto::recheck_ocsp_response_times(known->ocsp, options, clock);
    if (!times.is_ok()) {
      if (times.code() == Code::kFailedPrecondition) {
        return refuse(fault, F::kOcspStale, "the OCSP response is not current: " + bounded(times.message()));
      }
      return refuse(fault, F::kOcspInvalid, "the OCSP response is not acceptable: " + bounded(times.message()));
    }
    out.ocsp = known->ocsp;
    return out;
  }
  if (!crypto::verify_chain(*cert, {trust.ca}, {}, p.signing_time)) {
    return refuse(fault, F::kUntrustedCertificate, "the signing certificate does not chain to the CA at the signing time");
  }
  if (!crypto::verify_chain(*cert, {trust.ca}, {}, now)) {
    return refuse(fault, F::kUntrustedCertificate, "the signing certificate does not chain to the CA now");
  }
  if (!is_signing_certificate(*cert)) {
    return refuse(fault, F::kUntrustedCertificate, "the certificate is not a signing certificate (keyUsage nonRepudiation, not a CA)");
  }

  // 5. The carried OCSP response: about this certificate, from an allowed responder, recent, good.
  auto request = crypto::OcspRequest::create(*cert, trust.ca, {.cert_id_hash = crypto::CertIdHash::kSha256, .nonce_octets = 0});
  if (!request) return refuse(fault, F::kUntrustedCertificate, "the certificate was not issued by the CA");
  auto ocsp = crypto::verify_ocsp_response(p.ocsp_der, *request, trust.ocsp_responders,
                                           {.max_clock_skew = trust.max_clock_skew, .freshness = trust.ocsp_freshness},
                                           clock);
  if (!ocsp) {
    if (ocsp.status().code() == Code::kFailedPrecondition) {
      return refuse(fault, F::kOcspStale, "the OCSP response is not current: " + bounded(ocsp.status().message()));
    }
    return refuse(fault, F::kOcspInvalid, "the OCSP response is not acceptable: " + bounded(ocsp.status().message()));
  }
  if (ocsp->status != crypto::CertStatus::Kind::kGood) {
    return refuse(fault, F::kCertificateNotGood, "the OCSP response does not say good");
  }
  out.ocsp = std::move(ocsp).value();
  // Remembered only once everything held; the chain's validity is the overlap of the two
  // certificates' (the CA is the only issuer: certificates.md).
  trust_cache().add(key, TrustedSigner{*cert, std::max(cert->not_before(), trust.ca.not_before()),
                                       std::min(cert->not_after(), trust.ca.not_after()), out.ocsp});
  return out;
}

bool signer_member_matches(const crypto::Certificate& signer, std::string_view member_id_text) {
  if (signer.get() == nullptr || member_id_text.empty()) return false;
  const X509_NAME* name = X509_get_subject_name(signer.get());
  const int index = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
  if (index < 0 || X509_NAME_get_index_by_NID(name, NID_commonName, index) >= 0) return false;  // none, or several
  const ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index));
  unsigned char* utf8 = nullptr;
  const int length = ASN1_STRING_to_UTF8(&utf8, data);
  if (length < 0) {
    ERR_clear_error();
    return false;
  }
  const std::unique_ptr<unsigned char, void (*)(unsigned char*)> owned(utf8, [](unsigned char* p) { OPENSSL_free(p); });
  return std::string_view(reinterpret_cast<const char*>(utf8), static_cast<std::size_t>(length)) == member_id_text;
}

}  // namespace xacbe::ss
