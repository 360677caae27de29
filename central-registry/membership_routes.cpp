#include <nlohmann/json.hpp>

#include "api_json.hpp"
#include "routes.hpp"

namespace xacbe::registry {
namespace {

using namespace api;

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
  XACBE_ASSIGN_OR_RETURN(Json j, object_body(body, {"member", "member_name", "agreement_reference", "responsible",
                                                     "administrator", "liaison", "security"}));
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

// The member as it is now, re-read after a change; a failed read is the answer.
net::HttpResponse member_reply(Membership& membership, const id::MemberId& id) {
  auto m = membership.member(id);
  return m ? json_response(200, member_json(*m)) : error_response(m.status());
}

net::HttpResponse application_reply(Membership& membership, std::int64_t id, int status) {
  auto record = membership.application(id);
  return record ? json_response(status, application_json(*record)) : error_response(record.status());
}

Result<id::MemberId> member_param(const ApiCall& call) {
  return id::MemberId::create(call.params[0], call.params[1], call.params[2]);
}

}  // namespace

void add_membership_routes(AdminApi& api, Membership& membership) {
  const std::string member = "/api/v1/members/{instance}/{memberClass}/{memberCode}";
  api.add({"GET", "/api/v1/members", false, [&membership](const ApiCall& call) {
             std::optional<MemberState> state;
             if (const auto s = call.query_param("state"); !s.empty()) {
               auto parsed = parse_state(s);
               if (!parsed) return error_response(parsed.status());
               state = *parsed;
             }
             auto members = membership.members(state);
             if (!members) return error_response(members.status());
             Json out = Json::array();
             for (const auto& m : *members) out.push_back(member_json(m));
             return json_response(200, {{"members", out}});
           }});
  api.add({"GET", member, false, [&membership](const ApiCall& call) {
             auto id = member_param(call);
             if (!id) return error_response(id.status());
             auto m = membership.member(*id);
             if (!m) return error_response(m.status());
             auto certs = membership.certificates(*id);
             if (!certs) return error_response(certs.status());
             Json j = member_json(*m);
             j["certificates"] = Json::array();
             for (const auto& c : *certs) {
               j["certificates"].push_back(
                   {{"serial", c.serial_hex}, {"profile", c.profile}, {"server_code", c.server_code}});
             }
             return json_response(200, j);
           }});
  for (const bool suspend : {true, false}) {
    api.add({"POST", member + (suspend ? "/suspend" : "/reactivate"), true,
             [&membership, suspend](const ApiCall& call) {
               auto id = member_param(call);
               if (!id) return error_response(id.status());
               auto fields = string_fields(call.body, {"reason"});
               if (!fields) return error_response(fields.status());
               const std::string reason = (*fields)["reason"];
               const std::string& actor = call.user->name;
               Status st = suspend ? membership.suspend(actor, *id, reason) : membership.reactivate(actor, *id, reason);
               return st.is_ok() ? member_reply(membership, *id) : error_response(st);
             }});
  }
  api.add({"POST", member + "/termination", true, [&membership](const ApiCall& call) {
             auto id = member_param(call);
             if (!id) return error_response(id.status());
             auto fields = string_fields(call.body, {"basis", "effective", "reason"});
             if (!fields) return error_response(fields.status());
             std::optional<calendar::Date> effective;
             if (fields->count("effective")) {
               auto d = calendar::parse_date((*fields)["effective"]);
               if (!d) return error_response(d.status());
               effective = *d;
             }
             const std::string basis = (*fields)["basis"];
             const std::string& actor = call.user->name;
             Status st;
             if (basis == "member-request") {
               st = membership.request_termination(actor, *id, effective);
             } else if (basis == "ceiqroo-notice") {
               if (!effective) return error_response(invalid_argument("a termination with notice needs 'effective'"));
               st = membership.terminate_with_notice(actor, *id, *effective, (*fields)["reason"]);
             } else {
               st = invalid_argument("'basis' must be \"member-request\" or \"ceiqroo-notice\"");
             }
             return st.is_ok() ? member_reply(membership, *id) : error_response(st);
           }});
  api.add({"GET", "/api/v1/applications", false, [&membership](const ApiCall& call) {
             auto apps = membership.applications(call.query_param("undecided") == "true");
             if (!apps) return error_response(apps.status());
             Json out = Json::array();
             for (const auto& a : *apps) out.push_back(application_json(a));
             return json_response(200, {{"applications", out}});
           }});
  api.add({"POST", "/api/v1/applications", true, [&membership](const ApiCall& call) {
             auto application = application_from(call.body);
             if (!application) {
               (void)membership.audit().record(call.user->name, "member.apply", "", application.status());
               return error_response(application.status());
             }
             auto created = membership.apply(call.user->name, *application);
             if (!created) return error_response(created.status());
             return application_reply(membership, *created, 201);
           }});
  // GET one application, admit it, or reject it.
  for (const char* action : {"", "/admit", "/reject"}) {
    const std::string what = action;
    api.add({what.empty() ? "GET" : "POST", "/api/v1/applications/{applicationId}" + what, !what.empty(),
             [&membership, what](const ApiCall& call) {
               auto app_id = parse_id(call.params[0], "applicationId");
               if (!app_id) return error_response(app_id.status());
               Status st;
               if (what == "/admit") {
                 st = membership.admit(call.user->name, *app_id);
               } else if (what == "/reject") {
                 auto fields = string_fields(call.body, {"reason", "comment"});
                 if (!fields) return error_response(fields.status());
                 auto reason = parse_rejection_reason((*fields)["reason"]);
                 st = reason ? membership.reject(call.user->name, *app_id, *reason, (*fields)["comment"])
                             : reason.status();
               }
               return st.is_ok() ? application_reply(membership, *app_id, 200) : error_response(st);
             }});
  }
  api.add({"POST", "/api/v1/terminations/complete", true, [&membership](const ApiCall& call) {
             auto done = membership.complete_due_terminations(call.user->name);
             if (!done) return error_response(done.status());
             Json out = Json::array();
             for (const auto& m : *done) out.push_back(m.to_string());
             return json_response(200, {{"terminated", out}});
           }});
  api.add({"GET", "/api/v1/audit", false, [&membership](const ApiCall& call) {
             std::int64_t after = 0, limit = 1000;
             if (auto a = call.query_param("after"); !a.empty()) {
               auto v = parse_id(a, "after");
               if (!v) return error_response(v.status());
               after = *v;
             }
             if (auto l = call.query_param("limit"); !l.empty()) {
               auto v = parse_id(l, "limit", 10000);
               if (!v) return error_response(v.status());
               limit = *v;
             }
             // A page ends at `limit` entries or about 1 MiB (AuditTrail::list); "more" says whether
             // entries follow it.
             auto entries = membership.audit().list(after, static_cast<int>(limit));
             if (!entries) return error_response(entries.status());
             auto newest = membership.audit().last_id();
             if (!newest) return error_response(newest.status());
             const bool more = !entries->empty() && *newest > entries->back().id;
             Json out = Json::array();
             for (const auto& e : *entries) {
               out.push_back({{"id", e.id}, {"at", to_iso8601_utc(e.at)}, {"actor", e.actor}, {"action", e.action},
                              {"target", e.target}, {"success", e.success}, {"detail", e.detail}});
             }
             return json_response(200, {{"entries", out}, {"more", more}});
           }});
}

}  // namespace xacbe::registry
