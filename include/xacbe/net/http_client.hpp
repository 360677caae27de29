#pragma once
// A small synchronous HTTP/1.1 client (one request per connection) with a deadline on the whole
// exchange and a limit on the response body. https:// URLs need a client TlsContext.

#include <chrono>
#include <memory>
#include <string>

#include "xacbe/net/http.hpp"
#include "xacbe/net/tls_context.hpp"
#include "xacbe/result.hpp"

namespace xacbe::net {

struct ClientOptions {
  std::chrono::milliseconds timeout = std::chrono::seconds(10);
  std::size_t body_limit = 8 * 1024 * 1024;
  std::shared_ptr<TlsContext> tls;
};

// Errors: kInvalidArgument (bad URL), kUnavailable (cannot connect, TLS refused),
// kDeadlineExceeded (timeout), kInvalidArgument (malformed or oversize response).
Result<HttpResponse> http_request(const std::string& url, HttpRequest request, const ClientOptions& options = {});

}  // namespace xacbe::net
