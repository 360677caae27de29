// The security server's "usage_report" section (usage/usage_report_settings.hpp,
// docs/operator-guide.md): defaults, paths relative to the file, and each bad value refused.
#include "usage/usage_report_settings.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "xacbe/config/config.hpp"

namespace xacbe::ss {
namespace {

Result<std::optional<UsageReportSettings>> read(const std::string& section, config::Node* keep = nullptr) {
  auto root = config::Node::parse(R"({"security_server": {)" + section + "}}", "ss.json", "/etc/xacbe");
  if (!root) return root.status();
  XACBE_ASSIGN_OR_RETURN(config::Node node, root->object("security_server"));
  if (keep != nullptr) *keep = *root;
  return read_usage_report_settings(node, "/var/lib/xacbe/register.db");
}

TEST(UsageReportSettingsTest, AbsentSectionReportsNothing) {
  auto s = read("");
  ASSERT_TRUE(s.is_ok()) << s.status().to_string();
  EXPECT_FALSE(s->has_value());
}

TEST(UsageReportSettingsTest, ReadsTheSectionWithItsDefaults) {
  auto s = read(R"("usage_report": {"registry_url": "http://127.0.0.1:8880"})");
  ASSERT_TRUE(s.is_ok()) << s.status().to_string();
  ASSERT_TRUE(s->has_value());
  EXPECT_EQ((*s)->registry_url, "http://127.0.0.1:8880");
  EXPECT_EQ((*s)->interval, std::chrono::seconds(3600));
  EXPECT_FALSE((*s)->at_start);
  EXPECT_EQ((*s)->state_file, "/var/lib/xacbe/usage-report.json");

  auto full = read(R"("usage_report": {"registry_url": "https://registry.ceiqroo.example:4400", "ca_file": "root.pem",
                       "interval_seconds": 600, "report_at_start": true, "state_file": "state/usage.json"})");
  ASSERT_TRUE(full.is_ok()) << full.status().to_string();
  EXPECT_EQ((*full)->ca_file, "/etc/xacbe/root.pem");
  EXPECT_EQ((*full)->interval, std::chrono::seconds(600));
  EXPECT_TRUE((*full)->at_start);
  EXPECT_EQ((*full)->state_file, "/etc/xacbe/state/usage.json");
}

TEST(UsageReportSettingsTest, RefusesEachBadValue) {
  const std::vector<std::pair<const char*, std::string>> rows = {
      {"not an object", R"("usage_report": 1)"},
      {"no registry_url", R"("usage_report": {})"},
      {"registry_url not a URL", R"("usage_report": {"registry_url": "registry:8880"})"},
      {"https without ca_file", R"("usage_report": {"registry_url": "https://registry.example:4400"})"},
      {"interval zero", R"("usage_report": {"registry_url": "http://r:1", "interval_seconds": 0})"},
      {"interval over a day", R"("usage_report": {"registry_url": "http://r:1", "interval_seconds": 86401})"},
      {"report_at_start not a bool", R"("usage_report": {"registry_url": "http://r:1", "report_at_start": "yes"})"},
      {"empty state_file", R"("usage_report": {"registry_url": "http://r:1", "state_file": ""})"},
  };
  for (const auto& [name, section] : rows) {
    EXPECT_FALSE(read(section).is_ok()) << name;
  }
  // An unknown key is left unread, which the whole file's check refuses.
  config::Node root = config::Node::parse("{}", "x", ".").value();
  auto read_ok = read(R"("usage_report": {"registry_url": "http://r:1", "intervall_seconds": 60})", &root);
  ASSERT_TRUE(read_ok.is_ok());
  EXPECT_FALSE(root.check_all_used().is_ok());
}

}  // namespace
}  // namespace xacbe::ss
