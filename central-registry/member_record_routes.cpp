#include <nlohmann/json.hpp>

#include "api_json.hpp"
#include "routes.hpp"

namespace xacbe::registry {
namespace {

using namespace api;

// Removal, revocation and withdrawal times: null while the record is current.
Json optional_time(const std::optional<TimePoint>& t) {
  return t ? Json(to_iso8601_utc(*t)) : Json(nullptr);
}
Json optional_text(const std::string& s) {
  return s.empty() ? Json(nullptr) : Json(s);
}

Json subsystem_json(const SubsystemRecord& r) {
  return {{"id", r.subsystem.to_string()},
          {"subsystem_code", r.subsystem.subsystem()},
          {"added_at", to_iso8601_utc(r.added_at)},
          {"added_by", r.added_by},
          {"removed_at", optional_time(r.removed_at)},
          {"removed_by", optional_text(r.removed_by)}};
}

Json user_json(const AuthorisedUser& u) {
  return {{"id", u.id},
          {"member", u.member.to_string()},
          {"name", u.name},
          {"email", u.email},
          {"role", user_role_name(u.role)},
          {"added_at", to_iso8601_utc(u.added_at)},
          {"added_by", u.added_by},
          {"revoked_at", optional_time(u.revoked_at)},
          {"revoked_by", optional_text(u.revoked_by)}};
}

Json usage_json(const ServiceUsage& u) {
  return {{"id", u.id},
          {"member", u.member.to_string()},
          {"client", u.client.to_string()},
          {"service", u.service.to_string()},
          {"purpose", u.purpose},
          {"declared_at", to_iso8601_utc(u.declared_at)},
          {"declared_by", u.declared_by},
          {"withdrawn_at", optional_time(u.withdrawn_at)},
          {"withdrawn_by", optional_text(u.withdrawn_by)}};
}

Result<id::MemberId> member_param(const ApiCall& call) {
  return id::MemberId::create(call.params[0], call.params[1], call.params[2]);
}

// The value of a required string field.
Result<std::string> required(std::map<std::string, std::string>& fields, const char* name) {
  const auto it = fields.find(name);
  if (it == fields.end()) return invalid_argument(std::string("'") + name + "' is required");
  return it->second;
}

template <typename T, typename ToJson>
net::HttpResponse list_reply(const Result<std::vector<T>>& records, const char* key, ToJson&& to_json) {
  if (!records) return error_response(records.status());
  Json out = Json::array();
  for (const auto& r : *records) out.push_back(to_json(r));
  return json_response(200, {{key, out}});
}

template <typename T, typename ToJson>
net::HttpResponse record_reply(const Result<T>& record, int status, ToJson&& to_json) {
  return record ? json_response(status, to_json(*record)) : error_response(record.status());
}

net::HttpResponse add_subsystem(MemberRecords& records, const ApiCall& call) {
  auto member = member_param(call);
  if (!member) return error_response(member.status());
  auto fields = string_fields(call.body, {"subsystem_code"});
  if (!fields) return error_response(fields.status());
  auto code = required(*fields, "subsystem_code");
  if (!code) return error_response(code.status());
  auto subsystem = id::SubsystemId::create(*member, *code);
  if (!subsystem) return error_response(subsystem.status());
  return record_reply(records.add_subsystem(call.user->name, *subsystem), 201, subsystem_json);
}

net::HttpResponse add_user(MemberRecords& records, const ApiCall& call) {
  auto member = member_param(call);
  if (!member) return error_response(member.status());
  auto fields = string_fields(call.body, {"name", "email", "role"});
  if (!fields) return error_response(fields.status());
  NewUser user;
  auto name = required(*fields, "name");
  if (!name) return error_response(name.status());
  auto email = required(*fields, "email");
  if (!email) return error_response(email.status());
  auto role_name = required(*fields, "role");
  if (!role_name) return error_response(role_name.status());
  auto role = parse_user_role(*role_name);
  if (!role) return error_response(role.status());
  return record_reply(records.add_user(call.user->name, *member, {*name, *email, *role}), 201, user_json);
}

net::HttpResponse declare_usage(MemberRecords& records, const ApiCall& call) {
  auto member = member_param(call);
  if (!member) return error_response(member.status());
  auto fields = string_fields(call.body, {"client_subsystem_code", "service", "purpose"});
  if (!fields) return error_response(fields.status());
  auto code = required(*fields, "client_subsystem_code");
  if (!code) return error_response(code.status());
  auto client = id::SubsystemId::create(*member, *code);
  if (!client) return error_response(client.status());
  auto service_text = required(*fields, "service");
  if (!service_text) return error_response(service_text.status());
  auto service = id::ServiceId::parse(*service_text);
  if (!service) return error_response(service.status());
  auto purpose = required(*fields, "purpose");
  if (!purpose) return error_response(purpose.status());
  return record_reply(records.declare_usage(call.user->name, *member, {*client, *service, *purpose}), 201, usage_json);
}

Json person_json(const Person& p) {
  return {{"name", p.name}, {"email", p.email}, {"phone", p.phone}};
}

// The member's contacts now, and every correction made to them.
net::HttpResponse contacts_reply(MemberRecords& records, const id::MemberId& member) {
  auto contacts = records.contacts(member);
  if (!contacts) return error_response(contacts.status());
  auto changes = records.contact_changes(member);
  if (!changes) return error_response(changes.status());
  Json history = Json::array();
  for (const ContactChange& c : *changes) {
    history.push_back({{"id", c.id},
                       {"application", c.application_id},
                       {"role", contact_role_name(c.role)},
                       {"at", to_iso8601_utc(c.at)},
                       {"by", c.actor},
                       {"reason", c.reason},
                       {"before", person_json(c.before)},
                       {"after", person_json(c.after)}});
  }
  return json_response(200, {{"member", member.to_string()},
                             {"application", contacts->application_id},
                             {"responsible", person_json(contacts->responsible)},
                             {"administrator", person_json(contacts->administrator)},
                             {"liaison", person_json(contacts->liaison)},
                             {"changes", history}});
}

// {"name", "email", "phone"}: strings; the phone may be left out (the liaison's is optional).
Result<Person> person_from(const Json& j, const std::string& field) {
  if (!j.is_object()) return invalid_argument("'" + field + "' must be an object");
  Person p;
  for (const auto& [key, value] : j.items()) {
    std::string* target = key == "name" ? &p.name : key == "email" ? &p.email : key == "phone" ? &p.phone : nullptr;
    if (target == nullptr) return invalid_argument("'" + field + "' has an unknown field (name, email, phone)");
    if (!value.is_string()) return invalid_argument("'" + field + "." + key + "' must be a string");
    *target = value.get<std::string>();
  }
  return p;
}

net::HttpResponse correct_contacts(MemberRecords& records, const ApiCall& call) {
  auto member = member_param(call);
  if (!member) return error_response(member.status());
  auto j = object_body(call.body, {"responsible", "administrator", "liaison", "reason"});
  if (!j) return error_response(j.status());
  ContactCorrection correction;
  for (auto [field, person] :
       {std::pair{"responsible", &correction.responsible}, std::pair{"administrator", &correction.administrator},
        std::pair{"liaison", &correction.liaison}}) {
    if (!j->contains(field)) continue;
    auto parsed = person_from((*j)[field], field);
    if (!parsed) return error_response(parsed.status());
    *person = std::move(parsed).value();
  }
  if (j->contains("reason")) {
    if (!(*j)["reason"].is_string()) return error_response(invalid_argument("'reason' must be a string"));
    correction.reason = (*j)["reason"].get<std::string>();
  }
  auto corrected = records.correct_contacts(call.user->name, *member, correction);
  if (!corrected) return error_response(corrected.status());
  return contacts_reply(records, *member);
}

// The removal, revocation and withdrawal requests carry nothing: no body, or an empty object.
Status empty_body(const std::string& body) {
  return body.empty() ? Status::ok() : object_body(body, {}).status();
}

}  // namespace

void add_member_record_routes(AdminApi& api, MemberRecords& records) {
  const std::string member = "/api/v1/members/{instance}/{memberClass}/{memberCode}";
  api.add({"GET", member + "/subsystems", false, [&records](const ApiCall& call) {
             auto id = member_param(call);
             if (!id) return error_response(id.status());
             return list_reply(records.subsystems(*id), "subsystems", subsystem_json);
           }});
  api.add(
      {"POST", member + "/subsystems", true, [&records](const ApiCall& call) { return add_subsystem(records, call); }});
  api.add({"POST", member + "/subsystems/{subsystemCode}/removal", true, [&records](const ApiCall& call) {
             auto id = member_param(call);
             if (!id) return error_response(id.status());
             auto subsystem = id::SubsystemId::create(*id, call.params[3]);
             if (!subsystem) return error_response(subsystem.status());
             if (Status st = empty_body(call.body); !st.is_ok()) return error_response(st);
             return record_reply(records.remove_subsystem(call.user->name, *subsystem), 200, subsystem_json);
           }});
  api.add({"GET", member + "/users", false, [&records](const ApiCall& call) {
             auto id = member_param(call);
             if (!id) return error_response(id.status());
             return list_reply(records.users(*id), "users", user_json);
           }});
  api.add({"POST", member + "/users", true, [&records](const ApiCall& call) { return add_user(records, call); }});
  api.add({"POST", member + "/users/{userId}/revocation", true, [&records](const ApiCall& call) {
             auto id = member_param(call);
             if (!id) return error_response(id.status());
             auto user_id = parse_id(call.params[3], "userId");
             if (!user_id) return error_response(user_id.status());
             if (Status st = empty_body(call.body); !st.is_ok()) return error_response(st);
             return record_reply(records.revoke_user(call.user->name, *id, *user_id), 200, user_json);
           }});
  api.add({"GET", member + "/contacts", false, [&records](const ApiCall& call) {
             auto id = member_param(call);
             if (!id) return error_response(id.status());
             return contacts_reply(records, *id);
           }});
  api.add({"POST", member + "/contacts", true,
           [&records](const ApiCall& call) { return correct_contacts(records, call); }});
  api.add({"GET", member + "/service-usages", false, [&records](const ApiCall& call) {
             auto id = member_param(call);
             if (!id) return error_response(id.status());
             return list_reply(records.usages(*id), "service_usages", usage_json);
           }});
  api.add({"POST", member + "/service-usages", true,
           [&records](const ApiCall& call) { return declare_usage(records, call); }});
  api.add({"POST", member + "/service-usages/{usageId}/withdrawal", true, [&records](const ApiCall& call) {
             auto id = member_param(call);
             if (!id) return error_response(id.status());
             auto usage_id = parse_id(call.params[3], "usageId");
             if (!usage_id) return error_response(usage_id.status());
             if (Status st = empty_body(call.body); !st.is_ok()) return error_response(st);
             return record_reply(records.withdraw_usage(call.user->name, *id, *usage_id), 200, usage_json);
           }});
}

}  // namespace xacbe::registry
