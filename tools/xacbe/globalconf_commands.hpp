#pragma once
// The "xacbe globalconf ..." subcommands: a global configuration checked against a configuration
// anchor exactly as a security server checks it (globalconf::verify(), the checks of section 3.2
// of docs/protocol/global-configuration.md), read from a file or downloaded:
//   verify   --anchor FILE [--min-version N] FILE
//   download --anchor FILE [--url URL] [--min-version N] -o FILE
// The verdict is one line on stdout: "accepted: instance ..., version ..." or
// "refused (FAULT): reason", FAULT one of the fault names of section 5.

#include <CLI/App.hpp>

namespace xacbe::tools {

// Registers the subcommands. The one that runs stores its exit code in `exit_code`: 0 accepted
// (download: and written); 1 refused, the verdict printed (download: nothing written); 2 nothing
// was checked, or the accepted configuration could not be written: the anchor or FILE cannot be
// read, the anchor or --url is not valid, or the output cannot be written ("xacbe: CODE: message"
// on stderr). Usage errors are CLI11 parse errors, exit 2 in main.
void add_globalconf_commands(CLI::App& app, int& exit_code);

}  // namespace xacbe::tools
