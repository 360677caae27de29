#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "xacbe/store/database.hpp"
#include "timestamp_authority.hpp"

namespace xacbe::tsa {
namespace {

// Append-only (Database::migrate, module "tsa-serial"; a file made before schema_versions kept the
// version in PRAGMA user_version, which is adopted). next_block is the high-water mark: the first
// serial of the next block to reserve, so a change of block size between runs cannot reuse a serial.
constexpr const char* kSchemaModule = "tsa-serial";
const std::vector<std::string> kMigrations = {
    R"(CREATE TABLE tsa_serial(
         id INTEGER PRIMARY KEY CHECK(id = 1),
         next_block INTEGER NOT NULL);
       INSERT INTO tsa_serial(id, next_block) VALUES (1, 1);)",
};

constexpr std::uint64_t kMaxBlockSize = std::uint64_t{1} << 32;
constexpr std::int64_t kMaxSerial = std::numeric_limits<std::int64_t>::max();

Result<std::int64_t> read_next_block(store::Database& db) {
  XACBE_ASSIGN_OR_RETURN(store::Statement select,
                         db.prepare("SELECT next_block FROM tsa_serial WHERE id = 1"));
  XACBE_ASSIGN_OR_RETURN(bool has_row, select.step());
  if (!has_row) return Status(Code::kCorrupt, "table tsa_serial has no row");
  return select.column_int64(0);
}

}  // namespace

StoredSerialSource::StoredSerialSource(std::unique_ptr<store::Database> db, std::uint64_t block_size)
    : db_(std::move(db)), block_size_(block_size) {}

StoredSerialSource::~StoredSerialSource() = default;

Result<std::unique_ptr<StoredSerialSource>> StoredSerialSource::create(
    std::unique_ptr<store::Database> db, std::uint64_t block_size) {
  if (!db) return invalid_argument("serial source needs a database");
  if (block_size == 0 || block_size > kMaxBlockSize) {
    return invalid_argument("serial block size must be 1 .. 2^32");
  }
  XACBE_RETURN_IF_ERROR(db->migrate(kSchemaModule, kMigrations, store::LegacyVersion::user_version()));
  return std::unique_ptr<StoredSerialSource>(new StoredSerialSource(std::move(db), block_size));
}

Result<std::uint64_t> StoredSerialSource::next() {
  std::lock_guard<std::mutex> lock(mu_);
  // A failed reservation leaves next_ == limit_, so the next call tries again.
  if (next_ == limit_) XACBE_RETURN_IF_ERROR(reserve_block());
  return next_++;
}

Status StoredSerialSource::reserve_block() {
  XACBE_ASSIGN_OR_RETURN(store::Transaction tx, store::Transaction::begin(*db_));
  XACBE_ASSIGN_OR_RETURN(std::int64_t start, read_next_block(*db_));
  const auto size = static_cast<std::int64_t>(block_size_);
  if (start < 1) return Status(Code::kCorrupt, "tsa_serial.next_block is not positive");
  if (start > kMaxSerial - size) return failed_precondition("TSA serial numbers are exhausted");
  {
    XACBE_ASSIGN_OR_RETURN(store::Statement update,
                           db_->prepare("UPDATE tsa_serial SET next_block = ?1 WHERE id = 1"));
    XACBE_RETURN_IF_ERROR(update.bind(1, start + size).run());
  }
  // Durable (WAL, synchronous=FULL) before any serial of the block leaves this object.
  XACBE_RETURN_IF_ERROR(tx.commit());
  next_ = static_cast<std::uint64_t>(start);
  limit_ = next_ + block_size_;
  return Status::ok();
}

}  // namespace xacbe::tsa
