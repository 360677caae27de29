// GET /api/v1/statistics and GET /api/v1/statistics/reporting (docs/api/central-registry.openapi.yaml):
// the usage statistics the security servers report, summed per member, service, server and period,
// and which servers stopped reporting. Read routes: administrator and auditor alike.
#include "routes.hpp"

#include <algorithm>

#include "xacbe/calendar/business_calendar.hpp"

namespace xacbe::registry {
namespace {

using namespace api;

constexpr const char* kParameters[] = {"member", "service", "server", "side", "from", "to", "group_by"};

// The parameters of the query, each absent when not given or empty; a name that is not one of
// kParameters is refused, so that a misspelt filter does not silently widen the answer.
Result<UsageQueryText> query_text(const ApiCall& call) {
  std::size_t start = 0;
  while (start < call.query.size()) {
    const std::size_t end = std::min(call.query.find('&', start), call.query.size());
    const std::string name = call.query.substr(start, std::min(call.query.find('=', start), end) - start);
    if (!name.empty() && std::find(std::begin(kParameters), std::end(kParameters), name) == std::end(kParameters)) {
      std::string shown;
      for (char c : name.substr(0, 64)) shown.push_back(c >= 0x20 && c < 0x7f ? c : '?');
      return invalid_argument("unknown query parameter '" + shown +
                              "' (member, service, server, side, from, to, group_by)");
    }
    start = end + 1;
  }
  const auto param = [&call](const char* name) -> std::optional<std::string> {
    std::string value = call.query_param(name);
    if (value.empty()) return std::nullopt;
    return value;
  };
  return UsageQueryText{param("member"), param("service"), param("server"), param("side"),
                        param("from"),   param("to"),      param("group_by")};
}

Json counts_json(const UsageCounts& c) {
  return {{"requests", c.requests}, {"succeeded", c.succeeded}, {"failed", c.failed}, {"refused", c.refused}};
}

net::HttpResponse statistics(UsageStatistics& usage, const ApiCall& call) {
  auto text = query_text(call);
  if (!text) return error_response(text.status());
  auto query = parse_usage_query(*text, usage.today());
  if (!query) return error_response(query.status());
  auto table = usage.query(*query);
  if (!table) return error_response(table.status());
  Json group_by = Json::array();
  for (UsageDimension d : query->group_by) group_by.push_back(std::string(usage_dimension_name(d)));
  Json groups = Json::array();
  UsageCounts total;
  for (const UsageGroup& g : table->groups) {
    Json j = counts_json(g.counts);
    for (std::size_t i = 0; i < g.keys.size(); ++i) j[std::string(usage_dimension_name(query->group_by[i]))] = g.keys[i];
    groups.push_back(std::move(j));
    total.requests += g.counts.requests;
    total.succeeded += g.counts.succeeded;
    total.failed += g.counts.failed;
    total.refused += g.counts.refused;
  }
  Json out = {{"from", calendar::format_date(query->from)},
              {"to", calendar::format_date(query->to)},
              {"group_by", group_by},
              {"groups", groups},
              {"total", counts_json(total)},
              {"truncated", table->truncated}};
  if (query->member) out["member"] = query->member->to_string();
  if (query->service) out["service"] = query->service->to_string();
  if (query->server) out["server"] = query->server->to_string();
  if (query->side) out["side"] = std::string(management::usage_side_name(*query->side));
  return json_response(200, out);
}

net::HttpResponse reporting(UsageStatistics& usage) {
  auto servers = usage.reporting();
  if (!servers) return error_response(servers.status());
  Json list = Json::array();
  for (const ReportingServer& r : *servers) {
    Json j = {{"server", r.server.to_string()}, {"silent", r.silent}, {"last_report_at", nullptr}};
    if (r.last_report_at) {
      j["last_report_at"] = to_iso8601_utc(*r.last_report_at);
      j["last_period"] = {{"from", *r.last_from}, {"to", *r.last_to}};
      j["last_rows"] = r.last_rows;
    }
    list.push_back(std::move(j));
  }
  return json_response(200, {{"silent_after_seconds", usage.silent_after().count()}, {"servers", list}});
}

}  // namespace

void add_statistics_routes(AdminApi& api, UsageStatistics& usage) {
  api.add({"GET", "/api/v1/statistics", false, [&usage](const ApiCall& call) { return statistics(usage, call); }});
  api.add({"GET", "/api/v1/statistics/reporting", false, [&usage](const ApiCall&) { return reporting(usage); }});
}

}  // namespace xacbe::registry
