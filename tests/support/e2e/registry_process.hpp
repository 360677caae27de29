#pragma once
// The real xacbe-central-registry as integration tests run it: administrator and auditor tokens
// made with `xacbe token generate`, a configuration the test may edit before start(), the process
// on a free 127.0.0.1 port, and admin API requests with those tokens. Files live in the
// TrustServices directory next to its CA, which the registry uses.

#include <csignal>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "support/e2e/trust_services.hpp"
#include "xacbe/net/http_client.hpp"

namespace xacbe::testing {

class RegistryProcess {
 public:
  struct Token {
    std::string secret;
    std::string sha256;
    std::string file;  // holds the secret (owner read/write only), as an operator keeps it
  };

  enum class As { kAdministrator, kAuditor, kAnonymous, kWrongToken };

  struct Reply {
    int status = 0;
    nlohmann::json json;  // discarded when the body is not JSON
    net::HttpResponse http;

    std::string code() const { return error_field("code"); }
    std::string message() const { return error_field("message"); }

   private:
    std::string error_field(const char* name) const;
  };

  // Copies conf/business-calendar.json beside the CA, generates the "admin" (administrator) and
  // "auditor" tokens and builds the default configuration: listen, log and a registry section
  // with smtp (nobody listens there) and both users. Starts nothing yet. Throws on failure.
  RegistryProcess(TrustServices& services, std::string binary);

  nlohmann::json& config() { return config_; }
  // Adds the "globalconf" section: the signing key and certificate (the registry makes them on
  // first start), the trust services' ocsp.pem and tsa.pem, and their URLs (by default the
  // standard ports, where nothing needs to listen for the registry to publish). Returns it.
  nlohmann::json& publish_globalconf(const std::string& download_url = "http://127.0.0.1:8880/globalconf/QROO",
                                     const std::string& ocsp_url = "http://127.0.0.1:8891/",
                                     const std::string& tsa_url = "http://127.0.0.1:8890/");
  const nlohmann::json& config() const { return config_; }
  std::string config_path() const { return services_.dir().file("registry.json"); }

  // Writes the configuration and starts the registry, killing a running one first. Throws if it
  // does not start.
  void start();
  // Sends `signal` and waits for the exit; returns the exit status (as from waitpid) or -1.
  int stop(int signal = SIGTERM);
  // stop(signal), then start(); returns what stop returned.
  int restart(int signal = SIGTERM);

  unsigned port() const { return port_; }
  // "http://127.0.0.1:<port>", or https when the configuration has listen.tls.
  std::string url() const;
  const Token& admin() const { return admin_; }
  const Token& auditor() const { return auditor_; }
  ChildProcess& process() { return *process_; }
  std::string log() const;

  Reply call(const std::string& method, const std::string& target, const std::string& body = {},
             As as = As::kAdministrator, const std::string& content_type = "application/json");
  Reply send(const std::string& target, net::HttpRequest request);
  Reply get(const std::string& target, As as = As::kAdministrator) { return call("GET", target, {}, as); }
  Reply post(const std::string& target, const nlohmann::json& body, As as = As::kAdministrator) {
    return call("POST", target, body.dump(), as);
  }

 private:
  Token generate_token(const std::string& name) const;

  TrustServices& services_;
  std::string binary_;
  Token admin_, auditor_;
  nlohmann::json config_;
  std::unique_ptr<ChildProcess> process_;
  unsigned port_ = 0;
  bool tls_ = false;
};

// A complete application for membership, as the protocol requires it (every person and security
// field filled), for `member`; `name` is the institution's display name.
nlohmann::json application_for(const std::string& member,
                               const std::string& name = "Fiscalía General del Estado de Quintana Roo");

}  // namespace xacbe::testing
