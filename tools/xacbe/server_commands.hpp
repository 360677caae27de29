#pragma once
// The "xacbe server ..." subcommands: what a member's administrator runs to set up a security
// server, on its setup directory (--dir, server_directory.hpp):
//   init                               keys, CSRs and server-id
//   register                           register-server, signed the bootstrap way with auth.key
//   submit-csr --usage sign|auth       a key certified, signed with auth.key + auth.pem
//   register-client, unregister-client carry (or stop carrying) another member's client
//   collect                            fetch issued certificates, check them, install them
//   status                             what the directory holds
// The management requests are docs/protocol/management-requests.md; the certificates come from
// the registry's public GET /api/v1/management-requests/{id}/certificate.

#include <CLI/App.hpp>

#include "xacbe/result.hpp"

namespace xacbe::tools {

// Registers the subcommands; the one that runs stores its outcome in `result` (main prints a
// failure as "xacbe: CODE: message" and exits 1). Malformed ids, addresses, countries, versions
// and URLs are CLI11 validation errors (exit 2) and nothing is written or sent.
void add_server_commands(CLI::App& app, Status& result);

}  // namespace xacbe::tools
