#include "xacbe/config/config.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <limits>
#include <ostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/temp_dir.hpp"
#include "xacbe/file.hpp"

namespace xacbe::config {
namespace {

constexpr std::int64_t kMin64 = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t kMax64 = std::numeric_limits<std::int64_t>::max();

Node parse(const std::string& text) {
  auto node = Node::parse(text, "test.json", "/etc/xacbe");
  EXPECT_TRUE(node) << node.status().to_string();
  if (!node) throw std::runtime_error(node.status().to_string());
  return std::move(node).value();
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

TEST(ConfigTest, ReadsEveryValueType) {
  const Node root = parse(R"({
    "name": "tsa-1", "port": 8080, "enabled": true,
    "roots": ["a.pem", "b.pem"],
    "tls": {"port": 8443, "require_client_cert": false}
  })");
  EXPECT_EQ(root.string("name").value(), "tsa-1");
  EXPECT_EQ(root.integer("port", 1, 65535).value(), 8080);
  EXPECT_TRUE(root.boolean("enabled").value());
  EXPECT_EQ(root.strings("roots").value(), (std::vector<std::string>{"a.pem", "b.pem"}));
  auto tls = root.object("tls");
  ASSERT_TRUE(tls) << tls.status().to_string();
  EXPECT_EQ(tls->integer("port", 1, 65535).value(), 8443);
  EXPECT_FALSE(tls->boolean("require_client_cert").value());
  EXPECT_TRUE(root.has("tls"));
  EXPECT_FALSE(root.has("absent"));
  EXPECT_TRUE(root.check_all_used().is_ok());
}

TEST(ConfigTest, EmptyListIsAList) {
  const Node root = parse(R"({"roots": []})");
  auto roots = root.strings("roots");
  ASSERT_TRUE(roots);
  EXPECT_TRUE(roots->empty());
}

struct SyntaxCase {
  const char* what;
  std::string text;
  const char* location;  // as nlohmann reports it
};

void PrintTo(const SyntaxCase& c, std::ostream* os) {
  *os << c.what;
}

class ConfigSyntaxTest : public ::testing::TestWithParam<SyntaxCase> {};

TEST_P(ConfigSyntaxTest, ParseErrorNamesFileAndLine) {
  auto node = Node::parse(GetParam().text, "/etc/xacbe/tsa.json", "/etc/xacbe");
  ASSERT_FALSE(node) << GetParam().what << " accepted";
  EXPECT_EQ(node.status().code(), Code::kInvalidArgument);
  EXPECT_TRUE(contains(node.status().message(), "/etc/xacbe/tsa.json")) << node.status().message();
  EXPECT_TRUE(contains(node.status().message(), GetParam().location)) << node.status().message();
}

INSTANTIATE_TEST_SUITE_P(BadJson, ConfigSyntaxTest,
                         ::testing::Values(SyntaxCase{"missing comma", "{\n  \"a\": 1\n  \"b\": 2\n}", "line 3"},
                                           SyntaxCase{"trailing comma", "{\n\"a\": 1,\n}", "line 3"},
                                           SyntaxCase{"comment", "{\n// no comments in JSON\n\"a\": 1}", "line 2"},
                                           SyntaxCase{"single quotes", "{'a': 1}", "line 1"},
                                           SyntaxCase{"unterminated", "{\"a\": ", "line 1"},
                                           SyntaxCase{"empty file", "", "line 1"}));

TEST(ConfigTest, TopLevelMustBeAnObject) {
  for (const char* text : {"[]", "42", "\"text\"", "null"}) {
    auto node = Node::parse(text, "test.json", ".");
    ASSERT_FALSE(node) << text;
    EXPECT_TRUE(contains(node.status().message(), "test.json")) << node.status().message();
  }
}

TEST(ConfigTest, RefusesDuplicateKeys) {
  // A repeated key silently overriding the first is as dangerous as a misspelt one.
  auto top = Node::parse("{\"port\": 80,\n \"port\": 8080}", "test.json", ".");
  ASSERT_FALSE(top);
  EXPECT_TRUE(contains(top.status().message(), "test.json: repeated key 'port'")) << top.status().message();
  auto nested = Node::parse(R"({"tls": {"key": "a", "key": "b"}})", "test.json", ".");
  ASSERT_FALSE(nested);
  EXPECT_TRUE(contains(nested.status().message(), "'tls.key'")) << nested.status().message();
  // The same key in sibling objects is not a duplicate.
  EXPECT_TRUE(Node::parse(R"({"a": {"port": 1}, "b": {"port": 2}, "c": [{"x": 1}, {"x": 2}]})", "test.json", "."));
}

struct WrongTypeCase {
  const char* what;
  std::string json_value;
  std::function<Status(const Node&)> read;
  const char* expected;  // part of the message
};

void PrintTo(const WrongTypeCase& c, std::ostream* os) {
  *os << c.what;
}

class ConfigWrongTypeTest : public ::testing::TestWithParam<WrongTypeCase> {};

TEST_P(ConfigWrongTypeTest, RefusesValueOfWrongTypeNamingFileAndKey) {
  const Node root = parse("{\"outer\": {\"key\": " + GetParam().json_value + "}}");
  auto outer = root.object("outer");
  ASSERT_TRUE(outer);
  const Status st = GetParam().read(*outer);
  ASSERT_FALSE(st.is_ok()) << GetParam().what << " accepted";
  EXPECT_EQ(st.code(), Code::kInvalidArgument);
  EXPECT_TRUE(contains(st.message(), "test.json: 'outer.key'")) << st.message();
  EXPECT_TRUE(contains(st.message(), GetParam().expected)) << st.message();
}

Status read_string(const Node& n) {
  return n.string("key").status();
}
Status read_integer(const Node& n) {
  return n.integer("key", 0, 100).status();
}
Status read_boolean(const Node& n) {
  return n.boolean("key").status();
}
Status read_strings(const Node& n) {
  return n.strings("key").status();
}
Status read_object(const Node& n) {
  return n.object("key").status();
}
Status read_path(const Node& n) {
  return n.path("key").status();
}

INSTANTIATE_TEST_SUITE_P(
    WrongTypes, ConfigWrongTypeTest,
    ::testing::Values(WrongTypeCase{"number for string", "5", read_string, "must be a string"},
                      WrongTypeCase{"null for string", "null", read_string, "must be a string"},
                      WrongTypeCase{"string for integer", "\"5\"", read_integer, "must be an integer"},
                      WrongTypeCase{"float for integer", "5.5", read_integer, "must be an integer"},
                      WrongTypeCase{"whole float for integer", "5.0", read_integer, "must be an integer"},
                      WrongTypeCase{"exponent for integer", "1e1", read_integer, "must be an integer"},
                      WrongTypeCase{"bool for integer", "true", read_integer, "must be an integer"},
                      WrongTypeCase{"string for bool", "\"true\"", read_boolean, "must be true or false"},
                      WrongTypeCase{"number for bool", "1", read_boolean, "must be true or false"},
                      WrongTypeCase{"string for list", "\"a.pem\"", read_strings, "must be a list of strings"},
                      WrongTypeCase{"mixed list", "[\"a\", 1]", read_strings, "must be a list of strings"},
                      WrongTypeCase{"list of lists", "[[\"a\"]]", read_strings, "must be a list of strings"},
                      WrongTypeCase{"list for object", "[]", read_object, "must be an object"},
                      WrongTypeCase{"number for path", "1", read_path, "must be a string"},
                      WrongTypeCase{"empty path", "\"\"", read_path, "must not be empty"}));

TEST(ConfigTest, MissingKeyIsRequiredAndNamesTheDottedKey) {
  const Node root = parse(R"({"tls": {}})");
  auto tls = root.object("tls");
  ASSERT_TRUE(tls);
  const Status st = tls->string("certificate").status();
  ASSERT_FALSE(st.is_ok());
  EXPECT_TRUE(contains(st.message(), "test.json: 'tls.certificate' is required")) << st.message();
  EXPECT_FALSE(root.integer("port", 0, 1).is_ok());
  EXPECT_FALSE(root.boolean("flag").is_ok());
  EXPECT_FALSE(root.strings("list").is_ok());
  EXPECT_FALSE(root.object("obj").is_ok());
}

struct RangeCase {
  std::string json_value;
  std::int64_t min;
  std::int64_t max;
  bool accepted;
};

void PrintTo(const RangeCase& c, std::ostream* os) {
  *os << c.json_value << " in " << c.min << ".." << c.max;
}

class ConfigIntegerRangeTest : public ::testing::TestWithParam<RangeCase> {};

TEST_P(ConfigIntegerRangeTest, EnforcesInclusiveRange) {
  const auto& c = GetParam();
  const Node root = parse("{\"n\": " + c.json_value + "}");
  auto n = root.integer("n", c.min, c.max);
  if (c.accepted) {
    ASSERT_TRUE(n) << n.status().to_string();
    EXPECT_EQ(std::to_string(*n), c.json_value);
  } else {
    ASSERT_FALSE(n) << "accepted as " << *n;
    EXPECT_TRUE(contains(n.status().message(), std::to_string(c.min) + ".." + std::to_string(c.max)))
        << n.status().message();
  }
}

INSTANTIATE_TEST_SUITE_P(Ranges, ConfigIntegerRangeTest,
                         ::testing::Values(RangeCase{"1", 1, 65535, true}, RangeCase{"65535", 1, 65535, true},
                                           RangeCase{"0", 1, 65535, false}, RangeCase{"65536", 1, 65535, false},
                                           RangeCase{"-1", 0, 10, false}, RangeCase{"-5", -10, -1, true},
                                           RangeCase{"9223372036854775807", 0, kMax64, true},
                                           RangeCase{"-9223372036854775808", kMin64, 0, true},
                                           // Unsigned values beyond int64 must not wrap into the range.
                                           RangeCase{"9223372036854775808", kMin64, kMax64, false},
                                           RangeCase{"18446744073709551615", -10, 10, false},
                                           RangeCase{"18446744073709551616", kMin64, kMax64, false}));

TEST(ConfigTest, CheckAllUsedNamesUnknownTopLevelKey) {
  const Node root = parse(R"({"port": 80, "prot": 81})");
  ASSERT_TRUE(root.integer("port", 1, 65535));
  const Status st = root.check_all_used();
  ASSERT_FALSE(st.is_ok());
  EXPECT_EQ(st.code(), Code::kInvalidArgument);
  EXPECT_TRUE(contains(st.message(), "test.json: unknown key 'prot'")) << st.message();
}

TEST(ConfigTest, CheckAllUsedNamesUnknownNestedKey) {
  const Node root = parse(R"({"tls": {"certificate": "c.pem", "certficate_chain": "x"}})");
  auto tls = root.object("tls");
  ASSERT_TRUE(tls);
  ASSERT_TRUE(tls->path("certificate"));
  const Status st = root.check_all_used();
  ASSERT_FALSE(st.is_ok());
  EXPECT_TRUE(contains(st.message(), "'tls.certficate_chain'")) << st.message();
  EXPECT_FALSE(tls->check_all_used().is_ok());
}

TEST(ConfigTest, CheckAllUsedRefusesObjectNeverRead) {
  const Node root = parse(R"({"port": 80, "legacy": {}})");
  ASSERT_TRUE(root.integer("port", 1, 65535));
  EXPECT_TRUE(contains(root.check_all_used().message(), "'legacy'"));
}

TEST(ConfigTest, HasDoesNotCountAsUse) {
  const Node root = parse(R"({"port": 80})");
  EXPECT_TRUE(root.has("port"));
  EXPECT_FALSE(root.check_all_used().is_ok());
}

TEST(ConfigTest, DefaultsApplyOnlyWhenKeyIsAbsent) {
  const Node root = parse(R"({"n": 5, "b": false, "s": "given", "bad_n": "x", "bad_b": 0, "bad_s": 1})");
  EXPECT_EQ(integer_or(root, "n", 9, 0, 10).value(), 5);
  EXPECT_EQ(integer_or(root, "absent_n", 9, 0, 10).value(), 9);
  EXPECT_FALSE(integer_or(root, "bad_n", 9, 0, 10));
  EXPECT_FALSE(integer_or(root, "n", 9, 6, 10)) << "a present value is still range-checked";
  EXPECT_FALSE(boolean_or(root, "b", true).value());
  EXPECT_TRUE(boolean_or(root, "absent_b", true).value());
  EXPECT_FALSE(boolean_or(root, "bad_b", true));
  EXPECT_EQ(string_or(root, "s", "fallback").value(), "given");
  EXPECT_EQ(string_or(root, "absent_s", "fallback").value(), "fallback");
  EXPECT_FALSE(string_or(root, "bad_s", "fallback"));
  EXPECT_TRUE(root.check_all_used().is_ok());
}

TEST(ConfigTest, PathResolvesRelativeToTheConfigFile) {
  testing::TempDir dir;
  const std::string file = dir.file("tsa.json");
  ASSERT_TRUE(write_file_atomic(file, R"({"key": "keys/tsa.pem", "abs": "/var/lib/xacbe/tsa.db"})").is_ok());
  auto root = Node::load(file);
  ASSERT_TRUE(root) << root.status().to_string();
  EXPECT_EQ(root->path("key").value(), dir.path() + "/keys/tsa.pem");
  EXPECT_EQ(root->path("abs").value(), "/var/lib/xacbe/tsa.db");
  EXPECT_EQ(root->string("key").value(), "keys/tsa.pem");
}

TEST(ConfigTest, PathInNestedObjectAlsoResolvesAgainstTheFile) {
  const Node root = parse(R"({"tls": {"key": "tls.key"}})");
  EXPECT_EQ(root.object("tls")->path("key").value(), "/etc/xacbe/tls.key");
}

TEST(ConfigTest, LoadErrorsNameTheFile) {
  testing::TempDir dir;
  const std::string missing = dir.file("missing.json");
  auto none = Node::load(missing);
  ASSERT_FALSE(none);
  EXPECT_TRUE(contains(none.status().message(), missing));
  const std::string broken = dir.file("broken.json");
  ASSERT_TRUE(write_file_atomic(broken, "{\n\"a\": 1,\n\"b\": }\n").is_ok());
  auto bad = Node::load(broken);
  ASSERT_FALSE(bad);
  EXPECT_TRUE(contains(bad.status().message(), broken)) << bad.status().message();
  EXPECT_TRUE(contains(bad.status().message(), "line 3")) << bad.status().message();
}

}  // namespace
}  // namespace xacbe::config
