#include "security_server.hpp"

#include <algorithm>

#include "audit/archive.hpp"
#include "admin/admin_routes.hpp"
#include "admin/operational_routes.hpp"
#include "admin/register_routes.hpp"
#include "admin/request_log.hpp"
#include "admin/service_admin.hpp"
#include "exchange/client_side.hpp"
#include "exchange/context.hpp"
#include "exchange/provider_side.hpp"
#include "monitoring/operational_log.hpp"
#include "register/timestamper.hpp"
#include "usage/usage_reporter.hpp"
#include "xacbe/api/json.hpp"
#include "xacbe/crypto/ocsp_cache.hpp"
#include "xacbe/crypto/tsa_client.hpp"
#include "xacbe/log/log.hpp"
#include "xacbe/net/http_server.hpp"

namespace xacbe::ss {

struct SecurityServer::Impl {
  Impl(Settings s, const Clock& c) : settings(std::move(s)), clock(c), peer_status(c), health(c) {}

  Settings settings;
  const Clock& clock;
  std::unique_ptr<globalconf::ConfigurationClient> configuration;
  std::optional<crypto::Certificate> auth_certificate;  // set by create()
  std::shared_ptr<const crypto::PrivateKey> auth_key;
  std::map<id::MemberId, SigningMember> signers;
  std::unique_ptr<QueryRegister> query_register;
  std::unique_ptr<crypto::TsaClient> tsa;
  std::unique_ptr<Timestamper> timestamper;
  PeerStatusCache peer_status;
  ProviderHealth health;
  std::shared_ptr<net::HttpClient> http;
  std::shared_ptr<net::TlsContext> peer_tls, provider_tls, client_tls;
  mutable std::mutex catalog_mu;
  std::shared_ptr<const ServiceCatalog> catalog;  // guarded by catalog_mu
  std::unique_ptr<ServiceAdmin> services;         // installs `catalog`
  std::unique_ptr<RegisterAccessLog> register_accesses;  // opened with the admin API
  std::unique_ptr<api::AdminApi> admin_api;       // null when no admin_listen
  AdminSources admin_sources;
  std::shared_ptr<net::TlsContext> admin_tls;
  ExchangeMetrics exchange_metrics;  // counted by both sides, read by GET /metrics
  std::unique_ptr<OperationalLog> operational_log;  // written by both sides; outlives them
  std::unique_ptr<ExchangeContext> context;
  std::unique_ptr<ClientSide> client_side;
  std::unique_ptr<ProviderSide> provider_side;
  std::unique_ptr<net::HttpServer> client_server, client_tls_server, provider_server, admin_server;

  std::shared_ptr<const std::string> kept_configuration;  // only refresh_configuration() touches it

  std::mutex refresh_state_mu;
  std::optional<TimePoint> last_refresh_at;  // guarded by refresh_state_mu
  Status last_refresh;                       // guarded by refresh_state_mu

  std::mutex ocsp_mu;
  std::shared_ptr<crypto::OcspCache> ocsp;  // guarded by ocsp_mu; made once a configuration names the responders

  std::mutex stop_mu;
  std::condition_variable stop_cv;
  bool stopping = false;  // guarded by stop_mu
  std::thread refresher;
  std::unique_ptr<Archiver> archiver;  // null without the "archive" setting
  std::thread archive_thread;
  std::thread operational_thread;  // the operational records' retention
  std::unique_ptr<UsageReporter> usage_reporter;  // null without the "usage_report" setting
  std::thread usage_thread;

  Result<crypto::OcspResponse> own_ocsp(const crypto::Certificate& cert) {
    std::shared_ptr<crypto::OcspCache> cache;
    {
      std::lock_guard lock(ocsp_mu);
      cache = ocsp;
    }
    if (!cache) return unavailable("no OCSP response yet: no global configuration has named the responders");
    return cache->response_for(cert);
  }

  // Makes the OCSP cache for this server's own certificates once a configuration names the
  // responders and their certificates.
  void ensure_ocsp(const globalconf::GlobalConfiguration& conf) {
    std::lock_guard lock(ocsp_mu);
    if (ocsp) return;
    const auto& ca = conf.content().ca;
    std::vector<crypto::OwnCertificate> own{{*auth_certificate, ca.certificate}};
    for (const auto& [member, s] : signers) own.push_back({s.certificate, ca.certificate});
    crypto::OcspCacheSettings s;
    s.responder_urls = ca.ocsp_urls;
    s.allowed_responders = ca.ocsp_responder_certificates;
    s.client.check.freshness = conf.settings().ocsp_freshness;
    // Refreshed well before the freshness limit, so a response in hand is always usable.
    s.refresh_interval = std::max(std::chrono::seconds(1), conf.settings().ocsp_freshness / 3);
    s.retry_initial = std::chrono::seconds(5);
    s.retry_max = std::chrono::seconds(60);
    auto cache = crypto::OcspCache::create(std::move(own), std::move(s), clock);
    if (!cache.is_ok()) {
      log::error("cannot set up OCSP for the own certificates: {}", cache.status().to_string());
      return;
    }
    ocsp = std::move(cache).value();
    ocsp->refresh_due();
    ocsp->start();
  }

  // The query register keeps every configuration put in use, so that an exported record carries
  // the one in force when it was signed (docs/protocol/evidence-container.md): a new version
  // before it is used (ConfigurationClient::set_before_use), the stored copy at start here.
  void keep_configuration_in_use() {
    std::shared_ptr<const std::string> in_use = configuration->current_signed();
    if (!in_use || in_use == kept_configuration) return;
    Status st = query_register->keep_configuration(*in_use);
    if (!st.is_ok()) {
      log::error("the query register could not keep the configuration in use: {}", st.to_string());
      return;
    }
    kept_configuration = std::move(in_use);
  }

  void refresh_configuration() {
    globalconf::ConfigurationFault fault;
    Status st = configuration->refresh(&fault);
    if (!st.is_ok()) log::warn("global configuration refresh failed: {}", st.to_string());
    {
      std::lock_guard lock(refresh_state_mu);
      last_refresh_at = clock.now();
      last_refresh = st;
    }
    keep_configuration_in_use();
    auto current = configuration->current();
    if (current.is_ok()) {
      ensure_ocsp(**current);
      if (timestamper) timestamper->set_interval((*current)->settings().timestamp_interval);
    }
  }

  ServerStatus status();
  std::vector<ClientStatus> clients() const;
  std::vector<OwnCertificate> certificates() const;
  Status open_admin_api();

  // Retention (audit/archive.hpp): a run every interval, the first one an interval after start.
  void archive_loop() {
    std::unique_lock lock(stop_mu);
    while (!stopping) {
      stop_cv.wait_for(lock, settings.archive->interval, [&] { return stopping; });
      if (stopping) break;
      lock.unlock();
      auto run = archiver->run_once();
      if (!run.is_ok()) {
        log::error("archive: {}", run.status().to_string());
      } else if (!run->written.empty() || run->records_deleted > 0 || !run->deferred.empty()) {
        log::info("archive: {} file(s) written, {} records and {} decisions archived, {} records left the live store{}",
                  run->written.size(), run->records_archived, run->decisions_archived, run->records_deleted,
                  run->deferred.empty() ? std::string() : "; waiting: " + run->deferred.front());
      }
      lock.lock();
    }
  }

  // The operational records' retention: a purge at start and every hour; what expires is the
  // Clock's business (OperationalLog::purge_expired), the hour only paces the runs.
  void operational_loop() {
    std::unique_lock lock(stop_mu);
    while (!stopping) {
      lock.unlock();
      auto purged = operational_log->purge_expired();
      if (!purged.is_ok()) {
        log::error("operational records: retention purge failed: {}", purged.status().to_string());
      } else if (*purged > 0) {
        log::info("operational records: {} past retention removed", *purged);
      }
      lock.lock();
      stop_cv.wait_for(lock, std::chrono::hours(1), [&] { return stopping; });
    }
  }

  // Usage statistics (usage/usage_reporter.hpp): a round every interval, the first one at start
  // when report_at_start is set, else an interval after start. A failed round is logged and
  // repeated at the next one.
  void usage_loop() {
    std::unique_lock lock(stop_mu);
    bool first = true;
    while (!stopping) {
      if (!first || !settings.usage_report->at_start) {
        stop_cv.wait_for(lock, settings.usage_report->interval, [&] { return stopping; });
        if (stopping) break;
      }
      first = false;
      lock.unlock();
      auto sent = usage_reporter->report_once();
      if (sent.is_ok()) {
        log::info("usage statistics: {} report-usage request(s) accepted by the registry", *sent);
      } else {
        log::warn("usage statistics not reported (tried again in {} s): {}", settings.usage_report->interval.count(),
                  sent.status().to_string());
      }
      lock.lock();
    }
  }

  void refresh_loop() {
    std::unique_lock lock(stop_mu);
    while (!stopping) {
      stop_cv.wait_for(lock, settings.globalconf_refresh, [&] { return stopping; });
      if (stopping) break;
      lock.unlock();
      refresh_configuration();
      lock.lock();
    }
  }
};

// The admin API's view of the server (admin/admin_routes.hpp).
Status SecurityServer::Impl::open_admin_api() {
  if (!settings.admin_listen) return Status::ok();
  if (!settings.admin_listen->tls.certificate.empty()) {
    net::TlsOptions tls;
    XACBE_ASSIGN_OR_RETURN(tls.certificate, crypto::Certificate::load(settings.admin_listen->tls.certificate));
    XACBE_ASSIGN_OR_RETURN(crypto::PrivateKey key, crypto::PrivateKey::load(settings.admin_listen->tls.key));
    tls.key = std::make_shared<const crypto::PrivateKey>(std::move(key));
    XACBE_ASSIGN_OR_RETURN(admin_tls, net::TlsContext::create_server(tls));
  }
  admin_sources.status = [this] { return status(); };
  admin_sources.certificates = [this] { return certificates(); };
  admin_sources.clients = [this] { return clients(); };
  admin_sources.decisions = [this](std::int64_t after, int limit) { return query_register->decisions(after, limit); };
  admin_sources.exchange_metrics = [this](metrics::TextWriter& out) {
    exchange_metrics.write(out);
    write_operational_metrics(out, operational_log->stats());
  };
  admin_api = std::make_unique<api::AdminApi>(settings.users, std::make_unique<AdminRequestLog>(clock));
  add_admin_routes(*admin_api, admin_sources, *services, clock);
  XACBE_ASSIGN_OR_RETURN(register_accesses, RegisterAccessLog::open(settings.admin_database, clock));
  add_register_routes(*admin_api, *query_register, *register_accesses, settings.register_readers);
  add_export_route(*admin_api, *query_register, *register_accesses, settings.register_readers, settings.id.to_string(),
                   clock);
  add_operational_routes(*admin_api, *operational_log, settings.register_readers);
  return Status::ok();
}

ServerStatus SecurityServer::Impl::status() {
  ServerStatus out;
  out.server_id = settings.id.to_string();
  auto& g = out.global_configuration;
  if (auto conf = configuration->current(); conf.is_ok()) {
    g.version = (*conf)->version();
    g.created_at = (*conf)->created_at();
    g.expires_at = (*conf)->expires_at();
    g.estamp_window = (*conf)->settings().estamp_window;
    out.tsa_url = (*conf)->content().tsa.url;
  } else {
    g.unavailable = conf.status().message();
  }
  g.stored_copy = configuration->stored_copy_status();
  {
    std::lock_guard lock(refresh_state_mu);
    g.last_refresh_at = last_refresh_at;
    g.last_refresh = last_refresh;
  }
  {
    std::lock_guard lock(ocsp_mu);
    if (ocsp) out.ocsp = ocsp->state();
  }
  out.register_stats = query_register->stats();
  out.admission_margin = settings.timestamp_margin;
  out.operational = operational_log->stats();
  const auto& address = settings.client_interface.server.address;
  if (client_server) out.listeners.push_back({"client", "http", address, client_server->port()});
  if (client_tls_server) out.listeners.push_back({"client-tls", "https", address, client_tls_server->port()});
  if (provider_server) {
    out.listeners.push_back({"provider", "https", settings.provider_address, provider_server->port()});
  }
  if (admin_server) {
    out.listeners.push_back({"admin", admin_tls ? "https" : "http", settings.admin_listen->address, admin_server->port()});
  }
  return out;
}

std::vector<OwnCertificate> SecurityServer::Impl::certificates() const {
  std::vector<OwnCertificate> out{{"authentication", std::nullopt, *auth_certificate}};
  for (const auto& [member, s] : signers) out.push_back({"signing", member, s.certificate});
  return out;
}

// A client is registered for this server when the configuration in use lists it among the
// clients of this server's entry.
std::vector<ClientStatus> SecurityServer::Impl::clients() const {
  auto conf = configuration->current();
  std::vector<ClientStatus> out;
  for (const auto& [client, c] : settings.clients) {
    ClientStatus status{client, c, std::nullopt};
    if (conf.is_ok()) {
      const auto servers = (*conf)->servers_for(client);
      status.registered = std::any_of(servers.begin(), servers.end(),
                                      [&](const globalconf::SecurityServer* s) { return s->id == settings.id; });
    }
    out.push_back(std::move(status));
  }
  return out;
}

SecurityServer::SecurityServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SecurityServer::~SecurityServer() { stop(std::chrono::milliseconds(0)); }

Result<std::unique_ptr<SecurityServer>> SecurityServer::create(Settings settings, const Clock& clock) {
  auto impl = std::make_unique<Impl>(std::move(settings), clock);
  Impl& m = *impl;
  const Settings& s = m.settings;
  XACBE_ASSIGN_OR_RETURN(auto anchor, globalconf::ConfigurationAnchor::load(s.anchor));
  XACBE_ASSIGN_OR_RETURN(m.auth_certificate, crypto::Certificate::load(s.auth.certificate));
  XACBE_ASSIGN_OR_RETURN(crypto::PrivateKey auth_key, crypto::PrivateKey::load(s.auth.key));
  m.auth_key = std::make_shared<const crypto::PrivateKey>(std::move(auth_key));
  for (const auto& [member, files] : s.signing) {
    XACBE_ASSIGN_OR_RETURN(crypto::Certificate cert, crypto::Certificate::load(files.certificate));
    XACBE_ASSIGN_OR_RETURN(crypto::PrivateKey key, crypto::PrivateKey::load(files.key));
    if (!signer_member_matches(cert, member.to_string())) {
      return invalid_argument("the signing certificate " + files.certificate + " is not " + member.to_string() + "'s");
    }
    XACBE_ASSIGN_OR_RETURN(auto signer, SoftwareSigner::create(std::move(key), cert));
    BatchSignerOptions options;
    options.batching = s.batch_signing;
    XACBE_ASSIGN_OR_RETURN(auto batch, BatchSigner::create(std::move(signer), options, clock));
    m.signers.emplace(member, SigningMember{cert, std::move(batch)});
  }
  XACBE_ASSIGN_OR_RETURN(m.configuration, globalconf::ConfigurationClient::open(anchor, s.globalconf_file, clock));
  if (!m.configuration->stored_copy_status().is_ok()) {
    log::warn("stored global configuration not used: {}", m.configuration->stored_copy_status().to_string());
  }
  RegisterOptions register_options;
  register_options.admission_margin = s.timestamp_margin;
  XACBE_ASSIGN_OR_RETURN(m.query_register, QueryRegister::open(s.register_file, clock, register_options));
  OperationalLogOptions operational;
  operational.max_queue = s.operational_queue_records;
  operational.retention = std::chrono::hours(24 * s.operational_retention_days);
  XACBE_ASSIGN_OR_RETURN(m.operational_log, OperationalLog::open(s.operational_database, clock, std::move(operational)));
  m.configuration->set_before_use(
      [reg = m.query_register.get()](const std::string& signed_bytes) { return reg->keep_configuration(signed_bytes); });
  XACBE_ASSIGN_OR_RETURN(auto store, ServiceStore::open(s.admin_database));
  XACBE_ASSIGN_OR_RETURN(m.services, ServiceAdmin::create(s.clients, s.services, s.rights, std::move(store),
                                                          [impl = &m](std::shared_ptr<const ServiceCatalog> c) {
                                                            std::lock_guard lock(impl->catalog_mu);
                                                            impl->catalog = std::move(c);
                                                          }));
  XACBE_RETURN_IF_ERROR(m.open_admin_api());
  m.http = net::HttpClient::create({.max_per_destination = 64, .idle_expiry = std::chrono::seconds(20), .threads = 1});

  net::TlsOptions peer;
  peer.certificate = *m.auth_certificate;
  peer.key = m.auth_key;
  peer.trusted = {anchor.ca_certificate()};
  XACBE_ASSIGN_OR_RETURN(m.peer_tls, net::TlsContext::create_client(peer));
  net::TlsOptions provider = peer;
  // Only peers whose certificate the configuration in use registers get past the handshake.
  provider.peer_check = [impl = &m](const crypto::Certificate& cert) -> Status {
    auto conf = impl->configuration->current();
    // Without a valid configuration the handler answers NO_GLOBAL_CONFIGURATION, a clearer answer
    // than a failed handshake; it forwards nothing.
    if (!conf.is_ok()) return Status::ok();
    if ((*conf)->server_with_auth_certificate(cert.sha256_fingerprint()) == nullptr) {
      return permission_denied("authentication certificate not registered");
    }
    return Status::ok();
  };
  XACBE_ASSIGN_OR_RETURN(m.provider_tls, net::TlsContext::create_server(provider));
  if (s.client_tls_port) {
    net::TlsOptions client_tls;
    XACBE_ASSIGN_OR_RETURN(client_tls.certificate, crypto::Certificate::load(s.client_tls.certificate));
    XACBE_ASSIGN_OR_RETURN(crypto::PrivateKey key, crypto::PrivateKey::load(s.client_tls.key));
    client_tls.key = std::make_shared<const crypto::PrivateKey>(std::move(key));
    client_tls.accept_unchained_client_certificate = true;
    XACBE_ASSIGN_OR_RETURN(m.client_tls, net::TlsContext::create_server(client_tls));
  }

  m.context.reset(new ExchangeContext{m.settings, clock, *m.configuration, *m.query_register, m.signers,
                                      *m.auth_certificate,
                                      [impl = &m](const crypto::Certificate& cert) { return impl->own_ocsp(cert); },
                                      m.peer_tls, m.http, m.peer_status, m.health,
                                      [impl = &m] {
                                        std::lock_guard lock(impl->catalog_mu);
                                        return impl->catalog;
                                      },
                                      &m.exchange_metrics});
  m.context->operational_log = m.operational_log.get();
  m.client_side = std::make_unique<ClientSide>(*m.context);
  m.provider_side = std::make_unique<ProviderSide>(*m.context);

  // The timestamper asks the TSA of the configuration in use.
  m.tsa = std::make_unique<crypto::TsaClient>(clock);
  TsaFunction tsa = tsa_client_function(*m.tsa, [impl = &m]() -> Result<TsaTarget> {
    auto conf = impl->configuration->current();
    if (!conf.is_ok()) return conf.status();
    const auto& c = (*conf)->content();
    return TsaTarget{c.tsa.url, c.tsa.certificate, {c.ca.certificate}};
  });
  TimestamperOptions timestamping;
  timestamping.max_retry = s.timestamp_retry_max;
  timestamping.first_retry = std::min(timestamping.first_retry, s.timestamp_retry_max);
  m.timestamper = std::make_unique<Timestamper>(*m.query_register, clock, std::move(tsa), timestamping);
  if (s.archive) {
    ArchiveOptions archive;
    archive.directory = s.archive->directory;
    archive.retention = s.archive->retention;
    archive.decision_retention = s.archive->decision_retention;
    archive.max_file_bytes = s.archive->max_file_bytes;
    archive.transfer_command = s.archive->transfer_command;
    archive.transfer_timeout = s.archive->transfer_timeout;
    for (const std::string& file : s.archive->encrypt_to) {
      XACBE_ASSIGN_OR_RETURN(crypto::Certificate auditor, crypto::Certificate::load(file));
      archive.encrypt_to.push_back(std::move(auditor));
    }
    archive.server = s.id.to_string();
    // The chain head's token comes from the TSA of the configuration in use, as the records'.
    TsaFunction archive_tsa = tsa_client_function(*m.tsa, [impl = &m]() -> Result<TsaTarget> {
      auto conf = impl->configuration->current();
      if (!conf.is_ok()) return conf.status();
      const auto& c = (*conf)->content();
      return TsaTarget{c.tsa.url, c.tsa.certificate, {c.ca.certificate}};
    });
    XACBE_ASSIGN_OR_RETURN(m.archiver, Archiver::create(*m.query_register, clock, std::move(archive_tsa),
                                                        EvidenceTrust{anchor.ca_certificate(), anchor}, std::move(archive)));
  }
  if (s.usage_report) {
    XACBE_ASSIGN_OR_RETURN(UsageReporter::Send send, registry_sender(s.usage_report->registry_url, s.usage_report->ca_file));
    XACBE_ASSIGN_OR_RETURN(m.usage_reporter, UsageReporter::create(*m.query_register, clock, s.id, m.auth_key,
                                                                   *m.auth_certificate, std::move(send),
                                                                   s.usage_report->state_file));
  }
  return std::unique_ptr<SecurityServer>(new SecurityServer(std::move(impl)));
}

Status SecurityServer::start() {
  Impl& m = *impl_;
  m.refresh_configuration();  // also sets the timestamp interval of the configuration in use
  m.timestamper->start();

  net::ServerOptions client = m.settings.client_interface.server;
  client.body_limit = m.settings.body_limit;
  // What the HTTP layer refuses by itself is answered as a fault too.
  // It ends the exchange: counted there, without a service or a duration.
  auto refusal = [metrics = &m.exchange_metrics](FaultSide side) {
    return [side, metrics](int status, const std::string& message) {
      const FaultCode code = status == 413 ? FaultCode::kBodyTooLarge
                             : status == 431 ? FaultCode::kHeadersTooLarge
                             : side == FaultSide::kClientRequest ? FaultCode::kMalformedRequest
                                                                 : FaultCode::kMalformedMessage;
      metrics->refused_unread(side == FaultSide::kClientRequest ? RecordSide::kClient : RecordSide::kProvider,
                              fault_code_name(code));
      return Fault::make(side, code, message).to_response();
    };
  };
  client.refusal = refusal(FaultSide::kClientRequest);
  XACBE_ASSIGN_OR_RETURN(m.client_server,
                         net::HttpServer::start(client, net::AsyncHttpHandler([side = m.client_side.get()](net::HttpRequest r) {
                                                  return side->handle(std::move(r), false);
                                                })));
  if (m.client_tls) {
    net::ServerOptions tls = client;
    tls.port = *m.settings.client_tls_port;
    tls.tls = m.client_tls;
    XACBE_ASSIGN_OR_RETURN(m.client_tls_server,
                           net::HttpServer::start(tls, net::AsyncHttpHandler([side = m.client_side.get()](net::HttpRequest r) {
                                                    return side->handle(std::move(r), true);
                                                  })));
  }
  net::ServerOptions provider = client;
  provider.address = m.settings.provider_address;
  provider.port = m.settings.provider_port;
  provider.tls = m.provider_tls;
  provider.body_limit = m.settings.body_limit;
  provider.header_limit = kMessageHeaderLimit;
  provider.refusal = refusal(FaultSide::kProviderSide);
  XACBE_ASSIGN_OR_RETURN(m.provider_server,
                         net::HttpServer::start(provider, net::AsyncHttpHandler([side = m.provider_side.get()](net::HttpRequest r) {
                                                  return side->handle(std::move(r));
                                                })));
  if (m.admin_api) {
    net::ServerOptions admin = client;
    admin.address = m.settings.admin_listen->address;
    admin.port = m.settings.admin_listen->port;
    admin.tls = m.admin_tls;
    admin.body_limit = 64 * 1024;
    admin.threads = 1;
    admin.workers = 1;  // the API runs one handler at a time anyway
    admin.refusal = api::http_refusal;
    XACBE_ASSIGN_OR_RETURN(m.admin_server, net::HttpServer::start(admin, net::HttpHandler([api = m.admin_api.get()](
                                                                                const net::HttpRequest& r) {
                                                                     return api->handle(r);
                                                                   })));
  }
  m.refresher = std::thread([&m] { m.refresh_loop(); });
  if (m.archiver) m.archive_thread = std::thread([&m] { m.archive_loop(); });
  m.operational_thread = std::thread([&m] { m.operational_loop(); });
  if (m.usage_reporter) m.usage_thread = std::thread([&m] { m.usage_loop(); });
  // One line, after every listener is up: tests and scripts wait for "listening on".
  log::info("security server {}: client interface listening on http://{}:{}{}; provider interface on https://{}:{}",
            m.settings.id.to_string(), client.address, m.client_server->port(),
            m.client_tls_server ? " (HTTPS on port " + std::to_string(m.client_tls_server->port()) + ")" : std::string(),
            provider.address, m.provider_server->port());
  if (m.admin_server) {
    log::info("security server {}: admin API listening on {}://{}:{}", m.settings.id.to_string(),
              m.admin_tls ? "https" : "http", m.settings.admin_listen->address, m.admin_server->port());
  }
  return Status::ok();
}

void SecurityServer::stop(std::chrono::milliseconds drain) {
  Impl& m = *impl_;
  {
    std::lock_guard lock(m.stop_mu);
    m.stopping = true;
  }
  m.stop_cv.notify_all();
  if (m.archiver) m.archiver->request_stop();  // a run in progress ends at its next file or batch
  if (m.refresher.joinable()) m.refresher.join();
  if (m.archive_thread.joinable()) m.archive_thread.join();
  if (m.operational_thread.joinable()) m.operational_thread.join();
  if (m.usage_thread.joinable()) m.usage_thread.join();
  for (auto* server : {&m.admin_server, &m.client_server, &m.client_tls_server, &m.provider_server}) {
    if (*server) (*server)->shutdown(drain);
  }
  if (m.timestamper) m.timestamper->stop();
  for (auto& [member, s] : m.signers) s.signer->stop();
  std::lock_guard lock(m.ocsp_mu);
  if (m.ocsp) m.ocsp->stop();
}

Status SecurityServer::reload_services(const Settings& settings) {
  XACBE_RETURN_IF_ERROR(impl_->services->reload_file(settings.services, settings.rights));
  log::info("services and access rights reloaded: {} services, {} rights in the file", settings.services.size(),
            settings.rights.size());
  return Status::ok();
}

std::uint16_t SecurityServer::client_port() const { return impl_->client_server ? impl_->client_server->port() : 0; }
std::uint16_t SecurityServer::client_tls_port() const {
  return impl_->client_tls_server ? impl_->client_tls_server->port() : 0;
}
std::uint16_t SecurityServer::provider_port() const {
  return impl_->provider_server ? impl_->provider_server->port() : 0;
}
std::uint16_t SecurityServer::admin_port() const { return impl_->admin_server ? impl_->admin_server->port() : 0; }

}  // namespace xacbe::ss
