#pragma once
// Zip files of the evidence containers and archives (docs/protocol/evidence-container.md), written
// and read with libzip. Writing is deterministic: entries in the order given, one modification
// time for all. Reading treats the bytes as hostile: the number of entries, each entry's size and
// the total are bounded before anything is inflated, and names must be plain relative paths.

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "xacbe/result.hpp"

namespace xacbe::ss {

struct ZipEntry {
  std::string name;  // a relative path of [A-Za-z0-9._-] segments joined by '/'
  std::string bytes;
  bool operator==(const ZipEntry&) const = default;
};

struct ZipLimits {
  std::size_t max_entries = 100000;
  std::size_t max_entry_bytes = std::size_t{256} << 20;
  std::size_t max_total_bytes = std::size_t{1} << 30;
};

// kInvalidArgument for a name that breaks the rule above or is repeated. The first entry is
// stored uncompressed (the `mimetype` convention of ASiC), the others deflated.
Result<std::string> write_zip(const std::vector<ZipEntry>& entries, std::chrono::sys_seconds mtime);

// Folder entries ("name/", empty), which zip tools write, are checked and skipped.
// kInvalidArgument when the bytes are not a consistent zip file, an entry is encrypted, a name
// breaks the rule or repeats, a CRC does not match, or a limit is passed.
Result<std::vector<ZipEntry>> read_zip(std::string_view bytes, const ZipLimits& limits = {});

// The entry named `name`, or null.
const ZipEntry* find_entry(const std::vector<ZipEntry>& entries, std::string_view name);

}  // namespace xacbe::ss
