#pragma once
// A histogram of fixed buckets (Prometheus' cumulative `le` buckets are made when written): an
// observation is a binary search and three additions under a short mutex, no allocation.

#include <cstdint>
#include <mutex>
#include <vector>

#include "xacbe/metrics/exposition.hpp"

namespace xacbe::metrics {

class Histogram {
 public:
  // `bounds`: upper bounds, finite and strictly increasing, at least one; otherwise throws
  // std::invalid_argument. "+Inf" is added when written.
  explicit Histogram(std::vector<double> bounds);
  Histogram(const Histogram&) = delete;
  Histogram& operator=(const Histogram&) = delete;

  void observe(double value);
  HistogramSnapshot snapshot() const;

 private:
  const std::vector<double> bounds_;
  mutable std::mutex mu_;
  std::vector<std::uint64_t> counts_;  // guarded by mu_; one more than bounds_
  double sum_ = 0;                     // guarded by mu_
  std::uint64_t count_ = 0;            // guarded by mu_
};

}  // namespace xacbe::metrics
