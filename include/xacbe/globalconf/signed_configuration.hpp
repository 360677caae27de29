#pragma once
// The signed form of the global configuration, the configuration anchor, and verification
// (docs/protocol/global-configuration.md). The registry signs the exact document bytes with its
// configuration-signing key (detached CMS SignedData); a security server trusts exactly one
// anchor, installed once by its admin, and accepts a configuration only if it verifies against it.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "xacbe/clock.hpp"
#include "xacbe/crypto/certificate.hpp"
#include "xacbe/crypto/key.hpp"
#include "xacbe/globalconf/global_configuration.hpp"
#include "xacbe/result.hpp"

namespace xacbe::globalconf {

// What a security server trusts for one instance: where to download the configuration, the
// CEIQROO CA, and the registry's configuration-signing certificate(s) (several during a key
// change). The registry exports it; an admin installs it once.
class ConfigurationAnchor {
 public:
  // Refuses (kInvalidArgument) an unknown instance, a bad URL, a CA certificate that is not a CA,
  // no or repeated signing certificates, and a signing certificate the CA did not issue.
  static Result<ConfigurationAnchor> create(std::string instance, std::string download_url,
                                            crypto::Certificate ca_certificate,
                                            std::vector<crypto::Certificate> signing_certificates);
  // Strict JSON, as for the document; messages name the JSON path.
  static Result<ConfigurationAnchor> from_json(std::string_view json);
  static Result<ConfigurationAnchor> load(const std::string& path);
  // Canonical bytes: compact JSON, keys in byte order.
  std::string to_json() const;

  const std::string& instance() const { return instance_; }
  const std::string& download_url() const { return download_url_; }
  const crypto::Certificate& ca_certificate() const { return ca_certificate_; }
  const std::vector<crypto::Certificate>& signing_certificates() const { return signing_certificates_; }

 private:
  ConfigurationAnchor(std::string instance, std::string download_url, crypto::Certificate ca_certificate,
                      std::vector<crypto::Certificate> signing_certificates);
  std::string instance_;
  std::string download_url_;
  crypto::Certificate ca_certificate_;
  std::vector<crypto::Certificate> signing_certificates_;
};

// {"content": base64 of the document bytes, "signature": base64 of the DER CMS SignedData}.
// Only the envelope: parse() checks the shape, not the signature.
struct SignedConfiguration {
  std::string content;    // the exact document bytes that were signed
  std::string signature;  // DER CMS SignedData over `content`, detached

  // kInvalidArgument unless the bytes are a JSON object with exactly these two strings in
  // strict base64 (RFC 4648 section 4, padded, no whitespace).
  static Result<SignedConfiguration> parse(std::string_view bytes);
  std::string to_json() const;
};

// The certificate the single SignerInfo of a signed form names, as the signature embeds it.
// Nothing is verified (verify() does that): for a publisher that asks which of its keys signed a
// stored version. kInvalidArgument when the bytes are not the signed form of section 2.
Result<crypto::Certificate> embedded_signer(std::string_view signed_bytes);

// Signs configuration.to_json() with the configuration-signing key; returns the signed form.
Result<std::string> sign_configuration(const GlobalConfiguration& configuration, const crypto::PrivateKey& key,
                                       const crypto::Certificate& certificate);

// Why a configuration was not accepted; stable names (fault_name) for logs, metrics and tests.
// The Status code of each is given in brackets.
enum class ConfigurationFault {
  kNone,
  kMalformed,        // not the signed form, not CMS, or a document that breaks the format [INVALID_ARGUMENT]
  kUntrustedSigner,  // signer not one of the anchor's signing certificates, or not valid under its CA now
                     // [PERMISSION_DENIED]
  kTampered,         // the signature does not match the content [CORRUPT]
  kWrongInstance,    // the document is for another instance than the anchor [PERMISSION_DENIED]
  kNotYetValid,      // created_at is later than now + kMaxClockSkew [FAILED_PRECONDITION]
  kExpired,          // now >= expires_at [FAILED_PRECONDITION]
  kRollback,         // version < min_version [FAILED_PRECONDITION]
  kDownloadFailed,   // downloader only: no usable HTTP answer [the HTTP client's code]
};
const char* fault_name(ConfigurationFault fault);  // "MALFORMED", "UNTRUSTED_SIGNER", ...

// Tolerated difference between the registry's clock and ours for created_at.
inline constexpr std::chrono::seconds kMaxClockSkew{300};

// Verifies a signed configuration against `anchor` at clock.now(), in the order of the protocol
// document: envelope, signer pinned by the anchor and chained to its CA, signature over the exact
// content, then the content itself, instance, validity period and version >= min_version (0
// accepts any version). On failure `*fault` (when given) says why; on success it is kNone.
Result<GlobalConfiguration> verify(std::string_view signed_bytes, const ConfigurationAnchor& anchor, const Clock& clock,
                                   std::uint64_t min_version, ConfigurationFault* fault = nullptr);

}  // namespace xacbe::globalconf
