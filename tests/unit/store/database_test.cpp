#include "xacbe/store/database.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "support/temp_dir.hpp"
#include "xacbe/file.hpp"

namespace xacbe::store {
namespace {

using namespace std::string_literals;

class DatabaseTest : public ::testing::Test {
 protected:
  std::unique_ptr<Database> open(const OpenOptions& options = {}) {
    auto db = Database::open(path_, options);
    EXPECT_TRUE(db) << db.status().to_string();
    return db ? std::move(db).value() : nullptr;
  }

  static std::string text_of(Database& db, const std::string& sql) {
    auto stmt = db.prepare(sql);
    EXPECT_TRUE(stmt) << stmt.status().to_string();
    if (!stmt) return {};
    auto row = stmt->step();
    EXPECT_TRUE(row && *row) << sql;
    return (row && *row) ? stmt->column_text(0) : std::string();
  }

  static std::int64_t int_of(Database& db, const std::string& sql) {
    auto stmt = db.prepare(sql);
    EXPECT_TRUE(stmt) << stmt.status().to_string();
    if (!stmt) return -1;
    auto row = stmt->step();
    EXPECT_TRUE(row && *row) << sql;
    return (row && *row) ? stmt->column_int64(0) : -1;
  }

  static bool table_exists(Database& db, const std::string& name) {
    return int_of(db, "SELECT count(*) FROM sqlite_schema WHERE type='table' AND name='" + name + "'") == 1;
  }

  testing::TempDir dir_;
  std::string path_ = dir_.file("test.db");
};

TEST_F(DatabaseTest, OpenCreatesFileInWalModeWithDurableSettings) {
  ASSERT_FALSE(std::filesystem::exists(path_));
  auto db = open();
  ASSERT_NE(db, nullptr);
  EXPECT_TRUE(std::filesystem::exists(path_));
  EXPECT_EQ(text_of(*db, "PRAGMA journal_mode"), "wal");
  EXPECT_EQ(int_of(*db, "PRAGMA synchronous"), 2);  // FULL
  EXPECT_EQ(int_of(*db, "PRAGMA foreign_keys"), 1);
  EXPECT_EQ(db->schema_version("test"), 0);
}

TEST_F(DatabaseTest, SynchronousNormalWhenAsked) {
  OpenOptions options;
  options.synchronous_full = false;
  auto db = open(options);
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(int_of(*db, "PRAGMA synchronous"), 1);  // NORMAL
}

TEST_F(DatabaseTest, OpenWithoutCreateRefusesMissingFile) {
  OpenOptions options;
  options.create = false;
  auto db = Database::open(path_, options);
  EXPECT_FALSE(db);
  EXPECT_FALSE(std::filesystem::exists(path_));
}

TEST_F(DatabaseTest, ReadOnlyOpenRefusesMissingFileAndWrites) {
  OpenOptions read_only;
  read_only.read_only = true;
  EXPECT_FALSE(Database::open(path_, read_only));
  EXPECT_FALSE(std::filesystem::exists(path_));
  {
    auto db = open();
    ASSERT_TRUE(db->exec("CREATE TABLE t(x INTEGER); INSERT INTO t VALUES(1);").is_ok());
  }
  auto db = Database::open(path_, read_only);
  ASSERT_TRUE(db) << db.status().to_string();
  EXPECT_EQ(int_of(**db, "SELECT x FROM t"), 1);
  EXPECT_FALSE((*db)->exec("INSERT INTO t VALUES(2)").is_ok());
}

TEST_F(DatabaseTest, OpenRefusesAFileThatIsNotADatabase) {
  ASSERT_TRUE(write_file_atomic(path_, std::string(4096, 'x')).is_ok());
  auto db = Database::open(path_);
  ASSERT_FALSE(db);
  EXPECT_EQ(db.status().code(), Code::kCorrupt) << db.status().to_string();
}

TEST_F(DatabaseTest, MigrationsRunInOrderAndRecordTheVersion) {
  auto db = open();
  const std::vector<std::string> migrations = {
      "CREATE TABLE log(step INTEGER)",
      "INSERT INTO log VALUES(1)",
      "INSERT INTO log VALUES(2); ALTER TABLE log ADD COLUMN note TEXT",
  };
  ASSERT_TRUE(db->migrate("test", migrations).is_ok());
  EXPECT_EQ(db->schema_version("test"), 3);
  EXPECT_EQ(int_of(*db, "SELECT group_concat(step, ',') IS '1,2' FROM (SELECT step FROM log ORDER BY rowid)"), 1);
  EXPECT_EQ(int_of(*db, "SELECT count(*) FROM pragma_table_info('log') WHERE name='note'"), 1);
}

TEST_F(DatabaseTest, MigrationsRunOnlyOnceAcrossReopens) {
  const std::vector<std::string> migrations = {"CREATE TABLE log(step INTEGER)", "INSERT INTO log VALUES(1)"};
  {
    auto db = open();
    ASSERT_TRUE(db->migrate("test", migrations).is_ok());
    ASSERT_TRUE(db->migrate("test", migrations).is_ok());  // same connection: nothing to do
  }
  auto db = open();
  ASSERT_TRUE(db->migrate("test", migrations).is_ok());
  EXPECT_EQ(int_of(*db, "SELECT count(*) FROM log"), 1);
  EXPECT_EQ(db->schema_version("test"), 2);
}

TEST_F(DatabaseTest, AppendedMigrationAloneRunsOnUpgrade) {
  std::vector<std::string> migrations = {"CREATE TABLE log(step INTEGER)", "INSERT INTO log VALUES(1)"};
  {
    auto db = open();
    ASSERT_TRUE(db->migrate("test", migrations).is_ok());
  }
  migrations.push_back("INSERT INTO log VALUES(3)");
  auto db = open();
  ASSERT_TRUE(db->migrate("test", migrations).is_ok());
  EXPECT_EQ(db->schema_version("test"), 3);
  EXPECT_EQ(int_of(*db, "SELECT count(*) FROM log"), 2);
  EXPECT_EQ(int_of(*db, "SELECT sum(step) FROM log"), 4);
}

TEST_F(DatabaseTest, FailingMigrationRollsBackAndStopsThere) {
  auto db = open();
  const std::vector<std::string> migrations = {
      "CREATE TABLE a(x)",
      "CREATE TABLE b(x); INSERT INTO b VALUES(1); INSERT INTO no_such_table VALUES(1)",
      "CREATE TABLE c(x)",
  };
  const Status st = db->migrate("test", migrations);
  ASSERT_FALSE(st.is_ok());
  EXPECT_NE(st.message().find("no_such_table"), std::string::npos) << st.message();
  EXPECT_EQ(db->schema_version("test"), 1);
  EXPECT_TRUE(table_exists(*db, "a"));
  EXPECT_FALSE(table_exists(*db, "b"));  // the failed migration left nothing behind
  EXPECT_FALSE(table_exists(*db, "c"));  // and later ones did not run
  // No transaction is left open: the connection still writes and commits.
  ASSERT_TRUE(db->exec("INSERT INTO a VALUES(7)").is_ok());
  auto again = Database::open(path_);
  ASSERT_TRUE(again);
  EXPECT_EQ(int_of(**again, "SELECT x FROM a"), 7);
  EXPECT_EQ((*again)->schema_version("test"), 1);
}

TEST_F(DatabaseTest, RefusesSchemaNewerThanTheProgram) {
  auto db = open();
  ASSERT_TRUE(db->migrate("test", {"CREATE TABLE a(x)", "CREATE TABLE b(x)"}).is_ok());
  const Status st = db->migrate("test", {"CREATE TABLE a(x)"});
  ASSERT_FALSE(st.is_ok());
  EXPECT_EQ(st.code(), Code::kFailedPrecondition);
  EXPECT_EQ(db->schema_version("test"), 2);
}

TEST_F(DatabaseTest, ModulesOfOneFileKeepTheirOwnVersions) {
  auto db = open();
  ASSERT_TRUE(db->migrate("registry", {"CREATE TABLE member(id)", "CREATE TABLE audit(id)"}).is_ok());
  ASSERT_TRUE(db->migrate("mail", {"CREATE TABLE mail_outbox(id)"}).is_ok());
  EXPECT_EQ(db->schema_version("registry"), 2);
  EXPECT_EQ(db->schema_version("mail"), 1);
  EXPECT_EQ(db->schema_version("ca"), 0);
  EXPECT_EQ(int_of(*db, "PRAGMA user_version"), 0);  // nobody claims the file's own version
  // Appending to one module runs that module's new migration only.
  ASSERT_TRUE(db->migrate("mail", {"CREATE TABLE mail_outbox(id)", "ALTER TABLE mail_outbox ADD COLUMN x"}).is_ok());
  EXPECT_EQ(db->schema_version("registry"), 2);
  EXPECT_EQ(db->schema_version("mail"), 2);
  const Status newer = db->migrate("registry", {"CREATE TABLE member(id)"});
  EXPECT_EQ(newer.code(), Code::kFailedPrecondition) << newer.to_string();
  EXPECT_NE(newer.message().find("registry"), std::string::npos) << newer.message();
  EXPECT_FALSE(db->migrate("Bad Name", {}).is_ok());
}

// A database made by the code before schema_versions: the owner's version in PRAGMA user_version.
TEST_F(DatabaseTest, AdoptsAVersionKeptInUserVersionInPlace) {
  {
    auto old = open();
    ASSERT_TRUE(old->exec("BEGIN; CREATE TABLE log(step INTEGER); PRAGMA user_version=1; COMMIT;"
                          "BEGIN; INSERT INTO log VALUES(1); PRAGMA user_version=2; COMMIT;")
                    .is_ok());
  }
  const std::vector<std::string> migrations = {"CREATE TABLE log(step INTEGER)", "INSERT INTO log VALUES(1)",
                                               "INSERT INTO log VALUES(3)"};
  auto db = open();
  ASSERT_TRUE(db->migrate("log", migrations, LegacyVersion::user_version()).is_ok());
  EXPECT_EQ(db->schema_version("log"), 3);
  EXPECT_EQ(text_of(*db, "SELECT group_concat(step, ',') FROM (SELECT step FROM log ORDER BY rowid)"), "1,3");
  EXPECT_EQ(int_of(*db, "PRAGMA user_version"), 0);  // cleared: adopted once, by its owner only
  // Another module of the file starts from 0, and adoption does not happen twice.
  ASSERT_TRUE(db->migrate("other", {"CREATE TABLE other(x)"}, LegacyVersion::user_version()).is_ok());
  EXPECT_EQ(db->schema_version("other"), 1);
  ASSERT_TRUE(db->migrate("log", migrations, LegacyVersion::user_version()).is_ok());
  EXPECT_EQ(int_of(*db, "SELECT count(*) FROM log"), 2);
}

// The mail outbox's old way: a table of its own with a version column.
TEST_F(DatabaseTest, AdoptsAVersionKeptInATableOfItsOwnAndDropsTheTable) {
  {
    auto old = open();
    ASSERT_TRUE(old->exec("CREATE TABLE owner(x); PRAGMA user_version=4;"
                          "CREATE TABLE mail_schema(version INTEGER NOT NULL); INSERT INTO mail_schema VALUES(1);"
                          "CREATE TABLE mail_outbox(id INTEGER PRIMARY KEY); INSERT INTO mail_outbox VALUES(7);")
                    .is_ok());
  }
  auto db = open();
  ASSERT_TRUE(db->migrate("mail", {"CREATE TABLE mail_outbox(id INTEGER PRIMARY KEY)"},
                          LegacyVersion::table("mail_schema"))
                  .is_ok());
  EXPECT_EQ(db->schema_version("mail"), 1);
  EXPECT_EQ(int_of(*db, "SELECT id FROM mail_outbox"), 7);
  EXPECT_FALSE(table_exists(*db, "mail_schema"));
  EXPECT_EQ(int_of(*db, "PRAGMA user_version"), 4);  // the owner's, untouched by the mail module
}

TEST_F(DatabaseTest, SchemaVersionOfAReadOnlyDatabaseWithoutTheTableIsZero) {
  { auto db = open(); }
  OpenOptions read_only;
  read_only.read_only = true;
  auto db = Database::open(path_, read_only);
  ASSERT_TRUE(db);
  EXPECT_EQ((*db)->schema_version("ca"), 0);
}

TEST_F(DatabaseTest, TransactionCommitIsVisibleToOtherConnections) {
  auto db = open();
  ASSERT_TRUE(db->exec("CREATE TABLE t(x INTEGER)").is_ok());
  auto other = open();
  {
    auto tx = Transaction::begin(*db);
    ASSERT_TRUE(tx) << tx.status().to_string();
    ASSERT_TRUE(db->exec("INSERT INTO t VALUES(1)").is_ok());
    EXPECT_EQ(int_of(*other, "SELECT count(*) FROM t"), 0);  // not yet committed
    ASSERT_TRUE(tx->commit().is_ok());
  }
  EXPECT_EQ(int_of(*other, "SELECT count(*) FROM t"), 1);
}

TEST_F(DatabaseTest, TransactionRollsBackWhenDestroyedUncommitted) {
  auto db = open();
  ASSERT_TRUE(db->exec("CREATE TABLE t(x INTEGER)").is_ok());
  {
    auto tx = Transaction::begin(*db);
    ASSERT_TRUE(tx);
    ASSERT_TRUE(db->exec("INSERT INTO t VALUES(1)").is_ok());
    EXPECT_EQ(int_of(*db, "SELECT count(*) FROM t"), 1);
  }
  EXPECT_EQ(int_of(*db, "SELECT count(*) FROM t"), 0);
  EXPECT_TRUE(Transaction::begin(*db).is_ok()) << "the rolled-back transaction is still open";
}

TEST_F(DatabaseTest, TransactionBegunInsideAnotherIsASavepointOfIt) {
  auto db = open();
  ASSERT_TRUE(db->exec("CREATE TABLE t(x INTEGER)").is_ok());
  auto other = open();
  {
    auto outer = Transaction::begin(*db);
    ASSERT_TRUE(outer) << outer.status().to_string();
    EXPECT_FALSE(outer->nested());
    ASSERT_TRUE(db->exec("INSERT INTO t VALUES(1)").is_ok());
    {
      auto refused = Transaction::begin(*db);
      ASSERT_TRUE(refused) << refused.status().to_string();
      EXPECT_TRUE(refused->nested());
      ASSERT_TRUE(db->exec("INSERT INTO t VALUES(2)").is_ok());
    }  // destroyed uncommitted: its row goes, the outer transaction's stays
    EXPECT_EQ(int_of(*db, "SELECT group_concat(x) FROM t"), 1);
    {
      auto kept = Transaction::begin(*db);
      ASSERT_TRUE(kept);
      ASSERT_TRUE(db->exec("INSERT INTO t VALUES(3)").is_ok());
      ASSERT_TRUE(kept->commit().is_ok());
    }
    EXPECT_EQ(int_of(*other, "SELECT count(*) FROM t"), 0);  // released, not committed
    ASSERT_TRUE(outer->commit().is_ok());
  }
  EXPECT_EQ(text_of(*other, "SELECT group_concat(x) FROM (SELECT x FROM t ORDER BY x)"), "1,3");
  {
    auto outer = Transaction::begin(*db);
    ASSERT_TRUE(outer);
    auto inner = Transaction::begin(*db);
    ASSERT_TRUE(inner);
    ASSERT_TRUE(db->exec("INSERT INTO t VALUES(4)").is_ok());
    ASSERT_TRUE(inner->commit().is_ok());
  }  // the outer one rolls back what the inner one released
  EXPECT_EQ(int_of(*other, "SELECT count(*) FROM t"), 2);
  EXPECT_FALSE(Transaction::begin(*db)->nested()) << "a transaction is left open";
}

TEST_F(DatabaseTest, MovedTransactionCommitsOnceAndRollsBackNothingTwice) {
  auto db = open();
  ASSERT_TRUE(db->exec("CREATE TABLE t(x INTEGER)").is_ok());
  auto tx = Transaction::begin(*db);
  ASSERT_TRUE(tx);
  ASSERT_TRUE(db->exec("INSERT INTO t VALUES(1)").is_ok());
  {
    Transaction moved(std::move(*tx));
    ASSERT_TRUE(moved.commit().is_ok());
    EXPECT_EQ(moved.commit().code(), Code::kFailedPrecondition);
  }
  EXPECT_EQ(tx->commit().code(), Code::kFailedPrecondition);  // the moved-from shell owns nothing
  EXPECT_EQ(int_of(*db, "SELECT count(*) FROM t"), 1);
}

TEST_F(DatabaseTest, SecondWriterTransactionTimesOutAsUnavailable) {
  auto db = open();
  ASSERT_TRUE(db->exec("CREATE TABLE t(x INTEGER)").is_ok());
  auto tx = Transaction::begin(*db);
  ASSERT_TRUE(tx);
  OpenOptions quick;
  quick.busy_timeout_ms = 50;
  auto other = open(quick);
  auto blocked = Transaction::begin(*other);
  ASSERT_FALSE(blocked);
  EXPECT_EQ(blocked.status().code(), Code::kUnavailable) << blocked.status().to_string();
}

TEST_F(DatabaseTest, BindsTextBlobIntegerAndNull) {
  auto db = open();
  ASSERT_TRUE(db->exec("CREATE TABLE v(id INTEGER PRIMARY KEY, t TEXT, b BLOB, i INTEGER, n TEXT)").is_ok());
  const std::string blob = "\x00\x01\xff\x00zz"s;
  const std::string text = "Chetumal, Quintana Roo — ñ";
  const std::int64_t big = std::numeric_limits<std::int64_t>::min();
  auto insert = db->prepare("INSERT INTO v(t, b, i, n) VALUES(?1, ?2, ?3, ?4)");
  ASSERT_TRUE(insert) << insert.status().to_string();
  insert->bind(1, std::string_view(text)).bind_blob(2, blob).bind(3, big).bind_null(4);
  ASSERT_TRUE(insert->run().is_ok());
  EXPECT_EQ(db->changes(), 1);
  const std::int64_t id = db->last_insert_rowid();
  EXPECT_GT(id, 0);

  auto select = db->prepare("SELECT t, b, i, n, typeof(b) FROM v WHERE id = ?1");
  ASSERT_TRUE(select);
  select->bind(1, id);
  auto row = select->step();
  ASSERT_TRUE(row && *row);
  EXPECT_EQ(select->column_text(0), text);
  EXPECT_EQ(select->column_blob(1), blob);
  EXPECT_EQ(select->column_int64(2), big);
  EXPECT_TRUE(select->is_null(3));
  EXPECT_FALSE(select->is_null(0));
  EXPECT_EQ(select->column_text(3), "");
  EXPECT_EQ(select->column_text(4), "blob");
  auto end = select->step();
  ASSERT_TRUE(end);
  EXPECT_FALSE(*end);
}

TEST_F(DatabaseTest, BoundTextIsCopiedNotReferenced) {
  auto db = open();
  ASSERT_TRUE(db->exec("CREATE TABLE v(t TEXT)").is_ok());
  auto insert = db->prepare("INSERT INTO v VALUES(?1)");
  ASSERT_TRUE(insert);
  {
    std::string temporary = "copied";
    insert->bind(1, std::string_view(temporary));
    temporary.assign("CHANGED");
  }
  ASSERT_TRUE(insert->run().is_ok());
  EXPECT_EQ(text_of(*db, "SELECT t FROM v"), "copied");
}

TEST_F(DatabaseTest, ResetClearsBindingsForReuse) {
  auto db = open();
  ASSERT_TRUE(db->exec("CREATE TABLE v(i INTEGER)").is_ok());
  auto insert = db->prepare("INSERT INTO v VALUES(?1)");
  ASSERT_TRUE(insert);
  for (std::int64_t i = 1; i <= 3; ++i) {
    insert->bind(1, i);
    ASSERT_TRUE(insert->run().is_ok());
    insert->reset();
  }
  ASSERT_TRUE(insert->run().is_ok());  // no binding left: NULL
  EXPECT_EQ(int_of(*db, "SELECT sum(i) FROM v"), 6);
  EXPECT_EQ(int_of(*db, "SELECT count(*) FROM v WHERE i IS NULL"), 1);
}

TEST_F(DatabaseTest, FailedBindIsAnErrorNamingTheParameterAndTheStatementDoesNotRun) {
  auto db = open();
  ASSERT_TRUE(db->exec("CREATE TABLE v(a INTEGER, b TEXT)").is_ok());
  auto insert = db->prepare("INSERT INTO v VALUES(?1, ?2)");
  ASSERT_TRUE(insert);
  // Parameter 3 does not exist; the good binds around it do not hide the failure.
  insert->bind(1, std::int64_t{1}).bind(3, std::string_view("lost")).bind(2, std::string_view("kept"));
  EXPECT_EQ(insert->bind_status().code(), Code::kInternal);
  const Status st = insert->run();
  ASSERT_FALSE(st.is_ok());
  EXPECT_NE(st.message().find("parameter 3"), std::string::npos) << st.to_string();
  EXPECT_NE(st.message().find("out of range"), std::string::npos) << st.to_string();
  EXPECT_EQ(int_of(*db, "SELECT count(*) FROM v"), 0);
  auto step = insert->step();  // still refused: nothing runs with a parameter left unbound
  EXPECT_FALSE(step);

  // reset() starts afresh.
  insert->reset();
  EXPECT_TRUE(insert->bind_status().is_ok());
  ASSERT_TRUE(insert->bind(1, std::int64_t{2}).bind(2, std::string_view("ok")).run().is_ok());
  EXPECT_EQ(int_of(*db, "SELECT count(*) FROM v"), 1);
}

TEST_F(DatabaseTest, EveryKindOfBindReportsItsFailure) {
  auto db = open();
  ASSERT_TRUE(db->exec("CREATE TABLE v(x)").is_ok());
  sqlite3_limit(db->handle(), SQLITE_LIMIT_LENGTH, 16);
  const std::string big(64, 'x');
  auto text = db->prepare("INSERT INTO v VALUES(?1)");
  ASSERT_TRUE(text);
  const Status too_big = text->bind(1, std::string_view(big)).run();
  ASSERT_FALSE(too_big.is_ok());
  EXPECT_NE(too_big.message().find("parameter 1"), std::string::npos) << too_big.to_string();
  EXPECT_NE(too_big.message().find("too big"), std::string::npos) << too_big.to_string();
  auto blob = db->prepare("INSERT INTO v VALUES(?1)");
  ASSERT_TRUE(blob);
  EXPECT_FALSE(blob->bind_blob(1, big).run().is_ok());
  auto null = db->prepare("INSERT INTO v VALUES(?1)");
  ASSERT_TRUE(null);
  EXPECT_FALSE(null->bind_null(2).run().is_ok());
  auto integer = db->prepare("INSERT INTO v VALUES(?1)");
  ASSERT_TRUE(integer);
  EXPECT_FALSE(integer->bind(0, std::int64_t{7}).run().is_ok());
  EXPECT_EQ(int_of(*db, "SELECT count(*) FROM v"), 0);
}

TEST_F(DatabaseTest, MovedStatementKeepsItsFailedBind) {
  auto db = open();
  auto stmt = db->prepare("SELECT ?1");
  ASSERT_TRUE(stmt);
  stmt->bind(9, std::int64_t{1});
  Statement moved(std::move(*stmt));
  EXPECT_FALSE(moved.step());
}

TEST_F(DatabaseTest, ConstraintViolationIsAlreadyExists) {
  auto db = open();
  ASSERT_TRUE(db->exec("CREATE TABLE u(k TEXT PRIMARY KEY)").is_ok());
  auto insert = db->prepare("INSERT INTO u VALUES(?1)");
  ASSERT_TRUE(insert);
  ASSERT_TRUE(insert->bind(1, std::string_view("k")).run().is_ok());
  insert->reset();
  const Status st = insert->bind(1, std::string_view("k")).run();
  EXPECT_EQ(st.code(), Code::kAlreadyExists) << st.to_string();
}

TEST_F(DatabaseTest, ForeignKeysAreEnforced) {
  auto db = open();
  ASSERT_TRUE(db->exec("CREATE TABLE p(id INTEGER PRIMARY KEY); CREATE TABLE c(p INTEGER REFERENCES p(id));").is_ok());
  EXPECT_FALSE(db->exec("INSERT INTO c VALUES(42)").is_ok());
}

TEST_F(DatabaseTest, BadSqlIsAnErrorNamingTheProblem) {
  auto db = open();
  auto stmt = db->prepare("SELEKT 1");
  ASSERT_FALSE(stmt);
  EXPECT_NE(stmt.status().message().find("syntax error"), std::string::npos) << stmt.status().message();
  EXPECT_FALSE(db->exec("CREATE TABLE").is_ok());
}

TEST_F(DatabaseTest, CommittedRowSurvivesReopen) {
  {
    auto db = open();
    ASSERT_TRUE(db->migrate("test", {"CREATE TABLE t(k TEXT, v BLOB)"}).is_ok());
    auto tx = Transaction::begin(*db);
    ASSERT_TRUE(tx);
    auto insert = db->prepare("INSERT INTO t VALUES(?1, ?2)");
    ASSERT_TRUE(insert);
    ASSERT_TRUE(insert->bind(1, std::string_view("key")).bind_blob(2, "\x00value"s).run().is_ok());
    ASSERT_TRUE(tx->commit().is_ok());
  }
  auto db = open();
  EXPECT_EQ(db->schema_version("test"), 1);
  auto select = db->prepare("SELECT v FROM t WHERE k = 'key'");
  ASSERT_TRUE(select);
  auto row = select->step();
  ASSERT_TRUE(row && *row);
  EXPECT_EQ(select->column_blob(0), "\x00value"s);
}

TEST_F(DatabaseTest, MovedStatementKeepsWorking) {
  auto db = open();
  auto stmt = db->prepare("SELECT 41 + 1");
  ASSERT_TRUE(stmt);
  Statement moved(std::move(*stmt));
  auto row = moved.step();
  ASSERT_TRUE(row && *row);
  EXPECT_EQ(moved.column_int64(0), 42);
  auto other = db->prepare("SELECT 7");
  ASSERT_TRUE(other);
  moved = std::move(*other);
  row = moved.step();
  ASSERT_TRUE(row && *row);
  EXPECT_EQ(moved.column_int64(0), 7);
}

int prepared_statements(Database& db) {
  int n = 0;
  for (sqlite3_stmt* s = sqlite3_next_stmt(db.handle(), nullptr); s != nullptr; s = sqlite3_next_stmt(db.handle(), s)) ++n;
  return n;
}

TEST_F(DatabaseTest, CachedStatementIsPreparedOnceAndStartsEachLeaseUnbound) {
  auto db = open();
  ASSERT_TRUE(db->exec("CREATE TABLE v(i INTEGER)").is_ok());
  for (std::int64_t i = 1; i <= 3; ++i) {
    auto insert = db->cached("INSERT INTO v VALUES(?1)");
    ASSERT_TRUE(insert) << insert.status().to_string();
    (*insert)->bind(1, i);
    ASSERT_TRUE((*insert)->run().is_ok());
    EXPECT_EQ(prepared_statements(*db), 1);
  }
  {
    auto insert = db->cached("INSERT INTO v VALUES(?1)");
    ASSERT_TRUE(insert);
    ASSERT_TRUE((*insert)->run().is_ok());  // the last lease's binding is gone: NULL
  }
  EXPECT_EQ(int_of(*db, "SELECT sum(i) FROM v"), 6);
  EXPECT_EQ(int_of(*db, "SELECT count(*) FROM v WHERE i IS NULL"), 1);
  EXPECT_EQ(prepared_statements(*db), 1);
}

TEST_F(DatabaseTest, SecondLeaseOfALeasedStatementIsAStatementOfItsOwn) {
  auto db = open();
  auto first = db->cached("SELECT ?1");
  ASSERT_TRUE(first);
  (*first)->bind(1, std::int64_t{1});
  {
    auto second = db->cached("SELECT ?1");
    ASSERT_TRUE(second);
    (*second)->bind(1, std::int64_t{2});
    EXPECT_EQ(prepared_statements(*db), 2);
    auto row = (*second)->step();
    ASSERT_TRUE(row && *row);
    EXPECT_EQ((*second)->column_int64(0), 2);
  }
  EXPECT_EQ(prepared_statements(*db), 1);  // the second one is finalized with its lease
  auto row = (*first)->step();
  ASSERT_TRUE(row && *row);
  EXPECT_EQ((*first)->column_int64(0), 1);
}

TEST_F(DatabaseTest, EndedLeaseHoldsNoReadSnapshot) {
  auto db = open();
  ASSERT_TRUE(db->exec("CREATE TABLE t(x INTEGER); INSERT INTO t VALUES(1), (2)").is_ok());
  {
    auto query = db->cached("SELECT x FROM t ORDER BY x");
    ASSERT_TRUE(query);
    auto row = (*query)->step();
    ASSERT_TRUE(row && *row);  // one row read, the statement not run to its end
  }
  auto other = open();
  ASSERT_TRUE(other->exec("INSERT INTO t VALUES(3)").is_ok());
  // Were the statement still active, this connection would still read its old snapshot.
  auto count = db->cached("SELECT count(*) FROM t");
  ASSERT_TRUE(count);
  auto row = (*count)->step();
  ASSERT_TRUE(row && *row);
  EXPECT_EQ((*count)->column_int64(0), 3);
}

TEST_F(DatabaseTest, CachedStatementWithBadSqlIsAnErrorEachTime) {
  auto db = open();
  for (int i = 0; i < 2; ++i) {
    auto bad = db->cached("SELEC 1");
    ASSERT_FALSE(bad);
    EXPECT_NE(bad.status().message().find("syntax error"), std::string::npos) << bad.status().to_string();
  }
  EXPECT_EQ(prepared_statements(*db), 0);
}

}  // namespace
}  // namespace xacbe::store
