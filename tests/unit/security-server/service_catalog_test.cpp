#include "access/service_catalog.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

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

class ServiceCatalogTest : public ::testing::Test {
 protected:
  // A configuration with one global group: FGE's case system and the municipality.
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
        .global_groups = {{"investigadores", {client("QROO/EST/FGE/SIS"), client("QROO/MUN/BJ/SIS")}}},
        .settings = {},
    };
    return must(globalconf::GlobalConfiguration::create(std::move(c)));
  }

  ServiceCatalog catalog(std::vector<AccessRight> rights, std::vector<Endpoint> endpoints = {}) {
    return must(ServiceCatalog::create(
        {{service("QROO/EST/SSP/SIS/antecedentes"), "http://127.0.0.1:9000/api", true, std::chrono::milliseconds(1000),
          std::move(endpoints)}},
        std::move(rights)));
  }

  ManualClock clock_{TimePoint(seconds(1'800'000'000))};
  TestPki pki_{clock_};
  KeyAndCert ocsp_ = pki_.issue(ca::Profile::kOcspResponder, "OCSP");
  KeyAndCert tsa_ = pki_.issue(ca::Profile::kTimestamping, "TSA");
};

TEST(Endpoint, PatternsMatchLiteralOneSegmentAndTheRest) {
  struct Row {
    Endpoint e;
    std::string method, path;
    bool matches;
  };
  const std::vector<Row> rows = {
      {{"GET", "/personas/*"}, "GET", "/personas/123", true},
      {{"GET", "/personas/*"}, "GET", "/personas/123/foto", false},
      {{"GET", "/personas/*"}, "GET", "/personas", false},
      {{"GET", "/personas/*"}, "POST", "/personas/123", false},
      {{"*", "/personas/**"}, "DELETE", "/personas/1/2/3", true},
      {{"*", "/personas/**"}, "GET", "/personas", true},
      {{"*", "/**"}, "GET", "", true},
      {{"POST", "/consultas"}, "POST", "/consultas", true},
      {{"POST", "/consultas"}, "POST", "/consultas/x", false},
      {{"GET", "/a/*/c"}, "GET", "/a/b/c", true},
      {{"GET", "/a/*/c"}, "GET", "/a/b/d", false},
  };
  for (const auto& r : rows) {
    EXPECT_EQ(r.e.matches(r.method, r.path), r.matches) << r.e.method << " " << r.e.path << " vs " << r.method << " " << r.path;
  }
}

TEST(Endpoint, RefusesBadPatterns) {
  for (const Endpoint& e : std::vector<Endpoint>{{"TRACE", "/x"}, {"GET", "x"}, {"GET", "/**/x"}, {"GET", "/../x"},
                                                 {"GET", "/a b"}, {"get", "/x"}}) {
    EXPECT_FALSE(check_endpoint(e).is_ok()) << e.method << " " << e.path;
  }
}

TEST_F(ServiceCatalogTest, DeniesByDefault) {
  const auto conf = configuration();
  const ServiceCatalog c = catalog({});
  const auto d = c.decide(client("QROO/EST/FGE/SIS"), *c.find(service("QROO/EST/SSP/SIS/antecedentes")), "GET", "/x", conf);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.rule, "no-right");
}

TEST_F(ServiceCatalogTest, GrantsToTheNamedClientOnlyNotToItsMemberOrSiblings) {
  const auto conf = configuration();
  const ServiceCatalog c = catalog({{service("QROO/EST/SSP/SIS/antecedentes"), "QROO/EST/FGE/SIS", std::nullopt}});
  const auto& s = *c.find(service("QROO/EST/SSP/SIS/antecedentes"));
  EXPECT_TRUE(c.decide(client("QROO/EST/FGE/SIS"), s, "GET", "/x", conf).allowed);
  EXPECT_EQ(c.decide(client("QROO/EST/FGE/SIS"), s, "GET", "/x", conf).rule, "right:QROO/EST/FGE/SIS");
  EXPECT_FALSE(c.decide(client("QROO/EST/FGE"), s, "GET", "/x", conf).allowed);
  EXPECT_FALSE(c.decide(client("QROO/MUN/BJ/SIS"), s, "GET", "/x", conf).allowed);
}

TEST_F(ServiceCatalogTest, GrantsToTheClientsOfAGlobalGroup) {
  const auto conf = configuration();
  const ServiceCatalog c = catalog({{service("QROO/EST/SSP/SIS/antecedentes"), "group:investigadores", std::nullopt}});
  const auto& s = *c.find(service("QROO/EST/SSP/SIS/antecedentes"));
  EXPECT_TRUE(c.decide(client("QROO/MUN/BJ/SIS"), s, "GET", "/x", conf).allowed);
  EXPECT_TRUE(c.decide(client("QROO/EST/FGE/SIS"), s, "GET", "/x", conf).allowed);
  EXPECT_FALSE(c.decide(client("QROO/EST/SSP/SIS"), s, "GET", "/x", conf).allowed);
  const ServiceCatalog unknown = catalog({{service("QROO/EST/SSP/SIS/antecedentes"), "group:nadie", std::nullopt}});
  EXPECT_FALSE(unknown.decide(client("QROO/MUN/BJ/SIS"), *unknown.find(service("QROO/EST/SSP/SIS/antecedentes")), "GET",
                              "/x", conf)
                   .allowed);
}

TEST_F(ServiceCatalogTest, ARightForAnEndpointCoversOnlyThatEndpoint) {
  const auto conf = configuration();
  const ServiceCatalog c = catalog(
      {{service("QROO/EST/SSP/SIS/antecedentes"), "QROO/EST/FGE/SIS", Endpoint{"GET", "/personas/*"}}},
      {{"GET", "/personas/*"}, {"POST", "/consultas"}});
  const auto& s = *c.find(service("QROO/EST/SSP/SIS/antecedentes"));
  EXPECT_TRUE(c.decide(client("QROO/EST/FGE/SIS"), s, "GET", "/personas/7", conf).allowed);
  const auto other = c.decide(client("QROO/EST/FGE/SIS"), s, "POST", "/consultas", conf);
  EXPECT_FALSE(other.allowed);
  EXPECT_EQ(other.rule, "no-right");
  const auto none = c.decide(client("QROO/EST/FGE/SIS"), s, "GET", "/otros", conf);
  EXPECT_FALSE(none.allowed);
  EXPECT_EQ(none.rule, "no-endpoint");
}

TEST_F(ServiceCatalogTest, ARightMayRequireOrNameTheRepresentedParty) {
  const auto conf = configuration();
  const auto svc = service("QROO/EST/SSP/SIS/antecedentes");
  const ServiceCatalog c = catalog({{svc, "QROO/EST/FGE/SIS", std::nullopt, "QROO/MUN/BJ"},
                                    {svc, "QROO/MUN/BJ/SIS", std::nullopt, "*"},
                                    {svc, "group:investigadores", Endpoint{"GET", "/publico"}, ""}});
  const auto& s = *c.find(svc);
  // Named party: only on behalf of that party.
  const auto named = c.decide(client("QROO/EST/FGE/SIS"), s, "GET", "/x", conf, "QROO/MUN/BJ");
  EXPECT_TRUE(named.allowed);
  EXPECT_EQ(named.rule, "right:QROO/EST/FGE/SIS");
  EXPECT_NE(named.reason.find("on behalf of QROO/MUN/BJ"), std::string::npos) << named.reason;
  const auto other = c.decide(client("QROO/EST/FGE/SIS"), s, "GET", "/x", conf, "QROO/EST/SSP");
  EXPECT_FALSE(other.allowed);
  EXPECT_EQ(other.rule, "represented-party");
  EXPECT_NE(other.reason.find("QROO/EST/SSP"), std::string::npos) << other.reason;
  const auto itself = c.decide(client("QROO/EST/FGE/SIS"), s, "GET", "/x", conf);
  EXPECT_FALSE(itself.allowed);
  EXPECT_EQ(itself.rule, "represented-party");
  // "*": some party required, any.
  EXPECT_TRUE(c.decide(client("QROO/MUN/BJ/SIS"), s, "GET", "/x", conf, "QROO/EST/SSP").allowed);
  EXPECT_EQ(c.decide(client("QROO/MUN/BJ/SIS"), s, "GET", "/x", conf).rule, "represented-party");
  // A right that says nothing of parties holds with or without one, and another right may allow
  // what a party-bound right refused.
  EXPECT_TRUE(c.decide(client("QROO/EST/FGE/SIS"), s, "GET", "/publico", conf).allowed);
  EXPECT_TRUE(c.decide(client("QROO/EST/FGE/SIS"), s, "GET", "/publico", conf, "QROO/EST/SSP").allowed);
  // No right for the client at all stays "no-right", whatever party it names.
  EXPECT_EQ(c.decide(client("QROO/EST/SSP/SIS"), s, "GET", "/x", conf, "QROO/MUN/BJ").rule, "no-right");
}

TEST_F(ServiceCatalogTest, RefusesBadCatalogs) {
  const auto s = service("QROO/EST/SSP/SIS/antecedentes");
  auto def = [&](std::string url) {
    return ServiceDefinition{s, std::move(url), true, std::chrono::milliseconds(1000), {}};
  };
  EXPECT_FALSE(ServiceCatalog::create({def("http://a/"), def("http://b/")}, {}).is_ok());            // listed twice
  EXPECT_FALSE(ServiceCatalog::create({def("ftp://a/")}, {}).is_ok());                               // bad URL
  EXPECT_FALSE(ServiceCatalog::create({def("http://a/x?y=1")}, {}).is_ok());                         // query in URL
  EXPECT_FALSE(ServiceCatalog::create({def("https://a/")}, {}).is_ok());                             // not yet
  EXPECT_FALSE(ServiceCatalog::create({def("http://a/")}, {{service("QROO/EST/SSP/SIS/otro"), "QROO/EST/FGE", {}}}).is_ok());
  EXPECT_FALSE(ServiceCatalog::create({def("http://a/")}, {{s, "fge", {}}}).is_ok());                // bad subject
  EXPECT_FALSE(ServiceCatalog::create({def("http://a/")}, {{s, "group:", {}}}).is_ok());             // empty group
  EXPECT_FALSE(ServiceCatalog::create({{service("QROO/EST/SSP/SIS/antecedentes/v1"), "http://a/", true,
                                        std::chrono::milliseconds(1000), {}}},
                                      {})
                   .is_ok());  // versioned
  EXPECT_TRUE(ServiceCatalog::create({def("http://a/")}, {{s, "group:investigadores", {}}}).is_ok());
  // A represented party is "*" or a member id.
  EXPECT_FALSE(ServiceCatalog::create({def("http://a/")}, {{s, "QROO/EST/FGE/SIS", {}, "BJ"}}).is_ok());
  EXPECT_FALSE(ServiceCatalog::create({def("http://a/")}, {{s, "QROO/EST/FGE/SIS", {}, "QROO/MUN/BJ/SIS"}}).is_ok());
  EXPECT_FALSE(ServiceCatalog::create({def("http://a/")}, {{s, "QROO/EST/FGE/SIS", {}, "QROO/MUN/B\xc3"}}).is_ok());
  EXPECT_TRUE(ServiceCatalog::create({def("http://a/")}, {{s, "QROO/EST/FGE/SIS", {}, "QROO/MUN/BJ"}}).is_ok());
}

TEST_F(ServiceCatalogTest, ASoapServiceIsGrantedWholeAndHasNoEndpoints) {
  const auto s = service("QROO/EST/SSP/SIS/antecedentes");
  ServiceDefinition soap{s, "http://a/", true, std::chrono::milliseconds(1000), {}, ServiceProtocol::kSoap};
  auto made = ServiceCatalog::create({soap}, {{s, "QROO/EST/FGE/SIS", {}}});
  ASSERT_TRUE(made.is_ok()) << made.status().to_string();
  EXPECT_EQ(made->services()[0].protocol, ServiceProtocol::kSoap);
  // A SOAP call is a POST without path; the right for the whole service covers it.
  EXPECT_TRUE(made->decide(client("QROO/EST/FGE/SIS"), made->services()[0], "POST", "", configuration()).allowed);
  EXPECT_FALSE(made->decide(client("QROO/MUN/BJ/SIS"), made->services()[0], "POST", "", configuration()).allowed);

  // A SOAP service may be versioned; the version is part of its name.
  ServiceDefinition v2{service("QROO/EST/SSP/SIS/antecedentes/v2"), "http://a/v2", true, std::chrono::milliseconds(1000), {},
                       ServiceProtocol::kSoap};
  auto both = ServiceCatalog::create({soap, v2}, {{v2.service, "QROO/EST/FGE/SIS", {}}});
  ASSERT_TRUE(both.is_ok()) << both.status().to_string();
  EXPECT_EQ(both->find(v2.service)->url, "http://a/v2");
  EXPECT_EQ(both->find(s)->url, "http://a/");
  EXPECT_EQ(both->find(service("QROO/EST/SSP/SIS/antecedentes/v3")), nullptr);

  ServiceDefinition with_endpoints = soap;
  with_endpoints.endpoints = {must(parse_endpoint("POST /**"))};
  EXPECT_FALSE(ServiceCatalog::create({with_endpoints}, {}).is_ok());
  EXPECT_FALSE(ServiceCatalog::create({soap}, {{s, "QROO/EST/FGE/SIS", must(parse_endpoint("POST /x"))}}).is_ok());
}

TEST(ServiceProtocolNames, RoundTripAndRefuseOthers) {
  EXPECT_EQ(service_protocol_name(ServiceProtocol::kRest), "rest");
  EXPECT_EQ(service_protocol_name(ServiceProtocol::kSoap), "soap");
  EXPECT_EQ(parse_service_protocol("soap"), ServiceProtocol::kSoap);
  EXPECT_EQ(parse_service_protocol("rest"), ServiceProtocol::kRest);
  EXPECT_FALSE(parse_service_protocol("SOAP").has_value());
  EXPECT_FALSE(parse_service_protocol("").has_value());
}

TEST_F(ServiceCatalogTest, MetaserviceCodesAreReservedInAnyCase) {
  for (const char* code : {"listClients", "listMethods", "allowedMethods", "getOpenAPI", "getWsdl", "LISTMETHODS",
                           "getopenapi"}) {
    const auto s = must(id::ServiceId::parse(std::string("QROO/EST/SSP/SIS/") + code));
    auto created = ServiceCatalog::create({{s, "http://a/", true, std::chrono::milliseconds(1000), {}}}, {});
    ASSERT_FALSE(created.is_ok()) << code;
    EXPECT_NE(created.status().message().find("reserved"), std::string::npos) << created.status().message();
  }
  EXPECT_TRUE(is_reserved_service_code("getWSDL"));
  EXPECT_FALSE(is_reserved_service_code("listMethodsV2"));
  EXPECT_FALSE(is_reserved_service_code("antecedentes"));
}

TEST_F(ServiceCatalogTest, DescriptionUrlIsOptionalAndChecked) {
  const auto s = service("QROO/EST/SSP/SIS/antecedentes");
  auto def = [&](std::string description) {
    ServiceDefinition d{s, "http://a/", true, std::chrono::milliseconds(1000), {}};
    d.description_url = std::move(description);
    return d;
  };
  EXPECT_TRUE(ServiceCatalog::create({def("")}, {}).is_ok());
  EXPECT_TRUE(ServiceCatalog::create({def("http://127.0.0.1:9000/openapi.yaml")}, {}).is_ok());
  EXPECT_TRUE(ServiceCatalog::create({def("http://is.example/docs?format=json")}, {}).is_ok());
  EXPECT_FALSE(ServiceCatalog::create({def("ftp://a/openapi.json")}, {}).is_ok());
  EXPECT_FALSE(ServiceCatalog::create({def("https://a/openapi.json")}, {}).is_ok());  // not yet, like url
  EXPECT_FALSE(ServiceCatalog::create({def("openapi.json")}, {}).is_ok());
  EXPECT_FALSE(ServiceCatalog::create({def("http://a/open api.json")}, {}).is_ok());
  EXPECT_FALSE(ServiceCatalog::create({def("http://a/\x01")}, {}).is_ok());
  EXPECT_FALSE(ServiceCatalog::create({def("http://a/\xc3\xa9")}, {}).is_ok());
  EXPECT_FALSE(ServiceCatalog::create({def("http://a/" + std::string(kMaxDescriptionUrlBytes, 'x'))}, {}).is_ok());
}

}  // namespace
}  // namespace xacbe::ss
