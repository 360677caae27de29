#include "xacbe/net/http_client.hpp"

#include <openssl/ssl.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

namespace xacbe::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

Status error_status(const std::string& what, const beast::error_code& ec) {
  if (ec == beast::error::timeout) return {Code::kDeadlineExceeded, what + ": timed out"};
  if (ec == http::error::body_limit) return invalid_argument(what + ": response body exceeds the limit");
  if (ec.category() == http::make_error_code(http::error::bad_target).category()) {
    return invalid_argument(what + ": malformed HTTP response (" + ec.message() + ")");
  }
  return unavailable(what + ": " + ec.message());
}

http::request<http::string_body> to_beast(HttpRequest&& in, const Url& url) {
  http::request<http::string_body> req;
  req.method_string(in.method);
  req.target(url.target);
  req.version(11);
  req.set(http::field::host, url.host);
  req.set(http::field::user_agent, "xacbe");
  for (auto& [k, v] : in.headers) req.set(k, v);
  req.body() = std::move(in.body);
  req.keep_alive(false);
  req.prepare_payload();
  return req;
}

// Runs the whole exchange on `stream` with async operations bounded by one deadline.
template <typename Stream>
Result<HttpResponse> exchange(asio::io_context& ioc, Stream& stream, tcp::resolver::results_type endpoints,
                              http::request<http::string_body>& req, const ClientOptions& options) {
  auto& tcp_stream = beast::get_lowest_layer(stream);
  tcp_stream.expires_after(options.timeout);
  beast::error_code result;
  std::string stage = "connect";
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(options.body_limit);

  auto on_read = [&](beast::error_code ec, std::size_t) { result = ec; };
  // The header is read on its own first: Beast 1.74's eager parse of a response whose first body
  // bytes arrive with the header drops the Content-Length body_limit error and reads on unbounded.
  auto on_header = [&](beast::error_code ec, std::size_t) {
    if ((result = ec)) return;
    http::async_read(stream, buffer, parser, on_read);
  };
  auto on_write = [&](beast::error_code ec, std::size_t) {
    if ((result = ec)) return;
    stage = "read response";
    http::async_read_header(stream, buffer, parser, on_header);
  };
  auto send = [&] {
    stage = "send request";
    http::async_write(stream, req, on_write);
  };
  tcp_stream.async_connect(endpoints, [&](beast::error_code ec, const tcp::endpoint&) {
    if ((result = ec)) return;
    if constexpr (!std::is_same_v<Stream, beast::tcp_stream>) {
      stage = "TLS handshake";
      stream.async_handshake(asio::ssl::stream_base::client, [&](beast::error_code hec) {
        if ((result = hec)) return;
        send();
      });
    } else {
      send();
    }
  });
  ioc.run();
  if (result) return error_status(stage, result);
  auto message = parser.release();
  HttpResponse out;
  out.status = static_cast<int>(message.result_int());
  for (const auto& field : message) out.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  out.body = std::move(message.body());
  return out;
}

}  // namespace

Result<HttpResponse> http_request(const std::string& url_text, HttpRequest request, const ClientOptions& options) {
  XACBE_ASSIGN_OR_RETURN(Url url, parse_url(url_text));
  asio::io_context ioc;
  tcp::resolver resolver(ioc);
  beast::error_code ec;
  // Numeric hosts resolve without DNS; names go through the system resolver.
  auto endpoints = resolver.resolve(url.host, std::to_string(url.port), ec);
  if (ec) return unavailable("cannot resolve " + url.host + ": " + ec.message());
  auto req = to_beast(std::move(request), url);
  if (!url.tls) {
    beast::tcp_stream stream(ioc);
    return exchange(ioc, stream, endpoints, req, options);
  }
  if (!options.tls) return invalid_argument("https URL without a TLS client context: " + url_text);
  auto* ctx = static_cast<asio::ssl::context*>(options.tls->native());
  beast::ssl_stream<beast::tcp_stream> stream(ioc, *ctx);
  // Server Name Indication for names (not IP literals).
  if (url.host.find_first_not_of("0123456789.:") != std::string::npos) {
    SSL_set_tlsext_host_name(stream.native_handle(), url.host.c_str());
  }
  return exchange(ioc, stream, endpoints, req, options);
}

}  // namespace xacbe::net
