#include "client_connection.hpp"

#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <algorithm>
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
  if (ec.category() == http::make_error_code(http::error::bad_target).category()) {
    return invalid_argument(what + ": malformed HTTP response (" + ec.message() + ")");
  }
  return unavailable(what + ": " + ec.message());
}

bool is_ip_literal(const std::string& host) {
  beast::error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
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

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ", ") + i;
  return out;
}

}  // namespace

beast::tcp_stream& ClientConnection::tcp() { return tls_stream_ ? beast::get_lowest_layer(*tls_stream_) : *plain_; }

Task<Status> ClientConnection::open(const Url& url, const ClientOptions& options, Deadline deadline) {
  beast::error_code ec;
  // The resolver is not a stream: a timer on the same executor cancels it at the deadline.
  tcp::resolver resolver(executor_);
  asio::steady_timer timer(executor_, deadline);
  bool resolving = true;
  timer.async_wait([&resolver, &resolving](beast::error_code wait_ec) {
    if (!wait_ec && resolving) resolver.cancel();
  });
  auto endpoints = co_await resolver.async_resolve(url.host, std::to_string(url.port), redirect_error(use_awaitable, ec));
  resolving = false;
  timer.cancel();
  if (ec == asio::error::operation_aborted || std::chrono::steady_clock::now() >= deadline) {
    co_return Status(Code::kDeadlineExceeded, "resolve " + url.host + ": timed out");
  }
  if (ec) co_return unavailable("cannot resolve " + url.host + ": " + ec.message());

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
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    if (is_ip_literal(url.host)) {
      X509_VERIFY_PARAM_set1_ip_asc(param, url.host.c_str());
    } else {
      X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
      X509_VERIFY_PARAM_set1_host(param, url.host.c_str(), 0);
      SSL_set_tlsext_host_name(ssl, url.host.c_str());
    }
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
                                                               std::size_t body_limit, Deadline deadline,
                                                               bool keep_alive) {
  Outcome out;
  http::request<http::string_body> req;
  req.method_string(request.method);
  req.target(url.target);
  req.version(11);
  req.set(http::field::host, url.host);
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
  parser.body_limit(body_limit);
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

Task<ClientConnection::Outcome> ClientConnection::exchange(const Url& url, HttpRequest request, std::size_t body_limit,
                                                            Deadline deadline, bool keep_alive) {
  if (tls_stream_) co_return co_await exchange_on(*tls_stream_, url, std::move(request), body_limit, deadline, keep_alive);
  co_return co_await exchange_on(*plain_, url, std::move(request), body_limit, deadline, keep_alive);
}

}  // namespace xacbe::net::detail
