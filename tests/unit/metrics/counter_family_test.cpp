#include "xacbe/metrics/counter_family.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace xacbe::metrics {
namespace {

TEST(CounterFamily, CountsEachLabelSet) {
  CounterFamily f({"service", "result"}, 10, 0);
  f.add({"A/B/C/D/s", "ok"});
  f.add({"A/B/C/D/s", "ok"});
  f.add({"A/B/C/D/s", "ACCESS_DENIED"});
  const auto s = f.snapshot();
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].values, (std::vector<std::string>{"A/B/C/D/s", "ACCESS_DENIED"}));
  EXPECT_EQ(s[0].count, 1u);
  EXPECT_EQ(s[1].count, 2u);
}

TEST(CounterFamily, BoundsSeriesByCountingFurtherOnesAsOther) {
  CounterFamily f({"service", "result"}, 1000, 0);
  for (int i = 0; i < 5000; ++i) f.add({"hostile/" + std::to_string(i), i % 2 ? "ok" : "ACCESS_DENIED"});
  const auto s = f.snapshot();
  // 1,000 series as named, then one "other" per result.
  ASSERT_EQ(s.size(), 1002u);
  std::uint64_t other = 0, total = 0;
  for (const auto& series : s) {
    total += series.count;
    if (series.values[0] == CounterFamily::kOther) other += series.count;
  }
  EXPECT_EQ(total, 5000u);
  EXPECT_EQ(other, 4000u);
  // A series seen before the bound was reached keeps counting under its own name.
  f.add({"hostile/0", "ACCESS_DENIED"});
  EXPECT_EQ(f.snapshot().size(), 1002u);
}

TEST(CounterFamily, WritesSamplesAfterFixedLabels) {
  CounterFamily f({"service", "result"}, 10, 0);
  f.add({"Q/\"x\"", "ok"}, 3);
  TextWriter w;
  w.family("x_total", MetricType::kCounter, "X.");
  f.write(w, {{"side", "provider"}});
  EXPECT_EQ(w.text(), "# HELP x_total X.\n# TYPE x_total counter\nx_total{side=\"provider\",service=\"Q/\\\"x\\\"\",result=\"ok\"} 3\n");
}

TEST(CounterFamily, RefusesMisuse) {
  EXPECT_THROW(CounterFamily({"service"}, 0, 0), std::invalid_argument);
  EXPECT_THROW(CounterFamily({"service"}, 10, 1), std::invalid_argument);
  EXPECT_THROW(CounterFamily({"bad name"}, 10, 0), std::invalid_argument);
  CounterFamily f({"a", "b"}, 10, 0);
  EXPECT_THROW(f.add({"only one"}), std::invalid_argument);
}

TEST(CounterFamily, CountsFromManyThreads) {
  CounterFamily f({"service"}, 10, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&f] {
      for (int i = 0; i < 10000; ++i) f.add({"s"});
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_EQ(f.snapshot().size(), 1u);
  EXPECT_EQ(f.snapshot()[0].count, 40000u);
}

}  // namespace
}  // namespace xacbe::metrics
