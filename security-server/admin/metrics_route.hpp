#pragma once
// GET /metrics on the admin listener: the server's state in the Prometheus text format
// (docs/operator-guide.md "Monitoring"). A read route like GET /api/v1/status: any configured
// user's bearer token (administrator or auditor) may scrape it, and it changes nothing.

#include "admin/admin_routes.hpp"
#include "xacbe/metrics/exposition.hpp"

namespace xacbe::ss {

// The gauges of `status` at `now`: global configuration, OCSP responses, timestamping and the
// query register's backlog against the eight-hour rule.
void write_status_metrics(metrics::TextWriter& out, const ServerStatus& status, TimePoint now);

// Adds GET /metrics: write_status_metrics of sources.status(), then sources.exchange_metrics.
void add_metrics_route(api::AdminApi& api, const AdminSources& sources, const Clock& clock);

}  // namespace xacbe::ss
