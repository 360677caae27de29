#include "xacbe/net/http_client.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>

#include "xacbe/net/http_server.hpp"

namespace xacbe::net {
namespace {

using namespace std::chrono_literals;
using Steady = std::chrono::steady_clock;

// A TCP socket bound to 127.0.0.1 on a free port; listening only when asked.
class RawListener {
 public:
  explicit RawListener(bool listen) : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = 0;
    ::inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
    socklen_t len = sizeof addr;
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0 || (listen && ::listen(fd_, 8) != 0)) {
      throw std::runtime_error("cannot set up a listening socket");
    }
    port_ = ntohs(addr.sin_port);
  }
  ~RawListener() {
    if (server_.joinable()) server_.join();
    ::close(fd_);
  }
  RawListener(const RawListener&) = delete;
  RawListener& operator=(const RawListener&) = delete;

  std::uint16_t port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/"; }

  // Accepts one connection (waiting at most 5 s), reads the request head and answers `reply`; then
  // closes at once, or with `hold_open` only once the client has gone (at most 5 s later).
  void answer_once(std::string reply, bool hold_open = false) {
    server_ = std::thread([this, reply = std::move(reply), hold_open] {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 5000) <= 0) return;
      const int conn = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (conn < 0) return;
      std::string head;
      const auto deadline = Steady::now() + 5s;
      while (head.find("\r\n\r\n") == std::string::npos && Steady::now() < deadline) {
        pollfd c{conn, POLLIN, 0};
        if (::poll(&c, 1, 100) <= 0) continue;
        char buf[1024];
        const ssize_t n = ::recv(conn, buf, sizeof buf, 0);
        if (n <= 0) break;
        head.append(buf, static_cast<std::size_t>(n));
      }
      (void)::send(conn, reply.data(), reply.size(), MSG_NOSIGNAL);
      if (hold_open) {
        pollfd c{conn, POLLIN, 0};
        (void)::poll(&c, 1, 5000);
      }
      ::close(conn);
    });
  }

 private:
  int fd_;
  std::uint16_t port_ = 0;
  std::thread server_;
};

class HttpClientTest : public ::testing::Test {
 protected:
  void start(HttpHandler handler) {
    ServerOptions options;
    options.address = "127.0.0.1";
    options.threads = 2;
    auto server = HttpServer::start(std::move(options), std::move(handler));
    ASSERT_TRUE(server) << server.status().to_string();
    server_ = std::move(server).value();
  }

  std::string url(const std::string& target = "/") const {
    return "http://127.0.0.1:" + std::to_string(server_->port()) + target;
  }

  static ClientOptions with_timeout(std::chrono::milliseconds timeout) {
    ClientOptions options;
    options.timeout = timeout;
    return options;
  }

  std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpClientTest, SendsMethodTargetHeadersAndBody) {
  std::mutex mu;
  std::string seen;  // guarded by mu
  start([&](const HttpRequest& r) {
    std::lock_guard lock(mu);
    seen = r.method + " " + r.target + " host=" + r.header("host") + " x=" + r.header("x-road-id") + " " + r.body;
    return HttpResponse::make(200, "text/plain", "ok");
  });
  HttpRequest request;
  request.method = "PUT";
  request.headers.emplace_back("X-Road-Id", "42");
  request.body = "payload";
  auto response = http_request(url("/path?q=1"), request, with_timeout(5s));
  ASSERT_TRUE(response) << response.status().to_string();
  EXPECT_EQ(response->status, 200);
  std::lock_guard lock(mu);
  // RFC 7230 section 5.4: the port is part of Host unless it is the default one.
  EXPECT_EQ(seen, "PUT /path?q=1 host=127.0.0.1:" + std::to_string(server_->port()) + " x=42 payload");
}

TEST_F(HttpClientTest, ReturnsNon200StatusesAsResponses) {
  start([](const HttpRequest&) { return HttpResponse::make(404, "text/plain", "no such thing"); });
  auto response = http_request(url(), {}, with_timeout(5s));
  ASSERT_TRUE(response) << response.status().to_string();
  EXPECT_EQ(response->status, 404);
  EXPECT_EQ(response->body, "no such thing");
}

TEST_F(HttpClientTest, EnforcesResponseBodyLimit) {
  start([](const HttpRequest& r) {
    return HttpResponse::make(200, "text/plain", std::string(r.target == "/big" ? 1001 : 1000, 'x'));
  });
  ClientOptions options = with_timeout(5s);
  options.body_limit = 1000;
  auto at_limit = http_request(url("/exact"), {}, options);
  ASSERT_TRUE(at_limit) << at_limit.status().to_string();
  EXPECT_EQ(at_limit->body.size(), 1000u);
  auto over = http_request(url("/big"), {}, options);
  ASSERT_FALSE(over);
  EXPECT_EQ(over.status().code(), Code::kInvalidArgument) << over.status().to_string();
}

TEST(HttpClientRawTest, EnforcesBodyLimitOnChunkedResponse) {
  RawListener server(/*listen=*/true);
  server.answer_once(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
      "20\r\n0123456789abcdef0123456789abcdef\r\n0\r\n\r\n");
  ClientOptions options;
  options.timeout = 5s;
  options.body_limit = 16;
  auto response = http_request(server.url(), {}, options);
  ASSERT_FALSE(response);
  EXPECT_EQ(response.status().code(), Code::kInvalidArgument) << response.status().to_string();
}

TEST(HttpClientRawTest, RefusesOversizeDeclaredLengthArrivingWithTheFirstBodyBytes) {
  RawListener server(/*listen=*/true);
  // Header and the start of the body in one segment, as a hostile or broken server would send it.
  server.answer_once("HTTP/1.1 200 OK\r\nContent-Length: 100000000\r\n\r\n" + std::string(1000, 'x'),
                     /*hold_open=*/true);
  ClientOptions options;
  options.timeout = 2s;
  options.body_limit = 64 * 1024;
  auto response = http_request(server.url(), {}, options);
  ASSERT_FALSE(response);
  EXPECT_EQ(response.status().code(), Code::kInvalidArgument) << response.status().to_string();
}

TEST(HttpClientRawTest, EnforcesResponseHeaderLimit) {
  // A 12 KiB header field: over the default limit of 8 KiB, under a limit of 16 KiB.
  const std::string answer = "HTTP/1.1 200 OK\r\nX-Large: " + std::string(12 * 1024, 'h') +
                             "\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
  {
    RawListener server(/*listen=*/true);
    server.answer_once(answer);
    ClientOptions options;
    options.timeout = 5s;
    auto refused = http_request(server.url(), {}, options);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.status().code(), Code::kInvalidArgument) << refused.status().to_string();
    EXPECT_NE(refused.status().message().find("header exceeds the limit"), std::string::npos)
        << refused.status().to_string();
  }
  RawListener server(/*listen=*/true);
  server.answer_once(answer);
  ClientOptions options;
  options.timeout = 5s;
  options.header_limit = 16 * 1024;
  auto accepted = http_request(server.url(), {}, options);
  ASSERT_TRUE(accepted) << accepted.status().to_string();
  EXPECT_EQ(accepted->body, "ok");
  EXPECT_EQ(accepted->header("X-Large").size(), 12u * 1024);
}

TEST(HttpClientRawTest, TimesOutOnAServerThatNeverAnswers) {
  RawListener silent(/*listen=*/true);  // the kernel completes the handshake; nobody reads or answers
  ClientOptions options;
  options.timeout = 200ms;
  const auto started = Steady::now();
  auto response = http_request(silent.url(), {}, options);
  const auto elapsed = Steady::now() - started;
  ASSERT_FALSE(response);
  EXPECT_EQ(response.status().code(), Code::kDeadlineExceeded) << response.status().to_string();
  EXPECT_GE(elapsed, 150ms);
  EXPECT_LT(elapsed, 4s);
}

TEST(HttpClientRawTest, ConnectionRefusedIsUnavailable) {
  RawListener closed(/*listen=*/false);  // bound, so no one else takes the port, but not listening
  ClientOptions options;
  options.timeout = 5s;
  auto response = http_request(closed.url(), {}, options);
  ASSERT_FALSE(response);
  EXPECT_EQ(response.status().code(), Code::kUnavailable) << response.status().to_string();
}

TEST(HttpClientRawTest, MalformedResponseIsInvalidArgument) {
  RawListener server(/*listen=*/true);
  server.answer_once("SMTP ready\r\n\r\n");
  ClientOptions options;
  options.timeout = 5s;
  auto response = http_request(server.url(), {}, options);
  ASSERT_FALSE(response);
  EXPECT_EQ(response.status().code(), Code::kInvalidArgument) << response.status().to_string();
}

TEST(HttpClientRawTest, ResponseCutShortIsAnError) {
  RawListener server(/*listen=*/true);
  server.answer_once("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly part");
  ClientOptions options;
  options.timeout = 5s;
  auto response = http_request(server.url(), {}, options);
  EXPECT_FALSE(response);
}

TEST(HttpClientUrlTest, RefusesBadUrl) {
  for (const char* url : {"", "ftp://127.0.0.1/", "http://", "http://127.0.0.1:0/"}) {
    auto response = http_request(url, {});
    ASSERT_FALSE(response) << url;
    EXPECT_EQ(response.status().code(), Code::kInvalidArgument) << url;
  }
}

TEST(HttpClientUrlTest, HttpsWithoutTlsContextIsRefused) {
  RawListener server(/*listen=*/true);
  auto response = http_request("https://127.0.0.1:" + std::to_string(server.port()) + "/", {});
  ASSERT_FALSE(response);
  EXPECT_EQ(response.status().code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace xacbe::net
