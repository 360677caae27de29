#include "registry_metrics.hpp"

#include <map>
#include <optional>
#include <vector>

#include "membership.hpp"

#include "xacbe/metrics/exposition.hpp"

namespace xacbe::registry {
namespace {

using metrics::MetricType;
using metrics::TextWriter;

// The first column of the single row of `sql`; nullopt when the query fails (a missing table).
std::optional<std::int64_t> single(store::Database& db, std::string_view sql) {
  auto query = db.prepare(sql);
  if (!query) return std::nullopt;
  Result<bool> row = query->step();
  if (!row || !*row) return std::nullopt;
  return query->column_int64(0);
}

// `state -> count` of a GROUP BY query; nullopt when it fails.
std::optional<std::map<std::string, std::int64_t>> by_state(store::Database& db, std::string_view sql) {
  auto query = db.prepare(sql);
  if (!query) return std::nullopt;
  std::map<std::string, std::int64_t> out;
  while (true) {
    Result<bool> row = query->step();
    if (!row) return std::nullopt;
    if (!*row) break;
    out[query->column_text(0)] = query->column_int64(1);
  }
  return out;
}

void gauge(TextWriter& out, const char* name, const char* help, std::optional<std::int64_t> value) {
  if (!value) return;
  out.family(name, MetricType::kGauge, help);
  out.sample({}, static_cast<double>(*value));
}

// One sample per state of `states`, zero for a state without rows.
void per_state(TextWriter& out, const char* name, const char* help,
               const std::optional<std::map<std::string, std::int64_t>>& counts,
               const std::vector<std::string_view>& states) {
  if (!counts) return;
  out.family(name, MetricType::kGauge, help);
  for (std::string_view state : states) {
    const auto it = counts->find(std::string(state));
    out.sample({{"state", state}}, it == counts->end() ? 0 : static_cast<double>(it->second));
  }
}

// Every state a member can be in, as membership names it.
std::vector<std::string_view> member_states() {
  std::vector<std::string_view> names;
  for (int s = static_cast<int>(MemberState::kPending); s <= static_cast<int>(MemberState::kRejected); ++s) {
    names.push_back(state_name(static_cast<MemberState>(s)));
  }
  return names;
}

}  // namespace

std::string registry_metrics_text(store::Database& db, TimePoint now, std::chrono::seconds silent_after) {
  TextWriter out;
  per_state(out, "xacbe_registry_members", "Members by state.",
            by_state(db, "SELECT state, COUNT(*) FROM member GROUP BY state"), member_states());
  gauge(out, "xacbe_registry_applications_pending", "Membership applications awaiting a decision.",
        single(db, "SELECT COUNT(*) FROM application WHERE decision IS NULL"));
  gauge(out, "xacbe_registry_management_requests_pending", "Security servers' management requests awaiting approval.",
        single(db, "SELECT COUNT(*) FROM management_request WHERE state = 'pending'"));
  gauge(out, "xacbe_registry_security_servers", "Registered security servers.",
        single(db, "SELECT COUNT(*) FROM security_server"));
  // A server is silent when it never sent a report-usage or its last one is older than silent_after.
  {
    auto query = db.prepare("SELECT COUNT(*) FROM security_server s LEFT JOIN usage_report r ON r.server_id = s.id"
                            " WHERE r.reported_at IS NULL OR r.reported_at < ?1");
    if (query) {
      query->bind(1, to_unix_seconds(now) - silent_after.count());
      if (Result<bool> row = query->step(); row && *row) {
        gauge(out, "xacbe_registry_security_servers_silent",
              "Registered security servers whose last usage report is older than the silence threshold, or that "
              "never reported.",
              query->column_int64(0));
      }
    }
  }
  gauge(out, "xacbe_registry_incidents_open", "Security incidents not closed.",
        single(db, "SELECT COUNT(*) FROM incident WHERE state = 'open'"));
  per_state(out, "xacbe_registry_mail_outbox", "Notification mails in the outbox by state (failed: refused for good).",
            by_state(db, "SELECT state, COUNT(*) FROM mail_outbox GROUP BY state"), {"pending", "sent", "failed"});
  gauge(out, "xacbe_registry_audit_entries", "Entries in the audit trail.", single(db, "SELECT COUNT(*) FROM audit"));
  if (auto query = db.prepare("SELECT version, created_at FROM globalconf_publication ORDER BY version DESC LIMIT 1")) {
    if (Result<bool> row = query->step(); row && *row) {
      gauge(out, "xacbe_registry_global_configuration_version", "Version of the last published global configuration.",
            query->column_int64(0));
      gauge(out, "xacbe_registry_global_configuration_age_seconds",
            "Seconds since the last published global configuration was created.",
            to_unix_seconds(now) - query->column_int64(1));
    }
  }
  return out.text();
}

void add_metrics_route(AdminApi& api, store::Database& db, const Clock& clock, std::chrono::seconds silent_after) {
  api.add({"GET", "/metrics", false, [&db, &clock, silent_after](const ApiCall&) {
             return net::HttpResponse::make(200, std::string(metrics::kContentType),
                                            registry_metrics_text(db, clock.now(), silent_after));
           }});
}

}  // namespace xacbe::registry
