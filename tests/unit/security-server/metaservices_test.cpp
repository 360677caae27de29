#include "exchange/metaservices.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "support/test_pki.hpp"
#include "xacbe/globalconf/global_configuration.hpp"

namespace xacbe::ss {
namespace {

using Json = nlohmann::json;
using std::chrono::seconds;
using testing::KeyAndCert;
using testing::TestPki;

template <typename T>
T must(Result<T> r) {
  if (!r) throw std::runtime_error(r.status().to_string());
  return std::move(r).value();
}

id::ClientId client(const std::string& s) { return must(id::ClientId::parse(s)); }
id::ServiceId service(const std::string& s) { return must(id::ServiceId::parse(s)); }
Endpoint endpoint(const std::string& text) { return must(parse_endpoint(text)); }

const char* const kProvider = "QROO/EST/SSP/SIS";
std::string of_provider(const std::string& code) { return std::string(kProvider) + "/" + code; }

// A service's allowed endpoints as "CODE METHOD /path" lines, sorted.
std::set<std::string> lines(const std::vector<ServiceEndpoints>& services) {
  std::set<std::string> out;
  for (const auto& s : services) {
    for (const auto& e : s.endpoints) out.insert(s.service.service() + " " + to_string(e));
  }
  return out;
}

class MetaservicesTest : public ::testing::Test {
 protected:
  globalconf::GlobalConfiguration configuration() {
    const std::chrono::sys_seconds created{seconds(1'800'000'000)};
    globalconf::ConfigurationContent c{
        .instance = "QROO",
        .version = 7,
        .created_at = created,
        .expires_at = created + std::chrono::hours(24),
        .members = {{must(id::MemberId::parse("QROO/EST/FGE")), "Fiscalía General"},
                    {must(id::MemberId::parse("QROO/EST/SSP")), "SSP"},
                    {must(id::MemberId::parse("QROO/MUN/BJ")), "Benito Juárez"},
                    {must(id::MemberId::parse("QROO/EST/CAM")), "CAM"}},
        .subsystems = {{must(id::SubsystemId::parse("QROO/EST/FGE/SIS"))},
                       {must(id::SubsystemId::parse("QROO/EST/FGE/OTRO"))},
                       {must(id::SubsystemId::parse("QROO/EST/SSP/SIS"))},
                       {must(id::SubsystemId::parse("QROO/EST/SSP/OTRO"))},
                       {must(id::SubsystemId::parse("QROO/MUN/BJ/SIS"))},
                       {must(id::SubsystemId::parse("QROO/EST/CAM/SIS"))}},
        .security_servers = {},
        .ca = {pki_.root(), {"http://ocsp.example/"}, {ocsp_.cert}},
        .tsa = {"http://tsa.example/", tsa_.cert},
        .global_groups = {{"investigadores", {client("QROO/EST/FGE/SIS"), client("QROO/MUN/BJ/SIS")}}},
        .settings = {},
    };
    return must(globalconf::GlobalConfiguration::create(std::move(c)));
  }

  static ServiceDefinition def(const std::string& id, std::vector<std::string> endpoints, bool enabled = true,
                               std::string description_url = {}) {
    ServiceDefinition d{service(id), "http://127.0.0.1:9000/api", enabled, std::chrono::milliseconds(1000), {}};
    d.description_url = std::move(description_url);
    for (const auto& e : endpoints) d.endpoints.push_back(endpoint(e));
    return d;
  }
  static AccessRight right(const std::string& id, const std::string& subject, const std::string& e = {}) {
    AccessRight r{service(id), subject, std::nullopt};
    if (!e.empty()) r.endpoint = endpoint(e);
    return r;
  }

  // The table of grants: several clients, a global group, whole-service rights, endpoint rights
  // with patterns, a right narrower than its endpoint, a disabled service, a service of another
  // subsystem, rights for other clients.
  ServiceCatalog catalog() {
    const std::string antecedentes = of_provider("antecedentes"), vehiculos = of_provider("vehiculos"),
                      licencias = of_provider("licencias"), archivo = of_provider("archivo");
    return must(ServiceCatalog::create(
        {def(antecedentes, {"GET /personas/*", "POST /consultas", "* /fotos/**"}, true, "http://127.0.0.1:9000/openapi.json"),
         def(vehiculos, {}),
         def(licencias, {"GET /licencias/*/estado", "DELETE /licencias/*"}),
         def(archivo, {"GET /**"}, false, "http://127.0.0.1:9000/archivo.json"),
         def("QROO/EST/SSP/OTRO/padron", {})},
        {right(antecedentes, "QROO/EST/FGE/SIS", "GET /personas/*"),
         right(antecedentes, "group:investigadores", "* /fotos/**"),
         right(antecedentes, "QROO/MUN/BJ/SIS", "GET /personas/123"),  // narrower than its endpoint
         right(antecedentes, "QROO/EST/FGE/SIS", "GET /fotos/**"),
         right(antecedentes, "QROO/EST/FGE/OTRO"),                   // whole service, another subsystem of FGE
         right(antecedentes, "QROO/MUN/BJ", "GET /fotos/*"),          // one depth of a "**" endpoint only
         right(vehiculos, "group:investigadores"),
         right(vehiculos, "QROO/EST/FGE"),  // the member, not its subsystems
         right(licencias, "QROO/EST/FGE/SIS"),
         right(licencias, "QROO/MUN/BJ/SIS", "* /licencias/*"),
         right(archivo, "QROO/EST/FGE/SIS"),
         right("QROO/EST/SSP/OTRO/padron", "QROO/EST/FGE/SIS")}));
  }

  ManualClock clock_{TimePoint(seconds(1'800'000'000))};
  TestPki pki_{clock_};
  KeyAndCert ocsp_ = pki_.issue(ca::Profile::kOcspResponder, "OCSP");
  KeyAndCert tsa_ = pki_.issue(ca::Profile::kTimestamping, "TSA");
};

TEST_F(MetaservicesTest, AllowedMethodsOverATableOfGrants) {
  const auto conf = configuration();
  const auto c = catalog();
  const id::SubsystemId provider = must(id::SubsystemId::parse(kProvider));
  const std::map<std::string, std::set<std::string>> expected = {
      {"QROO/EST/FGE/SIS",
       {"antecedentes GET /personas/*", "antecedentes * /fotos/**", "vehiculos * /**", "licencias GET /licencias/*/estado",
        "licencias DELETE /licencias/*"}},
      {"QROO/MUN/BJ/SIS", {"antecedentes * /fotos/**", "vehiculos * /**", "licencias DELETE /licencias/*"}},
      {"QROO/EST/FGE/OTRO", {"antecedentes GET /personas/*", "antecedentes POST /consultas", "antecedentes * /fotos/**"}},
      {"QROO/EST/FGE", {"vehiculos * /**"}},
      {"QROO/MUN/BJ", {}},
      {"QROO/EST/CAM/SIS", {}},
  };
  for (const auto& [who, want] : expected) {
    EXPECT_EQ(lines(allowed_methods(c, provider, client(who), conf)), want) << who;
  }
}

// The same answer checked against decide() itself, with concrete calls: every call an allowed
// endpoint matches is allowed, and an endpoint left out has a call decide() refuses.
TEST_F(MetaservicesTest, AllowedMethodsAgreesWithDecideOnConcreteCalls) {
  const auto conf = configuration();
  const auto c = catalog();
  const id::SubsystemId provider = must(id::SubsystemId::parse(kProvider));
  // Concrete paths for a pattern: "*" as 123 or abc, "**" as nothing or one to five segments.
  auto concrete = [](const std::string& pattern) {
    std::vector<std::string> out = {""};
    std::string p = pattern.substr(1);
    std::vector<std::string> segments;
    for (std::size_t start = 0; start <= p.size();) {
      const std::size_t end = std::min(p.find('/', start), p.size());
      segments.push_back(p.substr(start, end - start));
      start = end + 1;
    }
    for (const auto& s : segments) {
      std::vector<std::string> next;
      for (const auto& prefix : out) {
        if (s == "*") {
          next.push_back(prefix + "/123");
          next.push_back(prefix + "/abc");
        } else if (s == "**") {
          for (const char* rest : {"", "/x", "/123", "/x/y", "/a/b/c/d/e"}) next.push_back(prefix + rest);
        } else {
          next.push_back(prefix + "/" + s);
        }
      }
      out = std::move(next);
    }
    for (auto& path : out) {
      if (path.empty()) path = "/";
    }
    return out;
  };
  const std::vector<std::string> methods = {"GET", "POST", "PUT", "PATCH", "DELETE"};
  int probes = 0;
  for (const char* who : {"QROO/EST/FGE/SIS", "QROO/MUN/BJ/SIS", "QROO/EST/FGE/OTRO", "QROO/EST/FGE", "QROO/MUN/BJ",
                          "QROO/EST/CAM/SIS"}) {
    const auto allowed = allowed_methods(c, provider, client(who), conf);
    for (const auto& listed : list_methods(c, provider)) {
      const ServiceDefinition& s = *c.find(listed.service);
      for (const auto& e : listed.endpoints) {
        for (const auto& m : methods) {
          if (e.method != "*" && e.method != m) continue;
          bool is_listed = false;
          for (const auto& a : allowed) {
            for (const auto& x : a.endpoints) {
              if (a.service == listed.service && x.path == e.path && (x.method == "*" || x.method == m)) is_listed = true;
            }
          }
          int refused = 0;
          for (const auto& path : concrete(e.path)) {
            ++probes;
            if (!c.decide(client(who), s, m, path, conf).allowed) ++refused;
          }
          if (is_listed) {
            EXPECT_EQ(refused, 0) << who << " " << listed.service << " " << m << " " << e.path;
          } else {
            EXPECT_GT(refused, 0) << who << " " << listed.service << " " << m << " " << e.path;
          }
        }
      }
    }
  }
  EXPECT_EQ(probes, 342);  // every endpoint and method of the table, for each client
}

TEST_F(MetaservicesTest, ListMethodsLeavesOutDisabledServicesAndOtherSubsystems) {
  const auto c = catalog();
  const auto listed = list_methods(c, must(id::SubsystemId::parse(kProvider)));
  EXPECT_EQ(lines(listed), (std::set<std::string>{"antecedentes GET /personas/*", "antecedentes POST /consultas",
                                                  "antecedentes * /fotos/**", "vehiculos * /**",
                                                  "licencias GET /licencias/*/estado", "licencias DELETE /licencias/*"}));
  const Json j = Json::parse(services_json(listed));
  ASSERT_EQ(j["services"].size(), 3u);
  EXPECT_EQ(j["services"][0]["id"], of_provider("antecedentes"));
  EXPECT_EQ(j["services"][0]["service_code"], "antecedentes");
  EXPECT_EQ(j["services"][0]["has_description"], true);
  EXPECT_EQ(j["services"][0]["endpoints"][0], (Json{{"method", "GET"}, {"path", "/personas/*"}}));
  EXPECT_EQ(j["services"][1]["has_description"], false);
}

TEST_F(MetaservicesTest, MetaserviceDecisions) {
  const auto conf = configuration();
  const auto c = catalog();
  const std::map<id::ClientId, ClientSettings> clients = {{client(kProvider), ClientSettings{}}};
  auto head = [](const std::string& code, const std::string& who, std::string method = "GET", std::string path = "",
                 std::string query = "") {
    return RequestHead{client(who), service(of_provider(code)), "m-1", "", "", std::move(method), std::move(path),
                       std::move(query), {}, "r-1"};
  };
  struct Row {
    RequestHead head;
    bool allowed;
    FaultCode code;
  };
  const std::vector<Row> rows = {
      {head("listMethods", "QROO/EST/CAM/SIS"), true, {}},
      {head("allowedMethods", "QROO/EST/CAM/SIS", "GET", "/"), true, {}},
      {head("getOpenAPI", "QROO/EST/FGE/SIS", "GET", "", "serviceCode=antecedentes"), true, {}},
      {head("listMethods", "QROO/EST/FGE/SIS", "POST"), false, FaultCode::kUnknownService},
      {head("listMethods", "QROO/EST/FGE/SIS", "GET", "/x"), false, FaultCode::kUnknownService},
      {head("listMethods", "QROO/EST/FGE/SIS", "GET", "", "a=b"), false, FaultCode::kUnknownService},
      {head("getOpenAPI", "QROO/EST/FGE/SIS"), false, FaultCode::kUnknownService},
      {head("getOpenAPI", "QROO/EST/FGE/SIS", "GET", "", "serviceCode="), false, FaultCode::kUnknownService},
      {head("getOpenAPI", "QROO/EST/FGE/SIS", "GET", "", "serviceCode=a&serviceCode=b"), false, FaultCode::kUnknownService},
      {head("getOpenAPI", "QROO/EST/FGE/SIS", "GET", "", "serviceCode=..%2F"), false, FaultCode::kUnknownService},
      {head("getOpenAPI", "QROO/EST/FGE/SIS", "GET", "", "serviceCode=nada"), false, FaultCode::kUnknownService},
      {head("getOpenAPI", "QROO/EST/FGE/SIS", "GET", "", "serviceCode=archivo"), false, FaultCode::kServiceDisabled},
      {head("getOpenAPI", "QROO/EST/FGE/SIS", "GET", "", "serviceCode=vehiculos"), false, FaultCode::kUnknownService},
      {head("getOpenAPI", "QROO/EST/CAM/SIS", "GET", "", "serviceCode=antecedentes"), false, FaultCode::kAccessDenied},
      // Only GET /personas/123: no endpoint as a whole, so no description.
      {head("getOpenAPI", "QROO/MUN/BJ", "GET", "", "serviceCode=antecedentes"), false, FaultCode::kAccessDenied},
  };
  for (const auto& row : rows) {
    FaultCode code = FaultCode::kInternalError;
    const AccessDecision d = decide_metaservice(row.head, c, clients, conf, &code);
    const std::string what = row.head.service.to_string() + " " + row.head.method + " " + row.head.path + "?" +
                             row.head.query + " by " + row.head.client.to_string();
    EXPECT_EQ(d.allowed, row.allowed) << what << ": " << d.reason;
    if (!row.allowed) {
      EXPECT_EQ(fault_code_name(code), fault_code_name(row.code)) << what << ": " << d.reason;
    }
  }
  // The allowing right is named in the decision record.
  FaultCode code;
  EXPECT_EQ(decide_metaservice(head("getOpenAPI", "QROO/EST/FGE/SIS", "GET", "", "serviceCode=antecedentes"), c, clients,
                               conf, &code)
                .rule,
            "right:QROO/EST/FGE/SIS");
  // A subsystem that is not a client of this server.
  const std::map<id::ClientId, ClientSettings> none;
  EXPECT_FALSE(decide_metaservice(head("listMethods", "QROO/EST/FGE/SIS"), c, none, conf, &code).allowed);
  EXPECT_EQ(code, FaultCode::kUnknownService);
}

TEST_F(MetaservicesTest, OnlyTheReservedCodesAreMetaservices) {
  EXPECT_TRUE(metaservice_definition(service(of_provider("listMethods"))).has_value());
  EXPECT_TRUE(metaservice_definition(service(of_provider("allowedMethods"))).has_value());
  EXPECT_TRUE(metaservice_definition(service(of_provider("getOpenAPI"))).has_value());
  EXPECT_TRUE(metaservice_definition(service(of_provider("getWsdl"))).has_value());
  EXPECT_FALSE(metaservice_definition(service(of_provider("listClients"))).has_value());  // the client's server's
  EXPECT_FALSE(metaservice_definition(service(of_provider("listmethods"))).has_value());
  EXPECT_FALSE(metaservice_definition(service(of_provider("antecedentes"))).has_value());
  EXPECT_FALSE(metaservice_definition(service(of_provider("listMethods") + "/v1")).has_value());
}

TEST_F(MetaservicesTest, ListClientsNamesMembersAndSubsystems) {
  EXPECT_EQ(list_clients_instance("GET", "/r1/QROO/listClients"), "QROO");
  EXPECT_EQ(list_clients_instance("GET", "/r1/QROO-TEST/listClients"), "QROO-TEST");
  for (const char* bad : {"/r1/QROO/listClients/", "/r1/QROO/listClients?x=1", "/r1/qroo/listClients", "/r1//listClients",
                          "/r1/QROO/EST/listClients", "/r2/QROO/listClients", "/r1/QROO/listclients", "/r1/listClients"}) {
    EXPECT_FALSE(list_clients_instance("GET", bad).has_value()) << bad;
  }
  EXPECT_FALSE(list_clients_instance("POST", "/r1/QROO/listClients").has_value());

  const auto conf = configuration();
  const Json j = Json::parse(must(list_clients("QROO", conf)));
  EXPECT_EQ(j["instance"], "QROO");
  EXPECT_EQ(j["configuration_version"], 7);
  ASSERT_EQ(j["clients"].size(), 10u);
  EXPECT_EQ(j["clients"][0], (Json{{"id", "QROO/EST/FGE"}, {"kind", "member"}, {"name", "Fiscalía General"}}));
  EXPECT_EQ(j["clients"][1], (Json{{"id", "QROO/EST/FGE/SIS"}, {"kind", "subsystem"}, {"name", "Fiscalía General"}}));
  EXPECT_EQ(j["clients"][2]["id"], "QROO/EST/FGE/OTRO");
  EXPECT_EQ(list_clients("QROO-TEST", conf).status().code(), Code::kNotFound);
}

}  // namespace
}  // namespace xacbe::ss
