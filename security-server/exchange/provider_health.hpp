#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "xacbe/clock.hpp"

namespace xacbe::ss {

// When several servers carry a provider, the one that answered last is tried first for a while.
class ProviderHealth {
 public:
  explicit ProviderHealth(const Clock& clock) : clock_(clock) {}
  void succeeded(const std::string& provider, const std::string& server);
  void failed(const std::string& provider, const std::string& server);
  // Orders `servers` (ids) for a call: the remembered healthy one first, recently failed ones last.
  std::vector<std::string> order(const std::string& provider, std::vector<std::string> servers) const;

 private:
  static constexpr std::chrono::seconds kMemory{60};
  const Clock& clock_;
  mutable std::mutex mu_;
  std::map<std::string, std::pair<std::string, TimePoint>> healthy_;  // guarded by mu_
  std::map<std::string, TimePoint> failed_;                           // guarded by mu_, key provider|server
};

}  // namespace xacbe::ss
