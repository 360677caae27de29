#pragma once
// Publishes the instance's global configuration (ARCHITECTURE.md, "Global configuration";
// docs/protocol/global-configuration.md): the members in good standing (active or terminating;
// suspended and terminated ones drop out) and their current subsystems, their security servers
// with addresses, clients (the owner member, then its subsystems) and authentication-certificate
// hashes, the global groups (each with those of its clients the document lists), the CA, OCSP and
// TSA, the global settings, and the access levels with the levels of the clients it lists
// (docs/protocol/access-levels.md), signed with the registry's configuration-signing key.
//
// A new version is published when the content changes or when the current one has used half of
// its validity, so security servers always hold a copy well before it expires. Every publication
// is stored (version, times, signed bytes); versions never go back, also across restarts.
// Not thread-safe: the owner serialises calls (shared database connection).
//
// Changing the configuration-signing key (docs/operator-guide.md, "Changing the
// configuration-signing key"; X-Road's two-stage key change): a next key is announced first, and
// the anchor lists its certificate beside the one that signs, so that security servers install
// it while every version is still signed with the key they know; then the next key signs, while
// the anchor still lists the old certificate; last, the old certificate leaves the anchor. The
// anchor lists the certificates in that order (previous, active, next), so it is the same file
// before and after the switch.

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "xacbe/globalconf/global_configuration.hpp"
#include "xacbe/globalconf/signed_configuration.hpp"
#include "access_levels.hpp"
#include "global_groups.hpp"
#include "member_records.hpp"
#include "membership.hpp"
#include "security_servers.hpp"

namespace xacbe::registry {

struct PublisherSettings {
  std::string instance;
  std::string download_url;  // where security servers fetch the signed document (in the anchor)
  std::vector<std::string> ocsp_urls;
  std::vector<crypto::Certificate> ocsp_responder_certificates;
  std::string tsa_url;
  std::optional<crypto::Certificate> tsa_certificate;
  globalconf::Settings settings;
  std::chrono::seconds validity{std::chrono::hours(24)};
  // The update rule's past-deadline setting (update_rule.hpp): an outdated server is left out.
  bool leave_outdated_servers = false;
};

// A configuration-signing key and its certificate.
struct ConfigurationSigner {
  crypto::PrivateKey key;
  crypto::Certificate certificate;
};

// The keys of the instance at one stage of a key change; the anchor lists every certificate.
struct SigningKeys {
  ConfigurationSigner active;  // signs every version published from now on
  // Announced: listed so that security servers learn it before it signs. Its key is checked as
  // the active one's is, since it will sign.
  std::optional<ConfigurationSigner> next;
  // Retired: signed until the switch, listed until every security server has installed an anchor
  // with the active certificate. Its key is not needed.
  std::optional<crypto::Certificate> previous;
};

class ConfigurationPublisher {
 public:
  // Every certificate must be issued by `ca_cert`, and each key match its certificate; `next` and
  // `previous` exclude each other. Refuses (FAILED_PRECONDITION) an active or next certificate
  // outside its validity or ending before a version published now would.
  static Result<std::unique_ptr<ConfigurationPublisher>> create(store::Database& db, const Clock& clock,
                                                                Membership& membership, SecurityServers& servers,
                                                                crypto::Certificate ca_cert, SigningKeys keys,
                                                                PublisherSettings settings);
  // One key, no change under way.
  static Result<std::unique_ptr<ConfigurationPublisher>> create(store::Database& db, const Clock& clock,
                                                                Membership& membership, SecurityServers& servers,
                                                                crypto::Certificate ca_cert,
                                                                crypto::PrivateKey signing_key,
                                                                crypto::Certificate signing_cert,
                                                                PublisherSettings settings);

  // The signed document to serve now, publishing a new version first when needed (also when the
  // newest one was signed with another key than the active one). When a new version cannot be
  // made (a stored value the document's rules refuse, a signing failure), the failure is logged
  // and audited (once while it lasts) and the newest stored version that has not expired and
  // verifies against the anchor is served; kUnavailable when there is none.
  Result<std::string> current();
  // The configuration anchor security-server administrators install (canonical JSON).
  std::string anchor_json() const;

 private:
  ConfigurationPublisher(store::Database& db, const Clock& clock, Membership& membership, SecurityServers& servers,
                         globalconf::ConfigurationAnchor anchor, SigningKeys keys, PublisherSettings settings);
  Result<globalconf::ConfigurationContent> gather();
  Result<std::string> publish_if_due();
  // Whether the stored version `version` (its signed bytes) was signed with the active key.
  bool signed_by_active_key(std::int64_t version, const std::string& signed_form);
  // Signs and verifies a trial document with the active key and with the next one: refuses
  // settings, keys and certificates that could never publish a valid configuration.
  Status self_check();
  Status check_signer(const ConfigurationSigner& signer, const char* role);

  store::Database& db_;
  const Clock& clock_;
  Membership& membership_;
  MemberRecords records_;
  GlobalGroups groups_;
  AccessLevels levels_;
  SecurityServers& servers_;
  const globalconf::ConfigurationAnchor anchor_;
  const SigningKeys keys_;
  const PublisherSettings settings_;
  std::string last_failure_;  // of the last publication attempt; empty after a success
  // The newest stored version whose signer was last looked at, and whether it was the active key.
  std::int64_t signer_checked_version_ = 0;
  bool signer_checked_active_ = false;
};

}  // namespace xacbe::registry
