#include "xacbe/metrics/histogram.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace xacbe::metrics {

Histogram::Histogram(std::vector<double> bounds) : bounds_(std::move(bounds)), counts_(bounds_.size() + 1, 0) {
  if (bounds_.empty()) throw std::invalid_argument("metrics: a histogram needs at least one bucket");
  for (std::size_t i = 0; i < bounds_.size(); ++i) {
    if (!std::isfinite(bounds_[i]) || (i > 0 && bounds_[i] <= bounds_[i - 1])) {
      throw std::invalid_argument("metrics: histogram bounds must be finite and strictly increasing");
    }
  }
}

void Histogram::observe(double value) {
  // The first bucket whose upper bound is >= value (Prometheus buckets are "less than or equal").
  const auto bucket = static_cast<std::size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin());
  std::lock_guard lock(mu_);
  ++counts_[bucket];
  sum_ += value;
  ++count_;
}

HistogramSnapshot Histogram::snapshot() const {
  std::lock_guard lock(mu_);
  return {bounds_, counts_, sum_, count_};
}

}  // namespace xacbe::metrics
