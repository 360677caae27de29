#pragma once
// An HTTP/1.1 server on Boost.Beast, plain or TLS (optionally mutual), with keep-alive.
//
// Threads: `threads` I/O threads run every connection as a coroutine. An AsyncHttpHandler runs on
// them and may wait (for another server, a timer, a queue) without holding a thread. A plain
// HttpHandler is CPU-bound or blocking (signing, SQLite) and runs on the server's WorkerPool, never
// on an I/O thread; when its queue is full the request is answered 503 at once.
//
// Limits, each refusal logged once per second at most with a count: concurrent connections (the
// next is closed at once, not queued), header size (431), time to send the headers (slow senders
// are closed), idle time between requests, body size (413).
//
// shutdown(): stops accepting, closes idle connections, lets requests in flight finish (their
// answers carry "Connection: close") up to the drain deadline, sends TLS close_notify, and returns.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "xacbe/net/async.hpp"
#include "xacbe/net/http.hpp"
#include "xacbe/net/tls_context.hpp"
#include "xacbe/result.hpp"

namespace xacbe::net {

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;
using AsyncHttpHandler = std::function<Task<HttpResponse>(HttpRequest)>;

struct ServerOptions {
  std::string address = "127.0.0.1";
  std::uint16_t port = 0;   // 0: pick a free port (see HttpServer::port())
  unsigned threads = 0;     // I/O threads; 0: one per hardware thread
  unsigned workers = 0;     // worker threads for an HttpHandler; 0: one per hardware thread
  std::size_t max_queued = 10000;        // HttpHandler calls waiting for a worker before 503
  std::size_t max_connections = 5000;    // the next is closed at once
  std::size_t body_limit = 1024 * 1024;  // larger bodies are answered 413
  std::size_t header_limit = 16 * 1024;  // larger headers are answered 431
  std::chrono::milliseconds header_timeout = std::chrono::seconds(10);  // request line and headers
  std::chrono::milliseconds idle_timeout = std::chrono::seconds(30);    // between requests; body; write
  std::shared_ptr<TlsContext> tls;  // null: plain HTTP
  // The answer to a request the server refuses itself (400 malformed, 413 body, 431 headers), so
  // that a component can answer in its own error format; null: a short text/plain answer.
  std::function<HttpResponse(int status, const std::string& message)> refusal;
};

struct ServerStats {
  std::uint64_t accepted = 0;        // connections taken in
  std::uint64_t refused = 0;         // connections closed at once for the connection limit
  std::uint64_t tls_handshakes = 0;  // completed TLS handshakes
  std::uint64_t requests = 0;        // requests answered
  std::uint64_t open = 0;            // connections open now
};

class HttpServer {
 public:
  static Result<std::unique_ptr<HttpServer>> start(ServerOptions options, HttpHandler handler);
  static Result<std::unique_ptr<HttpServer>> start(ServerOptions options, AsyncHttpHandler handler);
  ~HttpServer();  // stops at once (no drain) and joins

  std::uint16_t port() const;
  ServerStats stats() const;

  // Graceful stop (see above). Returns true when every connection finished within `drain`.
  bool shutdown(std::chrono::milliseconds drain);
  // Immediate stop: connections are dropped.
  void stop();

 private:
  struct Impl;
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace xacbe::net
