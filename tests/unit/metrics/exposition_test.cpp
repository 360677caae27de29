#include "xacbe/metrics/exposition.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>
#include <string>

namespace xacbe::metrics {
namespace {

TEST(Exposition, WritesHelpTypeAndSamples) {
  TextWriter w;
  w.family("xacbe_things_total", MetricType::kCounter, "Things seen.");
  w.sample({{"side", "client"}, {"result", "ok"}}, 3);
  w.sample({}, 1.5);
  w.family("xacbe_age_seconds", MetricType::kGauge, "Age.");
  w.sample({}, 42);
  EXPECT_EQ(w.text(),
            "# HELP xacbe_things_total Things seen.\n"
            "# TYPE xacbe_things_total counter\n"
            "xacbe_things_total{side=\"client\",result=\"ok\"} 3\n"
            "xacbe_things_total 1.5\n"
            "# HELP xacbe_age_seconds Age.\n"
            "# TYPE xacbe_age_seconds gauge\n"
            "xacbe_age_seconds 42\n");
}

TEST(Exposition, EscapesLabelValuesAndHelp) {
  EXPECT_EQ(escape_label_value(R"(a"b\c)" "\nd"), R"(a\"b\\c\nd)");
  // A service id with quotes, backslashes, a line feed and invalid UTF-8 stays on its line.
  TextWriter w;
  w.family("m", MetricType::kGauge, "line one\nback\\slash \"quoted\"");
  w.sample({{"service", "Q/\"x\"\\y\nz\xff"}}, 1);
  EXPECT_EQ(w.text(),
            "# HELP m line one\\nback\\\\slash \"quoted\"\n"
            "# TYPE m gauge\n"
            "m{service=\"Q/\\\"x\\\"\\\\y\\nz\xEF\xBF\xBD\"} 1\n");
}

TEST(Exposition, ReplacesInvalidUtf8WithReplacementCharacter) {
  EXPECT_EQ(escape_label_value("caf\xe9"), "caf\xEF\xBF\xBD");
  EXPECT_EQ(escape_label_value("ni\xc3\xb1o"), "ni\xc3\xb1o");
  EXPECT_EQ(escape_label_value(std::string("a\0b", 3)), "a\xEF\xBF\xBD" "b");
}

TEST(Exposition, FormatsValues) {
  EXPECT_EQ(format_value(0), "0");
  EXPECT_EQ(format_value(-7), "-7");
  EXPECT_EQ(format_value(0.005), "0.005");
  EXPECT_EQ(format_value(1e300), "1e+300");
  EXPECT_EQ(format_value(INFINITY), "+Inf");
  EXPECT_EQ(format_value(-INFINITY), "-Inf");
  EXPECT_EQ(format_value(NAN), "NaN");
}

TEST(Exposition, ValidatesNames) {
  struct Row {
    const char* name;
    bool metric, label;
  };
  for (const Row& row : {Row{"xacbe_exchanges_total", true, true}, Row{"a:b", true, false}, Row{"_x", true, true},
                         Row{"__reserved", true, false}, Row{"9lives", false, false}, Row{"", false, false},
                         Row{"has-dash", false, false}, Row{"sp ace", false, false}}) {
    EXPECT_EQ(is_metric_name(row.name), row.metric) << row.name;
    EXPECT_EQ(is_label_name(row.name), row.label) << row.name;
  }
  TextWriter w;
  EXPECT_THROW(w.family("bad-name", MetricType::kGauge, ""), std::invalid_argument);
  EXPECT_THROW(w.sample({}, 1), std::invalid_argument);  // no family yet
  w.family("m", MetricType::kGauge, "");
  EXPECT_THROW(w.sample({{"bad label", "v"}}, 1), std::invalid_argument);
  EXPECT_THROW(w.family("m", MetricType::kGauge, ""), std::invalid_argument);  // twice
}

TEST(Exposition, WritesCumulativeHistogramBuckets) {
  TextWriter w;
  w.family("d_seconds", MetricType::kHistogram, "Durations.");
  w.histogram({{"side", "client"}}, HistogramSnapshot{{0.1, 1}, {2, 1, 3}, 9.25, 6});
  EXPECT_EQ(w.text(),
            "# HELP d_seconds Durations.\n"
            "# TYPE d_seconds histogram\n"
            "d_seconds_bucket{side=\"client\",le=\"0.1\"} 2\n"
            "d_seconds_bucket{side=\"client\",le=\"1\"} 3\n"
            "d_seconds_bucket{side=\"client\",le=\"+Inf\"} 6\n"
            "d_seconds_sum{side=\"client\"} 9.25\n"
            "d_seconds_count{side=\"client\"} 6\n");
  EXPECT_THROW(w.histogram({{"le", "x"}}, HistogramSnapshot{{1}, {0, 0}, 0, 0}), std::invalid_argument);
  EXPECT_THROW(w.sample({}, 1), std::invalid_argument);  // a plain sample in a histogram family
}

}  // namespace
}  // namespace xacbe::metrics
