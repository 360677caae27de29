// libFuzzer target for verify_estamp, a security server's check of the e-stamp a peer sent:
// whatever the bytes, it yields a verified stamp or refuses with a fault whose Status code is the
// documented one (docs/protocol/e-stamp.md "Verification").
//
// The test PKI is made at start-up, so no stored seed can carry a signature by this run's key.
// The first input byte therefore picks a mode:
//   'S'  flip bytes of a stamp signed at start-up (each 3 input bytes: a 16-bit position and an
//        XOR mask): a changed stamp is refused, or accepted with exactly the original content
//        (a change outside what is signed, e.g. whitespace between unsigned elements);
//   'R'  sign a message whose id is made of the input's printable bytes: it must verify, with
//        that content (sign and verify agree on every text the rules allow);
//   else the input itself is the e-stamp.

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "estamp/estamp.hpp"
#include "support/ocsp_answers.hpp"
#include "support/test_pki.hpp"
#include "xacbe/crypto/encoding.hpp"

namespace xacbe::ss {
namespace {

using namespace std::chrono_literals;

StampContent content_with_id(std::string id) {
  return {.kind = "request",
          .message_id = std::move(id),
          .client = "QROO/EST/FGE/SIS",
          .service = "QROO/EST/SEFIPLAN/SIIF/padron-v1",
          .request_hash = {},
          .parts = {{"body", crypto::sha256("body")}}};
}

struct Harness {
  ManualClock clock{TimePoint(std::chrono::seconds(1'800'000'000))};  // 2027-01-15T08:00:00Z
  testing::TestPki pki{clock};
  testing::KeyAndCert responder = pki.issue(ca::Profile::kOcspResponder, "Fuzz OCSP");
  testing::KeyAndCert member = pki.issue(ca::Profile::kSigning, "QROO/EST/FGE");
  std::unique_ptr<SoftwareSigner> signer =
      SoftwareSigner::create(crypto::PrivateKey::from_pem(member.key.to_pem()).value(), member.cert).value();
  std::string ocsp = [this] {
    testing::OcspAnswer answer;
    answer.produced_at = answer.this_update = to_sys_seconds(clock.now()) - 60s;
    answer.next_update = to_sys_seconds(clock.now()) + 24h;
    auto request = crypto::OcspRequest::create(member.cert, pki.root(), {.nonce_octets = 0}).value();
    return testing::make_ocsp_response(request.der(), responder.cert, responder.key, answer);
  }();
  EStampTrust trust{.ca = pki.root(), .ocsp_responders = {responder.cert}};
  StampContent content = content_with_id("msg-1");
  std::string stamp = sign_estamp(content, *signer, ocsp, to_sys_seconds(clock.now())).value();
};

Harness& harness() {
  static Harness h;
  return h;
}

void check_refusal_code(const Result<VerifiedEStamp>& result, EStampFault fault) {
  if (result.is_ok() || result.status().code() == Code::kInternal) return;
  const Code expected = fault == EStampFault::kMalformed ? Code::kInvalidArgument : Code::kPermissionDenied;
  if (result.status().code() != expected) std::abort();
}

}  // namespace
}  // namespace xacbe::ss

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace xacbe::ss;
  Harness& h = harness();
  const std::string input(reinterpret_cast<const char*>(data), size);
  EStampFault fault = EStampFault::kOcspStale;
  if (!input.empty() && input[0] == 'S') {
    std::string stamp = h.stamp;
    for (std::size_t i = 1; i + 2 < input.size(); i += 3) {
      const std::size_t at = ((static_cast<unsigned char>(input[i]) << 8) | static_cast<unsigned char>(input[i + 1])) % stamp.size();
      stamp[at] = static_cast<char>(stamp[at] ^ input[i + 2]);
    }
    auto verified = verify_estamp(stamp, h.trust, h.clock, &fault);
    check_refusal_code(verified, fault);
    if (verified.is_ok() && (verified->content != h.content || verified->signer.der() != h.member.cert.der())) {
      std::abort();
    }
    return 0;
  }
  if (!input.empty() && input[0] == 'R') {
    std::string id;
    for (char ch : input.substr(1)) {
      if (ch >= 0x20 && ch <= 0x7e && id.size() < kMaxStampTextLength) id += ch;
    }
    if (id.empty()) return 0;
    const StampContent content = content_with_id(id);
    auto stamp = sign_estamp(content, *h.signer, h.ocsp, xacbe::to_sys_seconds(h.clock.now()));
    if (!stamp) std::abort();
    auto verified = verify_estamp(*stamp, h.trust, h.clock);
    if (!verified || verified->content != content) std::abort();
    return 0;
  }
  auto verified = verify_estamp(input, h.trust, h.clock, &fault);
  check_refusal_code(verified, fault);
  return 0;
}
