#pragma once
// Building the next archive file from the live register (audit/archive.hpp).

#include <cstdint>
#include <optional>
#include <string>

#include "audit/archive.hpp"

namespace xacbe::ss {

struct BuiltArchive {
  std::string bytes;        // as stored
  std::string content_zip;  // the content; the same bytes unless encrypted
  std::string first_prev_hash;
  ArchiveEntry entry;  // what the register will remember of it
};

// The file with index `index` holding what is due at `now`; nullopt when nothing is. kCorrupt when
// the live chain does not continue where it starts (nothing is archived past a broken chain).
Result<std::optional<BuiltArchive>> build_archive(const QueryRegister& reg, const ArchiveOptions& options,
                                                  std::int64_t index, const std::string& previous_sha256,
                                                  TimePoint now);

}  // namespace xacbe::ss
