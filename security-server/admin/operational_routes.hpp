#pragma once
// The operational records' routes of the security server's admin API
// (docs/api/security-server.openapi.yaml, docs/protocol/operational-records.md):
//   GET /api/v1/operational-records   the records, filtered and paged
//   GET /api/v1/usage                 daily usage per client, service and side
// Read as the query register is: only the users designated in Settings::register_readers, each
// seeing the records of its own members (record_belongs_to); everyone else gets 403.

#include "admin/register_routes.hpp"
#include "monitoring/operational_log.hpp"
#include "xacbe/api/admin_api.hpp"

namespace xacbe::ss {

// A usage summary covers at most this many days.
inline constexpr int kMaxUsageDays = 366;

// Adds the routes. `log` and `readers` must outlive `api`.
void add_operational_routes(api::AdminApi& api, const OperationalLog& log, const RegisterReaders& readers);

}  // namespace xacbe::ss
