#pragma once
// HTTP messages as plain values, so that no Asio/Beast header leaks into the modules that use them.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "xacbe/crypto/certificate.hpp"
#include "xacbe/result.hpp"

namespace xacbe::net {

using Headers = std::vector<std::pair<std::string, std::string>>;

// Case-insensitive lookup; empty when absent.
std::string find_header(const Headers& headers, std::string_view name);

struct HttpRequest {
  std::string method = "GET";
  std::string target = "/";
  Headers headers;
  std::string body;
  // Filled in by the server: the peer's address and, on mutual TLS, its verified certificate.
  std::string peer_address;
  std::optional<crypto::Certificate> peer_certificate;

  std::string header(std::string_view name) const { return find_header(headers, name); }
};

struct HttpResponse {
  int status = 200;
  Headers headers;
  std::string body;
  // Filled in by the client on HTTPS: the server's certificate (verified, and pinned when asked).
  std::optional<crypto::Certificate> peer_certificate;

  std::string header(std::string_view name) const { return find_header(headers, name); }
  static HttpResponse make(int status, std::string content_type, std::string body);
};

struct Url {
  bool tls = false;
  std::string host;
  std::uint16_t port = 0;
  std::string target = "/";  // path and query
};

// Accepts http:// and https:// URLs with a host (name, IPv4 or [IPv6]) and optional port.
Result<Url> parse_url(std::string_view url);

}  // namespace xacbe::net
