#pragma once
// Internal to the registry module: what the parts of Notifications (notifications.cpp,
// deliveries.cpp and incidents.cpp) share: a delivery's Message-ID, and running an operation under the audit trail.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "audit_trail.hpp"
#include "xacbe/clock.hpp"
#include "xacbe/id/identifiers.hpp"
#include "xacbe/result.hpp"

namespace xacbe::registry::detail {

// The Message-ID of a delivery's message: the `retry`-th retry's, or the first message's (0).
// `key` is the notification's mail key, "<hex>@<domain>" (docs/protocol/notifications.md).
std::string delivery_message_id(std::int64_t notification_id, const id::MemberId& member, const std::string& key,
                                int retry = 0);

// Runs `op` and its audit entry as one transaction (AuditTrail::run_audited); `op` may fill in
// `note` as it learns the target (e.g. a new id) and what changed.
template <typename Op>
Status audited(AuditTrail& audit, const std::string& actor, const std::string& action, AuditNote& note, Op&& op) {
  return audit.run_audited(actor, action, note, std::forward<Op>(op));
}

}  // namespace xacbe::registry::detail
