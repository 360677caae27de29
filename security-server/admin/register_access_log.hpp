#pragma once
// The record of who read the query register (ARCHITECTURE "Query register": every read and export
// is itself logged; docs/auditor-guide.md "The security server's query register"). One entry per
// search, record read or export, written before the answer leaves: a read whose entry cannot be
// written is refused, never answered unrecorded. Kept in the security server's admin database
// (server.db) under the schema module "register-access".
//
// Append-only: nothing here updates or deletes an entry, and triggers on the table refuse an UPDATE
// or a DELETE from any connection, so a reader with the API's rights cannot touch it.
//
// Not thread-safe: one connection, serialised by its owner (the admin API's lock).

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "xacbe/clock.hpp"
#include "xacbe/result.hpp"

namespace xacbe::store {
class Database;
}

namespace xacbe::ss {

// Actions as the log names them.
inline constexpr const char* kRegisterSearch = "register.search";
inline constexpr const char* kRegisterRead = "register.read";
inline constexpr const char* kRegisterExport = "register.export";

struct RegisterAccess {
  std::string user;                // the authenticated user's name
  std::string role;                // "administrator" or "auditor"
  std::string peer;                // the caller's network address
  std::string action;              // kRegisterSearch, kRegisterRead, kRegisterExport
  std::string detail;              // what was asked: a search's query, the seq read
  std::string outcome = "ok";      // "ok", "not-found" (a record absent or not the reader's), "denied"
  std::vector<std::int64_t> seqs;  // the records served, in the order served
};

struct StoredRegisterAccess {
  std::int64_t id = 0;
  TimePoint at{};
  RegisterAccess access;  // access.seqs: the first kMaxListedSeqs of them
  std::int64_t record_count = 0;
  std::optional<std::int64_t> first_seq, last_seq;
};

// Bounds on what an entry keeps, in bytes of UTF-8 (longer text is cut at a character boundary
// with "..." appended; bytes that are not UTF-8 become U+FFFD), so that an entry costs at most
// about 2 KiB whatever a caller sent: a search lists at most kMaxListedSeqs seqs, with the count
// and the first and last always kept.
inline constexpr std::size_t kMaxAccessUserBytes = 128;
inline constexpr std::size_t kMaxAccessPeerBytes = 128;
inline constexpr std::size_t kMaxAccessActionBytes = 64;
inline constexpr std::size_t kMaxAccessDetailBytes = 1024;
inline constexpr std::size_t kMaxListedSeqs = 100;
// A page of list() stops before this many bytes of entries (at least one entry is returned).
inline constexpr std::size_t kMaxAccessPageBytes = 1 << 20;

class RegisterAccessLog {
 public:
  // Opens (or creates) the log's table in the database at `path`. `clock` must outlive the log.
  static Result<std::unique_ptr<RegisterAccessLog>> open(const std::string& path, const Clock& clock);
  ~RegisterAccessLog();
  RegisterAccessLog(const RegisterAccessLog&) = delete;
  RegisterAccessLog& operator=(const RegisterAccessLog&) = delete;

  // Appends an entry stamped with the clock's time; durable when it returns OK.
  Status record(const RegisterAccess& access);
  // Entries with id > after_id, oldest first, only `user`'s when given; at most `limit` (1..1000)
  // and about max_bytes (at least one). `more`: another entry follows the page.
  struct Page {
    std::vector<StoredRegisterAccess> entries;
    bool more = false;
  };
  Result<Page> list(std::int64_t after_id, int limit, const std::optional<std::string>& user = std::nullopt,
                    std::size_t max_bytes = kMaxAccessPageBytes);

 private:
  RegisterAccessLog(std::unique_ptr<store::Database> db, const Clock& clock);
  std::unique_ptr<store::Database> db_;
  const Clock& clock_;
};

}  // namespace xacbe::ss
