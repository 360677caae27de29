#include "xacbe/api/admin_api.hpp"

#include <openssl/crypto.h>

#include <algorithm>
#include <cctype>
#include <optional>

#include "xacbe/api/json.hpp"
#include "xacbe/crypto/encoding.hpp"
#include "xacbe/utf8.hpp"

namespace xacbe::api {
namespace {

// The '/'-separated segments of a path after its leading '/', as written.
std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> out;
  std::size_t start = 1;
  while (start <= path.size()) {
    const std::size_t end = std::min(path.find('/', start), path.size());
    out.emplace_back(path.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

// The segments of a request's path, each percent-decoded (RFC 3986 2.1); kInvalidArgument when a
// '%' is not followed by two hex digits.
Result<std::vector<std::string>> decoded_segments(std::string_view path) {
  std::vector<std::string> out = split_path(path);
  for (std::string& segment : out) {
    auto decoded = crypto::percent_decode(segment);
    if (!decoded) return invalid_argument("malformed percent-encoding in the path: " + decoded.status().message());
    if (!is_utf8(*decoded)) return invalid_argument("the path is not valid UTF-8");
    segment = std::move(decoded).value();
  }
  return out;
}

// Every name and value of a query string decodes (RFC 3986 3.4, '&'-separated name=value pairs)
// to UTF-8.
Status check_query(std::string_view query) {
  std::size_t start = 0;
  while (start < query.size()) {
    const std::size_t end = std::min(query.find('&', start), query.size());
    auto decoded = crypto::percent_decode(query.substr(start, end - start));
    if (!decoded) return invalid_argument("malformed percent-encoding in the query");
    if (!is_utf8(*decoded)) return invalid_argument("the query is not valid UTF-8");
    start = end + 1;
  }
  return Status::ok();
}

// Matches `segments` against a route template; fills the {parameters} in order.
bool match(const std::string& path_template, const std::vector<std::string>& segments,
           std::vector<std::string>& params) {
  const auto parts = split_path(path_template);
  if (parts.size() != segments.size()) return false;
  params.clear();
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (!parts[i].empty() && parts[i].front() == '{') {
      if (segments[i].empty()) return false;
      params.push_back(segments[i]);
    } else if (parts[i] != segments[i]) {
      return false;
    }
  }
  return true;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// RFC 9110 11.1 and 11.6.2: credentials = auth-scheme 1*SP token68; the scheme is
// case-insensitive.
std::optional<std::string_view> bearer_token(std::string_view authorization) {
  constexpr std::string_view kScheme = "Bearer";
  if (authorization.size() <= kScheme.size() || !iequals(authorization.substr(0, kScheme.size()), kScheme) ||
      authorization[kScheme.size()] != ' ') {
    return std::nullopt;
  }
  const std::string_view token = trim(authorization.substr(kScheme.size() + 1));
  if (token.empty()) return std::nullopt;
  return token;
}

// RFC 9110 8.3.1: the media type before any parameter (e.g. "; charset=utf-8"); type and subtype
// are case-insensitive.
bool is_json(std::string_view content_type) {
  return iequals(trim(content_type.substr(0, content_type.find(';'))), "application/json");
}

net::HttpResponse method_not_allowed(const std::string& method, const std::string& path,
                                     const std::vector<std::string>& allowed) {
  std::string allow;
  for (const auto& m : allowed) allow += (allow.empty() ? "" : ", ") + m;
  auto r = error_response(405, "METHOD_NOT_ALLOWED", excerpt(method, 16) + " is not allowed on " + excerpt(path, 128));
  r.headers.emplace_back("Allow", allow);
  return r;
}

}  // namespace

std::string ApiCall::query_param(const std::string& name) const {
  std::size_t start = 0;
  while (start < query.size()) {
    const std::size_t end = std::min(query.find('&', start), query.size());
    const std::string pair = query.substr(start, end - start);
    const std::size_t eq = pair.find('=');
    if (pair.substr(0, eq) == name) {
      if (eq == std::string::npos) return "";
      // handle() refuses a query that does not decode before any handler runs.
      auto value = crypto::percent_decode(pair.substr(eq + 1));
      return value ? std::move(value).value() : std::string();
    }
    start = end + 1;
  }
  return {};
}

AdminApi::AdminApi(std::vector<ApiUser> users, std::unique_ptr<RequestAudit> audit)
    : users_(std::move(users)), audit_(std::move(audit)) {}

void AdminApi::add(Route route) { routes_.push_back(std::move(route)); }

Status AdminApi::run_locked(const std::function<Status()>& duty) {
  std::lock_guard lock(mu_);
  return duty();
}

// A bearer token whose SHA-256 matches a user's, compared in constant time.
const ApiUser* AdminApi::authenticate(const std::string& authorization) const {
  const auto token = bearer_token(authorization);
  if (!token) return nullptr;
  const std::string presented = crypto::to_hex(crypto::sha256(*token));
  const ApiUser* user = nullptr;
  for (const auto& u : users_) {
    if (u.token_sha256.size() == presented.size() &&
        CRYPTO_memcmp(u.token_sha256.data(), presented.data(), presented.size()) == 0) {
      user = &u;
    }
  }
  return user;
}

net::HttpResponse AdminApi::handle(const net::HttpRequest& request) {
  try {
    return route(request);
  } catch (const std::exception& e) {
    return internal_error_response(internal_error(std::string("unexpected exception: ") + e.what()));
  }
}

net::HttpResponse AdminApi::route(const net::HttpRequest& request) {
  const std::size_t q = request.target.find('?');
  const std::string path = request.target.substr(0, q);
  if (path == "/health") {
    if (request.method == "GET") return net::HttpResponse::make(200, "text/plain", "ok\n");
    return method_not_allowed(request.method, path, {"GET"});
  }
  const auto decoded = decoded_segments(path);
  const Status query_ok = check_query(q == std::string::npos ? "" : request.target.substr(q + 1));
  if (!decoded || !query_ok.is_ok()) return error_response(decoded ? query_ok : decoded.status());
  const std::vector<std::string>& segments = *decoded;
  const Route* route = nullptr;
  std::vector<std::string> allowed;
  ApiCall call;
  for (const auto& r : routes_) {
    if (!match(r.path, segments, call.params)) continue;
    if (std::find(allowed.begin(), allowed.end(), r.method) == allowed.end()) allowed.push_back(r.method);
    if (!route && r.method == request.method) route = &r;
  }
  if (allowed.empty()) return error_response(404, "NOT_FOUND", "no such resource: " + excerpt(path, 128));
  if (!route) {
    std::sort(allowed.begin(), allowed.end());
    return method_not_allowed(request.method, path, allowed);
  }
  match(route->path, segments, call.params);

  const std::string action = "api " + route->method + " " + route->path;
  if (route->bearer) {
    call.user = authenticate(request.header("Authorization"));
    if (!call.user) {
      const std::string refusal = "a valid bearer token is required";
      if (audit_) {
        std::lock_guard lock(mu_);
        audit_->refused(nullptr, action, path, permission_denied(refusal), request.peer_address);
      }
      auto r = error_response(401, "UNAUTHENTICATED", refusal);
      r.headers.emplace_back("WWW-Authenticate", "Bearer");
      return r;
    }
    if (route->write && call.user->role != Role::kAdministrator) {
      const Status refusal = permission_denied("the auditor role may only read");
      if (audit_) {
        std::lock_guard lock(mu_);
        audit_->refused(call.user, action, path, refusal, request.peer_address);
      }
      return error_response(refusal);
    }
  }
  call.query = q == std::string::npos ? "" : request.target.substr(q + 1);
  call.body = request.body;
  call.peer = request.peer_address;
  std::lock_guard lock(mu_);
  return run(*route, call, request, path);
}

// Runs the handler (mu_ held), through the component's audit when there is one.
net::HttpResponse AdminApi::run(const Route& route, const ApiCall& call, const net::HttpRequest& request,
                                const std::string& path) {
  const bool wrong_media_type =
      route.method == "POST" && !request.body.empty() && !is_json(request.header("Content-Type"));
  auto answer = [&] {
    if (wrong_media_type) {
      return error_response(415, "UNSUPPORTED_MEDIA_TYPE", "Content-Type must be application/json");
    }
    // JSON is UTF-8 (RFC 8259 8.1); a signed management request is JSON too.
    if (!is_utf8(call.body)) return error_response(invalid_argument("the body is not valid UTF-8"));
    return route.handler(call);
  };
  return audit_ ? audit_->answer(route, call, path, answer) : answer();
}

const char* role_name(Role role) { return role == Role::kAdministrator ? "administrator" : "auditor"; }

Result<std::vector<ApiUser>> read_users(const config::Node& users, const std::string& where) {
  std::vector<ApiUser> out;
  for (const auto& name : users.keys()) {
    // Names the audit records use for callers that are not users.
    if (name.empty() || name == "system" || name == "anonymous" || name == "unauthenticated" ||
        name == "scheduler" || name.rfind("server:", 0) == 0 || name.rfind("policy:", 0) == 0) {
      return invalid_argument(where + "." + excerpt(name) +
                              "' is a reserved name (empty, system, anonymous, unauthenticated, scheduler,"
                              " server:... or policy:...); choose another user name");
    }
    if (name.size() > 64 || !is_utf8(name) || name.find_first_of(std::string_view("\0\t\n\r", 4)) != std::string::npos) {
      return invalid_argument(where + "." + excerpt(name) + "' must be 1..64 bytes of UTF-8 without control characters");
    }
    XACBE_ASSIGN_OR_RETURN(config::Node user, users.object(name));
    XACBE_ASSIGN_OR_RETURN(std::string role, user.string("role"));
    XACBE_ASSIGN_OR_RETURN(std::string token_hash, user.string("token_sha256"));
    if (role != "administrator" && role != "auditor") {
      return invalid_argument(where + "." + name + ".role' must be administrator or auditor");
    }
    if (token_hash.size() != 64 || token_hash.find_first_not_of("0123456789abcdef") != std::string::npos) {
      return invalid_argument(where + "." + name + ".token_sha256' must be 64 lower-case hex digits (xacbe token generate)");
    }
    for (const ApiUser& other : out) {
      // A shared token would act as whichever user came last: an auditor's as an administrator.
      if (other.token_sha256 == token_hash) {
        return invalid_argument(where + "." + name + ".token_sha256' is also the token of user '" + other.name +
                                "'; every user needs a token of its own (xacbe token generate)");
      }
    }
    out.push_back({name, role == "administrator" ? Role::kAdministrator : Role::kAuditor, token_hash});
  }
  return out;
}

}  // namespace xacbe::api
