#include "audit/zip_file.hpp"

#include <zip.h>

#include <memory>
#include <set>

namespace xacbe::ss {
namespace {

struct ZipCloser {
  void operator()(zip_t* z) const noexcept { zip_discard(z); }
};
using ZipPtr = std::unique_ptr<zip_t, ZipCloser>;
struct SourceFree {
  void operator()(zip_source_t* s) const noexcept { zip_source_free(s); }
};
using SourcePtr = std::unique_ptr<zip_source_t, SourceFree>;
struct FileClose {
  void operator()(zip_file_t* f) const noexcept { zip_fclose(f); }
};
using FilePtr = std::unique_ptr<zip_file_t, FileClose>;

std::string error_text(zip_error_t* error) { return zip_error_strerror(error); }

bool plain_segment(std::string_view s) {
  if (s.empty() || s == "." || s == "..") return false;
  for (char c : s) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
                    c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

Status check_name(std::string_view name, std::set<std::string, std::less<>>& seen) {
  if (name.empty() || name.size() > 255) return invalid_argument("a zip entry name is empty or longer than 255 bytes");
  std::size_t start = 0;
  for (;;) {
    const std::size_t slash = name.find('/', start);
    if (!plain_segment(name.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start))) {
      return invalid_argument("the zip entry name '" + std::string(name.substr(0, 64)) +
                              "' is not a plain relative path");
    }
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  if (!seen.emplace(name).second) return invalid_argument("the zip entry '" + std::string(name) + "' appears twice");
  return Status::ok();
}

}  // namespace

Result<std::string> write_zip(const std::vector<ZipEntry>& entries, std::chrono::sys_seconds mtime) {
  std::set<std::string, std::less<>> seen;
  for (const ZipEntry& e : entries) XACBE_RETURN_IF_ERROR(check_name(e.name, seen));
  zip_error_t error;
  zip_error_init(&error);
  SourcePtr buffer(zip_source_buffer_create(nullptr, 0, 0, &error));
  if (!buffer) return internal_error("zip: " + error_text(&error));
  ZipPtr archive(zip_open_from_source(buffer.get(), ZIP_TRUNCATE, &error));
  if (!archive) return internal_error("zip: " + error_text(&error));
  zip_source_keep(buffer.get());  // the archive's close would free it; the bytes are read after
  const time_t when = static_cast<time_t>(mtime.time_since_epoch().count());
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const ZipEntry& e = entries[i];
    zip_source_t* data = zip_source_buffer(archive.get(), e.bytes.data(), e.bytes.size(), 0);
    if (data == nullptr) return internal_error("zip: " + std::string(zip_strerror(archive.get())));
    const zip_int64_t index = zip_file_add(archive.get(), e.name.c_str(), data, ZIP_FL_ENC_UTF_8);
    if (index < 0) {
      zip_source_free(data);
      return internal_error("zip: " + std::string(zip_strerror(archive.get())));
    }
    const auto u = static_cast<zip_uint64_t>(index);
    if (zip_set_file_compression(archive.get(), u, i == 0 ? ZIP_CM_STORE : ZIP_CM_DEFLATE, 0) != 0 ||
        zip_file_set_mtime(archive.get(), u, when, 0) != 0) {
      return internal_error("zip: " + std::string(zip_strerror(archive.get())));
    }
  }
  if (zip_close(archive.get()) != 0) return internal_error("zip: " + std::string(zip_strerror(archive.get())));
  archive.release();  // closed: zip_close freed it

  if (zip_source_open(buffer.get()) != 0) return internal_error("zip: cannot read the written archive");
  std::string out;
  char chunk[64 * 1024];
  for (;;) {
    const zip_int64_t n = zip_source_read(buffer.get(), chunk, sizeof chunk);
    if (n < 0) {
      zip_source_close(buffer.get());
      return internal_error("zip: cannot read the written archive");
    }
    if (n == 0) break;
    out.append(chunk, static_cast<std::size_t>(n));
  }
  zip_source_close(buffer.get());
  return out;
}

Result<std::vector<ZipEntry>> read_zip(std::string_view bytes, const ZipLimits& limits) {
  zip_error_t error;
  zip_error_init(&error);
  // The source does not own `bytes`; the archive is discarded before they go away.
  SourcePtr source(zip_source_buffer_create(bytes.data(), bytes.size(), 0, &error));
  if (!source) return internal_error("zip: " + error_text(&error));
  ZipPtr archive(zip_open_from_source(source.get(), ZIP_RDONLY | ZIP_CHECKCONS, &error));
  if (!archive) return invalid_argument("not a readable zip file: " + error_text(&error));
  zip_source_keep(source.get());  // the archive holds a reference too

  const zip_int64_t count = zip_get_num_entries(archive.get(), 0);
  if (count < 0 || static_cast<zip_uint64_t>(count) > limits.max_entries) {
    return invalid_argument("the zip file has more than " + std::to_string(limits.max_entries) + " entries");
  }
  std::set<std::string, std::less<>> seen;
  std::vector<ZipEntry> out;
  std::size_t total = 0;
  for (zip_uint64_t i = 0; i < static_cast<zip_uint64_t>(count); ++i) {
    zip_stat_t st;
    zip_stat_init(&st);
    if (zip_stat_index(archive.get(), i, 0, &st) != 0 || (st.valid & ZIP_STAT_NAME) == 0 ||
        (st.valid & ZIP_STAT_SIZE) == 0) {
      return invalid_argument("zip entry " + std::to_string(i) + " cannot be read");
    }
    if ((st.valid & ZIP_STAT_ENCRYPTION_METHOD) != 0 && st.encryption_method != ZIP_EM_NONE) {
      return invalid_argument("zip entry " + std::to_string(i) + " is encrypted");
    }
    std::string_view name = st.name;
    if (!name.empty() && name.back() == '/' && st.size == 0) {
      // A folder entry, as zip tools write them: its path must be plain; it holds nothing.
      XACBE_RETURN_IF_ERROR(check_name(name.substr(0, name.size() - 1), seen));
      continue;
    }
    XACBE_RETURN_IF_ERROR(check_name(name, seen));
    if (st.size > limits.max_entry_bytes || st.size > limits.max_total_bytes - total) {
      return invalid_argument("the zip entry '" + std::string(st.name) + "' passes the size limit");
    }
    FilePtr file(zip_fopen_index(archive.get(), i, 0));
    if (!file) return invalid_argument("zip entry '" + std::string(st.name) + "': " + zip_strerror(archive.get()));
    ZipEntry e{st.name, std::string(static_cast<std::size_t>(st.size), '\0')};
    zip_uint64_t done = 0;
    while (done < st.size) {
      const zip_int64_t n = zip_fread(file.get(), e.bytes.data() + done, st.size - done);
      if (n <= 0) {
        return invalid_argument("zip entry '" + e.name + "' is damaged: " + zip_file_strerror(file.get()));
      }
      done += static_cast<zip_uint64_t>(n);
    }
    // One byte more than the directory says, or a CRC failure at the end, is damage.
    char extra;
    if (zip_fread(file.get(), &extra, 1) != 0) return invalid_argument("zip entry '" + e.name + "' is damaged");
    total += e.bytes.size();
    out.push_back(std::move(e));
  }
  return out;
}

const ZipEntry* find_entry(const std::vector<ZipEntry>& entries, std::string_view name) {
  for (const ZipEntry& e : entries) {
    if (e.name == name) return &e;
  }
  return nullptr;
}

}  // namespace xacbe::ss
