// The pooled asynchronous client: kept-alive reuse, the per-destination maximum, the deadline while
// waiting for a connection, the retry when a kept connection turned out closed.
#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "support/test_pki.hpp"
#include "xacbe/net/http_client.hpp"
#include "xacbe/net/http_server.hpp"

namespace xacbe::net {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using testing::TestPki;

std::shared_ptr<TlsContext> must(Result<std::shared_ptr<TlsContext>> r) {
  EXPECT_TRUE(r) << r.status().to_string();
  return r ? *r : nullptr;
}

class HttpClientPoolTest : public ::testing::Test {
 protected:
  void start_tls() {
    auto kc = pki_.issue_tls_server("server", {}, {"127.0.0.1"});
    TlsOptions server;
    server.certificate = kc.cert;
    server.key = std::make_shared<const crypto::PrivateKey>(std::move(kc.key));
    ServerOptions options;
    options.threads = 2;
    options.tls = must(TlsContext::create_server(std::move(server)));
    server_ = std::move(HttpServer::start(std::move(options), [](const HttpRequest& r) {
                          return HttpResponse::make(200, "text/plain", r.body);
                        }).value());
    TlsOptions client;
    client.trusted = {pki_.root()};
    client_tls_ = must(TlsContext::create_client(std::move(client)));
  }

  std::string url(bool tls) const {
    return std::string(tls ? "https" : "http") + "://127.0.0.1:" + std::to_string(server_->port()) + "/";
  }

  ManualClock clock_{std::chrono::system_clock::now()};
  TestPki pki_{clock_};
  std::shared_ptr<TlsContext> client_tls_;
  std::unique_ptr<HttpServer> server_;
};

// 10,000 calls to one peer, 64 at a time, over a pool of 8: at most 8 TLS handshakes.
TEST_F(HttpClientPoolTest, TenThousandCallsOverAPoolOfEightMakeAtMostEightHandshakes) {
  start_tls();
  PoolOptions pool;
  pool.max_per_destination = 8;
  pool.threads = 2;
  auto client = HttpClient::create(pool);
  ClientOptions options;
  options.tls = client_tls_;
  options.timeout = 30s;
  constexpr int kCallers = 64, kCalls = 10000;
  std::atomic<int> next{0}, ok{0};
  asio::io_context callers;
  for (int c = 0; c < kCallers; ++c) {
    asio::co_spawn(
        callers,
        [&]() -> Task<void> {
          while (next.fetch_add(1) < kCalls) {
            HttpRequest request;
            request.method = "POST";
            request.body = "ping";
            auto response = co_await client->request(url(true), std::move(request), options);
            if (response && response->body == "ping") ++ok;
          }
        },
        asio::detached);
  }
  callers.run();
  EXPECT_EQ(ok.load(), kCalls);
  EXPECT_LE(server_->stats().tls_handshakes, 8u);
  EXPECT_LE(client->stats().tls_handshakes, 8u);
  EXPECT_GE(client->stats().reused, static_cast<std::uint64_t>(kCalls - 8));
}

TEST_F(HttpClientPoolTest, WaitingForABusyPoolEndsAtTheDeadline) {
  // The handler holds its request until released, so the pool's single connection stays busy.
  auto gate = std::make_shared<std::atomic<bool>>(false);
  ServerOptions options;
  options.threads = 1;
  server_ = std::move(HttpServer::start(std::move(options),
                                        AsyncHttpHandler([gate](HttpRequest) -> Task<HttpResponse> {
                                          while (!gate->load()) co_await sleep_for(5ms);
                                          co_return HttpResponse::make(200, "text/plain", "late");
                                        }))
                          .value());
  PoolOptions pool;
  pool.max_per_destination = 1;
  auto client = HttpClient::create(pool);
  ClientOptions slow;
  slow.timeout = 10s;
  std::thread first([&] { EXPECT_TRUE(client->request_blocking(url(false), {}, slow)); });
  for (int i = 0; i < 10000 && server_->stats().accepted == 0; ++i) std::this_thread::sleep_for(1ms);
  ASSERT_EQ(server_->stats().accepted, 1u);
  ClientOptions quick;
  quick.timeout = 200ms;
  auto second = client->request_blocking(url(false), {}, quick);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.status().code(), Code::kDeadlineExceeded) << second.status().to_string();
  EXPECT_EQ(server_->stats().accepted, 1u) << "the pool opened a second connection past its maximum";
  gate->store(true);
  first.join();
}

TEST_F(HttpClientPoolTest, DoesNotReuseAConnectionTheServerClosed) {
  ServerOptions options;
  options.threads = 1;
  auto echo = [](const HttpRequest& r) { return HttpResponse::make(200, "text/plain", r.body); };
  server_ = std::move(HttpServer::start(options, echo).value());
  const std::string target = url(false);
  options.port = server_->port();
  auto client = HttpClient::create();
  ASSERT_TRUE(client->request_blocking(target, {}, {}));
  EXPECT_EQ(client->idle_connections(), 1u);
  server_.reset();  // drops the kept connection
  server_ = std::move(HttpServer::start(options, echo).value());
  HttpRequest request;
  request.method = "POST";
  request.body = "again";
  // A POST is never sent twice; it succeeds because the closed connection is found out before use.
  auto response = client->request_blocking(target, request, {});
  ASSERT_TRUE(response) << response.status().to_string();
  EXPECT_EQ(response->body, "again");
  EXPECT_EQ(client->stats().retried, 0u);
  EXPECT_EQ(client->stats().connections_opened, 2u);
}

TEST_F(HttpClientPoolTest, DifferentPeerExpectationsDoNotShareAConnection) {
  start_tls();
  auto client = HttpClient::create();
  ClientOptions by_name;
  by_name.tls = client_tls_;
  ASSERT_TRUE(client->request_blocking(url(true), {}, by_name));
  ClientOptions pinned = by_name;
  pinned.peer.pinned = {std::string(64, 'a')};
  auto refused = client->request_blocking(url(true), {}, pinned);
  ASSERT_FALSE(refused) << "a connection checked by host name served a pinned call";
  EXPECT_EQ(refused.status().code(), Code::kPermissionDenied);
  EXPECT_EQ(client->stats().tls_handshakes, 1u) << "only the successful handshake counts";
}

TEST_F(HttpClientPoolTest, RefusesABadUrlAndAnUnreachablePort) {
  auto client = HttpClient::create();
  auto bad = client->request_blocking("ftp://127.0.0.1/", {}, {});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.status().code(), Code::kInvalidArgument);
  ServerOptions options;
  server_ = std::move(HttpServer::start(options, [](const HttpRequest&) { return HttpResponse{}; }).value());
  const std::string closed = url(false);
  server_.reset();
  auto unreachable = client->request_blocking(closed, {}, {});
  ASSERT_FALSE(unreachable);
  EXPECT_EQ(unreachable.status().code(), Code::kUnavailable);
}

}  // namespace
}  // namespace xacbe::net
