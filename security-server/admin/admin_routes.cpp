#include "admin/admin_routes.hpp"

#include "admin/metrics_route.hpp"

#include <algorithm>

#include "xacbe/api/json.hpp"

namespace xacbe::ss {
namespace {

using api::Json;

constexpr int kMaxDecisions = 1000;

Json time_or_null(const std::optional<std::chrono::sys_seconds>& t) {
  return t ? Json(to_iso8601_utc(*t)) : Json(nullptr);
}
Json time_or_null(const std::optional<TimePoint>& t) { return t ? Json(to_iso8601_utc(*t)) : Json(nullptr); }
Json error_or_null(const Status& st) { return st.is_ok() ? Json(nullptr) : Json(st.to_string()); }
Json text_or_null(const std::string& s) { return s.empty() ? Json(nullptr) : Json(s); }

const char* status_name(crypto::CertStatus::Kind kind) {
  switch (kind) {
    case crypto::CertStatus::Kind::kGood: return "good";
    case crypto::CertStatus::Kind::kRevoked: return "revoked";
    case crypto::CertStatus::Kind::kUnknown: break;
  }
  return "unknown";
}

const char* connection_name(ConnectionMode mode) {
  switch (mode) {
    case ConnectionMode::kHttp: return "http";
    case ConnectionMode::kHttps: return "https";
    case ConnectionMode::kHttpsCertificate: break;
  }
  return "https-certificate";
}

Json global_configuration_json(const GlobalConfigurationStatus& g, std::chrono::sys_seconds now) {
  Json j = {{"in_use", g.version.has_value()},
            {"version", g.version ? Json(*g.version) : Json(nullptr)},
            {"created_at", nullptr},
            {"expires_at", nullptr},
            {"age_seconds", nullptr},
            {"unavailable", text_or_null(g.unavailable)},
            {"stored_copy_status", g.stored_copy.is_ok() ? "ok" : g.stored_copy.to_string()},
            {"last_refresh_at", time_or_null(g.last_refresh_at)},
            {"last_refresh_error", error_or_null(g.last_refresh)}};
  if (g.version) {
    j["created_at"] = to_iso8601_utc(g.created_at);
    j["expires_at"] = to_iso8601_utc(g.expires_at);
    j["age_seconds"] = (now - g.created_at).count();
  }
  return j;
}

Json ocsp_json(const std::optional<std::vector<crypto::OcspCacheEntryState>>& ocsp) {
  Json list = Json::array();
  for (const auto& e : ocsp.value_or(std::vector<crypto::OcspCacheEntryState>{})) {
    list.push_back({{"subject", e.subject},
                    {"serial", e.serial_hex},
                    {"status", e.status ? Json(status_name(*e.status)) : Json(nullptr)},
                    {"produced_at", time_or_null(e.produced_at)},
                    {"age_seconds", e.response_age ? Json(e.response_age->count()) : Json(nullptr)},
                    {"fresh", e.fresh},
                    {"last_attempt", time_or_null(e.last_attempt)},
                    {"last_success", time_or_null(e.last_success)},
                    {"last_error", error_or_null(e.last_error)},
                    {"consecutive_failures", e.consecutive_failures},
                    {"next_attempt", to_iso8601_utc(e.next_attempt)}});
  }
  return {{"available", ocsp.has_value()}, {"certificates", std::move(list)}};
}

// The eight-hour rule as an operator watches it: how long until the register stops admitting new
// exchanges (the oldest untimestamped deadline minus the admission margin).
Json register_json(const RegisterStats& r, std::chrono::seconds margin, std::chrono::sys_seconds now) {
  const EightHourState rule = eight_hour_state(r, margin, now);
  const auto count_or_null = [](const std::optional<std::chrono::seconds>& s) { return s ? Json(s->count()) : Json(nullptr); };
  return {{"records", r.records},
          {"untimestamped", r.untimestamped},
          {"oldest_untimestamped_deadline", time_or_null(r.oldest_untimestamped_deadline)},
          {"seconds_to_deadline", count_or_null(rule.to_deadline)},
          {"admission_margin_seconds", margin.count()},
          {"seconds_left_before_refusal", count_or_null(rule.left_before_refusal)},
          {"admitting", rule.admitting},
          {"deadlines_missed", r.deadlines_missed},
          {"decisions_dropped", r.decisions_dropped},
          {"appends_refused", r.appends_refused},
          {"commits", r.commits}};
}

// The operational records' writer (monitoring/operational_log.hpp); null when none are kept.
Json operational_json(const std::optional<OperationalStats>& o) {
  if (!o) return nullptr;
  return {{"queued", o->queued},   {"capacity", o->capacity},         {"written", o->written},
          {"dropped", o->dropped}, {"write_failed", o->write_failed}, {"purged", o->purged},
          {"batches", o->batches}};
}

Json status_json(const ServerStatus& s, TimePoint now_point) {
  const auto now = to_sys_seconds(now_point);
  Json listeners = Json::array();
  for (const auto& l : s.listeners) {
    listeners.push_back({{"name", l.name}, {"scheme", l.scheme}, {"address", l.address}, {"port", l.port}});
  }
  return {{"server", s.server_id},
          {"time", to_iso8601_utc(now)},
          {"global_configuration", global_configuration_json(s.global_configuration, now)},
          {"ocsp", ocsp_json(s.ocsp)},
          {"timestamping",
           {{"tsa_url", text_or_null(s.tsa_url)},
            {"last_timestamp_at", time_or_null(s.register_stats.last_timestamp_at)},
            {"last_error", text_or_null(s.register_stats.last_timestamp_error)}}},
          {"register", register_json(s.register_stats, s.admission_margin, now)},
          {"operational_records", operational_json(s.operational)},
          {"listeners", std::move(listeners)}};
}

Json certificate_json(const OwnCertificate& c) {
  const crypto::Certificate& cert = c.certificate;
  return {{"usage", c.usage},
          {"member", c.member ? Json(c.member->to_string()) : Json(nullptr)},
          {"subject", cert.subject()},
          {"issuer", cert.issuer()},
          {"serial", cert.serial_hex()},
          {"not_before", to_iso8601_utc(cert.not_before())},
          {"not_after", to_iso8601_utc(cert.not_after())},
          {"sha256", cert.sha256_fingerprint()},
          {"pem", cert.pem()}};
}

Json client_json(const ClientStatus& c) {
  return {{"id", c.client.to_string()},
          {"connection", connection_name(c.settings.connection)},
          {"certificates", c.settings.certificates},
          {"log_body", c.settings.log_body},
          {"timestamp_at_once", c.settings.timestamp_at_once},
          {"registered", c.registered ? Json(*c.registered) : Json(nullptr)}};
}

const char* origin_name(Origin origin) { return origin == Origin::kFile ? "file" : "api"; }

Json service_json(const ServiceDefinition& d, Origin origin) {
  Json endpoints = Json::array();
  for (const auto& e : d.endpoints) endpoints.push_back(to_string(e));
  return {{"id", d.service.to_string()},
          {"url", d.url},
          {"enabled", d.enabled},
          {"timeout_ms", d.timeout.count()},
          {"endpoints", std::move(endpoints)},
          {"protocol", service_protocol_name(d.protocol)},
          {"description_url", d.description_url.empty() ? Json(nullptr) : Json(d.description_url)},
          {"minimum_level", d.minimum_level.empty() ? Json(nullptr) : Json(d.minimum_level)},
          {"origin", origin_name(origin)}};
}

Json right_json(const AccessRight& r, Origin origin) {
  return {{"subject", r.subject},
          {"service", r.service.to_string()},
          {"endpoint", r.endpoint ? Json(to_string(*r.endpoint)) : Json(nullptr)},
          {"represented_party", r.represented_party.empty() ? Json(nullptr) : Json(r.represented_party)},
          {"origin", origin_name(origin)}};
}

Json decision_json(const StoredDecision& d) {
  const Decision& x = d.decision;
  return {{"id", d.id},          {"at", to_iso8601_utc(d.at)},   {"side", side_name(x.side)},
          {"client", x.client},  {"service", x.service},         {"message_id", x.message_id},
          {"peer", x.peer},      {"allowed", x.allowed},         {"rule", x.rule},
          {"reason", x.reason},  {"represented_party", x.represented_party.empty() ? Json(nullptr) : Json(x.represented_party)}};
}

// The service id a body or query names, as the catalog keeps it (a version only for SOAP).
Result<id::ServiceId> service_id(const std::string& text) {
  auto service = id::ServiceId::parse(text);
  if (!service.is_ok()) return invalid_argument("bad service id: " + service.status().message());
  return service;
}

// POST /api/v1/services: {"id", "url", "enabled"?, "timeout_ms"?, "endpoints"?, "protocol"?,
// "description_url"?, "minimum_level"?}; the same defaults and ranges as the configuration file's services.
Result<ServiceDefinition> service_body(const std::string& body) {
  XACBE_ASSIGN_OR_RETURN(Json j, api::object_body(body, {"id", "url", "enabled", "timeout_ms", "endpoints", "protocol",
                                                         "description_url", "minimum_level"}));
  if (!j.contains("id") || !j["id"].is_string()) return invalid_argument("field 'id' (a service id) is required");
  if (!j.contains("url") || !j["url"].is_string()) return invalid_argument("field 'url' (a string) is required");
  XACBE_ASSIGN_OR_RETURN(id::ServiceId service, service_id(j["id"].get<std::string>()));
  ServiceDefinition d{std::move(service), j["url"].get<std::string>(), true, std::chrono::milliseconds(30000), {}};
  if (j.contains("enabled")) {
    if (!j["enabled"].is_boolean()) return invalid_argument("field 'enabled' must be true or false");
    d.enabled = j["enabled"].get<bool>();
  }
  if (j.contains("timeout_ms")) {
    const Json& t = j["timeout_ms"];
    if (!t.is_number_integer() || t.get<std::int64_t>() < 1 || t.get<std::int64_t>() > 600000) {
      return invalid_argument("field 'timeout_ms' must be an integer in 1..600000");
    }
    d.timeout = std::chrono::milliseconds(t.get<std::int64_t>());
  }
  if (j.contains("protocol")) {
    const auto protocol =
        j["protocol"].is_string() ? parse_service_protocol(j["protocol"].get<std::string>()) : std::nullopt;
    if (!protocol) return invalid_argument("field 'protocol' must be \"rest\" or \"soap\"");
    d.protocol = *protocol;
  }
  if (j.contains("endpoints")) {
    if (!j["endpoints"].is_array()) return invalid_argument("field 'endpoints' must be a list of 'METHOD /path'");
    for (const Json& e : j["endpoints"]) {
      if (!e.is_string()) return invalid_argument("field 'endpoints' must be a list of 'METHOD /path'");
      auto endpoint = parse_endpoint(e.get<std::string>());
      if (!endpoint.is_ok()) return invalid_argument("endpoints: " + endpoint.status().message());
      d.endpoints.push_back(std::move(endpoint).value());
    }
  }
  if (j.contains("description_url") && !j["description_url"].is_null()) {
    if (!j["description_url"].is_string()) return invalid_argument("field 'description_url' must be an http:// URL or null");
    d.description_url = j["description_url"].get<std::string>();
  }
  if (j.contains("minimum_level")) {
    // The code's characters are checked with the catalog; whether the global configuration lists
    // it is decided at each call (an unlisted level refuses the call).
    if (!j["minimum_level"].is_string() || j["minimum_level"].get<std::string>().empty()) {
      return invalid_argument("field 'minimum_level' must be a level code (leave it out for none)");
    }
    d.minimum_level = j["minimum_level"].get<std::string>();
  }
  return d;
}

// An access right from its strings; `endpoint` empty: the whole service; `represented_party`
// empty: any.
Result<AccessRight> access_right(const std::string& subject, const std::string& service, const std::string& endpoint,
                                 const std::string& represented_party) {
  if (subject.empty()) return invalid_argument("'subject' (a client id or group:CODE) is required");
  XACBE_ASSIGN_OR_RETURN(id::ServiceId id, service_id(service));
  AccessRight r{std::move(id), subject, std::nullopt, represented_party};
  if (!endpoint.empty()) {
    auto e = parse_endpoint(endpoint);
    if (!e.is_ok()) return invalid_argument("endpoint: " + e.status().message());
    r.endpoint = std::move(e).value();
  }
  return r;
}

Result<AccessRight> right_body(const std::string& body) {
  XACBE_ASSIGN_OR_RETURN(Json j, api::object_body(body, {"subject", "service", "endpoint", "represented_party"}));
  for (const char* key : {"subject", "service"}) {
    if (!j.contains(key) || !j[key].is_string()) return invalid_argument(std::string("field '") + key + "' (a string) is required");
  }
  std::string endpoint;
  if (j.contains("endpoint") && !j["endpoint"].is_null()) {
    if (!j["endpoint"].is_string()) return invalid_argument("field 'endpoint' must be 'METHOD /path' or null");
    endpoint = j["endpoint"].get<std::string>();
  }
  std::string party;
  if (j.contains("represented_party") && !j["represented_party"].is_null()) {
    if (!j["represented_party"].is_string() || j["represented_party"].get<std::string>().empty()) {
      return invalid_argument("field 'represented_party' must be '*', a member id or null");
    }
    party = j["represented_party"].get<std::string>();
  }
  return access_right(j["subject"].get<std::string>(), j["service"].get<std::string>(), endpoint, party);
}

Result<std::int64_t> query_number(const api::ApiCall& call, const std::string& name, std::int64_t fallback,
                                  std::int64_t max) {
  const std::string text = call.query_param(name);
  if (text.empty()) return fallback;
  return api::parse_id(text, name, max);
}

void add_read_routes(api::AdminApi& api, const AdminSources& sources, const Clock& clock) {
  api.add({"GET", "/api/v1/status", false, [&sources, &clock](const api::ApiCall&) {
             return api::json_response(200, status_json(sources.status(), clock.now()));
           }});
  api.add({"GET", "/api/v1/certificates", false, [&sources](const api::ApiCall&) {
             Json list = Json::array();
             for (const auto& c : sources.certificates()) list.push_back(certificate_json(c));
             return api::json_response(200, {{"certificates", std::move(list)}});
           }});
  api.add({"GET", "/api/v1/clients", false, [&sources](const api::ApiCall&) {
             Json list = Json::array();
             for (const auto& c : sources.clients()) list.push_back(client_json(c));
             return api::json_response(200, {{"clients", std::move(list)}});
           }});
  api.add({"GET", "/api/v1/decisions", false, [&sources](const api::ApiCall& call) {
             auto after = query_number(call, "after", 0, INT64_MAX / 2);
             if (!after.is_ok()) return api::error_response(after.status());
             auto limit = query_number(call, "limit", 100, kMaxDecisions);
             if (!limit.is_ok()) return api::error_response(limit.status());
             if (*limit == 0) return api::error_response(invalid_argument("limit must be at least 1"));
             auto decisions = sources.decisions(*after, static_cast<int>(*limit));
             if (!decisions.is_ok()) return api::error_response(decisions.status());
             Json list = Json::array();
             for (const auto& d : *decisions) list.push_back(decision_json(d));
             return api::json_response(200, {{"decisions", std::move(list)}});
           }});
}

void add_service_routes(api::AdminApi& api, ServiceAdmin& services) {
  api.add({"GET", "/api/v1/services", false, [&services](const api::ApiCall&) {
             Json list = Json::array();
             for (const auto& s : services.services()) list.push_back(service_json(s.value, s.origin));
             return api::json_response(200, {{"services", std::move(list)}});
           }});
  api.add({"POST", "/api/v1/services", true, [&services](const api::ApiCall& call) {
             auto service = service_body(call.body);
             Status st = service.is_ok() ? services.add_service(*service) : service.status();
             if (!st.is_ok()) return api::error_response(st);
             return api::json_response(201, service_json(*service, Origin::kApi));
           }});
  // The id's five parts (six with a SOAP service's version) as path segments: an id contains
  // '/', and one segment per part keeps the path readable and every part checked by the id's own
  // rule.
  auto remove_service = [&services](const api::ApiCall& call) {
    const auto& p = call.params;
    // A decoded '/' would make a part two, or a version of the last.
    if (std::any_of(p.begin(), p.end(), [](const std::string& part) { return part.find('/') != std::string::npos; })) {
      return api::error_response(invalid_argument("a part of the service id contains '/'"));
    }
    std::string text = p[0];
    for (std::size_t i = 1; i < p.size(); ++i) text += "/" + p[i];
    auto service = service_id(text);
    Status st = service.is_ok() ? services.remove_service(*service) : service.status();
    if (!st.is_ok()) return api::error_response(st);
    return api::json_response(200, {{"deleted", service->to_string()}});
  };
  api.add({"DELETE", "/api/v1/services/{instance}/{memberClass}/{memberCode}/{subsystemCode}/{serviceCode}", true,
           remove_service});
  api.add({"DELETE",
           "/api/v1/services/{instance}/{memberClass}/{memberCode}/{subsystemCode}/{serviceCode}/{serviceVersion}", true,
           remove_service});
  api.add({"GET", "/api/v1/access-rights", false, [&services](const api::ApiCall&) {
             Json list = Json::array();
             for (const auto& r : services.rights()) list.push_back(right_json(r.value, r.origin));
             return api::json_response(200, {{"access_rights", std::move(list)}});
           }});
  api.add({"POST", "/api/v1/access-rights", true, [&services](const api::ApiCall& call) {
             auto right = right_body(call.body);
             Status st = right.is_ok() ? services.add_right(*right) : right.status();
             if (!st.is_ok()) return api::error_response(st);
             return api::json_response(201, right_json(*right, Origin::kApi));
           }});
  // A right has no id of its own: it is named by what it grants, in the query.
  api.add({"DELETE", "/api/v1/access-rights", true, [&services](const api::ApiCall& call) {
             auto right =
                 access_right(call.query_param("subject"), call.query_param("service"), call.query_param("endpoint"),
                              call.query_param("represented_party"));
             Status st = right.is_ok() ? services.remove_right(*right) : right.status();
             if (!st.is_ok()) return api::error_response(st);
             Json deleted = right_json(*right, Origin::kApi);
             deleted.erase("origin");
             return api::json_response(200, {{"deleted", std::move(deleted)}});
           }});
}

}  // namespace

void add_admin_routes(api::AdminApi& api, const AdminSources& sources, ServiceAdmin& services, const Clock& clock) {
  add_read_routes(api, sources, clock);
  add_service_routes(api, services);
  add_metrics_route(api, sources, clock);
}

EightHourState eight_hour_state(const RegisterStats& r, std::chrono::seconds margin, std::chrono::sys_seconds now) {
  EightHourState out;
  if (!r.oldest_untimestamped_deadline) return out;
  out.to_deadline = *r.oldest_untimestamped_deadline - now;
  out.left_before_refusal = *out.to_deadline - margin;
  out.admitting = *out.to_deadline >= margin;
  return out;
}

}  // namespace xacbe::ss
