#include "mail/outbox.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "support/process.hpp"
#include "support/smtp_server.hpp"
#include "support/temp_dir.hpp"
#include "xacbe/store/database.hpp"

namespace xacbe::mail {
namespace {

using namespace std::chrono_literals;
using xacbe::testing::ChildProcess;
using xacbe::testing::run_command;
using xacbe::testing::TempDir;
using xacbe::testing::SmtpServer;
using xacbe::testing::Listener;
using xacbe::testing::free_port;
using xacbe::testing::python;

// The SMTP server helpers below are the same as in smtp_test.cpp.
// ---- tests --------------------------------------------------------------------------------------

class OutboxTest : public ::testing::Test {
 protected:
  SmtpSettings settings() const {
    SmtpSettings s;
    s.url = "smtp://127.0.0.1:" + std::to_string(port_);
    s.from = "notificaciones@ceiqroo.example";
    s.connect_timeout = 5s;
    s.total_timeout = 20s;
    return s;
  }

  std::unique_ptr<Outbox> open_outbox(const SmtpSettings& s) {
    auto db = store::Database::open(path_);
    if (!db) {
      ADD_FAILURE() << db.status().to_string();
      return nullptr;
    }
    auto outbox = Outbox::create(std::move(db).value(), s, clock_);
    if (!outbox) {
      ADD_FAILURE() << outbox.status().to_string();
      return nullptr;
    }
    return std::move(outbox).value();
  }
  std::unique_ptr<Outbox> open_outbox() { return open_outbox(settings()); }

  static Message notice(std::string to = "enlace@municipio.example",
                        std::string subject = "Notificación de mantenimiento programado") {
    Message m;
    m.to = {std::move(to)};
    m.subject = std::move(subject);
    m.body = "El mantenimiento comenzará el miércoles a las 22:00.\nAtentamente,\nCEIQROO\n";
    return m;
  }

  void start_server(bool rejecting = false) { server_ = std::make_unique<SmtpServer>(dir_, port_, rejecting); }

  static std::int64_t count(store::Database& db, const std::string& sql) {
    auto q = db.prepare(sql);
    EXPECT_TRUE(q) << q.status().to_string();
    if (!q) return -1;
    auto row = q->step();
    return row && *row ? q->column_int64(0) : -1;
  }

  TempDir dir_;
  std::string path_ = dir_.file("registry.db");
  unsigned port_ = free_port();
  const TimePoint t0_ = TimePoint(std::chrono::seconds(1739440800));  // 2025-02-13T10:00:00Z
  ManualClock clock_{t0_};
  std::unique_ptr<SmtpServer> server_;
};

TEST(OutboxRetry, DelayDoublesFromThirtySecondsUpToAnHour) {
  const RetryPolicy policy;
  const std::vector<std::pair<int, long>> rows = {{1, 30},
                                                  {2, 60},
                                                  {3, 120},
                                                  {4, 240},
                                                  {5, 480},
                                                  {6, 960},
                                                  {7, 1920},
                                                  {8, 3600},
                                                  {9, 3600},
                                                  {1000, 3600},
                                                  {std::numeric_limits<int>::max(), 3600}};
  for (const auto& [attempts, seconds] : rows) {
    EXPECT_EQ(retry_delay(policy, attempts), std::chrono::seconds(seconds)) << attempts;
  }
}

TEST(OutboxState, NamesRoundTrip) {
  for (OutboxState s : {OutboxState::kPending, OutboxState::kSent, OutboxState::kFailed}) {
    auto parsed = parse_state(state_name(s));
    ASSERT_TRUE(parsed);
    EXPECT_EQ(*parsed, s);
  }
  EXPECT_EQ(parse_state("failed-permanently").status().code(), Code::kInvalidArgument);
}

TEST_F(OutboxTest, EnqueueIsDurableBeforeItReturns) {
  auto outbox = open_outbox();
  ASSERT_NE(outbox, nullptr);
  auto id = outbox->enqueue(notice());
  ASSERT_TRUE(id) << id.status().to_string();

  auto other = store::Database::open(path_);  // another connection sees the committed row
  ASSERT_TRUE(other);
  EXPECT_EQ(count(**other, "SELECT count(*) FROM mail_outbox WHERE state = 'pending'"), 1);

  auto e = outbox->get(*id);
  ASSERT_TRUE(e) << e.status().to_string();
  EXPECT_EQ(e->state, OutboxState::kPending);
  EXPECT_EQ(e->attempts, 0);
  EXPECT_EQ(e->created_at, t0_);
  EXPECT_EQ(e->next_attempt_at, t0_);
  EXPECT_EQ(e->message.date, t0_);
  EXPECT_TRUE(e->last_error.empty());
  EXPECT_EQ(e->message.message_id.size(), 32 + std::string("@ceiqroo.example").size()) << e->message.message_id;
  EXPECT_EQ(e->message.subject, notice().subject);
  EXPECT_EQ(e->message.to, notice().to);
}

TEST_F(OutboxTest, KeepsItsSchemaVersionApartFromTheOwnersVersion) {
  {
    auto db = store::Database::open(path_);
    ASSERT_TRUE(db);
    ASSERT_TRUE((*db)->migrate("registry", {"CREATE TABLE registry_member(id INTEGER PRIMARY KEY)"}));
  }
  for (int round = 0; round < 2; ++round) {  // the second opening finds everything in place
    auto outbox = open_outbox();
    ASSERT_NE(outbox, nullptr);
  }
  auto db = store::Database::open(path_);
  ASSERT_TRUE(db);
  EXPECT_EQ((*db)->schema_version("registry"), 1);
  EXPECT_EQ((*db)->schema_version("mail"), 1);
}

// A registry file as the releases before schema_versions left it: the registry's version in
// PRAGMA user_version, the outbox's in mail_schema, and a message waiting in the outbox.
TEST_F(OutboxTest, AdoptsAnOutboxMadeBeforeSchemaVersionsWithItsMessages) {
  {
    auto db = store::Database::open(path_);
    ASSERT_TRUE(db);
    ASSERT_TRUE((*db)->exec(R"(
      CREATE TABLE registry_member(id INTEGER PRIMARY KEY);
      PRAGMA user_version=1;
      CREATE TABLE mail_schema(version INTEGER NOT NULL);
      CREATE TABLE mail_outbox(
         id INTEGER PRIMARY KEY,
         message_id TEXT NOT NULL UNIQUE,
         recipients TEXT NOT NULL,
         subject TEXT NOT NULL,
         body TEXT NOT NULL,
         created_at INTEGER NOT NULL,
         state TEXT NOT NULL DEFAULT 'pending' CHECK(state IN ('pending','sent','failed')),
         attempts INTEGER NOT NULL DEFAULT 0,
         next_attempt_at INTEGER NOT NULL,
         last_error TEXT,
         sent_at INTEGER);
      CREATE INDEX mail_outbox_due ON mail_outbox(state, next_attempt_at, id);
      DELETE FROM mail_schema; INSERT INTO mail_schema(version) VALUES (1);
      INSERT INTO mail_outbox(message_id, recipients, subject, body, created_at, next_attempt_at)
        VALUES ('old@ceiqroo.example', 'enlace@municipio.example', 'Aviso', 'Texto', 1739440000, 1739440000);
    )").is_ok());
  }
  auto outbox = open_outbox();
  ASSERT_NE(outbox, nullptr);
  auto pending = outbox->list(OutboxState::kPending);
  ASSERT_TRUE(pending) << pending.status().to_string();
  ASSERT_EQ(pending->size(), 1u);
  EXPECT_EQ((*pending)[0].message.message_id, "old@ceiqroo.example");
  ASSERT_TRUE(outbox->enqueue(notice()));  // and the adopted table takes new mail
  auto db = store::Database::open(path_);
  ASSERT_TRUE(db);
  EXPECT_EQ((*db)->schema_version("mail"), 1);
  EXPECT_EQ(count(**db, "SELECT count(*) FROM sqlite_schema WHERE name = 'mail_schema'"), 0);
  EXPECT_EQ(count(**db, "PRAGMA user_version"), 1);  // the registry's, for the registry to adopt
}

TEST_F(OutboxTest, ServerDownKeepsTheMessagePendingWithItsErrorAndALaterAttempt) {
  auto outbox = open_outbox();
  ASSERT_NE(outbox, nullptr);
  auto id = outbox->enqueue(notice());
  ASSERT_TRUE(id);

  auto report = outbox->deliver_due();
  ASSERT_TRUE(report) << report.status().to_string();
  EXPECT_EQ(report->deferred, 1);
  EXPECT_EQ(report->sent, 0);
  auto e = outbox->get(*id);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->state, OutboxState::kPending);
  EXPECT_EQ(e->attempts, 1);
  EXPECT_EQ(e->last_error.rfind("UNAVAILABLE: ", 0), 0u) << e->last_error;
  EXPECT_EQ(e->next_attempt_at, t0_ + 30s);

  clock_.advance(29s);  // not due yet: no attempt
  ASSERT_TRUE(outbox->deliver_due());
  EXPECT_EQ(outbox->get(*id)->attempts, 1);

  // Each further failure doubles the wait, up to an hour, and the message is never dropped.
  for (int attempt = 2; attempt <= 10; ++attempt) {
    clock_.set(outbox->get(*id)->next_attempt_at);
    report = outbox->deliver_due();
    ASSERT_TRUE(report);
    EXPECT_EQ(report->deferred, 1);
    e = outbox->get(*id);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->state, OutboxState::kPending);
    EXPECT_EQ(e->attempts, attempt);
    EXPECT_EQ(e->next_attempt_at - clock_.now(), retry_delay(RetryPolicy{}, attempt));
  }
  EXPECT_EQ(e->next_attempt_at - clock_.now(), 1h);
}

TEST_F(OutboxTest, DeliversExactlyOnceWhenTheServerIsBack) {
  auto outbox = open_outbox();
  ASSERT_NE(outbox, nullptr);
  auto id = outbox->enqueue(notice());
  ASSERT_TRUE(id);
  ASSERT_EQ(outbox->deliver_due()->deferred, 1);

  start_server();
  EXPECT_EQ(outbox->deliver_due()->sent, 0) << "the backoff holds even when the server is back";
  EXPECT_TRUE(server_->mails().empty());

  clock_.advance(30s);
  EXPECT_EQ(outbox->deliver_due()->sent, 1);
  EXPECT_EQ(outbox->deliver_due()->sent, 0);
  clock_.advance(2h);
  EXPECT_EQ(outbox->deliver_due()->sent, 0);

  auto e = outbox->get(*id);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->state, OutboxState::kSent);
  EXPECT_EQ(e->attempts, 2);
  EXPECT_EQ(e->sent_at, t0_ + 30s);
  EXPECT_TRUE(e->last_error.empty());
  const auto mails = server_->mails();
  ASSERT_EQ(mails.size(), 1u);
  EXPECT_EQ(mails[0]["message_id"], "<" + e->message.message_id + ">");
  EXPECT_EQ(mails[0]["subject"], notice().subject);
  EXPECT_EQ(mails[0]["body"], notice().body);
  EXPECT_EQ(mails[0]["date"], "Thu, 13 Feb 2025 10:00:00 +0000") << "Date is the enqueue time";
  EXPECT_EQ(outbox->list(OutboxState::kSent)->size(), 1u);
  EXPECT_TRUE(outbox->list(OutboxState::kPending)->empty());
}

TEST_F(OutboxTest, ReopeningTheDatabaseKeepsPendingMessages) {
  std::set<std::string> ids;
  {
    auto outbox = open_outbox();
    ASSERT_NE(outbox, nullptr);
    for (const char* to : {"uno@municipio.example", "dos@estado.example", "tres@federal.example"}) {
      auto id = outbox->enqueue(notice(to));
      ASSERT_TRUE(id);
      ids.insert(outbox->get(*id)->message.message_id);
    }
    ASSERT_EQ(outbox->deliver_due()->deferred, 3);
  }
  auto outbox = open_outbox();
  ASSERT_NE(outbox, nullptr);
  auto pending = outbox->list(OutboxState::kPending);
  ASSERT_TRUE(pending);
  ASSERT_EQ(pending->size(), 3u);
  for (const auto& e : *pending) {
    EXPECT_EQ(e.attempts, 1);
    EXPECT_FALSE(e.last_error.empty());
  }

  start_server();
  clock_.advance(30s);
  EXPECT_EQ(outbox->deliver_due()->sent, 3);
  std::set<std::string> arrived;
  for (const auto& mail : server_->mails()) {
    const std::string id = mail["message_id"];
    arrived.insert(id.substr(1, id.size() - 2));
  }
  EXPECT_EQ(arrived, ids);
}

TEST_F(OutboxTest, CrashBetweenEnqueueAndDeliveryLosesNothing) {
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {  // the "registry": enqueue, then die by kill -9 before any delivery
    auto db = store::Database::open(path_);
    if (!db) _exit(3);
    auto outbox = Outbox::create(std::move(db).value(), settings(), clock_);
    if (!outbox || !(*outbox)->enqueue(notice("enlace@municipio.example", "Aviso tras la caída"))) _exit(4);
    raise(SIGKILL);
    _exit(5);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "child status " << status;

  auto outbox = open_outbox();
  ASSERT_NE(outbox, nullptr);
  ASSERT_EQ(outbox->list(OutboxState::kPending)->size(), 1u);
  start_server();
  EXPECT_EQ(outbox->deliver_due()->sent, 1);
  const auto mails = server_->mails();
  ASSERT_EQ(mails.size(), 1u);
  EXPECT_EQ(mails[0]["subject"], "Aviso tras la caída");
}

TEST_F(OutboxTest, OnlyAPermanentRecipientRefusalFailsAMessage) {
  start_server(/*rejecting=*/true);
  auto outbox = open_outbox();
  ASSERT_NE(outbox, nullptr);
  ASSERT_TRUE(outbox->enqueue(notice("nobody@municipio.example")));  // 550
  ASSERT_TRUE(outbox->enqueue(notice("busy@municipio.example")));    // 451
  ASSERT_TRUE(outbox->enqueue(notice("enlace@municipio.example")));

  auto report = outbox->deliver_due();
  ASSERT_TRUE(report);
  EXPECT_EQ(report->sent, 1);
  EXPECT_EQ(report->deferred, 1);
  EXPECT_EQ(report->failed, 1);

  auto failed = outbox->list(OutboxState::kFailed);
  ASSERT_TRUE(failed);
  ASSERT_EQ(failed->size(), 1u);
  EXPECT_EQ((*failed)[0].message.to, std::vector<std::string>{"nobody@municipio.example"});
  EXPECT_EQ((*failed)[0].last_error.rfind("PERMISSION_DENIED: ", 0), 0u) << (*failed)[0].last_error;
  EXPECT_NE((*failed)[0].last_error.find("550"), std::string::npos);

  auto pending = outbox->list(OutboxState::kPending);
  ASSERT_TRUE(pending);
  ASSERT_EQ(pending->size(), 1u);
  EXPECT_EQ((*pending)[0].message.to, std::vector<std::string>{"busy@municipio.example"});
  EXPECT_NE((*pending)[0].last_error.find("451"), std::string::npos);

  clock_.advance(24h);  // a failed message is never tried again; the deferred one is
  report = outbox->deliver_due();
  EXPECT_EQ(report->failed, 0);
  EXPECT_EQ(report->deferred, 1);
  EXPECT_EQ(outbox->get((*failed)[0].id)->attempts, 1);
  EXPECT_EQ(server_->mails().size(), 1u);
}

TEST_F(OutboxTest, EnqueueRefusesWhatCouldNeverBeSent) {
  auto outbox = open_outbox();
  ASSERT_NE(outbox, nullptr);
  Message first = notice();
  first.message_id = "aviso-1@ceiqroo.example";
  ASSERT_TRUE(outbox->enqueue(first));
  struct Row {
    const char* name;
    std::function<void(Message&)> change;
    Code code;
  };
  const std::vector<Row> rows = {
      {"CRLF in subject adds a header", [](Message& m) { m.subject = "Aviso\r\nBcc: intruso@x.example"; },
       Code::kInvalidArgument},
      {"LF in recipient adds a header", [](Message& m) { m.to = {"a@x.example\nBcc: intruso@x.example"}; },
       Code::kInvalidArgument},
      {"SMTP command in recipient", [](Message& m) { m.to = {"a@x.example>\r\nDATA"}; }, Code::kInvalidArgument},
      {"malformed address", [](Message& m) { m.to = {"enlace@municipio..example"}; }, Code::kInvalidArgument},
      {"no recipient", [](Message& m) { m.to.clear(); }, Code::kInvalidArgument},
      {"subject not UTF-8", [](Message& m) { m.subject = "Notificaci\xf3n"; }, Code::kInvalidArgument},
      {"Message-ID with CRLF", [](Message& m) { m.message_id = "x@y.example\r\nBcc: z@y.example"; },
       Code::kInvalidArgument},
      {"Message-ID already queued", [](Message& m) { m.message_id = "aviso-1@ceiqroo.example"; }, Code::kAlreadyExists},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    Message m = notice();
    row.change(m);
    EXPECT_EQ(outbox->enqueue(m).status().code(), row.code);
  }
  EXPECT_EQ(outbox->list(OutboxState::kPending)->size(), 1u) << "nothing refused was stored";
}

TEST_F(OutboxTest, EnqueueInTheCallersTransactionCommitsOrRollsBackWithIt) {
  auto outbox = open_outbox();
  ASSERT_NE(outbox, nullptr);
  auto opened = store::Database::open(path_);  // the registry's own connection to the same file
  ASSERT_TRUE(opened);
  store::Database& db = **opened;
  ASSERT_TRUE(db.exec("CREATE TABLE notification(id INTEGER PRIMARY KEY, title TEXT NOT NULL)"));

  {
    auto tx = store::Transaction::begin(db);
    ASSERT_TRUE(tx);
    ASSERT_TRUE(db.exec("INSERT INTO notification(title) VALUES ('mantenimiento')"));
    auto id = outbox->enqueue(db, *tx, notice());
    ASSERT_TRUE(id) << id.status().to_string();
    EXPECT_TRUE(outbox->list(OutboxState::kPending)->empty()) << "invisible before commit";
  }  // rolled back: neither the notification nor its mail
  EXPECT_EQ(count(db, "SELECT count(*) FROM notification"), 0);
  EXPECT_TRUE(outbox->list(OutboxState::kPending)->empty());

  {
    auto tx = store::Transaction::begin(db);
    ASSERT_TRUE(tx);
    ASSERT_TRUE(db.exec("INSERT INTO notification(title) VALUES ('mantenimiento')"));
    ASSERT_TRUE(outbox->enqueue(db, *tx, notice()));
    ASSERT_TRUE(tx->commit());
  }
  EXPECT_EQ(count(db, "SELECT count(*) FROM notification"), 1);
  EXPECT_EQ(outbox->list(OutboxState::kPending)->size(), 1u);

  auto finished = store::Transaction::begin(db);
  ASSERT_TRUE(finished);
  ASSERT_TRUE(finished->commit());
  EXPECT_EQ(outbox->enqueue(db, *finished, notice()).status().code(), Code::kFailedPrecondition);

  auto elsewhere = store::Database::open(dir_.file("other.db"));
  ASSERT_TRUE(elsewhere);
  auto other_tx = store::Transaction::begin(**elsewhere);
  ASSERT_TRUE(other_tx);
  EXPECT_EQ(outbox->enqueue(**elsewhere, *other_tx, notice()).status().code(), Code::kInvalidArgument);
}

TEST_F(OutboxTest, WorkerDeliversSoonAfterEnqueue) {
  start_server();
  auto outbox = open_outbox();
  ASSERT_NE(outbox, nullptr);
  OutboxWorker worker(*outbox, 1h);   // only the enqueue wake-up can make it deliver in time
  std::this_thread::sleep_for(50ms);  // let its first round find nothing
  ASSERT_TRUE(outbox->enqueue(notice()));

  const auto deadline = std::chrono::steady_clock::now() + 15s;
  while (outbox->list(OutboxState::kSent)->empty() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(20ms);
  }
  ASSERT_EQ(outbox->list(OutboxState::kSent)->size(), 1u);
  EXPECT_EQ(server_->mails().size(), 1u);

  const auto start = std::chrono::steady_clock::now();
  worker.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
}

TEST_F(OutboxTest, WorkerStopIsBoundedWhileAServerHangs) {
  Listener silent;  // takes the connection, never greets
  SmtpSettings s = settings();
  s.url = "smtp://127.0.0.1:" + std::to_string(silent.port());
  s.total_timeout = 120s;
  auto outbox = open_outbox(s);
  ASSERT_NE(outbox, nullptr);
  auto id = outbox->enqueue(notice());
  ASSERT_TRUE(id);

  auto worker = std::make_unique<OutboxWorker>(*outbox, 1h);
  ASSERT_TRUE(silent.wait_for_connection(10s)) << "the worker is in an SMTP session";
  const auto start = std::chrono::steady_clock::now();
  worker.reset();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);

  auto e = outbox->get(*id);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->state, OutboxState::kPending);
  EXPECT_EQ(e->attempts, 0) << "a cancelled session is not an attempt";
}

}  // namespace
}  // namespace xacbe::mail
