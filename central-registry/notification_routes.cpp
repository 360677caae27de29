#include <nlohmann/json.hpp>

#include "api_json.hpp"
#include "routes.hpp"
#include "xacbe/globalconf/global_configuration.hpp"

namespace xacbe::registry {

api::Json notification_json(const Notification& n) {
  using Json = api::Json;
  Json deliveries = Json::array();
  for (const auto& d : n.deliveries) {
    Json j = {{"member", d.member.to_string()},
              {"email", d.email},
              {"message_id", d.message_id},
              {"state", std::string(delivery_state_name(d.state))},
              {"attempts", d.attempts}};
    if (!d.last_error.empty()) j["last_error"] = d.last_error;
    if (d.mailed_at) j["mailed_at"] = to_iso8601_utc(*d.mailed_at);
    if (d.acknowledgement) {
      j["acknowledgement"] = {{"at", to_iso8601_utc(d.acknowledgement->at)}, {"by", d.acknowledgement->by}};
    }
    if (d.cancellation) {
      j["cancellation"] = {
          {"at", to_iso8601_utc(d.cancellation->at)}, {"by", d.cancellation->by}, {"reason", d.cancellation->reason}};
    }
    if (!d.retries.empty()) {
      Json retries = Json::array();
      for (const DeliveryRetry& r : d.retries) {
        retries.push_back({{"at", to_iso8601_utc(r.at)},
                           {"by", r.by},
                           {"email", r.email},
                           {"message_id", r.message_id},
                           {"error", r.error}});
      }
      j["retries"] = std::move(retries);
    }
    deliveries.push_back(std::move(j));
  }
  return {{"id", n.id},
          {"kind", std::string(calendar::notice_kind_name(n.kind))},
          {"subject", n.subject},
          {"body", n.body},
          {"sent_at", to_iso8601_utc(n.sent_at)},
          {"effective", calendar::format_date(n.effective)},
          {"actor", n.actor},
          {"deliveries", deliveries}};
}

namespace {

using namespace api;

Json incident_json(const Incident& i) {
  Json follow_ups = Json::array();
  for (const auto& f : i.follow_ups) {
    follow_ups.push_back({{"at", to_iso8601_utc(f.at)}, {"actor", f.actor}, {"text", f.text}, {"closed", f.closed}});
  }
  Json j = {{"id", i.id},
            {"member", i.member.to_string()},
            {"reporter", i.reporter},
            {"severity", std::string(severity_name(i.severity))},
            {"description", i.description},
            {"occurred_at", to_iso8601_utc(i.occurred_at)},
            {"reported_at", to_iso8601_utc(i.reported_at)},
            {"state", std::string(incident_state_name(i.state))},
            {"follow_ups", follow_ups}};
  if (i.closed_at) j["closed_at"] = to_iso8601_utc(*i.closed_at);
  return j;
}

// The notification as it is now, re-read after a change; a failed read is the answer.
net::HttpResponse notification_reply(Notifications& notifications, std::int64_t id, int status) {
  auto n = notifications.notification(id);
  return n ? json_response(status, notification_json(*n)) : error_response(n.status());
}

Result<std::optional<id::MemberId>> member_filter(const ApiCall& call) {
  const std::string text = call.query_param("member");
  if (text.empty()) return std::optional<id::MemberId>();
  XACBE_ASSIGN_OR_RETURN(id::MemberId member, id::MemberId::parse(text));
  return std::optional<id::MemberId>(std::move(member));
}

Result<std::string> string_field(const Json& j, const char* key) {
  if (!j.contains(key) || !j[key].is_string()) return invalid_argument(std::string("'") + key + "' must be a string");
  return j[key].get<std::string>();
}

Result<Announcement> announcement_from(const std::string& body) {
  XACBE_ASSIGN_OR_RETURN(Json j, object_body(body, {"kind", "subject", "body", "effective", "audience"}));
  Announcement a;
  XACBE_ASSIGN_OR_RETURN(std::string kind, string_field(j, "kind"));
  XACBE_ASSIGN_OR_RETURN(a.kind, calendar::parse_notice_kind(kind));
  XACBE_ASSIGN_OR_RETURN(a.subject, string_field(j, "subject"));
  XACBE_ASSIGN_OR_RETURN(a.body, string_field(j, "body"));
  XACBE_ASSIGN_OR_RETURN(std::string effective, string_field(j, "effective"));
  XACBE_ASSIGN_OR_RETURN(a.effective, calendar::parse_date(effective));
  // "all-active", or a list of member ids.
  if (!j.contains("audience")) return invalid_argument("'audience' is required: \"all-active\" or a list of members");
  if (j["audience"].is_string() && j["audience"] == "all-active") {
    a.audience = Audience::all_active();
  } else if (j["audience"].is_array()) {
    std::vector<id::MemberId> ids;
    for (const auto& m : j["audience"]) {
      if (!m.is_string()) return invalid_argument("'audience' entries must be member ids");
      XACBE_ASSIGN_OR_RETURN(id::MemberId id, id::MemberId::parse(m.get<std::string>()));
      ids.push_back(std::move(id));
    }
    a.audience = Audience::members(std::move(ids));
  } else {
    return invalid_argument("'audience' must be \"all-active\" or a list of member ids");
  }
  return a;
}

}  // namespace

void add_notification_routes(AdminApi& api, Notifications& notifications) {
  api.add({"GET", "/api/v1/notifications", false, [&notifications](const ApiCall& call) {
             auto member = member_filter(call);
             if (!member) return error_response(member.status());
             auto list = notifications.list(*member);
             if (!list) return error_response(list.status());
             Json out = Json::array();
             for (const auto& n : *list) out.push_back(notification_json(n));
             return json_response(200, {{"notifications", out}});
           }});
  api.add({"POST", "/api/v1/notifications", true, [&notifications](const ApiCall& call) {
             auto announcement = announcement_from(call.body);
             if (!announcement) return error_response(announcement.status());
             auto id = notifications.announce(call.user->name, *announcement);
             if (!id) return error_response(id.status());
             return notification_reply(notifications, *id, 201);
           }});
  api.add({"GET", "/api/v1/notifications/{notificationId}", false, [&notifications](const ApiCall& call) {
             auto id = parse_id(call.params[0], "notificationId");
             if (!id) return error_response(id.status());
             auto n = notifications.notification(*id);
             return n ? json_response(200, notification_json(*n)) : error_response(n.status());
           }});
  api.add({"POST", "/api/v1/notifications/{notificationId}/acknowledgements", true,
           [&notifications](const ApiCall& call) {
             auto id = parse_id(call.params[0], "notificationId");
             if (!id) return error_response(id.status());
             auto fields = string_fields(call.body, {"member"});
             if (!fields) return error_response(fields.status());
             auto member = id::MemberId::parse((*fields)["member"]);
             if (!member) return error_response(member.status());
             Status st = notifications.acknowledge(call.user->name, *member, *id);
             return st.is_ok() ? notification_reply(notifications, *id, 200) : error_response(st);
           }});
  // A failed delivery, named by its notification and its member: retry it or cancel it.
  const std::string delivery =
      "/api/v1/notifications/{notificationId}/deliveries/{instance}/{memberClass}/{memberCode}";
  for (const bool retry : {true, false}) {
    api.add({"POST", delivery + (retry ? "/retry" : "/cancel"), true, [&notifications, retry](const ApiCall& call) {
               auto id = parse_id(call.params[0], "notificationId");
               if (!id) return error_response(id.status());
               auto member = id::MemberId::create(call.params[1], call.params[2], call.params[3]);
               if (!member) return error_response(member.status());
               Status st;
               if (retry) {
                 // No body, or an empty object: a retry takes nothing but its path.
                 if (!call.body.empty()) {
                   if (auto j = object_body(call.body, {}); !j) return error_response(j.status());
                 }
                 st = notifications.retry_delivery(call.user->name, *id, *member);
               } else {
                 auto fields = string_fields(call.body, {"reason"});
                 if (!fields) return error_response(fields.status());
                 st = notifications.cancel_delivery(call.user->name, *id, *member, (*fields)["reason"]);
               }
               return st.is_ok() ? notification_reply(notifications, *id, 200) : error_response(st);
             }});
  }
  api.add({"GET", "/api/v1/incidents", false, [&notifications](const ApiCall& call) {
             auto member = member_filter(call);
             if (!member) return error_response(member.status());
             auto list = notifications.list_incidents(*member);
             if (!list) return error_response(list.status());
             Json out = Json::array();
             for (const auto& i : *list) out.push_back(incident_json(i));
             return json_response(200, {{"incidents", out}});
           }});
  api.add({"POST", "/api/v1/incidents", true, [&notifications](const ApiCall& call) {
             auto fields = string_fields(call.body, {"member", "severity", "description", "occurred_at"});
             if (!fields) return error_response(fields.status());
             auto member = id::MemberId::parse((*fields)["member"]);
             if (!member) return error_response(member.status());
             auto severity = parse_severity((*fields)["severity"]);
             if (!severity) return error_response(severity.status());
             auto occurred = globalconf::parse_time((*fields)["occurred_at"]);
             if (!occurred) return error_response(occurred.status());
             auto id = notifications.report_incident(call.user->name, *member, *severity, (*fields)["description"],
                                                     TimePoint(*occurred));
             if (!id) return error_response(id.status());
             auto incidents = notifications.list_incidents(*member);
             if (!incidents) return error_response(incidents.status());
             for (const auto& i : *incidents) {
               if (i.id == *id) return json_response(201, incident_json(i));
             }
             return error_response(internal_error("incident " + std::to_string(*id) + " vanished"));
           }});
  api.add({"POST", "/api/v1/incidents/{incidentId}/follow-ups", true, [&notifications](const ApiCall& call) {
             auto id = parse_id(call.params[0], "incidentId");
             if (!id) return error_response(id.status());
             auto j = object_body(call.body, {"text", "close"});
             if (!j) return error_response(j.status());
             auto text = string_field(*j, "text");
             if (!text) return error_response(text.status());
             bool close = false;
             if (j->contains("close")) {
               if (!(*j)["close"].is_boolean()) return error_response(invalid_argument("'close' must be a boolean"));
               close = (*j)["close"].get<bool>();
             }
             Status st = notifications.add_follow_up(call.user->name, *id, *text, close);
             return st.is_ok() ? json_response(200, {{"incident", *id}}) : error_response(st);
           }});
}

}  // namespace xacbe::registry
