#include "exchange/peer_status.hpp"

#include "xacbe/crypto/encoding.hpp"
#include "xacbe/crypto/ocsp_client.hpp"

namespace xacbe::ss {
namespace {
constexpr std::size_t kMaxRemembered = 10000;
constexpr std::size_t kMaxResponseBytes = 16 * 1024;
}  // namespace

Status PeerStatusCache::check(const crypto::Certificate& peer, std::string_view der,
                              const globalconf::GlobalConfiguration& configuration, FaultCode* code) {
  *code = FaultCode::kPeerNotAuthenticated;
  if (der.empty()) return permission_denied("no OCSP response for the authentication certificate");
  if (der.size() > kMaxResponseBytes) return permission_denied("OCSP response for the authentication certificate too large");
  const auto freshness = configuration.settings().ocsp_freshness;
  const std::string key = crypto::sha256(peer.sha256_fingerprint() + std::string(der));
  const auto now = to_sys_seconds(clock_.now());
  {
    std::lock_guard lock(mu_);
    if (auto it = verified_.find(key); it != verified_.end()) {
      if (now - it->second <= freshness) return Status::ok();
      verified_.erase(it);
    }
  }
  const auto& ca = configuration.content().ca;
  auto request = crypto::OcspRequest::create(peer, ca.certificate, {.cert_id_hash = crypto::CertIdHash::kSha256, .nonce_octets = 0});
  if (!request.is_ok()) return permission_denied("authentication certificate not issued by the configuration's CA");
  crypto::OcspCheckOptions options;
  options.freshness = freshness;
  auto response = crypto::verify_ocsp_response(der, *request, ca.ocsp_responder_certificates, options, clock_);
  if (!response.is_ok()) {
    if (response.status().code() == Code::kFailedPrecondition) *code = FaultCode::kOcspStale;
    return permission_denied("OCSP response for the authentication certificate: " + response.status().message());
  }
  if (response->status != crypto::CertStatus::Kind::kGood) {
    *code = FaultCode::kCertificateNotGood;
    return permission_denied("the authentication certificate is not good (OCSP)");
  }
  std::lock_guard lock(mu_);
  if (verified_.size() >= kMaxRemembered) verified_.clear();
  verified_[key] = response->produced_at;
  return Status::ok();
}

}  // namespace xacbe::ss
