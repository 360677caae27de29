#pragma once
// RFC 3161 responses made in-process with OpenSSL's TS_RESP_CTX for client tests: a correct
// token for a given request by default, and every kind of wrong answer a client must refuse
// through the knobs of TsaAnswer.

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "xacbe/crypto/certificate.hpp"
#include "xacbe/crypto/key.hpp"

namespace xacbe::testing {

struct TsaAnswer {
  std::chrono::sys_seconds gen_time{};
  std::string default_policy = "1.3.6.1.4.1.99999.3.1";
  std::vector<std::string> other_policies;
  int accuracy_seconds = 1, accuracy_millis = 0, accuracy_micros = 0;
  long serial = 42;
  // A rejection with this PKIFailureInfo bit (e.g. TS_INFO_BAD_ALG) instead of a token.
  int reject_with = -1;
  // A TimeStampResp holding only this PKIStatus, without failInfo or token.
  int bare_status = -1;
  // The request is changed before it is answered, as by someone between client and TSA.
  bool other_imprint = false;
  bool other_policy = false;          // drop the requested policy: the token carries the default one
  bool without_certificates = false;  // certReq false
  enum class Nonce { kEcho, kOmit, kOther } nonce = Nonce::kEcho;
  bool corrupt_signature = false;
};

// The DER of a TimeStampResp answering the DER TimeStampReq `request`, signed by `cert` with
// `chain` added when certReq is set. Throws std::runtime_error when OpenSSL fails.
std::string make_timestamp_response(std::string_view request, const crypto::Certificate& cert,
                                    const crypto::PrivateKey& key, const std::vector<crypto::Certificate>& chain,
                                    const TsaAnswer& answer);

// The DER TimeStampReq `request` as someone between client and TSA would change it by the
// knobs other_imprint, other_policy, without_certificates and nonce of `answer`.
std::string changed_timestamp_request(std::string_view request, const TsaAnswer& answer);

}  // namespace xacbe::testing
