// The shared admin API framework: routing with {parameters}, bearer tokens, roles, JSON errors,
// and what a component's RequestAudit hears.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <stdexcept>

#include "xacbe/api/admin_api.hpp"
#include "xacbe/api/json.hpp"
#include "xacbe/crypto/encoding.hpp"

namespace xacbe::api {
namespace {

struct Heard {
  std::vector<std::string> refused;   // "<user or ->: <action> <path>"
  std::vector<std::string> answered;  // "<METHOD> <path>: <status>"
};

class RecordingAudit : public RequestAudit {
 public:
  explicit RecordingAudit(Heard& heard) : heard_(heard) {}
  void refused(const ApiUser* user, const std::string& action, const std::string& path, const Status&,
               const std::string&) override {
    heard_.refused.push_back((user ? user->name : std::string("-")) + ": " + action + " " + path);
  }
  net::HttpResponse answer(const Route& route, const ApiCall&, const std::string& path,
                           const std::function<net::HttpResponse()>& answer) override {
    net::HttpResponse r = answer();
    heard_.answered.push_back(route.method + " " + path + ": " + std::to_string(r.status));
    return r;
  }

 private:
  Heard& heard_;
};

class RouterTest : public ::testing::Test {
 protected:
  RouterTest()
      : api_({{"ana", Role::kAdministrator, crypto::to_hex(crypto::sha256("a"))},
              {"luis", Role::kAuditor, crypto::to_hex(crypto::sha256("l"))}},
             std::make_unique<RecordingAudit>(heard_)) {
    api_.add({"GET", "/api/v1/things/{a}/{b}", false, [](const ApiCall& call) {
                return json_response(200, {{"a", call.params[0]}, {"b", call.params[1]}, {"q", call.query_param("q")}});
              }});
    api_.add({"POST", "/api/v1/things", true, [](const ApiCall& call) {
                return json_response(201, {{"by", call.user->name}});
              }});
  }

  net::HttpResponse call(const std::string& method, const std::string& target, const std::string& token,
                         const std::string& body = "", const std::string& type = "application/json") {
    net::HttpRequest r;
    r.method = method;
    r.target = target;
    r.body = body;
    if (!token.empty()) r.headers.emplace_back("Authorization", "bearer " + token);
    if (!body.empty()) r.headers.emplace_back("Content-Type", type);
    return api_.handle(r);
  }
  static std::string code(const net::HttpResponse& r) {
    return nlohmann::json::parse(r.body)["error"]["code"].get<std::string>();
  }

  Heard heard_;
  AdminApi api_;
};

TEST_F(RouterTest, MatchesTemplatesAndDecodesParameters) {
  const auto r = call("GET", "/api/v1/things/x%2Fy/z?q=a%20b", "l");
  ASSERT_EQ(r.status, 200) << r.body;
  const auto j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j["a"], "x/y");
  EXPECT_EQ(j["b"], "z");
  EXPECT_EQ(j["q"], "a b");
  EXPECT_EQ(heard_.answered, std::vector<std::string>{"GET /api/v1/things/x%2Fy/z: 200"});
}

TEST_F(RouterTest, RoutesBeforeAuthenticating) {
  EXPECT_EQ(code(call("GET", "/api/v1/things/x", "")), "NOT_FOUND");
  const auto r = call("PUT", "/api/v1/things", "");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.header("Allow"), "POST");
  EXPECT_EQ(call("GET", "/api/v1/things/%zz/b", "a").status, 400);
  EXPECT_TRUE(heard_.refused.empty());
}

TEST_F(RouterTest, RefusesMissingTokensAndReadOnlyUsers) {
  const auto anonymous = call("GET", "/api/v1/things/a/b", "wrong");
  EXPECT_EQ(anonymous.status, 401);
  EXPECT_EQ(anonymous.header("WWW-Authenticate"), "Bearer");
  EXPECT_EQ(code(call("POST", "/api/v1/things", "l", "{}")), "PERMISSION_DENIED");
  EXPECT_EQ(heard_.refused, (std::vector<std::string>{"-: api GET /api/v1/things/{a}/{b} /api/v1/things/a/b",
                                                      "luis: api POST /api/v1/things /api/v1/things"}));
  EXPECT_TRUE(heard_.answered.empty());
  EXPECT_EQ(call("POST", "/api/v1/things", "a", "{}").status, 201);
}

TEST_F(RouterTest, RefusesABodyThatIsNotJson) {
  const auto r = call("POST", "/api/v1/things", "a", "x=1", "application/x-www-form-urlencoded");
  EXPECT_EQ(r.status, 415);
  EXPECT_EQ(code(r), "UNSUPPORTED_MEDIA_TYPE");
  EXPECT_EQ(heard_.answered, std::vector<std::string>{"POST /api/v1/things: 415"});
}

TEST_F(RouterTest, ReadsUsersFromTheConfiguration) {
  auto node = config::Node::parse(
      R"({"users": {"ana": {"role": "administrator", "token_sha256": ")" + std::string(64, 'a') + R"("}}})", "t.json",
      ".");
  ASSERT_TRUE(node.is_ok());
  auto users = read_users(*node->object("users"), "t.json: 'users");
  ASSERT_TRUE(users.is_ok()) << users.status().to_string();
  ASSERT_EQ(users->size(), 1u);
  EXPECT_EQ((*users)[0].role, Role::kAdministrator);
  auto bad = config::Node::parse(R"({"users": {"x": {"role": "root", "token_sha256": "ab"}}})", "t.json", ".");
  ASSERT_TRUE(bad.is_ok());
  auto refused = read_users(*bad->object("users"), "t.json: 'users");
  ASSERT_FALSE(refused.is_ok());
  EXPECT_EQ(refused.status().message(), "t.json: 'users.x.role' must be administrator or auditor");
}

// Users from a configuration text with `users` as the value of "users".
Result<std::vector<ApiUser>> users_of(const std::string& users) {
  auto node = config::Node::parse(R"({"users": )" + users + "}", "t.json", ".");
  if (!node) return node.status();
  return read_users(*node->object("users"), "t.json: 'users");
}

// Appended piece by piece: "literal" + std::string makes GCC 12 warn wrongly at -O2.
std::string user(const std::string& name, const std::string& role, char hash) {
  std::string out = "\"";
  out.append(name).append(R"(": {"role": ")").append(role).append(R"(", "token_sha256": ")");
  out.append(64, hash).append("\"}");
  return out;
}

std::string object(const std::string& members) {
  std::string out = "{";
  out.append(members).append("}");
  return out;
}

TEST_F(RouterTest, RefusesUsersThatShareATokenOrTakeAReservedName) {
  // The last user with a token would win: an auditor's token acting as an administrator's.
  auto shared = users_of(object(user("ana", "administrator", 'a') + ", " + user("luis", "auditor", 'a')));
  ASSERT_FALSE(shared.is_ok());
  EXPECT_NE(shared.status().message().find("also the token of user 'ana'"), std::string::npos)
      << shared.status().message();
  for (const std::string name : {"", "system", "anonymous", "unauthenticated", "scheduler", "server:QROO/EST/X/ss1",
                                 "policy:removal"}) {
    SCOPED_TRACE(name);
    auto reserved = users_of(object(user(name, "administrator", 'b')));
    ASSERT_FALSE(reserved.is_ok());
    EXPECT_NE(reserved.status().message().find("reserved name"), std::string::npos) << reserved.status().message();
  }
  EXPECT_FALSE(users_of(object(user(std::string(65, 'n'), "auditor", 'c'))).is_ok());
  EXPECT_FALSE(users_of(object(user("a\\tb", "auditor", 'c'))).is_ok());
  EXPECT_TRUE(users_of(object(user("ana", "administrator", 'a') + ", " + user("luis", "auditor", 'b'))).is_ok());
}

TEST_F(RouterTest, RefusesTextThatIsNotUtf8BeforeAnyHandler) {
  for (const std::string target : {"/api/v1/things/A%FFB/z", "/api/v1/things/a/z?q=%C0%AF", "/api/v1/things/%ED%A0%80/z"}) {
    SCOPED_TRACE(target);
    const auto r = call("GET", target, "");  // refused before the token is asked for
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_EQ(code(r), "INVALID_ARGUMENT");
    EXPECT_EQ(r.header("Content-Type"), "application/json");
  }
  // A body: JSON is UTF-8; the refusal goes through the component's audit like a handler's.
  const auto body = call("POST", "/api/v1/things", "a", "{\"name\": \"A\xFF\"}");
  EXPECT_EQ(body.status, 400) << body.body;
  EXPECT_EQ(code(body), "INVALID_ARGUMENT");
  EXPECT_EQ(heard_.answered, std::vector<std::string>{"POST /api/v1/things: 400"});
  EXPECT_TRUE(heard_.refused.empty());
}

TEST_F(RouterTest, QuotesOnlyABoundedExcerptOfAnUnknownPath) {
  const std::string long_path = "/api/v1/" + std::string(8000, 'x');
  const auto r = call("GET", long_path, "");
  EXPECT_EQ(r.status, 404);
  EXPECT_LT(r.body.size(), 400u) << r.body.size();
  auto fields = string_fields(R"({")" + std::string(200'000, 'k') + R"(": "v"})", {"name"});
  ASSERT_FALSE(fields.is_ok());
  EXPECT_LT(fields.status().message().size(), 200u);
  auto id = parse_id("-1", "limit", 10000);
  ASSERT_FALSE(id.is_ok());
  EXPECT_EQ(id.status().message(), "limit must be a whole number from 0 to 10000, not '-1'");
}

TEST_F(RouterTest, AnswersAFailingHandlerWithAJsonErrorThatKeepsItsDetailsInTheLog) {
  api_.add({"GET", "/api/v1/broken", false, [](const ApiCall&) -> net::HttpResponse {
              throw std::runtime_error("SQL secret detail");
            }});
  api_.add({"GET", "/api/v1/failing", false, [](const ApiCall&) {
              return error_response(internal_error("SQL step failed: disk I/O error"));
            }});
  for (const std::string target : {"/api/v1/broken", "/api/v1/failing"}) {
    SCOPED_TRACE(target);
    const auto r = call("GET", target, "l");
    EXPECT_EQ(r.status, 500);
    EXPECT_EQ(code(r), "INTERNAL");
    EXPECT_EQ(r.body.find("SQL"), std::string::npos) << r.body;
    EXPECT_NE(r.body.find("reference"), std::string::npos) << r.body;
  }
}

TEST_F(RouterTest, ServesStoredTextThatIsNotUtf8WithoutFailing) {
  // What an older version stored raw is served with U+FFFD in place of the bad byte.
  const auto r = json_response(200, {{"target", std::string("A\xFF" "B")}});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(nlohmann::json::parse(r.body)["target"], "A\xEF\xBF\xBD" "B");
  const auto e = error_response(invalid_argument(std::string("bad \xC0")));
  EXPECT_EQ(e.status, 400);
  EXPECT_TRUE(nlohmann::json::accept(e.body));
}

}  // namespace
}  // namespace xacbe::api
