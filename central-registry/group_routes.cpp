#include <nlohmann/json.hpp>

#include "api_json.hpp"
#include "routes.hpp"

namespace xacbe::registry {
namespace {

using namespace api;

Json member_json(const GlobalGroupMember& m) {
  return {{"client", m.client.to_string()}, {"added_at", to_iso8601_utc(m.added_at)}, {"added_by", m.added_by}};
}

Json members_json(const std::vector<GlobalGroupMember>& members) {
  Json out = Json::array();
  for (const auto& m : members) out.push_back(member_json(m));
  return out;
}

Json group_json(const GlobalGroupRecord& g) {
  return {{"code", g.code},
          {"description", g.description},
          {"created_at", to_iso8601_utc(g.created_at)},
          {"created_by", g.created_by},
          {"members", members_json(g.members)}};
}

net::HttpResponse group_reply(const Result<GlobalGroupRecord>& group, int status) {
  return group ? json_response(status, group_json(*group)) : error_response(group.status());
}

// The value of the required string field `name` of a strict body with only that field.
Result<std::string> only_field(const std::string& body, const char* name) {
  XACBE_ASSIGN_OR_RETURN(auto fields, string_fields(body, {name}));
  const auto it = fields.find(name);
  if (it == fields.end()) return invalid_argument(std::string("'") + name + "' is required");
  return it->second;
}

net::HttpResponse create_group(GlobalGroups& groups, const ApiCall& call) {
  auto fields = string_fields(call.body, {"code", "description"});
  if (!fields) return error_response(fields.status());
  for (const char* name : {"code", "description"}) {
    if (!fields->count(name)) return error_response(invalid_argument(std::string("'") + name + "' is required"));
  }
  return group_reply(groups.create(call.user->name, (*fields)["code"], (*fields)["description"]), 201);
}

// POST .../members and .../members/removal: {"client": "INSTANCE/CLASS/CODE[/SUBSYSTEM]"}.
template <typename Change>
net::HttpResponse change_members(const ApiCall& call, int status, Change&& change) {
  auto text = only_field(call.body, "client");
  if (!text) return error_response(text.status());
  auto client = id::ClientId::parse(*text);
  if (!client) return error_response(client.status());
  return group_reply(change(*client), status);
}

}  // namespace

void add_group_routes(AdminApi& api, GlobalGroups& groups) {
  const std::string base = "/api/v1/global-groups";
  api.add({"GET", base, false, [&groups](const ApiCall&) {
             auto all = groups.list();
             if (!all) return error_response(all.status());
             Json out = Json::array();
             for (const auto& g : *all) out.push_back(group_json(g));
             return json_response(200, {{"global_groups", out}});
           }});
  api.add({"POST", base, true, [&groups](const ApiCall& call) { return create_group(groups, call); }});
  api.add({"POST", base + "/{groupCode}/deletion", true, [&groups](const ApiCall& call) {
             const std::string& code = call.params[0];
             if (!call.body.empty()) {
               if (auto body = object_body(call.body, {}); !body) return error_response(body.status());
             }
             // The group as it was, for the answer; the deletion itself is the audited step.
             auto before = groups.group(code);
             if (Status st = groups.delete_group(call.user->name, code); !st.is_ok()) return error_response(st);
             return before ? json_response(200, group_json(*before)) : error_response(before.status());
           }});
  api.add({"GET", base + "/{groupCode}/members", false, [&groups](const ApiCall& call) {
             auto group = groups.group(call.params[0]);
             if (!group) return error_response(group.status());
             return json_response(200, {{"members", members_json(group->members)}});
           }});
  api.add({"POST", base + "/{groupCode}/members", true, [&groups](const ApiCall& call) {
             return change_members(call, 201, [&](const id::ClientId& client) {
               return groups.add_member(call.user->name, call.params[0], client);
             });
           }});
  api.add({"POST", base + "/{groupCode}/members/removal", true, [&groups](const ApiCall& call) {
             return change_members(call, 200, [&](const id::ClientId& client) {
               return groups.remove_member(call.user->name, call.params[0], client);
             });
           }});
}

}  // namespace xacbe::registry
