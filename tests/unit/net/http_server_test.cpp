#include "xacbe/net/http_server.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "support/raw_connection.hpp"
#include "xacbe/net/http_client.hpp"

namespace xacbe::net {
namespace {

using namespace std::chrono_literals;
using Steady = std::chrono::steady_clock;
using testing::RawConnection;

// Waits (bounded) until `done` holds; false when it never did.
template <typename F>
bool eventually(F done, std::chrono::milliseconds limit = 10s) {
  const auto deadline = Steady::now() + limit;
  while (!done()) {
    if (Steady::now() > deadline) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

std::size_t count(const std::string& haystack, std::string_view needle) {
  std::size_t n = 0;
  for (std::size_t at = haystack.find(needle); at != std::string::npos; at = haystack.find(needle, at + 1)) ++n;
  return n;
}

// ServerOptions for 127.0.0.1 with one setting changed from the defaults.
ServerOptions on_port(std::uint16_t port, const std::string& address = "127.0.0.1") {
  ServerOptions options;
  options.address = address;
  options.port = port;
  options.threads = 1;
  return options;
}

ServerOptions with_body_limit(std::size_t limit) {
  ServerOptions options;
  options.body_limit = limit;
  return options;
}

ServerOptions with_idle_timeout(std::chrono::milliseconds timeout) {
  ServerOptions options;
  options.idle_timeout = timeout;
  return options;
}

ServerOptions with_threads(unsigned threads) {
  ServerOptions options;
  options.threads = threads;
  return options;
}

class HttpServerTest : public ::testing::Test {
 protected:
  void start(ServerOptions options, HttpHandler handler) {
    options.address = "127.0.0.1";
    if (options.threads == 0) options.threads = 2;
    auto server = HttpServer::start(std::move(options), [this, handler = std::move(handler)](const HttpRequest& r) {
      ++calls_;
      return handler(r);
    });
    ASSERT_TRUE(server) << server.status().to_string();
    server_ = std::move(server).value();
    ASSERT_NE(server_->port(), 0);
  }

  void start_echo(ServerOptions options = {}) {
    start(std::move(options), [](const HttpRequest& r) { return HttpResponse::make(200, "text/plain", r.body); });
  }

  std::string url(const std::string& target = "/") const {
    return "http://127.0.0.1:" + std::to_string(server_->port()) + target;
  }

  static ClientOptions quick() {
    ClientOptions options;
    options.timeout = 5s;
    return options;
  }

  std::atomic<int> calls_{0};
  std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpServerTest, PlainHttpRoundTrip) {
  HttpRequest seen;
  std::mutex mu;
  start({}, [&](const HttpRequest& r) {
    std::lock_guard lock(mu);
    seen = r;
    HttpResponse response = HttpResponse::make(201, "application/x-test", "created:" + r.body);
    response.headers.emplace_back("X-Reply", "yes");
    return response;
  });
  HttpRequest request;
  request.method = "POST";
  request.headers.emplace_back("X-Member", "MX/GOV/PGJ");
  request.body = std::string("binary\0body", 11);
  auto response = http_request(url("/tsa?x=1"), request, quick());
  ASSERT_TRUE(response) << response.status().to_string();
  EXPECT_EQ(response->status, 201);
  EXPECT_EQ(response->body, "created:" + request.body);
  EXPECT_EQ(response->header("content-type"), "application/x-test");
  EXPECT_EQ(response->header("x-reply"), "yes");
  std::lock_guard lock(mu);
  EXPECT_EQ(seen.method, "POST");
  EXPECT_EQ(seen.target, "/tsa?x=1");
  EXPECT_EQ(seen.header("x-member"), "MX/GOV/PGJ");
  EXPECT_EQ(seen.body, request.body);
  EXPECT_EQ(seen.peer_address, "127.0.0.1");
  EXPECT_FALSE(seen.peer_certificate.has_value());
}

TEST_F(HttpServerTest, PicksAFreePortWhenAskedForPortZero) {
  start_echo();
  auto second =
      HttpServer::start(on_port(0), [](const HttpRequest&) { return HttpResponse::make(204, "text/plain", ""); });
  ASSERT_TRUE(second) << second.status().to_string();
  EXPECT_NE((*second)->port(), server_->port());
}

TEST_F(HttpServerTest, LargeBodiesRoundTrip) {
  start_echo(with_body_limit(4 * 1024 * 1024));
  HttpRequest request;
  request.method = "POST";
  request.body.resize(3 * 1024 * 1024);
  for (std::size_t i = 0; i < request.body.size(); ++i) request.body[i] = static_cast<char>(i * 131 % 251);
  auto response = http_request(url(), request, quick());
  ASSERT_TRUE(response) << response.status().to_string();
  EXPECT_EQ(response->body, request.body);
}

TEST_F(HttpServerTest, BodyAtTheLimitIsAccepted) {
  start_echo(with_body_limit(1024));
  HttpRequest request;
  request.method = "POST";
  request.body.assign(1024, 'a');
  auto response = http_request(url(), request, quick());
  ASSERT_TRUE(response) << response.status().to_string();
  EXPECT_EQ(response->status, 200);
}

TEST_F(HttpServerTest, BodyOverTheLimitIsAnswered413) {
  start_echo(with_body_limit(1024));
  HttpRequest request;
  request.method = "POST";
  request.body.assign(1025, 'a');
  auto response = http_request(url(), request, quick());
  ASSERT_TRUE(response) << response.status().to_string();
  EXPECT_EQ(response->status, 413);
  EXPECT_EQ(calls_.load(), 0);
}

TEST_F(HttpServerTest, ARefusalHookAnswersInTheComponentsOwnFormat) {
  ServerOptions options = with_body_limit(1024);
  options.refusal = [](int status, const std::string& message) {
    return HttpResponse::make(status, "application/json", "{\"refused\": \"" + message + "\"}");
  };
  start_echo(options);
  HttpRequest request;
  request.method = "POST";
  request.body.assign(1025, 'a');
  auto response = http_request(url(), request, quick());
  ASSERT_TRUE(response) << response.status().to_string();
  EXPECT_EQ(response->status, 413);
  EXPECT_EQ(response->header("content-type"), "application/json");
  EXPECT_EQ(response->body, "{\"refused\": \"request body exceeds the limit\"}");
  EXPECT_EQ(calls_.load(), 0);
}

TEST_F(HttpServerTest, DeclaredLengthOverTheLimitIsAnswered413BeforeTheBody) {
  start_echo(with_body_limit(1024));
  RawConnection raw(server_->port());
  ASSERT_TRUE(raw.connected());
  ASSERT_TRUE(raw.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n"));
  const auto received = raw.read_until_closed(5s);
  EXPECT_TRUE(received.closed);
  EXPECT_EQ(received.data.rfind("HTTP/1.1 413", 0), 0u) << received.data;
  EXPECT_EQ(calls_.load(), 0);
}

TEST_F(HttpServerTest, DeclaredLengthOverTheLimitSentWithTheBodyIsAnswered413) {
  start_echo(with_body_limit(1024));
  RawConnection raw(server_->port());
  ASSERT_TRUE(raw.connected());
  ASSERT_TRUE(raw.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2048\r\n\r\n" + std::string(2048, 'b')));
  const auto received = raw.read_until_closed(5s);
  EXPECT_EQ(received.data.rfind("HTTP/1.1 413", 0), 0u) << received.data;
  EXPECT_EQ(calls_.load(), 0);
}

TEST_F(HttpServerTest, ChunkedBodyOverTheLimitIsAnswered413) {
  start_echo(with_body_limit(16));
  RawConnection raw(server_->port());
  ASSERT_TRUE(raw.connected());
  ASSERT_TRUE(
      raw.send("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
               "10\r\n0123456789abcdef\r\n10\r\n0123456789abcdef\r\n0\r\n\r\n"));
  const auto received = raw.read_until_closed(5s);
  EXPECT_EQ(received.data.rfind("HTTP/1.1 413", 0), 0u) << received.data;
  EXPECT_EQ(calls_.load(), 0);
}

TEST_F(HttpServerTest, MalformedRequestIsAnswered400) {
  start_echo();
  RawConnection raw(server_->port());
  ASSERT_TRUE(raw.connected());
  ASSERT_TRUE(raw.send("this is not HTTP\r\n\r\n"));
  const auto received = raw.read_until_closed(5s);
  EXPECT_TRUE(received.closed);
  EXPECT_EQ(received.data.rfind("HTTP/1.1 400", 0), 0u) << received.data;
  EXPECT_EQ(calls_.load(), 0);
}

TEST_F(HttpServerTest, HandlerExceptionIsAnswered500AndServerKeepsServing) {
  start({}, [](const HttpRequest& r) -> HttpResponse {
    if (r.target == "/throw") throw std::runtime_error("handler bug");
    return HttpResponse::make(200, "text/plain", "fine");
  });
  auto failed = http_request(url("/throw"), {}, quick());
  ASSERT_TRUE(failed) << failed.status().to_string();
  EXPECT_EQ(failed->status, 500);
  EXPECT_EQ(failed->body.find("handler bug"), std::string::npos) << "internal detail leaked to the client";
  auto fine = http_request(url("/ok"), {}, quick());
  ASSERT_TRUE(fine) << fine.status().to_string();
  EXPECT_EQ(fine->status, 200);
}

TEST_F(HttpServerTest, KeepAliveServesPipelinedRequestsOnOneConnection) {
  start({}, [](const HttpRequest& r) { return HttpResponse::make(200, "text/plain", "t=" + r.target); });
  RawConnection raw(server_->port());
  ASSERT_TRUE(raw.connected());
  ASSERT_TRUE(
      raw.send("GET /one HTTP/1.1\r\nHost: x\r\n\r\n"
               "GET /two HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  const auto received = raw.read_until_closed(5s);
  EXPECT_TRUE(received.closed);
  EXPECT_EQ(count(received.data, "HTTP/1.1 200"), 2u) << received.data;
  EXPECT_LT(received.data.find("t=/one"), received.data.find("t=/two"));
  EXPECT_EQ(calls_.load(), 2);
}

TEST_F(HttpServerTest, IdleTimeoutClosesASilentConnection) {
  start_echo(with_idle_timeout(200ms));
  RawConnection raw(server_->port());
  ASSERT_TRUE(raw.connected());
  const auto started = Steady::now();
  const auto received = raw.read_until_closed(5s);
  const auto elapsed = Steady::now() - started;
  EXPECT_TRUE(received.closed) << "still open after 5 s";
  EXPECT_TRUE(received.data.empty());
  EXPECT_GE(elapsed, 150ms);
  EXPECT_LT(elapsed, 4s);
}

TEST_F(HttpServerTest, IdleTimeoutClosesAConnectionThatNeverFinishesItsHeaders) {
  start_echo(with_idle_timeout(200ms));
  RawConnection raw(server_->port());
  ASSERT_TRUE(raw.connected());
  ASSERT_TRUE(raw.send("GET / HTTP/1.1\r\nHost: x\r\n"));  // no blank line: never complete
  const auto received = raw.read_until_closed(5s);
  EXPECT_TRUE(received.closed);
  EXPECT_TRUE(received.data.empty()) << received.data;
  EXPECT_EQ(calls_.load(), 0);
}

TEST_F(HttpServerTest, IdleTimeoutClosesAKeptAliveConnectionAfterItsResponse) {
  start_echo(with_idle_timeout(200ms));
  RawConnection raw(server_->port());
  ASSERT_TRUE(raw.connected());
  ASSERT_TRUE(raw.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  const auto received = raw.read_until_closed(5s);
  EXPECT_TRUE(received.closed);
  EXPECT_EQ(count(received.data, "HTTP/1.1 200"), 1u) << received.data;
}

TEST_F(HttpServerTest, ServesRequestsInParallel) {
  constexpr int kParallel = 4;
  std::mutex mu;
  std::condition_variable cv;
  int inside = 0;  // guarded by mu
  ServerOptions options = with_threads(kParallel);
  options.workers = kParallel;  // blocking handlers run on the worker pool
  start(options, [&](const HttpRequest&) {
    std::unique_lock lock(mu);
    ++inside;
    cv.notify_all();
    // Every handler waits until all are inside at once: only parallel handling gets there.
    const bool all = cv.wait_for(lock, 5s, [&] { return inside >= kParallel; });
    return HttpResponse::make(all ? 200 : 503, "text/plain", all ? "together" : "alone");
  });
  std::vector<int> statuses(kParallel, 0);
  std::vector<std::thread> clients;
  for (int i = 0; i < kParallel; ++i) {
    clients.emplace_back([&, i] {
      auto response = http_request(url("/" + std::to_string(i)), {}, quick());
      statuses[static_cast<std::size_t>(i)] = response ? response->status : -1;
    });
  }
  for (auto& c : clients) c.join();
  for (int i = 0; i < kParallel; ++i) EXPECT_EQ(statuses[static_cast<std::size_t>(i)], 200) << "client " << i;
}

TEST_F(HttpServerTest, ManySequentialConnectionsAreServed) {
  start_echo();
  for (int i = 0; i < 50; ++i) {
    HttpRequest request;
    request.method = "POST";
    request.body = std::to_string(i);
    auto response = http_request(url(), request, quick());
    ASSERT_TRUE(response) << i << ": " << response.status().to_string();
    ASSERT_EQ(response->body, request.body);
  }
  EXPECT_EQ(calls_.load(), 50);
}

TEST_F(HttpServerTest, RefusesAPortAlreadyInUse) {
  start_echo();
  auto second = HttpServer::start(on_port(server_->port()), [](const HttpRequest&) { return HttpResponse{}; });
  ASSERT_FALSE(second);
  EXPECT_EQ(second.status().code(), Code::kUnavailable);
}

TEST(HttpServerStartTest, RefusesAnInvalidAddress) {
  auto server = HttpServer::start(on_port(0, "not-an-address"), [](const HttpRequest&) { return HttpResponse{}; });
  ASSERT_FALSE(server);
  EXPECT_EQ(server.status().code(), Code::kInvalidArgument);
}

TEST_F(HttpServerTest, StopReleasesThePort) {
  start_echo();
  const std::uint16_t port = server_->port();
  server_->stop();
  RawConnection raw(port);
  EXPECT_FALSE(raw.connected()) << "the listening socket survived stop()";
  // The port can be taken again at once (a restart on the same port).
  auto again = HttpServer::start(on_port(port),
                                 [](const HttpRequest&) { return HttpResponse::make(200, "text/plain", "again"); });
  ASSERT_TRUE(again) << again.status().to_string();
  auto response = http_request(url(), {}, quick());
  ASSERT_TRUE(response) << response.status().to_string();
  EXPECT_EQ(response->body, "again");
}

TEST_F(HttpServerTest, DestroyingTheServerWithAnOpenConnectionReturns) {
  start_echo(with_idle_timeout(30s));
  RawConnection raw(server_->port());
  ASSERT_TRUE(raw.connected());
  ASSERT_TRUE(raw.send("GET / HTTP/1.1\r\nHost: x\r\n"));
  const auto started = Steady::now();
  server_.reset();
  EXPECT_LT(Steady::now() - started, 5s);
  EXPECT_TRUE(raw.read_until_closed(5s).closed);
}

// Handlers that wait hold no thread: with one I/O thread, many requests wait together.
TEST(AsyncHttpServerTest, WaitingHandlersDoNotHoldTheIoThread) {
  constexpr int kWaiting = 40;
  std::atomic<int> inside{0};
  ServerOptions options;
  options.threads = 1;
  auto server = HttpServer::start(options, AsyncHttpHandler([&](HttpRequest r) -> Task<HttpResponse> {
                                    if (r.target == "/fast") co_return HttpResponse::make(200, "text/plain", "fast");
                                    ++inside;
                                    // Each waits (without a thread) until all have arrived.
                                    for (int i = 0; i < 2000 && inside.load() < kWaiting; ++i) {
                                      co_await sleep_for(std::chrono::milliseconds(5));
                                    }
                                    co_return HttpResponse::make(inside.load() >= kWaiting ? 200 : 504,
                                                                 "text/plain", "together");
                                  }));
  ASSERT_TRUE(server) << server.status().to_string();
  const std::string base = "http://127.0.0.1:" + std::to_string((*server)->port());
  std::vector<int> statuses(kWaiting, 0);
  std::vector<std::thread> clients;
  for (int i = 0; i < kWaiting; ++i) {
    clients.emplace_back([&, i] {
      ClientOptions o;
      o.timeout = 20s;
      auto response = http_request(base + "/slow", {}, o);
      statuses[static_cast<std::size_t>(i)] = response ? response->status : -1;
    });
  }
  // While they wait, a fast route answers on the same single thread.
  ASSERT_TRUE(eventually([&] { return inside.load() >= kWaiting / 2; }));
  auto fast = http_request(base + "/fast", {}, {});
  ASSERT_TRUE(fast) << fast.status().to_string();
  EXPECT_EQ(fast->body, "fast");
  for (auto& c : clients) c.join();
  for (int i = 0; i < kWaiting; ++i) EXPECT_EQ(statuses[static_cast<std::size_t>(i)], 200) << "client " << i;
}

TEST_F(HttpServerTest, ConnectionsOverTheLimitAreClosedAtOnceEvenInABurst) {
  ServerOptions options;
  options.max_connections = 2;
  start_echo(options);
  // Five connections at once, before the server has served any.
  std::vector<std::unique_ptr<RawConnection>> burst;
  for (int i = 0; i < 5; ++i) burst.push_back(std::make_unique<RawConnection>(server_->port()));
  ASSERT_TRUE(eventually([&] { return server_->stats().accepted + server_->stats().refused == 5; }));
  EXPECT_EQ(server_->stats().accepted, 2u);
  EXPECT_EQ(server_->stats().refused, 3u);
  int served = 0, closed_silently = 0;
  for (auto& c : burst) {
    c->send("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    const auto received = c->read_until_closed(5s);
    EXPECT_TRUE(received.closed);
    if (received.data.rfind("HTTP/1.1 200", 0) == 0) ++served;
    if (received.data.empty()) ++closed_silently;
  }
  EXPECT_EQ(served, 2);
  EXPECT_EQ(closed_silently, 3);
}

TEST_F(HttpServerTest, HeaderOverTheLimitIsAnswered431) {
  ServerOptions options;
  options.header_limit = 2048;
  start_echo(options);
  RawConnection raw(server_->port());
  ASSERT_TRUE(raw.send("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(4096, 'a') + "\r\n\r\n"));
  const auto received = raw.read_until_closed(5s);
  EXPECT_EQ(received.data.rfind("HTTP/1.1 431", 0), 0u) << received.data;
  EXPECT_EQ(calls_.load(), 0);
}

TEST_F(HttpServerTest, FullWorkerQueueIsAnswered503AtOnce) {
  std::mutex mu;
  std::condition_variable cv;
  bool release = false, entered = false;  // guarded by mu
  ServerOptions options;
  options.workers = 1;
  options.max_queued = 1;
  start(options, [&](const HttpRequest&) {
    std::unique_lock lock(mu);
    entered = true;
    cv.notify_all();
    cv.wait_for(lock, 10s, [&] { return release; });
    return HttpResponse::make(200, "text/plain", "done");
  });
  std::thread busy([&] { EXPECT_TRUE(http_request(url(), {}, quick())); });
  {
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, 10s, [&] { return entered; }));
  }
  auto refused = http_request(url(), {}, quick());
  ASSERT_TRUE(refused) << refused.status().to_string();
  EXPECT_EQ(refused->status, 503);
  {
    std::lock_guard lock(mu);
    release = true;
  }
  cv.notify_all();
  busy.join();
}

TEST_F(HttpServerTest, ShutdownAnswersTheRequestInFlightAndClosesIdleConnections) {
  std::mutex mu;
  std::condition_variable cv;
  bool release = false, entered = false;  // guarded by mu
  start({}, [&](const HttpRequest&) {
    std::unique_lock lock(mu);
    entered = true;
    cv.notify_all();
    cv.wait_for(lock, 10s, [&] { return release; });
    return HttpResponse::make(200, "text/plain", "finished");
  });
  RawConnection idle(server_->port());
  ASSERT_TRUE(idle.connected());
  RawConnection busy(server_->port());
  ASSERT_TRUE(busy.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n"));
  {
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, 10s, [&] { return entered; }));
  }
  bool drained = false;
  std::thread stopper([&] { drained = server_->shutdown(10s); });
  EXPECT_TRUE(idle.read_until_closed(5s).closed) << "an idle connection outlived the drain's start";
  {
    std::lock_guard lock(mu);
    release = true;
  }
  cv.notify_all();
  const auto answer = busy.read_until_closed(5s);
  stopper.join();
  EXPECT_TRUE(drained);
  EXPECT_EQ(answer.data.rfind("HTTP/1.1 200", 0), 0u) << answer.data;
  EXPECT_NE(answer.data.find("Connection: close"), std::string::npos) << answer.data;
  EXPECT_NE(answer.data.find("finished"), std::string::npos);
  EXPECT_TRUE(answer.closed);
  RawConnection late(server_->port());
  EXPECT_FALSE(late.connected()) << "accepting after shutdown";
}

TEST(AsyncHttpServerTest, ShutdownGivesUpAtTheDrainDeadline) {
  std::atomic<bool> entered{false};
  auto server = HttpServer::start(ServerOptions{}, AsyncHttpHandler([&](HttpRequest) -> Task<HttpResponse> {
                                    entered = true;
                                    co_await sleep_for(std::chrono::hours(1));  // never finishes in time
                                    co_return HttpResponse{};
                                  }));
  ASSERT_TRUE(server) << server.status().to_string();
  RawConnection busy((*server)->port());
  ASSERT_TRUE(busy.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_TRUE(eventually([&] { return entered.load(); }));
  EXPECT_FALSE((*server)->shutdown(100ms));
  EXPECT_TRUE(busy.read_until_closed(5s).closed);
}

}  // namespace
}  // namespace xacbe::net
