#include <memory>
#include <nlohmann/json.hpp>

#include "access_levels.hpp"
#include "api_json.hpp"
#include "routes.hpp"

namespace xacbe::registry {
namespace {

using namespace api;

Json levels_json(const std::vector<AccessLevelDefinition>& levels) {
  Json out = Json::array();
  for (const auto& l : levels) out.push_back({{"code", l.code}, {"name", l.name}});
  return out;
}

Json assignment_json(const AccessLevelAssignment& a) {
  return {{"client", a.client.to_string()},
          {"level", a.level},
          {"set_at", to_iso8601_utc(a.set_at)},
          {"set_by", a.set_by}};
}

// {"levels": [{"code": "...", "name": "..."}, ...]}, strict: no other key in either object.
Result<std::vector<AccessLevelDefinition>> levels_body(const std::string& body) {
  XACBE_ASSIGN_OR_RETURN(Json v, object_body(body, {"levels"}));
  if (!v.contains("levels")) return invalid_argument("'levels' is required");
  const Json& list = v["levels"];
  if (!list.is_array()) return invalid_argument("'levels' must be an array");
  if (list.size() > kMaxAccessLevels) {
    return invalid_argument("at most " + std::to_string(kMaxAccessLevels) + " access levels");
  }
  std::vector<AccessLevelDefinition> out;
  for (std::size_t i = 0; i < list.size(); ++i) {
    const Json& item = list[i];
    const std::string where = std::string("levels[") + std::to_string(i) + "]";
    if (!item.is_object() || item.size() != 2 || !item.contains("code") || !item.contains("name") ||
        !item["code"].is_string() || !item["name"].is_string()) {
      return invalid_argument(where + " must be {\"code\": string, \"name\": string}");
    }
    out.push_back({item["code"].get<std::string>(), item["name"].get<std::string>()});
  }
  return out;
}

Result<id::ClientId> client_field(std::map<std::string, std::string>& fields) {
  const auto it = fields.find("client");
  if (it == fields.end()) return invalid_argument("'client' is required");
  return id::ClientId::parse(it->second);
}

net::HttpResponse list_all(AccessLevels& levels) {
  auto list = levels.levels();
  if (!list) return error_response(list.status());
  auto assigned = levels.assignments();
  if (!assigned) return error_response(assigned.status());
  Json assignments = Json::array();
  for (const auto& a : *assigned) assignments.push_back(assignment_json(a));
  return json_response(200, {{"levels", levels_json(*list)}, {"assignments", assignments}});
}

}  // namespace

void add_access_level_routes(AdminApi& api, store::Database& db, const Clock& clock, Membership& membership) {
  // Shared by the route handlers, which live as long as the API.
  auto levels = std::make_shared<AccessLevels>(db, clock, membership);
  const std::string base = "/api/v1/access-levels";
  api.add({"GET", base, false, [levels](const ApiCall&) { return list_all(*levels); }});
  api.add({"POST", base, true, [levels](const ApiCall& call) {
             auto list = levels_body(call.body);
             if (!list) return error_response(list.status());
             auto set = levels->set_levels(call.user->name, *list);
             if (!set) return error_response(set.status());
             return json_response(200, {{"levels", levels_json(*set)}});
           }});
  api.add({"POST", base + "/assignments", true, [levels](const ApiCall& call) {
             auto fields = string_fields(call.body, {"client", "level"});
             if (!fields) return error_response(fields.status());
             auto client = client_field(*fields);
             if (!client) return error_response(client.status());
             if (!fields->count("level")) return error_response(invalid_argument("'level' is required"));
             auto assigned = levels->assign(call.user->name, *client, (*fields)["level"]);
             return assigned ? json_response(200, assignment_json(*assigned)) : error_response(assigned.status());
           }});
  api.add({"POST", base + "/assignments/removal", true, [levels](const ApiCall& call) {
             auto fields = string_fields(call.body, {"client"});
             if (!fields) return error_response(fields.status());
             auto client = client_field(*fields);
             if (!client) return error_response(client.status());
             if (Status st = levels->clear(call.user->name, *client); !st.is_ok()) return error_response(st);
             return json_response(200, {{"client", client->to_string()}});
           }});
}

}  // namespace xacbe::registry
