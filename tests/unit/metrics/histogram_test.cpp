#include "xacbe/metrics/histogram.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>
#include <thread>
#include <vector>

namespace xacbe::metrics {
namespace {

TEST(Histogram, PutsEachObservationInTheFirstBucketNotBelowIt) {
  Histogram h({0.01, 0.1, 1});
  for (double v : {0.001, 0.01, 0.05, 0.1, 0.5, 2.0, 30.0}) h.observe(v);
  const HistogramSnapshot s = h.snapshot();
  EXPECT_EQ(s.counts, (std::vector<std::uint64_t>{2, 2, 1, 2}));  // le is inclusive
  EXPECT_EQ(s.count, 7u);
  EXPECT_DOUBLE_EQ(s.sum, 32.661);
  EXPECT_EQ(s.bounds, (std::vector<double>{0.01, 0.1, 1}));
}

TEST(Histogram, RefusesBadBounds) {
  EXPECT_THROW(Histogram({}), std::invalid_argument);
  EXPECT_THROW(Histogram({1, 1}), std::invalid_argument);
  EXPECT_THROW(Histogram({2, 1}), std::invalid_argument);
  EXPECT_THROW(Histogram({1, INFINITY}), std::invalid_argument);
}

TEST(Histogram, ObservesFromManyThreads) {
  Histogram h({1});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&h] {
      for (int i = 0; i < 10000; ++i) h.observe(0.5);
    });
  }
  for (auto& t : threads) t.join();
  const auto s = h.snapshot();
  EXPECT_EQ(s.count, 40000u);
  EXPECT_EQ(s.counts[0], 40000u);
}

}  // namespace
}  // namespace xacbe::metrics
