#pragma once
// SQLite access: WAL mode, prepared statements, RAII transactions and numbered schema migrations.
// A Database is one connection and is not thread-safe: its owner serialises access (one mutex or
// one owning thread per connection).
//
// Schema versions: a database file may hold the tables of several modules (the registry's and the
// mail outbox's, say). Each module migrates its own tables under its own name, and the table
// schema_versions(module, version) records how far each has got, so no module owns the file's
// PRAGMA user_version.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "xacbe/result.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace xacbe::store {

class Statement {
 public:
  Statement(Statement&&) noexcept;
  Statement& operator=(Statement&&) noexcept;
  ~Statement();

  // Parameters are numbered from 1, as in SQLite. Text and blobs are copied. A bind that SQLite
  // refuses (an index out of range, text over the length limit, no memory) is not lost: the
  // first such failure, naming the parameter, is what the next step() or run() returns, and the
  // statement does not run until reset().
  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, std::string_view text);
  Statement& bind_blob(int index, std::string_view bytes);
  Statement& bind_null(int index);

  // true: a row is ready; false: done. Errors (a failed bind, constraint, busy...) come as a Status.
  Result<bool> step();
  // Runs to completion, for statements that return no rows.
  Status run();
  void reset();  // reset and clear bindings (and a failed bind's error), ready to bind again
  // OK, or the first bind that failed since the statement was prepared or reset.
  const Status& bind_status() const { return bind_status_; }

  // Columns are numbered from 0.
  bool is_null(int column) const;
  std::int64_t column_int64(int column) const;
  std::string column_text(int column) const;
  std::string column_blob(int column) const;

 private:
  friend class Database;
  Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  // Keeps the first failed bind, for step() to return.
  void check_bind(int rc, int index);
  sqlite3* db_;
  sqlite3_stmt* stmt_;
  Status bind_status_;
};

class Database;

// A statement the connection keeps prepared (Database::cached): use it through -> like a
// Statement; when the lease ends the statement is reset and its bindings cleared, so it holds no
// read snapshot and the next lease starts clean.
class CachedStatement {
 public:
  CachedStatement(CachedStatement&& other) noexcept;
  CachedStatement& operator=(CachedStatement&&) = delete;
  ~CachedStatement();
  Statement* operator->() { return stmt_; }
  Statement& operator*() { return *stmt_; }

 private:
  friend class Database;
  CachedStatement(Statement* stmt, bool* in_use) : stmt_(stmt), in_use_(in_use) {}
  explicit CachedStatement(Statement owned);
  std::optional<Statement> owned_;  // a second lease of a statement already leased
  Statement* stmt_;
  bool* in_use_;  // the cache entry's flag, or null for an owned statement
};

struct OpenOptions {
  bool read_only = false;
  bool create = true;
  int busy_timeout_ms = 5000;
  // FULL makes each committed transaction durable on power loss (WAL + synchronous=FULL).
  bool synchronous_full = true;
};

// Where a module kept its schema version before schema_versions existed, so that a database an
// earlier release made is adopted in place: the version is copied into schema_versions and the old
// marker cleared (user_version set to 0, the table dropped) in the same transaction. A module with
// a row in schema_versions is never adopted again.
struct LegacyVersion {
  // PRAGMA user_version: the owner of the file (the registry, the CA, the TSA's serial store).
  static LegacyVersion user_version() { return {true, {}}; }
  // A table of the module's own with a `version` column (the mail outbox's mail_schema).
  static LegacyVersion table(std::string name) { return {false, std::move(name)}; }

  bool in_user_version = false;
  std::string table_name;
};

class Database {
 public:
  static Result<std::unique_ptr<Database>> open(const std::string& path, const OpenOptions& options = {});
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  Status exec(std::string_view sql);  // one or more statements, no results
  Result<Statement> prepare(std::string_view sql);
  // The statement for `sql`, prepared on its first use and kept until the connection closes: for
  // the statements a loop runs again and again (the query register's writer). Leased while in
  // use; a second lease of the same text while the first is out gets a statement of its own.
  Result<CachedStatement> cached(std::string_view sql);
  std::int64_t last_insert_rowid() const;
  int changes() const;
  // Whether a transaction is open on this connection (SQLite ends one by itself after some errors).
  bool in_transaction() const;

  // Applies migrations[i] of `module` for every i >= its version in schema_versions, each in its
  // own transaction with the new version. Migrations are append-only: never edit a released one.
  // A version above migrations.size() (a newer program wrote the file) is kFailedPrecondition.
  // `module`: a short stable name ("registry", "mail", "ca", "tsa-serial").
  Status migrate(std::string_view module, const std::vector<std::string>& migrations,
                 const std::optional<LegacyVersion>& legacy = std::nullopt);
  // The version of `module`'s tables: 0 when it never migrated here, -1 when it cannot be read.
  int schema_version(std::string_view module);

  sqlite3* handle() const { return db_; }

 private:
  struct CacheEntry;
  explicit Database(sqlite3* db);
  sqlite3* db_;
  std::map<std::string, std::unique_ptr<CacheEntry>, std::less<>> cache_;
};

// BEGIN IMMEDIATE ... COMMIT; rolls back if destroyed before commit().
// Begun while `db` already has a transaction open, it is a savepoint of that transaction instead:
// commit() releases it into the enclosing transaction (durable only when that one commits), and
// destruction before commit() rolls back to it, leaving the enclosing transaction open. So a
// domain operation that makes its own transaction can also run as part of a larger one (its
// change and the audit entry recording it, say).
class Transaction {
 public:
  static Result<Transaction> begin(Database& db);
  Transaction(Transaction&& other) noexcept;
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction();
  Status commit();
  // True for a savepoint inside an enclosing transaction.
  bool nested() const { return nested_; }

 private:
  Transaction(Database* db, bool nested) : db_(db), nested_(nested) {}
  Database* db_;
  bool nested_ = false;
};

}  // namespace xacbe::store
