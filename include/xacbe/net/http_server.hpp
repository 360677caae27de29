#pragma once
// An HTTP/1.1 server on Boost.Beast, plain or TLS (optionally mutual). Every connection has a
// read timeout, every request a body limit; keep-alive is supported. The handler is called on one
// of the server's threads, so a handler that computes (signs) runs in parallel with others.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "xacbe/net/http.hpp"
#include "xacbe/net/tls_context.hpp"
#include "xacbe/result.hpp"

namespace xacbe::net {

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

struct ServerOptions {
  std::string address = "127.0.0.1";
  std::uint16_t port = 0;  // 0: pick a free port (see HttpServer::port())
  unsigned threads = 0;    // 0: one per hardware thread
  std::size_t body_limit = 1024 * 1024;  // larger bodies are answered 413
  std::chrono::milliseconds idle_timeout = std::chrono::seconds(30);
  std::shared_ptr<TlsContext> tls;  // null: plain HTTP
};

class HttpServer {
 public:
  static Result<std::unique_ptr<HttpServer>> start(ServerOptions options, HttpHandler handler);
  ~HttpServer();  // stops and joins

  std::uint16_t port() const;
  void stop();

 private:
  struct Impl;
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace xacbe::net
