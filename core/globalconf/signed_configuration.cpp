#include "xacbe/globalconf/signed_configuration.hpp"

#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/x509.h>

#include <algorithm>
#include <initializer_list>
#include <nlohmann/json.hpp>

#include "xacbe/config/strict_json.hpp"
#include <set>
#include <utility>

#include "xacbe/crypto/cms.hpp"
#include "xacbe/crypto/encoding.hpp"
#include "xacbe/file.hpp"
#include "xacbe/net/http.hpp"

namespace xacbe::globalconf {
namespace {

using json = nlohmann::json;

// ---- Strict JSON for the two small formats of this file (the envelope and the anchor) ----

Status refuse(std::string_view what_doc, std::string_view path, const std::string& why) {
  return invalid_argument(std::string(what_doc) + ": " + std::string(path.empty() ? "document" : path) + ": " + why);
}

Result<json> parse_strict_json(std::string_view text, std::string_view what_doc) {
  auto r = config::parse_json_strict(text);
  if (!r) return refuse(what_doc, "", r.status().message());
  json root = std::move(r).value();
  if (!root.is_object()) return refuse(what_doc, "", "must be a JSON object");
  return root;
}

Status expect_keys(const json& v, std::string_view what_doc, std::initializer_list<std::string_view> keys) {
  for (const auto& [key, value] : v.items()) {
    if (std::find(keys.begin(), keys.end(), key) == keys.end()) return refuse(what_doc, key, "unknown key");
  }
  for (std::string_view key : keys) {
    if (!v.contains(key)) return refuse(what_doc, key, "is required");
  }
  return Status::ok();
}

Result<std::string> string_at(const json& v, std::string_view what_doc, const std::string& key) {
  if (!v[key].is_string()) return refuse(what_doc, key, "must be a string");
  return v[key].get<std::string>();
}

Result<crypto::Certificate> canonical_certificate(const std::string& pem, std::string_view what_doc,
                                                  const std::string& path) {
  auto certs = crypto::certificates_from_pem(pem);
  if (!certs) return refuse(what_doc, path, certs.status().message());
  if (certs->size() != 1) return refuse(what_doc, path, "must hold exactly one certificate");
  if (certs->front().pem() != pem) return refuse(what_doc, path, "is not a canonical PEM certificate");
  return certs->front();
}

constexpr std::string_view kAnchor = "configuration anchor";
constexpr std::string_view kEnvelope = "signed configuration";

// ---- CMS ----

// The certificate the single SignerInfo names, found among the certificates the SignedData
// carries; read before any check so that a signer outside the anchor is reported as such and
// not as a signature failure.
Result<crypto::Certificate> signer_in_signature(std::string_view der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  crypto::CMS_ContentInfoPtr cms(d2i_CMS_ContentInfo(nullptr, &p, static_cast<long>(der.size())));
  if (!cms || p != reinterpret_cast<const unsigned char*>(der.data()) + der.size()) {
    ERR_clear_error();
    return invalid_argument("signature is not a DER CMS structure");
  }
  if (OBJ_obj2nid(CMS_get0_type(cms.get())) != NID_pkcs7_signed)
    return invalid_argument("signature is not CMS SignedData");
  if (CMS_is_detached(cms.get()) != 1) return invalid_argument("signature must not embed the content");
  STACK_OF(CMS_SignerInfo)* infos = CMS_get0_SignerInfos(cms.get());
  if (infos == nullptr || sk_CMS_SignerInfo_num(infos) != 1)
    return invalid_argument("signature must have exactly one signer");
  CMS_SignerInfo* info = sk_CMS_SignerInfo_value(infos, 0);
  crypto::X509StackPtr certs(CMS_get1_certs(cms.get()));
  for (int i = 0; certs && i < sk_X509_num(certs.get()); ++i) {
    X509* cert = sk_X509_value(certs.get(), i);
    if (CMS_SignerInfo_cert_cmp(info, cert) == 0) return crypto::Certificate::share(cert);
  }
  ERR_clear_error();
  return invalid_argument("the signer's certificate is not embedded in the signature");
}

}  // namespace

// ---- Anchor ----

ConfigurationAnchor::ConfigurationAnchor(std::string instance, std::string download_url,
                                         crypto::Certificate ca_certificate,
                                         std::vector<crypto::Certificate> signing_certificates)
    : instance_(std::move(instance)),
      download_url_(std::move(download_url)),
      ca_certificate_(std::move(ca_certificate)),
      signing_certificates_(std::move(signing_certificates)) {}

Result<ConfigurationAnchor> ConfigurationAnchor::create(std::string instance, std::string download_url,
                                                        crypto::Certificate ca_certificate,
                                                        std::vector<crypto::Certificate> signing_certificates) {
  if (!is_known_instance(instance)) return refuse(kAnchor, "instance", "'" + instance + "' is not QROO or QROO-TEST");
  const bool printable =
      std::all_of(download_url.begin(), download_url.end(), [](char c) { return c > 0x20 && c < 0x7F; });
  auto url = net::parse_url(download_url);
  if (!printable || !url) return refuse(kAnchor, "download_url", "'" + download_url + "' is not an http(s) URL");
  if (!ca_certificate.is_ca()) return refuse(kAnchor, "ca_certificate", "is not a CA certificate");
  if (signing_certificates.empty())
    return refuse(kAnchor, "signing_certificates", "must list at least one certificate");
  std::set<std::string> seen;
  for (std::size_t i = 0; i < signing_certificates.size(); ++i) {
    const std::string path = "signing_certificates[" + std::to_string(i) + "]";
    const crypto::Certificate& cert = signing_certificates[i];
    if (!seen.insert(cert.der()).second) return refuse(kAnchor, path, "is listed twice");
    // Issued by the anchor's CA (checked at the start of its validity; verify() checks it again
    // at the time of use).
    Status issued = crypto::verify_chain(cert, {ca_certificate}, {}, cert.not_before());
    if (!issued) return refuse(kAnchor, path, "is not issued by ca_certificate: " + issued.message());
  }
  return ConfigurationAnchor(std::move(instance), std::move(download_url), std::move(ca_certificate),
                             std::move(signing_certificates));
}

Result<ConfigurationAnchor> ConfigurationAnchor::from_json(std::string_view text) {
  XACBE_ASSIGN_OR_RETURN(json v, parse_strict_json(text, kAnchor));
  XACBE_RETURN_IF_ERROR(expect_keys(
      v, kAnchor, {"format_version", "instance", "download_url", "ca_certificate", "signing_certificates"}));
  if (!v["format_version"].is_number_unsigned() || v["format_version"].get<std::uint64_t>() != kFormatVersion) {
    return refuse(kAnchor, "format_version", "must be 1");
  }
  XACBE_ASSIGN_OR_RETURN(std::string instance, string_at(v, kAnchor, "instance"));
  XACBE_ASSIGN_OR_RETURN(std::string url, string_at(v, kAnchor, "download_url"));
  XACBE_ASSIGN_OR_RETURN(std::string ca_pem, string_at(v, kAnchor, "ca_certificate"));
  XACBE_ASSIGN_OR_RETURN(auto ca, canonical_certificate(ca_pem, kAnchor, "ca_certificate"));
  const json& list = v["signing_certificates"];
  if (!list.is_array()) return refuse(kAnchor, "signing_certificates", "must be an array");
  std::vector<crypto::Certificate> signing;
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string path = "signing_certificates[" + std::to_string(i) + "]";
    if (!list[i].is_string()) return refuse(kAnchor, path, "must be a string");
    XACBE_ASSIGN_OR_RETURN(auto cert, canonical_certificate(list[i].get<std::string>(), kAnchor, path));
    signing.push_back(std::move(cert));
  }
  return create(std::move(instance), std::move(url), std::move(ca), std::move(signing));
}

Result<ConfigurationAnchor> ConfigurationAnchor::load(const std::string& path) {
  XACBE_ASSIGN_OR_RETURN(std::string text, read_file(path));
  auto anchor = from_json(text);
  if (!anchor) return Status(anchor.status().code(), path + ": " + anchor.status().message());
  return anchor;
}

std::string ConfigurationAnchor::to_json() const {
  json signing = json::array();
  for (const auto& c : signing_certificates_) signing.push_back(c.pem());
  json out = {{"format_version", kFormatVersion},
              {"instance", instance_},
              {"download_url", download_url_},
              {"ca_certificate", ca_certificate_.pem()},
              {"signing_certificates", std::move(signing)}};
  return out.dump();
}

// ---- Signed form ----

Result<SignedConfiguration> SignedConfiguration::parse(std::string_view bytes) {
  XACBE_ASSIGN_OR_RETURN(json v, parse_strict_json(bytes, kEnvelope));
  XACBE_RETURN_IF_ERROR(expect_keys(v, kEnvelope, {"content", "signature"}));
  SignedConfiguration out;
  for (auto [key, field] : {std::pair{"content", &out.content}, std::pair{"signature", &out.signature}}) {
    XACBE_ASSIGN_OR_RETURN(std::string text, string_at(v, kEnvelope, key));
    auto decoded = crypto::base64_decode(text);
    if (!decoded) return refuse(kEnvelope, key, decoded.status().message());
    if (decoded->empty()) return refuse(kEnvelope, key, "must not be empty");
    *field = std::move(decoded).value();
  }
  return out;
}

std::string SignedConfiguration::to_json() const {
  return json{{"content", crypto::base64_encode(content)}, {"signature", crypto::base64_encode(signature)}}.dump();
}

Result<crypto::Certificate> embedded_signer(std::string_view signed_bytes) {
  XACBE_ASSIGN_OR_RETURN(SignedConfiguration envelope, SignedConfiguration::parse(signed_bytes));
  return signer_in_signature(envelope.signature);
}

Result<std::string> sign_configuration(const GlobalConfiguration& configuration, const crypto::PrivateKey& key,
                                       const crypto::Certificate& certificate) {
  SignedConfiguration signed_form;
  signed_form.content = configuration.to_json();
  XACBE_ASSIGN_OR_RETURN(signed_form.signature, crypto::cms_sign_detached(key, certificate, signed_form.content));
  return signed_form.to_json();
}

// ---- Verification ----

const char* fault_name(ConfigurationFault fault) {
  switch (fault) {
    case ConfigurationFault::kNone:
      return "NONE";
    case ConfigurationFault::kMalformed:
      return "MALFORMED";
    case ConfigurationFault::kUntrustedSigner:
      return "UNTRUSTED_SIGNER";
    case ConfigurationFault::kTampered:
      return "TAMPERED";
    case ConfigurationFault::kWrongInstance:
      return "WRONG_INSTANCE";
    case ConfigurationFault::kNotYetValid:
      return "NOT_YET_VALID";
    case ConfigurationFault::kExpired:
      return "EXPIRED";
    case ConfigurationFault::kRollback:
      return "ROLLBACK";
    case ConfigurationFault::kDownloadFailed:
      return "DOWNLOAD_FAILED";
  }
  return "UNKNOWN";
}

Result<GlobalConfiguration> verify(std::string_view signed_bytes, const ConfigurationAnchor& anchor, const Clock& clock,
                                   std::uint64_t min_version, ConfigurationFault* fault) {
  ConfigurationFault unused = ConfigurationFault::kNone;
  ConfigurationFault& why = fault != nullptr ? *fault : unused;
  why = ConfigurationFault::kNone;
  auto refused = [&why](ConfigurationFault f, Code code, std::string message) {
    why = f;
    return Status(code, "global configuration refused (" + std::string(fault_name(f)) + "): " + message);
  };
  const TimePoint now = clock.now();

  // 1. The envelope.
  auto envelope = SignedConfiguration::parse(signed_bytes);
  if (!envelope) return refused(ConfigurationFault::kMalformed, Code::kInvalidArgument, envelope.status().message());
  // 2. The signer: pinned by the anchor (byte for byte) and valid under the anchor's CA now.
  auto signer = signer_in_signature(envelope->signature);
  if (!signer) return refused(ConfigurationFault::kMalformed, Code::kInvalidArgument, signer.status().message());
  const std::string signer_der = signer->der();
  const auto& pinned = anchor.signing_certificates();
  if (std::none_of(pinned.begin(), pinned.end(), [&](const crypto::Certificate& c) { return c.der() == signer_der; })) {
    return refused(ConfigurationFault::kUntrustedSigner, Code::kPermissionDenied,
                   "signed by " + signer->subject() + " (serial " + signer->serial_hex() +
                       "), which is not a configuration-signing certificate of the anchor");
  }
  if (Status chained = crypto::verify_chain(*signer, {anchor.ca_certificate()}, {}, now); !chained) {
    return refused(ConfigurationFault::kUntrustedSigner, Code::kPermissionDenied, chained.message());
  }
  // 3. The signature over the exact content bytes.
  auto verified = crypto::cms_verify_detached(envelope->signature, envelope->content, {anchor.ca_certificate()}, now);
  if (!verified) {
    if (verified.status().code() == Code::kPermissionDenied) {
      return refused(ConfigurationFault::kTampered, Code::kCorrupt, verified.status().message());
    }
    return refused(ConfigurationFault::kMalformed, verified.status().code(), verified.status().message());
  }
  if (verified->der() != signer_der) {
    return refused(ConfigurationFault::kMalformed, Code::kInvalidArgument, "ambiguous signer certificate");
  }
  // 4. The content, only now that it is authentic.
  auto conf = GlobalConfiguration::from_json(envelope->content);
  if (!conf) return refused(ConfigurationFault::kMalformed, Code::kInvalidArgument, conf.status().message());
  // 5. Instance, validity period, version. Compared in whole seconds: the document's times reach
  // the year 9999, which a nanosecond TimePoint cannot hold (past 2262 the conversion overflows).
  // With integral bounds, floor(now) gives the same answers as now itself.
  const auto now_seconds = std::chrono::floor<std::chrono::seconds>(now);
  if (conf->instance() != anchor.instance()) {
    return refused(ConfigurationFault::kWrongInstance, Code::kPermissionDenied,
                   "the configuration is for instance " + conf->instance() + ", the anchor for " + anchor.instance());
  }
  if (conf->created_at() > now_seconds + kMaxClockSkew) {
    return refused(ConfigurationFault::kNotYetValid, Code::kFailedPrecondition,
                   "version " + std::to_string(conf->version()) + " is created at " + format_time(conf->created_at()) +
                       ", in the future");
  }
  if (now_seconds >= conf->expires_at()) {
    return refused(ConfigurationFault::kExpired, Code::kFailedPrecondition,
                   "version " + std::to_string(conf->version()) + " expired at " + format_time(conf->expires_at()));
  }
  if (conf->version() < min_version) {
    return refused(
        ConfigurationFault::kRollback, Code::kFailedPrecondition,
        "version " + std::to_string(conf->version()) + " is older than version " + std::to_string(min_version));
  }
  return conf;
}

}  // namespace xacbe::globalconf
