#pragma once
// A whole federation on loopback for end-to-end tests, built the way operators build one: the
// CEIQROO's CA, OCSP responder, TSA and registry (real executables), members admitted through the
// registry's API, security servers registered with signed management requests that an
// administrator approves, certificates issued from CSRs, the anchor exported by the registry, and
// real xacbe-security-server processes. Nothing is written behind a component's back.

#include <map>
#include <memory>
#include <set>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "support/e2e/registry_process.hpp"
#include "support/e2e/trust_services.hpp"
#include "support/process.hpp"
#include "xacbe/crypto/certificate.hpp"
#include "xacbe/crypto/key.hpp"

namespace xacbe::testing {

struct FederationExecutables {
  Executables trust;
  std::string registry, security_server;
};

class SecurityServerNode {
 public:
  std::string id;      // QROO/EST/FGE/SS1
  std::string dir;     // its files: keys, certificates, configuration, register
  unsigned client_port = 0, provider_port = 0, client_tls_port = 0;
  nlohmann::json config;  // written at start()
  std::string auth_key, auth_cert;
  std::map<std::string, std::pair<std::string, std::string>> signing;  // member -> (key, certificate)

  // Writes the configuration and starts the process (killing a running one); waits until it serves.
  void start(const std::vector<std::string>& environment = {});
  int stop(int signal = 15);
  bool running() const { return process_ && process_->running(); }
  std::string log() const { return process_ ? process_->log() : std::string(); }
  std::string client_url() const { return "http://127.0.0.1:" + std::to_string(client_port); }
  std::string file(const std::string& name) const { return dir + "/" + name; }

  // Its query register, read while it runs (SQLite WAL lets readers in): the number of records
  // WHERE `where`, one column of the first such record, and their message ids. -1 / empty when
  // the file cannot be read.
  int count_records(const std::string& where = "1") const;
  std::string record_column(const std::string& column, const std::string& where) const;
  std::set<std::string> message_ids(const std::string& where) const;

  // Adds a client of this server with the given connection mode (and certificate fingerprints).
  void add_client(const std::string& client, const std::string& mode = "http",
                  const std::vector<std::string>& certificates = {});
  // Adds a REST service answered by the information system at `url`, with access rights
  // ("SUBJECT" or "SUBJECT METHOD /path").
  void add_service(const std::string& service, const std::string& url, const std::vector<std::string>& access,
                   const std::vector<std::string>& endpoints = {});

 private:
  friend class Federation;
  std::string binary_;
  std::unique_ptr<ChildProcess> process_;
};

class Federation {
 public:
  // Creates the CA and starts the TSA, the OCSP responder and the registry with a global
  // configuration. Throws on failure.
  explicit Federation(FederationExecutables bin);

  TrustServices& services() { return services_; }
  RegistryProcess& registry() { return registry_; }

  // Applies for and admits `member` (INSTANCE/CLASS/CODE) and adds its subsystems.
  void admit(const std::string& member, const std::string& name, const std::vector<std::string>& subsystems);
  // Registers security server `id` of an admitted member: an authentication key and a
  // register-server signed the bootstrap way, approved; then the owner's signing key certified by
  // a submit-csr signed with the new authentication certificate, approved. Also writes the anchor.
  // Both keys are of `key_type`.
  SecurityServerNode& add_server(const std::string& id, crypto::KeyType key_type = crypto::KeyType::kEcP256);
  // A signing certificate for `member` on `node` issued by the CA from a CSR, as the CEIQROO does
  // for a member hosted on another member's server.
  void add_hosted_signing_key(SecurityServerNode& node, const std::string& member, const std::string& name);

  // Registers `client` (a member or subsystem of another member) on `node`: a register-client
  // signed with the node's authentication certificate, approved by the administrator.
  void register_client(SecurityServerNode& node, const std::string& client);
  // Gives `node` an HTTPS client interface with a CEIQROO service certificate for 127.0.0.1.
  void enable_client_tls(SecurityServerNode& node);

  // A registry API call as the administrator, throwing unless it answers `expected`.
  RegistryProcess::Reply admin(const std::string& method, const std::string& target, const nlohmann::json& body,
                               int expected);

 private:
  FederationExecutables bin_;
  TrustServices services_;
  RegistryProcess registry_;
  std::vector<std::unique_ptr<SecurityServerNode>> nodes_;
  int requests_ = 0;
};

}  // namespace xacbe::testing
