#include "xacbe/globalconf/global_configuration.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <initializer_list>
#include <nlohmann/json.hpp>

#include "xacbe/config/strict_json.hpp"
#include <utility>

#include "xacbe/id/host_name.hpp"
#include "xacbe/net/http.hpp"
#include "xacbe/utf8.hpp"

namespace xacbe::globalconf {
namespace {

using json = nlohmann::json;
using std::chrono::seconds;

std::string member_path(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}
std::string item_path(const std::string& path, std::size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

// Every refusal of the format names the offending value by its JSON path.
Status refuse(const std::string& path, const std::string& what) {
  return invalid_argument("global configuration: " + (path.empty() ? std::string("document") : path) + ": " + what);
}

template <typename T>
Result<T> at_path(Result<T> r, const std::string& path) {
  if (!r) return refuse(path, r.status().message());
  return r;
}

// ---- Rules on single values (docs/protocol/global-configuration.md, "Value rules") ----

bool is_lower_hex(std::string_view s) {
  return s.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

Status check_name(const std::string& name, const std::string& path) {
  if (Status st = check_display_name(name); !st.is_ok()) return refuse(path, st.message());
  return Status::ok();
}

Status check_address(const std::string& address, const std::string& path) {
  // The rule the registry applies to a management request's address (id/host_name.hpp).
  if (!id::is_host_and_port(address)) {
    return refuse(path, "'" + address + "' is not host:port (a host name, IPv4 or [IPv6], and a port 1..65535)");
  }
  return Status::ok();
}

Status check_url(const std::string& url, const std::string& path) {
  if (url.empty() || url.size() > 2048) return refuse(path, "URL must be 1..2048 bytes");
  for (char c : url) {
    if (c <= 0x20 || c >= 0x7F) return refuse(path, "URL must be printable ASCII without spaces");
  }
  auto parsed = net::parse_url(url);
  if (!parsed) return refuse(path, parsed.status().message());
  return Status::ok();
}

// Same characters as a member code (docs/protocol/identifiers.md).
Status check_code(const std::string& code, const std::string& path) {
  const bool ok =
      !code.empty() && code.size() <= 64 && code.front() != '.' && code.front() != '-' &&
      code.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") == std::string::npos;
  return ok ? Status::ok()
            : refuse(path, "'" + code + "' must be 1..64 of [A-Za-z0-9._-], not starting with '.' or '-'");
}

Status check_settings(const Settings& s) {
  auto in_range = [](seconds v, seconds max) { return v >= seconds(1) && v <= max; };
  if (!in_range(s.ocsp_freshness, kEightHours)) return refuse("settings.ocsp_freshness_seconds", "must be in 1..28800");
  if (!in_range(s.estamp_window, kEightHours)) return refuse("settings.estamp_window_seconds", "must be in 1..28800");
  if (!in_range(s.timestamp_interval, kEightHours)) {
    return refuse("settings.timestamp_interval_seconds", "must be in 1..28800");
  }
  if (s.ocsp_freshness + s.timestamp_interval > s.estamp_window) {
    return refuse("settings",
                  "ocsp_freshness_seconds + timestamp_interval_seconds must not exceed estamp_window_seconds");
  }
  return Status::ok();
}

Status check_authorities(const ConfigurationContent& c) {
  if (!c.ca.certificate.is_ca()) return refuse("ca.certificate", "is not a CA certificate");
  if (c.ca.ocsp_urls.empty()) return refuse("ca.ocsp_urls", "must list at least one URL");
  std::set<std::string> urls;
  for (std::size_t i = 0; i < c.ca.ocsp_urls.size(); ++i) {
    XACBE_RETURN_IF_ERROR(check_url(c.ca.ocsp_urls[i], item_path("ca.ocsp_urls", i)));
    if (!urls.insert(c.ca.ocsp_urls[i]).second) return refuse(item_path("ca.ocsp_urls", i), "is listed twice");
  }
  if (c.ca.ocsp_responder_certificates.empty()) {
    return refuse("ca.ocsp_responder_certificates", "must list at least one certificate");
  }
  return check_url(c.tsa.url, "tsa.url");
}

Status check_header(const ConfigurationContent& c) {
  if (!is_known_instance(c.instance)) return refuse("instance", "'" + c.instance + "' is not QROO or QROO-TEST");
  if (c.version < 1) return refuse("version", "must be at least 1");
  // The range parse_time accepts, so every time written can be read back.
  const std::chrono::sys_seconds first{}, last = std::chrono::sys_days(std::chrono::year(10000) / 1 / 1) - seconds(1);
  if (c.created_at < first || c.created_at > last) return refuse("created_at", "must be in the years 1970..9999");
  if (c.expires_at < first || c.expires_at > last) return refuse("expires_at", "must be in the years 1970..9999");
  if (c.expires_at <= c.created_at) return refuse("expires_at", "must be later than created_at");
  return Status::ok();
}

}  // namespace

Status check_display_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxDisplayNameBytes) {
    return invalid_argument("must be 1.." + std::to_string(kMaxDisplayNameBytes) + " bytes");
  }
  if (!is_utf8(name)) return invalid_argument("is not valid UTF-8");
  if (has_control_characters(name)) return invalid_argument("must not contain control characters");
  return Status::ok();
}

bool is_known_instance(std::string_view instance) {
  return instance == "QROO" || instance == "QROO-TEST";
}

std::string format_time(std::chrono::sys_seconds t) {
  const auto day = std::chrono::floor<std::chrono::days>(t);
  const std::chrono::year_month_day ymd(day);
  const std::chrono::hh_mm_ss hms(t - day);
  char out[32];
  std::snprintf(out, sizeof out, "%04d-%02u-%02uT%02d:%02d:%02dZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                static_cast<int>(hms.seconds().count()));
  return out;
}

Result<std::chrono::sys_seconds> parse_time(std::string_view text) {
  const auto bad = [&] {
    std::string message = "'";  // built by appending: GCC 12 -O2 warns falsely (-Wrestrict) on "'" + string
    message.append(text);
    message.append("' is not a time of the form YYYY-MM-DDTHH:MM:SSZ");
    return invalid_argument(message);
  };
  static constexpr std::string_view kShape = "dddd-dd-ddTdd:dd:ddZ";
  if (text.size() != kShape.size()) return bad();
  for (std::size_t i = 0; i < kShape.size(); ++i) {
    const bool digit = text[i] >= '0' && text[i] <= '9';
    if (kShape[i] == 'd' ? !digit : text[i] != kShape[i]) return bad();
  }
  auto num = [&](std::size_t pos, std::size_t len) {
    int v = 0;
    for (std::size_t i = pos; i < pos + len; ++i) v = v * 10 + (text[i] - '0');
    return v;
  };
  const std::chrono::year_month_day ymd{std::chrono::year(num(0, 4)),
                                        std::chrono::month(static_cast<unsigned>(num(5, 2))),
                                        std::chrono::day(static_cast<unsigned>(num(8, 2)))};
  const int h = num(11, 2), m = num(14, 2), s = num(17, 2);
  if (!ymd.ok() || ymd.year() < std::chrono::year(1970) || h > 23 || m > 59 || s > 59) return bad();
  return std::chrono::sys_days(ymd) + std::chrono::hours(h) + std::chrono::minutes(m) + seconds(s);
}

// ---- Validation and indexes ----

Status GlobalConfiguration::index() {
  const ConfigurationContent& c = content_;
  XACBE_RETURN_IF_ERROR(check_header(c));
  for (std::size_t i = 0; i < c.members.size(); ++i) {
    const std::string path = item_path("members", i);
    const Member& m = c.members[i];
    if (m.id.instance() != c.instance)
      return refuse(path + ".id", m.id.to_string() + " is not of instance " + c.instance);
    XACBE_RETURN_IF_ERROR(check_name(m.name, path + ".name"));
    if (!members_.emplace(m.id, i).second) return refuse(path + ".id", m.id.to_string() + " is listed twice");
  }
  for (std::size_t i = 0; i < c.subsystems.size(); ++i) {
    const std::string path = item_path("subsystems", i) + ".id";
    const id::SubsystemId& s = c.subsystems[i].id;
    if (!members_.contains(s.member())) return refuse(path, "member of " + s.to_string() + " is not listed");
    if (!subsystems_.insert(s).second) return refuse(path, s.to_string() + " is listed twice");
  }
  auto check_clients = [&](const std::vector<id::ClientId>& clients, const std::string& path) -> Status {
    std::set<id::ClientId> seen;
    for (std::size_t i = 0; i < clients.size(); ++i) {
      if (!has_client(clients[i])) {
        return refuse(item_path(path, i),
                      clients[i].to_string() + " is not a member or subsystem of this configuration");
      }
      if (!seen.insert(clients[i]).second)
        return refuse(item_path(path, i), clients[i].to_string() + " is listed twice");
    }
    return Status::ok();
  };
  for (std::size_t i = 0; i < c.security_servers.size(); ++i) {
    const std::string path = item_path("security_servers", i);
    const SecurityServer& s = c.security_servers[i];
    if (!members_.contains(s.id.owner()))
      return refuse(path + ".id", "owner of " + s.id.to_string() + " is not listed");
    if (!servers_.emplace(s.id, i).second) return refuse(path + ".id", s.id.to_string() + " is listed twice");
    XACBE_RETURN_IF_ERROR(check_address(s.address, path + ".address"));
    XACBE_RETURN_IF_ERROR(check_clients(s.clients, path + ".clients"));
    for (const auto& client : s.clients) servers_by_client_[client].push_back(i);
    for (std::size_t k = 0; k < s.auth_cert_sha256.size(); ++k) {
      const std::string& fp = s.auth_cert_sha256[k];
      const std::string fp_path = item_path(path + ".auth_cert_sha256", k);
      if (fp.size() != 64 || !is_lower_hex(fp)) return refuse(fp_path, "must be 64 lower-case hex digits");
      if (!servers_by_fingerprint_.emplace(fp, i).second) return refuse(fp_path, fp + " is registered twice");
    }
  }
  XACBE_RETURN_IF_ERROR(check_authorities(c));
  for (std::size_t i = 0; i < c.global_groups.size(); ++i) {
    const std::string path = item_path("global_groups", i);
    XACBE_RETURN_IF_ERROR(check_code(c.global_groups[i].code, path + ".code"));
    if (!groups_.emplace(c.global_groups[i].code, i).second) return refuse(path + ".code", "is listed twice");
    XACBE_RETURN_IF_ERROR(check_clients(c.global_groups[i].members, path + ".members"));
  }
  XACBE_RETURN_IF_ERROR(index_access_levels());
  return check_settings(c.settings);
}

Status GlobalConfiguration::index_access_levels() {
  const AccessLevels& a = content_.access_levels;
  for (std::size_t i = 0; i < a.levels.size(); ++i) {
    const std::string path = item_path("access_levels.levels", i);
    XACBE_RETURN_IF_ERROR(check_code(a.levels[i].code, path + ".code"));
    XACBE_RETURN_IF_ERROR(check_name(a.levels[i].name, path + ".name"));
    if (!level_ranks_.emplace(a.levels[i].code, i).second) return refuse(path + ".code", "is listed twice");
  }
  for (std::size_t i = 0; i < a.assignments.size(); ++i) {
    const std::string path = item_path("access_levels.assignments", i);
    const AccessLevelAssignment& entry = a.assignments[i];
    if (!has_client(entry.client)) {
      return refuse(path + ".client", entry.client.to_string() + " is not a member or subsystem of this configuration");
    }
    if (!level_assignments_.emplace(entry.client, i).second) {
      return refuse(path + ".client", entry.client.to_string() + " is assigned a level twice");
    }
    if (!level_ranks_.contains(entry.level)) {
      // The code is bounded: a code that passed check_code is at most 64 safe characters.
      std::string shown = entry.level.size() <= 64 ? entry.level : entry.level.substr(0, 64) + "...";
      if (!is_utf8(shown) || has_control_characters(shown)) shown = "(unprintable)";
      return refuse(path + ".level", "'" + shown + "' is not a level of access_levels.levels");
    }
  }
  return Status::ok();
}

Result<GlobalConfiguration> GlobalConfiguration::create(ConfigurationContent content) {
  GlobalConfiguration conf(std::move(content));
  XACBE_RETURN_IF_ERROR(conf.index());
  return conf;
}

const Member* GlobalConfiguration::find_member(const id::MemberId& member) const {
  auto it = members_.find(member);
  return it == members_.end() ? nullptr : &content_.members[it->second];
}

bool GlobalConfiguration::has_client(const id::ClientId& client) const {
  if (auto sub = client.subsystem()) return subsystems_.contains(*sub);
  return members_.contains(client.member());
}

const SecurityServer* GlobalConfiguration::find_server(const id::SecurityServerId& server) const {
  auto it = servers_.find(server);
  return it == servers_.end() ? nullptr : &content_.security_servers[it->second];
}

std::vector<const SecurityServer*> GlobalConfiguration::servers_for(const id::ClientId& client) const {
  std::vector<const SecurityServer*> out;
  if (auto it = servers_by_client_.find(client); it != servers_by_client_.end()) {
    for (std::size_t i : it->second) out.push_back(&content_.security_servers[i]);
  }
  return out;
}

bool GlobalConfiguration::is_registered_auth_certificate(const id::SecurityServerId& server,
                                                         std::string_view sha256_hex) const {
  const SecurityServer* owner = server_with_auth_certificate(sha256_hex);
  return owner != nullptr && owner->id == server;
}

bool GlobalConfiguration::is_registered_auth_certificate(const id::SecurityServerId& server,
                                                         const crypto::Certificate& cert) const {
  return is_registered_auth_certificate(server, cert.sha256_fingerprint());
}

const SecurityServer* GlobalConfiguration::server_with_auth_certificate(std::string_view sha256_hex) const {
  auto it = servers_by_fingerprint_.find(sha256_hex);
  return it == servers_by_fingerprint_.end() ? nullptr : &content_.security_servers[it->second];
}

const GlobalGroup* GlobalConfiguration::find_group(std::string_view code) const {
  auto it = groups_.find(code);
  return it == groups_.end() ? nullptr : &content_.global_groups[it->second];
}

std::optional<std::size_t> GlobalConfiguration::level_rank(std::string_view code) const {
  auto it = level_ranks_.find(code);
  if (it == level_ranks_.end()) return std::nullopt;
  return it->second;
}

const std::string* GlobalConfiguration::assigned_level(const id::ClientId& client) const {
  auto it = level_assignments_.find(client);
  return it == level_assignments_.end() ? nullptr : &content_.access_levels.assignments[it->second].level;
}

const std::string* GlobalConfiguration::effective_level(const id::ClientId& client) const {
  if (const std::string* own = assigned_level(client)) return own;
  if (client.subsystem()) return assigned_level(id::ClientId(client.member()));
  return nullptr;
}

// ---- JSON ----

namespace {

json client_list(const std::vector<id::ClientId>& clients) {
  json out = json::array();
  for (const auto& c : clients) out.push_back(c.to_string());
  return out;
}

json to_json_value(const ConfigurationContent& c) {
  json members = json::array(), subsystems = json::array(), servers = json::array(), groups = json::array();
  for (const auto& m : c.members) members.push_back({{"id", m.id.to_string()}, {"name", m.name}});
  for (const auto& s : c.subsystems) subsystems.push_back({{"id", s.id.to_string()}});
  for (const auto& s : c.security_servers) {
    servers.push_back({{"id", s.id.to_string()},
                       {"address", s.address},
                       {"clients", client_list(s.clients)},
                       {"auth_cert_sha256", s.auth_cert_sha256}});
  }
  for (const auto& g : c.global_groups) groups.push_back({{"code", g.code}, {"members", client_list(g.members)}});
  json responders = json::array();
  for (const auto& r : c.ca.ocsp_responder_certificates) responders.push_back(r.pem());
  json out = json::object();
  out["format_version"] = kDocumentFormatVersion;
  out["instance"] = c.instance;
  out["version"] = c.version;
  out["created_at"] = format_time(c.created_at);
  out["expires_at"] = format_time(c.expires_at);
  out["members"] = std::move(members);
  out["subsystems"] = std::move(subsystems);
  out["security_servers"] = std::move(servers);
  out["ca"] = {{"certificate", c.ca.certificate.pem()},
               {"ocsp_urls", c.ca.ocsp_urls},
               {"ocsp_responder_certificates", std::move(responders)}};
  out["tsa"] = {{"url", c.tsa.url}, {"certificate", c.tsa.certificate.pem()}};
  out["global_groups"] = std::move(groups);
  out["settings"] = {{"ocsp_freshness_seconds", c.settings.ocsp_freshness.count()},
                     {"estamp_window_seconds", c.settings.estamp_window.count()},
                     {"timestamp_interval_seconds", c.settings.timestamp_interval.count()}};
  json levels = json::array(), assignments = json::array();
  for (const auto& l : c.access_levels.levels) levels.push_back({{"code", l.code}, {"name", l.name}});
  for (const auto& a : c.access_levels.assignments) {
    assignments.push_back({{"client", a.client.to_string()}, {"level", a.level}});
  }
  out["access_levels"] = {{"levels", std::move(levels)}, {"assignments", std::move(assignments)}};
  return out;
}

// Strict reading: an object must have exactly the keys of its kind, every value its type.
Status expect_object(const json& v, const std::string& path, std::initializer_list<std::string_view> keys) {
  if (!v.is_object()) return refuse(path, "must be an object");
  for (const auto& [key, value] : v.items()) {
    if (std::find(keys.begin(), keys.end(), key) == keys.end()) return refuse(member_path(path, key), "unknown key");
  }
  for (std::string_view key : keys) {
    if (!v.contains(key)) return refuse(member_path(path, key), "is required");
  }
  return Status::ok();
}

Result<std::string> as_string(const json& v, const std::string& path) {
  if (!v.is_string()) return refuse(path, "must be a string");
  return v.get<std::string>();
}

Result<std::uint64_t> as_uint(const json& v, const std::string& path) {
  if (!v.is_number_unsigned()) return refuse(path, "must be a non-negative integer");
  return v.get<std::uint64_t>();
}

Result<seconds> as_seconds(const json& v, const std::string& path) {
  XACBE_ASSIGN_OR_RETURN(std::uint64_t n, as_uint(v, path));
  if (n > static_cast<std::uint64_t>(kEightHours.count())) return refuse(path, "must be in 1..28800");
  return seconds(static_cast<seconds::rep>(n));
}

Result<std::chrono::sys_seconds> as_time(const json& v, const std::string& path) {
  XACBE_ASSIGN_OR_RETURN(std::string text, as_string(v, path));
  return at_path(parse_time(text), path);
}

// Exactly one certificate in the canonical PEM form (RFC 7468 strict: 64-column base64, LF line
// ends, final LF), so that reading and writing give the same bytes.
Result<crypto::Certificate> as_certificate(const json& v, const std::string& path) {
  XACBE_ASSIGN_OR_RETURN(std::string pem, as_string(v, path));
  auto certs = crypto::certificates_from_pem(pem);
  if (!certs) return refuse(path, certs.status().message());
  if (certs->size() != 1) return refuse(path, "must hold exactly one certificate");
  if (certs->front().pem() != pem) return refuse(path, "is not a canonical PEM certificate");
  return certs->front();
}

template <typename T, typename Parse>
Result<std::vector<T>> as_list(const json& v, const std::string& path, Parse parse) {
  if (!v.is_array()) return refuse(path, "must be an array");
  std::vector<T> out;
  out.reserve(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) {
    XACBE_ASSIGN_OR_RETURN(T item, parse(v[i], item_path(path, i)));
    out.push_back(std::move(item));
  }
  return out;
}

template <typename Id>
Result<Id> as_id(const json& v, const std::string& path) {
  XACBE_ASSIGN_OR_RETURN(std::string text, as_string(v, path));
  return at_path(Id::parse(text), path);
}

Result<std::vector<id::ClientId>> as_clients(const json& v, const std::string& path) {
  return as_list<id::ClientId>(v, path, as_id<id::ClientId>);
}

Result<Member> parse_member(const json& v, const std::string& path) {
  XACBE_RETURN_IF_ERROR(expect_object(v, path, {"id", "name"}));
  XACBE_ASSIGN_OR_RETURN(auto member, as_id<id::MemberId>(v["id"], path + ".id"));
  XACBE_ASSIGN_OR_RETURN(auto name, as_string(v["name"], path + ".name"));
  return Member{std::move(member), std::move(name)};
}

Result<Subsystem> parse_subsystem(const json& v, const std::string& path) {
  XACBE_RETURN_IF_ERROR(expect_object(v, path, {"id"}));
  XACBE_ASSIGN_OR_RETURN(auto subsystem, as_id<id::SubsystemId>(v["id"], path + ".id"));
  return Subsystem{std::move(subsystem)};
}

Result<SecurityServer> parse_server(const json& v, const std::string& path) {
  XACBE_RETURN_IF_ERROR(expect_object(v, path, {"id", "address", "clients", "auth_cert_sha256"}));
  XACBE_ASSIGN_OR_RETURN(auto server, as_id<id::SecurityServerId>(v["id"], path + ".id"));
  XACBE_ASSIGN_OR_RETURN(auto address, as_string(v["address"], path + ".address"));
  XACBE_ASSIGN_OR_RETURN(auto clients, as_clients(v["clients"], path + ".clients"));
  XACBE_ASSIGN_OR_RETURN(auto fingerprints,
                         as_list<std::string>(v["auth_cert_sha256"], path + ".auth_cert_sha256", as_string));
  return SecurityServer{std::move(server), std::move(address), std::move(clients), std::move(fingerprints)};
}

Result<GlobalGroup> parse_group(const json& v, const std::string& path) {
  XACBE_RETURN_IF_ERROR(expect_object(v, path, {"code", "members"}));
  XACBE_ASSIGN_OR_RETURN(auto code, as_string(v["code"], path + ".code"));
  XACBE_ASSIGN_OR_RETURN(auto members, as_clients(v["members"], path + ".members"));
  return GlobalGroup{std::move(code), std::move(members)};
}

Result<CertificationAuthority> parse_ca(const json& v) {
  XACBE_RETURN_IF_ERROR(expect_object(v, "ca", {"certificate", "ocsp_urls", "ocsp_responder_certificates"}));
  XACBE_ASSIGN_OR_RETURN(auto cert, as_certificate(v["certificate"], "ca.certificate"));
  XACBE_ASSIGN_OR_RETURN(auto urls, as_list<std::string>(v["ocsp_urls"], "ca.ocsp_urls", as_string));
  XACBE_ASSIGN_OR_RETURN(
      auto responders,
      as_list<crypto::Certificate>(v["ocsp_responder_certificates"], "ca.ocsp_responder_certificates", as_certificate));
  return CertificationAuthority{std::move(cert), std::move(urls), std::move(responders)};
}

Result<TimestampingAuthority> parse_tsa(const json& v) {
  XACBE_RETURN_IF_ERROR(expect_object(v, "tsa", {"url", "certificate"}));
  XACBE_ASSIGN_OR_RETURN(auto url, as_string(v["url"], "tsa.url"));
  XACBE_ASSIGN_OR_RETURN(auto cert, as_certificate(v["certificate"], "tsa.certificate"));
  return TimestampingAuthority{std::move(url), std::move(cert)};
}

Result<Settings> parse_settings(const json& v) {
  XACBE_RETURN_IF_ERROR(
      expect_object(v, "settings", {"ocsp_freshness_seconds", "estamp_window_seconds", "timestamp_interval_seconds"}));
  Settings s;
  XACBE_ASSIGN_OR_RETURN(s.ocsp_freshness, as_seconds(v["ocsp_freshness_seconds"], "settings.ocsp_freshness_seconds"));
  XACBE_ASSIGN_OR_RETURN(s.estamp_window, as_seconds(v["estamp_window_seconds"], "settings.estamp_window_seconds"));
  XACBE_ASSIGN_OR_RETURN(s.timestamp_interval,
                         as_seconds(v["timestamp_interval_seconds"], "settings.timestamp_interval_seconds"));
  return s;
}

Result<AccessLevel> parse_level(const json& v, const std::string& path) {
  XACBE_RETURN_IF_ERROR(expect_object(v, path, {"code", "name"}));
  XACBE_ASSIGN_OR_RETURN(auto code, as_string(v["code"], path + ".code"));
  XACBE_ASSIGN_OR_RETURN(auto name, as_string(v["name"], path + ".name"));
  return AccessLevel{std::move(code), std::move(name)};
}

Result<AccessLevelAssignment> parse_assignment(const json& v, const std::string& path) {
  XACBE_RETURN_IF_ERROR(expect_object(v, path, {"client", "level"}));
  XACBE_ASSIGN_OR_RETURN(auto client, as_id<id::ClientId>(v["client"], path + ".client"));
  XACBE_ASSIGN_OR_RETURN(auto level, as_string(v["level"], path + ".level"));
  return AccessLevelAssignment{std::move(client), std::move(level)};
}

Result<AccessLevels> parse_access_levels(const json& v) {
  XACBE_RETURN_IF_ERROR(expect_object(v, "access_levels", {"levels", "assignments"}));
  XACBE_ASSIGN_OR_RETURN(auto levels, as_list<AccessLevel>(v["levels"], "access_levels.levels", parse_level));
  XACBE_ASSIGN_OR_RETURN(auto assignments, as_list<AccessLevelAssignment>(
                                               v["assignments"], "access_levels.assignments", parse_assignment));
  return AccessLevels{std::move(levels), std::move(assignments)};
}

Result<json> parse_strict_json(std::string_view text) {
  auto r = config::parse_json_strict(text);
  if (!r) return refuse("", r.status().message());
  json root = std::move(r).value();
  return root;
}

}  // namespace

std::string GlobalConfiguration::to_json() const {
  return to_json_value(content_).dump();
}

Result<GlobalConfiguration> GlobalConfiguration::from_json(std::string_view text) {
  XACBE_ASSIGN_OR_RETURN(json v, parse_strict_json(text));
  XACBE_RETURN_IF_ERROR(expect_object(v, "",
                                      {"format_version", "instance", "version", "created_at", "expires_at", "members",
                                       "subsystems", "security_servers", "ca", "tsa", "global_groups", "settings",
                                       "access_levels"}));
  XACBE_ASSIGN_OR_RETURN(std::uint64_t format, as_uint(v["format_version"], "format_version"));
  if (format != kDocumentFormatVersion) {
    return refuse("format_version", "format " + std::to_string(format) + " is not supported (" +
                                        std::to_string(kDocumentFormatVersion) + ")");
  }
  XACBE_ASSIGN_OR_RETURN(auto instance, as_string(v["instance"], "instance"));
  XACBE_ASSIGN_OR_RETURN(auto version, as_uint(v["version"], "version"));
  XACBE_ASSIGN_OR_RETURN(auto created_at, as_time(v["created_at"], "created_at"));
  XACBE_ASSIGN_OR_RETURN(auto expires_at, as_time(v["expires_at"], "expires_at"));
  XACBE_ASSIGN_OR_RETURN(auto members, as_list<Member>(v["members"], "members", parse_member));
  XACBE_ASSIGN_OR_RETURN(auto subsystems, as_list<Subsystem>(v["subsystems"], "subsystems", parse_subsystem));
  XACBE_ASSIGN_OR_RETURN(auto servers,
                         as_list<SecurityServer>(v["security_servers"], "security_servers", parse_server));
  XACBE_ASSIGN_OR_RETURN(auto ca, parse_ca(v["ca"]));
  XACBE_ASSIGN_OR_RETURN(auto tsa, parse_tsa(v["tsa"]));
  XACBE_ASSIGN_OR_RETURN(auto groups, as_list<GlobalGroup>(v["global_groups"], "global_groups", parse_group));
  XACBE_ASSIGN_OR_RETURN(auto settings, parse_settings(v["settings"]));
  XACBE_ASSIGN_OR_RETURN(auto access_levels, parse_access_levels(v["access_levels"]));
  return create(ConfigurationContent{std::move(instance), version, created_at, expires_at, std::move(members),
                                     std::move(subsystems), std::move(servers), std::move(ca), std::move(tsa),
                                     std::move(groups), settings, std::move(access_levels)});
}

}  // namespace xacbe::globalconf
