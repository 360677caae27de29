#pragma once
// Whole-file reads and crash-safe writes.

#include <string>
#include <string_view>

#include "xacbe/result.hpp"

namespace xacbe {

Result<std::string> read_file(const std::string& path);

// Writes to a temporary file beside `path`, fsyncs it, renames it over `path` and fsyncs the
// directory, so a crash leaves either the old or the new content. `mode` as for chmod.
Status write_file_atomic(const std::string& path, std::string_view content, unsigned mode = 0644);

}  // namespace xacbe
