#pragma once
// Internal to the registry module: a management request as parsed from its signed bytes, and the
// signer that verification found (docs/protocol/management-requests.md). Shared by the receiving
// side (management_request.cpp) and by storage and approval (security_servers.cpp).

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "xacbe/ca/certificate_authority.hpp"
#include "xacbe/crypto/certificate.hpp"
#include "xacbe/crypto/csr.hpp"
#include "xacbe/id/identifiers.hpp"
#include "security_servers.hpp"
#include "xacbe/result.hpp"

namespace xacbe::registry {
namespace detail {

inline constexpr std::string_view kBootstrap = "bootstrap";

// A release version as its numeric parts (see validate_version); kInvalidArgument otherwise.
Result<std::array<std::uint32_t, 4>> parse_version(std::string_view text);

}  // namespace detail

struct SecurityServers::Envelope {
  ManagementRequestType type;
  id::SecurityServerId server;
  std::string request_id;
  // Whole seconds, years 1970..9999: compared with the clock in seconds, since years past 2262 do
  // not fit a nanosecond TimePoint.
  std::chrono::sys_seconds created_at;
  std::string address;                                   // register-server
  std::string country;                                   // register-server
  std::string software_version;                          // register-server, report-version
  std::optional<crypto::CertificateRequest> csr;         // register-server, submit-csr
  ca::Profile key_usage = ca::Profile::kAuthentication;  // submit-csr
  std::optional<crypto::Certificate> certificate;        // register-auth-certificate
  std::optional<std::int64_t> notification_id;           // acknowledge-notification
};

struct SecurityServers::Signer {
  bool bootstrap = false;
  std::string serial;  // of the CEIQROO certificate, unless bootstrap
  std::string label() const { return bootstrap ? std::string(detail::kBootstrap) : serial; }
};

struct SecurityServers::Received {
  Envelope envelope;
  Signer signer;
};

}  // namespace xacbe::registry
