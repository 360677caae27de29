#pragma once
// "xacbe verify --archive DIR": an auditor's check of a security server's archive directory
// (docs/auditor-guide.md "Checking an archive directory", docs/protocol/query-register.md
// "Retention and archives"), offline, given the CEIQROO CA certificate or the configuration anchor.

#include <iosfwd>
#include <optional>
#include <string>

#include "audit/archive.hpp"
#include "audit/evidence_container.hpp"
#include "xacbe/result.hpp"

namespace xacbe::tools {

// --decrypt-key KEY.pem --decrypt-cert CERT.pem: both or neither.
Result<std::optional<ss::ArchiveKey>> load_archive_key(const std::string& key_file, const std::string& cert_file);

// Prints one line per check and the verdict to `out`. Exit code: 0 every check passed; 1 a check
// failed (the report says which, by file); 2 nothing could be checked (the directory cannot be
// listed; "xacbe: CODE: message" on `err`).
int verify_archive_command(const std::string& dir, const ss::EvidenceTrust& trust,
                           std::optional<ss::ArchiveKey> key, std::ostream& out, std::ostream& err);

}  // namespace xacbe::tools
