#pragma once
// The OCSP status of the other security server's authentication certificate, which each side
// carries in its message (X-Xacbe-Auth-Ocsp) so that neither asks the responder on every call
// (docs/protocol/exchange.md "Between security servers"). A response is checked once and then
// remembered by its digest until it is no longer fresh.

#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "exchange/fault.hpp"
#include "xacbe/clock.hpp"
#include "xacbe/crypto/certificate.hpp"
#include "xacbe/globalconf/global_configuration.hpp"
#include "xacbe/result.hpp"

namespace xacbe::ss {

class PeerStatusCache {
 public:
  explicit PeerStatusCache(const Clock& clock) : clock_(clock) {}

  // Ok when `der` is an OCSP response about `peer` (issued by the configuration's CA), signed by
  // one of its responders, status good and produced within the configuration's freshness limit.
  // Otherwise the fault code (kCertificateNotGood, kOcspStale or kPeerNotAuthenticated) is set.
  Status check(const crypto::Certificate& peer, std::string_view der,
               const globalconf::GlobalConfiguration& configuration, FaultCode* code);

 private:
  const Clock& clock_;
  std::mutex mu_;
  // SHA-256 of (certificate fingerprint, response DER) -> producedAt of a verified good response.
  std::map<std::string, std::chrono::sys_seconds> verified_;  // guarded by mu_
};

}  // namespace xacbe::ss
