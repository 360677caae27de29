#pragma once
// The global configuration (docs/protocol/global-configuration.md): the registry's versioned,
// expiring description of one instance — its members and subsystems, where their security
// servers are and which authentication certificates those present, which CA, OCSP responders and
// TSA to trust, the global groups, and the settings of the e-stamp rules. A security server
// exchanges only with what the configuration it holds names, and only until it expires.
//
// ConfigurationContent is the plain document. GlobalConfiguration is a content that passed every
// rule of the format (valid by construction, like the identifiers it holds) and is indexed for
// the lookups of the data path. Signing and verification are in signed_configuration.hpp.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "xacbe/crypto/certificate.hpp"
#include "xacbe/id/identifiers.hpp"
#include "xacbe/result.hpp"

namespace xacbe::globalconf {

// Value of the anchor's "format_version" (signed_configuration.hpp).
inline constexpr std::uint64_t kFormatVersion = 1;
// Value of the document's "format_version"; a document of another format is refused, not guessed
// at. 2 added "access_levels" (docs/protocol/global-configuration.md, 1.3).
inline constexpr std::uint64_t kDocumentFormatVersion = 2;
// ARCHITECTURE "The e-stamp and the eight-hour rule": OCSP freshness never over eight hours.
inline constexpr std::chrono::seconds kEightHours{8 * 3600};

// The instances a configuration may describe: "QROO" (production) and "QROO-TEST".
bool is_known_instance(std::string_view instance);

// Times in the document: "YYYY-MM-DDTHH:MM:SSZ" (RFC 3339, UTC, whole seconds, years 1970-9999).
std::string format_time(std::chrono::sys_seconds t);
Result<std::chrono::sys_seconds> parse_time(std::string_view text);

struct Member {
  id::MemberId id;
  std::string name;  // display name, UTF-8, 1..256 bytes, no control characters
};

struct Subsystem {
  id::SubsystemId id;  // its member is listed in the same document
};

struct SecurityServer {
  id::SecurityServerId id;  // its owner is listed in the same document
  std::string address;      // "host:port" where other security servers reach it
  // Members and subsystems whose exchanges this server carries (a server may be shared).
  std::vector<id::ClientId> clients;
  // Lower-case hex SHA-256 of the DER of each authentication certificate registered for it; a
  // fingerprint belongs to one server only.
  std::vector<std::string> auth_cert_sha256;
};

struct CertificationAuthority {
  crypto::Certificate certificate;     // the CEIQROO CA (a CA certificate)
  std::vector<std::string> ocsp_urls;  // http(s) URLs, at least one
  // Delegated responder certificates; several while one replaces another.
  std::vector<crypto::Certificate> ocsp_responder_certificates;
};

struct TimestampingAuthority {
  std::string url;
  crypto::Certificate certificate;
};

struct GlobalGroup {
  std::string code;                   // same characters as a member code
  std::vector<id::ClientId> members;  // members and subsystems listed in the same document
};

struct Settings {
  // Oldest OCSP response a security server may sign with: 1 s .. eight hours.
  std::chrono::seconds ocsp_freshness{3600};
  // Largest time between OCSP producedAt and the timestamp of an e-stamp: 1 s .. eight hours.
  std::chrono::seconds estamp_window{kEightHours};
  // Longest wait before a logged record is timestamped. freshness + interval <= window, so a
  // record signed with the oldest allowed OCSP response still meets its deadline.
  std::chrono::seconds timestamp_interval{60};
};

// Access levels (docs/protocol/access-levels.md): the CEIQROO's ordered list, lowest first, and the
// level it assigned to members and subsystems. A subsystem without a level of its own has its
// member's; a client with neither has none, below every level.
struct AccessLevel {
  std::string code;  // same characters as a member code; unique in the list
  std::string name;  // display name, the rule of a member's name
};

struct AccessLevelAssignment {
  id::ClientId client;  // a member or subsystem listed in the same document; assigned once
  std::string level;    // a code of the list
};

struct AccessLevels {
  std::vector<AccessLevel> levels;  // rank by position: levels[0] is the lowest
  std::vector<AccessLevelAssignment> assignments;
};

struct ConfigurationContent {
  std::string instance;
  std::uint64_t version = 0;  // >= 1, strictly increasing from one publication to the next
  std::chrono::sys_seconds created_at;
  std::chrono::sys_seconds expires_at;  // later than created_at
  std::vector<Member> members;
  std::vector<Subsystem> subsystems;
  std::vector<SecurityServer> security_servers;
  CertificationAuthority ca;
  TimestampingAuthority tsa;
  std::vector<GlobalGroup> global_groups;
  Settings settings;
  AccessLevels access_levels{};
};

class GlobalConfiguration {
 public:
  // Checks every rule of the format (instances, uniqueness, references, ranges) and indexes the
  // content. Refusals are kInvalidArgument with a path-qualified message, e.g.
  // "security_servers[1].clients[0]: QROO/FED/X is not a member or subsystem of this configuration".
  static Result<GlobalConfiguration> create(ConfigurationContent content);
  // Strict: unknown or repeated keys, missing keys, wrong types, bad identifiers, certificates
  // and times are refused with the JSON path of the offending value.
  static Result<GlobalConfiguration> from_json(std::string_view json);
  // The canonical bytes: compact JSON, object keys in byte order, arrays in content order.
  // GlobalConfiguration::from_json(c.to_json())->to_json() == c.to_json().
  std::string to_json() const;

  const ConfigurationContent& content() const { return content_; }
  const std::string& instance() const { return content_.instance; }
  std::uint64_t version() const { return content_.version; }
  std::chrono::sys_seconds created_at() const { return content_.created_at; }
  std::chrono::sys_seconds expires_at() const { return content_.expires_at; }
  const Settings& settings() const { return content_.settings; }

  // Lookups for the data path. Returned pointers live as long as this object.
  const Member* find_member(const id::MemberId& member) const;
  // True when the client is a listed member or a listed subsystem.
  bool has_client(const id::ClientId& client) const;
  const SecurityServer* find_server(const id::SecurityServerId& server) const;
  // The servers that list `client` among their clients (exact match: listing a member does not
  // make a server carry that member's subsystems), in document order.
  std::vector<const SecurityServer*> servers_for(const id::ClientId& client) const;
  // Whether `sha256_hex` (lower-case, as Certificate::sha256_fingerprint) is registered for
  // `server`; the check each side of a mutual-TLS connection makes on its peer.
  bool is_registered_auth_certificate(const id::SecurityServerId& server, std::string_view sha256_hex) const;
  bool is_registered_auth_certificate(const id::SecurityServerId& server, const crypto::Certificate& cert) const;
  // The server an authentication certificate is registered for, or null.
  const SecurityServer* server_with_auth_certificate(std::string_view sha256_hex) const;
  const GlobalGroup* find_group(std::string_view code) const;
  // The position of a level code in the access-level list (0 = lowest), or nullopt for a code the
  // list does not have.
  std::optional<std::size_t> level_rank(std::string_view code) const;
  // The level assigned to exactly `client`, or null.
  const std::string* assigned_level(const id::ClientId& client) const;
  // The level a client acts with: a subsystem's own, else its member's; null for none.
  const std::string* effective_level(const id::ClientId& client) const;

 private:
  explicit GlobalConfiguration(ConfigurationContent content) : content_(std::move(content)) {}
  Status index();
  Status index_access_levels();

  ConfigurationContent content_;
  // Indexes into content_'s vectors, built by index().
  std::map<id::MemberId, std::size_t> members_;
  std::set<id::SubsystemId> subsystems_;
  std::map<id::SecurityServerId, std::size_t> servers_;
  std::map<id::ClientId, std::vector<std::size_t>> servers_by_client_;
  std::map<std::string, std::size_t, std::less<>> servers_by_fingerprint_;
  std::map<std::string, std::size_t, std::less<>> groups_;
  std::map<std::string, std::size_t, std::less<>> level_ranks_;
  std::map<id::ClientId, std::size_t> level_assignments_;  // index into access_levels.assignments
};

// The rule of a member's display name (docs/protocol/global-configuration.md, "Value rules"):
// 1..kMaxDisplayNameBytes bytes of UTF-8 without control characters (C0, DEL, C1). The document
// refuses a name that breaks it, and the registry refuses it where a name is accepted.
inline constexpr std::size_t kMaxDisplayNameBytes = 256;
Status check_display_name(std::string_view name);

}  // namespace xacbe::globalconf
