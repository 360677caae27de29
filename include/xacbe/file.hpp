#pragma once
// Whole-file reads and crash-safe writes.

#include <cstddef>
#include <string>
#include <string_view>

#include "xacbe/result.hpp"

namespace xacbe {

// The default bound of read_file: far above any configuration, certificate, key or signed
// configuration, far below what would hurt.
inline constexpr std::size_t kMaxReadBytes = 64u << 20;
// The whole file, refused (kInvalidArgument, naming the limit) when it holds more than
// `max_bytes`: a file an operator points at may be anything, a FIFO or a disk image included.
// Reads at most max_bytes + 1 bytes whatever the file is.
Result<std::string> read_file(const std::string& path, std::size_t max_bytes = kMaxReadBytes);

// Writes to a temporary file beside `path`, fsyncs it, renames it over `path` and fsyncs the
// directory, so a crash leaves either the old or the new content. `mode` as for chmod.
Status write_file_atomic(const std::string& path, std::string_view content, unsigned mode = 0644);

}  // namespace xacbe
