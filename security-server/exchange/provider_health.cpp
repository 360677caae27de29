#include <algorithm>

#include "exchange/provider_health.hpp"

namespace xacbe::ss {

void ProviderHealth::succeeded(const std::string& provider, const std::string& server) {
  std::lock_guard lock(mu_);
  healthy_[provider] = {server, clock_.now()};
  failed_.erase(provider + "|" + server);
}

void ProviderHealth::failed(const std::string& provider, const std::string& server) {
  std::lock_guard lock(mu_);
  if (auto it = healthy_.find(provider); it != healthy_.end() && it->second.first == server) healthy_.erase(it);
  if (failed_.size() > 10000) failed_.clear();
  failed_[provider + "|" + server] = clock_.now();
}

std::vector<std::string> ProviderHealth::order(const std::string& provider, std::vector<std::string> servers) const {
  std::lock_guard lock(mu_);
  const TimePoint now = clock_.now();
  auto rank = [&](const std::string& server) {
    if (auto it = healthy_.find(provider); it != healthy_.end() && it->second.first == server && now - it->second.second < kMemory) {
      return 0;
    }
    if (auto it = failed_.find(provider + "|" + server); it != failed_.end() && now - it->second < kMemory) return 2;
    return 1;
  };
  std::stable_sort(servers.begin(), servers.end(), [&](const auto& a, const auto& b) { return rank(a) < rank(b); });
  return servers;
}

}  // namespace xacbe::ss
