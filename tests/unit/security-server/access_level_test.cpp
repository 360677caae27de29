#include "access/access_level.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "access/service_catalog.hpp"
#include "support/test_pki.hpp"
#include "xacbe/globalconf/global_configuration.hpp"

namespace xacbe::ss {
namespace {

using std::chrono::seconds;
using testing::KeyAndCert;
using testing::TestPki;

template <typename T>
T must(Result<T> r) {
  if (!r) throw std::runtime_error(r.status().to_string());
  return std::move(r).value();
}

id::ClientId client(const char* s) { return must(id::ClientId::parse(s)); }
id::ServiceId service(const char* s) { return must(id::ServiceId::parse(s)); }

// decide() with the services' minimum access levels (docs/protocol/access-levels.md).
class AccessLevelTest : public ::testing::Test {
 protected:
  // Levels public < restricted < confidential. FGE is confidential and its SIS inherits it; SSP is
  // restricted but its subsystem SIS was set to public; BJ has no level.
  globalconf::GlobalConfiguration configuration() {
    const std::chrono::sys_seconds created{seconds(1'800'000'000)};
    globalconf::ConfigurationContent c{
        .instance = "QROO",
        .version = 1,
        .created_at = created,
        .expires_at = created + std::chrono::hours(24),
        .members = {{must(id::MemberId::parse("QROO/EST/FGE")), "FGE"},
                    {must(id::MemberId::parse("QROO/EST/SSP")), "SSP"},
                    {must(id::MemberId::parse("QROO/MUN/BJ")), "BJ"}},
        .subsystems = {{must(id::SubsystemId::parse("QROO/EST/FGE/SIS"))},
                       {must(id::SubsystemId::parse("QROO/EST/SSP/SIS"))},
                       {must(id::SubsystemId::parse("QROO/MUN/BJ/SIS"))}},
        .security_servers = {},
        .ca = {pki_.root(), {"http://ocsp.example/"}, {ocsp_.cert}},
        .tsa = {"http://tsa.example/", tsa_.cert},
        .global_groups = {},
        .settings = {},
        .access_levels = {{{"public", "Pública"}, {"restricted", "Reservada"}, {"confidential", "Confidencial"}},
                          {{client("QROO/EST/FGE"), "confidential"},
                           {client("QROO/EST/SSP"), "restricted"},
                           {client("QROO/EST/SSP/SIS"), "public"}}},
    };
    return must(globalconf::GlobalConfiguration::create(std::move(c)));
  }

  // One service requiring `minimum`, granted to every client the tests use.
  ServiceCatalog catalog(std::string minimum) {
    ServiceDefinition d{service("QROO/MUN/BJ/SIS/antecedentes"), "http://127.0.0.1:9000/api", true,
                        std::chrono::milliseconds(1000), {}};
    d.minimum_level = std::move(minimum);
    std::vector<AccessRight> rights;
    for (const char* c : {"QROO/EST/FGE", "QROO/EST/FGE/SIS", "QROO/EST/SSP", "QROO/EST/SSP/SIS", "QROO/MUN/BJ/SIS"}) {
      rights.push_back({d.service, c, std::nullopt});
    }
    return must(ServiceCatalog::create({d}, std::move(rights)));
  }

  AccessDecision decide(const std::string& minimum, const char* who) {
    const ServiceCatalog c = catalog(minimum);
    return c.decide(client(who), c.services()[0], "GET", "/x", conf_);
  }

  ManualClock clock_{TimePoint(seconds(1'800'000'000))};
  TestPki pki_{clock_};
  KeyAndCert ocsp_ = pki_.issue(ca::Profile::kOcspResponder, "OCSP");
  KeyAndCert tsa_ = pki_.issue(ca::Profile::kTimestamping, "TSA");
  globalconf::GlobalConfiguration conf_ = configuration();
};

TEST_F(AccessLevelTest, AllowsALevelEqualToTheMinimum) {
  const AccessDecision d = decide("restricted", "QROO/EST/SSP");
  EXPECT_TRUE(d.allowed) << d.reason;
  EXPECT_EQ(d.rule, "right:QROO/EST/SSP");
}

TEST_F(AccessLevelTest, AllowsALevelAboveTheMinimum) {
  const AccessDecision d = decide("restricted", "QROO/EST/FGE");
  EXPECT_TRUE(d.allowed) << d.reason;
}

TEST_F(AccessLevelTest, RefusesALevelBelowTheMinimumNamingBothLevels) {
  const AccessDecision d = decide("confidential", "QROO/EST/SSP");
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.rule, "level:confidential");
  EXPECT_EQ(d.reason, "the client's access level 'restricted' is below the required 'confidential'");
}

TEST_F(AccessLevelTest, RefusesAClientWithoutALevel) {
  const AccessDecision d = decide("public", "QROO/MUN/BJ/SIS");
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.rule, "level:public");
  EXPECT_NE(d.reason.find("has no access level"), std::string::npos) << d.reason;
}

TEST_F(AccessLevelTest, ASubsystemWithoutALevelActsWithItsMembers) {
  EXPECT_TRUE(decide("confidential", "QROO/EST/FGE/SIS").allowed);
}

TEST_F(AccessLevelTest, ASubsystemsOwnLevelOverridesItsMembersEvenWhenLower) {
  EXPECT_TRUE(decide("restricted", "QROO/EST/SSP").allowed);
  const AccessDecision d = decide("restricted", "QROO/EST/SSP/SIS");
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.reason, "the client's access level 'public' is below the required 'restricted'");
}

TEST_F(AccessLevelTest, AMinimumTheConfigurationDoesNotListRefusesEveryone) {
  for (const char* who : {"QROO/EST/FGE", "QROO/EST/SSP", "QROO/MUN/BJ/SIS"}) {
    SCOPED_TRACE(who);
    const AccessDecision d = decide("top-secret", who);
    EXPECT_FALSE(d.allowed);
    EXPECT_EQ(d.rule, "level:top-secret");
    EXPECT_NE(d.reason.find("does not list"), std::string::npos) << d.reason;
  }
}

TEST_F(AccessLevelTest, NoMinimumLevelLeavesTheDecisionToTheRights) {
  EXPECT_TRUE(decide("", "QROO/MUN/BJ/SIS").allowed);
}

TEST_F(AccessLevelTest, TheRightIsCheckedBeforeTheLevel) {
  // A client without a right is refused for that, whatever its level.
  const ServiceCatalog c = catalog("public");
  const AccessDecision d = c.decide(client("QROO/MUN/BJ"), c.services()[0], "GET", "/x", conf_);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.rule, "no-right");
}

TEST_F(AccessLevelTest, TheCatalogRefusesAMinimumLevelThatIsNoCode) {
  const std::vector<std::string> bad_codes = {"con fidential", ".hidden", std::string(65, 'a'), "niv\xc3\xa9l", "a\nb"};
  for (const std::string& bad : bad_codes) {
    SCOPED_TRACE(bad);
    ServiceDefinition d{service("QROO/MUN/BJ/SIS/antecedentes"), "http://127.0.0.1:9000/api", true,
                        std::chrono::milliseconds(1000), {}};
    d.minimum_level = bad;
    auto r = ServiceCatalog::create({d}, {});
    ASSERT_FALSE(r.is_ok());
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
    EXPECT_NE(r.status().message().find("minimum_level"), std::string::npos);
  }
}

}  // namespace
}  // namespace xacbe::ss
