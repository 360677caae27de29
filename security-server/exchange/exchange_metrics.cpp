#include "exchange/exchange_metrics.hpp"

namespace xacbe::ss {
namespace {

// Seconds, from a fast local answer to the exchange's 60-second peer timeout.
const std::vector<double> kDurationBuckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                              0.25,  0.5,    1,     2.5,  5,     10};

}  // namespace

ExchangeMetrics::ExchangeMetrics()
    : exchanges_({"side", "service", "result"}, kMaxSeries, 1),
      client_duration_(kDurationBuckets),
      provider_duration_(kDurationBuckets) {}

void ExchangeMetrics::ended(RecordSide side, std::string_view service, std::string_view result,
                            std::chrono::steady_clock::duration took) {
  exchanges_.add({side_name(side), service.empty() ? kNoService : service, result});
  const double seconds = std::chrono::duration<double>(took).count();
  (side == RecordSide::kClient ? client_duration_ : provider_duration_).observe(seconds);
}

void ExchangeMetrics::refused_unread(RecordSide side, std::string_view result) {
  exchanges_.add({side_name(side), kNoService, result});
}

void ExchangeMetrics::write(metrics::TextWriter& out) const {
  out.family("xacbe_exchanges_total", metrics::MetricType::kCounter,
             "Exchanges ended, by side, service and result (ok or the fault code).");
  exchanges_.write(out);
  out.family("xacbe_exchange_duration_seconds", metrics::MetricType::kHistogram,
             "Time from a request's arrival to its answer, by side.");
  out.histogram({{"side", side_name(RecordSide::kClient)}}, client_duration_.snapshot());
  out.histogram({{"side", side_name(RecordSide::kProvider)}}, provider_duration_.snapshot());
}

}  // namespace xacbe::ss
