#pragma once
// "xacbe verify": an evidence container checked offline, with no running Xacbe service, given only
// the CEIQROO CA certificate or the configuration anchor (docs/protocol/evidence-container.md
// "Verification"):
//   verify (--ca FILE | --anchor FILE) CONTAINER
//   verify (--ca FILE | --anchor FILE) --archive DIR [--decrypt-key KEY --decrypt-cert CERT]
//     (archive_commands.hpp: a security server's archive directory, docs/auditor-guide.md)
// Prints one line per check ("ok" or "FAIL", the record, the check, why) and the verdict
// ("VALID: ..." or "INVALID: ...").

#include <CLI/App.hpp>

namespace xacbe::tools {

// Exit code in `exit_code`: 0 valid; 1 invalid, the report printed; 2 nothing was checked: the
// trust file or the container cannot be read, or the container is not a zip of the format
// ("xacbe: CODE: message" on stderr).
void add_verify_commands(CLI::App& app, int& exit_code);

}  // namespace xacbe::tools
