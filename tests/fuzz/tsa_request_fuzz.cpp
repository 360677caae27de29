// libFuzzer target for tsa::TimestampAuthority::respond: whatever the bytes, the answer is one DER
// TimeStampResp; a granted one carries a token whose TSTInfo repeats the request's imprint and
// nonce, a rejection carries no token and says why (failInfo).
//
// Random bytes seldom get past the imprint checks, so each input that parses as a TimeStampReq is
// tried a second time repaired: version 1, the hashed message cut or padded to the length of its
// algorithm, no extensions. That lets the fuzzer reach policy choice, serials and signing.
// A nonce of 0xDEAD makes the serial source fail and 0x0BAD makes the clock untrusted, so those
// refusals are reachable from the corpus too.

#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/ts.h>
#include <openssl/x509.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "support/test_pki.hpp"
#include "timestamp_authority.hpp"

namespace xacbe::tsa {
namespace {

constexpr long kFailSerialsNonce = 0xDEAD;
constexpr long kUntrustedClockNonce = 0x0BAD;

// Serials from memory: a database would make every run slower and leave files behind.
class CountingSerials final : public SerialSource {
 public:
  std::atomic<bool> fail{false};
  Result<std::uint64_t> next() override {
    if (fail.load()) return unavailable("serial store down");
    return ++last_;
  }

 private:
  std::atomic<std::uint64_t> last_{0};
};

struct Harness {
  Harness() {
    auto kc = pki.issue(ca::Profile::kTimestamping, "Fuzz TSA");
    TsaSettings settings;
    settings.other_policies = {"1.2.3.4"};  // short enough for the fuzzer to write
    auto created = TimestampAuthority::create(std::move(kc.key), kc.cert, {pki.root()}, settings,
                                              clock, serials);
    if (!created) abort();
    authority = std::move(created).value();
  }

  ManualClock clock{TimePoint(std::chrono::seconds(1'750'000'000))};
  xacbe::testing::TestPki pki{clock};
  CountingSerials serials;
  std::unique_ptr<TimestampAuthority> authority;
};

Harness& harness() {
  static Harness h;
  return h;
}

// The request if `der` is exactly one TimeStampReq, else null.
crypto::TS_REQPtr parse_request(std::string_view der) {
  const auto* begin = reinterpret_cast<const unsigned char*>(der.data());
  const unsigned char* p = begin;
  crypto::TS_REQPtr request(d2i_TS_REQ(nullptr, &p, static_cast<long>(der.size())));
  return p == begin + der.size() ? std::move(request) : nullptr;
}

std::string der_of(TS_REQ* request) {
  const int n = i2d_TS_REQ(request, nullptr);
  if (n <= 0) return {};
  std::string out(static_cast<std::size_t>(n), '\0');
  auto* p = reinterpret_cast<unsigned char*>(out.data());
  i2d_TS_REQ(request, &p);
  return out;
}

// The request with a version, imprint length and extension list the TSA can accept; empty when
// the input is no TimeStampReq or its hash algorithm is unknown to OpenSSL.
std::string repaired(const crypto::TS_REQPtr& request) {
  TS_MSG_IMPRINT* imprint = TS_REQ_get_msg_imprint(request.get());
  const EVP_MD* md = EVP_get_digestbyobj(TS_MSG_IMPRINT_get_algo(imprint)->algorithm);
  if (md == nullptr || EVP_MD_get_size(md) <= 0) return {};
  ASN1_OCTET_STRING* hash = TS_MSG_IMPRINT_get_msg(imprint);
  std::string bytes(reinterpret_cast<const char*>(ASN1_STRING_get0_data(hash)),
                    static_cast<std::size_t>(ASN1_STRING_length(hash)));
  bytes.resize(static_cast<std::size_t>(EVP_MD_get_size(md)), '\x5a');
  if (ASN1_OCTET_STRING_set(hash, reinterpret_cast<const unsigned char*>(bytes.data()),
                            static_cast<int>(bytes.size())) != 1 ||
      TS_REQ_set_version(request.get(), 1) != 1) {
    return {};
  }
  TS_REQ_ext_free(request.get());
  return der_of(request.get());
}

// Checks the answer to a request (`request` null when the input was not exactly one).
void check_answer(const std::string& der, TS_REQ* request) {
  const auto* begin = reinterpret_cast<const unsigned char*>(der.data());
  const unsigned char* p = begin;
  crypto::TS_RESPPtr response(d2i_TS_RESP(nullptr, &p, static_cast<long>(der.size())));
  if (!response || p != begin + der.size()) abort();
  TS_STATUS_INFO* info = TS_RESP_get_status_info(response.get());
  const bool granted = ASN1_INTEGER_get(TS_STATUS_INFO_get0_status(info)) == TS_STATUS_GRANTED;
  TS_TST_INFO* tst_info = TS_RESP_get_tst_info(response.get());
  const bool has_token = TS_RESP_get_token(response.get()) != nullptr;
  if (granted != has_token || granted != (tst_info != nullptr)) abort();
  if (!granted) {
    if (TS_STATUS_INFO_get0_failure_info(info) == nullptr) abort();
    return;
  }
  if (request == nullptr) abort();  // granted something that is not exactly one TimeStampReq
  const ASN1_OCTET_STRING* asked = TS_MSG_IMPRINT_get_msg(TS_REQ_get_msg_imprint(request));
  const ASN1_OCTET_STRING* stamped = TS_MSG_IMPRINT_get_msg(TS_TST_INFO_get_msg_imprint(tst_info));
  if (ASN1_OCTET_STRING_cmp(asked, stamped) != 0) abort();
  const ASN1_INTEGER* nonce = TS_REQ_get_nonce(request);
  const ASN1_INTEGER* copied = TS_TST_INFO_get_nonce(tst_info);
  if ((nonce == nullptr) != (copied == nullptr)) abort();
  if (nonce != nullptr && ASN1_INTEGER_cmp(nonce, copied) != 0) abort();
}

// Answers `der` with the serial source and clock set as its nonce asks, then checks the answer.
void answer(std::string_view der) {
  Harness& h = harness();
  crypto::TS_REQPtr request = parse_request(der);
  const ASN1_INTEGER* nonce = request ? TS_REQ_get_nonce(request.get()) : nullptr;
  const long magic = nonce != nullptr ? ASN1_INTEGER_get(nonce) : 0;
  h.serials.fail.store(magic == kFailSerialsNonce);
  h.clock.set_trusted(magic != kUntrustedClockNonce);
  check_answer(h.authority->respond(der), request.get());
  h.serials.fail.store(false);
  h.clock.set_trusted(true);
}

}  // namespace
}  // namespace xacbe::tsa

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace xacbe::tsa;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  answer(input);
  if (size <= TsaSettings{}.max_request_bytes) {
    xacbe::crypto::TS_REQPtr request = parse_request(input);
    if (request) {
      const std::string fixed = repaired(request);
      if (!fixed.empty()) answer(fixed);
    }
  }
  return 0;
}
