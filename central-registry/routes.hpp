#pragma once
// The route modules of the admin API; each adds its routes to the router.

#include "admin_api.hpp"
#include "xacbe/registry/membership.hpp"
#include "xacbe/registry/notifications.hpp"
#include "xacbe/registry/security_servers.hpp"

namespace xacbe::registry {

// Members, applications, terminations and the audit trail.
void add_membership_routes(AdminApi& api, Membership& membership);
// Notifications with their deliveries and acknowledgements, and security incidents.
void add_notification_routes(AdminApi& api, Notifications& notifications);
// Security servers' signed management requests and their approval, the server list, hosting
// permissions and software releases.
void add_server_routes(AdminApi& api, SecurityServers& servers);

// Every route the registry serves (what main() and the OpenAPI test both use).
inline void add_registry_routes(AdminApi& api, Membership& membership, Notifications& notifications,
                                SecurityServers& servers) {
  add_membership_routes(api, membership);
  add_notification_routes(api, notifications);
  add_server_routes(api, servers);
}

}  // namespace xacbe::registry
