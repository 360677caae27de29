#include "settings.hpp"

#include <algorithm>
#include <filesystem>
#include <set>

#include "xacbe/config/config.hpp"

namespace xacbe::ss {
namespace {

Result<KeyFiles> key_files(const config::Node& node) {
  KeyFiles out;
  XACBE_ASSIGN_OR_RETURN(out.key, node.path("key"));
  XACBE_ASSIGN_OR_RETURN(out.certificate, node.path("certificate"));
  return out;
}

Result<ClientSettings> read_client(const config::Node& node) {
  ClientSettings c;
  XACBE_ASSIGN_OR_RETURN(std::string mode, node.string("connection"));
  if (mode == "http") {
    c.connection = ConnectionMode::kHttp;
  } else if (mode == "https") {
    c.connection = ConnectionMode::kHttps;
  } else if (mode == "https-certificate") {
    c.connection = ConnectionMode::kHttpsCertificate;
  } else {
    return invalid_argument("connection must be http, https or https-certificate");
  }
  if (node.has("certificates")) {
    XACBE_ASSIGN_OR_RETURN(c.certificates, node.strings("certificates"));
  }
  for (const auto& fp : c.certificates) {
    if (fp.size() != 64 || fp.find_first_not_of("0123456789abcdef") != std::string::npos) {
      return invalid_argument("certificates must be lower-case hex SHA-256 fingerprints");
    }
  }
  if (c.connection == ConnectionMode::kHttpsCertificate && c.certificates.empty()) {
    return invalid_argument("https-certificate needs at least one certificate fingerprint");
  }
  XACBE_ASSIGN_OR_RETURN(c.log_body, config::boolean_or(node, "log_body", true));
  XACBE_ASSIGN_OR_RETURN(c.timestamp_at_once, config::boolean_or(node, "timestamp_at_once", false));
  return c;
}

Status read_services(const config::Node& node, Settings& out) {
  for (const auto& name : node.keys()) {
    auto service = id::ServiceId::parse(name);
    if (!service.is_ok()) return invalid_argument("services: " + service.status().message());
    XACBE_ASSIGN_OR_RETURN(config::Node s, node.object(name));
    ServiceDefinition d{std::move(service).value(), {}, true, std::chrono::milliseconds(30000), {}};
    XACBE_ASSIGN_OR_RETURN(d.url, s.string("url"));
    XACBE_ASSIGN_OR_RETURN(d.enabled, config::boolean_or(s, "enabled", true));
    XACBE_ASSIGN_OR_RETURN(auto timeout, config::integer_or(s, "timeout_ms", 30000, 1, 600000));
    d.timeout = std::chrono::milliseconds(timeout);
    XACBE_ASSIGN_OR_RETURN(const std::string protocol, config::string_or(s, "protocol", "rest"));
    const auto parsed_protocol = parse_service_protocol(protocol);
    if (!parsed_protocol) return invalid_argument("services." + name + ".protocol must be \"rest\" or \"soap\"");
    d.protocol = *parsed_protocol;
    if (s.has("description_url")) {
      XACBE_ASSIGN_OR_RETURN(d.description_url, s.string("description_url"));
    }
    XACBE_ASSIGN_OR_RETURN(d.minimum_level, config::string_or(s, "minimum_level", ""));
    if (s.has("minimum_level") && d.minimum_level.empty()) {
      return invalid_argument("services." + name + ".minimum_level: must not be empty (leave it out for none)");
    }
    if (s.has("endpoints")) {
      XACBE_ASSIGN_OR_RETURN(auto endpoints, s.strings("endpoints"));
      for (const auto& e : endpoints) {
        auto endpoint = parse_endpoint(e);
        if (!endpoint.is_ok()) return invalid_argument("services." + name + ": " + endpoint.status().message());
        d.endpoints.push_back(std::move(endpoint).value());
      }
    }
    if (s.has("access")) {
      XACBE_ASSIGN_OR_RETURN(auto access, s.strings("access"));
      for (const auto& a : access) {
        // "SUBJECT", "SUBJECT METHOD /path", either followed by " for PARTY" (a member id or "*")
        std::string grant = a;
        AccessRight r{d.service, grant, std::nullopt, {}};
        if (const auto f = grant.rfind(" for "); f != std::string::npos) {
          r.represented_party = grant.substr(f + 5);
          if (r.represented_party.empty()) {
            return invalid_argument("services." + name + ".access: 'for' needs a represented party ('*' or a member id)");
          }
          grant.resize(f);
          r.subject = grant;
        }
        if (const auto space = grant.find(' '); space != std::string::npos) {
          r.subject = grant.substr(0, space);
          auto endpoint = parse_endpoint(grant.substr(space + 1));
          if (!endpoint.is_ok()) return invalid_argument("services." + name + ".access: " + endpoint.status().message());
          r.endpoint = std::move(endpoint).value();
        }
        out.rights.push_back(std::move(r));
      }
    }
    out.services.push_back(std::move(d));
  }
  return Status::ok();
}

// "register_readers": every name a configured user, every member one of the clients' members.
Result<std::map<std::string, std::vector<id::MemberId>>> read_register_readers(const config::Node& node,
                                                                             const Settings& settings) {
  std::set<id::MemberId> hosted;
  for (const auto& [client, c] : settings.clients) hosted.insert(client.member());
  std::map<std::string, std::vector<id::MemberId>> out;
  for (const auto& name : node.keys()) {
    const std::string key = "'security_server.register_readers." + name + "'";
    const auto& users = settings.users;
    if (std::none_of(users.begin(), users.end(), [&](const api::ApiUser& u) { return u.name == name; })) {
      return invalid_argument(key + " is not one of security_server.users");
    }
    XACBE_ASSIGN_OR_RETURN(auto members, node.strings(name));
    if (members.empty()) return invalid_argument(key + " names no member");
    std::vector<id::MemberId>& readable = out[name];
    for (const auto& text : members) {
      auto member = id::MemberId::parse(text);
      if (!member.is_ok()) return invalid_argument(key + ": " + member.status().message());
      if (hosted.count(*member) == 0) {
        return invalid_argument(key + ": " + text + " is not the member of a client of this server");
      }
      if (std::find(readable.begin(), readable.end(), *member) == readable.end()) readable.push_back(*member);
    }
  }
  return out;
}

Result<Settings::Archive> read_archive(const config::Node& node, const std::string& base_dir) {
  Settings::Archive a;
  XACBE_ASSIGN_OR_RETURN(a.directory, node.path("directory"));
  XACBE_ASSIGN_OR_RETURN(auto days, config::integer_or(node, "retention_days", 30, 1, 36500));
  a.retention = std::chrono::hours(24 * days);
  XACBE_ASSIGN_OR_RETURN(auto decision_days, config::integer_or(node, "decision_retention_days", 180, 1, 36500));
  a.decision_retention = std::chrono::hours(24 * decision_days);
  XACBE_ASSIGN_OR_RETURN(auto max_bytes, config::integer_or(node, "max_file_bytes", std::int64_t{64} << 20, 1 << 20,
                                                            std::int64_t{2} << 30));
  a.max_file_bytes = static_cast<std::size_t>(max_bytes);
  if (node.has("transfer_command")) {
    XACBE_ASSIGN_OR_RETURN(a.transfer_command, node.strings("transfer_command"));
    if (a.transfer_command.empty() || a.transfer_command.front().empty()) {
      return invalid_argument("transfer_command must name a program (a list: program and its arguments, no shell)");
    }
  }
  XACBE_ASSIGN_OR_RETURN(auto transfer_timeout, config::integer_or(node, "transfer_timeout_seconds", 600, 1, 86400));
  a.transfer_timeout = std::chrono::seconds(transfer_timeout);
  if (node.has("encrypt_to")) {
    XACBE_ASSIGN_OR_RETURN(auto files, node.strings("encrypt_to"));
    if (files.empty()) return invalid_argument("encrypt_to must name at least one certificate file when present");
    for (auto& f : files) {
      if (f.empty()) return invalid_argument("encrypt_to holds an empty file name");
      // Relative to the configuration file, as every path of the file.
      if (f.front() != '/') f = base_dir + "/" + f;
    }
    a.encrypt_to = std::move(files);
  }
  XACBE_ASSIGN_OR_RETURN(auto interval, config::integer_or(node, "interval_seconds", 3600, 60, 7 * 86400));
  a.interval = std::chrono::seconds(interval);
  return a;
}

}  // namespace

Result<ServiceCatalog> make_catalog(const std::map<id::ClientId, ClientSettings>& clients,
                                    std::vector<ServiceDefinition> services, std::vector<AccessRight> rights) {
  for (const auto& d : services) {
    if (clients.count(id::ClientId(d.service.subsystem())) == 0) {
      return invalid_argument("service " + d.service.to_string() + ": its subsystem is not a client of this server");
    }
  }
  return ServiceCatalog::create(std::move(services), std::move(rights));
}

Result<Settings> read_settings(const std::string& path) {
  XACBE_ASSIGN_OR_RETURN(config::Node root, config::Node::load(path));
  XACBE_ASSIGN_OR_RETURN(service::ServiceConfig client_interface, service::read_service_config(root, "security-server"));
  if (!client_interface.tls_certificate.empty()) {
    return invalid_argument(path + ": 'listen' is the plain-HTTP client interface; HTTPS is security_server.client_tls");
  }
  XACBE_ASSIGN_OR_RETURN(config::Node node, root.object("security_server"));
  XACBE_ASSIGN_OR_RETURN(std::string id_text, node.string("id"));
  auto id = id::SecurityServerId::parse(id_text);
  if (!id.is_ok()) return invalid_argument(path + ": security_server.id: " + id.status().message());
  Settings out(std::move(client_interface), std::move(id).value());
  XACBE_ASSIGN_OR_RETURN(out.anchor, node.path("anchor"));
  XACBE_ASSIGN_OR_RETURN(out.globalconf_file, node.path("globalconf_file"));
  XACBE_ASSIGN_OR_RETURN(auto refresh, config::integer_or(node, "globalconf_refresh_seconds", 60, 1, 86400));
  out.globalconf_refresh = std::chrono::seconds(refresh);
  XACBE_ASSIGN_OR_RETURN(out.register_file, node.path("register"));
  XACBE_ASSIGN_OR_RETURN(config::Node auth, node.object("auth"));
  XACBE_ASSIGN_OR_RETURN(out.auth, key_files(auth));
  XACBE_ASSIGN_OR_RETURN(config::Node signing, node.object("signing"));
  for (const auto& name : signing.keys()) {
    auto member = id::MemberId::parse(name);
    if (!member.is_ok()) return invalid_argument(path + ": security_server.signing: " + member.status().message());
    XACBE_ASSIGN_OR_RETURN(config::Node files, signing.object(name));
    XACBE_ASSIGN_OR_RETURN(out.signing[*member], key_files(files));
  }
  XACBE_ASSIGN_OR_RETURN(config::Node provider, node.object("provider_listen"));
  XACBE_ASSIGN_OR_RETURN(out.provider_address, config::string_or(provider, "address", "127.0.0.1"));
  XACBE_ASSIGN_OR_RETURN(auto port, provider.integer("port", 0, 65535));
  out.provider_port = static_cast<std::uint16_t>(port);
  if (node.has("client_tls")) {
    XACBE_ASSIGN_OR_RETURN(config::Node tls, node.object("client_tls"));
    XACBE_ASSIGN_OR_RETURN(auto tls_port, tls.integer("port", 0, 65535));
    out.client_tls_port = static_cast<std::uint16_t>(tls_port);
    XACBE_ASSIGN_OR_RETURN(out.client_tls, key_files(tls));
  }
  XACBE_ASSIGN_OR_RETURN(auto body_limit, config::integer_or(node, "body_limit", 10 * 1024 * 1024, 1024, 1024 * 1024 * 1024));
  out.body_limit = static_cast<std::size_t>(body_limit);
  XACBE_ASSIGN_OR_RETURN(out.batch_signing, config::boolean_or(node, "batch_signing", true));
  XACBE_ASSIGN_OR_RETURN(auto replay, config::integer_or(node, "replay_window_seconds", 600, 10, 86400));
  out.replay_window = std::chrono::seconds(replay);
  XACBE_ASSIGN_OR_RETURN(auto margin, config::integer_or(node, "timestamp_margin_seconds", 900, 0, 4 * 3600));
  out.timestamp_margin = std::chrono::seconds(margin);
  XACBE_ASSIGN_OR_RETURN(auto retry, config::integer_or(node, "timestamp_retry_max_seconds", 60, 1, 3600));
  out.timestamp_retry_max = std::chrono::seconds(retry);

  XACBE_ASSIGN_OR_RETURN(config::Node clients, node.object("clients"));
  std::set<id::MemberId> members;
  for (const auto& name : clients.keys()) {
    auto client = id::ClientId::parse(name);
    if (!client.is_ok()) return invalid_argument(path + ": security_server.clients: " + client.status().message());
    XACBE_ASSIGN_OR_RETURN(config::Node c, clients.object(name));
    auto settings = read_client(c);
    if (!settings.is_ok()) return invalid_argument(path + ": security_server.clients." + name + ": " + settings.status().message());
    members.insert(client->member());
    out.clients.emplace(*client, std::move(settings).value());
  }
  if (members.size() > 1) {
    for (const auto& [client, c] : out.clients) {
      if (c.connection != ConnectionMode::kHttpsCertificate) {
        return invalid_argument(path + ": security_server.clients." + client.to_string() +
                                ": a shared server (clients of several members) requires https-certificate");
      }
    }
  }
  if (node.has("services")) {
    XACBE_ASSIGN_OR_RETURN(config::Node services, node.object("services"));
    Status st = read_services(services, out);
    if (!st.is_ok()) return invalid_argument(path + ": security_server." + st.message());
  }
  if (node.has("admin_listen")) {
    XACBE_ASSIGN_OR_RETURN(config::Node admin, node.object("admin_listen"));
    Settings::AdminListen listen;
    XACBE_ASSIGN_OR_RETURN(listen.address, config::string_or(admin, "address", "127.0.0.1"));
    XACBE_ASSIGN_OR_RETURN(auto admin_port, admin.integer("port", 0, 65535));
    listen.port = static_cast<std::uint16_t>(admin_port);
    if (admin.has("tls")) {
      XACBE_ASSIGN_OR_RETURN(config::Node tls, admin.object("tls"));
      XACBE_ASSIGN_OR_RETURN(listen.tls, key_files(tls));
    }
    out.admin_listen = std::move(listen);
  }
  if (node.has("users")) {
    XACBE_ASSIGN_OR_RETURN(config::Node users, node.object("users"));
    XACBE_ASSIGN_OR_RETURN(out.users, api::read_users(users, path + ": 'security_server.users"));
  }
  if (out.admin_listen && out.users.empty()) {
    return invalid_argument(path + ": 'security_server.users' needs at least one user for the admin API");
  }
  if (node.has("register_readers")) {
    XACBE_ASSIGN_OR_RETURN(config::Node readers, node.object("register_readers"));
    auto designated = read_register_readers(readers, out);
    if (!designated.is_ok()) return invalid_argument(path + ": " + designated.status().message());
    out.register_readers = std::move(designated).value();
  }
  if (node.has("admin_database")) {
    XACBE_ASSIGN_OR_RETURN(out.admin_database, node.path("admin_database"));
  } else {
    out.admin_database = (std::filesystem::path(out.register_file).parent_path() / "server.db").string();
  }
  if (node.has("operational_database")) {
    XACBE_ASSIGN_OR_RETURN(out.operational_database, node.path("operational_database"));
  } else {
    out.operational_database = (std::filesystem::path(out.register_file).parent_path() / "operational.db").string();
  }
  XACBE_ASSIGN_OR_RETURN(auto operational_days, config::integer_or(node, "operational_retention_days", 7, 1, 3650));
  out.operational_retention_days = static_cast<int>(operational_days);
  XACBE_ASSIGN_OR_RETURN(auto operational_queue,
                         config::integer_or(node, "operational_queue_records", 10000, 100, 1000000));
  out.operational_queue_records = static_cast<std::size_t>(operational_queue);
  if (node.has("archive")) {
    XACBE_ASSIGN_OR_RETURN(config::Node archive, node.object("archive"));
    std::string base_dir = std::filesystem::path(path).parent_path().string();
    auto read = read_archive(archive, base_dir.empty() ? "." : base_dir);
    if (!read.is_ok()) return invalid_argument(path + ": security_server.archive: " + read.status().message());
    out.archive = std::move(read).value();
  }
  if (auto usage = read_usage_report_settings(node, out.register_file); usage.is_ok()) {
    out.usage_report = std::move(usage).value();
  } else {
    return invalid_argument(path + ": security_server.usage_report: " + usage.status().message());
  }
  auto catalog = make_catalog(out.clients, out.services, out.rights);
  if (!catalog.is_ok()) return invalid_argument(path + ": security_server.services: " + catalog.status().message());
  XACBE_RETURN_IF_ERROR(root.check_all_used());
  return out;
}

}  // namespace xacbe::ss
