// The central registry's admin API over HTTP, against the real xacbe-central-registry on a
// loopback port: the membership workflow, refusals and their audit trail, security servers'
// signed management requests and the certificates they get, start-up refusals, restarts, and
// docs/api/central-registry.openapi.yaml against the routes the registry serves.

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <sys/wait.h>

#include <cctype>
#include <csignal>
#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <stdexcept>
#include <tuple>
#include <vector>

#include "routes.hpp"
#include "support/e2e/registry_process.hpp"
#include "support/e2e/trust_services.hpp"
#include "support/openapi.hpp"
#include "xacbe/globalconf/signed_configuration.hpp"
#include "xacbe/ca/ca_directory.hpp"
#include "xacbe/calendar/business_calendar.hpp"
#include "xacbe/calendar/notice_rule.hpp"
#include "xacbe/crypto/cms.hpp"
#include "xacbe/crypto/csr.hpp"
#include "xacbe/crypto/encoding.hpp"
#include "xacbe/globalconf/global_configuration.hpp"
#include "xacbe/management/management_request.hpp"
#include "xacbe/management/registry_client.hpp"
#include "xacbe/net/http_client.hpp"
#include "schema.hpp"
#include "xacbe/store/database.hpp"

namespace xacbe::testing {
namespace {

using Json = nlohmann::json;

constexpr std::size_t kBodyLimit = 16 * 1024;
const std::string kMember = "QROO/FED/PGJ";
const std::string kMemberPath = "/api/v1/members/QROO/FED/PGJ";

using As = RegistryProcess::As;
using Reply = RegistryProcess::Reply;

void write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + path);
}


// The (METHOD, path) pairs the registry serves: its router built with the route modules as main()
// builds it, over a throw-away database, plus GET /health, which the router answers itself.
std::set<std::pair<std::string, std::string>> served_operations(const TrustServices& services) {
  SystemClock clock;
  TempDir dir;
  auto calendar = calendar::BusinessCalendar::load(std::string(XACBE_SOURCE_DIR) + "/conf/business-calendar.json");
  auto ca = ca::open_ca_directory(services.ca_dir(), clock);
  auto db = store::Database::open(dir.file("registry.db"));
  auto mail_db = store::Database::open(dir.file("registry.db"));
  if (!calendar || !ca || !db || !mail_db) throw std::runtime_error("cannot set up a registry");
  if (!registry::migrate_schema(**db).is_ok()) throw std::runtime_error("migration failed");
  registry::Membership membership(**db, clock, *calendar, "QROO", ca->get());
  mail::SmtpSettings smtp;
  smtp.url = "smtp://127.0.0.1:9";
  smtp.from = "notificaciones@ceiqroo.example.mx";
  auto outbox = mail::Outbox::create(std::move(mail_db).value(), smtp, clock);
  if (!outbox) throw std::runtime_error(outbox.status().to_string());
  auto notifications = registry::Notifications::create(**db, clock, *calendar, membership, **outbox, smtp.from);
  if (!notifications) throw std::runtime_error(notifications.status().to_string());
  registry::SecurityServers servers(**db, clock, membership, **ca, {});
  registry::MemberRecords records(**db, clock, membership);
  registry::GlobalGroups groups(**db, clock, membership);
  registry::UsageStatistics usage(**db, clock, servers);
  registry::AdminApi api({}, membership.audit());
  registry::add_registry_routes(api, membership, records, groups, *notifications, servers, usage, nullptr, "QROO", **db,
                                clock);
  std::set<std::pair<std::string, std::string>> out = {{"GET", "/health"}};
  for (const auto& route : api.routes()) {
    EXPECT_TRUE(out.emplace(route.method, route.path).second) << "served twice: " << route.method << " " << route.path;
  }
  return out;
}

// A management request as a security server sends it (docs/protocol/management-requests.md):
// the request bytes and a detached CMS signature over exactly those bytes.
struct SignedRequest {
  std::string body;
  std::string signature;

  Json envelope() const {
    return {{"request", crypto::base64_encode(body)}, {"signature", crypto::base64_encode(signature)}};
  }
};

crypto::PrivateKey new_key() {
  auto key = crypto::PrivateKey::generate(crypto::KeyType::kEcP256);
  if (!key) throw std::runtime_error(key.status().to_string());
  return std::move(key).value();
}

std::chrono::sys_seconds now_seconds() {
  return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
}

crypto::CertificateRequest csr_for(const crypto::PrivateKey& key) {
  auto csr = crypto::CertificateRequest::create(key, {{"CN", "ignored by the CA"}});
  if (!csr) throw std::runtime_error(csr.status().to_string());
  return std::move(csr).value();
}

id::SecurityServerId server_id(const std::string& server) {
  auto id = id::SecurityServerId::parse(server);
  if (!id) throw std::runtime_error(id.status().to_string());
  return std::move(id).value();
}

// A register-server request as the shared builder makes it, with the given request id.
management::Request registration(const std::string& server, const crypto::PrivateKey& key,
                                 const std::string& request_id, const std::string& country = "MX",
                                 const std::string& version = "1.0.0") {
  management::Request r = management::make_register_server(server_id(server), now_seconds(),
                                                            "ss1.pgj.qroo.gob.mx:5500", country, version, csr_for(key));
  r.request_id = request_id;
  return r;
}

SignedRequest signed_by(const std::string& body, const crypto::PrivateKey& key, const crypto::Certificate& cert) {
  auto signature = crypto::cms_sign_detached(key, cert, body);
  if (!signature) throw std::runtime_error(signature.status().to_string());
  return {body, *signature};
}

SignedRequest from(Result<management::SignedRequest> made) {
  if (!made) throw std::runtime_error(made.status().to_string());
  return {made->request, made->signature};
}

// A register-server request signed the bootstrap way: with the key of its own CSR, under the
// self-signed certificate management::make_bootstrap_certificate makes.
SignedRequest bootstrap(const std::string& server, const crypto::PrivateKey& key, const std::string& request_id,
                        const std::string& country = "MX", const std::string& version = "1.0.0") {
  return from(management::sign_bootstrap_request(registration(server, key, request_id, country, version), key,
                                                 std::chrono::system_clock::now()));
}

class CentralRegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    registry_.config()["listen"]["body_limit"] = kBodyLimit;
    // The signing key and certificate do not exist yet: the registry makes them.
    registry_.publish_globalconf();
    registry_.start();
  }

  Reply call(const std::string& method, const std::string& target, const std::string& body = {},
             As as = As::kAdministrator, const std::string& content_type = "application/json") {
    return registry_.call(method, target, body, as, content_type);
  }
  Reply send(const std::string& target, net::HttpRequest request) { return registry_.send(target, std::move(request)); }
  Reply post(const std::string& target, const Json& body, As as = As::kAdministrator) {
    return registry_.post(target, body, as);
  }
  Reply get(const std::string& target, As as = As::kAdministrator) { return registry_.get(target, as); }

  // Applies for `member` and admits the application; returns the application id.
  std::int64_t admit(const std::string& member) {
    const Reply applied = post("/api/v1/applications", application_for(member));
    EXPECT_EQ(applied.status, 201) << applied.http.body;
    const std::int64_t id = applied.json.value("id", std::int64_t{0});
    const Reply admitted = call("POST", "/api/v1/applications/" + std::to_string(id) + "/admit");
    EXPECT_EQ(admitted.status, 200) << admitted.http.body;
    return id;
  }

  // A security server's management request: no token, the signature authenticates it.
  Reply submit(const Json& envelope) { return post("/api/v1/management-requests", envelope, As::kAnonymous); }

  // Registers `server` of an admitted member: bootstrap request, approved by the administrator.
  // Returns the path of the issued authentication certificate (PEM).
  std::string registered_server(const std::string& server, const crypto::PrivateKey& key) {
    const Reply submitted = submit(bootstrap(server, key, "registration-" + std::to_string(++requests_)).envelope());
    EXPECT_EQ(submitted.status, 201) << submitted.http.body;
    const Reply approved =
        call("POST", "/api/v1/management-requests/" + std::to_string(submitted.json.value("id", 0)) + "/approve");
    EXPECT_EQ(approved.status, 200) << approved.http.body;
    const std::string pem = services_.dir().file("auth-" + std::to_string(requests_) + ".pem");
    write_text(pem, approved.json.value("issued_certificate", ""));
    return pem;
  }

  std::string member_state(const std::string& member_path) {
    const Reply r = get(member_path, As::kAuditor);
    return r.status == 200 ? r.json.value("state", "") : "HTTP " + std::to_string(r.status);
  }

  // Audit entries with an id above `after`.
  Json audit_after(std::int64_t after) {
    const Reply r = get("/api/v1/audit?after=" + std::to_string(after) + "&limit=10000", As::kAuditor);
    EXPECT_EQ(r.status, 200) << r.http.body;
    return r.status == 200 ? r.json["entries"] : Json::array();
  }
  std::int64_t last_audit_id() {
    const Json entries = audit_after(0);
    return entries.empty() ? 0 : entries.back()["id"].get<std::int64_t>();
  }

  TrustServices services_{{XACBE_CLI_BIN, XACBE_TSA_BIN, XACBE_OCSP_BIN}};
  RegistryProcess registry_{services_, XACBE_REGISTRY_BIN};
  const RegistryProcess::Token& admin_ = registry_.admin();
  int requests_ = 0;
};

// What an attacker sends cannot make a later read fail, nor grow the audit trail without bound.
TEST_F(CentralRegistryTest, HostileInputCannotBreakOrFloodTheAuditTrail) {
  const std::int64_t before = last_audit_id();
  // Bytes that are not UTF-8, raw or percent-encoded, in the path, the query and the body.
  for (const std::string& target : {std::string("/api/v1/members/QROO/EST/A\xFF" "B"),
                                   std::string("/api/v1/members/QROO/EST/A%FFB"),
                                   std::string("/api/v1/audit?after=%C0%AF")}) {
    const Reply r = call("GET", target, "", As::kAnonymous);
    EXPECT_EQ(r.status, 400) << r.http.body;
    EXPECT_EQ(r.code(), "INVALID_ARGUMENT") << r.http.body;
  }
  Json application = application_for("QROO/EST/FGE");
  std::string body = application.dump();
  body.replace(body.find("FGE"), 3, "F\xFF" "E");
  const Reply bad_body = call("POST", "/api/v1/applications", body);
  EXPECT_EQ(bad_body.status, 400) << bad_body.http.body;
  EXPECT_EQ(bad_body.code(), "INVALID_ARGUMENT");
  const Reply bad_request = call("POST", "/api/v1/management-requests", "{\"request\": \"\xC0\"}", As::kAnonymous);
  EXPECT_EQ(bad_request.status, 400) << bad_request.http.body;
  // A 12 KB unknown key (the body limit here is 16 KiB): the refusal and its entry quote a bounded
  // excerpt.
  const Reply big_key = call("POST", "/api/v1/applications", "{\"" + std::string(12'000, 'k') + "\": 1}");
  EXPECT_EQ(big_key.status, 400);
  EXPECT_LT(big_key.http.body.size(), 1024u);

  // A flood of anonymous requests with long paths: bounded entries, whatever their number.
  const std::string long_path = "/api/v1/members/QROO/EST/" + std::string(8000, 'x');
  for (int i = 0; i < 300; ++i) {
    const Reply r = call("GET", long_path + std::to_string(i), "", As::kAnonymous);
    ASSERT_EQ(r.status, 401) << r.http.body;
  }
  const Reply page = get("/api/v1/audit?after=" + std::to_string(before) + "&limit=10000", As::kAuditor);
  ASSERT_EQ(page.status, 200) << page.http.body;
  const Json& entries = page.json["entries"];
  // The application with the bad body and the one with the big key, the refused management
  // request, and the first refused anonymous read of the interval.
  EXPECT_LE(entries.size(), 5u) << entries.dump(2);
  int anonymous = 0;
  for (const auto& e : entries) {
    EXPECT_LE(e["detail"].get<std::string>().size(), 1027u);
    EXPECT_LE(e["target"].get<std::string>().size(), 515u);
    if (e["actor"] == "anonymous") ++anonymous;
  }
  EXPECT_EQ(anonymous, 1) << entries.dump(2);
  EXPECT_FALSE(page.json["more"].get<bool>());

  // The count is recorded when the registry stops (or its interval ends).
  ASSERT_EQ(registry_.restart(), 0);
  bool summarised = false;
  for (const auto& e : audit_after(before)) {
    if (e["action"] == "audit.refusals-aggregated" &&
        e["detail"].get<std::string>().rfind("299 more refusal(s) PERMISSION_DENIED", 0) == 0) {
      summarised = true;
    }
  }
  EXPECT_TRUE(summarised);
}

TEST_F(CentralRegistryTest, OpenApiDocumentMatchesTheRoutes) {
  const auto documented =
      documented_operations(std::string(XACBE_SOURCE_DIR) + "/docs/api/central-registry.openapi.yaml");
  // Exactly the router's routes: an undocumented route, or a documented one nobody serves, fails.
  EXPECT_EQ(documented, served_operations(services_));
  // And the running server answers each of them. Parameters the routes would refuse, so that
  // probing changes nothing; a refusal of the parameter still proves the route matched (routing
  // answers 404/405 before parameters are read).
  const std::map<std::string, std::string> dummies = {
      {"{instance}", "QROO"},          {"{memberClass}", "lower"},   {"{memberCode}", "PGJ"},
      {"{serverCode}", "SS1"},         {"{applicationId}", "none"},  {"{notificationId}", "none"},
      {"{incidentId}", "none"},        {"{requestId}", "none"},      {"{subsystemCode}", "SIGI"},
      {"{userId}", "none"},            {"{usageId}", "none"},        {"{groupCode}", "-invalid"}};
  std::map<std::string, std::set<std::string>> methods_of;
  for (const auto& [method, path] : documented) methods_of[path].insert(method);
  for (const auto& [method, path] : documented) {
    SCOPED_TRACE(method + " " + path);
    const auto filled = testing::fill_path(path, dummies);
    ASSERT_TRUE(filled.has_value()) << "a path parameter the test does not know";
    const std::string& target = *filled;
    const Reply r = call(method, target, method == "POST" ? "{}" : "");
    EXPECT_NE(r.status, 404) << r.http.body;
    EXPECT_NE(r.status, 405) << r.http.body;
    EXPECT_LT(r.status, 500) << r.http.body;
    // Every other method on a documented path answers 405 and names the methods served.
    std::string allow;
    for (const auto& m : methods_of[path]) allow += (allow.empty() ? "" : ", ") + m;
    for (const char* other : {"GET", "POST", "PUT", "DELETE", "PATCH"}) {
      if (methods_of[path].count(other)) continue;
      const Reply refused = call(other, target);
      EXPECT_EQ(refused.status, 405) << other;
      EXPECT_EQ(refused.code(), "METHOD_NOT_ALLOWED") << other;
      EXPECT_EQ(refused.http.header("Allow"), allow) << other;
    }
  }
  EXPECT_EQ(get("/health", As::kAnonymous).http.body, "ok\n");
  // Paths nobody documented are not served either.
  for (const char* target : {"/", "/api/v1", "/api/v2/members", "/api/v1/members/", "/api/v1/members/QROO/FED",
                             "/api/v1/members/QROO/FED/PGJ/delete", "/api/v1/applications/1/accept",
                             "/api/v1/terminations", "/api/v1/audit/1", "/api/v1/security-servers/QROO/FED/PGJ/SS1",
                             "/api/v1/releases/1.0.0", "/api/v1/management-requests/1/cancel"}) {
    ASSERT_FALSE(methods_of.count(target)) << target;
    const Reply r = get(target);
    EXPECT_EQ(r.status, 404) << target;
    EXPECT_EQ(r.code(), "NOT_FOUND") << target;
  }
}

TEST_F(CentralRegistryTest, WalksAMemberFromApplicationToTermination) {
  const auto start = last_audit_id();
  const Reply applied = post("/api/v1/applications", application_for(kMember));
  ASSERT_EQ(applied.status, 201) << applied.http.body;
  const std::int64_t id = applied.json["id"];
  EXPECT_EQ(applied.json["member"], kMember);
  EXPECT_TRUE(applied.json["decision"].is_null());
  EXPECT_EQ(applied.json["submitted_by"], "admin");
  EXPECT_EQ(applied.json["liaison"]["phone"], "");
  EXPECT_EQ(member_state(kMemberPath), "pending");

  const Reply undecided = get("/api/v1/applications?undecided=true", As::kAuditor);
  ASSERT_EQ(undecided.status, 200) << undecided.http.body;
  ASSERT_EQ(undecided.json["applications"].size(), 1u);
  EXPECT_EQ(undecided.json["applications"][0]["id"], id);

  const Reply admitted = call("POST", "/api/v1/applications/" + std::to_string(id) + "/admit");
  ASSERT_EQ(admitted.status, 200) << admitted.http.body;
  EXPECT_EQ(admitted.json["decision"], "admitted");
  EXPECT_TRUE(get("/api/v1/applications?undecided=true").json["applications"].empty());

  const Reply member = get(kMemberPath, As::kAuditor);
  ASSERT_EQ(member.status, 200) << member.http.body;
  EXPECT_EQ(member.json["state"], "active");
  EXPECT_EQ(member.json["name"], "Fiscalía General del Estado de Quintana Roo");
  EXPECT_EQ(member.json["liaison"]["email"], "enlace@fgeqroo.gob.mx");
  EXPECT_TRUE(member.json["certificates"].empty());
  const Reply active = get("/api/v1/members?state=active");
  ASSERT_EQ(active.json["members"].size(), 1u) << active.http.body;
  EXPECT_EQ(active.json["members"][0]["id"], kMember);

  const Reply suspended = post(kMemberPath + "/suspend", {{"reason", "unauthorised access attempts"}});
  ASSERT_EQ(suspended.status, 200) << suspended.http.body;
  EXPECT_EQ(suspended.json["state"], "suspended");
  const Reply reactivated = post(kMemberPath + "/reactivate", {{"reason", "violation remedied"}});
  ASSERT_EQ(reactivated.status, 200) << reactivated.http.body;
  EXPECT_EQ(reactivated.json["state"], "active");

  // The CEIQROO must give five calendar days' notice; the member's own request takes effect on the
  // next business day at the earliest. Either refusal names the earliest date (computed before and
  // after the call, in case the date changes in between).
  auto calendar = calendar::BusinessCalendar::load(services_.dir().file("business-calendar.json"));
  ASSERT_TRUE(calendar) << calendar.status().to_string();
  auto earliest_dates = [&](auto&& earliest, auto&& request) {
    const std::string before = calendar::format_date(earliest(std::chrono::system_clock::now()));
    const Reply r = request();
    const std::string after = calendar::format_date(earliest(std::chrono::system_clock::now()));
    return std::make_tuple(r, before, after);
  };
  const auto today = calendar::local_date(std::chrono::system_clock::now());
  const auto tomorrow = calendar::Date{std::chrono::sys_days{today} + std::chrono::days{1}};
  {
    auto [r, before, after] = earliest_dates(
        [&](TimePoint now) {
          return calendar::earliest_effective_date(calendar::NoticeKind::kTermination, now, *calendar);
        },
        [&] {
          return post(kMemberPath + "/termination", {{"basis", "ceiqroo-notice"},
                                                     {"effective", calendar::format_date(tomorrow)},
                                                     {"reason", "repeated violations"}});
        });
    EXPECT_EQ(r.status, 409) << r.http.body;
    EXPECT_EQ(r.code(), "FAILED_PRECONDITION");
    EXPECT_TRUE(r.message().find("earliest allowed effective date is " + before) != std::string::npos ||
                r.message().find("earliest allowed effective date is " + after) != std::string::npos)
        << r.message();
  }
  auto next_business_day = [&](TimePoint now) { return calendar->next_business_day(calendar::local_date(now)); };
  {
    auto [r, before, after] = earliest_dates(next_business_day, [&] {
      return post(kMemberPath + "/termination",
                  {{"basis", "member-request"}, {"effective", calendar::format_date(today)}});
    });
    EXPECT_EQ(r.status, 409) << r.http.body;
    EXPECT_TRUE(r.message().find("takes effect on " + before + " at the earliest") != std::string::npos ||
                r.message().find("takes effect on " + after + " at the earliest") != std::string::npos)
        << r.message();
  }
  {
    auto [r, before, after] = earliest_dates(next_business_day, [&] {
      return post(kMemberPath + "/termination", {{"basis", "member-request"}});
    });
    ASSERT_EQ(r.status, 200) << r.http.body;
    EXPECT_EQ(r.json["state"], "terminating");
    EXPECT_TRUE(r.json["termination_effective"] == before || r.json["termination_effective"] == after) << r.http.body;
  }
  EXPECT_EQ(get("/api/v1/members?state=terminating").json["members"].size(), 1u);
  // Not due yet: nothing to complete.
  const Reply completed = call("POST", "/api/v1/terminations/complete");
  ASSERT_EQ(completed.status, 200) << completed.http.body;
  EXPECT_EQ(completed.json, Json({{"terminated", Json::array()}}));

  // Each action, refused or not, with its actor and target, in order.
  std::vector<std::tuple<std::string, std::string, std::string, bool>> trail;
  for (const auto& e : audit_after(start)) {
    trail.emplace_back(e["actor"].get<std::string>(), e["action"].get<std::string>(), e["target"].get<std::string>(),
                       e["success"].get<bool>());
  }
  const std::string app = "application:" + std::to_string(id);
  const std::vector<std::tuple<std::string, std::string, std::string, bool>> expected = {
      {"admin", "member.apply", kMember, true},
      {"admin", "member.admit", app, true},
      {"admin", "member.suspend", kMember, true},
      {"admin", "member.reactivate", kMember, true},
      {"admin", "member.terminate", kMember, false},
      {"admin", "member.request-termination", kMember, false},
      {"admin", "member.request-termination", kMember, true},
  };
  EXPECT_EQ(trail, expected);
}

TEST_F(CentralRegistryTest, RejectsApplicationsWithEachProtocolReason) {
  const std::pair<std::string, std::string> cases[] = {
      {"QROO/MUN/BJ", "no-right-of-representation"},
      {"QROO/MUN/OPB", "information-missing-or-outdated"},
      {"QROO/MUN/COZ", "requirements-not-met"},
  };
  const auto start = last_audit_id();
  for (const auto& [member, reason] : cases) {
    SCOPED_TRACE(reason);
    const Reply applied = post("/api/v1/applications", application_for(member));
    ASSERT_EQ(applied.status, 201) << applied.http.body;
    const std::string id = std::to_string(applied.json["id"].get<std::int64_t>());
    const Reply rejected =
        post("/api/v1/applications/" + id + "/reject", {{"reason", reason}, {"comment", "folio 17"}});
    ASSERT_EQ(rejected.status, 200) << rejected.http.body;
    EXPECT_EQ(rejected.json["decision"], "rejected");
    EXPECT_EQ(rejected.json["rejection_reason"], reason);
    EXPECT_EQ(rejected.json["comment"], "folio 17");
    EXPECT_EQ(get("/api/v1/applications/" + id, As::kAuditor).json, rejected.json);
    EXPECT_EQ(member_state("/api/v1/members/" + member), "rejected");
  }
  std::size_t audited_rejections = 0;
  for (const auto& e : audit_after(start)) audited_rejections += e["action"] == "member.reject" && e["success"] == true;
  EXPECT_EQ(audited_rejections, std::size(cases));

  // A rejected member may apply again.
  EXPECT_EQ(post("/api/v1/applications", application_for("QROO/MUN/BJ")).status, 201);
  EXPECT_EQ(member_state("/api/v1/members/QROO/MUN/BJ"), "pending");

  // A reason the protocol does not name, or none, decides nothing.
  const Reply applied = post("/api/v1/applications", application_for("QROO/MUN/FCP"));
  ASSERT_EQ(applied.status, 201) << applied.http.body;
  const std::string id = std::to_string(applied.json["id"].get<std::int64_t>());
  for (const Json& body : {Json{{"reason", "bad-vibes"}}, Json{{"comment", "no reason"}}, Json{{"reason", 1}}}) {
    const Reply r = post("/api/v1/applications/" + id + "/reject", body);
    EXPECT_EQ(r.status, 400) << body.dump() << " " << r.http.body;
    EXPECT_EQ(r.code(), "INVALID_ARGUMENT");
  }
  EXPECT_NE(
      post("/api/v1/applications/" + id + "/reject", {{"reason", "bad-vibes"}}).message().find("requirements-not-met"),
      std::string::npos);
  EXPECT_TRUE(get("/api/v1/applications/" + id).json["decision"].is_null());
  EXPECT_EQ(member_state("/api/v1/members/QROO/MUN/FCP"), "pending");
}

struct Refusal {
  const char* name;
  std::string method, target, body;
  As as;
  std::string content_type;
  int status;
  const char* code;  // the JSON error code (the HTTP layer's refusals are JSON too)
  // The audit entry the refusal leaves (actor, action); nullptr where the API does not audit it.
  const char* actor;
  const char* action;
};

TEST_F(CentralRegistryTest, RefusesBadRequestsAndAuditsTheRefusals) {
  const std::string admitted = std::to_string(admit(kMember));
  const std::string suspend = kMemberPath + "/suspend";
  const std::string suspend_route = "api POST /api/v1/members/{instance}/{memberClass}/{memberCode}/suspend";
  const std::string termination_route =
      "api POST /api/v1/members/{instance}/{memberClass}/{memberCode}/termination";
  const std::string reason = Json{{"reason", "test"}}.dump();
  Json unknown_field = application_for("QROO/FED/ACME");
  unknown_field["website"] = "https://example.org";
  Json unknown_person_field = application_for("QROO/FED/ACME");
  unknown_person_field["responsible"]["fax"] = "none";
  const std::string json = "application/json";
  const Refusal cases[] = {
      {"no token", "POST", suspend, reason, As::kAnonymous, json, 401, "UNAUTHENTICATED", "anonymous",
       suspend_route.c_str()},
      {"wrong token", "GET", "/api/v1/members", "", As::kWrongToken, json, 401, "UNAUTHENTICATED", "anonymous",
       "api GET /api/v1/members"},
      {"auditor writes", "POST", suspend, reason, As::kAuditor, json, 403, "PERMISSION_DENIED", "auditor",
       suspend_route.c_str()},
      {"bad JSON", "POST", "/api/v1/applications", R"({"member": )", As::kAdministrator, json, 400, "INVALID_ARGUMENT",
       "admin", "member.apply"},
      {"unknown field", "POST", "/api/v1/applications", unknown_field.dump(), As::kAdministrator, json, 400,
       "INVALID_ARGUMENT", "admin", "member.apply"},
      {"unknown field of a person", "POST", "/api/v1/applications", unknown_person_field.dump(), As::kAdministrator,
       json, 400, "INVALID_ARGUMENT", "admin", "member.apply"},
      {"lower-case member class", "POST", "/api/v1/applications", application_for("QROO/fed/ACME").dump(),
       As::kAdministrator, json, 400, "INVALID_ARGUMENT", "admin", "member.apply"},
      {"other instance", "POST", "/api/v1/applications", application_for("QROO-TEST/FED/ACME").dump(),
       As::kAdministrator, json, 400, "INVALID_ARGUMENT", "admin", "member.apply"},
      {"other instance in the path", "POST", "/api/v1/members/QROO-TEST/FED/PGJ/suspend", reason, As::kAdministrator,
       json, 400, "INVALID_ARGUMENT", "admin", "member.suspend"},
      {"suspension without a reason", "POST", suspend, "{}", As::kAdministrator, json, 400, "INVALID_ARGUMENT", "admin",
       "member.suspend"},
      {"unknown member", "POST", "/api/v1/members/QROO/FED/NOBODY/suspend", reason, As::kAdministrator, json, 404,
       "NOT_FOUND", "admin", "member.suspend"},
      {"unknown application", "POST", "/api/v1/applications/999999/admit", "", As::kAdministrator, json, 404,
       "NOT_FOUND", "admin", "member.admit"},
      {"admitting twice", "POST", "/api/v1/applications/" + admitted + "/admit", "", As::kAdministrator, json, 409,
       "FAILED_PRECONDITION", "admin", "member.admit"},
      {"applying for an active member", "POST", "/api/v1/applications", application_for(kMember).dump(),
       As::kAdministrator, json, 409, "ALREADY_EXISTS", "admin", "member.apply"},
      {"reactivating an active member", "POST", kMemberPath + "/reactivate", reason, As::kAdministrator, json, 409,
       "FAILED_PRECONDITION", "admin", "member.reactivate"},
      // Refused before the domain modules: the router writes the entry, with the route as action.
      {"lower-case member class in the path", "POST", "/api/v1/members/QROO/fed/PGJ/suspend", reason,
       As::kAdministrator, json, 400, "INVALID_ARGUMENT", "admin", suspend_route.c_str()},
      {"bad JSON for a suspension", "POST", suspend, "{", As::kAdministrator, json, 400, "INVALID_ARGUMENT", "admin",
       suspend_route.c_str()},
      {"bad date", "POST", kMemberPath + "/termination", R"({"basis": "member-request", "effective": "2026-02-30"})",
       As::kAdministrator, json, 400, "INVALID_ARGUMENT", "admin", termination_route.c_str()},
      {"unknown rejection reason", "POST", "/api/v1/applications/" + admitted + "/reject",
       R"({"reason": "bad-vibes"})", As::kAdministrator, json, 400, "INVALID_ARGUMENT", "admin",
       "api POST /api/v1/applications/{applicationId}/reject"},
      {"bad application id", "POST", "/api/v1/applications/x1/admit", "", As::kAdministrator, json, 400,
       "INVALID_ARGUMENT", "admin", "api POST /api/v1/applications/{applicationId}/admit"},
      {"unknown notice kind", "POST", "/api/v1/notifications",
       R"({"kind": "whim", "subject": "s", "body": "b", "effective": "2030-01-01", "audience": "all-active"})",
       As::kAdministrator, json, 400, "INVALID_ARGUMENT", "admin", "api POST /api/v1/notifications"},
      {"bad incident time", "POST", "/api/v1/incidents",
       Json{{"member", kMember}, {"severity", "high"}, {"description", "d"}, {"occurred_at", "yesterday"}}.dump(),
       As::kAdministrator, json, 400, "INVALID_ARGUMENT", "admin", "api POST /api/v1/incidents"},
      {"bad release date", "POST", "/api/v1/releases", R"({"version": "1.0.0", "published_at": "2026-11-31"})",
       As::kAdministrator, json, 400, "INVALID_ARGUMENT", "admin", "api POST /api/v1/releases"},
      {"wrong Content-Type", "POST", suspend, reason, As::kAdministrator, "text/plain", 415, "UNSUPPORTED_MEDIA_TYPE",
       "admin", suspend_route.c_str()},
      {"a media type that only begins like JSON", "POST", suspend, reason, As::kAdministrator, "application/jsonx", 415,
       "UNSUPPORTED_MEDIA_TYPE", "admin", suspend_route.c_str()},
      {"management request that is not base64", "POST", "/api/v1/management-requests",
       R"({"request": "not base64!", "signature": ""})", As::kAnonymous, json, 400, "INVALID_ARGUMENT",
       "unauthenticated", "api POST /api/v1/management-requests"},
      // Refused reads change nothing and are not audited.
      {"unknown member state", "GET", "/api/v1/members?state=dormant", "", As::kAuditor, json, 400, "INVALID_ARGUMENT",
       nullptr, nullptr},
      {"audit limit too high", "GET", "/api/v1/audit?limit=10001", "", As::kAuditor, json, 400, "INVALID_ARGUMENT",
       nullptr, nullptr},
      {"unknown request state", "GET", "/api/v1/management-requests?state=lost", "", As::kAuditor, json, 400,
       "INVALID_ARGUMENT", nullptr, nullptr},
      // A path or query that does not percent-decode names no resource: refused before routing.
      {"bad percent-encoding in the path", "GET", "/api/v1/members%zz", "", As::kAuditor, json, 400,
       "INVALID_ARGUMENT", nullptr, nullptr},
      {"bad percent-encoding in an ignored query parameter", "GET", "/api/v1/members?page=%4", "", As::kAuditor, json,
       400, "INVALID_ARGUMENT", nullptr, nullptr},
      // Refused by the HTTP layer before the router.
      {"body over the limit", "POST", suspend, Json{{"reason", std::string(kBodyLimit + 1024, 'x')}}.dump(),
       As::kAdministrator, json, 413, "PAYLOAD_TOO_LARGE", nullptr, nullptr},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const auto before = last_audit_id();
    const Reply r = call(c.method, c.target, c.body, c.as, c.content_type);
    EXPECT_EQ(r.status, c.status) << r.http.body;
    EXPECT_EQ(r.code(), c.code) << r.http.body;
    if (c.status == 401) {
      EXPECT_EQ(r.http.header("WWW-Authenticate"), "Bearer");
    }
    if (c.status == 413) {
      EXPECT_NE(r.http.body.find("exceeds the limit"), std::string::npos) << r.http.body;
    }
    const Json entries = audit_after(before);
    if (c.action == nullptr) {
      EXPECT_TRUE(entries.empty()) << entries.dump(2);
      continue;
    }
    // One entry per refusal: the domain's, or else the router's.
    ASSERT_EQ(entries.size(), 1u) << entries.dump(2);
    EXPECT_EQ(entries[0]["actor"], c.actor);
    EXPECT_EQ(entries[0]["action"], c.action);
    EXPECT_EQ(entries[0]["success"], false);
    EXPECT_NE(entries[0]["detail"].get<std::string>().find(r.message()), std::string::npos)
        << entries[0]["detail"] << " lacks " << r.message();
  }
  // None of the refusals changed anything.
  EXPECT_EQ(member_state(kMemberPath), "active");
  EXPECT_EQ(get("/api/v1/members").json["members"].size(), 1u);
}

TEST_F(CentralRegistryTest, MatchesTheBearerSchemeInAnyCaseAndTheJsonMediaTypeExactly) {
  auto with_authorization = [&](const std::string& authorization) {
    net::HttpRequest request;
    request.method = "GET";
    request.headers.emplace_back("Authorization", authorization);
    return send("/api/v1/members", std::move(request)).status;
  };
  // RFC 9110 11.1: the scheme is case-insensitive; one or more spaces before the token.
  for (const std::string scheme : {"Bearer ", "bearer ", "BEARER ", "bEaReR  "}) {
    EXPECT_EQ(with_authorization(scheme + admin_.secret), 200) << scheme;
  }
  for (const std::string& wrong : std::vector<std::string>{"Basic " + admin_.secret, "Bearer", "Bearer ",
                                                           "Bearer" + admin_.secret, "Bearers " + admin_.secret,
                                                           admin_.secret}) {
    EXPECT_EQ(with_authorization(wrong), 401) << wrong;
  }
  // RFC 9110 8.3.1: type and subtype are case-insensitive; parameters may follow.
  const std::pair<std::string, std::string> accepted[] = {{"QROO/MUN/BJ", "application/json"},
                                                          {"QROO/MUN/OPB", "application/json; charset=utf-8"},
                                                          {"QROO/MUN/COZ", "Application/JSON"},
                                                          {"QROO/MUN/FCP", " application/json ;charset=UTF-8"}};
  for (const auto& [member, type] : accepted) {
    EXPECT_EQ(call("POST", "/api/v1/applications", application_for(member).dump(), As::kAdministrator, type).status,
              201)
        << type;
  }
  for (const std::string type : {"application/jsonx", "application/json-patch+json", "text/json", "application/",
                                 "json", "application/x-www-form-urlencoded"}) {
    const Reply r =
        call("POST", "/api/v1/applications", application_for("QROO/MUN/TUL").dump(), As::kAdministrator, type);
    EXPECT_EQ(r.status, 415) << type;
  }
  EXPECT_EQ(member_state("/api/v1/members/QROO/MUN/TUL"), "HTTP 404");
}

TEST_F(CentralRegistryTest, RegistersASecurityServerThroughItsSignedRequestAndAnAdministrator) {
  admit(kMember);
  const std::string server = kMember + "/SS1";
  const crypto::PrivateKey key = new_key();
  const SignedRequest request = bootstrap(server, key, "6f1c9a0e2b7d4c35a8e1f0d2c4b6a890");
  const auto start = last_audit_id();
  const Reply submitted = submit(request.envelope());
  ASSERT_EQ(submitted.status, 201) << submitted.http.body;
  const std::string id = std::to_string(submitted.json["id"].get<std::int64_t>());
  EXPECT_EQ(submitted.json["state"], "pending");
  EXPECT_EQ(submitted.json["type"], "register-server");
  EXPECT_EQ(submitted.json["server"], server);
  EXPECT_EQ(submitted.json["request_id"], "6f1c9a0e2b7d4c35a8e1f0d2c4b6a890");
  EXPECT_EQ(submitted.json["signer"], "bootstrap");
  EXPECT_EQ(submitted.json["request"], crypto::base64_encode(request.body));  // the bytes as signed
  // What the administrator confirms with the member before approving: the SHA-256 of the key.
  EXPECT_EQ(submitted.json["csr_key_sha256"], crypto::to_hex(crypto::sha256(key.public_key_der())));
  EXPECT_FALSE(submitted.json.contains("issued_certificate"));
  const Reply pending = get("/api/v1/management-requests?state=pending", As::kAuditor);
  ASSERT_EQ(pending.status, 200) << pending.http.body;
  ASSERT_EQ(pending.json["requests"].size(), 1u);
  EXPECT_EQ(pending.json["requests"][0], submitted.json);
  EXPECT_TRUE(get("/api/v1/security-servers").json["servers"].empty());

  EXPECT_EQ(call("POST", "/api/v1/management-requests/" + id + "/approve", "", As::kAuditor).status, 403);
  const Reply approved = call("POST", "/api/v1/management-requests/" + id + "/approve");
  ASSERT_EQ(approved.status, 200) << approved.http.body;
  EXPECT_EQ(approved.json["state"], "approved");
  EXPECT_EQ(approved.json["decided_by"], "admin");
  EXPECT_EQ(get("/api/v1/management-requests/" + id, As::kAuditor).json, approved.json);
  // The issued authentication certificate, for the server to collect, chains to the CEIQROO root.
  const std::string pem = services_.dir().file("ss1-auth.pem");
  write_text(pem, approved.json.value("issued_certificate", ""));
  const CommandResult verified = run_command({"openssl", "verify", "-CAfile", services_.root_pem(), pem});
  EXPECT_EQ(verified.exit_code, 0) << verified.output;
  EXPECT_NE(verified.output.find(pem + ": OK"), std::string::npos) << verified.output;
  auto cert = crypto::Certificate::from_pem(approved.json.value("issued_certificate", ""));
  ASSERT_TRUE(cert) << cert.status().to_string();

  const Reply servers = get("/api/v1/security-servers", As::kAuditor);
  ASSERT_EQ(servers.status, 200) << servers.http.body;
  ASSERT_EQ(servers.json["servers"].size(), 1u) << servers.http.body;
  const Json& s = servers.json["servers"][0];
  EXPECT_EQ(s["id"], server);
  EXPECT_EQ(s["address"], "ss1.pgj.qroo.gob.mx:5500");
  EXPECT_EQ(s["country"], "MX");
  EXPECT_EQ(s["software_version"], "1.0.0");
  EXPECT_EQ(s["outdated"], false);
  EXPECT_EQ(s["auth_certificate_sha256"], Json::array({cert->sha256_fingerprint()}));
  const Json certificates = get(kMemberPath).json["certificates"];
  ASSERT_EQ(certificates.size(), 1u) << certificates.dump();
  EXPECT_EQ(certificates[0]["profile"], "auth");
  EXPECT_EQ(certificates[0]["server_code"], "SS1");

  const Reply again = call("POST", "/api/v1/management-requests/" + id + "/approve");
  EXPECT_EQ(again.status, 409) << again.http.body;
  std::vector<std::tuple<std::string, std::string, bool>> trail;
  for (const auto& e : audit_after(start)) {
    trail.emplace_back(e["actor"].get<std::string>(), e["action"].get<std::string>(), e["success"].get<bool>());
  }
  const std::vector<std::tuple<std::string, std::string, bool>> expected = {
      {"server:" + server, "management.submit", true},
      {"auditor", "api POST /api/v1/management-requests/{requestId}/approve", false},
      {"admin", "management.approve", true},
      {"admin", "management.approve", false},
  };
  EXPECT_EQ(trail, expected);
}

TEST_F(CentralRegistryTest, DeclinesAManagementRequestWithAReason) {
  admit(kMember);
  const Reply submitted = submit(bootstrap(kMember + "/SS2", new_key(), "decline-me-0001").envelope());
  ASSERT_EQ(submitted.status, 201) << submitted.http.body;
  const std::string target = "/api/v1/management-requests/" + std::to_string(submitted.json.value("id", 0));
  const Reply unexplained = post(target + "/decline", Json::object());
  EXPECT_EQ(unexplained.status, 400) << unexplained.http.body;
  const Reply declined = post(target + "/decline", {{"reason", "the member did not confirm the key"}});
  ASSERT_EQ(declined.status, 200) << declined.http.body;
  EXPECT_EQ(declined.json["state"], "declined");
  EXPECT_EQ(declined.json["decline_reason"], "the member did not confirm the key");
  EXPECT_FALSE(declined.json.contains("issued_certificate"));
  EXPECT_EQ(call("POST", target + "/approve").status, 409);
  EXPECT_EQ(get("/api/v1/management-requests?state=declined").json["requests"].size(), 1u);
  EXPECT_TRUE(get("/api/v1/management-requests?state=approved").json["requests"].empty());
  EXPECT_TRUE(get("/api/v1/security-servers").json["servers"].empty());
}

// What a security server collects: the issued certificate, without a token, once approved; until
// then 404 naming the request's state.
TEST_F(CentralRegistryTest, ServesAnIssuedCertificateWithoutAToken) {
  admit(kMember);
  const crypto::PrivateKey key = new_key();
  const Reply submitted = submit(bootstrap(kMember + "/SS5", key, "collect-me-0001").envelope());
  ASSERT_EQ(submitted.status, 201) << submitted.http.body;
  const std::string id = std::to_string(submitted.json.value("id", 0));
  const std::string target = "/api/v1/management-requests/" + id + "/certificate";
  const Reply pending = get(target, As::kAnonymous);
  EXPECT_EQ(pending.status, 404) << pending.http.body;
  EXPECT_EQ(pending.code(), "NOT_FOUND");
  EXPECT_EQ(pending.message(), "management request " + id + " is pending: no certificate issued");

  const Reply approved = call("POST", "/api/v1/management-requests/" + id + "/approve");
  ASSERT_EQ(approved.status, 200) << approved.http.body;
  const Reply issued = get(target, As::kAnonymous);
  ASSERT_EQ(issued.status, 200) << issued.http.body;
  EXPECT_EQ(issued.http.header("Content-Type"), "application/pem-certificate-chain");
  EXPECT_EQ(issued.http.body, approved.json.value("issued_certificate", "?"));
  auto cert = crypto::Certificate::from_pem(issued.http.body);
  ASSERT_TRUE(cert) << cert.status().to_string();
  EXPECT_EQ(EVP_PKEY_eq(X509_get0_pubkey(cert->get()), key.get()), 1);  // the key of the request's CSR
  // A token changes nothing.
  EXPECT_EQ(get(target, As::kAuditor).http.body, issued.http.body);

  const Reply other = submit(bootstrap(kMember + "/SS6", new_key(), "collect-me-0002").envelope());
  ASSERT_EQ(other.status, 201) << other.http.body;
  const std::string declined = std::to_string(other.json.value("id", 0));
  ASSERT_EQ(post("/api/v1/management-requests/" + declined + "/decline", {{"reason", "unconfirmed"}}).status, 200);
  const Reply refused = get("/api/v1/management-requests/" + declined + "/certificate", As::kAnonymous);
  EXPECT_EQ(refused.status, 404);
  EXPECT_EQ(refused.message(), "management request " + declined + " is declined: no certificate issued");

  EXPECT_EQ(get("/api/v1/management-requests/999/certificate", As::kAnonymous).code(), "NOT_FOUND");
  EXPECT_EQ(get("/api/v1/management-requests/x/certificate", As::kAnonymous).status, 400);
}

// The security server's side of the exchange: the shared builder and client against the real
// registry, an accepted request and the registry's refusal read back as a Status.
TEST_F(CentralRegistryTest, ManagementClientSendsASignedRequestAndReadsTheAnswerOrTheRefusal) {
  admit(kMember);
  const crypto::PrivateKey key = new_key();
  const management::Request request = management::make_register_server(
      server_id(kMember + "/SS4"), now_seconds(), "ss4.pgj.qroo.gob.mx:5500", "MX", "1.2.0", csr_for(key));
  auto signed_request = management::sign_bootstrap_request(request, key, std::chrono::system_clock::now());
  ASSERT_TRUE(signed_request) << signed_request.status().to_string();

  auto stored = management::send_request(registry_.url(), *signed_request);
  ASSERT_TRUE(stored) << stored.status().to_string();
  EXPECT_EQ(stored->status, 201);
  const Json answer = Json::parse(stored->body);
  EXPECT_EQ(answer["request_id"], request.request_id);
  EXPECT_EQ(answer["type"], "register-server");
  EXPECT_EQ(answer["state"], "pending");
  EXPECT_EQ(answer["signer"], "bootstrap");
  EXPECT_EQ(answer["request"], crypto::base64_encode(signed_request->request));

  auto replayed = management::send_request(registry_.url() + "/", *signed_request);
  ASSERT_FALSE(replayed);
  EXPECT_EQ(replayed.status().code(), Code::kAlreadyExists) << replayed.status().to_string();
  EXPECT_EQ(replayed.status().message().rfind("registry: replayed request", 0), 0u) << replayed.status().to_string();

  management::SignedRequest tampered = *signed_request;
  tampered.signature = "not a CMS structure";
  auto refused = management::send_request(registry_.url(), tampered);
  EXPECT_EQ(refused.status().code(), Code::kInvalidArgument) << refused.status().to_string();

  net::ClientOptions quick;
  quick.timeout = std::chrono::seconds(2);
  auto unreachable = management::send_request("http://127.0.0.1:1", *signed_request, quick);
  EXPECT_EQ(unreachable.status().code(), Code::kUnavailable) << unreachable.status().to_string();
}

struct ManagementRefusal {
  const char* name;
  std::function<Json()> envelope;
  int status;
  const char* code;
  const char* actor;   // of the one audit entry
  const char* action;
};

TEST_F(CentralRegistryTest, RefusesManagementRequestsThatAreNotProperlySigned) {
  admit(kMember);
  const std::string server = kMember + "/SS3";
  const crypto::PrivateKey key = new_key(), other = new_key();
  const SignedRequest replayed = bootstrap(server, key, "replayed-request-01");
  ASSERT_EQ(submit(replayed.envelope()).status, 201);
  int n = 0;
  auto fresh = [&] { return bootstrap(server, key, "refused-request-" + std::to_string(++n)); };
  const std::string router = "api POST /api/v1/management-requests";
  const std::string by_server = "server:" + server;
  const ManagementRefusal cases[] = {
      {"unsigned", [&] { return Json{{"request", fresh().envelope()["request"]}}; }, 403, "PERMISSION_DENIED",
       "unauthenticated", "management.submit"},
      {"empty signature", [&] { return Json{{"request", fresh().envelope()["request"]}, {"signature", ""}}; }, 403,
       "PERMISSION_DENIED", "unauthenticated", "management.submit"},
      {"request not base64", [&] { return Json{{"request", "{not base64}"}, {"signature", "AAAA"}}; }, 400,
       "INVALID_ARGUMENT", "unauthenticated", router.c_str()},
      {"signature not base64",
       [&] { return Json{{"request", fresh().envelope()["request"]}, {"signature", "%%%"}}; }, 400,
       "INVALID_ARGUMENT", "unauthenticated", router.c_str()},
      {"no request", [&] { return Json{{"signature", fresh().envelope()["signature"]}}; }, 400, "INVALID_ARGUMENT",
       "unauthenticated", router.c_str()},
      {"unknown field", [&] { Json j = fresh().envelope(); j["token"] = "x"; return j; }, 400, "INVALID_ARGUMENT",
       "unauthenticated", router.c_str()},
      {"signature that is not CMS",
       [&] {
         return Json{{"request", fresh().envelope()["request"]}, {"signature", crypto::base64_encode("garbage")}};
       },
       400, "INVALID_ARGUMENT", "unauthenticated", "management.submit"},
      {"signed with a key other than the CSR's",
       [&] {
         const std::string body =
             management::to_json(registration(server, key, "refused-request-" + std::to_string(++n))).value();
         auto cert = management::make_bootstrap_certificate(other, server_id(server), std::chrono::system_clock::now());
         return signed_by(body, other, cert.value()).envelope();
       },
       403, "PERMISSION_DENIED", "unauthenticated", "management.submit"},
      {"signature over other bytes",
       [&] {
         SignedRequest s = fresh();
         s.body.back() = ' ';  // "}" -> " ": the bytes no longer say what was signed
         return s.envelope();
       },
       400, "INVALID_ARGUMENT", "unauthenticated", "management.submit"},
      {"signature over other valid bytes",
       [&] {
         SignedRequest s = fresh();
         s.body += " ";
         return s.envelope();
       },
       403, "PERMISSION_DENIED", "unauthenticated", "management.submit"},
      {"replay", [&] { return replayed.envelope(); }, 409, "ALREADY_EXISTS", by_server.c_str(),
       "management.submit"},
  };
  // Refusals of callers nobody identified are aggregated per source, action and code: the first
  // of each code in an interval has its entry, the next ones are counted (audit_trail.hpp).
  std::set<std::string> unidentified_codes;
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const auto before = last_audit_id();
    const Reply r = submit(c.envelope());
    EXPECT_EQ(r.status, c.status) << r.http.body;
    EXPECT_EQ(r.code(), c.code) << r.http.body;
    Json entries = Json::array();
    for (const auto& e : audit_after(before)) {
      if (e["action"] != "audit.refusals-aggregated") entries.push_back(e);
    }
    if (std::string(c.actor) == "unauthenticated" &&
        !unidentified_codes.insert(std::string(c.action) + " " + c.code).second) {
      // Counted; recorded again only if the interval happened to end meanwhile.
      EXPECT_LE(entries.size(), 1u) << entries.dump(2);
      if (entries.empty()) continue;
    }
    ASSERT_EQ(entries.size(), 1u) << entries.dump(2);
    EXPECT_EQ(entries[0]["actor"], c.actor);
    EXPECT_EQ(entries[0]["action"], c.action);
    EXPECT_EQ(entries[0]["success"], false);
  }
  // A bearer token is no signature.
  const Reply with_token = post("/api/v1/management-requests", {{"request", fresh().envelope()["request"]}});
  EXPECT_EQ(with_token.status, 403) << with_token.http.body;
  EXPECT_EQ(get("/api/v1/management-requests").json["requests"].size(), 1u);
}

TEST_F(CentralRegistryTest, RecordsHostingPermissionsAndReleasesAndFlagsOutdatedServers) {
  admit(kMember);
  const std::string abroad = kMember + "/SS-US";
  const Reply refused = submit(bootstrap(abroad, new_key(), "abroad-request-01", "US").envelope());
  EXPECT_EQ(refused.status, 403) << refused.http.body;
  EXPECT_NE(refused.message().find("foreign hosting"), std::string::npos) << refused.http.body;

  const Reply granted = post("/api/v1/security-servers/" + abroad + "/foreign-hosting",
                             {{"reference", "CEIQROO/OF/2026/031"}});
  ASSERT_EQ(granted.status, 200) << granted.http.body;
  EXPECT_EQ(granted.json, Json({{"server", abroad}, {"foreign_hosting_reference", "CEIQROO/OF/2026/031"}}));
  // A refused request is sent again with a new request id once the permission exists.
  const Reply accepted = submit(bootstrap(abroad, new_key(), "abroad-request-02", "US").envelope());
  ASSERT_EQ(accepted.status, 201) << accepted.http.body;
  ASSERT_EQ(call("POST", "/api/v1/management-requests/" + std::to_string(accepted.json.value("id", 0)) + "/approve")
                .status,
            200);

  // A release published more than two months ago that the server does not run makes it outdated.
  const std::string old_enough = globalconf::format_time(std::chrono::floor<std::chrono::seconds>(
      std::chrono::system_clock::now() - std::chrono::days{70}));
  const Reply release = post("/api/v1/releases", {{"version", "1.1.0"}, {"published_at", old_enough}});
  ASSERT_EQ(release.status, 201) << release.http.body;
  EXPECT_EQ(release.json["version"], "1.1.0");
  EXPECT_EQ(release.json["published_at"], old_enough);
  EXPECT_EQ(post("/api/v1/releases", {{"version", "1.1.0"}, {"published_at", old_enough}}).status, 409);
  EXPECT_EQ(post("/api/v1/releases", {{"version", "01.1"}, {"published_at", old_enough}}).status, 400);
  const Reply releases = get("/api/v1/releases", As::kAuditor);
  ASSERT_EQ(releases.status, 200) << releases.http.body;
  ASSERT_EQ(releases.json["releases"].size(), 1u);
  EXPECT_EQ(releases.json["releases"][0], release.json);

  const Json servers = get("/api/v1/security-servers").json["servers"];
  ASSERT_EQ(servers.size(), 1u) << servers.dump();
  EXPECT_EQ(servers[0]["id"], abroad);
  EXPECT_EQ(servers[0]["country"], "US");
  EXPECT_EQ(servers[0]["foreign_hosting_reference"], "CEIQROO/OF/2026/031");
  EXPECT_EQ(servers[0]["outdated"], true);
}

TEST_F(CentralRegistryTest, RegisteredServerReportsItsVersionAndReadsAndAcknowledgesItsNotifications) {
  admit(kMember);
  admit("QROO/MUN/TUL");
  const std::string server = kMember + "/SS1";
  const crypto::PrivateKey key = new_key();
  auto cert = crypto::Certificate::load(registered_server(server, key));
  ASSERT_TRUE(cert) << cert.status().to_string();
  const std::string other_server = "QROO/MUN/TUL/SS1";
  const crypto::PrivateKey other_key = new_key();
  auto other_cert = crypto::Certificate::load(registered_server(other_server, other_key));
  ASSERT_TRUE(other_cert) << other_cert.status().to_string();
  // A request as the server signs it (docs/protocol/management-requests.md).
  const auto signed_request = [](const management::Request& r, const crypto::PrivateKey& k,
                                 const crypto::Certificate& c) { return from(management::sign_request(r, k, c)); };
  const auto list = [](const std::string& sender) {
    return management::make_list_notifications(server_id(sender), now_seconds());
  };
  const auto acknowledge = [](const std::string& sender, std::int64_t id) {
    return management::make_acknowledge_notification(server_id(sender), now_seconds(), id);
  };

  // report-version: applied at once, the outdated flag follows.
  const std::string old_enough = globalconf::format_time(std::chrono::floor<std::chrono::seconds>(
      std::chrono::system_clock::now() - std::chrono::days{70}));
  ASSERT_EQ(post("/api/v1/releases", {{"version", "1.1.0"}, {"published_at", old_enough}}).status, 201);
  const auto outdated = [&]() {
    const Json servers = get("/api/v1/security-servers", As::kAuditor).json["servers"];
    for (const auto& s : servers) {
      if (s["id"] == server) return s["outdated"].get<bool>();
    }
    ADD_FAILURE() << server << " not listed";
    return false;
  };
  EXPECT_TRUE(outdated());
  const SignedRequest report =
      signed_request(management::make_report_version(server_id(server), now_seconds(), "1.1.0"), key, *cert);
  const Reply reported = submit(report.envelope());
  ASSERT_EQ(reported.status, 200) << reported.http.body;
  EXPECT_EQ(reported.json["software_version"], "1.1.0");
  EXPECT_EQ(reported.json["outdated"], false);
  EXPECT_FALSE(outdated());
  EXPECT_EQ(submit(report.envelope()).status, 409);  // replayed
  EXPECT_TRUE(get("/api/v1/management-requests?state=pending").json["requests"].empty());

  // list-notifications: the owner member's notifications, its own delivery only.
  const Reply announced = post("/api/v1/notifications", {{"kind", "planned-change"},
                                                         {"subject", "Mantenimiento del registro"},
                                                         {"body", "Ventana de mantenimiento."},
                                                         {"effective", "2030-01-07"},
                                                         {"audience", Json::array({kMember})}});
  ASSERT_EQ(announced.status, 201) << announced.http.body;
  const std::int64_t notification = announced.json["id"].get<std::int64_t>();
  const Reply listed = submit(signed_request(list(server), key, *cert).envelope());
  ASSERT_EQ(listed.status, 200) << listed.http.body;
  EXPECT_EQ(listed.json["member"], kMember);
  ASSERT_EQ(listed.json["notifications"].size(), 1u) << listed.http.body;
  EXPECT_EQ(listed.json["notifications"][0]["id"], notification);
  EXPECT_EQ(listed.json["notifications"][0]["subject"], "Mantenimiento del registro");
  ASSERT_EQ(listed.json["notifications"][0]["deliveries"].size(), 1u);
  EXPECT_EQ(listed.json["notifications"][0]["deliveries"][0]["member"], kMember);

  // Another member's server sees none of them, and cannot acknowledge them.
  const Reply other_list =
      submit(signed_request(list(other_server), other_key, *other_cert).envelope());
  ASSERT_EQ(other_list.status, 200) << other_list.http.body;
  EXPECT_EQ(other_list.json["member"], "QROO/MUN/TUL");
  EXPECT_TRUE(other_list.json["notifications"].empty()) << other_list.http.body;
  EXPECT_EQ(submit(signed_request(acknowledge(other_server, notification), other_key, *other_cert).envelope()).status,
            404);
  // Nor can it speak for the member's server.
  EXPECT_EQ(submit(signed_request(list(server), other_key, *other_cert).envelope()).status, 403);

  // acknowledge-notification: recorded for the member, by the server.
  const Reply acknowledged = submit(signed_request(acknowledge(server, notification), key, *cert).envelope());
  ASSERT_EQ(acknowledged.status, 200) << acknowledged.http.body;
  EXPECT_EQ(acknowledged.json["id"], notification);
  const Reply shown = get("/api/v1/notifications/" + std::to_string(notification), As::kAuditor);
  ASSERT_EQ(shown.status, 200) << shown.http.body;
  ASSERT_EQ(shown.json["deliveries"].size(), 1u);
  EXPECT_EQ(shown.json["deliveries"][0]["acknowledgement"]["by"], "server:" + server) << shown.http.body;
  EXPECT_EQ(submit(signed_request(acknowledge(server, notification), key, *cert).envelope()).status,
            409);  // already acknowledged
}

TEST_F(CentralRegistryTest, AutoApprovesCsrsOfRegisteredServersWhenConfigured) {
  registry_.config()["registry"]["auto_approve_csrs"] = true;
  ASSERT_EQ(registry_.stop(SIGTERM), 0) << registry_.log();
  registry_.start();
  admit(kMember);
  const std::string server = kMember + "/SS1";
  const crypto::PrivateKey auth_key = new_key();
  // Registrations still wait for an administrator (registered_server approves it).
  auto auth_cert = crypto::Certificate::load(registered_server(server, auth_key));
  ASSERT_TRUE(auth_cert) << auth_cert.status().to_string();

  // A submit-csr signed with the server's authentication certificate is issued at once.
  const crypto::PrivateKey sign_key = new_key();
  const SignedRequest csr = from(management::sign_request(
      management::make_submit_csr(server_id(server), now_seconds(), management::KeyUsage::kSign, csr_for(sign_key)),
      auth_key, *auth_cert));
  const Reply r = submit(csr.envelope());
  ASSERT_EQ(r.status, 201) << r.http.body;
  EXPECT_EQ(r.json["state"], "approved");
  EXPECT_EQ(r.json["decided_by"], "policy:auto-approval");
  EXPECT_EQ(r.json["signer"], auth_cert->serial_hex());
  const std::string pem = services_.dir().file("sign.pem");
  write_text(pem, r.json.value("issued_certificate", ""));
  const CommandResult verified = run_command({"openssl", "verify", "-CAfile", services_.root_pem(), pem});
  EXPECT_EQ(verified.exit_code, 0) << verified.output;
  EXPECT_EQ(get(kMemberPath).json["certificates"].size(), 2u);
}

TEST_F(CentralRegistryTest, SuspensionPutsTheMembersServerCertificateOnHold) {
  admit(kMember);
  const std::string cert = registered_server(kMember + "/SS1", new_key());
  services_.start_ocsp();
  auto ocsp = [&] {
    const CommandResult r = run_command({"openssl", "ocsp", "-issuer", services_.root_pem(), "-cert", cert, "-url",
                                         services_.ocsp_url(), "-CAfile", services_.root_pem()});
    EXPECT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("Response verify OK"), std::string::npos) << r.output;
    return r.output;
  };
  EXPECT_NE(ocsp().find(cert + ": good"), std::string::npos);
  ASSERT_EQ(post(kMemberPath + "/suspend", {{"reason", "unauthorised access attempts"}}).status, 200);
  const std::string held = ocsp();
  EXPECT_NE(held.find(cert + ": revoked"), std::string::npos) << held;
  EXPECT_NE(held.find("Reason: certificateHold"), std::string::npos) << held;
  ASSERT_EQ(post(kMemberPath + "/reactivate", {{"reason", "remedied"}}).status, 200);
  EXPECT_NE(ocsp().find(cert + ": good"), std::string::npos);
}

struct BadConfig {
  const char* name;
  void (*spoil)(Json& config);
  const char* message;
};

TEST_F(CentralRegistryTest, RefusesToStartWithABadConfiguration) {
  const BadConfig cases[] = {
      {"missing users", [](Json& c) { c["registry"].erase("users"); }, "'registry.users' is required"},
      {"no users", [](Json& c) { c["registry"]["users"] = Json::object(); }, "needs at least one user"},
      {"bad token hash", [](Json& c) { c["registry"]["users"]["admin"]["token_sha256"] = std::string(64, 'A'); },
       "'registry.users.admin.token_sha256' must be 64 lower-case hex digits"},
      {"unknown role", [](Json& c) { c["registry"]["users"]["auditor"]["role"] = "root"; },
       "'registry.users.auditor.role' must be administrator or auditor"},
      {"unknown instance", [](Json& c) { c["registry"]["instance"] = "QROO-PROD"; },
       "'registry.instance' must be QROO or QROO-TEST"},
      {"auto-approval not a boolean", [](Json& c) { c["registry"]["auto_approve_csrs"] = "yes"; },
       "'registry.auto_approve_csrs' must be true or false"},
      {"mail retry maximum below the first delay",
       [](Json& c) {
         c["registry"]["smtp"]["retry_initial_seconds"] = 60;
         c["registry"]["smtp"]["retry_max_seconds"] = 30;
       },
       "'registry.smtp.retry_max_seconds' must be at least retry_initial_seconds"},
      {"mail retry delay of zero", [](Json& c) { c["registry"]["smtp"]["retry_initial_seconds"] = 0; },
       "registry.smtp.retry_initial_seconds"},
      {"two users sharing a token",
       [](Json& c) {
         c["registry"]["users"]["auditor"]["token_sha256"] = c["registry"]["users"]["admin"]["token_sha256"];
       },
       "is also the token of user 'admin'"},
      {"a reserved user name",
       [](Json& c) { c["registry"]["users"]["system"] = {{"role", "auditor"}, {"token_sha256", std::string(64, 'e')}}; },
       "'registry.users.system' is a reserved name"},
      {"unknown past-deadline action", [](Json& c) { c["registry"]["update_rule"] = {{"past_deadline", "delete"}}; },
       "'registry.update_rule.past_deadline' must be flag or leave-configuration"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    Json config = registry_.config();
    c.spoil(config);
    const std::string path = services_.dir().file("bad-registry.json");
    write_text(path, config.dump(2));
    const CommandResult r = run_command({XACBE_REGISTRY_BIN, "--config", path}, {}, std::chrono::seconds(10));
    EXPECT_EQ(r.exit_code, 2) << r.output;
    EXPECT_NE(r.output.find(c.message), std::string::npos) << r.output;
    EXPECT_EQ(r.output.find("listening on"), std::string::npos) << r.output;
  }
}

TEST_F(CentralRegistryTest, PublishesASignedGlobalConfigurationThatVerifiesAgainstItsAnchor) {
  admit("QROO/EST/FGE");
  admit("QROO/EST/SSP");
  ASSERT_EQ(post("/api/v1/members/QROO/EST/SSP/suspend", {{"reason", "violación del protocolo"}}).status, 200);
  const Reply anchor_reply = get("/api/v1/configuration-anchor", As::kAuditor);
  ASSERT_EQ(anchor_reply.status, 200) << anchor_reply.http.body;
  auto anchor = globalconf::ConfigurationAnchor::from_json(anchor_reply.http.body);
  ASSERT_TRUE(anchor.is_ok()) << anchor.status().to_string();
  // Security servers download it without a token.
  const Reply doc_reply = get("/globalconf/QROO", As::kAnonymous);
  ASSERT_EQ(doc_reply.status, 200) << doc_reply.http.body;
  SystemClock clock;
  auto doc = globalconf::verify(doc_reply.http.body, *anchor, clock, 0);
  ASSERT_TRUE(doc.is_ok()) << doc.status().to_string();
  EXPECT_NE(doc->find_member(id::MemberId::parse("QROO/EST/FGE").value()), nullptr);
  EXPECT_EQ(doc->find_member(id::MemberId::parse("QROO/EST/SSP").value()), nullptr);  // suspended
  // A change publishes a new version; the old one is never served again.
  ASSERT_EQ(post("/api/v1/members/QROO/EST/SSP/reactivate", {{"reason", "medidas correctivas"}}).status, 200);
  auto newer = globalconf::verify(get("/globalconf/QROO", As::kAnonymous).http.body, *anchor, clock, doc->version() + 1);
  ASSERT_TRUE(newer.is_ok()) << newer.status().to_string();
  EXPECT_NE(newer->find_member(id::MemberId::parse("QROO/EST/SSP").value()), nullptr);
  // Another instance is not served here.
  EXPECT_EQ(get("/globalconf/QROO-TEST", As::kAnonymous).status, 404);
}

TEST_F(CentralRegistryTest, PublishesAGlobalGroupCreatedOverTheApi) {
  admit("QROO/EST/FGE");
  admit("QROO/EST/SSP");
  const Reply created = post("/api/v1/global-groups", {{"code", "seguridad"}, {"description", "Seguridad pública"}});
  ASSERT_EQ(created.status, 201) << created.http.body;
  EXPECT_EQ(created.json["code"], "seguridad");
  EXPECT_TRUE(created.json["members"].empty());
  const Reply added = post("/api/v1/global-groups/seguridad/members", {{"client", "QROO/EST/FGE"}});
  ASSERT_EQ(added.status, 201) << added.http.body;
  ASSERT_EQ(added.json["members"].size(), 1u);
  EXPECT_EQ(added.json["members"][0]["client"], "QROO/EST/FGE");
  ASSERT_EQ(post("/api/v1/global-groups/seguridad/members", {{"client", "QROO/EST/SSP"}}).status, 201);
  ASSERT_EQ(post("/api/v1/global-groups/seguridad/members/removal", {{"client", "QROO/EST/SSP"}}).status, 200);
  // Refusals: 409 duplicate, 404 unknown, 400 bad input; an auditor may only read.
  EXPECT_EQ(post("/api/v1/global-groups/seguridad/members", {{"client", "QROO/EST/FGE"}}).status, 409);
  EXPECT_EQ(post("/api/v1/global-groups/seguridad/members", {{"client", "QROO/EST/NADIE"}}).status, 404);
  EXPECT_EQ(post("/api/v1/global-groups/nadie/members", {{"client", "QROO/EST/FGE"}}).status, 404);
  EXPECT_EQ(post("/api/v1/global-groups", {{"code", "../x"}, {"description", "x"}}).status, 400);
  EXPECT_EQ(post("/api/v1/global-groups/seguridad/members", {{"client", "qroo"}}).status, 400);
  EXPECT_EQ(post("/api/v1/global-groups", {{"code", "otro"}, {"description", "x"}}, As::kAuditor).status, 403);
  const Reply members = get("/api/v1/global-groups/seguridad/members", As::kAuditor);
  ASSERT_EQ(members.status, 200) << members.http.body;
  EXPECT_EQ(members.json["members"].size(), 1u);
  EXPECT_EQ(get("/api/v1/global-groups", As::kAuditor).json["global_groups"].size(), 1u);

  const Reply anchor_reply = get("/api/v1/configuration-anchor", As::kAuditor);
  ASSERT_EQ(anchor_reply.status, 200) << anchor_reply.http.body;
  auto anchor = globalconf::ConfigurationAnchor::from_json(anchor_reply.http.body);
  ASSERT_TRUE(anchor.is_ok()) << anchor.status().to_string();
  SystemClock clock;
  auto doc = globalconf::verify(get("/globalconf/QROO", As::kAnonymous).http.body, *anchor, clock, 0);
  ASSERT_TRUE(doc.is_ok()) << doc.status().to_string();
  const globalconf::GlobalGroup* group = doc->find_group("seguridad");
  ASSERT_NE(group, nullptr);
  EXPECT_EQ(group->members, std::vector<id::ClientId>{id::MemberId::parse("QROO/EST/FGE").value()});

  // A deleted group leaves the next version.
  const Reply deleted = post("/api/v1/global-groups/seguridad/deletion", Json::object());
  ASSERT_EQ(deleted.status, 200) << deleted.http.body;
  EXPECT_EQ(post("/api/v1/global-groups/seguridad/deletion", Json::object()).status, 404);
  auto newer =
      globalconf::verify(get("/globalconf/QROO", As::kAnonymous).http.body, *anchor, clock, doc->version() + 1);
  ASSERT_TRUE(newer.is_ok()) << newer.status().to_string();
  EXPECT_EQ(newer->find_group("seguridad"), nullptr);
}

TEST_F(CentralRegistryTest, RecordsSubsystemsUsersAndServiceUsagesAndPublishesTheSubsystems) {
  admit("QROO/EST/FGE");
  admit("QROO/FED/PGJ");
  const std::string fge = "/api/v1/members/QROO/EST/FGE";
  const std::string pgj = "/api/v1/members/QROO/FED/PGJ";
  const Reply sigi = post(fge + "/subsystems", {{"subsystem_code", "SIGI"}});
  ASSERT_EQ(sigi.status, 201) << sigi.http.body;
  EXPECT_EQ(sigi.json["id"], "QROO/EST/FGE/SIGI");
  EXPECT_TRUE(sigi.json["removed_at"].is_null());
  ASSERT_EQ(post(pgj + "/subsystems", {{"subsystem_code", "DENUNCIAS"}}).status, 201);
  ASSERT_EQ(post(fge + "/subsystems", {{"subsystem_code", "NOMINA"}}).status, 201);

  const Reply user = post(fge + "/users", {{"name", "Ana Pérez"}, {"email", "ana@fge.qroo.gob.mx"}, {"role", "operator"}});
  ASSERT_EQ(user.status, 201) << user.http.body;
  EXPECT_EQ(user.json["role"], "operator");
  const Reply usage = post(fge + "/service-usages", {{"client_subsystem_code", "SIGI"},
                                                     {"service", "QROO/FED/PGJ/DENUNCIAS/consultaDenuncia/v1"},
                                                     {"purpose", "Integrar carpetas de investigación"}});
  ASSERT_EQ(usage.status, 201) << usage.http.body;
  EXPECT_EQ(usage.json["client"], "QROO/EST/FGE/SIGI");

  // Refusals: 400 bad input, 404 unknown, 409 state or duplicate; an auditor may only read.
  EXPECT_EQ(post(fge + "/subsystems", {{"subsystem_code", "../x"}}).status, 400);
  EXPECT_EQ(post(fge + "/users", {{"name", "Ana"}, {"email", "ana@"}, {"role", "operator"}}).status, 400);
  EXPECT_EQ(post(fge + "/users", {{"name", "Ana"}, {"email", "a@b.mx"}, {"role", "jefa"}}).status, 400);
  EXPECT_EQ(post("/api/v1/members/QROO/EST/NADIE/subsystems", {{"subsystem_code", "SIGI"}}).status, 404);
  EXPECT_EQ(post(fge + "/users/999/revocation", Json::object()).status, 404);
  EXPECT_EQ(post(fge + "/subsystems", {{"subsystem_code", "SIGI"}}).status, 409);
  EXPECT_EQ(post(fge + "/subsystems/SIGI/removal", Json::object()).status, 409);  // still uses a service
  EXPECT_EQ(post(fge + "/subsystems", {{"subsystem_code", "OTRO"}}, As::kAuditor).status, 403);
  const Reply refused = post(fge + "/service-usages", {{"client_subsystem_code", "SIGI"},
                                                       {"service", "QROO/FED/PGJ/NADA/consulta"},
                                                       {"purpose", "x"}});
  EXPECT_EQ(refused.status, 404) << refused.http.body;
  const Json last = audit_after(0).back();
  EXPECT_EQ(last["action"], "service-usage.declare");
  EXPECT_FALSE(last["success"].get<bool>());

  // Withdrawn and removed records stay listed, stamped.
  const std::string usage_id = std::to_string(usage.json["id"].get<std::int64_t>());
  ASSERT_EQ(post(fge + "/service-usages/" + usage_id + "/withdrawal", Json::object()).status, 200);
  EXPECT_EQ(post(fge + "/service-usages/" + usage_id + "/withdrawal", Json::object()).status, 409);
  const Reply removed = post(fge + "/subsystems/SIGI/removal", Json::object());
  ASSERT_EQ(removed.status, 200) << removed.http.body;
  EXPECT_FALSE(removed.json["removed_at"].is_null());
  const Reply subsystems = get(fge + "/subsystems", As::kAuditor);
  ASSERT_EQ(subsystems.status, 200);
  EXPECT_EQ(subsystems.json["subsystems"].size(), 2u);
  EXPECT_EQ(get(fge + "/users", As::kAuditor).json["users"].size(), 1u);
  EXPECT_FALSE(get(fge + "/service-usages", As::kAuditor).json["service_usages"][0]["withdrawn_at"].is_null());

  // The published configuration lists current subsystems only.
  auto anchor = globalconf::ConfigurationAnchor::from_json(get("/api/v1/configuration-anchor", As::kAuditor).http.body);
  ASSERT_TRUE(anchor.is_ok()) << anchor.status().to_string();
  SystemClock clock;
  auto doc = globalconf::verify(get("/globalconf/QROO", As::kAnonymous).http.body, *anchor, clock, 0);
  ASSERT_TRUE(doc.is_ok()) << doc.status().to_string();
  EXPECT_TRUE(doc->has_client(id::SubsystemId::parse("QROO/EST/FGE/NOMINA").value()));
  EXPECT_TRUE(doc->has_client(id::SubsystemId::parse("QROO/FED/PGJ/DENUNCIAS").value()));
  EXPECT_FALSE(doc->has_client(id::SubsystemId::parse("QROO/EST/FGE/SIGI").value()));
}

// A shared server: the state agency's server carries a municipality's information system once its
// signed register-client is approved, and the published configuration lists it among the server's
// clients; an unregister-client takes it away at once.
TEST_F(CentralRegistryTest, RegistersAClientOfAnotherMemberOnASharedServerAndPublishesIt) {
  admit("QROO/EST/SSP");
  admit("QROO/MUN/BJ");
  ASSERT_EQ(post("/api/v1/members/QROO/MUN/BJ/subsystems", {{"subsystem_code", "PADRON"}}).status, 201);
  const std::string server = "QROO/EST/SSP/SS1";
  const crypto::PrivateKey key = new_key();
  auto cert = crypto::Certificate::load(registered_server(server, key));
  ASSERT_TRUE(cert) << cert.status().to_string();
  const auto client = id::ClientId::parse("QROO/MUN/BJ/PADRON").value();
  // Signed with the server's authentication certificate, as the server signs it.
  const auto signed_by_server = [&](const management::Request& r) {
    return from(management::sign_request(r, key, *cert)).envelope();
  };

  const Reply submitted =
      submit(signed_by_server(management::make_register_client(server_id(server), now_seconds(), client)));
  ASSERT_EQ(submitted.status, 201) << submitted.http.body;
  EXPECT_EQ(submitted.json["type"], "register-client");
  EXPECT_EQ(submitted.json["client"], "QROO/MUN/BJ/PADRON");
  EXPECT_EQ(submitted.json["state"], "pending");
  const std::string id = std::to_string(submitted.json.value("id", 0));
  const Reply approved = call("POST", "/api/v1/management-requests/" + id + "/approve");
  ASSERT_EQ(approved.status, 200) << approved.http.body;
  EXPECT_EQ(approved.json["state"], "approved");

  // The admin API's server list shows the binding.
  const Json servers = get("/api/v1/security-servers", As::kAuditor).json["servers"];
  ASSERT_EQ(servers.size(), 1u);
  ASSERT_EQ(servers[0]["registered_clients"].size(), 1u);
  EXPECT_EQ(servers[0]["registered_clients"][0]["client"], "QROO/MUN/BJ/PADRON");
  EXPECT_EQ(servers[0]["registered_clients"][0]["approved_by"], "admin");
  EXPECT_EQ(servers[0]["registered_clients"][0]["request"], submitted.json["id"]);

  // The published configuration carries it on the owner's server, after the owner.
  auto anchor = globalconf::ConfigurationAnchor::from_json(get("/api/v1/configuration-anchor", As::kAuditor).http.body);
  ASSERT_TRUE(anchor.is_ok()) << anchor.status().to_string();
  SystemClock clock;
  auto doc = globalconf::verify(get("/globalconf/QROO", As::kAnonymous).http.body, *anchor, clock, 0);
  ASSERT_TRUE(doc.is_ok()) << doc.status().to_string();
  ASSERT_EQ(doc->servers_for(client).size(), 1u);
  EXPECT_EQ(doc->servers_for(client)[0]->id, server_id(server));
  EXPECT_EQ(doc->servers_for(client)[0]->clients,
            (std::vector<id::ClientId>{id::MemberId::parse("QROO/EST/SSP").value(), client}));

  // A second registration of the same client is refused; a removal is carried out at once.
  const Reply duplicate =
      submit(signed_by_server(management::make_register_client(server_id(server), now_seconds(), client)));
  EXPECT_EQ(duplicate.status, 409) << duplicate.http.body;
  const Reply removed =
      submit(signed_by_server(management::make_unregister_client(server_id(server), now_seconds(), client)));
  ASSERT_EQ(removed.status, 201) << removed.http.body;
  EXPECT_EQ(removed.json["state"], "approved");
  EXPECT_EQ(removed.json["decided_by"], "policy:removal");
  auto after = globalconf::verify(get("/globalconf/QROO", As::kAnonymous).http.body, *anchor, clock, 0);
  ASSERT_TRUE(after.is_ok()) << after.status().to_string();
  EXPECT_TRUE(after->servers_for(client).empty());
  EXPECT_TRUE(get("/api/v1/security-servers", As::kAuditor).json["servers"][0]["registered_clients"].empty());
}

TEST_F(CentralRegistryTest, KeepsStateAcrossARestart) {
  const std::int64_t id = admit(kMember);
  ASSERT_EQ(post(kMemberPath + "/suspend", {{"reason", "audit finding"}}).status, 200);
  const Json trail = audit_after(0);
  const int status = registry_.stop(SIGTERM);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status << "\n" << registry_.log();

  registry_.start();
  EXPECT_EQ(member_state(kMemberPath), "suspended");
  EXPECT_EQ(get("/api/v1/applications/" + std::to_string(id)).json["decision"], "admitted");
  EXPECT_EQ(audit_after(0), trail);
  const Reply reactivated = post(kMemberPath + "/reactivate", {{"reason", "remedied"}});
  EXPECT_EQ(reactivated.status, 200) << reactivated.http.body;
  EXPECT_EQ(member_state(kMemberPath), "active");
}

}  // namespace
}  // namespace xacbe::testing
