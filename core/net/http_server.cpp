#include "xacbe/net/http_server.hpp"

#include <openssl/ssl.h>

#include <array>
#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "refusal_log.hpp"
#include "xacbe/log/log.hpp"

namespace xacbe::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using asio::redirect_error;
using asio::use_awaitable;

namespace {

// Each I/O thread runs an io_context of its own (no strand, no shared scheduler lock); a
// connection lives on one of them from accept to close.
using Executor = asio::io_context::executor_type;

// What the drain needs to reach one open connection. Touched only on the connection's thread.
struct Connection {
  explicit Connection(Executor e) : executor(std::move(e)) {}
  Executor executor;  // its I/O thread
  beast::tcp_stream* stream = nullptr;       // null once the connection has ended
  const beast::flat_buffer* buffer = nullptr;  // what has arrived of the next request
  bool idle = false;                         // waiting for the next request, nothing in flight
};

struct Shared {
  ServerOptions options;
  AsyncHttpHandler handler;
  RefusalLog refusals;

  std::atomic<bool> draining{false};
  // Connections admitted: counted at accept, before their coroutine runs, so a burst of accepts
  // cannot pass the limit; given back when the connection ends.
  std::atomic<std::size_t> admitted{0};
  std::atomic<std::uint64_t> accepted{0}, refused{0}, handshakes{0}, requests{0};

  std::mutex mu;
  std::condition_variable all_closed;
  std::map<std::uint64_t, std::shared_ptr<Connection>> open;  // guarded by mu
  std::uint64_t next_id = 0;                                  // guarded by mu
};

HttpRequest to_request(http::request<http::string_body>&& in, const std::string& peer) {
  HttpRequest out;
  out.method = std::string(in.method_string());
  out.target = std::string(in.target());
  out.headers.reserve(std::distance(in.begin(), in.end()));
  for (const auto& field : in) out.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  out.body = std::move(in.body());
  out.peer_address = peer;
  return out;
}

http::response<http::string_body> to_beast(HttpResponse&& in, unsigned version, bool keep_alive) {
  http::response<http::string_body> out{static_cast<http::status>(in.status), version};
  out.set(http::field::server, "xacbe");
  for (auto& [k, v] : in.headers) out.set(k, v);
  out.body() = std::move(in.body);
  out.keep_alive(keep_alive);
  out.prepare_payload();
  return out;
}

bool is_parse_error(const beast::error_code& ec) {
  return ec.category() == http::make_error_code(http::error::bad_target).category();
}

// Registers a connection for the drain and the connection limit; unregisters on destruction.
class Registration {
 public:
  Registration(Shared& shared, std::shared_ptr<Connection> connection) : shared_(shared), conn_(connection) {
    std::lock_guard lock(shared_.mu);
    id_ = shared_.next_id++;
    shared_.open.emplace(id_, std::move(connection));
  }
  ~Registration() {
    conn_->stream = nullptr;
    shared_.admitted.fetch_sub(1);
    std::lock_guard lock(shared_.mu);
    shared_.open.erase(id_);
    if (shared_.open.empty()) shared_.all_closed.notify_all();
  }
  Registration(const Registration&) = delete;
  Registration& operator=(const Registration&) = delete;

 private:
  Shared& shared_;
  std::shared_ptr<Connection> conn_;
  std::uint64_t id_ = 0;
};

// Calls the handler; an exception becomes a 500 without details (they go to the log).
Task<HttpResponse> call_handler(Shared& shared, HttpRequest request) {
  const std::string method = request.method, target = request.target;
  std::string failure;
  try {
    co_return co_await shared.handler(std::move(request));
  } catch (const std::exception& e) {
    failure = e.what();
  }
  log::error("handler failed on {} {}: {}", method, log::bounded(target), failure);
  co_return HttpResponse::make(500, "text/plain", "internal error\n");
}

// One connection, from the TLS handshake to the last answer. Stream is beast::tcp_stream or
// beast::ssl_stream<beast::tcp_stream>; the coroutine runs on the connection's I/O thread.
template <typename Stream>
Task<void> serve_connection(std::shared_ptr<Shared> shared, Stream stream, std::shared_ptr<Connection> conn,
                            std::shared_ptr<void> tls_generation, std::string peer) {
  constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;
  const ServerOptions& options = shared->options;
  beast::tcp_stream& tcp = beast::get_lowest_layer(stream);
  conn->stream = &tcp;
  Registration registration(*shared, conn);
  const auto header_deadline = std::min(options.header_timeout, options.idle_timeout);
  beast::error_code ec;

  // The first request's line and headers, TLS handshake included, must arrive within one deadline.
  const auto request_deadline = std::chrono::steady_clock::now() + header_deadline;
  std::optional<crypto::Certificate> peer_certificate;
  if constexpr (kTls) {
    tcp.expires_at(request_deadline);
    co_await stream.async_handshake(asio::ssl::stream_base::server, redirect_error(use_awaitable, ec));
    if (ec) co_return;  // refused or broken handshake: nothing to answer
    ++shared->handshakes;
    if (X509* cert = SSL_get0_peer_certificate(stream.native_handle())) {
      peer_certificate = crypto::Certificate::share(cert);
    }
  }
  (void)tls_generation;  // keeps the SSL context of this connection alive

  // Bounded: Beast sets no limit on chunk-extension lines or trailers of its own.
  beast::flat_buffer buffer(options.header_limit + 64 * 1024);
  conn->buffer = &buffer;
  bool first = true;
  for (;;) {
    // Waiting for a request of which nothing has arrived is idle: the drain may close the
    // connection then. The first request (TLS handshake included) has one deadline for its line
    // and headers; on a kept-alive connection the next one's must arrive within the idle timeout.
    conn->idle = buffer.size() == 0;
    if (conn->idle && shared->draining) break;
    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(options.header_limit));
    parser.body_limit(options.body_limit);
    std::optional<HttpResponse> refusal;
    if (first) {
      tcp.expires_at(request_deadline);
    } else {
      tcp.expires_after(conn->idle ? options.idle_timeout : header_deadline);
    }
    first = false;
    co_await http::async_read_header(stream, buffer, parser, redirect_error(use_awaitable, ec));
    conn->idle = false;
    if (!ec && !parser.is_done()) {  // a request without a body is complete with its headers
      tcp.expires_after(options.idle_timeout);
      co_await http::async_read(stream, buffer, parser, redirect_error(use_awaitable, ec));
    }
    if (ec == http::error::body_limit) {
      shared->refusals.note("request body over the limit");
      refusal = options.refusal ? options.refusal(413, "request body exceeds the limit")
                                : HttpResponse::make(413, "text/plain", "request body exceeds the limit\n");
    } else if (ec == http::error::header_limit) {
      shared->refusals.note("request header over the limit");
      refusal = options.refusal ? options.refusal(431, "request header fields too large")
                                : HttpResponse::make(431, "text/plain", "request header fields too large\n");
    } else if (ec == beast::error::timeout) {
      if (parser.got_some() || buffer.size() > 0) shared->refusals.note("request not received in time (slow sender)");
      break;
    } else if (ec && is_parse_error(ec) && ec != http::error::end_of_stream && ec != http::error::partial_message) {
      shared->refusals.note("malformed HTTP request");
      refusal = options.refusal ? options.refusal(400, "malformed HTTP request")
                                : HttpResponse::make(400, "text/plain", "malformed HTTP request\n");
    } else if (ec) {
      break;
    }

    unsigned version = 11;
    bool keep_alive = false;
    HttpResponse response;
    if (refusal) {
      response = std::move(*refusal);
    } else {
      auto message = parser.release();
      version = message.version();
      keep_alive = message.keep_alive();
      HttpRequest request = to_request(std::move(message), peer);
      request.peer_certificate = peer_certificate;
      response = co_await call_handler(*shared, std::move(request));
    }
    keep_alive = keep_alive && !shared->draining;
    http::response<http::string_body> out;
    try {
      out = to_beast(std::move(response), version, keep_alive);
    } catch (const std::exception& e) {  // e.g. a body on a 204, a header value over 64 KiB
      log::error("handler answer cannot be sent: {}", e.what());
      keep_alive = false;
      out = to_beast(HttpResponse::make(500, "text/plain", "internal error\n"), version, false);
    }
    tcp.expires_after(options.idle_timeout);
    co_await http::async_write(stream, out, redirect_error(use_awaitable, ec));
    ++shared->requests;
    if (ec || !keep_alive) break;
  }

  if constexpr (kTls) {
    tcp.expires_after(std::chrono::seconds(2));
    co_await stream.async_shutdown(redirect_error(use_awaitable, ec));  // close_notify
  } else {
    // Lingering close: read what the client may still be sending (a body after a 413, a request
    // after the drain's last answer) so that closing does not reset the connection and lose the
    // answer. Bounded in bytes and time.
    tcp.socket().shutdown(tcp::socket::shutdown_send, ec);
    if (!ec) {
      tcp.expires_after(std::chrono::seconds(1));
      std::array<char, 16 * 1024> sink;
      for (std::size_t drained = 0; drained < 1024 * 1024;) {
        drained += co_await tcp.async_read_some(asio::buffer(sink), redirect_error(use_awaitable, ec));
        if (ec) break;
      }
    }
  }
}

}  // namespace

struct HttpServer::Impl {
  explicit Impl(unsigned threads) : iocs(make_iocs(threads)), acceptor(*iocs.front()) {
    // An io_context runs while no connection is there.
    for (auto& ioc : iocs) busy.push_back(asio::make_work_guard(*ioc));
  }
  static std::vector<std::unique_ptr<asio::io_context>> make_iocs(unsigned threads) {
    std::vector<std::unique_ptr<asio::io_context>> out;
    for (unsigned i = 0; i < threads; ++i) out.push_back(std::make_unique<asio::io_context>(1));
    return out;
  }
  std::vector<std::unique_ptr<asio::io_context>> iocs;  // one per I/O thread; the first accepts
  std::vector<asio::executor_work_guard<Executor>> busy;
  tcp::acceptor acceptor;
  std::shared_ptr<Shared> shared;
  std::shared_ptr<WorkerPool> workers;  // for an HttpHandler
  std::vector<std::thread> threads;
  std::uint16_t port = 0;
  std::size_t next_ioc = 0;  // accept loop only

  Task<void> accept_loop() {
    for (;;) {
      beast::error_code ec;
      Executor executor = iocs[next_ioc++ % iocs.size()]->get_executor();
      tcp::socket socket = co_await acceptor.async_accept(executor, redirect_error(use_awaitable, ec));
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
      if (ec) {
        // Out of descriptors or similar: say so once, back off briefly instead of spinning.
        shared->refusals.note("accept failed: " + ec.message());
        co_await sleep_for(std::chrono::milliseconds(50));
        continue;
      }
      if (shared->draining) continue;
      if (shared->admitted.load() >= shared->options.max_connections) {
        ++shared->refused;
        shared->refusals.note("connection limit reached");
        socket.close(ec);
        continue;
      }
      ++shared->accepted;
      shared->admitted.fetch_add(1);
      socket.set_option(tcp::no_delay(true), ec);
      const auto endpoint = socket.remote_endpoint(ec);
      std::string peer = ec ? std::string() : endpoint.address().to_string();
      auto conn = std::make_shared<Connection>(executor);
      if (shared->options.tls) {
        auto generation = shared->options.tls->current();
        auto& ctx = *static_cast<asio::ssl::context*>(generation.get());
        using TlsStream = beast::ssl_stream<beast::tcp_stream>;
        asio::co_spawn(conn->executor,
                       serve_connection(shared, TlsStream(beast::tcp_stream(std::move(socket)), ctx), conn,
                                        std::move(generation), std::move(peer)),
                       asio::detached);
      } else {
        asio::co_spawn(conn->executor,
                       serve_connection(shared, beast::tcp_stream(std::move(socket)), conn, nullptr, std::move(peer)),
                       asio::detached);
      }
    }
  }

  void join() {
    for (auto& ioc : iocs) ioc->stop();
    for (auto& t : threads) {
      if (t.joinable()) t.join();
    }
    threads.clear();
    // Work still on the pool finishes now; its completions land in the stopped io_context, which
    // outlives them (it is destroyed last).
    if (workers) workers->join();
    // No thread runs the io_context any more, so the acceptor and the connections left after a
    // drain deadline can be closed here; their coroutines are destroyed with the io_context.
    beast::error_code ec;
    acceptor.close(ec);
    std::lock_guard lock(shared->mu);
    for (auto& [id, conn] : shared->open) {
      if (conn->stream) conn->stream->socket().close(ec);
    }
  }
};

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() { stop(); }

Result<std::unique_ptr<HttpServer>> HttpServer::start(ServerOptions options, HttpHandler handler) {
  auto workers = std::make_shared<WorkerPool>(options.workers, options.max_queued);
  AsyncHttpHandler on_worker = [workers, handler = std::move(handler)](HttpRequest request) -> Task<HttpResponse> {
    auto response = co_await workers->run([&] { return handler(request); });
    if (!response) co_return HttpResponse::make(503, "text/plain", "server busy, try again\n");
    co_return std::move(*response);
  };
  auto server = start(std::move(options), std::move(on_worker));
  if (server) (*server)->impl_->workers = std::move(workers);
  return server;
}

Result<std::unique_ptr<HttpServer>> HttpServer::start(ServerOptions options, AsyncHttpHandler handler) {
  const unsigned threads = options.threads ? options.threads : std::max(1u, std::thread::hardware_concurrency());
  auto impl = std::make_unique<Impl>(threads);
  beast::error_code ec;
  const auto address = asio::ip::make_address(options.address, ec);
  if (ec) return invalid_argument("invalid listen address '" + options.address + "'");
  if (options.tls && !options.tls->is_server()) return invalid_argument("a server needs a server TLS context");
  const tcp::endpoint endpoint(address, options.port);
  impl->acceptor.open(endpoint.protocol(), ec);
  if (!ec) impl->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) impl->acceptor.bind(endpoint, ec);
  if (!ec) impl->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return unavailable("cannot listen on " + options.address + ":" + std::to_string(options.port) + ": " +
                       ec.message());
  }
  impl->port = impl->acceptor.local_endpoint().port();
  impl->shared = std::make_shared<Shared>();
  impl->shared->options = std::move(options);
  impl->shared->handler = std::move(handler);
  asio::co_spawn(*impl->iocs.front(), impl->accept_loop(), asio::detached);
  for (auto& ioc : impl->iocs) impl->threads.emplace_back([ioc = ioc.get()] { ioc->run(); });
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

std::uint16_t HttpServer::port() const { return impl_->port; }

ServerStats HttpServer::stats() const {
  const Shared& s = *impl_->shared;
  ServerStats out;
  out.accepted = s.accepted.load();
  out.refused = s.refused.load();
  out.tls_handshakes = s.handshakes.load();
  out.requests = s.requests.load();
  std::lock_guard lock(impl_->shared->mu);
  out.open = s.open.size();
  return out;
}

bool HttpServer::shutdown(std::chrono::milliseconds drain) {
  if (!impl_ || impl_->threads.empty()) return true;
  Shared& s = *impl_->shared;
  s.draining = true;
  asio::post(*impl_->iocs.front(), [impl = impl_.get()] {
    beast::error_code ec;
    impl->acceptor.close(ec);
  });
  std::unique_lock lock(s.mu);
  // Idle connections close now; busy ones see `draining` after their answer.
  for (auto& [id, conn] : s.open) {
    asio::post(conn->executor, [conn = conn] {
      if (conn->stream && conn->idle && conn->buffer->size() == 0) conn->stream->cancel();
    });
  }
  const bool drained = s.all_closed.wait_for(lock, drain, [&] { return s.open.empty(); });
  const std::size_t left = s.open.size();
  lock.unlock();
  if (!drained) log::warn("drain deadline passed with {} connection(s) still open; closing them", left);
  impl_->join();
  return drained;
}

void HttpServer::stop() {
  if (!impl_) return;
  impl_->join();
}

}  // namespace xacbe::net
