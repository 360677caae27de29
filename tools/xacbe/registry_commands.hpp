#pragma once
// The "xacbe registry ..." subcommands: the central registry's admin API
// (docs/api/central-registry.openapi.yaml) called over HTTP or HTTPS with a bearer token.
//
// The token comes from --token-file or from the XACBE_TOKEN environment variable, never from an
// argument (other local users can read arguments in the process list). An https:// --url needs
// --ca-file, the CEIQROO root the registry's TLS certificate chains to.

#include <CLI/App.hpp>

namespace xacbe::tools {

// Registers the subcommands. The one that runs prints the API's JSON answer on stdout, or why it
// failed on stderr as "xacbe: <CODE>: <message>" (CODE as the registry names it, e.g.
// PERMISSION_DENIED or UNAUTHENTICATED), and stores its exit code in `exit_code`: 0 on success, 1
// when the registry refused or could not be reached or a local file could not be read. Usage
// errors, including a malformed member id, are CLI11 parse errors (exit 2 in main) and send
// nothing.
void add_registry_commands(CLI::App& app, int& exit_code);

}  // namespace xacbe::tools
