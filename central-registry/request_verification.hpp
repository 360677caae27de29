#pragma once
// Internal to the registry module: a management request the registry received, with the signer
// that verification found (docs/protocol/management-requests.md, "Signature and bootstrap" and
// "Checks, in order"). The request itself is the shared wire format (management::Request);
// verification is in request_verification.cpp, storage and approval in security_servers.cpp.

#include <string>
#include <string_view>

#include "security_servers.hpp"
#include "xacbe/management/management_request.hpp"

namespace xacbe::registry {
namespace detail {

inline constexpr std::string_view kBootstrap = "bootstrap";

}  // namespace detail

struct SecurityServers::Signer {
  bool bootstrap = false;
  std::string serial;  // of the CEIQROO certificate, unless bootstrap
  std::string label() const { return bootstrap ? std::string(detail::kBootstrap) : serial; }
};

struct SecurityServers::Received {
  management::Request envelope;
  Signer signer;
};

}  // namespace xacbe::registry
