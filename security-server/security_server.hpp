#pragma once
// One running security server: its configuration client, own certificates and their OCSP
// responses, signers, query register and timestamper, and its listeners — the client interface
// (plain HTTP, and HTTPS when configured) for its members' information systems, the provider
// interface (mutual TLS with the authentication certificate) for other security servers, and,
// when configured, the admin API (admin/admin_routes.hpp) for its operators.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>

#include "settings.hpp"
#include "xacbe/clock.hpp"
#include "xacbe/result.hpp"

namespace xacbe::ss {

class SecurityServer {
 public:
  // Loads keys, certificates, the anchor and the stored configuration; opens the register.
  // Fails (kInvalidArgument, kFailedPrecondition) on anything an operator must fix first.
  static Result<std::unique_ptr<SecurityServer>> create(Settings settings, const Clock& clock);
  ~SecurityServer();

  // Starts the listeners and the background work (configuration refresh, OCSP, timestamping).
  Status start();
  // Stops accepting, drains requests in flight up to `drain`, stops the background work.
  void stop(std::chrono::milliseconds drain);

  // Replaces the services and access rights with those of `settings` (SIGHUP): the next request
  // uses them; requests in flight finish with the ones they started with. A catalog that does
  // not check out is refused and the current one kept.
  Status reload_services(const Settings& settings);

  std::uint16_t client_port() const;
  std::uint16_t client_tls_port() const;  // 0 when not configured
  std::uint16_t provider_port() const;
  std::uint16_t admin_port() const;  // 0 when not configured

 private:
  struct Impl;
  explicit SecurityServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace xacbe::ss
