// libFuzzer target for globalconf::verify, a security server's check of a downloaded signed
// global configuration: whatever the bytes, it yields a configuration or refuses with a fault
// whose Status code is the documented one, and an accepted configuration is of the anchor's
// instance, valid now, and canonical (from_json(to_json()) gives the same bytes).
//
// The test PKI is made at start-up, so no stored seed can carry a signature by this run's key.
// Every input that parses as the signed envelope is therefore tried a second time with its content
// re-signed by this run's configuration-signing key, which lets the fuzzer reach the document
// parser and the instance, validity and version rules. The seeds' times suit the fixed clock
// below (fuzz_seed_corpus writes them).

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "support/test_pki.hpp"
#include "xacbe/crypto/cms.hpp"
#include "xacbe/globalconf/signed_configuration.hpp"

namespace xacbe::globalconf {
namespace {

struct Harness {
  ManualClock clock{TimePoint(std::chrono::seconds(1'800'000'000))};  // 2027-01-15T08:00:00Z
  xacbe::testing::TestPki pki{clock};
  xacbe::testing::KeyAndCert signer = pki.issue(ca::Profile::kSigning, "CEIQROO configuration signing");
  ConfigurationAnchor anchor =
      ConfigurationAnchor::create("QROO", "http://registry.ceiqroo.example/globalconf", pki.root(), {signer.cert})
          .value();
};

Harness& harness() {
  static Harness h;
  return h;
}

Code code_of(ConfigurationFault fault) {
  switch (fault) {
    case ConfigurationFault::kTampered:
      return Code::kCorrupt;
    case ConfigurationFault::kUntrustedSigner:
    case ConfigurationFault::kWrongInstance:
      return Code::kPermissionDenied;
    case ConfigurationFault::kNotYetValid:
    case ConfigurationFault::kExpired:
    case ConfigurationFault::kRollback:
      return Code::kFailedPrecondition;
    default:
      return Code::kOk;  // kMalformed: the code of what failed to parse
  }
}

void check(std::string_view bytes) {
  Harness& h = harness();
  ConfigurationFault fault = ConfigurationFault::kDownloadFailed;
  auto conf = verify(bytes, h.anchor, h.clock, 3, &fault);
  if (conf.is_ok() != (fault == ConfigurationFault::kNone)) abort();
  if (!conf) {
    if (fault == ConfigurationFault::kDownloadFailed) abort();
    const Code expected = code_of(fault);
    if (expected != Code::kOk && conf.status().code() != expected) abort();
    return;
  }
  const auto now = std::chrono::floor<std::chrono::seconds>(h.clock.now());
  if (conf->instance() != "QROO" || conf->version() < 3 || now >= conf->expires_at() ||
      conf->created_at() > now + kMaxClockSkew) {
    abort();
  }
  const std::string canonical = conf->to_json();
  auto again = GlobalConfiguration::from_json(canonical);
  if (!again || again->to_json() != canonical) abort();
}

}  // namespace
}  // namespace xacbe::globalconf

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace xacbe::globalconf;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  check(input);
  auto envelope = SignedConfiguration::parse(input);
  if (envelope) {
    Harness& h = harness();
    auto signature = xacbe::crypto::cms_sign_detached(h.signer.key, h.signer.cert, envelope->content);
    if (!signature) abort();
    check(SignedConfiguration{envelope->content, *signature}.to_json());
  }
  return 0;
}
