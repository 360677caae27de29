#include "exchange/fault.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>
#include <string>

namespace xacbe::ss {
namespace {

TEST(Fault, AnswersTheDocumentedJsonWithItsStatusAndHeader) {
  const Fault f = Fault::make(FaultSide::kProviderSide, FaultCode::kAccessDenied, "no access right for this client");
  EXPECT_EQ(f.id.size(), 32u);
  const net::HttpResponse r = f.to_response();
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.header("Content-Type"), "application/json");
  EXPECT_EQ(r.header("X-Xacbe-Error"), "provider-side.ACCESS_DENIED");
  const auto j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j["error"]["side"], "provider-side");
  EXPECT_EQ(j["error"]["code"], "ACCESS_DENIED");
  EXPECT_EQ(j["error"]["message"], "no access right for this client");
  EXPECT_EQ(j["error"]["fault_id"], f.id);
}

TEST(Fault, ReadsBackWhatItWrote) {
  const Fault f = Fault::make(FaultSide::kClientSide, FaultCode::kTimestampBacklog, "the TSA is behind");
  const auto back = Fault::from_response(f.to_response());
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->side, f.side);
  EXPECT_EQ(back->code, f.code);
  EXPECT_EQ(back->message, f.message);
  EXPECT_EQ(back->id, f.id);
}

TEST(Fault, AnAnswerThatIsNotAFaultIsNotReadAsOne) {
  EXPECT_FALSE(Fault::from_response(net::HttpResponse::make(200, "application/json", "{}")).has_value());
  net::HttpResponse bad = net::HttpResponse::make(403, "application/json", "{\"error\": {\"code\": \"NOPE\"}}");
  bad.headers.emplace_back("X-Xacbe-Error", "provider-side.NOPE");
  EXPECT_FALSE(Fault::from_response(bad).has_value());
  net::HttpResponse garbage = net::HttpResponse::make(500, "text/plain", "\xff\xfe");
  garbage.headers.emplace_back("X-Xacbe-Error", "x");
  EXPECT_FALSE(Fault::from_response(garbage).has_value());
}

TEST(Fault, InvalidUtf8InAMessageStillMakesValidJson) {
  const Fault f = Fault::make(FaultSide::kClientRequest, FaultCode::kMalformedRequest, "bad \xff byte");
  const auto parsed = nlohmann::json::parse(f.to_response().body, nullptr, false);
  EXPECT_FALSE(parsed.is_discarded());
  EXPECT_EQ(parsed["error"]["message"], "bad \xef\xbf\xbd byte");
}

TEST(Fault, CodesHaveUniqueNamesThatParseBack) {
  std::set<std::string> names;
  for (int i = 0; i <= static_cast<int>(FaultCode::kInternalError); ++i) {
    const auto code = static_cast<FaultCode>(i);
    const std::string name(fault_code_name(code));
    EXPECT_TRUE(names.insert(name).second) << name;
    EXPECT_EQ(parse_fault_code(name), code) << name;
    EXPECT_GE(fault_http_status(code), 400);
  }
  EXPECT_FALSE(parse_fault_code("access_denied").has_value());
}

}  // namespace
}  // namespace xacbe::ss
