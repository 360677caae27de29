#include "settings.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "support/temp_dir.hpp"
#include "support/test_pki.hpp"

namespace xacbe::ss {
namespace {

using Json = nlohmann::json;

Json example() {
  std::ifstream in(std::string(XACBE_SOURCE_DIR) + "/conf/security-server.json");
  return Json::parse(in);
}

class SettingsTest : public ::testing::Test {
 protected:
  Result<Settings> read(const Json& config) {
    const std::string path = dir_.file("security-server.json");
    std::ofstream(path) << config.dump(2);
    return read_settings(path);
  }
  testing::TempDir dir_;
};

// The example the operator guide points to is a configuration the server accepts.
TEST_F(SettingsTest, TheExampleConfigurationIsAccepted) {
  auto s = read(example());
  ASSERT_TRUE(s.is_ok()) << s.status().to_string();
  EXPECT_EQ(s->id.to_string(), "QROO/EST/SSP/SS1");
  EXPECT_EQ(s->provider_port, 5500);
  EXPECT_EQ(s->body_limit, 10u * 1024 * 1024);
  ASSERT_EQ(s->clients.size(), 2u);
  const auto& plataforma = s->clients.at(*id::ClientId::parse("QROO/EST/SSP/PLATAFORMA"));
  EXPECT_EQ(plataforma.connection, ConnectionMode::kHttpsCertificate);
  EXPECT_FALSE(plataforma.log_body);
  EXPECT_TRUE(plataforma.timestamp_at_once);
  ASSERT_EQ(s->services.size(), 1u);
  EXPECT_EQ(s->services[0].endpoints.size(), 3u);
  EXPECT_EQ(s->services[0].description_url, "http://10.20.1.30:9000/api/openapi.json");
  EXPECT_EQ(s->rights.size(), 3u);
  ASSERT_EQ(s->register_readers.size(), 1u);
  EXPECT_EQ(s->register_readers.at("luis"), std::vector<id::MemberId>{*id::MemberId::parse("QROO/EST/SSP")});
  // Paths are relative to the file's folder.
  EXPECT_EQ(s->register_file, dir_.file("register.db"));
}

TEST_F(SettingsTest, AnAccessRightMayNameTheRepresentedParty) {
  Json c = example();
  c["security_server"]["services"]["QROO/EST/SSP/PLATAFORMA/x"] = {
      {"url", "http://127.0.0.1:1/"},
      {"access", {"QROO/EST/FGE/SIS for QROO/MUN/BJ", "QROO/EST/FGE/SIS GET /a/* for *", "group:g"}}};
  auto s = read(c);
  ASSERT_TRUE(s.is_ok()) << s.status().to_string();
  std::vector<AccessRight> added;
  for (const auto& r : s->rights) {
    if (r.service.to_string() == "QROO/EST/SSP/PLATAFORMA/x") added.push_back(r);
  }
  ASSERT_EQ(added.size(), 3u);
  EXPECT_EQ(added[0].subject, "QROO/EST/FGE/SIS");
  EXPECT_FALSE(added[0].endpoint.has_value());
  EXPECT_EQ(added[0].represented_party, "QROO/MUN/BJ");
  EXPECT_EQ(added[1].subject, "QROO/EST/FGE/SIS");
  ASSERT_TRUE(added[1].endpoint.has_value());
  EXPECT_EQ(to_string(*added[1].endpoint), "GET /a/*");
  EXPECT_EQ(added[1].represented_party, "*");
  EXPECT_EQ(added[2].represented_party, "");

  for (const std::string bad : {"QROO/EST/FGE/SIS for BJ", "QROO/EST/FGE/SIS for ", "QROO/EST/FGE/SIS GET /a for QROO/MUN/BJ/SIS"}) {
    c["security_server"]["services"]["QROO/EST/SSP/PLATAFORMA/x"]["access"] = {bad};
    EXPECT_FALSE(read(c).is_ok()) << bad;
  }
}

TEST_F(SettingsTest, AServiceIsRestUnlessItSaysSoap) {
  Json c = example();
  c["security_server"]["services"]["QROO/EST/SSP/SIS/x"] = {{"url", "http://127.0.0.1:1/"}, {"protocol", "soap"}};
  auto s = read(c);
  ASSERT_TRUE(s.is_ok()) << s.status().to_string();
  ASSERT_EQ(s->services.size(), 2u);
  for (const auto& d : s->services) {
    EXPECT_EQ(d.protocol, d.service.to_string() == "QROO/EST/SSP/SIS/x" ? ServiceProtocol::kSoap : ServiceProtocol::kRest);
  }
}

TEST_F(SettingsTest, RefusesEachBadConfigurationNamingTheKey) {
  struct Row {
    std::string name;
    std::function<void(Json&)> spoil;
    std::string says;
  };
  const std::vector<Row> rows = {
      {"bad server id", [](Json& c) { c["security_server"]["id"] = "QROO/EST/SSP"; }, "security_server.id"},
      {"bad client id", [](Json& c) { c["security_server"]["clients"]["QROO/est/X"] = {{"connection", "http"}}; },
       "security_server.clients"},
      {"bad connection mode",
       [](Json& c) { c["security_server"]["clients"]["QROO/EST/SSP/SIS"]["connection"] = "ftp"; }, "connection"},
      {"certificate mode without certificates",
       [](Json& c) { c["security_server"]["clients"]["QROO/EST/SSP/SIS"] = {{"connection", "https-certificate"}}; },
       "certificate"},
      {"a shared server with a plain client",
       [](Json& c) { c["security_server"]["clients"]["QROO/MUN/BJ/SIS"] = {{"connection", "https"}}; },
       "requires https-certificate"},
      {"a service of a subsystem that is not a client",
       [](Json& c) {
         c["security_server"]["services"]["QROO/EST/FGE/SIS/x"] = {{"url", "http://127.0.0.1:1/"}};
       },
       "not a client of this server"},
      {"an https service URL",
       [](Json& c) {
         c["security_server"]["services"]["QROO/EST/SSP/SIS/x"] = {{"url", "https://127.0.0.1:1/"}};
       },
       "http://"},
      {"an https description URL",
       [](Json& c) {
         c["security_server"]["services"]["QROO/EST/SSP/SIS/x"] = {{"url", "http://127.0.0.1:1/"},
                                                                   {"description_url", "https://127.0.0.1:1/o.json"}};
       },
       "description URLs"},
      {"a description URL that is not a string",
       [](Json& c) {
         c["security_server"]["services"]["QROO/EST/SSP/SIS/x"] = {{"url", "http://127.0.0.1:1/"}, {"description_url", 5}};
       },
       "description_url"},
      {"a service taking a metaservice's code",
       [](Json& c) { c["security_server"]["services"]["QROO/EST/SSP/SIS/listMethods"] = {{"url", "http://127.0.0.1:1/"}}; },
       "reserved for a metaservice"},
      {"an access right with a bad endpoint",
       [](Json& c) {
         c["security_server"]["services"]["QROO/EST/SSP/SIS/x"] = {{"url", "http://127.0.0.1:1/"},
                                                                   {"access", {"QROO/EST/FGE/SIS TRACE /x"}}};
       },
       "endpoint method"},
      {"a service protocol that is neither rest nor soap",
       [](Json& c) {
         c["security_server"]["services"]["QROO/EST/SSP/SIS/x"] = {{"url", "http://127.0.0.1:1/"}, {"protocol", "SOAP"}};
       },
       "protocol"},
      {"a SOAP service with endpoints",
       [](Json& c) {
         c["security_server"]["services"]["QROO/EST/SSP/SIS/x"] = {
             {"url", "http://127.0.0.1:1/"}, {"protocol", "soap"}, {"endpoints", {"POST /x"}}};
       },
       "no endpoints"},
      {"a minimum level that is no level code",
       [](Json& c) {
         c["security_server"]["services"]["QROO/EST/SSP/SIS/x"] = {{"url", "http://127.0.0.1:1/"},
                                                                   {"minimum_level", "top secret"}};
       },
       "minimum_level"},
      {"an empty minimum level",
       [](Json& c) {
         c["security_server"]["services"]["QROO/EST/SSP/SIS/x"] = {{"url", "http://127.0.0.1:1/"},
                                                                   {"minimum_level", ""}};
       },
       "minimum_level"},
      {"a minimum level that is not a string",
       [](Json& c) {
         c["security_server"]["services"]["QROO/EST/SSP/SIS/x"] = {{"url", "http://127.0.0.1:1/"},
                                                                   {"minimum_level", 3}};
       },
       "minimum_level"},
      {"TLS on the plain listener",
       [this](Json& c) {
         // Real files, so that it is our rule that refuses, not a missing file.
         ManualClock clock{std::chrono::system_clock::now()};
         testing::TestPki pki(clock);
         auto kc = pki.issue_tls_server("client interface", {}, {"127.0.0.1"});
         std::ofstream(dir_.file("a.pem")) << kc.cert.pem();
         ASSERT_TRUE(kc.key.save(dir_.file("a.key")).is_ok());
         c["listen"]["tls"] = {{"certificate", "a.pem"}, {"key", "a.key"}};
       },
       "client_tls"},
      {"an unknown key", [](Json& c) { c["security_server"]["colour"] = "blue"; }, "colour"},
      {"body limit out of range", [](Json& c) { c["security_server"]["body_limit"] = 10; }, "body_limit"},
      {"a register reader who is not a user",
       [](Json& c) { c["security_server"]["register_readers"]["nadie"] = {"QROO/EST/SSP"}; },
       "'security_server.register_readers.nadie' is not one of security_server.users"},
      {"a register reader of a member not hosted here",
       [](Json& c) { c["security_server"]["register_readers"]["luis"] = {"QROO/EST/FGE"}; },
       "'security_server.register_readers.luis': QROO/EST/FGE is not the member of a client"},
      {"a register reader of a subsystem, not a member",
       [](Json& c) { c["security_server"]["register_readers"]["luis"] = {"QROO/EST/SSP/SIS"}; },
       "security_server.register_readers.luis"},
      {"a register reader of no member",
       [](Json& c) { c["security_server"]["register_readers"]["ana"] = Json::array(); },
       "'security_server.register_readers.ana' names no member"},
      {"register readers not an object", [](Json& c) { c["security_server"]["register_readers"] = {"luis"}; },
       "register_readers"},
      {"an archive without a directory", [](Json& c) { c["security_server"]["archive"] = Json::object(); },
       "archive.directory"},
      {"a retention of no days",
       [](Json& c) { c["security_server"]["archive"] = {{"directory", "archives"}, {"retention_days", 0}}; },
       "retention_days"},
      {"a transfer command that is a shell line",
       [](Json& c) { c["security_server"]["archive"] = {{"directory", "a"}, {"transfer_command", "scp $0 x:"}}; },
       "transfer_command"},
      {"an empty transfer command",
       [](Json& c) { c["security_server"]["archive"] = {{"directory", "a"}, {"transfer_command", Json::array()}}; },
       "transfer_command must name a program"},
      {"no auditor to encrypt to",
       [](Json& c) { c["security_server"]["archive"] = {{"directory", "a"}, {"encrypt_to", Json::array()}}; },
       "encrypt_to"},
      {"a tiny archive file bound",
       [](Json& c) { c["security_server"]["archive"] = {{"directory", "a"}, {"max_file_bytes", 10}}; },
       "max_file_bytes"},
      {"an unknown archive key", [](Json& c) { c["security_server"]["archive"] = {{"directory", "a"}, {"keep", 1}}; },
       "keep"},
      {"operational records kept no days", [](Json& c) { c["security_server"]["operational_retention_days"] = 0; },
       "operational_retention_days"},
      {"operational records kept for ever",
       [](Json& c) { c["security_server"]["operational_retention_days"] = 100000; }, "operational_retention_days"},
      {"an operational queue too small to absorb a burst",
       [](Json& c) { c["security_server"]["operational_queue_records"] = 10; }, "operational_queue_records"},
      {"an operational database that is not a path",
       [](Json& c) { c["security_server"]["operational_database"] = 7; }, "operational_database"},
  };
  for (const auto& row : rows) {
    Json c = example();
    row.spoil(c);
    auto s = read(c);
    ASSERT_FALSE(s.is_ok()) << row.name;
    EXPECT_NE(s.status().message().find(row.says), std::string::npos) << row.name << ": " << s.status().message();
  }
}

TEST_F(SettingsTest, AServiceMayRequireAMinimumAccessLevel) {
  Json c = example();
  c["security_server"]["services"]["QROO/EST/SSP/SIS/x"] = {{"url", "http://127.0.0.1:1/"},
                                                            {"minimum_level", "restricted"}};
  auto s = read(c);
  ASSERT_TRUE(s.is_ok()) << s.status().to_string();
  const auto it = std::find_if(s->services.begin(), s->services.end(),
                               [](const ServiceDefinition& d) { return d.service.to_string() == "QROO/EST/SSP/SIS/x"; });
  ASSERT_NE(it, s->services.end());
  EXPECT_EQ(it->minimum_level, "restricted");
  for (const auto& d : s->services) {
    if (&d != &*it) {
      EXPECT_TRUE(d.minimum_level.empty()) << d.service.to_string();
    }
  }
}

TEST_F(SettingsTest, ArchiveSettingsHaveDefaultsAndPathsRelativeToTheFile) {
  Json c = example();
  EXPECT_FALSE(read(c)->archive.has_value());
  c["security_server"]["archive"] = {{"directory", "archives"}};
  auto s = read(c);
  ASSERT_TRUE(s.is_ok()) << s.status().to_string();
  ASSERT_TRUE(s->archive.has_value());
  EXPECT_EQ(s->archive->directory, dir_.file("archives"));
  EXPECT_EQ(s->archive->retention, std::chrono::hours(24 * 30));
  EXPECT_EQ(s->archive->decision_retention, std::chrono::hours(24 * 180));
  EXPECT_EQ(s->archive->max_file_bytes, std::size_t{64} << 20);
  EXPECT_EQ(s->archive->interval, std::chrono::seconds(3600));
  EXPECT_TRUE(s->archive->transfer_command.empty());

  c["security_server"]["archive"] = {{"directory", "/var/lib/xacbe/archives"},
                                     {"retention_days", 90},
                                     {"decision_retention_days", 365},
                                     {"max_file_bytes", 8 << 20},
                                     {"transfer_command", {"/usr/local/bin/ship", "--to", "auditoria"}},
                                     {"encrypt_to", {"auditor.pem"}},
                                     {"interval_seconds", 600}};
  s = read(c);
  ASSERT_TRUE(s.is_ok()) << s.status().to_string();
  EXPECT_EQ(s->archive->directory, "/var/lib/xacbe/archives");
  EXPECT_EQ(s->archive->retention, std::chrono::hours(24 * 90));
  EXPECT_EQ(s->archive->decision_retention, std::chrono::hours(24 * 365));
  EXPECT_EQ(s->archive->max_file_bytes, std::size_t{8} << 20);
  EXPECT_EQ(s->archive->transfer_command, (std::vector<std::string>{"/usr/local/bin/ship", "--to", "auditoria"}));
  EXPECT_EQ(s->archive->encrypt_to, std::vector<std::string>{dir_.file("auditor.pem")});
  EXPECT_EQ(s->archive->interval, std::chrono::seconds(600));
}

TEST_F(SettingsTest, OperationalRecordSettingsHaveDefaultsBesideTheRegister) {
  Json c = example();
  auto s = read(c);
  ASSERT_TRUE(s.is_ok()) << s.status().to_string();
  EXPECT_EQ(s->operational_database, dir_.file("operational.db"));
  EXPECT_EQ(s->operational_retention_days, 7);
  EXPECT_EQ(s->operational_queue_records, 10000u);
  c["security_server"]["operational_database"] = "stats/operational.db";
  c["security_server"]["operational_retention_days"] = 30;
  c["security_server"]["operational_queue_records"] = 50000;
  s = read(c);
  ASSERT_TRUE(s.is_ok()) << s.status().to_string();
  EXPECT_EQ(s->operational_database, dir_.file("stats/operational.db"));
  EXPECT_EQ(s->operational_retention_days, 30);
  EXPECT_EQ(s->operational_queue_records, 50000u);
}

}  // namespace
}  // namespace xacbe::ss
