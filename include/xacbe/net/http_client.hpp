#pragma once
// HTTP/1.1 clients with one deadline per call that covers resolving, connecting, the TLS handshake,
// writing and reading, and a limit on the response body. An https:// URL needs a client TlsContext;
// the server is checked by host name (subjectAltName) unless `peer.pinned` names the fingerprints
// it must present (between security servers), see tls_context.hpp.
//
// HttpClient keeps a pool of kept-alive connections per destination (scheme, host, port, TLS
// context and peer expectation): at most `max_per_destination` at once (further calls wait for one,
// within their deadline), idle ones closed after `idle_expiry` (swept in the background), and one
// the server closed meanwhile is never handed out. An idempotent call (GET, HEAD, PUT, DELETE,
// OPTIONS) that fails on a reused connection before any answer arrived is sent once more; any
// other is not (the server may have acted on it). After a TLS context reload, calls use new
// connections.
// It runs on threads of its own; request() may be awaited from any executor.
//
// http_request() is the simple synchronous form for command-line tools: one connection per call.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "xacbe/net/async.hpp"
#include "xacbe/net/http.hpp"
#include "xacbe/net/tls_context.hpp"
#include "xacbe/result.hpp"

namespace xacbe::net {

struct ClientOptions {
  std::chrono::milliseconds timeout = std::chrono::seconds(10);
  std::size_t body_limit = 8 * 1024 * 1024;
  std::size_t header_limit = 8 * 1024;  // the response's status line and header fields together
  std::shared_ptr<TlsContext> tls;
  PeerExpectation peer;  // empty: check the URL's host name
};

struct PoolOptions {
  std::size_t max_per_destination = 8;
  std::chrono::milliseconds idle_expiry = std::chrono::seconds(20);
  unsigned threads = 1;
};

struct ClientStats {
  std::uint64_t connections_opened = 0;
  std::uint64_t tls_handshakes = 0;
  std::uint64_t reused = 0;   // calls served on a kept-alive connection
  std::uint64_t retried = 0;  // calls retried after a reused connection turned out closed
};

// Errors: kInvalidArgument (bad URL, malformed or oversize response), kUnavailable (cannot resolve
// or connect, TLS failed), kPermissionDenied (the server is not who the call expects: host name or
// pinned fingerprint), kDeadlineExceeded (the deadline passed, waiting for a pooled connection too).
class HttpClient {
 public:
  static std::shared_ptr<HttpClient> create(PoolOptions options = {});
  ~HttpClient();  // closes every connection, joins its threads

  Task<Result<HttpResponse>> request(std::string url, HttpRequest request, ClientOptions options);
  // For a thread that is not one of the client's own (it would wait on itself).
  Result<HttpResponse> request_blocking(std::string url, HttpRequest request, ClientOptions options);

  ClientStats stats() const;
  std::size_t idle_connections() const;

 private:
  struct Impl;
  explicit HttpClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

Result<HttpResponse> http_request(const std::string& url, HttpRequest request, const ClientOptions& options = {});

}  // namespace xacbe::net
