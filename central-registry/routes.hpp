#pragma once
// The route modules of the admin API; each adds its routes to the router.

#include "admin_api.hpp"
#include "xacbe/registry/membership.hpp"
#include "xacbe/registry/notifications.hpp"

namespace xacbe::registry {

// Members, applications, terminations and the audit trail.
void add_membership_routes(AdminApi& api, Membership& membership);
// Notifications with their deliveries and acknowledgements, and security incidents.
void add_notification_routes(AdminApi& api, Notifications& notifications);

}  // namespace xacbe::registry
