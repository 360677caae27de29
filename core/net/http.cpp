#include "xacbe/net/http.hpp"

#include <strings.h>

#include <charconv>

namespace xacbe::net {

std::string find_header(const Headers& headers, std::string_view name) {
  for (const auto& [k, v] : headers) {
    if (k.size() == name.size() && ::strncasecmp(k.data(), name.data(), k.size()) == 0) return v;
  }
  return {};
}

HttpResponse HttpResponse::make(int status, std::string content_type, std::string body) {
  HttpResponse r;
  r.status = status;
  r.headers.emplace_back("Content-Type", std::move(content_type));
  r.body = std::move(body);
  return r;
}

Result<Url> parse_url(std::string_view url) {
  Url out;
  const std::string original(url);
  if (url.substr(0, 7) == "http://") {
    url.remove_prefix(7);
  } else if (url.substr(0, 8) == "https://") {
    out.tls = true;
    url.remove_prefix(8);
  } else {
    return invalid_argument("URL must start with http:// or https://: " + original);
  }
  const std::size_t slash = url.find('/');
  std::string_view authority = url.substr(0, slash);
  out.target = slash == std::string_view::npos ? "/" : std::string(url.substr(slash));
  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return invalid_argument("unterminated IPv6 address in URL: " + original);
    out.host = std::string(authority.substr(1, close - 1));
    std::string_view rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return invalid_argument("bad authority in URL: " + original);
      port_text = rest.substr(1);
    }
  } else {
    const std::size_t colon = authority.rfind(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
  }
  if (out.host.empty() || out.host.find_first_of("@ \t") != std::string::npos) {
    return invalid_argument("URL has no valid host: " + original);
  }
  if (port_text.empty()) {
    out.port = out.tls ? 443 : 80;
  } else {
    unsigned port = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || port == 0 || port > 65535) {
      return invalid_argument("bad port in URL: " + original);
    }
    out.port = static_cast<std::uint16_t>(port);
  }
  return out;
}

}  // namespace xacbe::net
