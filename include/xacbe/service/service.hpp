#pragma once
// What every Xacbe daemon shares: the "listen" and "log" sections of its configuration file, and
// running an HTTP server until SIGINT or SIGTERM, then draining it.

#include <chrono>
#include <functional>
#include <string>

#include "xacbe/config/config.hpp"
#include "xacbe/log/log.hpp"
#include "xacbe/net/http_server.hpp"
#include "xacbe/result.hpp"

namespace xacbe::service {

struct ServiceConfig {
  net::ServerOptions server;
  log::LogOptions log;
  std::chrono::milliseconds drain_timeout = std::chrono::seconds(10);
  std::string tls_certificate, tls_key;  // files of listen.tls, read again on SIGHUP
};

// Reads
//   "listen": {"address": "127.0.0.1", "port": 8080, "threads": 0, "workers": 0, "max_queued": 10000,
//              "max_connections": 5000, "body_limit": 1048576, "header_limit": 16384,
//              "header_timeout_ms": 10000, "idle_timeout_ms": 30000, "drain_timeout_ms": 10000,
//              "tls": {"certificate": "...pem", "key": "...key"}}
//   "log":    {"level": "info", "json": false, "file": ""}
// ("log" and everything but "listen.port" are optional; docs/operator-guide.md has each key).
Result<ServiceConfig> read_service_config(const config::Node& root, const std::string& component);

// Blocks SIGINT, SIGTERM and SIGHUP in the calling thread. Every daemon calls it first thing in main(),
// before any thread starts, so that every thread inherits the mask and the signal waits for
// wait_for_termination_signal() instead of killing the process.
void block_termination_signals();
// Returns the number of the SIGINT or SIGTERM that came; a SIGHUP calls `on_hangup` (when given)
// and waits on.
int wait_for_termination_signal(const std::function<void()>& on_hangup = {});

// Starts the server with `handler` (run on the server's worker pool), logs where it listens, waits
// for a termination signal, then drains: no new connections, requests in flight answered up to
// `drain_timeout`, TLS closed with close_notify. Returns the process exit code (0 after a signal).
// SIGHUP reloads the TLS certificate and key from their files without a restart, then calls
// `on_hangup` (when given) for what the service reads again itself (the OCSP responder's key).
int serve(const ServiceConfig& config, net::HttpHandler handler, const std::string& what,
          const std::function<void()>& on_hangup = {});

}  // namespace xacbe::service
