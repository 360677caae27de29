#pragma once
// What the exchange counts for GET /metrics (docs/operator-guide.md "Monitoring"): every exchange
// once, where it ends, by side, service and result, and its duration by side. Counting takes a
// short lock and allocates only on a label set's first sighting; service ids come from callers,
// so at most kMaxSeries label sets are kept and further services are counted as "other".

#include <chrono>
#include <cstddef>
#include <string_view>

#include "register/record.hpp"
#include "xacbe/metrics/counter_family.hpp"
#include "xacbe/metrics/histogram.hpp"

namespace xacbe::ss {

class ExchangeMetrics {
 public:
  static constexpr std::size_t kMaxSeries = 1000;
  // The service label of an exchange that ended before its request named a service that parsed.
  static constexpr std::string_view kNoService = "none";

  ExchangeMetrics();

  // One exchange ended on `side`: `result` is "ok" or the fault code's name
  // (fault_code_name), `service` the service id as the request named it (empty: none), `took`
  // from the request's arrival to the answer.
  void ended(RecordSide side, std::string_view service, std::string_view result,
             std::chrono::steady_clock::duration took);

  // One exchange the HTTP layer refused before its request was read whole (body or headers too
  // large, malformed HTTP): counted under service "none", with no duration.
  void refused_unread(RecordSide side, std::string_view result);

  // xacbe_exchanges_total and xacbe_exchange_duration_seconds.
  void write(metrics::TextWriter& out) const;

 private:
  metrics::CounterFamily exchanges_;  // side, service, result; "other" replaces the service
  metrics::Histogram client_duration_, provider_duration_;
};

}  // namespace xacbe::ss
