#include "update_rule.hpp"

#include "xacbe/calendar/business_calendar.hpp"
#include "xacbe/log/log.hpp"
#include "xacbe/management/management_request.hpp"
#include "xacbe/store/database.hpp"

namespace xacbe::registry {
namespace {

// The calendar day of `t` in America/Cancun, as the notices name it.
std::string local_date(TimePoint t) {
  return to_iso8601_utc(std::chrono::floor<std::chrono::seconds>(t) + calendar::kUtcOffset).substr(0, 10);
}

// "<kind>.<server>.v<version>@<domain>": the same whenever the notice is rebuilt (the server id
// as mail::message_id_part).
std::string notice_message_id(std::string_view kind, const id::SecurityServerId& server, const std::string& version,
                              const std::string& domain) {
  std::string out(kind);
  out.append(".").append(mail::message_id_part(server.to_string()));
  out.append(".v").append(version).append("@").append(domain);
  return out;
}

}  // namespace

UpdateRule::UpdateRule(store::Database& db, const Clock& clock, Membership& membership, SecurityServers& servers,
                       mail::Outbox& outbox, std::string sender, UpdateRuleSettings settings)
    : db_(db), clock_(clock), membership_(membership), servers_(servers), outbox_(outbox),
      domain_(sender.substr(sender.find('@') + 1)), settings_(settings) {}

Result<int> UpdateRule::notify_due() {
  XACBE_ASSIGN_OR_RETURN(std::vector<SoftwareRelease> releases, servers_.releases());
  XACBE_ASSIGN_OR_RETURN(std::vector<SecurityServer> servers, servers_.list_servers());
  const TimePoint now = clock_.now();
  int sent = 0;
  Status first_failure;
  for (const SecurityServer& server : servers) {
    XACBE_ASSIGN_OR_RETURN(auto running, management::parse_version(server.software_version));
    // The newer release with the earliest deadline is the one the server breaks first.
    const SoftwareRelease* due = nullptr;
    TimePoint deadline;
    for (const SoftwareRelease& release : releases) {
      XACBE_ASSIGN_OR_RETURN(auto version, management::parse_version(release.version));
      if (!(running < version)) continue;
      const TimePoint d = update_deadline(release.published_at);
      if (due == nullptr || d < deadline) {
        due = &release;
        deadline = d;
      }
    }
    if (due == nullptr || now < deadline - settings_.reminder) continue;
    auto owner = membership_.member(server.id.owner());
    if (!owner) return owner.status();
    if (owner->state != MemberState::kActive && owner->state != MemberState::kTerminating) continue;
    auto done = send(server, *owner, *due, deadline, now < deadline ? Notice::kReminder : Notice::kOutdated);
    if (!done) {
      if (first_failure.is_ok()) first_failure = done.status();
    } else if (*done) {
      ++sent;
    }
  }
  if (!first_failure.is_ok()) return first_failure;
  return sent;
}

Result<bool> UpdateRule::send(const SecurityServer& server, const Member& owner, const SoftwareRelease& release,
                              TimePoint deadline, Notice notice) {
  const bool reminder = notice == Notice::kReminder;
  const std::string id = server.id.to_string();
  const std::string action = reminder ? "server.update-reminder" : "server.outdated";
  mail::Message message;
  message.to = {owner.liaison.email};
  message.message_id = notice_message_id(reminder ? "update-reminder" : "outdated", server.id, release.version, domain_);
  const std::string facts = "El servidor de seguridad " + id + " de " + owner.name + " ejecuta la versión " +
                            server.software_version + ". La versión " + release.version + " se publicó el " +
                            local_date(release.published_at) + "; el plazo para instalarla vence el " +
                            local_date(deadline) + " (dos meses después de su publicación).\n\n";
  const std::string consequence =
      settings_.leave_configuration
          ? "Mientras no informe una versión vigente, el servidor queda fuera de la configuración global y "
            "no intercambia mensajes con otros miembros.\n"
          : "El servidor figura como desactualizado en el registro central hasta que informe una versión "
            "vigente.\n";
  if (reminder) {
    message.subject = "Xacbe: actualice el servidor de seguridad " + id + " antes del " + local_date(deadline);
    message.body = facts + "Si no se actualiza antes de esa fecha: " + consequence;
  } else {
    message.subject = "Xacbe: el servidor de seguridad " + id + " está desactualizado";
    message.body = facts + "El plazo ha vencido. " + consequence;
  }
  const std::string detail = "to " + owner.liaison.email + ": runs " + server.software_version + ", release " +
                             release.version + " due " + to_iso8601_utc(deadline);
  Status refusal;
  {
    XACBE_ASSIGN_OR_RETURN(store::Transaction tx, store::Transaction::begin(db_));
    auto queued = outbox_.enqueue(db_, tx, message);
    if (queued) {
      XACBE_RETURN_IF_ERROR(membership_.audit().record("system", action, id, Status::ok(), detail));
      XACBE_RETURN_IF_ERROR(tx.commit());
      outbox_.notify();
      return true;
    }
    if (queued.status().code() == Code::kAlreadyExists) return false;  // sent before
    refusal = queued.status();
  }  // rolled back
  if (refused_.insert(message.message_id).second) {
    log::warn("the {} notice of server {} cannot be sent: {}", action, id, refusal.to_string());
    (void)membership_.audit().record("system", action, id, refusal);
  }
  return refusal;
}

}  // namespace xacbe::registry
