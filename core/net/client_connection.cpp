#include "client_connection.hpp"

#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <sys/socket.h>

#include <algorithm>
#include <cstdint>
#include <cerrno>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http.hpp>

#include "xacbe/log/log.hpp"

namespace xacbe::net::detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using asio::redirect_error;
using asio::use_awaitable;

namespace {

Status error_status(const std::string& what, const beast::error_code& ec) {
  if (ec == beast::error::timeout || ec == asio::error::operation_aborted) {
    return {Code::kDeadlineExceeded, what + ": timed out"};
  }
  if (ec == http::error::body_limit) return invalid_argument(what + ": response body exceeds the limit");
  if (ec == http::error::header_limit) return invalid_argument(what + ": response header exceeds the limit");
  if (ec.category() == http::make_error_code(http::error::bad_target).category()) {
    return invalid_argument(what + ": malformed HTTP response (" + ec.message() + ")");
  }
  return unavailable(what + ": " + ec.message());
}

// The index of the SSL ex_data slot that points a handshake at its ClientConnection's pins.
struct PinSlot {
  std::vector<std::string>* pinned;
  std::string* seen;
};
int pin_slot_index() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

// After the chain verified, the leaf must be one of the pinned certificates.
int verify_pinned(int preverify_ok, X509_STORE_CTX* store_ctx) {
  if (!preverify_ok) return 0;
  if (X509_STORE_CTX_get_error_depth(store_ctx) != 0) return 1;
  auto* ssl = static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store_ctx, SSL_get_ex_data_X509_STORE_CTX_idx()));
  auto* slot = static_cast<PinSlot*>(SSL_get_ex_data(ssl, pin_slot_index()));
  if (!slot) return 0;
  const std::string seen = crypto::Certificate::share(X509_STORE_CTX_get_current_cert(store_ctx)).sha256_fingerprint();
  if (std::find(slot->pinned->begin(), slot->pinned->end(), seen) != slot->pinned->end()) return 1;
  *slot->seen = seen;
  X509_STORE_CTX_set_error(store_ctx, X509_V_ERR_APPLICATION_VERIFICATION);
  return 0;
}

// RFC 7230 section 5.4: the host, IPv6 in brackets, with the port unless it is the scheme's default.
std::string host_header(const Url& url) {
  std::string host = url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host;
  if (url.port != (url.tls ? 443 : 80)) host += ":" + std::to_string(url.port);
  return host;
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ", ") + i;
  return out;
}

}  // namespace

beast::tcp_stream& ClientConnection::tcp() { return tls_stream_ ? beast::get_lowest_layer(*tls_stream_) : *plain_; }

Task<Status> ClientConnection::open(const Url& url, const ClientOptions& options, Deadline deadline) {
  beast::error_code ec;
  std::vector<tcp::endpoint> endpoints;
  const asio::ip::address literal = asio::ip::make_address(url.host, ec);
  const bool ip_literal = !ec;
  if (ip_literal) {
    endpoints.emplace_back(literal, url.port);  // an IP literal needs no lookup
  } else {
    // The system resolver cannot be interrupted: the call waits for it only until the deadline,
    // and the lookup's handler keeps what it touches alive by itself.
    struct Lookup {
      Lookup(const asio::any_io_executor& ex, Deadline at) : resolver(ex), done(ex, at) {}
      tcp::resolver resolver;
      asio::steady_timer done;
      bool finished = false;
      beast::error_code ec;
      tcp::resolver::results_type results;
    };
    auto lookup = std::make_shared<Lookup>(executor_, deadline);
    lookup->resolver.async_resolve(url.host, std::to_string(url.port),
                                   [lookup](beast::error_code resolve_ec, tcp::resolver::results_type results) {
                                     lookup->finished = true;
                                     lookup->ec = resolve_ec;
                                     lookup->results = std::move(results);
                                     lookup->done.cancel();
                                   });
    co_await lookup->done.async_wait(redirect_error(use_awaitable, ec));
    if (!lookup->finished) co_return Status(Code::kDeadlineExceeded, "resolve " + url.host + ": timed out");
    if (lookup->ec) co_return unavailable("cannot resolve " + url.host + ": " + lookup->ec.message());
    const auto& results = lookup->results;
    for (const auto& r : results) endpoints.push_back(r.endpoint());
  }

  if (url.tls) {
    if (!options.tls) co_return invalid_argument("https URL without a TLS client context");
    if (options.tls->is_server()) co_return invalid_argument("a client needs a client TLS context");
    tls_generation_ = options.tls->current();
    tls_stream_.emplace(executor_, *static_cast<asio::ssl::context*>(tls_generation_.get()));
  } else {
    plain_.emplace(executor_);
  }
  tcp().expires_at(deadline);
  co_await tcp().async_connect(endpoints, redirect_error(use_awaitable, ec));
  if (ec) co_return error_status("connect to " + url.host + ":" + std::to_string(url.port), ec);
  beast::error_code ignored;
  tcp().socket().set_option(tcp::no_delay(true), ignored);
  if (!tls_stream_) co_return Status::ok();

  SSL* ssl = tls_stream_->native_handle();
  PinSlot slot{&pinned_, &seen_fingerprint_};
  if (!options.peer.pinned.empty()) {
    pinned_ = options.peer.pinned;
    SSL_set_ex_data(ssl, pin_slot_index(), &slot);
    SSL_set_verify(ssl, SSL_VERIFY_PEER, verify_pinned);
  } else {
    // subjectAltName only: never the subject's common name (RFC 6125 section 6.4.4).
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS | X509_CHECK_FLAG_NEVER_CHECK_SUBJECT);
    const bool set = ip_literal ? X509_VERIFY_PARAM_set1_ip_asc(param, url.host.c_str()) == 1
                                             : X509_VERIFY_PARAM_set1_host(param, url.host.c_str(), 0) == 1 &&
                                                   SSL_set_tlsext_host_name(ssl, url.host.c_str()) == 1;
    if (!set) co_return invalid_argument("cannot check the server's name against '" + url.host + "'");
  }
  co_await tls_stream_->async_handshake(asio::ssl::stream_base::client, redirect_error(use_awaitable, ec));
  SSL_set_ex_data(ssl, pin_slot_index(), nullptr);
  if (!ec) co_return Status::ok();
  const long verify = SSL_get_verify_result(ssl);
  if (!seen_fingerprint_.empty()) {
    log::warn("TLS peer at {}:{} presented certificate {} but the call expects one of [{}]", url.host, url.port,
              seen_fingerprint_, joined(pinned_));
    co_return permission_denied("peer certificate " + seen_fingerprint_ + " is not one of the expected [" +
                                joined(pinned_) + "]");
  }
  if (verify == X509_V_ERR_HOSTNAME_MISMATCH || verify == X509_V_ERR_IP_ADDRESS_MISMATCH) {
    co_return permission_denied("server certificate is not valid for " + url.host);
  }
  if (verify != X509_V_OK) {
    co_return unavailable(std::string("TLS handshake with ") + url.host + ": certificate refused (" +
                          X509_verify_cert_error_string(verify) + ")");
  }
  co_return error_status("TLS handshake with " + url.host, ec);
}

template <typename Stream>
Task<ClientConnection::Outcome> ClientConnection::exchange_on(Stream& stream, const Url& url, HttpRequest request,
                                                               Limits limits, Deadline deadline, bool keep_alive) {
  Outcome out;
  http::request<http::string_body> req;
  req.method_string(request.method);
  req.target(url.target);
  req.version(11);
  req.set(http::field::host, host_header(url));
  req.set(http::field::user_agent, "xacbe");
  for (auto& [k, v] : request.headers) req.set(k, v);
  req.body() = std::move(request.body);
  req.keep_alive(keep_alive);
  req.prepare_payload();

  beast::error_code ec;
  tcp().expires_at(deadline);
  co_await http::async_write(stream, req, redirect_error(use_awaitable, ec));
  if (ec) {
    out.response = error_status("send request", ec);
    co_return out;
  }
  http::response_parser<http::string_body> parser;
  parser.body_limit(limits.body);
  parser.header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(limits.header, UINT32_MAX)));
  parser.skip(request.method == "HEAD");
  // The header is read on its own first: Beast 1.74's eager parse of a response whose first body
  // bytes arrive with the header drops the Content-Length body_limit error and reads on unbounded.
  co_await http::async_read_header(stream, buffer_, parser, redirect_error(use_awaitable, ec));
  if (ec) {
    out.nothing_received = buffer_.size() == 0 && (ec == http::error::end_of_stream ||
                                                   ec == asio::error::connection_reset ||
                                                   ec == asio::error::eof || ec == asio::ssl::error::stream_truncated);
    out.response = error_status("read response", ec);
    co_return out;
  }
  out.nothing_received = false;
  co_await http::async_read(stream, buffer_, parser, redirect_error(use_awaitable, ec));
  if (ec) {
    out.response = error_status("read response", ec);
    co_return out;
  }
  auto message = parser.release();
  HttpResponse response;
  response.status = static_cast<int>(message.result_int());
  for (const auto& field : message) {
    response.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  response.body = std::move(message.body());
  out.reusable = keep_alive && message.keep_alive() && buffer_.size() == 0;
  out.response = std::move(response);
  tcp().expires_never();
  co_return out;
}

Task<ClientConnection::Outcome> ClientConnection::exchange(const Url& url, HttpRequest request, Limits limits,
                                                            Deadline deadline, bool keep_alive) {
  std::string failure;
  try {
    if (tls_stream_) {
      Outcome out = co_await exchange_on(*tls_stream_, url, std::move(request), limits, deadline, keep_alive);
      if (out.response.is_ok()) {
        if (X509* cert = SSL_get0_peer_certificate(tls_stream_->native_handle())) {
          out.response->peer_certificate = crypto::Certificate::share(cert);
        }
      }
      co_return out;
    }
    co_return co_await exchange_on(*plain_, url, std::move(request), limits, deadline, keep_alive);
  } catch (const std::exception& e) {  // Beast refuses e.g. a header value over 64 KiB
    failure = e.what();
  }
  Outcome out;
  out.nothing_received = false;  // not safe to send again
  out.response = invalid_argument("cannot send the request: " + failure);
  co_return out;
}

bool ClientConnection::looks_closed() {
  // An idle kept-alive connection has nothing to read: pending bytes (a TLS close_notify, an
  // unasked answer) or end-of-file mean the server is done with it.
  char byte;
  const ssize_t n = ::recv(tcp().socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return n >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK);
}

}  // namespace xacbe::net::detail
