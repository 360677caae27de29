#pragma once
// The "xacbe register ..." subcommands: a security server's query register through its admin API
// (docs/api/security-server.openapi.yaml, tag register), for the users designated to read it:
//   search     records' metadata by message id, request id, client, service, user id, side, kind,
//              result and time, one page at a time (--after the answer's next_after)
//   show SEQ   one record with its head, body and e-stamp; --body-out FILE writes the body's bytes
//   accesses   the register access log
// Every search and read is recorded by the server before it answers. Connection options, token
// and output are those of "xacbe registry" (admin_client.hpp).

#include <CLI/App.hpp>

namespace xacbe::tools {

// Registers the subcommands; the one that runs prints the API's JSON answer on stdout, or why it
// failed on stderr, and stores its exit code in `exit_code` (0, or 1 when the server refused or
// could not be reached or a file could not be written). Malformed options are CLI11 parse errors
// (exit 2 in main) and send nothing.
void add_register_commands(CLI::App& app, int& exit_code);

}  // namespace xacbe::tools
