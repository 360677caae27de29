#pragma once
// The update rule acting (docs/protocol/management-requests.md, "Update rule and versions"): a
// security server must run a release no more than two months after it is published. The owner
// member's liaison is reminded before the deadline and told when it has passed; what else happens
// past the deadline is the registry's setting (UpdateRuleSettings::leave_configuration, applied
// by the configuration publisher).
//
// Each notice is sent once: its Message-ID is fixed by kind, server and release, and it is put in
// the mail outbox in the same transaction as its audit entry, so a crash or a second run never
// sends it twice and never loses it.

#include <chrono>
#include <set>
#include <string>

#include "audit_trail.hpp"
#include "mail/outbox.hpp"
#include "membership.hpp"
#include "security_servers.hpp"
#include "xacbe/clock.hpp"
#include "xacbe/result.hpp"

namespace xacbe::registry {

struct UpdateRuleSettings {
  // The reminder goes this long before the deadline (1..60 days).
  std::chrono::hours reminder{14 * 24};
  // Past the deadline the server leaves the global configuration until it reports a current
  // version (false: it is only flagged outdated).
  bool leave_configuration = false;
};

class UpdateRule {
 public:
  // All must outlive this; `db` is the registry's connection (the membership's). `sender` is the
  // outbox's From address, whose domain ends the notices' Message-IDs.
  UpdateRule(store::Database& db, const Clock& clock, Membership& membership, SecurityServers& servers,
             mail::Outbox& outbox, std::string sender, UpdateRuleSettings settings);

  // For every server running a release older than one published: the first such release's
  // deadline decides. From `reminder` before it a reminder is due, from the deadline on a notice
  // that the server is outdated (a server first seen past its deadline gets only the latter).
  // Sends what is due and not yet sent to the liaison of an active (or terminating) owner, each
  // with an audit entry (actor "system", action "server.update-reminder" or "server.outdated",
  // target the server). A notice that cannot be sent (a liaison address mail refuses) is logged
  // and audited once per run of the registry and does not stop the others. Returns how many were
  // sent; the first failure otherwise.
  Result<int> notify_due();

 private:
  enum class Notice { kReminder, kOutdated };
  // true: sent now; false: it was sent before.
  Result<bool> send(const SecurityServer& server, const Member& owner, const SoftwareRelease& release,
                    TimePoint deadline, Notice notice);

  store::Database& db_;
  const Clock& clock_;
  Membership& membership_;
  SecurityServers& servers_;
  mail::Outbox& outbox_;
  const std::string domain_;
  const UpdateRuleSettings settings_;
  std::set<std::string> refused_;  // Message-IDs whose refusal is already audited
};

}  // namespace xacbe::registry
