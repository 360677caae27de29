#include <openssl/x509.h>

#include <nlohmann/json.hpp>

#include "api_json.hpp"
#include "routes.hpp"
#include "xacbe/calendar/business_calendar.hpp"
#include "xacbe/crypto/csr.hpp"
#include "xacbe/crypto/encoding.hpp"
#include "xacbe/globalconf/global_configuration.hpp"
#include "xacbe/management/management_request.hpp"

namespace xacbe::registry {
namespace {

using namespace api;

// Lower-case hex SHA-256 of the DER SubjectPublicKeyInfo of the CSR a request carries, empty for
// a request without one: what the administrator confirms with the owner member before approving
// a registration (docs/protocol/management-requests.md, "Signature and bootstrap").
std::string csr_key_sha256(const management::Request& r) {
  if (!r.csr) return {};
  const crypto::EVP_PKEYPtr key = r.csr->public_key();
  unsigned char* der = nullptr;
  const int n = key ? i2d_PUBKEY(key.get(), &der) : -1;
  if (n <= 0) return {};
  std::string spki(reinterpret_cast<const char*>(der), static_cast<std::size_t>(n));
  OPENSSL_free(der);
  return crypto::to_hex(crypto::sha256(spki));
}

Json request_json(const ManagementRequest& r) {
  Json j = {{"id", r.id},
            {"request_id", r.request_id},
            {"server", r.server.to_string()},
            {"type", std::string(management::request_type_name(r.type))},
            {"created_at", to_iso8601_utc(r.created_at)},
            {"received_at", to_iso8601_utc(r.received_at)},
            {"signer", r.signer},
            {"state", std::string(request_state_name(r.state))},
            {"request", crypto::base64_encode(r.body)}};
  // The stored bytes passed this parser on receipt; what the administrator checks before approving.
  if (auto parsed = management::parse_request(r.body, r.server.owner().instance())) {
    if (const std::string key = csr_key_sha256(*parsed); !key.empty()) j["csr_key_sha256"] = key;
    if (parsed->client) j["client"] = parsed->client->to_string();
  }
  if (r.decided_at) j["decided_at"] = to_iso8601_utc(*r.decided_at);
  if (!r.decided_by.empty()) j["decided_by"] = r.decided_by;
  if (!r.decline_reason.empty()) j["decline_reason"] = r.decline_reason;
  if (!r.issued_certificate_pem.empty()) j["issued_certificate"] = r.issued_certificate_pem;
  return j;
}

Json server_json(const SecurityServer& s) {
  Json j = {{"id", s.id.to_string()},
            {"address", s.address},
            {"country", s.country},
            {"software_version", s.software_version},
            {"outdated", s.outdated},
            {"registered_at", to_iso8601_utc(s.registered_at)},
            {"auth_certificate_sha256", s.auth_certificate_sha256}};
  Json clients = Json::array();
  for (const auto& c : s.registered_clients) {
    clients.push_back({{"client", c.client.to_string()},
                       {"approved_at", to_iso8601_utc(c.approved_at)},
                       {"approved_by", c.approved_by},
                       {"request", c.request}});
  }
  j["registered_clients"] = std::move(clients);
  if (s.foreign_hosting_reference) j["foreign_hosting_reference"] = *s.foreign_hosting_reference;
  return j;
}

Json release_json(const SoftwareRelease& r) {
  return {{"version", r.version},
          {"published_at", to_iso8601_utc(r.published_at)},
          {"update_deadline", to_iso8601_utc(update_deadline(r.published_at))}};
}

// The request as it is now, re-read after a change; a failed read is the answer.
net::HttpResponse request_reply(SecurityServers& servers, std::int64_t id, int status) {
  auto r = servers.request(id);
  return r ? json_response(status, request_json(*r)) : error_response(r.status());
}

Result<std::optional<RequestState>> state_filter(const ApiCall& call) {
  const std::string text = call.query_param("state");
  if (text.empty()) return std::optional<RequestState>();
  for (const auto state : {RequestState::kPending, RequestState::kApproved, RequestState::kDeclined}) {
    if (text == request_state_name(state)) return std::optional<RequestState>(state);
  }
  return invalid_argument("'state' must be pending, approved or declined, not '" + text + "'");
}

// A base64 string field of `j`; absent is empty.
Result<std::string> base64_field(const Json& j, const char* key) {
  if (!j.contains(key)) return std::string();
  if (!j[key].is_string()) return invalid_argument(std::string("'") + key + "' must be a base64 string");
  auto bytes = crypto::base64_decode(j[key].get<std::string>());
  if (!bytes) return invalid_argument(std::string("'") + key + "' is not base64: " + bytes.status().message());
  return std::move(bytes).value();
}

// The type a request claims, read without any check, only to choose who handles it; an unreadable
// one goes to submit(), which refuses it with the documented reason.
std::string claimed_type(const std::string& request) {
  const Json j = Json::parse(request, nullptr, false);
  if (!j.is_object() || !j.contains("type") || !j["type"].is_string()) return {};
  return j["type"].get<std::string>();
}

// list-notifications and acknowledge-notification: the owner member's copies of its
// notifications (all of them, or the one acknowledged), once the registry verified the request.
net::HttpResponse answer_notification_request(SecurityServers& servers, Notifications& notifications,
                                              const std::string& request, const std::string& signature) {
  auto verified = servers.authenticate(request, signature);
  if (!verified) return error_response(verified.status());
  const id::MemberId member = verified->server.owner();
  const bool acknowledge = verified->type == management::RequestType::kAcknowledgeNotification;
  if (acknowledge) {
    Status st = notifications.acknowledge("server:" + verified->server.to_string(), member,
                                          verified->notification_id.value());
    if (!st.is_ok()) return error_response(st);
  }
  auto list = notifications.list(member);
  if (!list) return error_response(list.status());
  Json out = Json::array();
  for (const auto& n : *list) {
    if (!acknowledge) {
      out.push_back(notification_json(n));
    } else if (n.id == verified->notification_id) {
      return json_response(200, notification_json(n));
    }
  }
  if (acknowledge) return error_response(internal_error("acknowledged notification not found"));
  return json_response(200, {{"member", member.to_string()}, {"notifications", out}});
}

// A management request: the request bytes and the detached CMS over them. The signature is what
// authenticates the call; an absent or empty one reaches the domain, which refuses it (check 1).
// Requests that change trust are stored (201, the request); the others are answered at once
// (200): report-version with the server, the notification requests with notifications.
net::HttpResponse receive(SecurityServers& servers, Notifications& notifications, UsageStatistics& usage,
                          const ApiCall& call) {
  auto j = object_body(call.body, {"request", "signature"});
  if (!j) return error_response(j.status());
  if (!j->contains("request")) return error_response(invalid_argument("'request' is required"));
  auto request = base64_field(*j, "request");
  if (!request) return error_response(request.status());
  auto signature = base64_field(*j, "signature");
  if (!signature) return error_response(signature.status());
  const std::string type = claimed_type(*request);
  if (type == management::request_type_name(management::RequestType::kReportVersion)) {
    auto server = servers.report(*request, *signature);
    return server ? json_response(200, server_json(*server)) : error_response(server.status());
  }
  if (type == management::request_type_name(management::RequestType::kReportUsage)) {
    auto receipt = usage.receive(*request, *signature);
    if (!receipt) return error_response(receipt.status());
    return json_response(200, {{"server", receipt->server.to_string()},
                               {"request_id", receipt->request_id},
                               {"from", calendar::format_date(receipt->from)},
                               {"to", calendar::format_date(receipt->to)},
                               {"rows", receipt->rows},
                               {"received_at", to_iso8601_utc(receipt->received_at)}});
  }
  if (type == management::request_type_name(management::RequestType::kListNotifications) ||
      type == management::request_type_name(management::RequestType::kAcknowledgeNotification)) {
    return answer_notification_request(servers, notifications, *request, *signature);
  }
  auto accepted = servers.submit(*request, *signature);
  if (!accepted) return error_response(accepted.status());
  return request_reply(servers, accepted->id, 201);
}

// The certificate an approved request issued, as PEM: public, since certificates are public
// documents and a security server has no token (it collects what its own requests asked for).
// 404 while there is none (pending, declined, or a type that issues none), naming the state.
net::HttpResponse issued_certificate(SecurityServers& servers, const ApiCall& call) {
  auto id = parse_id(call.params[0], "requestId");
  if (!id) return error_response(id.status());
  auto r = servers.request(*id);
  if (!r) return error_response(r.status());
  if (r->issued_certificate_pem.empty()) {
    const std::string state(request_state_name(r->state));
    return error_response(not_found("management request " + std::to_string(*id) + " is " + state +
                                    (r->state == RequestState::kApproved ? " and issued no certificate"
                                                                         : ": no certificate issued")));
  }
  return net::HttpResponse::make(200, "application/pem-certificate-chain", r->issued_certificate_pem);
}

void add_management_request_routes(AdminApi& api, SecurityServers& servers, Notifications& notifications,
                                   UsageStatistics& usage) {
  const std::string requests(management::kRegistryPath);
  api.add({"POST", requests, true,
           [&servers, &notifications, &usage](const ApiCall& call) {
             return receive(servers, notifications, usage, call);
           },
           /*bearer=*/false});
  api.add({"GET", requests, false, [&servers](const ApiCall& call) {
             auto state = state_filter(call);
             if (!state) return error_response(state.status());
             auto list = servers.requests(*state);
             if (!list) return error_response(list.status());
             Json out = Json::array();
             for (const auto& r : *list) out.push_back(request_json(r));
             return json_response(200, {{"requests", out}});
           }});
  api.add({"GET", requests + "/{requestId}/certificate", false,
           [&servers](const ApiCall& call) { return issued_certificate(servers, call); },
           /*bearer=*/false});
  // GET one request, approve it, or decline it.
  for (const char* action : {"", "/approve", "/decline"}) {
    const std::string what = action;
    api.add({what.empty() ? "GET" : "POST", requests + "/{requestId}" + what, !what.empty(),
             [&servers, what](const ApiCall& call) {
               auto id = parse_id(call.params[0], "requestId");
               if (!id) return error_response(id.status());
               Status st;
               if (what == "/approve") {
                 st = servers.approve(call.user->name, *id);
               } else if (what == "/decline") {
                 auto fields = string_fields(call.body, {"reason"});
                 if (!fields) return error_response(fields.status());
                 st = servers.decline(call.user->name, *id, (*fields)["reason"]);
               }
               return st.is_ok() ? request_reply(servers, *id, 200) : error_response(st);
             }});
  }
}

void add_server_list_routes(AdminApi& api, SecurityServers& servers) {
  api.add({"GET", "/api/v1/security-servers", false, [&servers](const ApiCall&) {
             auto list = servers.list_servers();
             if (!list) return error_response(list.status());
             Json out = Json::array();
             for (const auto& s : *list) out.push_back(server_json(s));
             return json_response(200, {{"servers", out}});
           }});
  api.add({"POST", "/api/v1/security-servers/{instance}/{memberClass}/{memberCode}/{serverCode}/foreign-hosting", true,
           [&servers](const ApiCall& call) {
             auto owner = id::MemberId::create(call.params[0], call.params[1], call.params[2]);
             if (!owner) return error_response(owner.status());
             auto server = id::SecurityServerId::create(*owner, call.params[3]);
             if (!server) return error_response(server.status());
             auto fields = string_fields(call.body, {"reference"});
             if (!fields) return error_response(fields.status());
             const std::string reference = (*fields)["reference"];
             Status st = servers.grant_foreign_hosting(call.user->name, *server, reference);
             if (!st.is_ok()) return error_response(st);
             return json_response(200, {{"server", server->to_string()}, {"foreign_hosting_reference", reference}});
           }});
  api.add({"GET", "/api/v1/releases", false, [&servers](const ApiCall&) {
             auto list = servers.releases();
             if (!list) return error_response(list.status());
             Json out = Json::array();
             for (const auto& r : *list) out.push_back(release_json(r));
             return json_response(200, {{"releases", out}});
           }});
  api.add({"POST", "/api/v1/releases", true, [&servers](const ApiCall& call) {
             auto fields = string_fields(call.body, {"version", "published_at"});
             if (!fields) return error_response(fields.status());
             auto published = globalconf::parse_time((*fields)["published_at"]);
             if (!published) return error_response(published.status());
             const std::string version = (*fields)["version"];
             Status st = servers.record_release(call.user->name, version, TimePoint(*published));
             if (!st.is_ok()) return error_response(st);
             return json_response(201, release_json({version, TimePoint(*published)}));
           }});
}

}  // namespace

void add_server_routes(AdminApi& api, SecurityServers& servers, Notifications& notifications, UsageStatistics& usage) {
  add_management_request_routes(api, servers, notifications, usage);
  add_server_list_routes(api, servers);
}

}  // namespace xacbe::registry
