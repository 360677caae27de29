// The central registry's admin API over HTTP, against the real xacbe-central-registry on a
// loopback port: the membership workflow, refusals and their audit trail, start-up refusals,
// restarts, and docs/api/central-registry.openapi.yaml against what the server serves.

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cctype>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <stdexcept>
#include <tuple>
#include <vector>

#include "support/e2e/trust_services.hpp"
#include "xacbe/calendar/business_calendar.hpp"
#include "xacbe/calendar/notice_rule.hpp"
#include "xacbe/net/http_client.hpp"

namespace xacbe::testing {
namespace {

using Json = nlohmann::json;

constexpr std::size_t kBodyLimit = 16 * 1024;
const std::string kMember = "QROO/FED/PGJ";
const std::string kMemberPath = "/api/v1/members/QROO/FED/PGJ";

struct Token {
  std::string secret;
  std::string sha256;
};

enum class As { kAdministrator, kAuditor, kAnonymous, kWrongToken };

struct Reply {
  int status = 0;
  net::HttpResponse http;
  Json json;  // discarded when the body is not JSON

  std::string code() const { return error_field("code"); }
  std::string message() const { return error_field("message"); }

 private:
  std::string error_field(const char* name) const {
    if (!json.is_object() || !json.contains("error") || !json["error"].is_object()) return {};
    return json["error"].value(name, "");
  }
};

void write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + path);
}

Token generate_token(const TrustServices& services) {
  const CommandResult r = services.cli({"token", "generate"});
  static const std::regex kOutput(R"(token ([0-9a-f]+)\ntoken_sha256 ([0-9a-f]{64}))");
  std::smatch m;
  if (r.exit_code != 0 || !std::regex_search(r.output, m, kOutput)) {
    throw std::runtime_error("xacbe token generate: " + r.output);
  }
  return {m[1], m[2]};
}

// The (METHOD, path) pairs of an OpenAPI document's "paths" section, read line by line: path keys
// are indented two spaces, operations four (the document is plain YAML, no flow style, no anchors).
std::set<std::pair<std::string, std::string>> documented_operations(const std::string& file) {
  std::ifstream in(file);
  if (!in) throw std::runtime_error("cannot read " + file);
  static const std::regex kPath(R"(^  (/[^:\s]*):\s*$)");
  static const std::regex kMethod(R"(^    (get|post|put|delete|patch):\s*$)");
  std::set<std::pair<std::string, std::string>> out;
  bool in_paths = false;
  std::string path;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.front() != ' ' && line.front() != '#') {
      in_paths = line == "paths:";
      continue;
    }
    std::smatch m;
    if (!in_paths) continue;
    if (std::regex_match(line, m, kPath)) {
      path = m[1];
    } else if (std::regex_match(line, m, kMethod) && !path.empty()) {
      std::string method = m[1];
      for (auto& c : method) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      out.emplace(method, path);
    }
  }
  return out;
}

// A complete application, as the protocol requires it.
Json application_for(const std::string& member) {
  return {{"member", member},
          {"member_name", "Fiscalía General del Estado de Quintana Roo"},
          {"agreement_reference", "CEIQROO/CC/2026/017"},
          {"responsible",
           {{"name", "Ana Pérez Canul"}, {"email", "ana.perez@fgeqroo.gob.mx"}, {"phone", "+52 983 000 0001"}}},
          {"administrator",
           {{"name", "Luis May Chan"}, {"email", "luis.may@fgeqroo.gob.mx"}, {"phone", "+52 983 000 0002"}}},
          {"liaison", {{"name", "Mesa de enlace"}, {"email", "enlace@fgeqroo.gob.mx"}}},
          {"security",
           {{"integrity", "Signed and time-stamped messages"},
            {"traceability", "Message log kept for five years"},
            {"confidentiality", "Mutual TLS between security servers"},
            {"availability", "Two nodes, monitored"}}}};
}

class CentralRegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::copy_file(std::string(XACBE_SOURCE_DIR) + "/conf/business-calendar.json",
                               services_.dir().file("business-calendar.json"),
                               std::filesystem::copy_options::overwrite_existing);
    admin_ = generate_token(services_);
    auditor_ = generate_token(services_);
    config_ = {{"listen",
                {{"address", "127.0.0.1"},
                 {"port", 0},
                 {"threads", 2},
                 {"body_limit", kBodyLimit},
                 {"idle_timeout_ms", 5000}}},
               {"log", {{"level", "info"}}},
               {"registry",
                {{"instance", "QROO"},
                 {"database", "registry.db"},
                 {"calendar", "business-calendar.json"},
                 {"ca_directory", "ca"},
                 {"schedule_seconds", 3600},
                 // No SMTP server listens here: notification mail would wait in the outbox.
                 {"smtp", {{"url", "smtp://127.0.0.1:9"}, {"from", "notificaciones@ceiqroo.example.mx"}}},
                 {"users",
                  {{"admin", {{"role", "administrator"}, {"token_sha256", admin_.sha256}}},
                   {"auditor", {{"role", "auditor"}, {"token_sha256", auditor_.sha256}}}}}}}};
    start();
  }

  std::string config_path() const { return services_.dir().file("registry.json"); }

  void start() {
    write_text(config_path(), config_.dump(2));
    registry_.reset();
    registry_ = std::make_unique<ChildProcess>(std::vector<std::string>{XACBE_REGISTRY_BIN, "--config", config_path()},
                                               services_.dir().file("registry.log"));
    const auto port = registry_->wait_for_port();
    if (!port) throw std::runtime_error("xacbe-central-registry did not start: " + registry_->log());
    port_ = *port;
  }

  Reply call(const std::string& method, const std::string& target, const std::string& body = {},
             As as = As::kAdministrator, const std::string& content_type = "application/json") {
    net::HttpRequest request;
    request.method = method;
    request.body = body;
    if (as == As::kAdministrator) request.headers.emplace_back("Authorization", "Bearer " + admin_.secret);
    if (as == As::kAuditor) request.headers.emplace_back("Authorization", "Bearer " + auditor_.secret);
    if (as == As::kWrongToken) request.headers.emplace_back("Authorization", "Bearer " + std::string(64, 'a'));
    if (!body.empty() && !content_type.empty()) request.headers.emplace_back("Content-Type", content_type);
    auto response = net::http_request("http://127.0.0.1:" + std::to_string(port_) + target, std::move(request));
    Reply reply;
    if (!response) {
      ADD_FAILURE() << method << " " << target << ": " << response.status().to_string();
      return reply;
    }
    reply.status = response->status;
    reply.json = Json::parse(response->body, nullptr, false);
    reply.http = std::move(*response);
    return reply;
  }
  Reply post(const std::string& target, const Json& body, As as = As::kAdministrator) {
    return call("POST", target, body.dump(), as);
  }
  Reply get(const std::string& target, As as = As::kAdministrator) { return call("GET", target, {}, as); }

  // Applies for `member` and admits the application; returns the application id.
  std::int64_t admit(const std::string& member) {
    const Reply applied = post("/api/v1/applications", application_for(member));
    EXPECT_EQ(applied.status, 201) << applied.http.body;
    const std::int64_t id = applied.json.value("id", std::int64_t{0});
    const Reply admitted = call("POST", "/api/v1/applications/" + std::to_string(id) + "/admit");
    EXPECT_EQ(admitted.status, 200) << admitted.http.body;
    return id;
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
  Token admin_, auditor_;
  Json config_;
  std::unique_ptr<ChildProcess> registry_;
  unsigned port_ = 0;
};

TEST_F(CentralRegistryTest, OpenApiDocumentMatchesTheRoutes) {
  const auto documented =
      documented_operations(std::string(XACBE_SOURCE_DIR) + "/docs/api/central-registry.openapi.yaml");
  ASSERT_FALSE(documented.empty());
  EXPECT_TRUE(documented.count({"GET", "/health"}));
  // Parameters the routes would refuse, so that probing changes nothing; a refusal of the
  // parameter still proves the route matched (routing answers 404/405 before parameters are read).
  const std::map<std::string, std::string> dummies = {
      {"{instance}", "QROO"}, {"{memberClass}", "lower"}, {"{memberCode}", "PGJ"}, {"{applicationId}", "none"}};
  std::set<std::string> paths;
  for (const auto& [method, path] : documented) {
    SCOPED_TRACE(method + " " + path);
    paths.insert(path);
    std::string target = path;
    for (std::size_t open = target.find('{'); open != std::string::npos; open = target.find('{')) {
      const std::string name = target.substr(open, target.find('}', open) + 1 - open);
      ASSERT_TRUE(dummies.count(name)) << "undocumented path parameter " << name;
      target.replace(open, name.size(), dummies.at(name));
    }
    const Reply r = call(method, target, method == "POST" ? "{}" : "");
    EXPECT_NE(r.status, 404) << r.http.body;
    EXPECT_NE(r.status, 405) << r.http.body;
    EXPECT_LT(r.status, 500) << r.http.body;
    // Every other method on a documented path is not served.
    for (const char* other : {"GET", "POST", "PUT", "DELETE", "PATCH"}) {
      if (documented.count({other, path})) continue;
      const int status = call(other, target).status;
      EXPECT_TRUE(status == 405 || (path == "/health" && status == 404)) << other << " answered " << status;
    }
  }
  EXPECT_EQ(get("/health", As::kAnonymous).http.body, "ok\n");
  // Paths nobody documented are not served either.
  for (const char* target : {"/", "/api/v1", "/api/v2/members", "/api/v1/members/", "/api/v1/members/QROO/FED",
                             "/api/v1/members/QROO/FED/PGJ/delete", "/api/v1/applications/1/accept",
                             "/api/v1/terminations", "/api/v1/audit/1"}) {
    ASSERT_FALSE(paths.count(target)) << target;
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
  const char* code;  // the JSON error code; "" for the HTTP layer's plain-text answer
  // The audit entry the refusal leaves (actor, action); nullptr where the API does not audit it.
  const char* actor;
  const char* action;
};

TEST_F(CentralRegistryTest, RefusesBadRequestsAndAuditsTheRefusals) {
  const std::string admitted = std::to_string(admit(kMember));
  const std::string suspend = kMemberPath + "/suspend";
  const std::string suspend_route = "api POST /api/v1/members/{instance}/{memberClass}/{memberCode}/suspend";
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
      // Refused before the membership layer, where the API writes nothing to the audit trail.
      {"lower-case member class in the path", "POST", "/api/v1/members/QROO/fed/PGJ/suspend", reason,
       As::kAdministrator, json, 400, "INVALID_ARGUMENT", nullptr, nullptr},
      {"bad JSON for a suspension", "POST", suspend, "{", As::kAdministrator, json, 400, "INVALID_ARGUMENT", nullptr,
       nullptr},
      {"unknown member state", "GET", "/api/v1/members?state=dormant", "", As::kAuditor, json, 400, "INVALID_ARGUMENT",
       nullptr, nullptr},
      {"audit limit too high", "GET", "/api/v1/audit?limit=10001", "", As::kAuditor, json, 400, "INVALID_ARGUMENT",
       nullptr, nullptr},
      {"wrong Content-Type", "POST", suspend, reason, As::kAdministrator, "text/plain", 415, "UNSUPPORTED_MEDIA_TYPE",
       nullptr, nullptr},
      {"body over the limit", "POST", suspend, Json{{"reason", std::string(kBodyLimit + 1024, 'x')}}.dump(),
       As::kAdministrator, json, 413, "", nullptr, nullptr},
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
    if (c.action == nullptr) continue;
    ASSERT_EQ(entries.size(), 1u) << entries.dump(2);
    EXPECT_EQ(entries[0]["actor"], c.actor);
    EXPECT_EQ(entries[0]["action"], c.action);
    EXPECT_EQ(entries[0]["success"], false);
    EXPECT_NE(entries[0]["detail"].get<std::string>(), "");
  }
  // None of the refusals changed anything.
  EXPECT_EQ(member_state(kMemberPath), "active");
  EXPECT_EQ(get("/api/v1/members").json["members"].size(), 1u);
}

TEST(CentralRegistryCertificateTest, SuspensionPutsTheMembersCertificatesOnHold) {
  // Needs the member's certificates linked to it (Membership::record_certificate), which no
  // admin API route offers yet; then: suspend, and `openssl ocsp` against xacbe-ocsp answers
  // revoked with reason certificateHold, and good again after reactivation.
  GTEST_SKIP() << "the admin API has no route to link certificates to a member";
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
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    Json config = config_;
    c.spoil(config);
    const std::string path = services_.dir().file("bad-registry.json");
    write_text(path, config.dump(2));
    const CommandResult r = run_command({XACBE_REGISTRY_BIN, "--config", path}, {}, std::chrono::seconds(10));
    EXPECT_EQ(r.exit_code, 2) << r.output;
    EXPECT_NE(r.output.find(c.message), std::string::npos) << r.output;
    EXPECT_EQ(r.output.find("listening on"), std::string::npos) << r.output;
  }
}

TEST_F(CentralRegistryTest, KeepsStateAcrossARestart) {
  const std::int64_t id = admit(kMember);
  ASSERT_EQ(post(kMemberPath + "/suspend", {{"reason", "audit finding"}}).status, 200);
  const Json trail = audit_after(0);
  const int status = registry_->stop(SIGTERM);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status << "\n" << registry_->log();

  start();
  EXPECT_EQ(member_state(kMemberPath), "suspended");
  EXPECT_EQ(get("/api/v1/applications/" + std::to_string(id)).json["decision"], "admitted");
  EXPECT_EQ(audit_after(0), trail);
  const Reply reactivated = post(kMemberPath + "/reactivate", {{"reason", "remedied"}});
  EXPECT_EQ(reactivated.status, 200) << reactivated.http.body;
  EXPECT_EQ(member_state(kMemberPath), "active");
}

}  // namespace
}  // namespace xacbe::testing
