#include "xacbe/net/http_server.hpp"

#include <openssl/ssl.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <thread>
#include <vector>

#include "xacbe/log/log.hpp"

namespace xacbe::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

struct Shared {
  ServerOptions options;
  HttpHandler handler;
};

HttpRequest to_request(http::request<http::string_body>&& in, const std::string& peer) {
  HttpRequest out;
  out.method = std::string(in.method_string());
  out.target = std::string(in.target());
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

// One connection; Stream is beast::tcp_stream or beast::ssl_stream<beast::tcp_stream>.
template <typename Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
 public:
  Session(Stream stream, std::shared_ptr<const Shared> shared, std::string peer)
      : stream_(std::move(stream)), shared_(std::move(shared)), peer_(std::move(peer)) {}

  void start() {
    if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
      read();
    } else {
      tcp_layer().expires_after(shared_->options.idle_timeout);
      stream_.async_handshake(asio::ssl::stream_base::server,
                              [self = this->shared_from_this()](beast::error_code ec) {
                                if (ec) return;  // refused or broken handshake: nothing to answer
                                self->capture_peer_certificate();
                                self->read();
                              });
    }
  }

 private:
  beast::tcp_stream& tcp_layer() { return beast::get_lowest_layer(stream_); }

  void capture_peer_certificate() {
    if constexpr (!std::is_same_v<Stream, beast::tcp_stream>) {
      if (X509* peer = SSL_get0_peer_certificate(stream_.native_handle())) {
        peer_certificate_ = crypto::Certificate::share(peer);
      }
    }
  }

  void read() {
    parser_.emplace();
    parser_->body_limit(shared_->options.body_limit);
    parser_->header_limit(16 * 1024);
    tcp_layer().expires_after(shared_->options.idle_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = this->shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
  }

  void on_read(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == beast::error::timeout || ec == asio::error::operation_aborted) {
      return close();
    }
    if (ec == http::error::body_limit) {
      return write(HttpResponse::make(413, "text/plain", "request body exceeds the limit\n"), 11, false);
    }
    if (ec) {
      if (ec.category() == http::make_error_code(http::error::bad_target).category()) {
        return write(HttpResponse::make(400, "text/plain", "malformed HTTP request\n"), 11, false);
      }
      return close();
    }
    auto message = parser_->release();
    const unsigned version = message.version();
    const bool keep_alive = message.keep_alive();
    HttpRequest request = to_request(std::move(message), peer_);
    request.peer_certificate = peer_certificate_;
    HttpResponse response;
    try {
      response = shared_->handler(request);
    } catch (const std::exception& e) {
      log::error("handler failed on {} {}: {}", request.method, request.target, e.what());
      response = HttpResponse::make(500, "text/plain", "internal error\n");
    }
    write(std::move(response), version, keep_alive);
  }

  void write(HttpResponse&& response, unsigned version, bool keep_alive) {
    auto msg = std::make_shared<http::response<http::string_body>>(to_beast(std::move(response), version, keep_alive));
    tcp_layer().expires_after(shared_->options.idle_timeout);
    http::async_write(stream_, *msg, [self = this->shared_from_this(), msg](beast::error_code ec, std::size_t) {
      if (ec || !msg->keep_alive()) return self->close();
      self->read();
    });
  }

  void close() {
    if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
      beast::error_code ec;
      stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    } else {
      tcp_layer().expires_after(std::chrono::seconds(2));
      stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) {});
    }
  }

  Stream stream_;
  std::shared_ptr<const Shared> shared_;
  std::string peer_;
  std::optional<crypto::Certificate> peer_certificate_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
};

}  // namespace

struct HttpServer::Impl {
  asio::io_context ioc;
  tcp::acceptor acceptor{ioc};
  std::shared_ptr<const Shared> shared;
  std::vector<std::thread> threads;
  std::uint16_t port = 0;

  void accept() {
    acceptor.async_accept(asio::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted) return;
      if (!ec) {
        beast::error_code peer_ec;
        const auto endpoint = socket.remote_endpoint(peer_ec);
        std::string peer = peer_ec ? std::string() : endpoint.address().to_string();
        if (shared->options.tls) {
          auto* ctx = static_cast<asio::ssl::context*>(shared->options.tls->native());
          using TlsStream = beast::ssl_stream<beast::tcp_stream>;
          std::make_shared<Session<TlsStream>>(TlsStream(beast::tcp_stream(std::move(socket)), *ctx), shared,
                                               std::move(peer))
              ->start();
        } else {
          std::make_shared<Session<beast::tcp_stream>>(beast::tcp_stream(std::move(socket)), shared, std::move(peer))
              ->start();
        }
      }
      accept();
    });
  }
};

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() { stop(); }

Result<std::unique_ptr<HttpServer>> HttpServer::start(ServerOptions options, HttpHandler handler) {
  auto impl = std::make_unique<Impl>();
  beast::error_code ec;
  const auto address = asio::ip::make_address(options.address, ec);
  if (ec) return invalid_argument("invalid listen address '" + options.address + "'");
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
  unsigned threads = options.threads ? options.threads : std::max(1u, std::thread::hardware_concurrency());
  impl->shared = std::make_shared<Shared>(Shared{std::move(options), std::move(handler)});
  impl->accept();
  for (unsigned i = 0; i < threads; ++i) impl->threads.emplace_back([ioc = &impl->ioc] { ioc->run(); });
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

std::uint16_t HttpServer::port() const { return impl_->port; }

void HttpServer::stop() {
  if (!impl_) return;
  impl_->ioc.stop();
  for (auto& t : impl_->threads) {
    if (t.joinable()) t.join();
  }
  impl_->threads.clear();
  // No thread runs the io_context any more, so the acceptor can be closed here; a close posted
  // to the io_context would race with stop() and usually never run, leaving the port bound.
  beast::error_code ec;
  impl_->acceptor.close(ec);
}

}  // namespace xacbe::net
