#include "admin/operational_routes.hpp"

#include <chrono>

#include "exchange/fault.hpp"
#include "register/register_time.hpp"
#include "xacbe/api/json.hpp"
#include "xacbe/globalconf/global_configuration.hpp"

namespace xacbe::ss {
namespace {

using api::Json;

Result<TimePoint> time_param(const std::string& name, const std::string& value) {
  auto t = globalconf::parse_time(value);
  if (!t.is_ok()) return invalid_argument(name + " must be a UTC time YYYY-MM-DDTHH:MM:SSZ");
  return TimePoint(t->time_since_epoch());
}

// "YYYY-MM-DD", the UTC midnight that starts it.
Result<TimePoint> day_param(const std::string& name, const std::string& value) {
  const bool shaped = value.size() == 10 && value[4] == '-' && value[7] == '-';
  auto t =
      shaped ? globalconf::parse_time(value + "T00:00:00Z") : Result<std::chrono::sys_seconds>(invalid_argument(""));
  if (!t.is_ok()) return invalid_argument(name + " must be a UTC day YYYY-MM-DD");
  return TimePoint(t->time_since_epoch());
}

Result<OperationalFilter> records_filter(const api::ApiCall& call) {
  XACBE_ASSIGN_OR_RETURN(
      auto q, admin_query_params(call, {"from", "to", "client", "service", "side", "result", "after", "limit"}));
  OperationalFilter f;
  if (const auto it = q.find("from"); it != q.end()) {
    XACBE_ASSIGN_OR_RETURN(f.from, time_param("from", it->second));
  }
  if (const auto it = q.find("to"); it != q.end()) {
    XACBE_ASSIGN_OR_RETURN(f.to, time_param("to", it->second));
  }
  if (f.from && f.to && *f.from >= *f.to) return invalid_argument("from must be before to");
  if (const auto it = q.find("client"); it != q.end()) {
    if (it->second.size() > kMaxOperationalIdentifierBytes || !id::ClientId::parse(it->second).is_ok()) {
      return invalid_argument("client is not a client id");
    }
    f.client = it->second;
  }
  if (const auto it = q.find("service"); it != q.end()) {
    if (it->second.size() > kMaxOperationalIdentifierBytes || !id::ServiceId::parse(it->second).is_ok()) {
      return invalid_argument("service is not a service id");
    }
    f.service = it->second;
  }
  if (const auto it = q.find("side"); it != q.end()) {
    auto side = parse_side(it->second);
    if (!side.is_ok()) return invalid_argument("side must be client or provider");
    f.side = *side;
  }
  if (const auto it = q.find("result"); it != q.end()) {
    if (it->second != "ok" && it->second != "failed" && !parse_fault_code(it->second)) {
      return invalid_argument("result must be ok, failed or a fault code");
    }
    f.result = it->second;
  }
  if (const auto it = q.find("after"); it != q.end()) {
    XACBE_ASSIGN_OR_RETURN(f.after_id, api::parse_id(it->second, "after"));
  }
  if (const auto it = q.find("limit"); it != q.end()) {
    XACBE_ASSIGN_OR_RETURN(std::int64_t limit, api::parse_id(it->second, "limit", 1000));
    if (limit < 1) return invalid_argument("limit must be 1 to 1000");
    f.limit = static_cast<int>(limit);
  }
  return f;
}

Json time_json(TimePoint t) {
  return to_iso8601_utc(t);
}

Json record_json(const StoredOperationalRecord& s) {
  const OperationalRecord& r = s.record;
  return {{"id", s.id},
          {"side", side_name(r.side)},
          {"client", r.client},
          {"service", r.service},
          {"endpoint", r.endpoint},
          {"represented_party", r.represented_party},
          {"message_id", r.message_id},
          {"request_id", r.request_id},
          {"time_in", time_json(r.time_in)},
          {"time_in_ms", to_unix_millis(r.time_in)},
          {"time_out", time_json(r.time_out)},
          {"time_out_ms", to_unix_millis(r.time_out)},
          {"request_bytes", r.request_bytes},
          {"response_bytes", r.response_bytes},
          {"result", r.result},
          {"fault_side", r.fault_side},
          {"client_server", r.client_server},
          {"provider_server", r.provider_server},
          {"http_status", r.http_status}};
}

const std::vector<id::MemberId>* designation(const RegisterReaders& readers, const api::ApiCall& call) {
  const auto it = readers.find(call.user->name);
  return it == readers.end() ? nullptr : &it->second;
}

net::HttpResponse not_designated() {
  return api::error_response(permission_denied("not designated to read the query register's records"));
}

net::HttpResponse list_records(const OperationalLog& log, const RegisterReaders& readers, const api::ApiCall& call) {
  const auto* members = designation(readers, call);
  if (members == nullptr) return not_designated();
  auto filter = records_filter(call);
  if (!filter.is_ok()) return api::error_response(filter.status());
  filter->members = *members;
  auto page = log.find(*filter);
  if (!page.is_ok()) return api::error_response(page.status());
  Json list = Json::array();
  for (const auto& r : page->records) list.push_back(record_json(r));
  return api::json_response(200,
                            {{"records", std::move(list)}, {"more", page->more}, {"next_after", page->next_after}});
}

net::HttpResponse usage(const OperationalLog& log, const RegisterReaders& readers, const api::ApiCall& call) {
  const auto* members = designation(readers, call);
  if (members == nullptr) return not_designated();
  auto q = admin_query_params(call, {"from", "to"});
  if (!q.is_ok()) return api::error_response(q.status());
  if (!q->count("from") || !q->count("to")) return api::error_response(invalid_argument("from and to are required"));
  auto from = day_param("from", q->at("from"));
  if (!from.is_ok()) return api::error_response(from.status());
  auto to = day_param("to", q->at("to"));
  if (!to.is_ok()) return api::error_response(to.status());
  if (*to < *from) return api::error_response(invalid_argument("to must not be before from"));
  const auto end = *to + std::chrono::hours(24);  // `to` is the last day counted
  if (end - *from > std::chrono::hours(24 * kMaxUsageDays)) {
    return api::error_response(invalid_argument("a usage summary covers at most 366 days"));
  }
  auto summary = log.usage(*from, end, *members);
  if (!summary.is_ok()) return api::error_response(summary.status());
  Json lines = Json::array();
  for (const UsageLine& l : summary->lines) {
    lines.push_back({{"day", l.day},
                     {"client", l.client},
                     {"service", l.service},
                     {"side", side_name(l.side)},
                     {"ok", l.ok},
                     {"failed", l.failed},
                     {"request_bytes", l.request_bytes},
                     {"response_bytes", l.response_bytes}});
  }
  return api::json_response(200, {{"usage", std::move(lines)}, {"truncated", summary->truncated}});
}

}  // namespace

void add_operational_routes(api::AdminApi& api, const OperationalLog& log, const RegisterReaders& readers) {
  api.add({"GET", "/api/v1/operational-records", false,
           [&log, &readers](const api::ApiCall& call) { return list_records(log, readers, call); }});
  api.add({"GET", "/api/v1/usage", false,
           [&log, &readers](const api::ApiCall& call) { return usage(log, readers, call); }});
}

}  // namespace xacbe::ss
