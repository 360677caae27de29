#include "admin_api.hpp"

#include <openssl/crypto.h>

#include "api_json.hpp"
#include "xacbe/crypto/encoding.hpp"

namespace xacbe::registry {
namespace {

std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> out;
  std::size_t start = 1;
  while (start <= path.size()) {
    const std::size_t end = std::min(path.find('/', start), path.size());
    out.push_back(api::percent_decode(path.substr(start, end - start)));
    start = end + 1;
  }
  return out;
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

}  // namespace

std::string ApiCall::query_param(const std::string& name) const {
  std::size_t start = 0;
  while (start < query.size()) {
    const std::size_t end = std::min(query.find('&', start), query.size());
    const std::string pair = query.substr(start, end - start);
    const std::size_t eq = pair.find('=');
    if (pair.substr(0, eq) == name) return eq == std::string::npos ? "" : api::percent_decode(pair.substr(eq + 1));
    start = end + 1;
  }
  return {};
}

AdminApi::AdminApi(std::vector<ApiUser> users, AuditTrail& audit) : users_(std::move(users)), audit_(audit) {}

void AdminApi::add(Route route) { routes_.push_back(std::move(route)); }

Status AdminApi::run_locked(const std::function<Status()>& duty) {
  std::lock_guard lock(mu_);
  return duty();
}

net::HttpResponse AdminApi::handle(const net::HttpRequest& request) {
  const std::size_t q = request.target.find('?');
  const std::string path = request.target.substr(0, q);
  if (path == "/health" && request.method == "GET") return net::HttpResponse::make(200, "text/plain", "ok\n");
  const auto segments = split_path(path);
  const Route* route = nullptr;
  ApiCall call;
  bool path_known = false;
  for (const auto& r : routes_) {
    if (!match(r.path, segments, call.params)) continue;
    path_known = true;
    if (r.method == request.method) {
      route = &r;
      break;
    }
  }
  if (!path_known) return api::error_response(404, "NOT_FOUND", "no such resource: " + path);
  if (!route) return api::error_response(405, "METHOD_NOT_ALLOWED", request.method + " is not allowed on " + path);
  match(route->path, segments, call.params);

  // Authentication: a bearer token whose SHA-256 matches a user's, compared in constant time.
  const std::string authorization = request.header("Authorization");
  if (authorization.rfind("Bearer ", 0) == 0) {
    const std::string presented = crypto::to_hex(crypto::sha256(authorization.substr(7)));
    for (const auto& u : users_) {
      if (u.token_sha256.size() == presented.size() &&
          CRYPTO_memcmp(u.token_sha256.data(), presented.data(), presented.size()) == 0) {
        call.user = &u;
      }
    }
  }
  const std::string action = "api " + route->method + " " + route->path;
  if (!call.user) {
    std::lock_guard lock(mu_);
    (void)audit_.record("anonymous", action, path, permission_denied("missing or unknown bearer token"));
    auto r = api::error_response(401, "UNAUTHENTICATED", "a valid bearer token is required");
    r.headers.emplace_back("WWW-Authenticate", "Bearer");
    return r;
  }
  if (route->write && call.user->role != Role::kAdministrator) {
    std::lock_guard lock(mu_);
    (void)audit_.record(call.user->name, action, path, permission_denied("role auditor may only read"));
    return api::error_response(403, "PERMISSION_DENIED", "the auditor role may only read");
  }
  if (route->method == "POST" && !request.body.empty() &&
      request.header("Content-Type").rfind("application/json", 0) != 0) {
    return api::error_response(415, "UNSUPPORTED_MEDIA_TYPE", "Content-Type must be application/json");
  }
  call.query = q == std::string::npos ? "" : request.target.substr(q + 1);
  call.body = request.body;
  std::lock_guard lock(mu_);
  return route->handler(call);
}

}  // namespace xacbe::registry
