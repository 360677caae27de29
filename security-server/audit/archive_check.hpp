#pragma once
// One archive file checked on its own and as the successor of the one before
// (docs/protocol/query-register.md "Retention and archives"): shared by the archiver, which reads
// back every file it writes before a record leaves, and by verify_archive_directory.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "audit/archive.hpp"
#include "audit/evidence_container.hpp"

namespace xacbe::ss {

// What an archive file must continue.
struct ArchiveLink {
  std::int64_t index = 1;
  std::string previous_sha256;  // raw 32 bytes: the predecessor as stored; 32 zero bytes for archive 1
  // The seq and prev_hash its first record must have; unknown (nullopt) when the predecessor's
  // records could not be read.
  std::optional<std::int64_t> next_seq;
  std::string next_prev_hash;  // raw 32 bytes
};

// What the file says of itself, as far as it could be read.
struct ArchiveFacts {
  bool readable = false;  // a zip with a manifest of this format
  std::optional<std::int64_t> first_seq, last_seq;
  std::string last_hash;  // raw 32 bytes
  bool encrypted = false;
  bool content_checked = false;
};

struct ArchiveCheckOptions {
  const std::optional<ArchiveKey>* decrypt = nullptr;
  // The content zip of an encrypted file, as the archiver built it (it holds no key).
  const std::string* known_content = nullptr;
  const std::vector<VerifiedRequest>* earlier_requests = nullptr;
  bool requests_may_precede = false;
};

// Adds its checks to `report`, each with `name` (and " record N") as subject; the requests read
// are appended to report.requests.
ArchiveFacts check_archive_file(const std::string& name, std::string_view stored, const ArchiveLink& link,
                                const EvidenceTrust& trust, const ArchiveCheckOptions& options,
                                EvidenceReport& report);

}  // namespace xacbe::ss
