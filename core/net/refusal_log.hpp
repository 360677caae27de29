#pragma once
// Refusals of outside input (a connection over the limit, a slow sender, an oversize body) are
// logged with their reason, at most one line per reason and second, with the count of those the
// limit held back: a flood is visible without the log itself becoming the flood.

#include <chrono>
#include <map>
#include <mutex>
#include <string>

#include "xacbe/log/log.hpp"

namespace xacbe::net {

class RefusalLog {
 public:
  void note(const std::string& reason) {
    const auto now = std::chrono::steady_clock::now();
    std::size_t held_back = 0;
    {
      std::lock_guard lock(mu_);
      Entry& e = entries_[reason];
      if (now - e.last < std::chrono::seconds(1) && e.last.time_since_epoch().count() != 0) {
        ++e.held_back;
        return;
      }
      held_back = e.held_back;
      e.held_back = 0;
      e.last = now;
    }
    if (held_back) {
      log::warn("refused: {} ({} more in the last second)", reason, held_back);
    } else {
      log::warn("refused: {}", reason);
    }
  }

 private:
  struct Entry {
    std::chrono::steady_clock::time_point last{};
    std::size_t held_back = 0;
  };
  std::mutex mu_;
  std::map<std::string, Entry> entries_;  // guarded by mu_; keys are our own fixed reasons
};

}  // namespace xacbe::net
