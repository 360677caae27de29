#pragma once
// Internal to the registry module: what the two halves of Notifications (notifications.cpp and
// incidents.cpp) share: the check on text a person wrote, and running an operation under the
// audit trail.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "xacbe/clock.hpp"
#include "audit_trail.hpp"
#include "xacbe/result.hpp"

namespace xacbe::registry::detail {

// Text a person wrote: required, bounded, and free of control characters, except tab and line
// breaks where several lines are allowed (they would break a mail header or a log line otherwise).
Status check_text(std::string_view text, std::string_view field, std::size_t max, bool multiline);

struct AuditNote {
  std::string target;
  std::string detail;  // recorded on success
};

// Runs `op` and writes its outcome to the audit trail; `op` may fill in `note` as it learns the
// target (e.g. a new id). A failure to audit a successful operation is returned as its outcome.
template <typename Op>
Status audited(AuditTrail& audit, const std::string& actor, const std::string& action, AuditNote& note, Op&& op) {
  Status outcome = op();
  Status logged = audit.record(actor, action, note.target, outcome, note.detail);
  if (outcome.is_ok() && !logged.is_ok()) return logged;
  return outcome;
}

}  // namespace xacbe::registry::detail
