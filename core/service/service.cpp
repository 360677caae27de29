#include "xacbe/service/service.hpp"

#include <signal.h>

#include "xacbe/crypto/certificate.hpp"
#include "xacbe/crypto/key.hpp"

namespace xacbe::service {
namespace {

Result<net::TlsOptions> load_tls(const std::string& cert_path, const std::string& key_path) {
  net::TlsOptions options;
  XACBE_ASSIGN_OR_RETURN(auto certs, crypto::load_certificates(cert_path));
  XACBE_ASSIGN_OR_RETURN(auto key, crypto::PrivateKey::load(key_path));
  options.certificate = certs.front();
  options.chain.assign(certs.begin() + 1, certs.end());
  options.key = std::make_shared<const crypto::PrivateKey>(std::move(key));
  return options;
}

}  // namespace

Result<ServiceConfig> read_service_config(const config::Node& root, const std::string& component) {
  ServiceConfig out;
  XACBE_ASSIGN_OR_RETURN(config::Node listen, root.object("listen"));
  XACBE_ASSIGN_OR_RETURN(out.server.address, config::string_or(listen, "address", "127.0.0.1"));
  XACBE_ASSIGN_OR_RETURN(auto port, listen.integer("port", 0, 65535));
  out.server.port = static_cast<std::uint16_t>(port);
  XACBE_ASSIGN_OR_RETURN(auto threads, config::integer_or(listen, "threads", 0, 0, 256));
  out.server.threads = static_cast<unsigned>(threads);
  XACBE_ASSIGN_OR_RETURN(auto workers, config::integer_or(listen, "workers", 0, 0, 256));
  out.server.workers = static_cast<unsigned>(workers);
  XACBE_ASSIGN_OR_RETURN(auto max_queued, config::integer_or(listen, "max_queued", 10000, 1, 1000000));
  out.server.max_queued = static_cast<std::size_t>(max_queued);
  XACBE_ASSIGN_OR_RETURN(auto connections, config::integer_or(listen, "max_connections", 5000, 1, 1000000));
  out.server.max_connections = static_cast<std::size_t>(connections);
  XACBE_ASSIGN_OR_RETURN(auto body_limit, config::integer_or(listen, "body_limit", 1 << 20, 1024, 1 << 30));
  out.server.body_limit = static_cast<std::size_t>(body_limit);
  XACBE_ASSIGN_OR_RETURN(auto header_limit, config::integer_or(listen, "header_limit", 16384, 1024, 1 << 20));
  out.server.header_limit = static_cast<std::size_t>(header_limit);
  XACBE_ASSIGN_OR_RETURN(auto header_ms, config::integer_or(listen, "header_timeout_ms", 10000, 100, 3600000));
  out.server.header_timeout = std::chrono::milliseconds(header_ms);
  XACBE_ASSIGN_OR_RETURN(auto idle, config::integer_or(listen, "idle_timeout_ms", 30000, 100, 3600000));
  out.server.idle_timeout = std::chrono::milliseconds(idle);
  XACBE_ASSIGN_OR_RETURN(auto drain, config::integer_or(listen, "drain_timeout_ms", 10000, 0, 3600000));
  out.drain_timeout = std::chrono::milliseconds(drain);
  if (listen.has("tls")) {
    XACBE_ASSIGN_OR_RETURN(config::Node tls, listen.object("tls"));
    XACBE_ASSIGN_OR_RETURN(out.tls_certificate, tls.path("certificate"));
    XACBE_ASSIGN_OR_RETURN(out.tls_key, tls.path("key"));
    XACBE_ASSIGN_OR_RETURN(auto options, load_tls(out.tls_certificate, out.tls_key));
    XACBE_ASSIGN_OR_RETURN(out.server.tls, net::TlsContext::create_server(std::move(options)));
  }
  out.log.component = component;
  if (root.has("log")) {
    XACBE_ASSIGN_OR_RETURN(config::Node log_node, root.object("log"));
    XACBE_ASSIGN_OR_RETURN(std::string level, config::string_or(log_node, "level", "info"));
    if (!log::parse_level(level, out.log.level)) {
      return invalid_argument("'log.level' must be debug, info, warn or error");
    }
    XACBE_ASSIGN_OR_RETURN(out.log.json, config::boolean_or(log_node, "json", false));
    if (log_node.has("file")) {
      // Relative to the configuration file, like every other path.
      XACBE_ASSIGN_OR_RETURN(out.log.file, log_node.path("file"));
    }
  }
  return out;
}

namespace {
sigset_t service_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  return set;
}
}  // namespace

void block_termination_signals() {
  const sigset_t set = service_signals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

int wait_for_termination_signal(const std::function<void()>& on_hangup) {
  const sigset_t set = service_signals();
  int sig = 0;
  for (;;) {
    sigwait(&set, &sig);
    if (sig != SIGHUP) return sig;
    if (on_hangup) on_hangup();
  }
}

int serve(const ServiceConfig& config, net::HttpHandler handler, const std::string& what,
          const std::function<void()>& on_hangup) {
  block_termination_signals();
  auto server = net::HttpServer::start(config.server, std::move(handler));
  if (!server) {
    log::error("{}", server.status().to_string());
    return 1;
  }
  // Scripts and tests read this line to learn the port when "port" is 0.
  const std::string& address = config.server.address;
  log::info("{} listening on {}://{}:{}", what, config.server.tls ? "https" : "http",
            address.find(':') == std::string::npos ? address : "[" + address + "]", (*server)->port());
  // SIGHUP: the TLS certificate and key files are read again; connections opened from now on use
  // them, open ones finish on the old ones. A broken pair is refused and the old one kept.
  const int sig = wait_for_termination_signal([&config, &on_hangup] {
    if (config.server.tls) {
      auto options = load_tls(config.tls_certificate, config.tls_key);
      const Status reloaded = options ? config.server.tls->reload(std::move(options).value()) : options.status();
      if (reloaded.is_ok()) {
        log::info("SIGHUP: TLS certificate reloaded from {}", config.tls_certificate);
      } else {
        log::error("SIGHUP: TLS certificate not reloaded, the previous one stays: {}", reloaded.to_string());
      }
    } else if (!on_hangup) {
      log::warn("SIGHUP: no TLS certificate to reload");
    }
    if (on_hangup) on_hangup();
  });
  log::info("signal {} received: draining (at most {} ms)", sig, config.drain_timeout.count());
  const bool drained = (*server)->shutdown(config.drain_timeout);
  log::info("stopped{}", drained ? "" : " (drain deadline passed)");
  return 0;
}

}  // namespace xacbe::service
