#pragma once
// GET /metrics on the registry's admin API: what the registry's tables already say, in the
// Prometheus text format (docs/operator-guide.md "Monitoring"). A read route: any user's token,
// administrator or auditor; it changes nothing and, like every read, is not audited.

#include <chrono>
#include <string>

#include "admin_api.hpp"
#include "xacbe/clock.hpp"
#include "xacbe/store/database.hpp"

namespace xacbe::registry {

// The metrics text at `now`, read from the registry's database (its own tables and the mail
// outbox's). A family whose table cannot be read is left out rather than shown as zero.
// Security servers count as silent when their last usage report is older than `silent_after`
// (usage_statistics.hpp) or they never reported.
std::string registry_metrics_text(store::Database& db, TimePoint now,
                                  std::chrono::seconds silent_after = std::chrono::hours(25));

// Adds GET /metrics. `db` and `clock` must outlive `api`; the handler runs under the API's lock,
// like every route on that connection.
void add_metrics_route(AdminApi& api, store::Database& db, const Clock& clock,
                       std::chrono::seconds silent_after = std::chrono::hours(25));

}  // namespace xacbe::registry
