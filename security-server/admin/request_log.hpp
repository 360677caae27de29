#pragma once
// What the security server keeps of its admin API's requests: one info line per action with the
// user's name and the outcome, refusals included. Requests without a valid token name nobody and
// cost an attacker nothing, so they are counted and summed up in at most one line per
// `interval` (STYLE.md: anonymous refusals are counted and rate-limited, not written one by one).

#include <chrono>
#include <cstdint>
#include <optional>

#include "xacbe/api/admin_api.hpp"
#include "xacbe/clock.hpp"

namespace xacbe::ss {

class AdminRequestLog : public api::RequestAudit {
 public:
  // `clock` must outlive the log.
  explicit AdminRequestLog(const Clock& clock, std::chrono::seconds interval = std::chrono::seconds(60))
      : clock_(clock), interval_(interval) {}

  void refused(const api::ApiUser* user, const std::string& action, const std::string& path,
               const Status& refusal, const std::string& peer) override;
  net::HttpResponse answer(const api::Route& route, const api::ApiCall& call, const std::string& path,
                           const std::function<net::HttpResponse()>& answer) override;

  // Requests refused for want of a valid token since the last summary line (for tests).
  std::uint64_t unreported_unauthenticated() const { return unreported_; }

 private:
  const Clock& clock_;
  const std::chrono::seconds interval_;
  // The API's lock guards these (both calls come with it held).
  std::optional<TimePoint> last_summary_;
  std::uint64_t unreported_ = 0;
};

}  // namespace xacbe::ss
