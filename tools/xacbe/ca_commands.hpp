#pragma once
// The "xacbe ca ..." subcommands: the CEIQROO CA operated on its directory
// (ca.key, ca.pem, ca.db, ca.json; see docs/operator-guide.md).

#include <CLI/App.hpp>
#include <string>

#include "xacbe/crypto/csr.hpp"
#include "xacbe/result.hpp"

namespace xacbe::tools {

// "C=MX,O=PGJ,CN=SS1" -> ordered attributes; values may not contain ',' or '='.
Result<crypto::DistinguishedName> parse_subject(const std::string& text);

// Registers the subcommands; the one that runs stores its outcome in `result`.
void add_ca_commands(CLI::App& app, Status& result);

}  // namespace xacbe::tools
