// xacbe-central-registry: the CEIQROO's registry for one instance. Serves the admin API
// (docs/api/central-registry.openapi.yaml), including the security servers' signed management
// requests, runs the scheduled duties (terminations that take effect, the update rule's notices,
// the counts of aggregated refusals) every "schedule_seconds",
// and delivers notification mail through its outbox, retried with the "smtp" section's backoff.

#include <CLI/CLI.hpp>
#include <atomic>
#include <condition_variable>
#include <set>
#include <thread>

#include "routes.hpp"
#include "xacbe/ca/ca_directory.hpp"
#include "xacbe/config/config.hpp"
#include "mail/outbox.hpp"
#include "schema.hpp"
#include "signing_key_files.hpp"
#include "update_rule.hpp"
#include "xacbe/service/service.hpp"
#include "xacbe/store/database.hpp"

using namespace xacbe;

namespace {

struct RegistryConfig {
  service::ServiceConfig service;
  std::string instance, database, calendar, ca_directory;
  mail::SmtpSettings smtp;
  // The optional "globalconf" section: without it the registry publishes no global configuration.
  struct GlobalConf {
    registry::SigningKeyFiles signing;
    std::string ocsp_certificate, tsa_certificate;
    registry::PublisherSettings publisher;
  };
  std::optional<GlobalConf> globalconf;
  std::chrono::seconds mail_interval{10};
  mail::RetryPolicy mail_retry;
  bool auto_approve_csrs = false;
  registry::UpdateRuleSettings update_rule;
  std::vector<registry::ApiUser> users;
  std::chrono::seconds schedule{60};
  std::chrono::seconds usage_silent_after = registry::kDefaultSilentAfter;
};

Result<RegistryConfig> read_config(const std::string& path) {
  RegistryConfig out;
  XACBE_ASSIGN_OR_RETURN(config::Node root, config::Node::load(path));
  XACBE_ASSIGN_OR_RETURN(out.service, service::read_service_config(root, "central-registry"));
  XACBE_ASSIGN_OR_RETURN(config::Node node, root.object("registry"));
  XACBE_ASSIGN_OR_RETURN(out.instance, node.string("instance"));
  if (out.instance != "QROO" && out.instance != "QROO-TEST") {
    return invalid_argument(path + ": 'registry.instance' must be QROO or QROO-TEST");
  }
  XACBE_ASSIGN_OR_RETURN(out.database, node.path("database"));
  XACBE_ASSIGN_OR_RETURN(out.calendar, node.path("calendar"));
  XACBE_ASSIGN_OR_RETURN(out.ca_directory, node.path("ca_directory"));
  XACBE_ASSIGN_OR_RETURN(auto schedule, config::integer_or(node, "schedule_seconds", 60, 1, 86400));
  out.schedule = std::chrono::seconds(schedule);
  XACBE_ASSIGN_OR_RETURN(out.auto_approve_csrs, config::boolean_or(node, "auto_approve_csrs", false));
  // When a security server that sent no usage report for this long counts as silent.
  XACBE_ASSIGN_OR_RETURN(auto silent_after,
                         config::integer_or(node, "usage_silent_after_seconds", registry::kDefaultSilentAfter.count(),
                                            60, 31 * 86400));
  out.usage_silent_after = std::chrono::seconds(silent_after);
  if (node.has("update_rule")) {
    XACBE_ASSIGN_OR_RETURN(config::Node rule, node.object("update_rule"));
    XACBE_ASSIGN_OR_RETURN(auto reminder_days, config::integer_or(rule, "reminder_days", 14, 1, 60));
    out.update_rule.reminder = std::chrono::hours(24 * reminder_days);
    XACBE_ASSIGN_OR_RETURN(std::string past, config::string_or(rule, "past_deadline", "flag"));
    if (past != "flag" && past != "leave-configuration") {
      return invalid_argument(path + ": 'registry.update_rule.past_deadline' must be flag or leave-configuration");
    }
    out.update_rule.leave_configuration = past == "leave-configuration";
  }
  XACBE_ASSIGN_OR_RETURN(config::Node smtp, node.object("smtp"));
  XACBE_ASSIGN_OR_RETURN(out.smtp.url, smtp.string("url"));
  XACBE_ASSIGN_OR_RETURN(out.smtp.from, smtp.string("from"));
  XACBE_ASSIGN_OR_RETURN(out.smtp.from_name, config::string_or(smtp, "from_name", "CEIQROO"));
  XACBE_ASSIGN_OR_RETURN(out.smtp.username, config::string_or(smtp, "username", ""));
  XACBE_ASSIGN_OR_RETURN(out.smtp.password, config::string_or(smtp, "password", ""));
  XACBE_ASSIGN_OR_RETURN(out.smtp.require_starttls, config::boolean_or(smtp, "require_starttls", false));
  if (smtp.has("ca_file")) {
    XACBE_ASSIGN_OR_RETURN(out.smtp.ca_file, smtp.path("ca_file"));
  }
  XACBE_ASSIGN_OR_RETURN(auto interval, config::integer_or(smtp, "retry_check_seconds", 10, 1, 3600));
  out.mail_interval = std::chrono::seconds(interval);
  XACBE_ASSIGN_OR_RETURN(auto retry_initial, config::integer_or(smtp, "retry_initial_seconds", 30, 1, 86400));
  XACBE_ASSIGN_OR_RETURN(auto retry_max, config::integer_or(smtp, "retry_max_seconds", 3600, 1, 7 * 86400));
  if (retry_max < retry_initial) {
    return invalid_argument(path + ": 'registry.smtp.retry_max_seconds' must be at least retry_initial_seconds");
  }
  out.mail_retry = {std::chrono::seconds(retry_initial), std::chrono::seconds(retry_max)};
  if (node.has("globalconf")) {
    XACBE_ASSIGN_OR_RETURN(config::Node g, node.object("globalconf"));
    RegistryConfig::GlobalConf gc;
    XACBE_ASSIGN_OR_RETURN(gc.signing.current.key, g.path("signing_key"));
    XACBE_ASSIGN_OR_RETURN(gc.signing.current.certificate, g.path("signing_certificate"));
    // A change of the configuration-signing key (operator guide): the next key is announced in
    // the anchor first, and signs once active_signing_key says so.
    if (g.has("next_signing_key") || g.has("next_signing_certificate")) {
      registry::SigningKeyPaths next;
      XACBE_ASSIGN_OR_RETURN(next.key, g.path("next_signing_key"));
      XACBE_ASSIGN_OR_RETURN(next.certificate, g.path("next_signing_certificate"));
      gc.signing.next = std::move(next);
    }
    XACBE_ASSIGN_OR_RETURN(std::string active, config::string_or(g, "active_signing_key", "current"));
    if (active != "current" && active != "next") {
      return invalid_argument(path + ": 'registry.globalconf.active_signing_key' must be \"current\" or \"next\"");
    }
    if (active == "next" && !gc.signing.next) {
      return invalid_argument(path + ": 'registry.globalconf.active_signing_key' is \"next\" but there is no "
                              "'next_signing_key'");
    }
    gc.signing.sign_with_next = active == "next";
    XACBE_ASSIGN_OR_RETURN(gc.ocsp_certificate, g.path("ocsp_certificate"));
    XACBE_ASSIGN_OR_RETURN(gc.tsa_certificate, g.path("tsa_certificate"));
    auto& p = gc.publisher;
    p.instance = out.instance;
    XACBE_ASSIGN_OR_RETURN(p.download_url, g.string("download_url"));
    XACBE_ASSIGN_OR_RETURN(p.ocsp_urls, g.strings("ocsp_urls"));
    XACBE_ASSIGN_OR_RETURN(p.tsa_url, g.string("tsa_url"));
    XACBE_ASSIGN_OR_RETURN(auto hours, config::integer_or(g, "validity_hours", 24, 1, 24 * 31));
    p.validity = std::chrono::hours(hours);
    XACBE_ASSIGN_OR_RETURN(auto freshness, config::integer_or(g, "ocsp_freshness_seconds", 3600, 60, 8 * 3600));
    XACBE_ASSIGN_OR_RETURN(auto interval, config::integer_or(g, "timestamp_interval_seconds", 60, 1, 3600));
    p.settings.ocsp_freshness = std::chrono::seconds(freshness);
    p.settings.timestamp_interval = std::chrono::seconds(interval);
    p.leave_outdated_servers = out.update_rule.leave_configuration;
    out.globalconf = std::move(gc);
  }
  XACBE_ASSIGN_OR_RETURN(config::Node users, node.object("users"));
  XACBE_ASSIGN_OR_RETURN(out.users, api::read_users(users, path + ": 'registry.users"));
  if (out.users.empty()) return invalid_argument(path + ": 'registry.users' needs at least one user");
  XACBE_RETURN_IF_ERROR(root.check_all_used());
  return out;
}

// The responder certificates the document lists: one, or several while one replaces another (a PEM
// bundle), each issued by the CA, none twice. Security servers accept OCSP answers only from these.
Result<std::vector<crypto::Certificate>> read_ocsp_responder_certificates(const std::string& path,
                                                                          const crypto::Certificate& ca_cert) {
  constexpr std::size_t kMaxResponderCertificates = 8;
  XACBE_ASSIGN_OR_RETURN(std::vector<crypto::Certificate> certs, crypto::load_certificates(path));
  if (certs.size() > kMaxResponderCertificates) {
    return invalid_argument(path + ": " + std::to_string(certs.size()) + " certificates; at most " +
                            std::to_string(kMaxResponderCertificates) + " OCSP responder certificates are listed");
  }
  std::set<std::string> seen;
  for (std::size_t i = 0; i < certs.size(); ++i) {
    const std::string which = path + ": certificate " + std::to_string(i + 1) + " (" + certs[i].subject() + ")";
    if (!seen.insert(certs[i].der()).second) return invalid_argument(which + " is listed twice");
    if (Status issued = crypto::verify_chain(certs[i], {ca_cert}, {}, certs[i].not_before()); !issued) {
      return invalid_argument(which + " is not issued by the CA: " + issued.message());
    }
  }
  return certs;
}

// Says which key signs and what the anchor lists, so that the operator sees the stage of a key
// change in the log at every start.
void log_signing_stage(const registry::SigningKeys& keys) {
  const auto describe = [](const crypto::Certificate& c) {
    return c.subject() + " (serial " + c.serial_hex() + ", SHA-256 " + c.sha256_fingerprint() + ", until " +
           to_iso8601_utc(c.not_after()) + ")";
  };
  log::info("the global configuration is signed with {}", describe(keys.active.certificate));
  if (keys.next) {
    log::info("key change: the next configuration-signing certificate {} is announced in the anchor; once every "
              "security server has installed this anchor, set active_signing_key to \"next\"",
              describe(keys.next->certificate));
  }
  if (keys.previous) {
    log::info("key change: the next key signs; the previous configuration-signing certificate {} stays in the "
              "anchor until signing_key and signing_certificate name the next key's files and the next_* and "
              "active_signing_key settings are removed",
              describe(*keys.previous));
  }
}

// The configuration-signing keys (signing_key_files.hpp: made on first start, loaded afterwards)
// and what the document lists besides the registry's own data.
Result<std::unique_ptr<registry::ConfigurationPublisher>> open_publisher(
    const RegistryConfig& cfg, store::Database& db, const Clock& clock, registry::Membership& membership,
    registry::SecurityServers& servers, ca::CertificateAuthority& ca) {
  const auto& gc = *cfg.globalconf;
  XACBE_ASSIGN_OR_RETURN(registry::SigningKeys keys, registry::open_signing_keys(gc.signing, cfg.instance, ca));
  log_signing_stage(keys);
  registry::PublisherSettings settings = gc.publisher;
  XACBE_ASSIGN_OR_RETURN(settings.ocsp_responder_certificates,
                         read_ocsp_responder_certificates(gc.ocsp_certificate, ca.certificate()));
  XACBE_ASSIGN_OR_RETURN(crypto::Certificate tsa_cert, crypto::Certificate::load(gc.tsa_certificate));
  settings.tsa_certificate = tsa_cert;
  return registry::ConfigurationPublisher::create(db, clock, membership, servers, ca.certificate(), std::move(keys),
                                                  std::move(settings));
}

int fail(const Status& st) {
  log::error("{}", st.to_string());
  return 2;
}

int run(const std::string& config_path) {
  auto cfg = read_config(config_path);
  if (!cfg) return fail(cfg.status());
  log::init(cfg->service.log);
  SystemClock clock;
  auto calendar = calendar::BusinessCalendar::load(cfg->calendar);
  if (!calendar) return fail(calendar.status());
  auto ca = ca::open_ca_directory(cfg->ca_directory, clock);
  if (!ca) return fail(ca.status());
  auto db = store::Database::open(cfg->database);
  if (!db) return fail(db.status());
  if (Status st = registry::migrate_schema(**db); !st.is_ok()) return fail(st);
  registry::Membership membership(**db, clock, *calendar, cfg->instance, ca->get());
  // Finish any certificate step a crash interrupted before taking requests.
  if (Status st = membership.reconcile_certificates(); !st.is_ok()) log::warn("{}", st.to_string());
  // The outbox lives in the registry's file (its own tables), on its own connection.
  auto mail_db = store::Database::open(cfg->database);
  if (!mail_db) return fail(mail_db.status());
  auto outbox = mail::Outbox::create(std::move(mail_db).value(), cfg->smtp, clock, cfg->mail_retry);
  if (!outbox) return fail(outbox.status());
  auto notifications = registry::Notifications::create(**db, clock, *calendar, membership, **outbox, cfg->smtp.from);
  if (!notifications) return fail(notifications.status());
  // Mails of notifications stored before a crash but never enqueued.
  if (auto resumed = notifications->resume_pending_deliveries(); !resumed) {
    log::warn("{}", resumed.status().to_string());
  }
  mail::OutboxWorker mailer(**outbox, cfg->mail_interval);
  registry::SecurityServerSettings server_settings;
  server_settings.instance = cfg->instance;
  server_settings.auto_approve_csrs = cfg->auto_approve_csrs;
  registry::SecurityServers servers(**db, clock, membership, **ca, server_settings);
  registry::UpdateRule update_rule(**db, clock, membership, servers, **outbox, cfg->smtp.from, cfg->update_rule);
  registry::MemberRecords records(**db, clock, membership);
  registry::GlobalGroups groups(**db, clock, membership);
  registry::UsageStatistics usage(**db, clock, servers, {cfg->usage_silent_after});

  std::unique_ptr<registry::ConfigurationPublisher> publisher;
  if (cfg->globalconf) {
    auto opened = open_publisher(*cfg, **db, clock, membership, servers, **ca);
    if (!opened) return fail(opened.status());
    publisher = std::move(opened).value();
  }

  registry::AdminApi api(cfg->users, membership.audit());
  // Every answer is the API's JSON, the HTTP layer's refusals (413, 431, 400) included.
  cfg->service.server.refusal = api::http_refusal;
  registry::add_registry_routes(api, membership, records, groups, *notifications, servers, usage, publisher.get(),
                                cfg->instance, **db, clock);

  std::mutex mu;
  std::condition_variable wake;
  bool stopping = false;  // guarded by mu
  std::thread scheduler([&] {
    std::unique_lock lock(mu);
    while (!stopping) {
      lock.unlock();
      Status st = api.run_locked([&] { return membership.complete_due_terminations("scheduler").status(); });
      if (!st.is_ok()) log::error("scheduled duties: {}", st.to_string());
      (void)api.run_locked([&] { return membership.audit().flush_refusal_counts(); });
      st = api.run_locked([&] { return update_rule.notify_due().status(); });
      if (!st.is_ok()) log::warn("update rule: {}", st.to_string());
      lock.lock();
      wake.wait_for(lock, cfg->schedule, [&] { return stopping; });
    }
  });
  const int rc = service::serve(
      cfg->service, [&api](const net::HttpRequest& r) { return api.handle(r); },
      "central registry (" + cfg->instance + ")");
  {
    std::lock_guard lock(mu);
    stopping = true;
  }
  wake.notify_all();
  scheduler.join();
  (void)api.run_locked([&] { return membership.audit().flush_refusal_counts(/*all=*/true); });
  return rc;
}

}  // namespace

int main(int argc, char** argv) {
  service::block_termination_signals();  // before any thread starts
  CLI::App app{"Xacbe central registry (CEIQROO)"};
  std::string config_path;
  app.add_option("-c,--config", config_path, "configuration file (JSON)")->required();
  CLI11_PARSE(app, argc, argv);
  return run(config_path);
}
