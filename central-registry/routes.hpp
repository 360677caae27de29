#pragma once
// The route modules of the admin API; each adds its routes to the router.

#include "admin_api.hpp"
#include "api_json.hpp"
#include "configuration_publisher.hpp"
#include "global_groups.hpp"
#include "member_records.hpp"
#include "membership.hpp"
#include "notifications.hpp"
#include "registry_metrics.hpp"
#include "security_servers.hpp"
#include "usage_statistics.hpp"

namespace xacbe::registry {

// Members, applications, terminations and the audit trail.
void add_membership_routes(AdminApi& api, Membership& membership);
// A member's subsystems, authorised users, the data services it will use, and its contacts.
void add_member_record_routes(AdminApi& api, MemberRecords& records);
// Global groups and their members (published in the global configuration).
void add_group_routes(AdminApi& api, GlobalGroups& groups);
// The CEIQROO's access levels and the levels of members and subsystems (published in the global
// configuration).
void add_access_level_routes(AdminApi& api, store::Database& db, const Clock& clock, Membership& membership);
// Notifications with their deliveries and acknowledgements, and security incidents.
void add_notification_routes(AdminApi& api, Notifications& notifications);
// Security servers' signed management requests and their approval, the server list, hosting
// permissions and software releases. A server's signed list-notifications and
// acknowledge-notification requests are answered from `notifications`, its report-usage stored in
// `usage`.
void add_server_routes(AdminApi& api, SecurityServers& servers, Notifications& notifications, UsageStatistics& usage);
// The usage statistics the servers report, and which servers stopped reporting.
void add_statistics_routes(AdminApi& api, UsageStatistics& usage);

// A notification as the API shows it, with the deliveries it carries.
api::Json notification_json(const Notification& n);

// The signed global configuration (public) and its anchor; `publisher` null answers 503.
void add_configuration_routes(AdminApi& api, ConfigurationPublisher* publisher, const std::string& instance);

// Every route the registry serves (what main() and the OpenAPI test both use); `db` and `clock`
// (those of the domain objects) serve GET /metrics.
inline void add_registry_routes(AdminApi& api, Membership& membership, MemberRecords& records,
                                GlobalGroups& groups, Notifications& notifications, SecurityServers& servers,
                                UsageStatistics& usage, ConfigurationPublisher* publisher, const std::string& instance,
                                store::Database& db, const Clock& clock) {
  add_membership_routes(api, membership);
  add_member_record_routes(api, records);
  add_group_routes(api, groups);
  add_access_level_routes(api, db, clock, membership);
  add_notification_routes(api, notifications);
  add_server_routes(api, servers, notifications, usage);
  add_statistics_routes(api, usage);
  add_configuration_routes(api, publisher, instance);
  add_metrics_route(api, db, clock, usage.silent_after());
}

}  // namespace xacbe::registry
