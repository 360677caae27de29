#pragma once
// Publishes the instance's global configuration (ARCHITECTURE.md, "Global configuration";
// docs/protocol/global-configuration.md): the members in good standing (active or terminating;
// suspended and terminated ones drop out) and their current subsystems, their security servers
// with addresses, clients (the owner member, then its subsystems) and authentication-certificate
// hashes, the global groups (each with those of its clients the document lists), the CA, OCSP and
// TSA, and the global settings, signed with the registry's configuration-signing key.
//
// A new version is published when the content changes or when the current one has used half of
// its validity, so security servers always hold a copy well before it expires. Every publication
// is stored (version, times, signed bytes); versions never go back, also across restarts.
// Not thread-safe: the owner serialises calls (shared database connection).

#include <chrono>
#include <string>
#include <vector>

#include "xacbe/globalconf/global_configuration.hpp"
#include "xacbe/globalconf/signed_configuration.hpp"
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

class ConfigurationPublisher {
 public:
  // `signing_cert` must be issued by `ca_cert` and match `signing_key`.
  static Result<std::unique_ptr<ConfigurationPublisher>> create(store::Database& db, const Clock& clock,
                                                                Membership& membership, SecurityServers& servers,
                                                                crypto::Certificate ca_cert,
                                                                crypto::PrivateKey signing_key,
                                                                crypto::Certificate signing_cert,
                                                                PublisherSettings settings);

  // The signed document to serve now, publishing a new version first when needed. When a new
  // version cannot be made (a stored value the document's rules refuse, a signing failure), the
  // failure is logged and audited (once while it lasts) and the newest stored version that has
  // not expired is served; kUnavailable when there is none.
  Result<std::string> current();
  // The configuration anchor security-server administrators install (canonical JSON).
  std::string anchor_json() const;

 private:
  ConfigurationPublisher(store::Database& db, const Clock& clock, Membership& membership, SecurityServers& servers,
                         globalconf::ConfigurationAnchor anchor, crypto::PrivateKey signing_key,
                         crypto::Certificate signing_cert, PublisherSettings settings);
  Result<globalconf::ConfigurationContent> gather();
  Result<std::string> publish_if_due();
  // Signs and verifies a trial document: refuses settings, keys and certificates that could
  // never publish a valid configuration.
  Status self_check();

  store::Database& db_;
  const Clock& clock_;
  Membership& membership_;
  MemberRecords records_;
  GlobalGroups groups_;
  SecurityServers& servers_;
  const globalconf::ConfigurationAnchor anchor_;
  const crypto::PrivateKey signing_key_;
  const crypto::Certificate signing_cert_;
  const PublisherSettings settings_;
  std::string last_failure_;  // of the last publication attempt; empty after a success
};

}  // namespace xacbe::registry
