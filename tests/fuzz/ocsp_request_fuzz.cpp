// libFuzzer target for ocsp::Responder::respond: whatever the bytes, the answer is a DER
// OCSPResponse, and a successful one carries a BasicOCSPResponse.
//
// The test PKI is generated at start-up, so the issuer's hashes differ from run to run and a stored
// corpus could never name our CA. Each input is therefore tried twice: as it is, and (when it
// parses as an OCSPRequest) with every CertID's issuerNameHash and issuerKeyHash replaced by this
// run's, which lets the fuzzer reach nonce handling, status lookup and signing.

#include <openssl/ocsp.h>
#include <openssl/x509.h>

#include <cstdint>
#include <cstdlib>
#include <map>
#include <string>
#include <string_view>

#include "support/test_pki.hpp"
#include "xacbe/crypto/encoding.hpp"
#include "responder.hpp"

namespace xacbe::ocsp {
namespace {

class InMemoryStatuses final : public crypto::CertStatusSource {
 public:
  std::map<std::string, crypto::CertStatus> statuses;  // written before fuzzing starts only
  Result<crypto::CertStatus> lookup(const std::string& serial_hex) override {
    // A failing source must be survivable too; "DEAD" is a serial the fuzzer can write.
    if (serial_hex == "DEAD") return unavailable("status source down");
    auto it = statuses.find(serial_hex);
    return it == statuses.end() ? crypto::CertStatus{} : it->second;
  }
};

struct Harness {
  Harness() {
    auto member = pki.issue(ca::Profile::kSigning, "Member");
    statuses.statuses[member.cert.serial_hex()] = {crypto::CertStatus::Kind::kGood, {}, {}};
    statuses.statuses["1"] = {crypto::CertStatus::Kind::kRevoked, std::chrono::floor<std::chrono::seconds>(clock.now()),
                              crypto::RevocationReason::kKeyCompromise};
    statuses.statuses["2"] = {crypto::CertStatus::Kind::kRevoked, std::chrono::floor<std::chrono::seconds>(clock.now()),
                              crypto::RevocationReason::kCertificateHold};
    auto kc = pki.issue(ca::Profile::kOcspResponder, "Fuzz OCSP");
    auto created = Responder::create(pki.root(), kc.cert, std::move(kc.key), {}, clock, statuses);
    if (!created) abort();
    responder = std::move(created).value();
    const std::string name = der_of_name(X509_get_subject_name(pki.root().get()));
    const ASN1_BIT_STRING* key = X509_get0_pubkey_bitstr(pki.root().get());
    const std::string_view key_bits(reinterpret_cast<const char*>(ASN1_STRING_get0_data(key)),
                                    static_cast<std::size_t>(ASN1_STRING_length(key)));
    for (const char* md : {"SHA1", "SHA256"}) {
      hashes[md] = {crypto::digest(md, name).value(), crypto::digest(md, key_bits).value()};
    }
  }

  static std::string der_of_name(const X509_NAME* name) {
    std::string out(static_cast<std::size_t>(i2d_X509_NAME(name, nullptr)), '\0');
    auto* p = reinterpret_cast<unsigned char*>(out.data());
    i2d_X509_NAME(name, &p);
    return out;
  }

  ManualClock clock{TimePoint(std::chrono::seconds(1'750'000'000))};
  xacbe::testing::TestPki pki{clock};
  InMemoryStatuses statuses;
  std::unique_ptr<Responder> responder;
  std::map<std::string, std::pair<std::string, std::string>> hashes;  // digest -> (name hash, key hash)
};

Harness& harness() {
  static Harness h;
  return h;
}

void set_octets(ASN1_OCTET_STRING* s, const std::string& bytes) {
  ASN1_OCTET_STRING_set(s, reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
}

// The input with its CertIDs pointed at our issuer; empty if it is not an OCSPRequest.
std::string aimed_at_our_issuer(const uint8_t* data, size_t size) {
  const unsigned char* p = data;
  crypto::OCSP_REQUESTPtr request(d2i_OCSP_REQUEST(nullptr, &p, static_cast<long>(size)));
  if (!request) return {};
  for (int i = 0; i < OCSP_request_onereq_count(request.get()); ++i) {
    ASN1_OCTET_STRING* name_hash = nullptr;
    ASN1_OBJECT* algorithm = nullptr;
    ASN1_OCTET_STRING* key_hash = nullptr;
    OCSP_CERTID* id = OCSP_onereq_get0_id(OCSP_request_onereq_get0(request.get(), i));
    if (OCSP_id_get0_info(&name_hash, &algorithm, &key_hash, nullptr, id) != 1) continue;
    const auto& ours = harness().hashes[OBJ_obj2nid(algorithm) == NID_sha256 ? "SHA256" : "SHA1"];
    set_octets(name_hash, ours.first);
    set_octets(key_hash, ours.second);
  }
  const int n = i2d_OCSP_REQUEST(request.get(), nullptr);
  if (n <= 0) return {};
  std::string out(static_cast<std::size_t>(n), '\0');
  auto* q = reinterpret_cast<unsigned char*>(out.data());
  i2d_OCSP_REQUEST(request.get(), &q);
  return out;
}

void check_answer(const std::string& der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  crypto::OCSP_RESPONSEPtr response(d2i_OCSP_RESPONSE(nullptr, &p, static_cast<long>(der.size())));
  if (!response || p != reinterpret_cast<const unsigned char*>(der.data()) + der.size()) abort();
  crypto::OCSP_BASICRESPPtr basic(OCSP_response_get1_basic(response.get()));
  const bool successful = OCSP_response_status(response.get()) == OCSP_RESPONSE_STATUS_SUCCESSFUL;
  if (successful != (basic != nullptr)) abort();
}

}  // namespace
}  // namespace xacbe::ocsp

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace xacbe::ocsp;
  const Responder& responder = *harness().responder;
  check_answer(responder.respond(std::string_view(reinterpret_cast<const char*>(data), size)));
  if (size <= ResponderSettings{}.max_request_bytes) {
    const std::string aimed = aimed_at_our_issuer(data, size);
    if (!aimed.empty()) check_answer(responder.respond(aimed));
  }
  return 0;
}
