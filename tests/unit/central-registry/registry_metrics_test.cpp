#include "registry_metrics.hpp"

#include <gtest/gtest.h>

#include <string>

#include "schema.hpp"
#include "support/temp_dir.hpp"
#include "xacbe/store/database.hpp"

namespace xacbe::registry {
namespace {

class RegistryMetricsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = store::Database::open(dir_.file("registry.db"));
    ASSERT_TRUE(db.is_ok()) << db.status().to_string();
    db_ = std::move(db).value();
    ASSERT_TRUE(migrate_schema(*db_).is_ok());
  }
  void exec(const std::string& sql) { ASSERT_TRUE(db_->exec(sql).is_ok()) << sql; }
  bool has(const std::string& text, const std::string& line) { return text.find(line) != std::string::npos; }

  testing::TempDir dir_;
  std::unique_ptr<store::Database> db_;
};

TEST_F(RegistryMetricsTest, CountsWhatTheTablesHold) {
  exec("INSERT INTO member (id, name, state, liaison_name, liaison_email, state_since) VALUES"
       " ('QROO/EST/FGE', 'FGE', 'active', 'a', 'a@x.mx', 0), ('QROO/EST/SSP', 'SSP', 'active', 'b', 'b@x.mx', 0),"
       " ('QROO/MUN/BJ', 'BJ', 'suspended', 'c', 'c@x.mx', 0)");
  exec("INSERT INTO audit (at, actor, action, target, success, detail) VALUES (0, 'ana', 'member.admit', 'x', 1, '')");
  exec("INSERT INTO globalconf_publication (version, created_at, expires_at, content_sha256, signed)"
       " VALUES (3, 1000, 9000, '', ''), (4, 1700, 9000, '', '')");
  const std::string text = registry_metrics_text(*db_, from_unix_seconds(2000));
  EXPECT_TRUE(has(text, "# TYPE xacbe_registry_members gauge\n")) << text;
  EXPECT_TRUE(has(text, "xacbe_registry_members{state=\"active\"} 2\n")) << text;
  EXPECT_TRUE(has(text, "xacbe_registry_members{state=\"suspended\"} 1\n")) << text;
  EXPECT_TRUE(has(text, "xacbe_registry_members{state=\"pending\"} 0\n")) << text;
  EXPECT_TRUE(has(text, "xacbe_registry_applications_pending 0\n")) << text;
  EXPECT_TRUE(has(text, "xacbe_registry_management_requests_pending 0\n")) << text;
  EXPECT_TRUE(has(text, "xacbe_registry_security_servers 0\n")) << text;
  EXPECT_TRUE(has(text, "xacbe_registry_audit_entries 1\n")) << text;
  EXPECT_TRUE(has(text, "xacbe_registry_global_configuration_version 4\n")) << text;
  EXPECT_TRUE(has(text, "xacbe_registry_global_configuration_age_seconds 300\n")) << text;
}

TEST_F(RegistryMetricsTest, LeavesOutWhatCannotBeRead) {
  // No outbox tables (the mailer makes them) and nothing published yet.
  const std::string text = registry_metrics_text(*db_, from_unix_seconds(2000));
  EXPECT_FALSE(has(text, "xacbe_registry_mail_outbox")) << text;
  EXPECT_FALSE(has(text, "xacbe_registry_global_configuration_version")) << text;
  EXPECT_TRUE(has(text, "xacbe_registry_members{state=\"active\"} 0\n")) << text;
}

}  // namespace
}  // namespace xacbe::registry
