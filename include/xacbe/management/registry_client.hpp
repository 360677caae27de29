#pragma once
// Sending a signed management request to the central registry and reading its answer
// (docs/protocol/management-requests.md; the route is POST /api/v1/management-requests of
// docs/api/central-registry.openapi.yaml). Synchronous: one HTTP exchange per call, bounded by
// the client options' deadline.

#include <string>

#include "xacbe/management/management_request.hpp"
#include "xacbe/net/http_client.hpp"
#include "xacbe/result.hpp"

namespace xacbe::management {

// What the registry answered a request it accepted.
struct RegistryAnswer {
  // 201: stored (register-server, submit-csr, register-auth-certificate), the body is the request
  // as the registry keeps it, its id and state; 200: answered at once (report-version: the server;
  // list- and acknowledge-notification: the notifications).
  int status = 0;
  std::string body;  // a JSON object, as the API documents it for the type
};

// POSTs {"request": base64, "signature": base64} to `registry_url` (the registry's admin API base,
// e.g. "https://registry.ceiqroo.example:4400") + kRegistryPath. A refusal comes back as the
// registry's own Status: its code (INVALID_ARGUMENT, PERMISSION_DENIED, ...) and message, prefixed
// "registry: ". Transport failures are the HTTP client's (kUnavailable, kDeadlineExceeded, ...);
// an answer that is neither a JSON object nor an error document is kInvalidArgument.
Result<RegistryAnswer> send_request(const std::string& registry_url, const SignedRequest& request,
                                    const net::ClientOptions& options = {});

}  // namespace xacbe::management
