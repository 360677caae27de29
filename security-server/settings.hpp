#pragma once
// The security server's configuration file (docs/operator-guide.md "Security server"): the shared
// "listen" (the client interface, plain HTTP) and "log" sections, and a "security_server" section
// with its identity, keys, the provider interface, its clients, services and access rights.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "access/service_catalog.hpp"
#include "usage/usage_report_settings.hpp"
#include "xacbe/api/admin_api.hpp"
#include "xacbe/id/identifiers.hpp"
#include "xacbe/result.hpp"
#include "xacbe/service/service.hpp"

namespace xacbe::ss {

// How an information system of a client must connect to the client interface.
enum class ConnectionMode {
  kHttp,              // "http": plain HTTP, for a trusted network
  kHttps,             // "https": HTTPS without a client certificate
  kHttpsCertificate,  // "https-certificate": HTTPS with one of the client's registered certificates
};

struct ClientSettings {
  ConnectionMode connection = ConnectionMode::kHttpsCertificate;
  std::vector<std::string> certificates;  // SHA-256 fingerprints (lower-case hex) of the IS certificates
  bool log_body = true;                   // false: the register keeps the body's digest only
  bool timestamp_at_once = false;         // timestamp this client's records without waiting for the batch
};

struct KeyFiles {
  std::string key, certificate;
};

struct Settings {
  Settings(service::ServiceConfig client_interface_, id::SecurityServerId id_)
      : client_interface(std::move(client_interface_)), id(std::move(id_)) {}

  service::ServiceConfig client_interface;  // "listen" (plain HTTP) and "log"
  id::SecurityServerId id;
  std::string anchor;           // the configuration anchor file
  std::string globalconf_file;  // where the last valid global configuration is kept
  std::chrono::seconds globalconf_refresh{60};
  std::string register_file;
  KeyFiles auth;
  std::map<id::MemberId, KeyFiles> signing;  // per member whose messages this server signs
  // The provider interface: mutual TLS with the authentication certificate.
  std::string provider_address = "127.0.0.1";
  std::uint16_t provider_port = 5500;
  // The client interface over HTTPS, when configured: its port and TLS certificate files.
  std::optional<std::uint16_t> client_tls_port;
  KeyFiles client_tls;
  std::size_t body_limit = 10 * 1024 * 1024;
  bool batch_signing = true;
  std::chrono::seconds replay_window{600};  // signing time at most this old (and ids kept longer)
  std::chrono::seconds timestamp_margin{900};
  std::chrono::seconds timestamp_retry_max{60};  // longest wait between attempts while the TSA fails
  std::map<id::ClientId, ClientSettings> clients;
  std::vector<ServiceDefinition> services;
  std::vector<AccessRight> rights;
  // The admin API (docs/api/security-server.openapi.yaml): its listener, plain HTTP on loopback
  // unless admin_tls is set; absent ("admin_listen" not in the file): no admin API.
  struct AdminListen {
    std::string address = "127.0.0.1";
    std::uint16_t port = 0;
    KeyFiles tls;  // empty: plain HTTP
  };
  std::optional<AdminListen> admin_listen;
  std::vector<api::ApiUser> users;
  // The users designated to read the query register's message records, each for the members named
  // (members of this server's clients): "register_readers" {"<user>": ["<member id>", ...]}. No
  // one else reads them, administrators included.
  std::map<std::string, std::vector<id::MemberId>> register_readers;
  // The services and access rights added through the admin API; default "server.db" beside the register.
  std::string admin_database;
  // The operational records (docs/operator-guide.md "Operational records"): their store, default
  // "operational.db" beside the register; the days they are kept; the records that may wait for
  // the writer before further ones are dropped and counted.
  std::string operational_database;
  int operational_retention_days = 7;
  std::size_t operational_queue_records = 10000;
  // Retention and archives of the query register (docs/operator-guide.md "Archives"); absent
  // ("archive" not in the file): records and decisions stay in the live store.
  struct Archive {
    std::string directory;
    std::chrono::seconds retention{std::chrono::hours(24 * 30)};
    std::chrono::seconds decision_retention{std::chrono::hours(24 * 180)};
    std::size_t max_file_bytes = std::size_t{64} << 20;
    std::vector<std::string> transfer_command;  // argv; the file's path is added as the last argument
    std::chrono::seconds transfer_timeout{600};  // then the command is stopped and tried again next run
    std::vector<std::string> encrypt_to;        // auditors' certificate files
    std::chrono::seconds interval{3600};
  };
  std::optional<Archive> archive;
  // Usage statistics reported to the central registry; absent ("usage_report" not in the file): none.
  std::optional<UsageReportSettings> usage_report;
};

// The one rule for services and access rights, wherever they come from (the file, SIGHUP, the admin
// API): ServiceCatalog::create's, and every service's subsystem is one of `clients`.
Result<ServiceCatalog> make_catalog(const std::map<id::ClientId, ClientSettings>& clients,
                                    std::vector<ServiceDefinition> services, std::vector<AccessRight> rights);

// Reads and checks the whole file; kInvalidArgument names the key at fault. A server that carries
// clients of more than one member (a shared server) must have every client in https-certificate
// mode, so that no member can speak as another.
Result<Settings> read_settings(const std::string& path);

}  // namespace xacbe::ss
