// The shared admin API framework: routing with {parameters}, bearer tokens, roles, JSON errors,
// and what a component's RequestAudit hears.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

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
  void refused(const ApiUser* user, const std::string& action, const std::string& path, const Status&) override {
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

}  // namespace
}  // namespace xacbe::api
