#include "xacbe/log/log.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "support/temp_dir.hpp"
#include "xacbe/file.hpp"

namespace xacbe::log {
namespace {

class LogTest : public ::testing::Test {
 protected:
  void TearDown() override { init(LogOptions{}); }  // back to standard error for the next test

  // Re-initialising replaces (and so flushes and closes) the file logger.
  std::vector<std::string> lines() {
    init(LogOptions{});
    auto content = read_file(path_);
    EXPECT_TRUE(content) << content.status().to_string();
    std::vector<std::string> out;
    std::istringstream in(content ? *content : std::string());
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
  }

  testing::TempDir dir_;
  std::string path_ = dir_.file("xacbe.log");
};

TEST_F(LogTest, JsonLinesCarryComponentLevelAndMessage) {
  init({.component = "tsa", .level = Level::kInfo, .json = true, .file = path_});
  info("issued token {}", 42);
  warn("clock offset {} ms", 7);
  const auto written = lines();
  ASSERT_EQ(written.size(), 2u);
  const auto first = nlohmann::json::parse(written[0]);
  EXPECT_EQ(first.at("component"), "tsa");
  EXPECT_EQ(first.at("level"), "info");
  EXPECT_EQ(first.at("msg"), "issued token 42");
  EXPECT_TRUE(first.contains("time"));
  const auto second = nlohmann::json::parse(written[1]);
  EXPECT_EQ(second.at("level"), "warning");
  EXPECT_EQ(second.at("msg"), "clock offset 7 ms");
}

TEST_F(LogTest, JsonEscapesQuotesBackslashesAndControlCharacters) {
  init({.component = "ocsp", .level = Level::kDebug, .json = true, .file = path_});
  const std::string nasty = "say \"hi\"\\ then\nnew line\tand \x01 bell";
  error("{}", nasty);
  const auto written = lines();
  ASSERT_EQ(written.size(), 1u) << "a newline in a message must not split the line";
  const auto parsed = nlohmann::json::parse(written[0]);
  EXPECT_EQ(parsed.at("msg"), nasty);
  EXPECT_EQ(parsed.at("level"), "error");
}

TEST_F(LogTest, JsonLinesStayValidJsonWhateverTheMessageOrComponentHolds) {
  init({.component = "reg\"istry%n", .level = Level::kDebug, .json = true, .file = path_});
  error("bad byte {} and {}", std::string("A\xFF" "B"), std::string("\xC0\xAF"));
  const auto written = lines();
  ASSERT_EQ(written.size(), 1u);
  ASSERT_TRUE(nlohmann::json::accept(written[0])) << written[0];
  const auto parsed = nlohmann::json::parse(written[0]);
  EXPECT_EQ(parsed.at("component"), "reg\"istry%n");
  EXPECT_EQ(parsed.at("msg"), "bad byte A\xEF\xBF\xBD" "B and \xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST_F(LogTest, TextLinesCannotBeForgedByAQuotedNewline) {
  init({.component = "registry", .level = Level::kDebug, .json = false, .file = path_});
  info("refused path {}", std::string("/x\n2026-01-01T00:00:00Z error registry: forged\xFF"));
  const auto written = lines();
  ASSERT_EQ(written.size(), 1u) << "a newline in a message must not start a line";
  EXPECT_NE(written[0].find("/x\\x0a2026"), std::string::npos) << written[0];
  EXPECT_NE(written[0].find("forged\xEF\xBF\xBD"), std::string::npos) << written[0];
}

TEST_F(LogTest, MessagesBelowTheLevelAreDropped) {
  init({.component = "ca", .level = Level::kWarn, .json = true, .file = path_});
  EXPECT_FALSE(enabled(Level::kDebug));
  EXPECT_FALSE(enabled(Level::kInfo));
  EXPECT_TRUE(enabled(Level::kWarn));
  EXPECT_TRUE(enabled(Level::kError));
  debug("hidden debug");
  info("hidden info");
  error("shown");
  const auto written = lines();
  ASSERT_EQ(written.size(), 1u);
  EXPECT_EQ(nlohmann::json::parse(written[0]).at("msg"), "shown");
}

TEST_F(LogTest, TextLinesNameComponentAndLevel) {
  init({.component = "tsa", .level = Level::kDebug, .json = false, .file = path_});
  debug("starting on port {}", 3180);
  const auto written = lines();
  ASSERT_EQ(written.size(), 1u);
  EXPECT_NE(written[0].find("debug tsa: starting on port 3180"), std::string::npos) << written[0];
}

TEST(LogLevelTest, ParsesLevelNames) {
  const std::pair<const char*, Level> cases[] = {
      {"debug", Level::kDebug}, {"info", Level::kInfo}, {"warn", Level::kWarn}, {"error", Level::kError}};
  for (const auto& [name, expected] : cases) {
    Level level = Level::kInfo;
    ASSERT_TRUE(parse_level(name, level)) << name;
    EXPECT_EQ(level, expected) << name;
  }
  for (const char* bad : {"", "DEBUG", "warning", "trace", "fatal"}) {
    Level level = Level::kError;
    EXPECT_FALSE(parse_level(bad, level)) << bad;
    EXPECT_EQ(level, Level::kError) << "refused name changed the output";
  }
}

TEST(BoundedTest, KeepsPrintableAsciiEscapesTheRestAndCutsLongText) {
  const struct {
    std::string in;
    std::size_t max;
    std::string out;
  } cases[] = {
      {"/api/v1/members", 200, "/api/v1/members"},
      {std::string("A\xff") + '\0' + "B", 200, "A\\xff\\x00B"},
      {"line\nbreak", 200, "line\\x0abreak"},
      {"back\\slash", 200, "back\\x5cslash"},
      {std::string(300, 'a'), 4, "aaaa...(300 bytes)"},
      {"", 10, ""},
  };
  for (const auto& c : cases) EXPECT_EQ(bounded(c.in, c.max), c.out) << c.in.size();
}

}  // namespace
}  // namespace xacbe::log
