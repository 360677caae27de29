// libFuzzer target for verify_container, an auditor's offline check of an evidence container that
// may come from anywhere (docs/protocol/evidence-container.md "Verification"): whatever the bytes,
// it refuses them as not a container or returns a report, within its limits, and every line of the
// report quotes at most a bounded excerpt of what the container holds.
//
// So that a mutated container reaches every check, the trust is the CA copy the container itself
// carries (certificates/ca.pem) when it has one that loads; else a test CA made at start-up. The
// seed is a container exported by the demo federation.

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "audit/evidence_container.hpp"
#include "support/test_pki.hpp"

namespace xacbe::ss {
namespace {

// A detail is cut to 300 bytes plus "...".
constexpr std::size_t kMaxDetailBytes = 303;

const crypto::Certificate& fallback_ca() {
  static ManualClock clock{TimePoint(std::chrono::seconds(1'800'000'000))};
  static testing::TestPki pki{clock};
  return pki.root();
}

crypto::Certificate trust_of(std::string_view bytes) {
  auto entries = read_zip(bytes);
  if (entries.is_ok()) {
    if (const ZipEntry* ca = find_entry(*entries, "certificates/ca.pem")) {
      if (auto cert = crypto::Certificate::from_pem(ca->bytes); cert.is_ok() && cert->is_ca()) return *cert;
    }
  }
  return fallback_ca();
}

}  // namespace
}  // namespace xacbe::ss

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace xacbe::ss;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto report = verify_container(bytes, EvidenceTrust{trust_of(bytes), std::nullopt});
  if (!report.is_ok()) {
    if (report.status().code() != xacbe::Code::kInvalidArgument) std::abort();
    return 0;
  }
  for (const EvidenceCheck& c : report->checks) {
    if (c.detail.size() > kMaxDetailBytes) std::abort();
  }
  if (format_report(*report).empty()) std::abort();
  return 0;
}
