#include "admin/request_log.hpp"

#include "register/record.hpp"
#include "xacbe/api/json.hpp"
#include "xacbe/log/log.hpp"
#include "xacbe/utf8.hpp"

namespace xacbe::ss {
namespace {

// A request's path and an error message may carry what the caller sent.
constexpr std::size_t kMaxLoggedBytes = 256;
std::string bounded(std::string_view text) { return bounded_utf8(text, kMaxLoggedBytes); }

}  // namespace

void AdminRequestLog::refused(const api::ApiUser* user, const std::string& action, const std::string& path,
                              const Status& refusal, const std::string& /*peer*/) {
  if (user) {
    log::info("admin {} {} {}: refused: {}", user->name, action, bounded(path), refusal.to_string());
    return;
  }
  ++unreported_;
  const TimePoint now = clock_.now();
  if (last_summary_ && now - *last_summary_ < interval_) return;
  log::info("admin API: {} request(s) without a valid bearer token refused (last: {})", unreported_, action);
  unreported_ = 0;
  last_summary_ = now;
}

net::HttpResponse AdminRequestLog::answer(const api::Route& route, const api::ApiCall& call, const std::string& path,
                                          const std::function<net::HttpResponse()>& answer) {
  net::HttpResponse response = answer();
  const std::string who = call.user ? call.user->name : "anonymous";
  if (response.status >= 200 && response.status < 300) {
    log::info("admin {} {} {}: {}", who, route.method, bounded(path), response.status);
  } else {
    log::info("admin {} {} {}: {} {}", who, route.method, bounded(path), response.status,
              bounded(api::error_of(response).to_string()));
  }
  return response;
}

}  // namespace xacbe::ss
