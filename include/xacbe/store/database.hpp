#pragma once
// SQLite access: WAL mode, prepared statements, RAII transactions and numbered schema migrations.
// A Database is one connection and is not thread-safe: its owner serialises access (one mutex or
// one owning thread per connection).

#include <cstdint>
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

struct OpenOptions {
  bool read_only = false;
  bool create = true;
  int busy_timeout_ms = 5000;
  // FULL makes each committed transaction durable on power loss (WAL + synchronous=FULL).
  bool synchronous_full = true;
};

class Database {
 public:
  static Result<std::unique_ptr<Database>> open(const std::string& path, const OpenOptions& options = {});
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  Status exec(std::string_view sql);  // one or more statements, no results
  Result<Statement> prepare(std::string_view sql);
  std::int64_t last_insert_rowid() const;
  int changes() const;

  // Applies migrations[i] for every i >= PRAGMA user_version, each in its own transaction,
  // and records the new version. Migrations are append-only: never edit a released one.
  Status migrate(const std::vector<std::string>& migrations);
  int schema_version();

  sqlite3* handle() const { return db_; }

 private:
  explicit Database(sqlite3* db) : db_(db) {}
  sqlite3* db_;
};

// BEGIN IMMEDIATE ... COMMIT; rolls back if destroyed before commit().
class Transaction {
 public:
  static Result<Transaction> begin(Database& db);
  Transaction(Transaction&& other) noexcept;
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction();
  Status commit();

 private:
  explicit Transaction(Database* db) : db_(db) {}
  Database* db_;
};

}  // namespace xacbe::store
