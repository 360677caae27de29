#include "admin_api.hpp"

#include <openssl/crypto.h>

#include <nlohmann/json.hpp>

#include "xacbe/crypto/encoding.hpp"

namespace xacbe::registry {
namespace {

using Json = nlohmann::json;

enum RouteId {
  kListMembers,
  kGetMember,
  kSuspend,
  kReactivate,
  kTerminate,
  kListApplications,
  kApply,
  kGetApplication,
  kAdmit,
  kReject,
  kCompleteTerminations,
  kAudit,
};

int http_status(Code code) {
  switch (code) {
    case Code::kOk: return 200;
    case Code::kInvalidArgument: return 400;
    case Code::kPermissionDenied: return 403;
    case Code::kNotFound: return 404;
    case Code::kAlreadyExists:
    case Code::kFailedPrecondition: return 409;
    case Code::kUnavailable: return 503;
    case Code::kDeadlineExceeded: return 504;
    default: return 500;
  }
}

net::HttpResponse json_response(int status, const Json& body) {
  return net::HttpResponse::make(status, "application/json", body.dump(2) + "\n");
}

net::HttpResponse error_response(int status, const std::string& code, const std::string& message) {
  return json_response(status, {{"error", {{"code", code}, {"message", message}}}});
}

net::HttpResponse error_response(const Status& st) {
  return error_response(http_status(st.code()), code_name(st.code()), st.message());
}


Json person_json(const Person& p) { return {{"name", p.name}, {"email", p.email}, {"phone", p.phone}}; }

Json member_json(const Member& m) {
  Json j = {{"id", m.id.to_string()},
            {"name", m.name},
            {"state", state_name(m.state)},
            {"state_since", to_iso8601_utc(m.state_since)},
            {"liaison", {{"name", m.liaison.name}, {"email", m.liaison.email}}}};
  if (m.termination_effective) j["termination_effective"] = calendar::format_date(*m.termination_effective);
  return j;
}

Json application_json(const ApplicationRecord& r) {
  const Application& a = r.application;
  Json j = {{"id", r.id},
            {"member", a.member.to_string()},
            {"member_name", a.member_name},
            {"agreement_reference", a.agreement_reference},
            {"responsible", person_json(a.responsible)},
            {"administrator", person_json(a.administrator)},
            {"liaison", person_json(a.liaison)},
            {"security",
             {{"integrity", a.security.integrity},
              {"traceability", a.security.traceability},
              {"confidentiality", a.security.confidentiality},
              {"availability", a.security.availability}}},
            {"submitted_at", to_iso8601_utc(r.submitted_at)},
            {"submitted_by", r.submitted_by}};
  j["decision"] = r.decision ? Json(*r.decision) : Json(nullptr);
  if (r.rejection_reason) j["rejection_reason"] = rejection_reason_name(*r.rejection_reason);
  if (!r.comment.empty()) j["comment"] = r.comment;
  return j;
}

// A strict JSON object body: only `allowed` keys, each a string.
Result<std::map<std::string, std::string>> string_fields(const std::string& body,
                                                         std::initializer_list<const char*> allowed) {
  Json j = Json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return invalid_argument("the body must be a JSON object");
  std::map<std::string, std::string> out;
  for (auto& [key, value] : j.items()) {
    if (std::find_if(allowed.begin(), allowed.end(), [&](const char* a) { return key == a; }) == allowed.end()) {
      return invalid_argument("unknown field '" + key + "'");
    }
    if (!value.is_string()) return invalid_argument("field '" + key + "' must be a string");
    out[key] = value.get<std::string>();
  }
  return out;
}

Result<Person> person_from(const Json& j, const std::string& field) {
  if (!j.contains(field) || !j[field].is_object()) return invalid_argument("'" + field + "' must be an object");
  Person p;
  for (auto& [key, value] : j[field].items()) {
    if (!value.is_string()) return invalid_argument("'" + field + "." + key + "' must be a string");
    if (key == "name") p.name = value;
    else if (key == "email") p.email = value;
    else if (key == "phone") p.phone = value;
    else return invalid_argument("unknown field '" + field + "." + key + "'");
  }
  return p;
}

Result<Application> application_from(const std::string& body) {
  Json j = Json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return invalid_argument("the body must be a JSON object");
  static const char* kKeys[] = {"member", "member_name", "agreement_reference", "responsible",
                                "administrator", "liaison", "security"};
  for (auto& [key, value] : j.items()) {
    if (std::find(std::begin(kKeys), std::end(kKeys), key) == std::end(kKeys)) {
      return invalid_argument("unknown field '" + key + "'");
    }
  }
  for (const char* key : {"member", "member_name", "agreement_reference"}) {
    if (!j.contains(key) || !j[key].is_string()) return invalid_argument(std::string("'") + key + "' must be a string");
  }
  XACBE_ASSIGN_OR_RETURN(id::MemberId member, id::MemberId::parse(j["member"].get<std::string>()));
  Application a{member, j["member_name"], j["agreement_reference"], {}, {}, {}, {}};
  XACBE_ASSIGN_OR_RETURN(a.responsible, person_from(j, "responsible"));
  XACBE_ASSIGN_OR_RETURN(a.administrator, person_from(j, "administrator"));
  XACBE_ASSIGN_OR_RETURN(a.liaison, person_from(j, "liaison"));
  if (!j.contains("security") || !j["security"].is_object()) return invalid_argument("'security' must be an object");
  for (auto& [key, value] : j["security"].items()) {
    if (!value.is_string()) return invalid_argument("'security." + key + "' must be a string");
    if (key == "integrity") a.security.integrity = value;
    else if (key == "traceability") a.security.traceability = value;
    else if (key == "confidentiality") a.security.confidentiality = value;
    else if (key == "availability") a.security.availability = value;
    else return invalid_argument("unknown field 'security." + key + "'");
  }
  return a;
}

std::string percent_decode(std::string_view in) {
  std::string out;
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%' && i + 2 < in.size() + 0 && i + 2 <= in.size() - 1) {
      auto byte = crypto::from_hex(in.substr(i + 1, 2));
      if (byte) {
        out += *byte;
        i += 2;
        continue;
      }
    }
    out += in[i];
  }
  return out;
}

std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> out;
  std::size_t start = 1;
  while (start <= path.size()) {
    const std::size_t end = std::min(path.find('/', start), path.size());
    out.push_back(percent_decode(path.substr(start, end - start)));
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

std::string query_param(const std::string& query, const std::string& name) {
  std::size_t start = 0;
  while (start < query.size()) {
    const std::size_t end = std::min(query.find('&', start), query.size());
    const std::string pair = query.substr(start, end - start);
    const std::size_t eq = pair.find('=');
    if (pair.substr(0, eq) == name) return eq == std::string::npos ? "" : percent_decode(pair.substr(eq + 1));
    start = end + 1;
  }
  return {};
}

Result<std::int64_t> parse_id(const std::string& text, const std::string& what, std::int64_t max) {
  if (text.empty() || text.size() > 18 || text.find_first_not_of("0123456789") != std::string::npos) {
    return invalid_argument(what + " must be a decimal number, not '" + text + "'");
  }
  const std::int64_t v = std::stoll(text);
  if (v > max) return invalid_argument(what + " must be at most " + std::to_string(max));
  return v;
}

}  // namespace

const std::vector<Route>& AdminApi::routes() {
  // Indexed by RouteId.
  static const std::vector<Route> kRoutes = {
      {"GET", "/api/v1/members", false},
      {"GET", "/api/v1/members/{instance}/{memberClass}/{memberCode}", false},
      {"POST", "/api/v1/members/{instance}/{memberClass}/{memberCode}/suspend", true},
      {"POST", "/api/v1/members/{instance}/{memberClass}/{memberCode}/reactivate", true},
      {"POST", "/api/v1/members/{instance}/{memberClass}/{memberCode}/termination", true},
      {"GET", "/api/v1/applications", false},
      {"POST", "/api/v1/applications", true},
      {"GET", "/api/v1/applications/{applicationId}", false},
      {"POST", "/api/v1/applications/{applicationId}/admit", true},
      {"POST", "/api/v1/applications/{applicationId}/reject", true},
      {"POST", "/api/v1/terminations/complete", true},
      {"GET", "/api/v1/audit", false},
  };
  return kRoutes;
}

AdminApi::AdminApi(Membership& membership, std::vector<ApiUser> users)
    : membership_(membership), users_(std::move(users)) {}

net::HttpResponse AdminApi::handle(const net::HttpRequest& request) {
  const std::size_t q = request.target.find('?');
  const std::string path = request.target.substr(0, q);
  const std::string query = q == std::string::npos ? "" : request.target.substr(q + 1);
  if (path == "/health" && request.method == "GET") return net::HttpResponse::make(200, "text/plain", "ok\n");
  const auto segments = split_path(path);
  const Route* route = nullptr;
  std::vector<std::string> params;
  bool path_known = false;
  for (const auto& r : routes()) {
    if (!match(r.path, segments, params)) continue;
    path_known = true;
    if (r.method == request.method) {
      route = &r;
      break;
    }
  }
  if (!path_known) return error_response(404, "NOT_FOUND", "no such resource: " + path);
  if (!route) return error_response(405, "METHOD_NOT_ALLOWED", request.method + " is not allowed on " + path);
  match(route->path, segments, params);

  // Authentication: a bearer token whose SHA-256 matches a user's, compared in constant time.
  const std::string authorization = request.header("Authorization");
  const ApiUser* user = nullptr;
  if (authorization.rfind("Bearer ", 0) == 0) {
    const std::string presented = crypto::to_hex(crypto::sha256(authorization.substr(7)));
    for (const auto& u : users_) {
      if (u.token_sha256.size() == presented.size() &&
          CRYPTO_memcmp(u.token_sha256.data(), presented.data(), presented.size()) == 0) {
        user = &u;
      }
    }
  }
  const std::string action = "api " + route->method + " " + route->path;
  if (!user) {
    std::lock_guard lock(mu_);
    (void)membership_.audit().record("anonymous", action, path, permission_denied("missing or unknown bearer token"));
    auto r = error_response(401, "UNAUTHENTICATED", "a valid bearer token is required");
    r.headers.emplace_back("WWW-Authenticate", "Bearer");
    return r;
  }
  if (route->write && user->role != Role::kAdministrator) {
    std::lock_guard lock(mu_);
    (void)membership_.audit().record(user->name, action, path, permission_denied("role auditor may only read"));
    return error_response(403, "PERMISSION_DENIED", "the auditor role may only read");
  }
  if (route->method == "POST" && !request.body.empty() && request.header("Content-Type").rfind("application/json", 0) != 0) {
    return error_response(415, "UNSUPPORTED_MEDIA_TYPE", "Content-Type must be application/json");
  }
  std::lock_guard lock(mu_);
  return dispatch(*route, params, query, request.body, *user);
}

Status AdminApi::run_scheduled() {
  std::lock_guard lock(mu_);
  return membership_.complete_due_terminations("scheduler").status();
}

net::HttpResponse AdminApi::dispatch(const Route& route, const std::vector<std::string>& params,
                                     const std::string& query, const std::string& body, const ApiUser& user) {
  const auto id = static_cast<RouteId>(&route - routes().data());
  const std::string& actor = user.name;
  auto member_param = [&]() { return id::MemberId::create(params[0], params[1], params[2]); };
  auto done = [](const Status& st, const Json& ok_body) {
    return st.is_ok() ? json_response(200, ok_body) : error_response(st);
  };
  switch (id) {
    case kListMembers: {
      std::optional<MemberState> state;
      if (const auto s = query_param(query, "state"); !s.empty()) {
        auto parsed = parse_state(s);
        if (!parsed) return error_response(parsed.status());
        state = *parsed;
      }
      auto members = membership_.members(state);
      if (!members) return error_response(members.status());
      Json out = Json::array();
      for (const auto& m : *members) out.push_back(member_json(m));
      return json_response(200, {{"members", out}});
    }
    case kGetMember: {
      auto member = member_param();
      if (!member) return error_response(member.status());
      auto m = membership_.member(*member);
      if (!m) return error_response(m.status());
      auto certs = membership_.certificates(*member);
      if (!certs) return error_response(certs.status());
      Json j = member_json(*m);
      j["certificates"] = Json::array();
      for (const auto& c : *certs) {
        j["certificates"].push_back({{"serial", c.serial_hex}, {"profile", c.profile}, {"server_code", c.server_code}});
      }
      return json_response(200, j);
    }
    case kSuspend:
    case kReactivate: {
      auto member = member_param();
      if (!member) return error_response(member.status());
      auto fields = string_fields(body, {"reason"});
      if (!fields) return error_response(fields.status());
      const std::string reason = (*fields)["reason"];
      Status st = id == kSuspend ? membership_.suspend(actor, *member, reason)
                                 : membership_.reactivate(actor, *member, reason);
      return st.is_ok() ? json_response(200, member_json(membership_.member(*member).value())) : error_response(st);
    }
    case kTerminate: {
      auto member = member_param();
      if (!member) return error_response(member.status());
      auto fields = string_fields(body, {"basis", "effective", "reason"});
      if (!fields) return error_response(fields.status());
      std::optional<calendar::Date> effective;
      if (fields->count("effective")) {
        auto d = calendar::parse_date((*fields)["effective"]);
        if (!d) return error_response(d.status());
        effective = *d;
      }
      const std::string basis = (*fields)["basis"];
      Status st;
      if (basis == "member-request") {
        st = membership_.request_termination(actor, *member, effective);
      } else if (basis == "ceiqroo-notice") {
        if (!effective) return error_response(invalid_argument("a termination with notice needs 'effective'"));
        st = membership_.terminate_with_notice(actor, *member, *effective, (*fields)["reason"]);
      } else {
        st = invalid_argument("'basis' must be \"member-request\" or \"ceiqroo-notice\"");
      }
      return st.is_ok() ? json_response(200, member_json(membership_.member(*member).value())) : error_response(st);
    }
    case kListApplications: {
      auto apps = membership_.applications(query_param(query, "undecided") == "true");
      if (!apps) return error_response(apps.status());
      Json out = Json::array();
      for (const auto& a : *apps) out.push_back(application_json(a));
      return json_response(200, {{"applications", out}});
    }
    case kApply: {
      auto application = application_from(body);
      if (!application) {
        (void)membership_.audit().record(actor, "member.apply", "", application.status());
        return error_response(application.status());
      }
      auto created = membership_.apply(actor, *application);
      if (!created) return error_response(created.status());
      return json_response(201, application_json(membership_.application(*created).value()));
    }
    case kGetApplication:
    case kAdmit:
    case kReject: {
      auto app_id = parse_id(params[0], "applicationId", INT64_MAX / 2);
      if (!app_id) return error_response(app_id.status());
      Status st;
      if (id == kAdmit) {
        st = membership_.admit(actor, *app_id);
      } else if (id == kReject) {
        auto fields = string_fields(body, {"reason", "comment"});
        if (!fields) return error_response(fields.status());
        auto reason = parse_rejection_reason((*fields)["reason"]);
        st = reason ? membership_.reject(actor, *app_id, *reason, (*fields)["comment"]) : reason.status();
      }
      if (!st.is_ok()) return error_response(st);
      auto record = membership_.application(*app_id);
      return record ? json_response(200, application_json(*record)) : error_response(record.status());
    }
    case kCompleteTerminations: {
      auto done_ids = membership_.complete_due_terminations(actor);
      if (!done_ids) return error_response(done_ids.status());
      Json out = Json::array();
      for (const auto& m : *done_ids) out.push_back(m.to_string());
      return json_response(200, {{"terminated", out}});
    }
    case kAudit: {
      std::int64_t after = 0, limit = 1000;
      if (auto a = query_param(query, "after"); !a.empty()) {
        auto v = parse_id(a, "after", INT64_MAX / 2);
        if (!v) return error_response(v.status());
        after = *v;
      }
      if (auto l = query_param(query, "limit"); !l.empty()) {
        auto v = parse_id(l, "limit", 10000);
        if (!v) return error_response(v.status());
        limit = *v;
      }
      auto entries = membership_.audit().list(after, static_cast<int>(limit));
      if (!entries) return error_response(entries.status());
      Json out = Json::array();
      for (const auto& e : *entries) {
        out.push_back({{"id", e.id}, {"at", to_iso8601_utc(e.at)}, {"actor", e.actor}, {"action", e.action},
                       {"target", e.target}, {"success", e.success}, {"detail", e.detail}});
      }
      return json_response(200, {{"entries", out}});
    }
  }
  (void)done;
  return error_response(500, "INTERNAL", "unrouted");
}

}  // namespace xacbe::registry
