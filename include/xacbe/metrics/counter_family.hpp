#pragma once
// A counter with labels, cheap on a hot path and bounded in memory: a short mutex around a map of
// label values to counts; a lookup allocates nothing, only the first sighting of a label set
// stores it. Label values may come from outside (a service id a caller named), so at most
// `max_series` label sets are kept: a further one is counted with its `overflow_label` set to
// "other" (its other labels kept), so the family holds at most max_series plus one series per
// distinct combination of the other labels.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "xacbe/metrics/exposition.hpp"

namespace xacbe::metrics {

class CounterFamily {
 public:
  inline static const std::string kOther = "other";

  // `overflow_label` indexes `label_names`; throws std::invalid_argument when it is out of range,
  // a name is invalid or max_series is 0.
  CounterFamily(std::vector<std::string> label_names, std::size_t max_series, std::size_t overflow_label);
  CounterFamily(const CounterFamily&) = delete;
  CounterFamily& operator=(const CounterFamily&) = delete;

  // Adds `n` to the series of `values` (one per label name, in order; a wrong count throws).
  void add(std::initializer_list<std::string_view> values, std::uint64_t n = 1);

  struct Series {
    std::vector<std::string> values;
    std::uint64_t count = 0;
  };
  // Every series, ordered by its values.
  std::vector<Series> snapshot() const;
  // The samples of every series, in the writer's current (counter) family, after `fixed` labels.
  void write(TextWriter& out, const Labels& fixed = {}) const;

 private:
  // Orders stored keys and looks them up by views, so that a lookup allocates nothing.
  struct Less {
    using is_transparent = void;
    template <class A, class B>
    bool operator()(const A& a, const B& b) const {
      return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(),
                                          [](std::string_view x, std::string_view y) { return x < y; });
    }
  };

  const std::vector<std::string> label_names_;
  const std::size_t max_series_;
  const std::size_t overflow_label_;
  mutable std::mutex mu_;
  std::map<std::vector<std::string>, std::uint64_t, Less> counts_;  // guarded by mu_
  std::size_t bounded_series_ = 0;  // guarded by mu_: series not created by overflow
};

}  // namespace xacbe::metrics
