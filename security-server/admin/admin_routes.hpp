#pragma once
// The security server's admin API (docs/api/security-server.openapi.yaml): status, certificates,
// clients, services and access rights, and the authentication/authorization record. The routes see
// the server through AdminSources, a narrow view that the server fills from its parts and a test
// from its own, and change services and rights only through ServiceAdmin.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "admin/service_admin.hpp"
#include "monitoring/operational_log.hpp"
#include "register/query_register.hpp"
#include "xacbe/api/admin_api.hpp"
#include "xacbe/clock.hpp"
#include "xacbe/crypto/certificate.hpp"
#include "xacbe/crypto/ocsp_cache.hpp"

namespace xacbe::metrics {
class TextWriter;
}

namespace xacbe::ss {

struct GlobalConfigurationStatus {
  // The configuration in use; absent when there is none (`unavailable` says why).
  std::optional<std::uint64_t> version;
  std::chrono::sys_seconds created_at{}, expires_at{};
  std::chrono::seconds estamp_window{};  // the eight-hour rule's window of the configuration in use
  std::string unavailable;
  Status stored_copy;  // why the stored copy was not used at start; ok when it was, or there was none
  std::optional<TimePoint> last_refresh_at;
  Status last_refresh;  // of the last download
};

struct ListenerStatus {
  std::string name;  // "client", "client-tls", "provider", "admin"
  std::string scheme, address;
  std::uint16_t port = 0;
};

struct ServerStatus {
  std::string server_id;
  GlobalConfigurationStatus global_configuration;
  // The own certificates' OCSP responses; absent until a configuration has named the responders.
  std::optional<std::vector<crypto::OcspCacheEntryState>> ocsp;
  std::string tsa_url;  // of the configuration in use; empty without one
  RegisterStats register_stats;
  std::chrono::seconds admission_margin{};
  std::vector<ListenerStatus> listeners;
  std::optional<OperationalStats> operational;  // the operational records' queue; absent: none kept
};

// The eight-hour rule as an operator watches it (GET /api/v1/status and /metrics): without a
// backlog nothing is due and new exchanges are admitted.
struct EightHourState {
  std::optional<std::chrono::seconds> to_deadline;          // until the oldest untimestamped record's deadline
  std::optional<std::chrono::seconds> left_before_refusal;  // to_deadline minus the admission margin
  bool admitting = true;
};
EightHourState eight_hour_state(const RegisterStats& r, std::chrono::seconds margin, std::chrono::sys_seconds now);

struct OwnCertificate {
  std::string usage;                  // "authentication" or "signing"
  std::optional<id::MemberId> member; // the signing certificate's member
  crypto::Certificate certificate;
};

struct ClientStatus {
  id::ClientId client;
  ClientSettings settings;
  // Whether the configuration in use lists the client for this server; absent without one.
  std::optional<bool> registered;
};

struct AdminSources {
  std::function<ServerStatus()> status;
  std::function<std::vector<OwnCertificate>()> certificates;
  std::function<std::vector<ClientStatus>()> clients;
  std::function<Result<std::vector<StoredDecision>>(std::int64_t after_id, int limit)> decisions;
  // Writes the exchange counters for GET /metrics (ExchangeMetrics::write); may be empty.
  std::function<void(metrics::TextWriter&)> exchange_metrics;
};

// Adds every route of the security server's admin API, GET /metrics (admin/metrics_route.hpp)
// included. `sources`, `services` and `clock` must outlive `api`.
void add_admin_routes(api::AdminApi& api, const AdminSources& sources, ServiceAdmin& services, const Clock& clock);

}  // namespace xacbe::ss
