#pragma once
// What every Xacbe daemon shares: the "listen" and "log" sections of its configuration file, and
// running an HTTP server until SIGINT or SIGTERM.

#include <string>

#include "xacbe/config/config.hpp"
#include "xacbe/log/log.hpp"
#include "xacbe/net/http_server.hpp"
#include "xacbe/result.hpp"

namespace xacbe::service {

struct ServiceConfig {
  net::ServerOptions server;
  log::LogOptions log;
};

// Reads
//   "listen": {"address": "127.0.0.1", "port": 8080, "threads": 0, "body_limit": 1048576,
//              "idle_timeout_ms": 30000, "tls": {"certificate": "...pem", "key": "...key"}}
//   "log":    {"level": "info", "json": false, "file": ""}
// ("log" and everything but "listen.port" are optional).
Result<ServiceConfig> read_service_config(const config::Node& root, const std::string& component);

// Blocks SIGINT and SIGTERM in the calling thread (call before starting threads, so they inherit
// the mask) and later waits for one of them. Returns the signal number.
void block_termination_signals();
int wait_for_termination_signal();

// Starts the server with `handler`, logs where it listens, waits for a termination signal, stops.
// Returns the process exit code.
int serve(const ServiceConfig& config, net::HttpHandler handler, const std::string& what);

}  // namespace xacbe::service
