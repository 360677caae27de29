// The query register's side of retention (docs/protocol/query-register.md "Retention and
// archives"): which archive files were written, and the records and decisions leaving the live
// store once an archive holds them. The archiver (audit/archive.cpp) decides when; every write
// here runs on the writer thread, one short transaction at a time, so appends interleave.

#include <utility>

#include "register/query_register.hpp"
#include "register/record_hash.hpp"
#include "register/register_schema.hpp"
#include "register/register_time.hpp"
#include "xacbe/store/database.hpp"

namespace xacbe::ss {
namespace {

constexpr const char* kArchiveColumns =
    "archive_index, file, sha256, first_seq, last_seq, last_hash, decisions_through, decisions, written_at,"
    " transferred, deleted_through, done";

ArchiveEntry read_archive(const store::Statement& row) {
  ArchiveEntry a;
  a.index = row.column_int64(0);
  a.file = row.column_text(1);
  a.sha256 = row.column_blob(2);
  if (!row.is_null(3)) a.first_seq = row.column_int64(3);
  if (!row.is_null(4)) a.last_seq = row.column_int64(4);
  a.last_hash = row.column_blob(5);
  a.decisions_through = row.column_int64(6);
  a.decisions = row.column_int64(7);
  a.written_at = from_unix_millis(row.column_int64(8));
  a.transferred = row.column_int64(9) != 0;
  a.deleted_through = row.column_int64(10);
  a.done = row.column_int64(11) != 0;
  return a;
}

}  // namespace

Result<ChainStart> read_chain_start(store::Database& db) {
  XACBE_ASSIGN_OR_RETURN(store::Statement query,
                         db.prepare("SELECT deleted_through, deleted_through_hash FROM archives"
                                    " WHERE deleted_through > 0 ORDER BY deleted_through DESC LIMIT 1"));
  XACBE_ASSIGN_OR_RETURN(bool row, query.step());
  if (!row) return ChainStart{1, kGenesisHash};
  return ChainStart{query.column_int64(0) + 1, query.column_blob(1)};
}

Status QueryRegister::add_archive(const ArchiveEntry& a) {
  return run_on_writer_and_wait([&](store::Database& db) -> Status {
    XACBE_ASSIGN_OR_RETURN(store::Statement insert,
                           db.prepare("INSERT INTO archives(archive_index, file, sha256, first_seq, last_seq, last_hash,"
                                      " decisions_through, decisions, written_at, transferred)"
                                      " VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10)"));
    insert.bind(1, a.index).bind(2, a.file).bind_blob(3, a.sha256);
    if (a.first_seq && a.last_seq) {
      insert.bind(4, *a.first_seq).bind(5, *a.last_seq).bind_blob(6, a.last_hash);
    } else {
      insert.bind_null(4).bind_null(5).bind_null(6);
    }
    insert.bind(7, a.decisions_through).bind(8, a.decisions).bind(9, to_unix_millis(a.written_at));
    insert.bind(10, std::int64_t{a.transferred ? 1 : 0});
    return insert.run();
  });
}

Status QueryRegister::mark_archive_transferred(std::int64_t index) {
  return run_on_writer_and_wait([&](store::Database& db) -> Status {
    XACBE_ASSIGN_OR_RETURN(store::Statement update,
                           db.prepare("UPDATE archives SET transferred = 1 WHERE archive_index = ?1"));
    update.bind(1, index);
    return update.run();
  });
}

Result<std::int64_t> QueryRegister::delete_archived(std::int64_t index, std::size_t batch) {
  if (batch == 0) return invalid_argument("a deletion batch takes at least one record");
  std::int64_t removed = 0;
  XACBE_RETURN_IF_ERROR(run_on_writer_and_wait([&](store::Database& db) -> Status {
    removed = 0;
    XACBE_ASSIGN_OR_RETURN(store::Transaction tx, store::Transaction::begin(db));
    XACBE_ASSIGN_OR_RETURN(store::Statement query,
                           db.prepare(std::string("SELECT ") + kArchiveColumns + " FROM archives WHERE archive_index = ?1"));
    query.bind(1, index);
    XACBE_ASSIGN_OR_RETURN(bool found, query.step());
    if (!found) return not_found("no archive " + std::to_string(index) + " is recorded");
    const ArchiveEntry a = read_archive(query);
    if (a.done) return Status::ok();
    if (a.first_seq && a.last_seq && a.deleted_through < *a.last_seq) {
      // Only records the archive holds, the lowest first, so the live chain keeps one start.
      const std::int64_t from = std::max(a.deleted_through, *a.first_seq - 1);
      const std::int64_t through = std::min(*a.last_seq, from + static_cast<std::int64_t>(batch));
      XACBE_ASSIGN_OR_RETURN(store::Statement last, db.prepare("SELECT hash FROM records WHERE seq = ?1"));
      last.bind(1, through);
      XACBE_ASSIGN_OR_RETURN(bool has_last, last.step());
      if (!has_last) {
        return Status(Code::kCorrupt, "record " + std::to_string(through) + " of archive " + std::to_string(index) +
                                          " is not in the live store");
      }
      const std::string through_hash = last.column_blob(0);
      if (through == *a.last_seq && through_hash != a.last_hash) {
        return Status(Code::kCorrupt, "record " + std::to_string(through) + " is not the one archive " +
                                          std::to_string(index) + " holds");
      }
      XACBE_ASSIGN_OR_RETURN(store::Statement del, db.prepare("DELETE FROM records WHERE seq > ?1 AND seq <= ?2"));
      del.bind(1, from).bind(2, through);
      XACBE_RETURN_IF_ERROR(del.run());
      removed = db.changes();
      XACBE_ASSIGN_OR_RETURN(store::Statement batches, db.prepare("DELETE FROM timestamp_batches WHERE last_seq <= ?1"));
      batches.bind(1, through);
      XACBE_RETURN_IF_ERROR(batches.run());
      XACBE_ASSIGN_OR_RETURN(store::Statement update,
                             db.prepare("UPDATE archives SET deleted_through = ?1, deleted_through_hash = ?2"
                                        " WHERE archive_index = ?3"));
      update.bind(1, through).bind_blob(2, through_hash).bind(3, index);
      XACBE_RETURN_IF_ERROR(update.run());
      return tx.commit();
    }
    // The records are gone: its decisions follow, and it is done.
    XACBE_ASSIGN_OR_RETURN(store::Statement del, db.prepare("DELETE FROM decisions WHERE id <= ?1"));
    del.bind(1, a.decisions_through);
    XACBE_RETURN_IF_ERROR(del.run());
    XACBE_ASSIGN_OR_RETURN(store::Statement update, db.prepare("UPDATE archives SET done = 1 WHERE archive_index = ?1"));
    update.bind(1, index);
    XACBE_RETURN_IF_ERROR(update.run());
    return tx.commit();
  }));
  return removed;
}

Result<std::vector<ArchiveEntry>> QueryRegister::pending_archives() const {
  std::lock_guard lock(reader_mu_);
  XACBE_ASSIGN_OR_RETURN(store::Statement query,
                         reader_db_->prepare(std::string("SELECT ") + kArchiveColumns +
                                             " FROM archives WHERE done = 0 ORDER BY archive_index"));
  std::vector<ArchiveEntry> out;
  for (;;) {
    XACBE_ASSIGN_OR_RETURN(bool row, query.step());
    if (!row) break;
    out.push_back(read_archive(query));
  }
  return out;
}

Result<std::optional<ArchiveEntry>> QueryRegister::last_archive() const {
  std::lock_guard lock(reader_mu_);
  XACBE_ASSIGN_OR_RETURN(store::Statement query,
                         reader_db_->prepare(std::string("SELECT ") + kArchiveColumns +
                                             " FROM archives ORDER BY archive_index DESC LIMIT 1"));
  XACBE_ASSIGN_OR_RETURN(bool row, query.step());
  if (!row) return std::optional<ArchiveEntry>();
  return std::optional<ArchiveEntry>(read_archive(query));
}

Result<ChainStart> QueryRegister::chain_start() const {
  std::lock_guard lock(reader_mu_);
  return read_chain_start(*reader_db_);
}

}  // namespace xacbe::ss
