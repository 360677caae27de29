#include "configuration_publisher.hpp"

#include <map>
#include <set>

#include "xacbe/crypto/encoding.hpp"
#include "xacbe/log/log.hpp"
#include "xacbe/store/database.hpp"

namespace xacbe::registry {
namespace {

using std::chrono::sys_seconds;

// How many of the newest unexpired versions the fallback tries against the anchor.
constexpr std::int64_t kFallbackVersionsTried = 16;

// What decides whether a new version is due: the document without its version and times.
Result<std::string> content_fingerprint(globalconf::ConfigurationContent content) {
  content.version = 1;
  content.created_at = sys_seconds{};
  content.expires_at = sys_seconds{std::chrono::seconds(1)};
  XACBE_ASSIGN_OR_RETURN(globalconf::GlobalConfiguration doc, globalconf::GlobalConfiguration::create(content));
  return crypto::to_hex(crypto::sha256(doc.to_json()));
}

}  // namespace

Result<std::unique_ptr<ConfigurationPublisher>> ConfigurationPublisher::create(
    store::Database& db, const Clock& clock, Membership& membership, SecurityServers& servers,
    crypto::Certificate ca_cert, crypto::PrivateKey signing_key, crypto::Certificate signing_cert,
    PublisherSettings settings) {
  return create(db, clock, membership, servers, std::move(ca_cert),
                SigningKeys{{std::move(signing_key), std::move(signing_cert)}, std::nullopt, std::nullopt},
                std::move(settings));
}

Result<std::unique_ptr<ConfigurationPublisher>> ConfigurationPublisher::create(
    store::Database& db, const Clock& clock, Membership& membership, SecurityServers& servers,
    crypto::Certificate ca_cert, SigningKeys keys, PublisherSettings settings) {
  if (!settings.tsa_certificate) return invalid_argument("the global configuration needs the TSA certificate");
  if (settings.ocsp_urls.empty()) return invalid_argument("the global configuration needs at least one OCSP URL");
  if (settings.validity < std::chrono::minutes(10)) return invalid_argument("configuration validity under 10 minutes");
  if (keys.next && keys.previous) {
    return invalid_argument("a configuration-signing key change has a next key or a previous certificate, not both");
  }
  // In the order of the change, so that the anchor stays the same file across the switch.
  std::vector<crypto::Certificate> listed;
  if (keys.previous) listed.push_back(*keys.previous);
  listed.push_back(keys.active.certificate);
  if (keys.next) listed.push_back(keys.next->certificate);
  XACBE_ASSIGN_OR_RETURN(globalconf::ConfigurationAnchor anchor,
                         globalconf::ConfigurationAnchor::create(settings.instance, settings.download_url, ca_cert,
                                                                 std::move(listed)));
  std::unique_ptr<ConfigurationPublisher> publisher(new ConfigurationPublisher(
      db, clock, membership, servers, std::move(anchor), std::move(keys), std::move(settings)));
  XACBE_RETURN_IF_ERROR(publisher->self_check());
  return publisher;
}

Status ConfigurationPublisher::check_signer(const ConfigurationSigner& signer, const char* role) {
  const TimePoint now = clock_.now();
  const crypto::Certificate& cert = signer.certificate;
  if (is_before(now, cert.not_before()) || is_after(now, cert.not_after())) {
    return failed_precondition(std::string("the ") + role + " configuration-signing certificate is outside its " +
                               "validity (" + to_iso8601_utc(cert.not_before()) + " to " +
                               to_iso8601_utc(cert.not_after()) + ")");
  }
  if (is_after(now + settings_.validity, cert.not_after())) {
    return failed_precondition(std::string("the ") + role + " configuration-signing certificate expires " +
                               to_iso8601_utc(cert.not_after()) + ", before a document published now would; renew it");
  }
  return Status::ok();
}

Status ConfigurationPublisher::self_check() {
  // Settings the document rules refuse (URLs, OCSP freshness + timestamp interval beyond the
  // eight-hour window), a key that does not match its certificate, or a signing certificate out of
  // validity must stop the start-up, not surface as refused downloads later. The next key too:
  // its certificate goes out in the anchor now, and it must be able to sign when switched to.
  XACBE_RETURN_IF_ERROR(check_signer(keys_.active, keys_.previous ? "active (next)" : "active"));
  if (keys_.next) XACBE_RETURN_IF_ERROR(check_signer(*keys_.next, "next"));
  const TimePoint now = clock_.now();
  XACBE_ASSIGN_OR_RETURN(globalconf::ConfigurationContent content, gather());
  // The trial checks the settings and keys, not the stored members, servers and groups: a value
  // an older registry let in must not keep the registry from starting; current() serves the last
  // valid version while it cannot be published.
  content.members.clear();
  content.subsystems.clear();
  content.security_servers.clear();
  content.global_groups.clear();
  content.access_levels = {};
  content.version = 1;
  content.created_at = std::chrono::floor<std::chrono::seconds>(now);
  content.expires_at = content.created_at + settings_.validity;
  auto doc = globalconf::GlobalConfiguration::create(content);
  if (!doc) return Status(doc.status().code(), "global configuration settings: " + doc.status().message());
  std::vector<std::pair<const ConfigurationSigner*, const char*>> trials = {{&keys_.active, "active"}};
  if (keys_.next) trials.emplace_back(&*keys_.next, "next");
  for (const auto& [signer, role] : trials) {
    auto signed_form = globalconf::sign_configuration(*doc, signer->key, signer->certificate);
    auto verified = signed_form ? globalconf::verify(*signed_form, anchor_, clock_, 0)
                                : Result<globalconf::GlobalConfiguration>(signed_form.status());
    if (!verified) {
      return Status(verified.status().code(), std::string("a trial configuration signed with the ") + role +
                                                  " key does not verify: " + verified.status().message());
    }
  }
  return Status::ok();
}

ConfigurationPublisher::ConfigurationPublisher(store::Database& db, const Clock& clock, Membership& membership,
                                               SecurityServers& servers, globalconf::ConfigurationAnchor anchor,
                                               SigningKeys keys, PublisherSettings settings)
    : db_(db), clock_(clock), membership_(membership), records_(db, clock, membership),
      groups_(db, clock, membership), levels_(db, clock, membership), servers_(servers), anchor_(std::move(anchor)),
      keys_(std::move(keys)), settings_(std::move(settings)) {}

std::string ConfigurationPublisher::anchor_json() const { return anchor_.to_json(); }

Result<globalconf::ConfigurationContent> ConfigurationPublisher::gather() {
  globalconf::ConfigurationContent c{settings_.instance, 0, {}, {}, {}, {}, {},
                                     {anchor_.ca_certificate(), settings_.ocsp_urls,
                                      settings_.ocsp_responder_certificates},
                                     {settings_.tsa_url, *settings_.tsa_certificate}, {}, settings_.settings};
  std::set<id::MemberId> listed;
  XACBE_ASSIGN_OR_RETURN(std::vector<Member> members, membership_.members());
  for (const auto& m : members) {
    // Suspended and terminated members drop out; a terminating one stays until its date.
    if (m.state != MemberState::kActive && m.state != MemberState::kTerminating) continue;
    c.members.push_back({m.id, m.name});
    listed.insert(m.id);
  }
  // Current subsystems of listed members; a member's servers carry its subsystems' exchanges.
  std::map<id::MemberId, std::vector<id::SubsystemId>> subsystems_of;
  XACBE_ASSIGN_OR_RETURN(std::vector<id::SubsystemId> subsystems, records_.current_subsystems());
  for (const auto& sub : subsystems) {
    if (!listed.count(sub.member())) continue;
    c.subsystems.push_back({sub});
    subsystems_of[sub.member()].push_back(sub);
  }
  std::set<id::ClientId> in_document(listed.begin(), listed.end());
  for (const auto& sub : c.subsystems) in_document.insert(sub.id);
  XACBE_ASSIGN_OR_RETURN(std::vector<SecurityServer> servers, servers_.list_servers());
  for (const auto& s : servers) {
    if (!listed.count(s.id.owner()) || s.auth_certificate_sha256.empty()) continue;
    if (s.outdated && settings_.leave_outdated_servers) continue;
    std::vector<id::ClientId> clients{id::ClientId(s.id.owner())};
    for (const auto& sub : subsystems_of[s.id.owner()]) clients.emplace_back(sub);
    // A shared server's clients of other members, while the document lists them: a suspended or
    // terminated member, or a removed subsystem, drops out here as the owner's own would.
    for (const auto& registered : s.registered_clients) {
      if (in_document.count(registered.client)) clients.push_back(registered.client);
    }
    c.security_servers.push_back({s.id, s.address, std::move(clients), s.auth_certificate_sha256});
  }
  // Every group, with those of its clients this document lists (a suspended member, or a removed
  // subsystem, leaves its groups here while its registry record stays).
  XACBE_ASSIGN_OR_RETURN(std::vector<GlobalGroupRecord> groups, groups_.list());
  for (const auto& g : groups) {
    globalconf::GlobalGroup group{g.code, {}};
    for (const auto& m : g.members) {
      if (in_document.count(m.client)) group.members.push_back(m.client);
    }
    c.global_groups.push_back(std::move(group));
  }
  // The whole list, and the levels of the clients this document lists (in identifier order): a
  // suspended member's level is kept by the registry and published again when it is reactivated.
  XACBE_ASSIGN_OR_RETURN(std::vector<AccessLevelDefinition> levels, levels_.levels());
  for (auto& l : levels) c.access_levels.levels.push_back({std::move(l.code), std::move(l.name)});
  XACBE_ASSIGN_OR_RETURN(std::vector<AccessLevelAssignment> assigned, levels_.assignments());
  for (auto& a : assigned) {
    if (in_document.count(a.client)) c.access_levels.assignments.push_back({a.client, std::move(a.level)});
  }
  return c;
}

Result<std::string> ConfigurationPublisher::current() {
  Result<std::string> published = publish_if_due();
  if (published) {
    last_failure_.clear();
    return published;
  }
  // Servers keep getting the last valid version while it lasts; the failure is logged and audited
  // once for as long as it stays the same.
  const Status failure = published.status();
  if (failure.message() != last_failure_) {
    last_failure_ = failure.message();
    log::error("the global configuration could not be published; the last valid version is served: {}",
               failure.to_string());
    (void)membership_.audit().record("system", "globalconf.publish", settings_.instance, failure);
  }
  // Only a version the anchor accepts: after a key change, one signed with a key the anchor no
  // longer lists would be refused by every server holding the new anchor.
  XACBE_ASSIGN_OR_RETURN(store::Statement last,
                         db_.prepare("SELECT signed FROM globalconf_publication WHERE expires_at > ?1"
                                     " ORDER BY version DESC LIMIT ?2"));
  last.bind(1, to_unix_seconds(clock_.now())).bind(2, kFallbackVersionsTried);
  for (;;) {
    XACBE_ASSIGN_OR_RETURN(bool found, last.step());
    if (!found) break;
    std::string signed_form = last.column_text(0);
    if (globalconf::verify(signed_form, anchor_, clock_, 0)) return signed_form;
  }
  return unavailable("no valid global configuration can be served: " + failure.message());
}

bool ConfigurationPublisher::signed_by_active_key(std::int64_t version, const std::string& signed_form) {
  if (version != signer_checked_version_) {
    auto signer = globalconf::embedded_signer(signed_form);
    signer_checked_version_ = version;
    signer_checked_active_ = signer && signer->der() == keys_.active.certificate.der();
  }
  return signer_checked_active_;
}

Result<std::string> ConfigurationPublisher::publish_if_due() {
  XACBE_ASSIGN_OR_RETURN(globalconf::ConfigurationContent content, gather());
  XACBE_ASSIGN_OR_RETURN(std::string fingerprint, content_fingerprint(content));
  const sys_seconds now = std::chrono::floor<std::chrono::seconds>(clock_.now());

  std::int64_t last_version = 0;
  {
    XACBE_ASSIGN_OR_RETURN(store::Statement last,
                           db_.prepare("SELECT version, created_at, content_sha256, signed FROM globalconf_publication"
                                       " ORDER BY version DESC LIMIT 1"));
    XACBE_ASSIGN_OR_RETURN(bool found, last.step());
    if (found) {
      last_version = last.column_int64(0);
      const sys_seconds created{std::chrono::seconds(last.column_int64(1))};
      const bool fresh = now >= created && now < created + settings_.validity / 2;
      // After a switch of keys the next download gets a version signed with the new key.
      std::string signed_form = last.column_text(3);
      if (fresh && last.column_text(2) == fingerprint && signed_by_active_key(last_version, signed_form)) {
        return signed_form;
      }
    }
  }
  content.version = static_cast<std::uint64_t>(last_version + 1);
  content.created_at = now;
  content.expires_at = now + settings_.validity;
  XACBE_ASSIGN_OR_RETURN(globalconf::GlobalConfiguration doc, globalconf::GlobalConfiguration::create(content));
  XACBE_ASSIGN_OR_RETURN(std::string signed_form,
                         globalconf::sign_configuration(doc, keys_.active.key, keys_.active.certificate));
  // The publication and its audit entry commit together. A failed publication is not audited
  // (it changed nothing, and the next download tries again).
  XACBE_ASSIGN_OR_RETURN(store::Transaction tx, store::Transaction::begin(db_));
  XACBE_ASSIGN_OR_RETURN(store::Statement insert,
                         db_.prepare("INSERT INTO globalconf_publication(version, created_at, expires_at,"
                                     " content_sha256, signed) VALUES(?1,?2,?3,?4,?5)"));
  insert.bind(1, static_cast<std::int64_t>(content.version)).bind(2, now.time_since_epoch().count());
  insert.bind(3, content.expires_at.time_since_epoch().count()).bind(4, fingerprint).bind(5, signed_form);
  XACBE_RETURN_IF_ERROR(insert.run());
  XACBE_RETURN_IF_ERROR(membership_.audit().record(
      "system", "globalconf.publish", settings_.instance + " v" + std::to_string(content.version), Status::ok(),
      std::to_string(content.members.size()) + " members, " + std::to_string(content.subsystems.size()) +
          " subsystems, " + std::to_string(content.security_servers.size()) + " servers, " +
          std::to_string(content.global_groups.size()) + " global groups, " +
          std::to_string(content.access_levels.levels.size()) + " access levels"));
  XACBE_RETURN_IF_ERROR(tx.commit());
  signer_checked_version_ = static_cast<std::int64_t>(content.version);
  signer_checked_active_ = true;
  return signed_form;
}

}  // namespace xacbe::registry
