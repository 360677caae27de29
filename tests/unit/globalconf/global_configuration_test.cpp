#include "xacbe/globalconf/global_configuration.hpp"

#include <gtest/gtest.h>

#include <cctype>
#include <functional>
#include <stdexcept>

#include "support/test_pki.hpp"

namespace xacbe::globalconf {
namespace {

using std::chrono::seconds;
using xacbe::testing::KeyAndCert;
using xacbe::testing::TestPki;

template <typename T>
T must(Result<T> r) {
  if (!r) throw std::runtime_error(r.status().to_string());
  return std::move(r).value();
}

id::MemberId member(const char* s) {
  return must(id::MemberId::parse(s));
}
id::SubsystemId subsystem(const char* s) {
  return must(id::SubsystemId::parse(s));
}
id::SecurityServerId server(const char* s) {
  return must(id::SecurityServerId::parse(s));
}
id::ClientId client(const char* s) {
  return must(id::ClientId::parse(s));
}

const std::string kFp2(64, 'b');
const std::string kFp3(64, 'c');
const std::string kFp4(64, 'd');

class GlobalConfigurationTest : public ::testing::Test {
 protected:
  ConfigurationContent sample() {
    const std::chrono::sys_seconds created{seconds(1'800'000'000)};  // 2027-01-15T08:00:00Z
    return ConfigurationContent{
        .instance = "QROO",
        .version = 7,
        .created_at = created,
        .expires_at = created + std::chrono::hours(24),
        .members = {{member("QROO/FED/PGJ"), "Fiscalía General del Estado"},
                    {member("QROO/EST/SSP"), "Secretaría de Seguridad Ciudadana"},
                    {member("QROO/MUN/BJ"), "Municipio de Benito Juárez"}},
        .subsystems = {{subsystem("QROO/FED/PGJ/CASOS")}, {subsystem("QROO/EST/SSP/C5")}},
        .security_servers =
            {{server("QROO/FED/PGJ/SS1"),
              "ss1.pgj.qroo.example:5500",
              {client("QROO/FED/PGJ"), client("QROO/FED/PGJ/CASOS")},
              {auth_.cert.sha256_fingerprint()}},
             {server("QROO/EST/SSP/SS1"), "10.1.2.3:5500", {client("QROO/EST/SSP/C5"), client("QROO/MUN/BJ")}, {kFp2}},
             {server("QROO/EST/SSP/SS2"), "[2001:db8::1]:5500", {client("QROO/EST/SSP/C5")}, {kFp3, kFp4}}},
        .ca = {pki_.root(), {"http://ocsp.ceiqroo.example/"}, {ocsp_.cert}},
        .tsa = {"http://tsa.ceiqroo.example/", tsa_.cert},
        .global_groups = {{"security-cabinet", {client("QROO/FED/PGJ"), client("QROO/EST/SSP/C5")}}},
        .settings = {},
        .access_levels = {{{"public", "Pública"}, {"restricted", "Reservada"}, {"confidential", "Confidencial"}},
                          {{client("QROO/FED/PGJ"), "confidential"}, {client("QROO/EST/SSP/C5"), "public"}}},
    };
  }
  GlobalConfiguration sample_configuration() { return must(GlobalConfiguration::create(sample())); }

  ManualClock clock_{TimePoint(seconds(1'800'000'000))};
  TestPki pki_{clock_};
  KeyAndCert auth_ = pki_.issue(ca::Profile::kAuthentication, "QROO/FED/PGJ/SS1");
  KeyAndCert ocsp_ = pki_.issue(ca::Profile::kOcspResponder, "CEIQROO OCSP");
  KeyAndCert tsa_ = pki_.issue(ca::Profile::kTimestamping, "CEIQROO TSA");
};

TEST_F(GlobalConfigurationTest, RoundTripsThroughJsonToTheSameBytes) {
  const std::string bytes = sample_configuration().to_json();
  auto parsed = GlobalConfiguration::from_json(bytes);
  ASSERT_TRUE(parsed.is_ok()) << parsed.status().to_string();
  EXPECT_EQ(parsed->to_json(), bytes);
  EXPECT_EQ(parsed->version(), 7u);
  EXPECT_EQ(parsed->instance(), "QROO");
  EXPECT_EQ(parsed->content().members[0].name, "Fiscalía General del Estado");
  EXPECT_EQ(parsed->content().ca.certificate.der(), pki_.root().der());
}

TEST_F(GlobalConfigurationTest, WritesCompactJsonWithSortedKeys) {
  const std::string bytes = sample_configuration().to_json();
  EXPECT_EQ(bytes.rfind(R"({"access_levels":{"assignments":[)", 0), 0u) << bytes.substr(0, 80);
  EXPECT_NE(bytes.find(R"(]},"ca":{"certificate":"-----BEGIN CERTIFICATE-----\n)"), std::string::npos);
  EXPECT_NE(bytes.find(R"("created_at":"2027-01-15T08:00:00Z","expires_at":"2027-01-16T08:00:00Z","format_version":2,)"
                       R"("global_groups":[{"code":"security-cabinet","members":["QROO/FED/PGJ","QROO/EST/SSP/C5"]}],)"
                       R"("instance":"QROO","members":[{"id":"QROO/FED/PGJ","name":"Fiscalía General del Estado"})"),
            std::string::npos)
      << bytes;
  EXPECT_NE(bytes.find(R"({"address":"10.1.2.3:5500","auth_cert_sha256":[")" + kFp2 +
                       R"("],"clients":["QROO/EST/SSP/C5","QROO/MUN/BJ"],"id":"QROO/EST/SSP/SS1"})"),
            std::string::npos);
  EXPECT_NE(bytes.find(R"("settings":{"estamp_window_seconds":28800,"ocsp_freshness_seconds":3600,)"
                       R"("timestamp_interval_seconds":60},"subsystems":[{"id":"QROO/FED/PGJ/CASOS"})"),
            std::string::npos);
  EXPECT_EQ(bytes.substr(bytes.size() - 12), R"("version":7})");
}

TEST_F(GlobalConfigurationTest, SettingsDefaultToTheProtocolValues) {
  const Settings s;
  EXPECT_EQ(s.ocsp_freshness, seconds(3600));
  EXPECT_EQ(s.estamp_window, seconds(28800));
  EXPECT_EQ(s.timestamp_interval, seconds(60));
}

TEST_F(GlobalConfigurationTest, FindsTheServersOfAClientByExactMatch) {
  const auto conf = sample_configuration();
  auto ids = [](const std::vector<const SecurityServer*>& servers) {
    std::vector<std::string> out;
    for (const auto* s : servers) out.push_back(s->id.to_string());
    return out;
  };
  EXPECT_EQ(ids(conf.servers_for(member("QROO/FED/PGJ"))), std::vector<std::string>{"QROO/FED/PGJ/SS1"});
  EXPECT_EQ(ids(conf.servers_for(subsystem("QROO/EST/SSP/C5"))),
            (std::vector<std::string>{"QROO/EST/SSP/SS1", "QROO/EST/SSP/SS2"}));
  // A shared server: the municipality's exchanges go through the SSP's server.
  EXPECT_EQ(ids(conf.servers_for(member("QROO/MUN/BJ"))), std::vector<std::string>{"QROO/EST/SSP/SS1"});
  // Owning servers does not make a member their client, nor does listing a member cover its subsystems.
  EXPECT_TRUE(conf.servers_for(member("QROO/EST/SSP")).empty());
  EXPECT_TRUE(conf.servers_for(subsystem("QROO/MUN/BJ/CATASTRO")).empty());

  const SecurityServer* ss2 = conf.find_server(server("QROO/EST/SSP/SS2"));
  ASSERT_NE(ss2, nullptr);
  EXPECT_EQ(ss2->address, "[2001:db8::1]:5500");
  EXPECT_EQ(conf.find_server(server("QROO/EST/SSP/SS9")), nullptr);
}

TEST_F(GlobalConfigurationTest, KnowsWhichAuthenticationCertificatesAreRegisteredForWhichServer) {
  const auto conf = sample_configuration();
  EXPECT_TRUE(conf.is_registered_auth_certificate(server("QROO/FED/PGJ/SS1"), auth_.cert));
  EXPECT_TRUE(conf.is_registered_auth_certificate(server("QROO/EST/SSP/SS2"), kFp4));
  EXPECT_FALSE(conf.is_registered_auth_certificate(server("QROO/EST/SSP/SS1"), auth_.cert));
  EXPECT_FALSE(conf.is_registered_auth_certificate(server("QROO/EST/SSP/SS9"), kFp2));
  auto unregistered = pki_.issue(ca::Profile::kAuthentication, "QROO/FED/PGJ/SS1");
  EXPECT_FALSE(conf.is_registered_auth_certificate(server("QROO/FED/PGJ/SS1"), unregistered.cert));
  std::string upper = auth_.cert.sha256_fingerprint();
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_FALSE(conf.is_registered_auth_certificate(server("QROO/FED/PGJ/SS1"), upper));

  const SecurityServer* owner = conf.server_with_auth_certificate(kFp3);
  ASSERT_NE(owner, nullptr);
  EXPECT_EQ(owner->id, server("QROO/EST/SSP/SS2"));
  EXPECT_EQ(conf.server_with_auth_certificate(std::string(64, 'e')), nullptr);
}

TEST_F(GlobalConfigurationTest, FindsMembersClientsAndGroups) {
  const auto conf = sample_configuration();
  const Member* pgj = conf.find_member(member("QROO/FED/PGJ"));
  ASSERT_NE(pgj, nullptr);
  EXPECT_EQ(pgj->name, "Fiscalía General del Estado");
  EXPECT_EQ(conf.find_member(member("QROO/FED/SAT")), nullptr);
  EXPECT_TRUE(conf.has_client(member("QROO/MUN/BJ")));
  EXPECT_TRUE(conf.has_client(subsystem("QROO/FED/PGJ/CASOS")));
  EXPECT_FALSE(conf.has_client(subsystem("QROO/FED/PGJ/OTRO")));
  const GlobalGroup* group = conf.find_group("security-cabinet");
  ASSERT_NE(group, nullptr);
  EXPECT_EQ(group->members.size(), 2u);
  EXPECT_EQ(conf.find_group("nobody"), nullptr);
}

TEST(GlobalConfigurationTime, ParsesAndFormatsUtcTimesStrictly) {
  auto t = parse_time("2027-01-15T08:00:00Z");
  ASSERT_TRUE(t.is_ok()) << t.status().to_string();
  EXPECT_EQ(t->time_since_epoch(), seconds(1'800'000'000));
  EXPECT_EQ(format_time(*t), "2027-01-15T08:00:00Z");
  EXPECT_TRUE(parse_time("2028-02-29T23:59:59Z").is_ok());
  EXPECT_TRUE(parse_time("1970-01-01T00:00:00Z").is_ok());
  for (const char* bad :
       {"", "2027-01-15T08:00:00", "2027-01-15 08:00:00Z", "2027-01-15T08:00:00+00:00", "2027-01-15T08:00:00.5Z",
        "2027-02-29T00:00:00Z", "2027-13-01T00:00:00Z", "2027-01-15T24:00:00Z", "2027-01-15T08:60:00Z",
        "2027-01-15T08:00:60Z", "1969-12-31T23:59:59Z", "2027-1-15T08:00:00Z", "2027-01-15t08:00:00z",
        " 2027-01-15T08:00:00Z"}) {
    auto r = parse_time(bad);
    EXPECT_FALSE(r.is_ok()) << bad;
    if (!r) {
      EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
    }
  }
}

// Rules on the content: one row per broken rule, with the path the message must name.
TEST_F(GlobalConfigurationTest, CreateRefusesContentThatBreaksARule) {
  struct Row {
    const char* name;
    std::function<void(ConfigurationContent&)> mutate;
    const char* path;
  };
  const std::vector<Row> rows = {
      {"unknown instance", [](auto& c) { c.instance = "QROO-DEV"; }, "instance:"},
      {"version 0", [](auto& c) { c.version = 0; }, "version:"},
      {"expires before created", [](auto& c) { c.expires_at = c.created_at; }, "expires_at:"},
      {"year 10000", [](auto& c) { c.expires_at = std::chrono::sys_days(std::chrono::year(10000) / 1 / 1); },
       "expires_at:"},
      {"member of another instance", [](auto& c) { c.members[1].id = member("QROO-TEST/EST/SSP"); }, "members[1].id:"},
      {"member twice", [](auto& c) { c.members.push_back(c.members[0]); }, "members[3].id:"},
      {"empty name", [](auto& c) { c.members[0].name = ""; }, "members[0].name:"},
      {"control character in name", [](auto& c) { c.members[0].name = "PGJ\x01"; }, "members[0].name:"},
      {"C1 control in name", [](auto& c) { c.members[0].name = "PGJ\xc2\x85"; }, "members[0].name:"},
      {"invalid UTF-8 in name", [](auto& c) { c.members[0].name = "PGJ\xff"; }, "members[0].name:"},
      {"name too long", [](auto& c) { c.members[0].name = std::string(257, 'x'); }, "members[0].name:"},
      {"subsystem of an unlisted member", [](auto& c) { c.subsystems.push_back({subsystem("QROO/FED/SAT/X")}); },
       "subsystems[2].id:"},
      {"subsystem twice", [](auto& c) { c.subsystems.push_back(c.subsystems[0]); }, "subsystems[2].id:"},
      {"server of an unlisted owner", [](auto& c) { c.security_servers[0].id = server("QROO/FED/SAT/SS1"); },
       "security_servers[0].id:"},
      {"server twice", [](auto& c) { c.security_servers[2].id = c.security_servers[1].id; }, "security_servers[2].id:"},
      {"address without port", [](auto& c) { c.security_servers[0].address = "ss1.example"; },
       "security_servers[0].address:"},
      {"port 0", [](auto& c) { c.security_servers[0].address = "ss1.example:0"; }, "security_servers[0].address:"},
      {"port 65536", [](auto& c) { c.security_servers[0].address = "ss1.example:65536"; },
       "security_servers[0].address:"},
      {"port with a leading zero", [](auto& c) { c.security_servers[0].address = "ss1.example:05500"; },
       "security_servers[0].address:"},
      {"space in host", [](auto& c) { c.security_servers[0].address = "ss1 example:5500"; },
       "security_servers[0].address:"},
      {"label starting with -", [](auto& c) { c.security_servers[0].address = "-ss1.example:5500"; },
       "security_servers[0].address:"},
      {"empty label", [](auto& c) { c.security_servers[0].address = "ss1..example:5500"; },
       "security_servers[0].address:"},
      {"empty host", [](auto& c) { c.security_servers[0].address = ":5500"; }, "security_servers[0].address:"},
      {"bare IPv6", [](auto& c) { c.security_servers[0].address = "2001:db8::1:5500"; },
       "security_servers[0].address:"},
      {"bad IPv6", [](auto& c) { c.security_servers[0].address = "[2001:zz8::1]:5500"; },
       "security_servers[0].address:"},
      // The registry refuses these in a management request, so they can never be published.
      {"digits that are no IPv4 address", [](auto& c) { c.security_servers[0].address = "999.1.1.1:5500"; },
       "security_servers[0].address:"},
      {"three-part IPv4", [](auto& c) { c.security_servers[0].address = "10.1.2:5500"; },
       "security_servers[0].address:"},
      {"IPv4 with a leading zero", [](auto& c) { c.security_servers[0].address = "10.01.2.3:5500"; },
       "security_servers[0].address:"},
      {"unlisted client", [](auto& c) { c.security_servers[1].clients.push_back(client("QROO/MUN/BJ/CATASTRO")); },
       "security_servers[1].clients[2]:"},
      {"client twice", [](auto& c) { c.security_servers[1].clients.push_back(client("QROO/MUN/BJ")); },
       "security_servers[1].clients[2]:"},
      {"upper-case fingerprint", [](auto& c) { c.security_servers[1].auth_cert_sha256[0] = std::string(64, 'B'); },
       "security_servers[1].auth_cert_sha256[0]:"},
      {"short fingerprint", [](auto& c) { c.security_servers[1].auth_cert_sha256[0] = std::string(62, 'b'); },
       "security_servers[1].auth_cert_sha256[0]:"},
      {"fingerprint on two servers", [](auto& c) { c.security_servers[2].auth_cert_sha256[1] = kFp2; },
       "security_servers[2].auth_cert_sha256[1]:"},
      {"CA certificate that is no CA", [this](auto& c) { c.ca.certificate = tsa_.cert; }, "ca.certificate:"},
      {"no OCSP URL", [](auto& c) { c.ca.ocsp_urls.clear(); }, "ca.ocsp_urls:"},
      {"OCSP URL not http", [](auto& c) { c.ca.ocsp_urls.push_back("ftp://ocsp.example/"); }, "ca.ocsp_urls[1]:"},
      {"OCSP URL with a space", [](auto& c) { c.ca.ocsp_urls[0] = "http://ocsp example/"; }, "ca.ocsp_urls[0]:"},
      {"OCSP URL twice", [](auto& c) { c.ca.ocsp_urls.push_back(c.ca.ocsp_urls[0]); }, "ca.ocsp_urls[1]:"},
      {"no OCSP responder certificate", [](auto& c) { c.ca.ocsp_responder_certificates.clear(); },
       "ca.ocsp_responder_certificates:"},
      {"bad TSA URL", [](auto& c) { c.tsa.url = "tsa.example"; }, "tsa.url:"},
      {"bad group code", [](auto& c) { c.global_groups[0].code = ".hidden"; }, "global_groups[0].code:"},
      {"group twice", [](auto& c) { c.global_groups.push_back(c.global_groups[0]); }, "global_groups[1].code:"},
      {"unlisted group member", [](auto& c) { c.global_groups[0].members.push_back(client("QROO/FED/SAT")); },
       "global_groups[0].members[2]:"},
      {"freshness 0", [](auto& c) { c.settings.ocsp_freshness = seconds(0); }, "settings.ocsp_freshness_seconds:"},
      {"freshness over eight hours", [](auto& c) { c.settings.ocsp_freshness = seconds(28801); },
       "settings.ocsp_freshness_seconds:"},
      {"window over eight hours", [](auto& c) { c.settings.estamp_window = seconds(28801); },
       "settings.estamp_window_seconds:"},
      {"interval 0", [](auto& c) { c.settings.timestamp_interval = seconds(0); },
       "settings.timestamp_interval_seconds:"},
      {"level code with a slash", [](auto& c) { c.access_levels.levels[1].code = "re/stricted"; },
       "access_levels.levels[1].code:"},
      {"empty level code", [](auto& c) { c.access_levels.levels[1].code = ""; }, "access_levels.levels[1].code:"},
      {"level listed twice", [](auto& c) { c.access_levels.levels[2].code = "public"; },
       "access_levels.levels[2].code: is listed twice"},
      {"level name with a control character", [](auto& c) { c.access_levels.levels[0].name = "P\x1b[31m"; },
       "access_levels.levels[0].name:"},
      {"empty level name", [](auto& c) { c.access_levels.levels[0].name = ""; }, "access_levels.levels[0].name:"},
      {"level of an unlisted client",
       [](auto& c) { c.access_levels.assignments.push_back({client("QROO/FED/SAT"), "public"}); },
       "access_levels.assignments[2].client: QROO/FED/SAT is not a member"},
      {"client assigned twice",
       [](auto& c) { c.access_levels.assignments.push_back({client("QROO/FED/PGJ"), "public"}); },
       "access_levels.assignments[2].client: QROO/FED/PGJ is assigned a level twice"},
      {"assigned level not in the list", [](auto& c) { c.access_levels.assignments[1].level = "secret"; },
       "access_levels.assignments[1].level: 'secret' is not a level"},
      {"assigned level of a removed list", [](auto& c) { c.access_levels.levels.clear(); },
       "access_levels.assignments[0].level:"},
      {"hostile unknown level is not echoed", [](auto& c) { c.access_levels.assignments[1].level = "\x1b\xff"; },
       "access_levels.assignments[1].level: '(unprintable)'"},
      {"freshness + interval over the window",
       [](auto& c) {
         c.settings.ocsp_freshness = seconds(28000);
         c.settings.timestamp_interval = seconds(801);
       },
       "settings:"},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    auto content = sample();
    row.mutate(content);
    auto r = GlobalConfiguration::create(std::move(content));
    ASSERT_FALSE(r.is_ok());
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
    EXPECT_NE(r.status().message().find(std::string("global configuration: ") + row.path), std::string::npos)
        << r.status().message();
  }
}

// Syntax: one row per way the JSON text can be wrong, made by editing the canonical bytes.
TEST_F(GlobalConfigurationTest, FromJsonRefusesWhatIsNotExactlyTheFormat) {
  const std::string good = sample_configuration().to_json();
  std::string tsa_pem;  // as it appears inside the JSON string
  for (char c : tsa_.cert.pem()) tsa_pem += c == '\n' ? std::string("\\n") : std::string(1, c);
  struct Row {
    const char* name;
    std::string from, to;  // first occurrence replaced; empty `from`: `to` is the whole text
    const char* path;
  };
  const std::vector<Row> rows = {
      {"not JSON", "", "{", "document: not valid JSON"},
      {"not an object", "", "[]", "document: must be an object"},
      {"trailing bytes", R"("version":7})", R"("version":7}x)", "document: not valid JSON"},
      {"invalid UTF-8", "Fiscalía", "Fiscal\xff", "document: not valid JSON"},
      {"repeated key", R"("ca":{"certificate")", R"("instance":"QROO","ca":{"certificate")",
       "document: repeated key 'instance'"},
      {"unknown top-level key", R"("ca":{"certificate")", R"("extra":1,"ca":{"certificate")", "extra: unknown key"},
      {"unknown nested key", R"("name":"Fiscal)", R"("nick":"x","name":"Fiscal)", "members[0].nick: unknown key"},
      {"missing key", R"("format_version":2,)", "", "format_version: is required"},
      {"format version 1", R"("format_version":2)", R"("format_version":1)", "format_version:"},
      {"format version 3", R"("format_version":2)", R"("format_version":3)", "format_version:"},
      {"no access levels", R"("access_levels":{"assignments":[{"client":"QROO/FED/PGJ","level":"confidential"},)"
                           R"({"client":"QROO/EST/SSP/C5","level":"public"}],"levels":[{"code":"public","name":"Pública"},)"
                           R"({"code":"restricted","name":"Reservada"},{"code":"confidential","name":"Confidencial"}]},)",
       "", "access_levels: is required"},
      {"unknown key in a level", R"({"code":"public",)", R"({"rank":0,"code":"public",)",
       "access_levels.levels[0].rank: unknown key"},
      {"level code as a number", R"({"code":"public",)", R"({"code":1,)", "access_levels.levels[0].code: must be a string"},
      {"assignment without level", R"(,"level":"confidential"})", "}", "access_levels.assignments[0].level: is required"},
      {"assignment of a bad client", R"({"client":"QROO/FED/PGJ",)", R"({"client":"QROO/FED/",)",
       "access_levels.assignments[0].client:"},
      {"assigned level not in the list", R"("level":"confidential"})", R"("level":"secret"})",
       "access_levels.assignments[0].level: 'secret' is not a level"},
      {"version as a string", R"("version":7})", R"("version":"7"})", "version: must be a non-negative integer"},
      {"negative version", R"("version":7})", R"("version":-7})", "version: must be a non-negative integer"},
      {"fractional version", R"("version":7})", R"("version":7.0})", "version: must be a non-negative integer"},
      {"version over 64 bits", R"("version":7})", R"("version":18446744073709551616})",
       "version: must be a non-negative integer"},
      {"time without Z", "08:00:00Z\",\"expires", "08:00:00\",\"expires", "created_at:"},
      {"impossible date", "2027-01-16T08:00:00Z", "2027-02-30T08:00:00Z", "expires_at:"},
      {"bad member id", R"("id":"QROO/FED/PGJ")", R"("id":"QROO/fed/PGJ")", "members[0].id: invalid member class"},
      {"member id of another instance", R"("id":"QROO/FED/PGJ")", R"("id":"QROO-TEST/FED/PGJ")", "members[0].id:"},
      {"subsystem id with three parts", R"("id":"QROO/FED/PGJ/CASOS")", R"("id":"QROO/FED/PGJ")", "subsystems[0].id:"},
      {"server id with a dot code", R"("id":"QROO/EST/SSP/SS1")", R"("id":"QROO/EST/SSP/..")",
       "security_servers[1].id:"},
      {"bad client id", R"("clients":["QROO/EST/SSP/C5")", R"("clients":["QROO/EST/SSP/")",
       "security_servers[1].clients[0]:"},
      {"client not a string", R"("clients":["QROO/EST/SSP/C5")", R"("clients":[5)",
       "security_servers[1].clients[0]: must be a string"},
      {"address as a number", R"("address":"10.1.2.3:5500")", R"("address":5500)",
       "security_servers[1].address: must be a string"},
      {"clients as an object", R"("clients":["QROO/EST/SSP/C5","QROO/MUN/BJ"])", R"("clients":{})",
       "security_servers[1].clients: must be an array"},
      {"broken certificate", "-----BEGIN CERTIFICATE-----\\nMII", "-----BEGIN CERTIFICATE-----\\nXII",
       "ca.certificate:"},
      {"CRLF certificate", "-----BEGIN CERTIFICATE-----\\n", "-----BEGIN CERTIFICATE-----\\r\\n",
       "ca.certificate: is not a canonical PEM"},
      {"two certificates", tsa_pem + R"(","url")", tsa_pem + tsa_pem + R"(","url")",
       "tsa.certificate: must hold exactly one"},
      {"settings out of range", R"("ocsp_freshness_seconds":3600)", R"("ocsp_freshness_seconds":99999999999999999999)",
       "settings.ocsp_freshness_seconds:"},
      {"settings negative", R"("ocsp_freshness_seconds":3600)", R"("ocsp_freshness_seconds":-1)",
       "settings.ocsp_freshness_seconds:"},
      {"semantic rule after parsing", R"("instance":"QROO")", R"("instance":"QROO-DEV")", "instance:"},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    std::string text = row.to;
    if (!row.from.empty()) {
      text = good;
      const auto at = text.find(row.from);
      ASSERT_NE(at, std::string::npos) << row.from;
      text.replace(at, row.from.size(), row.to);
    }
    auto r = GlobalConfiguration::from_json(text);
    ASSERT_FALSE(r.is_ok());
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
    EXPECT_NE(r.status().message().find(std::string("global configuration: ") + row.path), std::string::npos)
        << r.status().message();
  }
}

TEST_F(GlobalConfigurationTest, RanksLevelsByTheirPositionInTheList) {
  const auto conf = sample_configuration();
  EXPECT_EQ(conf.level_rank("public"), std::optional<std::size_t>(0));
  EXPECT_EQ(conf.level_rank("restricted"), std::optional<std::size_t>(1));
  EXPECT_EQ(conf.level_rank("confidential"), std::optional<std::size_t>(2));
  EXPECT_EQ(conf.level_rank("secret"), std::nullopt);
  EXPECT_EQ(conf.level_rank("Public"), std::nullopt);  // codes are compared exactly
}

TEST_F(GlobalConfigurationTest, ASubsystemWithoutALevelHasItsMembersAndAMemberWithoutOneHasNone) {
  auto content = sample();
  content.access_levels.assignments.push_back({client("QROO/EST/SSP"), "restricted"});
  const auto conf = must(GlobalConfiguration::create(std::move(content)));
  auto level = [&](const char* c) {
    const std::string* l = conf.effective_level(client(c));
    return l == nullptr ? std::string("(none)") : *l;
  };
  EXPECT_EQ(level("QROO/FED/PGJ"), "confidential");
  EXPECT_EQ(level("QROO/FED/PGJ/CASOS"), "confidential");  // inherits its member's
  EXPECT_EQ(level("QROO/EST/SSP"), "restricted");
  EXPECT_EQ(level("QROO/EST/SSP/C5"), "public");  // its own level, lower than its member's
  EXPECT_EQ(level("QROO/MUN/BJ"), "(none)");
  EXPECT_EQ(conf.assigned_level(client("QROO/FED/PGJ/CASOS")), nullptr);
}

TEST_F(GlobalConfigurationTest, AccessLevelsRoundTripInListOrder) {
  const std::string bytes = sample_configuration().to_json();
  EXPECT_NE(bytes.find(R"({"access_levels":{"assignments":[{"client":"QROO/FED/PGJ","level":"confidential"},)"
                       R"({"client":"QROO/EST/SSP/C5","level":"public"}],"levels":[{"code":"public","name":"Pública"},)"
                       R"({"code":"restricted","name":"Reservada"},{"code":"confidential","name":"Confidencial"}]},)"),
            std::string::npos)
      << bytes.substr(0, 400);
  auto parsed = GlobalConfiguration::from_json(bytes);
  ASSERT_TRUE(parsed.is_ok()) << parsed.status().to_string();
  EXPECT_EQ(parsed->to_json(), bytes);
  ASSERT_EQ(parsed->content().access_levels.levels.size(), 3u);
  EXPECT_EQ(parsed->content().access_levels.levels[2].code, "confidential");
  EXPECT_EQ(parsed->content().access_levels.levels[2].name, "Confidencial");
  EXPECT_EQ(*parsed->effective_level(client("QROO/EST/SSP/C5")), "public");
}

TEST_F(GlobalConfigurationTest, AnEmptyLevelListIsValid) {
  auto content = sample();
  content.access_levels = {};
  auto conf = GlobalConfiguration::create(std::move(content));
  ASSERT_TRUE(conf.is_ok()) << conf.status().to_string();
  EXPECT_EQ(conf->effective_level(client("QROO/FED/PGJ")), nullptr);
  EXPECT_NE(conf->to_json().find(R"({"access_levels":{"assignments":[],"levels":[]},)"), std::string::npos);
}

}  // namespace
}  // namespace xacbe::globalconf
