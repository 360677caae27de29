#pragma once
// The Prometheus text exposition format, version 0.0.4
// (https://prometheus.io/docs/instrumenting/exposition_formats/): "# HELP" and "# TYPE" lines, then
// one line per sample, `name{label="value",...} value`. A label value is escaped (backslash,
// double quote, line feed) and, when it is not well-formed UTF-8, its bad bytes are replaced by
// U+FFFD (utf8.hpp), so text from outside (a service id a caller sent) cannot break a line or
// the format. Names are ours: an invalid metric or label name, a family written twice or a sample
// outside its family is a programming error and throws std::invalid_argument.

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace xacbe::metrics {

// What a scrape's answer carries as its Content-Type.
inline constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";

enum class MetricType { kCounter, kGauge, kHistogram };

struct Label {
  std::string_view name;
  std::string_view value;
};
using Labels = std::vector<Label>;

// A histogram's state at one instant: `counts[i]` observations fell in (bounds[i-1], bounds[i]],
// the last one (counts.size() == bounds.size() + 1) above the last bound.
struct HistogramSnapshot {
  std::vector<double> bounds;
  std::vector<std::uint64_t> counts;
  double sum = 0;
  std::uint64_t count = 0;
};

// [a-zA-Z_:][a-zA-Z0-9_:]*
bool is_metric_name(std::string_view name);
// [a-zA-Z_][a-zA-Z0-9_]*, not starting with "__" (reserved for Prometheus itself).
bool is_label_name(std::string_view name);
// A label value as written between the quotes: valid UTF-8, with \\, \" and \n escaped.
std::string escape_label_value(std::string_view value);
// A sample value: integers exactly (up to 2^53), other numbers in their shortest round-trip form,
// "+Inf", "-Inf" and "NaN".
std::string format_value(double value);

class TextWriter {
 public:
  // Starts a family: its HELP (backslash and line feed escaped) and TYPE lines.
  void family(std::string_view name, MetricType type, std::string_view help);
  // One sample of the current counter or gauge family.
  void sample(const Labels& labels, double value);
  // The `_bucket` samples (cumulative, `le` ending with "+Inf"), `_sum` and `_count` of the
  // current histogram family, under `labels`.
  void histogram(const Labels& labels, const HistogramSnapshot& h);

  const std::string& text() const { return out_; }

 private:
  void write_sample(std::string_view suffix, const Labels& labels, const Label* extra, double value);

  std::string out_;
  std::string family_;  // the current family's name; empty before the first
  MetricType type_ = MetricType::kGauge;
  std::set<std::string, std::less<>> written_;  // families already written
};

}  // namespace xacbe::metrics
