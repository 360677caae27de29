#include "xacbe/net/http.hpp"

#include <gtest/gtest.h>

#include <ostream>
#include <string>

namespace xacbe::net {
namespace {

struct UrlCase {
  const char* url;
  bool tls;
  const char* host;
  std::uint16_t port;
  const char* target;
};

void PrintTo(const UrlCase& c, std::ostream* os) {
  *os << c.url;
}

class ParseUrlTest : public ::testing::TestWithParam<UrlCase> {};

TEST_P(ParseUrlTest, SplitsSchemeHostPortAndTarget) {
  const auto& c = GetParam();
  auto url = parse_url(c.url);
  ASSERT_TRUE(url) << url.status().to_string();
  EXPECT_EQ(url->tls, c.tls);
  EXPECT_EQ(url->host, c.host);
  EXPECT_EQ(url->port, c.port);
  EXPECT_EQ(url->target, c.target);
}

INSTANTIATE_TEST_SUITE_P(GoodUrls, ParseUrlTest,
                         ::testing::Values(UrlCase{"http://127.0.0.1", false, "127.0.0.1", 80, "/"},
                                           UrlCase{"https://tsa.ceiqroo.test", true, "tsa.ceiqroo.test", 443, "/"},
                                           UrlCase{"http://127.0.0.1:8080/ocsp", false, "127.0.0.1", 8080, "/ocsp"},
                                           UrlCase{"https://host:65535/a/b?c=d&e", true, "host", 65535, "/a/b?c=d&e"},
                                           UrlCase{"http://[::1]:3180/tsa", false, "::1", 3180, "/tsa"},
                                           // RFC 3986 section 3.2.3: an empty port is the scheme's default.
                                           UrlCase{"http://host:/x", false, "host", 80, "/x"},
                                           UrlCase{"https://[2001:db8::1]/", true, "2001:db8::1", 443, "/"}));

class BadUrlTest : public ::testing::TestWithParam<const char*> {};

TEST_P(BadUrlTest, RefusesMalformedUrl) {
  auto url = parse_url(GetParam());
  ASSERT_FALSE(url) << "accepted " << GetParam();
  EXPECT_EQ(url.status().code(), Code::kInvalidArgument);
}

INSTANTIATE_TEST_SUITE_P(BadUrls, BadUrlTest,
                         ::testing::Values("", "ftp://host/", "host:80/", "HTTP//host", "http://", "http:///path",
                                           "http://:80/", "http://host:0/", "http://host:65536/", "http://host:80x/",
                                           "http://host:-1/", "http://user@host/", "http://[::1/", "http://[::1]x/",
                                           "http://ho st/"));

TEST(HeadersTest, LookupIsCaseInsensitive) {
  const Headers headers = {{"Content-Type", "application/ocsp-response"}, {"X-Other", "1"}};
  EXPECT_EQ(find_header(headers, "content-type"), "application/ocsp-response");
  EXPECT_EQ(find_header(headers, "CONTENT-TYPE"), "application/ocsp-response");
  EXPECT_EQ(find_header(headers, "Content-Typ"), "");
  EXPECT_EQ(find_header(headers, "absent"), "");
}

TEST(HttpResponseTest, MakeSetsStatusContentTypeAndBody) {
  const HttpResponse r = HttpResponse::make(404, "text/plain", "gone");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.header("content-type"), "text/plain");
  EXPECT_EQ(r.body, "gone");
}

}  // namespace
}  // namespace xacbe::net
