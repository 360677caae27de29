#include "xacbe/metrics/counter_family.hpp"

#include <algorithm>
#include <stdexcept>

namespace xacbe::metrics {

CounterFamily::CounterFamily(std::vector<std::string> label_names, std::size_t max_series, std::size_t overflow_label)
    : label_names_(std::move(label_names)), max_series_(max_series), overflow_label_(overflow_label) {
  if (max_series_ == 0 || overflow_label_ >= label_names_.size()) {
    throw std::invalid_argument("metrics: a counter family needs a series bound and a label to overflow into");
  }
  for (const auto& name : label_names_) {
    if (!is_label_name(name)) throw std::invalid_argument("metrics: invalid label name");
  }
}

void CounterFamily::add(std::initializer_list<std::string_view> values, std::uint64_t n) {
  if (values.size() != label_names_.size()) throw std::invalid_argument("metrics: wrong number of label values");
  std::lock_guard lock(mu_);
  if (auto it = counts_.find(values); it != counts_.end()) {
    it->second += n;
    return;
  }
  std::vector<std::string> key(values.begin(), values.end());
  if (bounded_series_ >= max_series_) {
    key[overflow_label_] = kOther;
    counts_[std::move(key)] += n;  // at most one per combination of the other labels
    return;
  }
  ++bounded_series_;
  counts_.emplace(std::move(key), n);
}

std::vector<CounterFamily::Series> CounterFamily::snapshot() const {
  std::vector<Series> out;
  std::lock_guard lock(mu_);
  out.reserve(counts_.size());
  for (const auto& [values, count] : counts_) out.push_back({values, count});
  return out;
}

void CounterFamily::write(TextWriter& out, const Labels& fixed) const {
  for (const Series& s : snapshot()) {
    Labels labels = fixed;
    for (std::size_t i = 0; i < label_names_.size(); ++i) labels.push_back({label_names_[i], s.values[i]});
    out.sample(labels, static_cast<double>(s.count));
  }
}

}  // namespace xacbe::metrics
