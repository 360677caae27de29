// The security server's admin API driven in process: the routes over a real ServiceStore and
// ServiceAdmin, with the rest of the server supplied through AdminSources.

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>

#include "admin/admin_routes.hpp"
#include "admin/operational_routes.hpp"
#include "exchange/exchange_metrics.hpp"
#include "admin/register_routes.hpp"
#include "admin/request_log.hpp"
#include "support/openapi.hpp"
#include "support/temp_dir.hpp"
#include "support/test_pki.hpp"
#include "xacbe/crypto/encoding.hpp"
#include "xacbe/store/database.hpp"

namespace xacbe::ss {
namespace {

using Json = nlohmann::json;

const std::string kAdminToken = "admin-token";
const std::string kAuditorToken = "auditor-token";
const std::string kProvider = "QROO/EST/SSP/PLATAFORMA";
const std::string kFileService = "QROO/EST/SSP/PLATAFORMA/consultaVehiculo";
const std::string kApiService = "QROO/EST/SSP/PLATAFORMA/consultaLicencia";
const std::string kCaller = "QROO/EST/FGE/SIGEP";

std::string hash_of(const std::string& token) { return crypto::to_hex(crypto::sha256(token)); }

struct Reply {
  int status = 0;
  Json json;
  std::string code() const { return json.contains("error") ? json["error"].value("code", "") : ""; }
};

class AdminApiTest : public ::testing::Test {
 protected:
  AdminApiTest() : clock_(from_unix_seconds(1'780'000'000)), pki_(clock_) {
    clients_[*id::ClientId::parse(kProvider)] = ClientSettings{ConnectionMode::kHttp, {}, true, false};
    clients_[*id::ClientId::parse(kCaller)] = ClientSettings{ConnectionMode::kHttpsCertificate, {std::string(64, 'a')},
                                                             false, true};
    file_service_.service = *id::ServiceId::parse(kFileService);
    file_service_.url = "http://127.0.0.1:9000/api/";
    file_right_ = AccessRight{file_service_.service, kCaller, std::nullopt, {}};
    auth_ = pki_.issue(ca::Profile::kAuthentication, "SS1").cert;
    open();
  }

  // (Re)opens the store and builds the API over it, as a restart of the server would.
  void open() {
    api_.reset();
    admin_.reset();
    auto store = ServiceStore::open(dir_.file("server.db"));
    ASSERT_TRUE(store.is_ok()) << store.status().to_string();
    auto admin = ServiceAdmin::create(clients_, {file_service_}, {file_right_}, std::move(store).value(),
                                      [this](std::shared_ptr<const ServiceCatalog> c) { installed_ = std::move(c); });
    ASSERT_TRUE(admin.is_ok()) << admin.status().to_string();
    admin_ = std::move(admin).value();
    sources_.status = [this] { return status_; };
    sources_.certificates = [this] {
      return std::vector<OwnCertificate>{{"authentication", std::nullopt, auth_},
                                         {"signing", *id::MemberId::parse("QROO/EST/SSP"), auth_}};
    };
    sources_.clients = [this] {
      std::vector<ClientStatus> out;
      for (const auto& [client, c] : clients_) out.push_back({client, c, client.to_string() == kProvider});
      return out;
    };
    sources_.decisions = [this](std::int64_t after, int limit) -> Result<std::vector<StoredDecision>> {
      decisions_asked_ = {after, limit};
      return std::vector<StoredDecision>{{7, clock_.now(), {RecordSide::kProvider, kCaller, kFileService, "m-1",
                                                             "QROO/EST/FGE/SS9", false, "no-right", "no access right"}}};
    };
    api_ = std::make_unique<api::AdminApi>(
        std::vector<api::ApiUser>{{"ana", api::Role::kAdministrator, hash_of(kAdminToken)},
                                  {"luis", api::Role::kAuditor, hash_of(kAuditorToken)}},
        std::make_unique<AdminRequestLog>(clock_));
    sources_.exchange_metrics = [this](metrics::TextWriter& out) { exchanges_.write(out); };
    add_admin_routes(*api_, sources_, *admin_, clock_);
    if (!register_) {
      auto reg = QueryRegister::open(dir_.file("register.db"), clock_);
      ASSERT_TRUE(reg.is_ok()) << reg.status().to_string();
      register_ = std::move(reg).value();
    }
    accesses_.reset();
    auto accesses = RegisterAccessLog::open(dir_.file("server.db"), clock_);
    ASSERT_TRUE(accesses.is_ok()) << accesses.status().to_string();
    accesses_ = std::move(accesses).value();
    add_register_routes(*api_, *register_, *accesses_, readers_);
    add_export_route(*api_, *register_, *accesses_, readers_, "QROO/EST/SSP/SS1", clock_);
    if (!operational_) {
      auto operational = OperationalLog::open(dir_.file("operational.db"), clock_);
      ASSERT_TRUE(operational.is_ok()) << operational.status().to_string();
      operational_ = std::move(operational).value();
    }
    add_operational_routes(*api_, *operational_, readers_);
  }

  Reply call(const std::string& method, const std::string& target, const std::string& body = "",
             const std::string& token = kAdminToken) {
    net::HttpRequest request;
    request.method = method;
    request.target = target;
    request.body = body;
    if (!token.empty()) request.headers.emplace_back("Authorization", "Bearer " + token);
    if (!body.empty()) request.headers.emplace_back("Content-Type", "application/json");
    const net::HttpResponse response = api_->handle(request);
    Reply r{response.status, Json::parse(response.body, nullptr, false)};
    return r;
  }
  Reply post(const std::string& target, const Json& body, const std::string& token = kAdminToken) {
    return call("POST", target, body.dump(), token);
  }

  // What the next request would run with, as the exchange sees it.
  bool catalog_has(const std::string& service) const {
    return installed_ && installed_->find(*id::ServiceId::parse(service)) != nullptr;
  }
  bool catalog_grants(const std::string& subject, const std::string& service) const {
    if (!installed_) return false;
    const auto& rights = installed_->rights();
    return std::any_of(rights.begin(), rights.end(), [&](const AccessRight& r) {
      return r.subject == subject && r.service.to_string() == service;
    });
  }

  Json api_service() const {
    return {{"id", kApiService},
            {"url", "http://10.0.0.7:8080/licencias/"},
            {"enabled", true},
            {"timeout_ms", 5000},
            {"endpoints", {"GET /licencias/*", "POST /consultas"}}};
  }

  ManualClock clock_;
  testing::TempDir dir_;
  testing::TestPki pki_;
  std::map<id::ClientId, ClientSettings> clients_;
  ServiceDefinition file_service_{*id::ServiceId::parse(kFileService), "", true, std::chrono::milliseconds(30000), {}};
  AccessRight file_right_{*id::ServiceId::parse(kFileService), "", std::nullopt};
  crypto::Certificate auth_ = pki_.root();
  // A server that runs: configuration 12 in use, one fresh OCSP response (serial 0A), a TSA, and
  // three records waiting for their timestamp with an hour left.
  void set_running_status() {
    const auto now = to_sys_seconds(clock_.now());
    status_.global_configuration.version = 12;
    status_.global_configuration.created_at = now - std::chrono::seconds(300);
    status_.global_configuration.expires_at = now + std::chrono::hours(24);
    crypto::OcspCacheEntryState entry;
    entry.subject = "CN=SS1";
    entry.serial_hex = "0A";
    entry.status = crypto::CertStatus::Kind::kGood;
    entry.produced_at = now - std::chrono::seconds(40);
    entry.response_age = std::chrono::seconds(40);
    entry.fresh = true;
    status_.ocsp = std::vector<crypto::OcspCacheEntryState>{entry};
    status_.tsa_url = "http://tsa.example/";
    status_.register_stats.records = 10;
    status_.register_stats.untimestamped = 3;
    status_.register_stats.oldest_untimestamped_deadline = now + std::chrono::hours(1);
    status_.admission_margin = std::chrono::seconds(900);
  }

  ServerStatus status_;
  ExchangeMetrics exchanges_;
  std::pair<std::int64_t, int> decisions_asked_{-1, -1};
  std::shared_ptr<const ServiceCatalog> installed_;
  std::unique_ptr<ServiceAdmin> admin_;
  AdminSources sources_;
  std::unique_ptr<QueryRegister> register_;
  std::unique_ptr<RegisterAccessLog> accesses_;
  std::unique_ptr<OperationalLog> operational_;
  RegisterReaders readers_;
  std::unique_ptr<api::AdminApi> api_;
};

TEST_F(AdminApiTest, RefusesRequestsWithoutAValidToken) {
  for (const std::string& token : {std::string(), std::string("not-a-token")}) {
    const Reply r = call("GET", "/api/v1/status", "", token);
    EXPECT_EQ(r.status, 401);
    EXPECT_EQ(r.code(), "UNAUTHENTICATED");
  }
}

TEST_F(AdminApiTest, AuditorReadsButCannotChange) {
  for (const char* path : {"/api/v1/status", "/api/v1/certificates", "/api/v1/clients", "/api/v1/services",
                           "/api/v1/access-rights", "/api/v1/decisions"}) {
    EXPECT_EQ(call("GET", path, "", kAuditorToken).status, 200) << path;
  }
  const Reply added = post("/api/v1/services", api_service(), kAuditorToken);
  EXPECT_EQ(added.status, 403);
  EXPECT_EQ(added.code(), "PERMISSION_DENIED");
  EXPECT_EQ(post("/api/v1/access-rights", {{"subject", kCaller}, {"service", kFileService}}, kAuditorToken).status, 403);
  EXPECT_EQ(call("DELETE", "/api/v1/services/QROO/EST/SSP/PLATAFORMA/consultaVehiculo", "", kAuditorToken).status, 403);
  EXPECT_FALSE(catalog_has(kApiService));
}

TEST_F(AdminApiTest, StatusShowsConfigurationOcspRegisterAndListeners) {
  set_running_status();
  status_.server_id = "QROO/EST/SSP/SS1";
  status_.global_configuration.last_refresh = unavailable("registry down");
  status_.register_stats.last_timestamp_error = "TSA timeout";
  status_.register_stats.decisions_dropped = 2;
  status_.listeners = {{"client", "http", "127.0.0.1", 8080}, {"admin", "http", "127.0.0.1", 8081}};
  OperationalStats operational;
  operational.queued = 4;
  operational.capacity = 10000;
  operational.written = 120;
  operational.dropped = 7;
  status_.operational = operational;

  const Reply r = call("GET", "/api/v1/status");
  ASSERT_EQ(r.status, 200) << r.json.dump();
  EXPECT_EQ(r.json["server"], "QROO/EST/SSP/SS1");
  const Json& g = r.json["global_configuration"];
  EXPECT_EQ(g["in_use"], true);
  EXPECT_EQ(g["version"], 12);
  EXPECT_EQ(g["age_seconds"], 300);
  EXPECT_EQ(g["stored_copy_status"], "ok");
  EXPECT_NE(g["last_refresh_error"].get<std::string>().find("registry down"), std::string::npos);
  const Json& ocsp = r.json["ocsp"];
  EXPECT_EQ(ocsp["available"], true);
  ASSERT_EQ(ocsp["certificates"].size(), 1u);
  EXPECT_EQ(ocsp["certificates"][0]["status"], "good");
  EXPECT_EQ(ocsp["certificates"][0]["age_seconds"], 40);
  EXPECT_EQ(ocsp["certificates"][0]["fresh"], true);
  EXPECT_TRUE(ocsp["certificates"][0]["last_error"].is_null());
  EXPECT_EQ(r.json["timestamping"]["tsa_url"], "http://tsa.example/");
  EXPECT_EQ(r.json["timestamping"]["last_error"], "TSA timeout");
  const Json& reg = r.json["register"];
  EXPECT_EQ(reg["records"], 10);
  EXPECT_EQ(reg["untimestamped"], 3);
  EXPECT_EQ(reg["seconds_to_deadline"], 3600);
  EXPECT_EQ(reg["seconds_left_before_refusal"], 3600 - 900);
  EXPECT_EQ(reg["admitting"], true);
  EXPECT_EQ(reg["decisions_dropped"], 2);
  const Json& op = r.json["operational_records"];
  EXPECT_EQ(op["queued"], 4);
  EXPECT_EQ(op["capacity"], 10000);
  EXPECT_EQ(op["written"], 120);
  EXPECT_EQ(op["dropped"], 7);
  EXPECT_EQ(op["write_failed"], 0);
  ASSERT_EQ(r.json["listeners"].size(), 2u);
  EXPECT_EQ(r.json["listeners"][1]["name"], "admin");
  EXPECT_EQ(r.json["listeners"][1]["port"], 8081);
}

TEST_F(AdminApiTest, StatusSaysWhyThereIsNoConfigurationOrOcsp) {
  status_.global_configuration.unavailable = "no global configuration";
  status_.global_configuration.stored_copy = failed_precondition("expired");
  status_.register_stats.oldest_untimestamped_deadline = to_sys_seconds(clock_.now()) + std::chrono::seconds(60);
  status_.admission_margin = std::chrono::seconds(900);
  const Reply r = call("GET", "/api/v1/status");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.json["global_configuration"]["in_use"], false);
  EXPECT_TRUE(r.json["global_configuration"]["version"].is_null());
  EXPECT_EQ(r.json["global_configuration"]["unavailable"], "no global configuration");
  EXPECT_NE(r.json["global_configuration"]["stored_copy_status"].get<std::string>().find("expired"), std::string::npos);
  EXPECT_EQ(r.json["ocsp"]["available"], false);
  EXPECT_TRUE(r.json["ocsp"]["certificates"].empty());
  EXPECT_EQ(r.json["register"]["seconds_left_before_refusal"], 60 - 900);
  EXPECT_EQ(r.json["register"]["admitting"], false);
  EXPECT_TRUE(r.json["operational_records"].is_null());
}

TEST_F(AdminApiTest, CertificatesClientsAndDecisionsHaveTheirShape) {
  const Reply certs = call("GET", "/api/v1/certificates", "", kAuditorToken);
  ASSERT_EQ(certs.status, 200);
  ASSERT_EQ(certs.json["certificates"].size(), 2u);
  const Json& auth = certs.json["certificates"][0];
  EXPECT_EQ(auth["usage"], "authentication");
  EXPECT_TRUE(auth["member"].is_null());
  EXPECT_EQ(auth["sha256"], auth_.sha256_fingerprint());
  EXPECT_EQ(auth["serial"], auth_.serial_hex());
  EXPECT_EQ(auth["pem"], auth_.pem());
  EXPECT_EQ(auth["not_after"], to_iso8601_utc(auth_.not_after()));
  EXPECT_EQ(certs.json["certificates"][1]["member"], "QROO/EST/SSP");

  const Reply clients = call("GET", "/api/v1/clients", "", kAuditorToken);
  ASSERT_EQ(clients.status, 200);
  ASSERT_EQ(clients.json["clients"].size(), 2u);
  for (const Json& c : clients.json["clients"]) {
    if (c["id"] == kProvider) {
      EXPECT_EQ(c["connection"], "http");
      EXPECT_EQ(c["registered"], true);
      EXPECT_EQ(c["log_body"], true);
    } else {
      EXPECT_EQ(c["connection"], "https-certificate");
      EXPECT_EQ(c["registered"], false);
      EXPECT_EQ(c["timestamp_at_once"], true);
      EXPECT_EQ(c["certificates"].size(), 1u);
    }
  }

  const Reply decisions = call("GET", "/api/v1/decisions?after=5&limit=20", "", kAuditorToken);
  ASSERT_EQ(decisions.status, 200);
  EXPECT_EQ(decisions_asked_, std::make_pair(std::int64_t{5}, 20));
  ASSERT_EQ(decisions.json["decisions"].size(), 1u);
  EXPECT_EQ(decisions.json["decisions"][0]["id"], 7);
  EXPECT_EQ(decisions.json["decisions"][0]["allowed"], false);
  EXPECT_EQ(decisions.json["decisions"][0]["rule"], "no-right");
  EXPECT_EQ(decisions.json["decisions"][0]["side"], "provider");
  EXPECT_EQ(call("GET", "/api/v1/decisions?limit=5000").status, 400);
  EXPECT_EQ(call("GET", "/api/v1/decisions?after=x").status, 400);
}

TEST_F(AdminApiTest, AddedServiceAndRightAreInTheNextCatalog) {
  ASSERT_TRUE(catalog_has(kFileService));
  const Reply added = post("/api/v1/services", api_service());
  ASSERT_EQ(added.status, 201) << added.json.dump();
  EXPECT_EQ(added.json["origin"], "api");
  EXPECT_TRUE(catalog_has(kApiService));
  EXPECT_TRUE(catalog_has(kFileService));
  const ServiceDefinition* d = installed_->find(*id::ServiceId::parse(kApiService));
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->timeout, std::chrono::milliseconds(5000));
  EXPECT_TRUE(d->endpoints[0].matches("GET", "/licencias/ABC123"));

  const Reply right = post("/api/v1/access-rights", {{"subject", kCaller}, {"service", kApiService},
                                                     {"endpoint", "GET /licencias/*"}});
  ASSERT_EQ(right.status, 201) << right.json.dump();
  EXPECT_TRUE(catalog_grants(kCaller, kApiService));

  const Reply services = call("GET", "/api/v1/services");
  ASSERT_EQ(services.json["services"].size(), 2u);
  EXPECT_EQ(services.json["services"][0]["id"], kFileService);
  EXPECT_EQ(services.json["services"][0]["origin"], "file");
  EXPECT_EQ(services.json["services"][1]["id"], kApiService);
  EXPECT_EQ(services.json["services"][1]["endpoints"], Json({"GET /licencias/*", "POST /consultas"}));
  const Reply rights = call("GET", "/api/v1/access-rights");
  ASSERT_EQ(rights.json["access_rights"].size(), 2u);
  EXPECT_EQ(rights.json["access_rights"][1]["endpoint"], "GET /licencias/*");
  EXPECT_TRUE(rights.json["access_rights"][0]["endpoint"].is_null());
}

TEST_F(AdminApiTest, ASoapServiceIsAddedWithItsProtocol) {
  Json soap = {{"id", "QROO/EST/SSP/PLATAFORMA/consultaSoap"}, {"url", "http://10.0.0.7:8080/soap"}, {"protocol", "soap"}};
  const Reply added = post("/api/v1/services", soap);
  ASSERT_EQ(added.status, 201) << added.json.dump();
  EXPECT_EQ(added.json["protocol"], "soap");
  const ServiceDefinition* d = installed_->find(*id::ServiceId::parse("QROO/EST/SSP/PLATAFORMA/consultaSoap"));
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->protocol, ServiceProtocol::kSoap);
  const Reply services = call("GET", "/api/v1/services");
  EXPECT_EQ(services.json["services"][0]["protocol"], "rest");
  EXPECT_EQ(services.json["services"][1]["protocol"], "soap");
  open();  // a restart: the store kept the protocol
  const ServiceDefinition* kept = installed_->find(*id::ServiceId::parse("QROO/EST/SSP/PLATAFORMA/consultaSoap"));
  ASSERT_NE(kept, nullptr);
  EXPECT_EQ(kept->protocol, ServiceProtocol::kSoap);

  // A versioned SOAP service, deleted by its six parts; a versioned REST one is refused.
  const Json versioned = {{"id", "QROO/EST/SSP/PLATAFORMA/consultaSoap/v2"}, {"url", "http://10.0.0.7:8080/v2"}, {"protocol", "soap"}};
  ASSERT_EQ(post("/api/v1/services", versioned).status, 201);
  EXPECT_TRUE(catalog_has("QROO/EST/SSP/PLATAFORMA/consultaSoap/v2"));
  EXPECT_EQ(call("DELETE", "/api/v1/services/QROO/EST/SSP/PLATAFORMA/consultaSoap/v2").status, 200);
  EXPECT_FALSE(catalog_has("QROO/EST/SSP/PLATAFORMA/consultaSoap/v2"));
  EXPECT_TRUE(catalog_has("QROO/EST/SSP/PLATAFORMA/consultaSoap")) << "the unversioned one stays";
  EXPECT_EQ(call("DELETE", "/api/v1/services/QROO/EST/SSP/PLATAFORMA/consultaSoap/v2").status, 404);
  EXPECT_EQ(call("DELETE", "/api/v1/services/QROO/EST/SSP/PLATAFORMA/consultaSoap/v%2F2").status, 400);
  Json rest_versioned = versioned;
  rest_versioned["protocol"] = "rest";
  EXPECT_EQ(post("/api/v1/services", rest_versioned).status, 400);

  soap["id"] = "QROO/EST/SSP/PLATAFORMA/otroSoap";
  for (const Json& protocol : {Json("SOAP"), Json(1), Json(nullptr)}) {
    soap["protocol"] = protocol;
    EXPECT_EQ(post("/api/v1/services", soap).status, 400) << protocol.dump();
  }
  soap["protocol"] = "soap";
  soap["endpoints"] = {"POST /x"};
  EXPECT_EQ(post("/api/v1/services", soap).status, 400) << "a SOAP service has no endpoints";
}

TEST_F(AdminApiTest, RefusesInvalidServicesAndRights) {
  ASSERT_EQ(post("/api/v1/services", api_service()).status, 201);
  auto with = [&](const char* key, const Json& value) {
    Json j = api_service();
    j["id"] = "QROO/EST/SSP/PLATAFORMA/otro";
    j[key] = value;
    return j;
  };
  const struct {
    const char* name;
    std::string target;
    Json body;
  } rows[] = {
      {"bad id", "/api/v1/services", with("id", "QROO/EST/SSP")},
      {"versioned id", "/api/v1/services", with("id", "QROO/EST/SSP/PLATAFORMA/otro/v1")},
      {"subsystem not a client", "/api/v1/services", with("id", "QROO/EST/SSP/OTRO/otro")},
      {"bad url", "/api/v1/services", with("url", "ftp://x/")},
      {"url with a query", "/api/v1/services", with("url", "http://x/?a=b")},
      {"bad endpoint method", "/api/v1/services", with("endpoints", {"FETCH /x"})},
      {"bad endpoint path", "/api/v1/services", with("endpoints", {"GET /**/x"})},
      {"timeout out of range", "/api/v1/services", with("timeout_ms", 0)},
      {"minimum level not a code", "/api/v1/services", with("minimum_level", "top secret")},
      {"minimum level hostile", "/api/v1/services", with("minimum_level", "\x1b[2J")},
      {"empty minimum level", "/api/v1/services", with("minimum_level", "")},
      {"minimum level not a string", "/api/v1/services", with("minimum_level", 2)},
      {"unknown field", "/api/v1/services", with("access", Json::array())},
      {"duplicate", "/api/v1/services", api_service()},
      {"file service", "/api/v1/services", with("id", kFileService)},
      {"metaservice code", "/api/v1/services", with("id", "QROO/EST/SSP/PLATAFORMA/getOpenAPI")},
      {"https description url", "/api/v1/services", with("description_url", "https://x/openapi.json")},
      {"description url not a url", "/api/v1/services", with("description_url", "openapi.json")},
      {"description url not a string", "/api/v1/services", with("description_url", 7)},
      {"right for unknown service", "/api/v1/access-rights",
       {{"subject", kCaller}, {"service", "QROO/EST/SSP/PLATAFORMA/nada"}}},
      {"right with bad subject", "/api/v1/access-rights", {{"subject", "nobody"}, {"service", kApiService}}},
      {"right with bad endpoint", "/api/v1/access-rights",
       {{"subject", kCaller}, {"service", kApiService}, {"endpoint", "GET x"}}},
      {"duplicate right (file)", "/api/v1/access-rights", {{"subject", kCaller}, {"service", kFileService}}},
      {"right for a subsystem as party", "/api/v1/access-rights",
       {{"subject", kCaller}, {"service", kApiService}, {"represented_party", "QROO/MUN/BJ/SIS"}}},
      {"right with an empty party", "/api/v1/access-rights",
       {{"subject", kCaller}, {"service", kApiService}, {"represented_party", ""}}},
      {"right with a party not a string", "/api/v1/access-rights",
       {{"subject", kCaller}, {"service", kApiService}, {"represented_party", 7}}},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    const auto before = installed_;
    const Reply r = post(row.target, row.body);
    EXPECT_EQ(r.status, 400) << r.json.dump();
    EXPECT_EQ(r.code(), "INVALID_ARGUMENT") << r.json.dump();
    EXPECT_TRUE(r.json["error"]["message"].is_string());
    EXPECT_EQ(installed_, before) << "a refused change installs nothing";
  }
  EXPECT_EQ(call("POST", "/api/v1/services", "not json").status, 400);
  EXPECT_EQ(call("GET", "/api/v1/services").json["services"].size(), 2u);
}

TEST_F(AdminApiTest, DeletesWhatTheApiAddedButNotTheFile) {
  ASSERT_EQ(post("/api/v1/services", api_service()).status, 201);
  ASSERT_EQ(post("/api/v1/access-rights", {{"subject", kCaller}, {"service", kApiService}}).status, 201);
  ASSERT_EQ(post("/api/v1/access-rights", {{"subject", "group:policia"}, {"service", kFileService},
                                           {"endpoint", "GET /vehiculos/*"}}).status, 201);

  const Reply right = call("DELETE", "/api/v1/access-rights?subject=group%3Apolicia&service=" + kFileService +
                                         "&endpoint=GET%20%2Fvehiculos%2F%2A");
  ASSERT_EQ(right.status, 200) << right.json.dump();
  EXPECT_FALSE(catalog_grants("group:policia", kFileService));
  EXPECT_EQ(call("DELETE", "/api/v1/access-rights?subject=group%3Apolicia&service=" + kFileService).status, 404);
  const Reply file_right = call("DELETE", "/api/v1/access-rights?subject=" + kCaller + "&service=" + kFileService);
  EXPECT_EQ(file_right.status, 409);
  EXPECT_TRUE(catalog_grants(kCaller, kFileService));

  const Reply service = call("DELETE", "/api/v1/services/QROO/EST/SSP/PLATAFORMA/consultaLicencia");
  ASSERT_EQ(service.status, 200) << service.json.dump();
  EXPECT_FALSE(catalog_has(kApiService));
  EXPECT_FALSE(catalog_grants(kCaller, kApiService)) << "its rights go with it";
  EXPECT_EQ(call("GET", "/api/v1/access-rights").json["access_rights"].size(), 1u);
  EXPECT_EQ(call("DELETE", "/api/v1/services/QROO/EST/SSP/PLATAFORMA/consultaLicencia").status, 404);
  EXPECT_EQ(call("DELETE", "/api/v1/services/QROO/EST/SSP/PLATAFORMA/consultaVehiculo").status, 409);
  EXPECT_EQ(call("DELETE", "/api/v1/services/QROO/EST/SSP/PLATAFORMA/a%2Fb").status, 400);
}

TEST_F(AdminApiTest, ARightBoundToARepresentedPartyIsItsOwnRight) {
  ASSERT_EQ(post("/api/v1/services", api_service()).status, 201);
  const Reply bj = post("/api/v1/access-rights",
                        {{"subject", kCaller}, {"service", kApiService}, {"represented_party", "QROO/MUN/BJ"}});
  ASSERT_EQ(bj.status, 201) << bj.json.dump();
  EXPECT_EQ(bj.json["represented_party"], "QROO/MUN/BJ");
  // Another party, or any, is another right; the same one again is a duplicate.
  EXPECT_EQ(post("/api/v1/access-rights", {{"subject", kCaller}, {"service", kApiService}, {"represented_party", "*"}}).status,
            201);
  EXPECT_EQ(post("/api/v1/access-rights",
                 {{"subject", kCaller}, {"service", kApiService}, {"represented_party", "QROO/MUN/BJ"}})
                .status,
            400);
  open();  // kept across a restart
  const Json rights = call("GET", "/api/v1/access-rights").json["access_rights"];
  ASSERT_EQ(rights.size(), 3u) << rights.dump();
  EXPECT_EQ(rights[1]["represented_party"], "QROO/MUN/BJ");
  EXPECT_EQ(rights[2]["represented_party"], "*");
  EXPECT_TRUE(rights[0]["represented_party"].is_null());
  // Withdrawn by what it grants, party included.
  EXPECT_EQ(call("DELETE", "/api/v1/access-rights?subject=" + kCaller + "&service=" + kApiService).status, 404);
  EXPECT_EQ(call("DELETE", "/api/v1/access-rights?subject=" + kCaller + "&service=" + kApiService +
                               "&represented_party=QROO%2FMUN%2FBJ")
                .status,
            200);
  EXPECT_EQ(call("GET", "/api/v1/access-rights").json["access_rights"].size(), 2u);
}

TEST_F(AdminApiTest, ChangesSurviveReopeningTheStore) {
  ASSERT_EQ(post("/api/v1/services", api_service()).status, 201);
  ASSERT_EQ(post("/api/v1/access-rights", {{"subject", kCaller}, {"service", kApiService},
                                           {"endpoint", "POST /consultas"}}).status, 201);
  open();
  EXPECT_TRUE(catalog_has(kApiService));
  EXPECT_TRUE(catalog_grants(kCaller, kApiService));
  const Reply services = call("GET", "/api/v1/services", "", kAuditorToken);
  ASSERT_EQ(services.json["services"].size(), 2u);
  EXPECT_EQ(services.json["services"][1]["timeout_ms"], 5000);
  EXPECT_EQ(services.json["services"][1]["url"], "http://10.0.0.7:8080/licencias/");
  EXPECT_EQ(call("GET", "/api/v1/access-rights").json["access_rights"][1]["endpoint"], "POST /consultas");
}

TEST_F(AdminApiTest, DescriptionUrlIsKeptAcrossReopening) {
  Json with_description = api_service();
  with_description["description_url"] = "http://10.0.0.7:8080/licencias/openapi.yaml";
  const Reply added = post("/api/v1/services", with_description);
  ASSERT_EQ(added.status, 201) << added.json.dump();
  EXPECT_EQ(added.json["description_url"], "http://10.0.0.7:8080/licencias/openapi.yaml");
  EXPECT_EQ(installed_->find(*id::ServiceId::parse(kApiService))->description_url,
            "http://10.0.0.7:8080/licencias/openapi.yaml");
  open();
  EXPECT_EQ(installed_->find(*id::ServiceId::parse(kApiService))->description_url,
            "http://10.0.0.7:8080/licencias/openapi.yaml");
  const Reply services = call("GET", "/api/v1/services", "", kAuditorToken);
  ASSERT_EQ(services.json["services"].size(), 2u);
  EXPECT_TRUE(services.json["services"][0]["description_url"].is_null());  // the file's, none
  EXPECT_EQ(services.json["services"][1]["description_url"], "http://10.0.0.7:8080/licencias/openapi.yaml");
}

// A store written before services had a description URL: its services read back without one, and
// a new one keeps it.
TEST(ServiceStoreMigration, AStoreWithoutDescriptionUrlsIsBroughtUpToDate) {
  testing::TempDir dir;
  const std::string path = dir.file("old.db");
  {
    auto db = store::Database::open(path);
    ASSERT_TRUE(db.is_ok()) << db.status().to_string();
    ASSERT_TRUE((*db)->migrate("admin-services", {R"sql(
CREATE TABLE services(
  id INTEGER PRIMARY KEY,
  service TEXT NOT NULL UNIQUE,
  url TEXT NOT NULL,
  enabled INTEGER NOT NULL,
  timeout_ms INTEGER NOT NULL,
  endpoints TEXT NOT NULL);
CREATE TABLE access_rights(
  id INTEGER PRIMARY KEY,
  service TEXT NOT NULL,
  subject TEXT NOT NULL,
  endpoint TEXT NOT NULL,
  UNIQUE(service, subject, endpoint));
)sql"}).is_ok());
    ASSERT_TRUE((*db)->exec("INSERT INTO services(service, url, enabled, timeout_ms, endpoints) VALUES("
                            "'QROO/EST/SSP/PLATAFORMA/viejo', 'http://10.0.0.7/', 1, 1000, 'GET /x')").is_ok());
  }
  auto store = ServiceStore::open(path);
  ASSERT_TRUE(store.is_ok()) << store.status().to_string();
  auto services = (*store)->services();
  ASSERT_TRUE(services.is_ok()) << services.status().to_string();
  ASSERT_EQ(services->size(), 1u);
  EXPECT_EQ((*services)[0].description_url, "");
  EXPECT_EQ((*services)[0].endpoints.size(), 1u);
  ServiceDefinition added{*id::ServiceId::parse("QROO/EST/SSP/PLATAFORMA/nuevo"), "http://10.0.0.7/", true,
                          std::chrono::milliseconds(1000), {}, ServiceProtocol::kRest, "http://10.0.0.7/openapi.json"};
  ASSERT_TRUE((*store)->add_service(added).is_ok());
  services = (*store)->services();
  ASSERT_TRUE(services.is_ok());
  ASSERT_EQ(services->size(), 2u);
  EXPECT_EQ((*services)[1].description_url, "http://10.0.0.7/openapi.json");
}

TEST_F(AdminApiTest, AServiceMayRequireAMinimumAccessLevelKeptAcrossReopening) {
  Json service = api_service();
  service["minimum_level"] = "restricted";
  const Reply added = post("/api/v1/services", service);
  ASSERT_EQ(added.status, 201) << added.json.dump();
  EXPECT_EQ(added.json["minimum_level"], "restricted");
  const ServiceDefinition* d = installed_->find(*id::ServiceId::parse(kApiService));
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->minimum_level, "restricted");
  open();
  const Reply services = call("GET", "/api/v1/services", "", kAuditorToken);
  ASSERT_EQ(services.json["services"].size(), 2u);
  EXPECT_TRUE(services.json["services"][0]["minimum_level"].is_null());  // the file's, without one
  EXPECT_EQ(services.json["services"][1]["minimum_level"], "restricted");
  ASSERT_NE(installed_->find(*id::ServiceId::parse(kApiService)), nullptr);
  EXPECT_EQ(installed_->find(*id::ServiceId::parse(kApiService))->minimum_level, "restricted");
}

TEST_F(AdminApiTest, AFileServiceAddedThroughTheApiBeforeIsAStartUpError) {
  ASSERT_EQ(post("/api/v1/services", api_service()).status, 201);
  api_.reset();
  admin_.reset();
  ServiceDefinition clash = file_service_;
  clash.service = *id::ServiceId::parse(kApiService);
  auto store = ServiceStore::open(dir_.file("server.db"));
  ASSERT_TRUE(store.is_ok());
  auto admin = ServiceAdmin::create(clients_, {file_service_, clash}, {}, std::move(store).value(), nullptr);
  ASSERT_FALSE(admin.is_ok());
  EXPECT_EQ(admin.status().code(), Code::kInvalidArgument);
}

TEST_F(AdminApiTest, FileReloadKeepsTheApiEntries) {
  ASSERT_EQ(post("/api/v1/services", api_service()).status, 201);
  ASSERT_TRUE(admin_->reload_file({}, {}).is_ok());
  EXPECT_FALSE(catalog_has(kFileService));
  EXPECT_TRUE(catalog_has(kApiService));
  // A file that now defines what the API added is refused, and nothing changes.
  ServiceDefinition clash = file_service_;
  clash.service = *id::ServiceId::parse(kApiService);
  EXPECT_FALSE(admin_->reload_file({clash}, {}).is_ok());
  EXPECT_TRUE(catalog_has(kApiService));
}


TEST_F(AdminApiTest, MetricsAreReadWithAnyUsersTokenAndOnlyWithOne) {
  for (const std::string& token : {kAdminToken, kAuditorToken}) {
    net::HttpRequest request;
    request.method = "GET";
    request.target = "/metrics";
    request.headers.emplace_back("Authorization", "Bearer " + token);
    const net::HttpResponse r = api_->handle(request);
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.header("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  }
  for (const std::string& token : {std::string(), std::string("not-a-token")}) {
    const Reply r = call("GET", "/metrics", "", token);
    EXPECT_EQ(r.status, 401);
    EXPECT_EQ(r.code(), "UNAUTHENTICATED");
  }
  EXPECT_EQ(call("POST", "/metrics", "{}").status, 405);
}

TEST_F(AdminApiTest, MetricsShowStatusAndExchanges) {
  set_running_status();
  status_.global_configuration.estamp_window = std::chrono::hours(8);
  status_.register_stats.commits = 4;
  exchanges_.ended(RecordSide::kClient, kFileService, "ok", std::chrono::milliseconds(20));
  exchanges_.ended(RecordSide::kProvider, "QROO/\"x\"\n", "ACCESS_DENIED", std::chrono::milliseconds(3));
  exchanges_.ended(RecordSide::kClient, "", "MALFORMED_REQUEST", std::chrono::milliseconds(1));

  net::HttpRequest request;
  request.method = "GET";
  request.target = "/metrics";
  request.headers.emplace_back("Authorization", "Bearer " + kAuditorToken);
  const std::string text = api_->handle(request).body;
  std::string ok_line = "xacbe_exchanges_total{side=\"client\",service=\"";
  ok_line.append(kFileService).append("\",result=\"ok\"} 1\n");
  const std::vector<std::string> lines = {"xacbe_global_configuration_version 12\n",
                                 "xacbe_global_configuration_age_seconds 300\n",
                                 "xacbe_ocsp_response_age_seconds{serial=\"0A\"} 40\n",
                                 "xacbe_ocsp_up 1\n",
                                 "xacbe_tsa_up 1\n",
                                 "xacbe_register_records 10\n",
                                 "xacbe_register_untimestamped_records 3\n",
                                 "xacbe_register_commits_total 4\n",
                                 "xacbe_register_oldest_untimestamped_age_seconds 25200\n",
                                 "xacbe_register_seconds_left_before_refusal 2700\n",
                                 "xacbe_register_admitting 1\n",
                                 ok_line,
                                 "xacbe_exchanges_total{side=\"client\",service=\"none\",result=\"MALFORMED_REQUEST\"} 1\n",
                                 "xacbe_exchanges_total{side=\"provider\",service=\"QROO/\\\"x\\\"\\n\",result=\"ACCESS_DENIED\"} 1\n",
                                 "xacbe_exchange_duration_seconds_bucket{side=\"client\",le=\"0.025\"} 2\n",
                                 "xacbe_exchange_duration_seconds_count{side=\"provider\"} 1\n"};
  for (const std::string& line : lines) {
    EXPECT_NE(text.find(line), std::string::npos) << line << "\nin:\n" << text;
  }
}

TEST_F(AdminApiTest, OpenApiDocumentMatchesTheRoutes) {
  const auto documented =
      testing::documented_operations(std::string(XACBE_SOURCE_DIR) + "/docs/api/security-server.openapi.yaml");
  std::set<std::pair<std::string, std::string>> served = {{"GET", "/health"}};
  for (const auto& r : api_->routes()) served.emplace(r.method, r.path);
  EXPECT_EQ(documented, served);
  // Each documented operation is routed (anything but 404/405), with parameters it refuses, so
  // that probing changes nothing.
  const std::map<std::string, std::string> dummies = {{"{instance}", "QROO"},
                                                      {"{memberClass}", "EST"},
                                                      {"{memberCode}", "SSP"},
                                                      {"{subsystemCode}", "PLATAFORMA"},
                                                      {"{serviceCode}", "x%2Fy"},  // not one part
                                                      {"{serviceVersion}", "v1"},
                                                      {"{seq}", "1"}};
  for (const auto& [method, path] : documented) {
    SCOPED_TRACE(method + " " + path);
    const auto filled = testing::fill_path(path, dummies);
    ASSERT_TRUE(filled.has_value()) << "a path parameter the test does not know";
    const std::string& target = *filled;
    const Reply r = call(method, target, method == "POST" ? "{}" : "");
    EXPECT_NE(r.status, 404);
    EXPECT_NE(r.status, 405);
    EXPECT_LT(r.status, 500);
  }
}

}  // namespace
}  // namespace xacbe::ss
