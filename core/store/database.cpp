#include "xacbe/store/database.hpp"

#include <sqlite3.h>

#include <utility>

#include "xacbe/log/log.hpp"

namespace xacbe::store {
namespace {

Status sqlite_status(sqlite3* db, int rc, std::string_view what) {
  const Code code = (rc == SQLITE_CONSTRAINT) ? Code::kAlreadyExists
                    : (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) ? Code::kUnavailable
                    : (rc == SQLITE_CORRUPT || rc == SQLITE_NOTADB) ? Code::kCorrupt
                                                                    : Code::kInternal;
  std::string msg(what);
  msg += ": ";
  msg += db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  const int extended = db ? sqlite3_extended_errcode(db) : rc;
  if (code == Code::kAlreadyExists && extended != SQLITE_CONSTRAINT_TRIGGER) {
    // A duplicate is the caller's to explain; SQL text is for the log, not for whoever sent it.
    // (A trigger's RAISE message is the schema's own words and stays.)
    log::debug("{}", msg);
    return {code, extended == SQLITE_CONSTRAINT_UNIQUE || extended == SQLITE_CONSTRAINT_PRIMARYKEY
                      ? "a stored record has the same identity"
                      : "the record breaks a rule of the stored data"};
  }
  return {code, msg};
}

}  // namespace

Statement::Statement(Statement&& other) noexcept
    : db_(other.db_), stmt_(std::exchange(other.stmt_, nullptr)), bind_status_(std::move(other.bind_status_)) {}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    db_ = other.db_;
    stmt_ = std::exchange(other.stmt_, nullptr);
    bind_status_ = std::move(other.bind_status_);
  }
  return *this;
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

void Statement::check_bind(int rc, int index) {
  if (rc == SQLITE_OK || !bind_status_.is_ok()) return;
  // sqlite3_errstr, not the connection's message: the reason belongs to this bind alone.
  bind_status_ = sqlite_status(nullptr, rc, "cannot bind SQL parameter " + std::to_string(index));
}

Statement& Statement::bind(int index, std::int64_t value) {
  check_bind(sqlite3_bind_int64(stmt_, index, value), index);
  return *this;
}

Statement& Statement::bind(int index, std::string_view text) {
  check_bind(sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8), index);
  return *this;
}

Statement& Statement::bind_blob(int index, std::string_view bytes) {
  check_bind(sqlite3_bind_blob64(stmt_, index, bytes.data(), bytes.size(), SQLITE_TRANSIENT), index);
  return *this;
}

Statement& Statement::bind_null(int index) {
  check_bind(sqlite3_bind_null(stmt_, index), index);
  return *this;
}

Result<bool> Statement::step() {
  // A statement with a parameter left unbound by a failed bind would run with NULL in its place.
  if (!bind_status_.is_ok()) return bind_status_;
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  Status st = sqlite_status(db_, rc, "SQL step failed");
  sqlite3_reset(stmt_);
  return st;
}

Status Statement::run() {
  for (;;) {
    auto row = step();
    if (!row) return row.status();
    if (!*row) return Status::ok();
  }
}

void Statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  bind_status_ = Status::ok();
}

bool Statement::is_null(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }
std::int64_t Statement::column_int64(int column) const { return sqlite3_column_int64(stmt_, column); }

std::string Statement::column_text(int column) const {
  const auto* text = sqlite3_column_text(stmt_, column);
  const int n = sqlite3_column_bytes(stmt_, column);
  return text ? std::string(reinterpret_cast<const char*>(text), static_cast<std::size_t>(n)) : std::string();
}

std::string Statement::column_blob(int column) const {
  const void* blob = sqlite3_column_blob(stmt_, column);
  const int n = sqlite3_column_bytes(stmt_, column);
  return blob ? std::string(static_cast<const char*>(blob), static_cast<std::size_t>(n)) : std::string();
}

Result<std::unique_ptr<Database>> Database::open(const std::string& path, const OpenOptions& options) {
  int flags = SQLITE_OPEN_FULLMUTEX | SQLITE_OPEN_URI;
  flags |= options.read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
  if (!options.read_only && options.create) flags |= SQLITE_OPEN_CREATE;
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  std::unique_ptr<Database> db(new Database(raw));
  if (rc != SQLITE_OK) return sqlite_status(raw, rc, "cannot open database " + path);
  sqlite3_busy_timeout(raw, options.busy_timeout_ms);
  sqlite3_extended_result_codes(raw, 0);
  if (!options.read_only) {
    XACBE_RETURN_IF_ERROR(db->exec("PRAGMA journal_mode=WAL"));
    XACBE_RETURN_IF_ERROR(db->exec(options.synchronous_full ? "PRAGMA synchronous=FULL"
                                                            : "PRAGMA synchronous=NORMAL"));
  }
  XACBE_RETURN_IF_ERROR(db->exec("PRAGMA foreign_keys=ON"));
  // Fail early on a file that is not a database rather than at the first query.
  auto check = db->prepare("SELECT count(*) FROM sqlite_schema");
  if (!check) return check.status();
  auto row = check->step();
  if (!row) return Status(row.status().code(), path + ": " + row.status().message());
  return db;
}

struct Database::CacheEntry {
  Statement statement;
  bool in_use = false;
};

Database::Database(sqlite3* db) : db_(db) {}

Database::~Database() {
  cache_.clear();  // finalized before the connection closes
  sqlite3_close_v2(db_);
}

Status Database::exec(std::string_view sql) {
  const std::string text(sql);
  char* err = nullptr;
  const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    Status st = sqlite_status(db_, rc, "SQL failed");
    sqlite3_free(err);
    return st;
  }
  return Status::ok();
}

Result<Statement> Database::prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
  if (rc != SQLITE_OK) return sqlite_status(db_, rc, "cannot prepare SQL");
  return Statement(db_, stmt);
}

Result<CachedStatement> Database::cached(std::string_view sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) {
    XACBE_ASSIGN_OR_RETURN(Statement stmt, prepare(sql));
    it = cache_.emplace(std::string(sql), std::make_unique<CacheEntry>(CacheEntry{std::move(stmt)})).first;
  }
  CacheEntry& entry = *it->second;
  if (entry.in_use) {
    XACBE_ASSIGN_OR_RETURN(Statement stmt, prepare(sql));
    return CachedStatement(std::move(stmt));
  }
  entry.in_use = true;
  return CachedStatement(&entry.statement, &entry.in_use);
}

CachedStatement::CachedStatement(Statement owned) : owned_(std::move(owned)), stmt_(&*owned_), in_use_(nullptr) {}

CachedStatement::CachedStatement(CachedStatement&& other) noexcept
    : owned_(std::move(other.owned_)),
      stmt_(owned_ ? &*owned_ : std::exchange(other.stmt_, nullptr)),
      in_use_(std::exchange(other.in_use_, nullptr)) {
  other.stmt_ = nullptr;
}

CachedStatement::~CachedStatement() {
  if (in_use_ == nullptr) return;  // owned (finalized with owned_) or moved from
  stmt_->reset();
  *in_use_ = false;
}

std::int64_t Database::last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }
int Database::changes() const { return sqlite3_changes(db_); }
bool Database::in_transaction() const { return sqlite3_get_autocommit(db_) == 0; }

namespace {

constexpr std::string_view kCreateSchemaVersions =
    "CREATE TABLE IF NOT EXISTS schema_versions("
    "module TEXT PRIMARY KEY, version INTEGER NOT NULL CHECK(version >= 0))";

bool is_identifier(std::string_view name) {
  return !name.empty() && name.size() <= 64 &&
         name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") ==
             std::string_view::npos &&
         !(name.front() >= '0' && name.front() <= '9');
}

Result<std::int64_t> single_integer(Database& db, const std::string& sql) {
  XACBE_ASSIGN_OR_RETURN(Statement query, db.prepare(sql));
  XACBE_ASSIGN_OR_RETURN(bool row, query.step());
  return row && !query.is_null(0) ? query.column_int64(0) : 0;
}

Result<bool> table_exists(Database& db, std::string_view name) {
  XACBE_ASSIGN_OR_RETURN(Statement query, db.prepare("SELECT 1 FROM sqlite_schema WHERE type='table' AND name=?1"));
  return query.bind(1, name).step();
}

// The recorded version of `module`, if it has a row; needs schema_versions to exist.
Result<std::optional<std::int64_t>> recorded_version(Database& db, std::string_view module) {
  XACBE_ASSIGN_OR_RETURN(Statement query, db.prepare("SELECT version FROM schema_versions WHERE module=?1"));
  query.bind(1, module);
  XACBE_ASSIGN_OR_RETURN(bool row, query.step());
  if (!row) return std::optional<std::int64_t>();
  return std::optional<std::int64_t>(query.column_int64(0));
}

Status record_version(Database& db, std::string_view module, std::int64_t version) {
  XACBE_ASSIGN_OR_RETURN(Statement upsert,
                         db.prepare("INSERT INTO schema_versions(module, version) VALUES(?1, ?2)"
                                    " ON CONFLICT(module) DO UPDATE SET version=excluded.version"));
  return upsert.bind(1, module).bind(2, version).run();
}

// Copies a version kept the old way into schema_versions and clears the old marker. Needs an open
// transaction and schema_versions.
Status adopt_legacy_version(Database& db, std::string_view module, const LegacyVersion& legacy) {
  std::int64_t version = 0;
  if (legacy.in_user_version) {
    XACBE_ASSIGN_OR_RETURN(version, single_integer(db, "PRAGMA user_version"));
    if (version > 0) XACBE_RETURN_IF_ERROR(db.exec("PRAGMA user_version=0"));
  } else {
    if (!is_identifier(legacy.table_name)) {
      return invalid_argument("legacy schema-version table name '" + legacy.table_name + "' is not an identifier");
    }
    XACBE_ASSIGN_OR_RETURN(bool exists, table_exists(db, legacy.table_name));
    if (!exists) return Status::ok();
    XACBE_ASSIGN_OR_RETURN(version, single_integer(db, "SELECT max(version) FROM \"" + legacy.table_name + "\""));
    XACBE_RETURN_IF_ERROR(db.exec("DROP TABLE \"" + legacy.table_name + "\""));
  }
  if (version < 0) return Status(Code::kCorrupt, "legacy schema version of " + std::string(module) + " is negative");
  if (version == 0) return Status::ok();
  return record_version(db, module, version);
}

}  // namespace

int Database::schema_version(std::string_view module) {
  auto exists = table_exists(*this, "schema_versions");
  if (!exists) return -1;
  if (!*exists) return 0;
  auto version = recorded_version(*this, module);
  if (!version) return -1;
  return static_cast<int>(version->value_or(0));
}

Status Database::migrate(std::string_view module, const std::vector<std::string>& migrations,
                         const std::optional<LegacyVersion>& legacy) {
  const std::string name(module);
  if (name.empty() || name.size() > 64 ||
      name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-_") != std::string::npos) {
    return invalid_argument("schema module name '" + name + "': expected 1..64 of [a-z0-9_-]");
  }
  std::int64_t current = 0;
  {
    XACBE_ASSIGN_OR_RETURN(Transaction tx, Transaction::begin(*this));
    XACBE_RETURN_IF_ERROR(exec(kCreateSchemaVersions));
    XACBE_ASSIGN_OR_RETURN(std::optional<std::int64_t> recorded, recorded_version(*this, name));
    if (!recorded && legacy) {
      XACBE_RETURN_IF_ERROR(adopt_legacy_version(*this, name, *legacy));
      XACBE_ASSIGN_OR_RETURN(recorded, recorded_version(*this, name));
    }
    current = recorded.value_or(0);
    XACBE_RETURN_IF_ERROR(tx.commit());
  }
  if (current > static_cast<std::int64_t>(migrations.size())) {
    return failed_precondition("database schema of " + name + " is version " + std::to_string(current) +
                               ", newer than this program knows (" + std::to_string(migrations.size()) + ")");
  }
  for (auto i = static_cast<std::size_t>(current); i < migrations.size(); ++i) {
    XACBE_ASSIGN_OR_RETURN(Transaction tx, Transaction::begin(*this));
    XACBE_RETURN_IF_ERROR(exec(migrations[i]));
    XACBE_RETURN_IF_ERROR(record_version(*this, name, static_cast<std::int64_t>(i + 1)));
    XACBE_RETURN_IF_ERROR(tx.commit());
  }
  return Status::ok();
}

namespace {
// Savepoints nest by name: RELEASE and ROLLBACK TO act on the innermost one of that name, which is
// the one a Transaction opened, since transactions end in the reverse order they began.
constexpr std::string_view kSavepoint = "xacbe_nested";
}  // namespace

Result<Transaction> Transaction::begin(Database& db) {
  if (db.in_transaction()) {
    XACBE_RETURN_IF_ERROR(db.exec("SAVEPOINT " + std::string(kSavepoint)));
    return Transaction(&db, true);
  }
  XACBE_RETURN_IF_ERROR(db.exec("BEGIN IMMEDIATE"));
  return Transaction(&db, false);
}

Transaction::Transaction(Transaction&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)), nested_(other.nested_) {}

Transaction::~Transaction() {
  if (db_ == nullptr) return;
  if (nested_) {
    // Undoes the savepoint's changes and removes it; the enclosing transaction stays open. If
    // SQLite already rolled the whole transaction back (it does on some errors), there is no
    // savepoint left and nothing to undo.
    (void)db_->exec("ROLLBACK TO " + std::string(kSavepoint) + "; RELEASE " + std::string(kSavepoint));
  } else {
    (void)db_->exec("ROLLBACK");
  }
}

Status Transaction::commit() {
  Database* db = std::exchange(db_, nullptr);
  if (db == nullptr) return failed_precondition("transaction already finished");
  if (nested_) {
    Status st = db->exec("RELEASE " + std::string(kSavepoint));
    if (!st.is_ok()) (void)db->exec("ROLLBACK TO " + std::string(kSavepoint) + "; RELEASE " + std::string(kSavepoint));
    return st;
  }
  Status st = db->exec("COMMIT");
  if (!st.is_ok()) (void)db->exec("ROLLBACK");
  return st;
}

}  // namespace xacbe::store
