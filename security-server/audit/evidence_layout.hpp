#pragma once
// The names inside an evidence container (docs/protocol/evidence-container.md "Layout"), shared by
// the writer and the verifier.

#include <cstdint>
#include <string>

namespace xacbe::ss::evidence {

inline constexpr const char* kMimetypeFile = "mimetype";
inline constexpr const char* kManifestFile = "META-INF/manifest.json";
inline constexpr const char* kCaCopy = "certificates/ca.pem";
inline constexpr const char* kTsaCopy = "certificates/tsa.pem";

// Inside records/<seq>/.
inline constexpr const char* kRecordFile = "record.json";
inline constexpr const char* kHeadFile = "head.json";
inline constexpr const char* kBodyFile = "body";
inline constexpr const char* kEStampFile = "estamp.xml";
inline constexpr const char* kSignerFile = "signer.pem";
inline constexpr const char* kOcspFile = "ocsp.der";
inline constexpr const char* kTokenFile = "timestamp.tst";
inline constexpr const char* kProofFile = "proof.json";

inline std::string record_dir(std::int64_t seq) { return "records/" + std::to_string(seq) + "/"; }

// configuration/<instance>-<version>.json: the signed form as the registry published it.
inline std::string configuration_name(const std::string& instance, std::uint64_t version) {
  return "configuration/" + instance + "-" + std::to_string(version) + ".json";
}

}  // namespace xacbe::ss::evidence
