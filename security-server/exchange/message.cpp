#include "exchange/message.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <set>

#include "xacbe/config/strict_json.hpp"
#include "xacbe/crypto/encoding.hpp"
#include "xacbe/log/log.hpp"
#include "xacbe/utf8.hpp"

namespace xacbe::ss {
namespace {

bool is_unreserved(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_' || c == '~';
}
bool is_sub_delim(char c) { return std::string_view("!$&'()*+,;=").find(c) != std::string_view::npos; }
bool is_hex(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }

// RFC 3986 pchar / query characters, with every '%' followed by two hex digits.
Status check_characters(std::string_view text, std::string_view extra, const char* what) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%') {
      if (i + 2 >= text.size() || !is_hex(text[i + 1]) || !is_hex(text[i + 2])) {
        return invalid_argument(std::string("bad percent-encoding in the ") + what);
      }
      i += 2;
      continue;
    }
    if (!is_unreserved(c) && !is_sub_delim(c) && c != ':' && c != '@' && extra.find(c) == std::string_view::npos) {
      return invalid_argument(std::string("character not allowed in the ") + what + ": " + log::bounded(std::string(1, c)));
    }
  }
  return Status::ok();
}

// A path segment that a server or a library could take for "." or ".." once decoded: "." and
// "%2e" in any case, once or twice, and nothing else.
bool is_dot_segment(std::string_view segment) {
  std::size_t dots = 0;
  for (std::size_t i = 0; i < segment.size(); ++dots) {
    if (segment[i] == '.') {
      i += 1;
    } else if (segment.size() - i >= 3 && segment[i] == '%' && segment[i + 1] == '2' &&
               (segment[i + 2] == 'e' || segment[i + 2] == 'E')) {
      i += 3;
    } else {
      return false;
    }
  }
  return dots == 1 || dots == 2;
}

Status check_path(std::string_view path) {
  if (path.empty()) return Status::ok();
  if (path.front() != '/') return invalid_argument("the path after the service id must start with '/'");
  XACBE_RETURN_IF_ERROR(check_characters(path, "/", "path"));
  const std::string l = ascii_lower(path);
  if (l.find("%2f") != std::string::npos || l.find("%5c") != std::string::npos || l.find("%00") != std::string::npos) {
    return invalid_argument("encoded '/', '\\' or NUL in the path");
  }
  if (path.find("//") != std::string_view::npos) return invalid_argument("empty segment in the path");
  std::size_t start = 1;
  while (start <= path.size()) {
    const std::size_t end = std::min(path.find('/', start), path.size());
    if (is_dot_segment(path.substr(start, end - start))) return invalid_argument("dot segment in the path");
    start = end + 1;
  }
  return Status::ok();
}

bool is_token_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool has_control(std::string_view s, bool allow_tab) {
  return std::any_of(s.begin(), s.end(), [&](char ch) {
    const auto c = static_cast<unsigned char>(ch);
    return (c < 0x20 && !(allow_tab && c == '\t')) || c == 0x7F;
  });
}

const std::set<std::string, std::less<>>& dropped_headers() {
  static const std::set<std::string, std::less<>> names{
      "connection", "keep-alive", "proxy-connection", "proxy-authenticate", "proxy-authorization", "te", "trailer",
      "trailers", "transfer-encoding", "upgrade", "host", "content-length", "expect", "authorization", "cookie",
      "set-cookie", "forwarded", "x-real-ip", "via"};
  return names;
}

// ---- JSON reading, strict ----

Result<const nlohmann::json*> member(const nlohmann::json& object, const char* key, nlohmann::json::value_t type) {
  auto it = object.find(key);
  if (it == object.end()) return invalid_argument(std::string("head: missing '") + key + "'");
  if (it->type() != type) return invalid_argument(std::string("head: '") + key + "' has the wrong type");
  return &*it;
}

Result<std::string> text(const nlohmann::json& object, const char* key) {
  XACBE_ASSIGN_OR_RETURN(const nlohmann::json* v, member(object, key, nlohmann::json::value_t::string));
  return v->get<std::string>();
}

// Exactly `keys`, and of `optional` any subset.
Status exact_keys(const nlohmann::json& object, std::initializer_list<std::string_view> keys,
                  std::initializer_list<std::string_view> optional = {}) {
  if (!object.is_object()) return invalid_argument("head: not a JSON object");
  std::size_t optional_present = 0;
  for (const auto& [key, value] : object.items()) {
    if (std::find(optional.begin(), optional.end(), key) != optional.end()) {
      ++optional_present;
    } else if (std::find(keys.begin(), keys.end(), key) == keys.end()) {
      return invalid_argument("head: unknown key '" + log::bounded(key, 40) + "'");
    }
  }
  if (object.size() != keys.size() + optional_present) return invalid_argument("head: missing keys");
  return Status::ok();
}

nlohmann::json headers_json(const net::Headers& headers) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& [name, value] : headers) out.push_back({name, value});
  return out;
}

Result<net::Headers> parse_headers(const nlohmann::json& object) {
  XACBE_ASSIGN_OR_RETURN(const nlohmann::json* list, member(object, "headers", nlohmann::json::value_t::array));
  if (list->size() > kMaxForwardedHeaders) return invalid_argument("head: too many headers");
  net::Headers out;
  for (const auto& pair : *list) {
    if (!pair.is_array() || pair.size() != 2 || !pair[0].is_string() || !pair[1].is_string()) {
      return invalid_argument("head: a header is not a [name, value] pair of strings");
    }
    out.emplace_back(pair[0].get<std::string>(), pair[1].get<std::string>());
  }
  // The sender applied forwardable_headers; the receiver holds it to the same rule.
  XACBE_ASSIGN_OR_RETURN(net::Headers checked, forwardable_headers(out));
  if (checked != out) return invalid_argument("head: a header that may not cross between members");
  return out;
}

Result<nlohmann::json> parse_object(std::string_view json) {
  if (json.size() > 64 * 1024) return invalid_argument("head: larger than 64 KiB");
  auto parsed = config::parse_json_strict(json);
  if (!parsed.is_ok()) return invalid_argument("head: " + log::bounded(parsed.status().message(), 120));
  return std::move(parsed).value();
}

}  // namespace

bool is_rest_method(std::string_view method) {
  return method == "GET" || method == "POST" || method == "PUT" || method == "PATCH" || method == "DELETE";
}

bool is_message_id(std::string_view text) {
  return !text.empty() && text.size() <= kMaxTextBytes && std::all_of(text.begin(), text.end(), [](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) || std::string_view("._:@+=-").find(c) != std::string_view::npos;
         });
}

bool is_header_text(std::string_view text) {
  return text.size() <= kMaxTextBytes && is_utf8(text) && !has_control(text, false);
}

std::string new_message_id() {
  std::string b = crypto::random_bytes(16);
  b[6] = static_cast<char>((b[6] & 0x0F) | 0x40);
  b[8] = static_cast<char>((b[8] & 0x3F) | 0x80);
  const std::string h = crypto::to_hex(b);
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) + "-" + h.substr(20);
}

Result<RestTarget> parse_rest_target(std::string_view target) {
  if (target.size() > kMaxTargetBytes) return invalid_argument("request target longer than 4096 bytes");
  if (target.substr(0, kRestPrefix.size()) != kRestPrefix) {
    return invalid_argument("request target must start with /r1/ and the service id");
  }
  std::string_view rest = target.substr(kRestPrefix.size());
  std::string_view query;
  if (const auto q = rest.find('?'); q != std::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  if (rest.find('#') != std::string_view::npos) return invalid_argument("fragment in the request target");
  // The service id is the first five segments.
  std::size_t end = 0;
  for (int slashes = 0; end < rest.size(); ++end) {
    if (rest[end] == '/' && ++slashes == 5) break;
  }
  auto service = id::ServiceId::parse(rest.substr(0, end));
  if (!service.is_ok()) return invalid_argument("bad service id: " + log::bounded(service.status().message(), 200));
  RestTarget out{std::move(service).value(), std::string(rest.substr(end)), std::string(query)};
  XACBE_RETURN_IF_ERROR(check_path(out.path));
  XACBE_RETURN_IF_ERROR(check_characters(out.query, "/?", "query"));
  return out;
}

Result<net::Headers> forwardable_headers(const net::Headers& headers) {
  std::set<std::string, std::less<>> named_by_connection;
  for (const auto& [name, value] : headers) {
    if (ascii_lower(name) != "connection") continue;
    std::size_t start = 0;
    while (start <= value.size()) {
      std::size_t comma = std::min(value.find(',', start), value.size());
      std::string token = ascii_lower(value.substr(start, comma - start));
      token.erase(0, token.find_first_not_of(" \t"));
      token.erase(token.find_last_not_of(" \t") + 1);
      if (!token.empty()) named_by_connection.insert(token);
      start = comma + 1;
    }
  }
  net::Headers out;
  for (const auto& [name, value] : headers) {
    if (name.empty() || !std::all_of(name.begin(), name.end(), is_token_char)) {
      return invalid_argument("header name is not a token: " + log::bounded(name, 40));
    }
    std::string l = ascii_lower(name);
    if (dropped_headers().count(l) != 0 || named_by_connection.count(l) != 0 || l.rfind("x-xacbe-", 0) == 0 ||
        l.rfind("x-forwarded-", 0) == 0 || l.rfind("proxy-", 0) == 0) {
      continue;
    }
    if (!is_utf8(value) || has_control(value, true)) {
      return invalid_argument("header " + log::bounded(name, 40) + " is not valid UTF-8 text");
    }
    out.emplace_back(std::move(l), value);
  }
  if (out.size() > kMaxForwardedHeaders) return invalid_argument("more than 64 headers to forward");
  return out;
}

std::string ascii_lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

std::size_t count_headers(const net::Headers& headers, std::string_view name) {
  return static_cast<std::size_t>(std::count_if(headers.begin(), headers.end(), [&](const auto& h) {
    return h.first.size() == name.size() &&
           std::equal(h.first.begin(), h.first.end(), name.begin(), [](char a, char b) {
             return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
           });
  }));
}

Status check_represented_party(std::string_view text) {
  if (text.empty()) return invalid_argument("represented party: empty");
  auto party = id::MemberId::parse(text);
  if (!party.is_ok()) return invalid_argument("represented party: " + log::bounded(party.status().message(), 200));
  return Status::ok();
}

std::string to_json(const RequestHead& h) {
  nlohmann::json j = {{"client", h.client.to_string()}, {"service", h.service.to_string()},
                      {"message_id", h.message_id}, {"user_id", h.user_id},
                      {"issue", h.issue},           {"method", h.method},
                      {"path", h.path},             {"query", h.query},
                      {"headers", headers_json(h.headers)}, {"request_id", h.request_id}};
  if (!h.represented_party.empty()) j["represented_party"] = h.represented_party;
  // A REST head has no "protocol" key, so that its bytes are those of earlier releases.
  if (!h.protocol.empty()) j["protocol"] = h.protocol;
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string to_json(const ResponseHead& h) {
  nlohmann::json j = {{"status", h.status},         {"headers", headers_json(h.headers)},
                      {"message_id", h.message_id}, {"request_id", h.request_id},
                      {"request_hash", h.request_hash}};
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<RequestHead> parse_request_head(std::string_view json) {
  XACBE_ASSIGN_OR_RETURN(nlohmann::json j, parse_object(json));
  const bool soap = j.is_object() && j.contains("protocol");
  if (soap) {
    XACBE_RETURN_IF_ERROR(exact_keys(j, {"client", "service", "message_id", "user_id", "issue", "method", "path",
                                         "query", "headers", "request_id", "protocol"},
                                     {"represented_party"}));
  } else {
    XACBE_RETURN_IF_ERROR(exact_keys(j, {"client", "service", "message_id", "user_id", "issue", "method", "path",
                                         "query", "headers", "request_id"},
                                     {"represented_party"}));
  }
  XACBE_ASSIGN_OR_RETURN(std::string client_text, text(j, "client"));
  auto client = id::ClientId::parse(client_text);
  if (!client.is_ok()) return invalid_argument("head: bad client id");
  XACBE_ASSIGN_OR_RETURN(std::string service_text, text(j, "service"));
  auto service = id::ServiceId::parse(service_text);
  if (!service.is_ok() || (service->version() && !soap)) return invalid_argument("head: bad service id");
  RequestHead h{std::move(client).value(), std::move(service).value(), {}, {}, {}, {}, {}, {}, {}, {}, {}};
  XACBE_ASSIGN_OR_RETURN(h.message_id, text(j, "message_id"));
  XACBE_ASSIGN_OR_RETURN(h.user_id, text(j, "user_id"));
  XACBE_ASSIGN_OR_RETURN(h.issue, text(j, "issue"));
  XACBE_ASSIGN_OR_RETURN(h.method, text(j, "method"));
  XACBE_ASSIGN_OR_RETURN(h.path, text(j, "path"));
  XACBE_ASSIGN_OR_RETURN(h.query, text(j, "query"));
  XACBE_ASSIGN_OR_RETURN(h.request_id, text(j, "request_id"));
  XACBE_ASSIGN_OR_RETURN(h.headers, parse_headers(j));
  if (j.contains("represented_party")) {
    XACBE_ASSIGN_OR_RETURN(h.represented_party, text(j, "represented_party"));
    // Given, it names a party: an empty one would sign the same call two ways.
    if (!check_represented_party(h.represented_party).is_ok()) return invalid_argument("head: bad represented party");
  }
  if (!is_message_id(h.message_id)) return invalid_argument("head: bad message id");
  if (!is_message_id(h.request_id)) return invalid_argument("head: bad request id");
  if (!is_header_text(h.user_id) || !is_header_text(h.issue)) return invalid_argument("head: bad user id or issue");
  if (!is_rest_method(h.method)) return invalid_argument("head: method not allowed");
  XACBE_RETURN_IF_ERROR(check_path(h.path));
  XACBE_RETURN_IF_ERROR(check_characters(h.query, "/?", "query"));
  if (soap) {
    XACBE_ASSIGN_OR_RETURN(h.protocol, text(j, "protocol"));
    if (h.protocol != kSoapProtocol) return invalid_argument("head: protocol must be \"soap\" when present");
    if (h.method != "POST" || !h.path.empty() || !h.query.empty()) {
      return invalid_argument("head: a SOAP call is a POST without path or query");
    }
  }
  return h;
}

Result<ResponseHead> parse_response_head(std::string_view json) {
  XACBE_ASSIGN_OR_RETURN(nlohmann::json j, parse_object(json));
  XACBE_RETURN_IF_ERROR(exact_keys(j, {"status", "headers", "message_id", "request_id", "request_hash"}));
  ResponseHead h;
  XACBE_ASSIGN_OR_RETURN(const nlohmann::json* status, member(j, "status", nlohmann::json::value_t::number_unsigned));
  h.status = static_cast<int>(std::min<std::uint64_t>(status->get<std::uint64_t>(), 1000));
  if (h.status < 100 || h.status > 599) return invalid_argument("head: bad status");
  XACBE_ASSIGN_OR_RETURN(h.headers, parse_headers(j));
  XACBE_ASSIGN_OR_RETURN(h.message_id, text(j, "message_id"));
  XACBE_ASSIGN_OR_RETURN(h.request_id, text(j, "request_id"));
  XACBE_ASSIGN_OR_RETURN(h.request_hash, text(j, "request_hash"));
  if (!is_message_id(h.message_id) || !is_message_id(h.request_id)) return invalid_argument("head: bad id");
  if (h.request_hash.size() != 64 || h.request_hash.find_first_not_of("0123456789abcdef") != std::string::npos) {
    return invalid_argument("head: bad request hash");
  }
  return h;
}

}  // namespace xacbe::ss
