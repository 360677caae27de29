#include "xacbe/metrics/exposition.hpp"

#include <charconv>
#include <cmath>
#include <stdexcept>

#include "xacbe/utf8.hpp"

namespace xacbe::metrics {
namespace {

bool is_name_char(char c, bool first, bool colon) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_') return true;
  if (colon && c == ':') return true;
  return !first && c >= '0' && c <= '9';
}

bool is_name(std::string_view name, bool colon) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (!is_name_char(name[i], i == 0, colon)) return false;
  }
  return true;
}

const char* type_name(MetricType type) {
  switch (type) {
    case MetricType::kCounter: return "counter";
    case MetricType::kHistogram: return "histogram";
    case MetricType::kGauge: break;
  }
  return "gauge";
}

void fail(std::string message) { throw std::invalid_argument("metrics: " + message); }

}  // namespace

bool is_metric_name(std::string_view name) { return is_name(name, true); }

bool is_label_name(std::string_view name) { return is_name(name, false) && name.substr(0, 2) != "__"; }

std::string escape_label_value(std::string_view value) {
  const std::string text = valid_utf8(value);
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    if (c == '\\') {
      out.append("\\\\");
    } else if (c == '"') {
      out.append("\\\"");
    } else if (c == '\n') {
      out.append("\\n");
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string format_value(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  constexpr double kExact = 9007199254740992.0;  // 2^53
  if (value == std::trunc(value) && std::fabs(value) <= kExact) {
    return std::to_string(static_cast<std::int64_t>(value));
  }
  char buffer[64];
  const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  if (ec != std::errc()) return "NaN";
  return std::string(buffer, end);
}

void TextWriter::family(std::string_view name, MetricType type, std::string_view help) {
  if (!is_metric_name(name)) fail("invalid metric name");
  if (written_.find(name) != written_.end()) fail("family written twice: " + std::string(name));
  written_.emplace(name);
  family_ = name;
  type_ = type;
  out_.append("# HELP ").append(name).push_back(' ');
  for (const char c : help) {
    if (c == '\\') {
      out_.append("\\\\");
    } else if (c == '\n') {
      out_.append("\\n");
    } else {
      out_.push_back(c);
    }
  }
  out_.append("\n# TYPE ").append(name).push_back(' ');
  out_.append(type_name(type)).push_back('\n');
}

void TextWriter::sample(const Labels& labels, double value) {
  if (family_.empty() || type_ == MetricType::kHistogram) fail("a sample outside a counter or gauge family");
  write_sample("", labels, nullptr, value);
}

void TextWriter::histogram(const Labels& labels, const HistogramSnapshot& h) {
  if (family_.empty() || type_ != MetricType::kHistogram) fail("a histogram outside a histogram family");
  if (h.counts.size() != h.bounds.size() + 1) fail("a histogram's counts do not match its bounds");
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < h.counts.size(); ++i) {
    cumulative += h.counts[i];
    const std::string le = i < h.bounds.size() ? format_value(h.bounds[i]) : std::string("+Inf");
    const Label bound{"le", le};
    write_sample("_bucket", labels, &bound, static_cast<double>(cumulative));
  }
  write_sample("_sum", labels, nullptr, h.sum);
  write_sample("_count", labels, nullptr, static_cast<double>(h.count));
}

void TextWriter::write_sample(std::string_view suffix, const Labels& labels, const Label* extra, double value) {
  out_.append(family_).append(suffix);
  if (!labels.empty() || extra) {
    out_.push_back('{');
    bool first = true;
    auto write_label = [&](const Label& label) {
      if (!is_label_name(label.name)) fail("invalid label name");
      if (type_ == MetricType::kHistogram && &label != extra && label.name == "le") fail("'le' is reserved in a histogram");
      if (!first) out_.push_back(',');
      first = false;
      out_.append(label.name).append("=\"").append(escape_label_value(label.value)).push_back('"');
    };
    for (const Label& label : labels) write_label(label);
    if (extra) write_label(*extra);
    out_.push_back('}');
  }
  out_.push_back(' ');
  out_.append(format_value(value)).push_back('\n');
}

}  // namespace xacbe::metrics
