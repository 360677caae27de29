#include "exchange/message.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace xacbe::ss {
namespace {

TEST(RestTarget, SplitsServicePathAndQuery) {
  auto t = parse_rest_target("/r1/QROO/EST/SSP/SIS/antecedentes/personas/123?curp=ABC&x=1");
  ASSERT_TRUE(t.is_ok()) << t.status().to_string();
  EXPECT_EQ(t->service.to_string(), "QROO/EST/SSP/SIS/antecedentes");
  EXPECT_EQ(t->path, "/personas/123");
  EXPECT_EQ(t->query, "curp=ABC&x=1");
  auto bare = parse_rest_target("/r1/QROO/EST/SSP/SIS/antecedentes");
  ASSERT_TRUE(bare.is_ok());
  EXPECT_EQ(bare->path, "");
}

TEST(RestTarget, RefusesPathTricksAndBadIdentifiers) {
  const std::vector<std::string> bad = {
      "/r2/QROO/EST/SSP/SIS/s",
      "/r1/QROO/EST/SSP/SIS",
      "/r1/QROO/EST/SSP/SIS/",
      "/r1/QROO/est/SSP/SIS/s",
      "/r1/QROO/EST/SSP/../s/x",
      "/r1/QROO/EST/SSP/SIS/s/../../admin",
      "/r1/QROO/EST/SSP/SIS/s/%2e%2E/admin",
      "/r1/QROO/EST/SSP/SIS/s/a%2Fb",
      "/r1/QROO/EST/SSP/SIS/s/a%5cb",
      "/r1/QROO/EST/SSP/SIS/s/a\\b",
      "/r1/QROO/EST/SSP/SIS/s//x",
      "/r1/QROO/EST/SSP/SIS/s/a b",
      "/r1/QROO/EST/SSP/SIS/s/a%zz",
      "/r1/QROO/EST/SSP/SIS/s/\xc3\xb1",
      "/r1/QROO/EST/SSP/SIS/s/x#frag",
      "/r1/QROO/EST/SSP/SIS/s?a=<script>",
      std::string("/r1/QROO/EST/SSP/SIS/s/a\0b", 26),
      "/r1/QROO/EST/SSP/SIS/s/" + std::string(5000, 'a'),
  };
  for (const auto& target : bad) {
    EXPECT_FALSE(parse_rest_target(target).is_ok()) << target;
  }
}

TEST(Headers, DropHopByHopCredentialsForwardingAndIdentityHeaders) {
  const net::Headers in = {{"Accept", "application/json"},     {"Connection", "keep-alive, X-Secret"},
                           {"X-Secret", "1"},                  {"Keep-Alive", "timeout=5"},
                           {"Authorization", "Bearer t"},      {"Cookie", "a=b"},
                           {"X-Forwarded-For", "10.0.0.1"},    {"X-Xacbe-Client", "QROO/EST/FGE"},
                           {"Host", "example"},                {"Content-Length", "3"},
                           {"Content-Type", "text/plain; charset=utf-8"}, {"Accept-Language", "es-MX"}};
  auto out = forwardable_headers(in);
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  EXPECT_EQ(*out, (net::Headers{{"accept", "application/json"},
                                {"content-type", "text/plain; charset=utf-8"},
                                {"accept-language", "es-MX"}}));
}

TEST(Headers, RefuseInvalidUtf8ControlsAndBadNames) {
  EXPECT_FALSE(forwardable_headers({{"X-A", "caf\xe9"}}).is_ok());
  EXPECT_FALSE(forwardable_headers({{"X-A", "a\rb"}}).is_ok());
  EXPECT_FALSE(forwardable_headers({{"X A", "v"}}).is_ok());
  EXPECT_TRUE(forwardable_headers({{"X-A", "se\xc3\xb1or\tok"}}).is_ok());
  net::Headers many;
  for (int i = 0; i < 65; ++i) many.emplace_back("X-H" + std::to_string(i), "v");
  EXPECT_FALSE(forwardable_headers(many).is_ok());
}

RequestHead sample_head() {
  return RequestHead{*id::ClientId::parse("QROO/EST/FGE/SIS"),
                     *id::ServiceId::parse("QROO/EST/SSP/SIS/antecedentes"),
                     "m-1",
                     "fiscal\xc3\xad" "a",
                     "CI-2026/77",
                     "GET",
                     "/personas/123",
                     "curp=ABC",
                     {{"accept", "application/json"}},
                     "r-1"};
}

TEST(Heads, RequestHeadRoundTripsThroughItsBytes) {
  const RequestHead h = sample_head();
  const std::string bytes = to_json(h);
  auto parsed = parse_request_head(bytes);
  ASSERT_TRUE(parsed.is_ok()) << parsed.status().to_string();
  EXPECT_EQ(to_json(*parsed), bytes);
  EXPECT_EQ(parsed->user_id, h.user_id);
  EXPECT_EQ(parsed->headers, h.headers);
}

TEST(Heads, ARepresentedPartyIsInTheHeadOnlyWhenGiven) {
  RequestHead h = sample_head();
  EXPECT_EQ(to_json(h).find("represented_party"), std::string::npos);
  h.represented_party = "QROO/MUN/BJ";
  const std::string bytes = to_json(h);
  EXPECT_NE(bytes.find("\"represented_party\":\"QROO/MUN/BJ\""), std::string::npos) << bytes;
  auto parsed = parse_request_head(bytes);
  ASSERT_TRUE(parsed.is_ok()) << parsed.status().to_string();
  EXPECT_EQ(parsed->represented_party, "QROO/MUN/BJ");
  EXPECT_EQ(to_json(*parsed), bytes);
  // Given, it must name a member: empty, a subsystem, a bad id or not a string are refused.
  for (const std::string& bad : {std::string("\"\""), std::string("\"QROO/MUN/BJ/SIS\""), std::string("\"BJ\""),
                                 std::string("\"QROO/MUN/B\xc3\""), std::string("7")}) {
    std::string s = bytes;
    s.replace(s.find("\"QROO/MUN/BJ\""), 13, bad);
    EXPECT_FALSE(parse_request_head(s).is_ok()) << s;
  }
  EXPECT_TRUE(check_represented_party("QROO/MUN/BJ").is_ok());
  EXPECT_FALSE(check_represented_party("").is_ok());
  EXPECT_FALSE(check_represented_party(std::string(2000, 'A')).is_ok());
}

TEST(Heads, ASoapHeadSaysSoAndKeepsItsRules) {
  RequestHead h = sample_head();
  EXPECT_EQ(to_json(h).find("protocol"), std::string::npos) << "a REST head has no protocol key";
  h.method = "POST";
  h.path = "";
  h.query = "";
  h.protocol = std::string(kSoapProtocol);
  const std::string bytes = to_json(h);
  EXPECT_NE(bytes.find("\"protocol\":\"soap\""), std::string::npos);
  auto parsed = parse_request_head(bytes);
  ASSERT_TRUE(parsed.is_ok()) << parsed.status().to_string();
  EXPECT_EQ(parsed->protocol, "soap");
  EXPECT_EQ(to_json(*parsed), bytes);
  auto with = [&](const std::string& from, const std::string& to) {
    std::string s = bytes;
    return s.replace(s.find(from), from.size(), to);
  };
  EXPECT_FALSE(parse_request_head(with("\"protocol\":\"soap\"", "\"protocol\":\"rest\"")).is_ok());
  EXPECT_FALSE(parse_request_head(with("\"protocol\":\"soap\"", "\"protocol\":1")).is_ok());
  EXPECT_FALSE(parse_request_head(with("\"method\":\"POST\"", "\"method\":\"GET\"")).is_ok());
  EXPECT_FALSE(parse_request_head(with("\"path\":\"\"", "\"path\":\"/x\"")).is_ok());
  EXPECT_FALSE(parse_request_head(with("\"query\":\"\"", "\"query\":\"a=1\"")).is_ok());
  // A SOAP call may name a service version; a REST head may not.
  const std::string versioned = with("SIS/antecedentes\"", "SIS/antecedentes/v2\"");
  auto parsed_versioned = parse_request_head(versioned);
  ASSERT_TRUE(parsed_versioned.is_ok()) << parsed_versioned.status().to_string();
  EXPECT_EQ(parsed_versioned->service.to_string(), "QROO/EST/SSP/SIS/antecedentes/v2");
  std::string rest_versioned = to_json(sample_head());
  rest_versioned.replace(rest_versioned.find("SIS/antecedentes\""), 17, "SIS/antecedentes/v2\"");
  EXPECT_FALSE(parse_request_head(rest_versioned).is_ok());
}

TEST(Heads, ResponseHeadRoundTrips) {
  ResponseHead h{201, {{"content-type", "application/json"}}, "m-1", "r-2", std::string(64, 'a')};
  auto parsed = parse_response_head(to_json(h));
  ASSERT_TRUE(parsed.is_ok()) << parsed.status().to_string();
  EXPECT_EQ(to_json(*parsed), to_json(h));
}

TEST(Heads, StrictParsingRefusesEachBadHead) {
  const std::string good = to_json(sample_head());
  auto with = [&](const std::string& from, const std::string& to) {
    std::string s = good;
    const auto pos = s.find(from);
    EXPECT_NE(pos, std::string::npos) << from;
    return s.replace(pos, from.size(), to);
  };
  const std::vector<std::string> bad = {
      "",
      "[]",
      "{}",
      with("\"client\":", "\"client\":1,\"x\":"),                 // unknown key
      with("\"method\":\"GET\"", "\"method\":\"TRACE\""),          // method
      with("\"path\":\"/personas/123\"", "\"path\":\"/../x\""),    // path trick
      with("\"message_id\":\"m-1\"", "\"message_id\":\"\""),       // empty id
      with("QROO/EST/FGE/SIS", "QROO/EST/FGE/SIS/X/Y"),            // bad client
      with("\"accept\"", "\"authorization\""),                     // a header that may not cross
      with("\"client\":", "\"client\":\"a\",\"client\":"),         // repeated key
  };
  for (const auto& b : bad) EXPECT_FALSE(parse_request_head(b).is_ok()) << b;
  EXPECT_FALSE(parse_response_head("{\"status\":99,\"headers\":[],\"message_id\":\"m\",\"request_id\":\"r\",\"request_hash\":\"" +
                                   std::string(64, 'a') + "\"}")
                   .is_ok());
}

TEST(MessageIds, GeneratedIdsAreUuidsAndValid) {
  const std::string a = new_message_id(), b = new_message_id();
  EXPECT_NE(a, b);
  EXPECT_EQ(a.size(), 36u);
  EXPECT_EQ(a[14], '4');
  EXPECT_TRUE(is_message_id(a));
  EXPECT_FALSE(is_message_id(""));
  EXPECT_FALSE(is_message_id("a b"));
  EXPECT_FALSE(is_message_id(std::string(256, 'a')));
}

}  // namespace
}  // namespace xacbe::ss
