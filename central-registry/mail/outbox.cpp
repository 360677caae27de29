#include "mail/outbox.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <utility>

#include "xacbe/log/log.hpp"

namespace xacbe::mail {
namespace {

// Append-only: never edit a released migration, add the next one. Their version is the "mail" row
// of schema_versions; a database made before that kept it in the table mail_schema, adopted once.
constexpr const char* kSchemaModule = "mail";
constexpr const char* kLegacyVersionTable = "mail_schema";
const std::vector<std::string> kMigrations = {
    R"(CREATE TABLE mail_outbox(
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
       CREATE INDEX mail_outbox_due ON mail_outbox(state, next_attempt_at, id);)",
};

constexpr std::string_view kColumns =
    "id, message_id, recipients, subject, body, created_at, state, attempts, next_attempt_at, last_error, sent_at";

std::string join_lines(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : "\n") + item;
  return out;
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t nl = text.find('\n', start);
    out.push_back(text.substr(start, nl == std::string::npos ? std::string::npos : nl - start));
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
  return out;
}

Result<OutboxEntry> entry_from_row(const store::Statement& row) {
  OutboxEntry e;
  e.id = row.column_int64(0);
  e.message.message_id = row.column_text(1);
  e.message.to = split_lines(row.column_text(2));
  e.message.subject = row.column_text(3);
  e.message.body = row.column_text(4);
  e.created_at = from_unix_seconds(row.column_int64(5));
  e.message.date = e.created_at;
  XACBE_ASSIGN_OR_RETURN(e.state, parse_state(row.column_text(6)));
  e.attempts = static_cast<int>(row.column_int64(7));
  e.next_attempt_at = from_unix_seconds(row.column_int64(8));
  if (!row.is_null(9)) e.last_error = row.column_text(9);
  if (!row.is_null(10)) e.sent_at = from_unix_seconds(row.column_int64(10));
  return e;
}

Result<std::vector<OutboxEntry>> collect(store::Statement& query) {
  std::vector<OutboxEntry> out;
  for (;;) {
    XACBE_ASSIGN_OR_RETURN(const bool row, query.step());
    if (!row) return out;
    XACBE_ASSIGN_OR_RETURN(OutboxEntry e, entry_from_row(query));
    out.push_back(std::move(e));
  }
}

std::string main_file(store::Database& db) {
  const char* name = sqlite3_db_filename(db.handle(), "main");
  return name != nullptr ? name : "";
}

}  // namespace

const char* state_name(OutboxState state) {
  switch (state) {
    case OutboxState::kPending:
      return "pending";
    case OutboxState::kSent:
      return "sent";
    case OutboxState::kFailed:
      return "failed";
  }
  return "?";
}

Result<OutboxState> parse_state(std::string_view name) {
  for (OutboxState s : {OutboxState::kPending, OutboxState::kSent, OutboxState::kFailed}) {
    if (name == state_name(s)) return s;
  }
  return invalid_argument("unknown outbox state: " + std::string(name));
}

std::chrono::seconds retry_delay(const RetryPolicy& policy, int failed_attempts) {
  std::chrono::seconds delay = policy.initial;
  for (int i = 1; i < failed_attempts && delay < policy.max; ++i) delay *= 2;
  return std::min(delay, policy.max);
}

Outbox::Outbox(std::unique_ptr<store::Database> db, SmtpSettings settings, const Clock& clock, RetryPolicy retry)
    : settings_(std::move(settings)), clock_(clock), retry_(retry), db_(std::move(db)) {}

Result<std::unique_ptr<Outbox>> Outbox::create(std::unique_ptr<store::Database> db, SmtpSettings settings,
                                               const Clock& clock, RetryPolicy retry) {
  if (!db) return invalid_argument("mail outbox needs a database");
  if (retry.initial.count() <= 0 || retry.max < retry.initial) {
    return invalid_argument("mail retry policy needs 0 < initial <= max");
  }
  if (Status st = check_address(settings.from); !st) return invalid_argument("mail From address: " + st.message());
  XACBE_RETURN_IF_ERROR(db->migrate(kSchemaModule, kMigrations, store::LegacyVersion::table(kLegacyVersionTable)));
  return std::unique_ptr<Outbox>(new Outbox(std::move(db), std::move(settings), clock, retry));
}

Result<std::int64_t> Outbox::insert(store::Database& db, Message& m) {
  if (m.message_id.empty()) m.message_id = make_message_id(settings_.from);
  XACBE_RETURN_IF_ERROR(check_message(m));
  const std::int64_t now = to_unix_seconds(clock_.now());
  XACBE_ASSIGN_OR_RETURN(store::Statement insert,
                         db.prepare("INSERT INTO mail_outbox(message_id, recipients, subject, body, created_at, "
                                    "next_attempt_at) VALUES (?, ?, ?, ?, ?, ?)"));
  insert.bind(1, m.message_id).bind(2, join_lines(m.to)).bind(3, m.subject).bind(4, m.body);
  insert.bind(5, now).bind(6, now);
  if (Status st = insert.run(); !st) {
    if (st.code() == Code::kAlreadyExists) {
      return Status(Code::kAlreadyExists, "Message-ID " + m.message_id + " is already in the outbox");
    }
    return st;
  }
  return db.last_insert_rowid();
}

Result<std::int64_t> Outbox::enqueue(Message message) {
  Result<std::int64_t> id = [&] {
    std::lock_guard lock(mu_);
    return insert(*db_, message);
  }();
  if (id) notify();
  return id;
}

Result<std::int64_t> Outbox::enqueue(store::Database& db, store::Transaction& /*tx: proof of an open one*/,
                                     Message message) {
  if (sqlite3_get_autocommit(db.handle()) != 0) return failed_precondition("enqueue needs an open transaction");
  const std::string theirs = main_file(db);
  const std::string ours = [&] {
    std::lock_guard lock(mu_);
    return main_file(*db_);
  }();
  if (theirs.empty() || theirs != ours) {
    return invalid_argument("the transaction is not on the outbox's database file");
  }
  return insert(db, message);
}

void Outbox::notify() {
  std::lock_guard lock(listener_mu_);
  if (listener_) listener_();
}

void Outbox::set_listener(std::function<void()> listener) {
  std::lock_guard lock(listener_mu_);
  listener_ = std::move(listener);
}

Result<DeliveryReport> Outbox::deliver_due(std::stop_token stop) {
  std::lock_guard delivery(delivery_mu_);
  std::vector<OutboxEntry> due;
  {
    std::lock_guard lock(mu_);
    XACBE_ASSIGN_OR_RETURN(store::Statement query,
                           db_->prepare("SELECT " + std::string(kColumns) +
                                        " FROM mail_outbox WHERE state = 'pending' AND next_attempt_at <= ?"
                                        " ORDER BY next_attempt_at, id"));
    query.bind(1, to_unix_seconds(clock_.now()));
    XACBE_ASSIGN_OR_RETURN(due, collect(query));
  }
  DeliveryReport report;
  for (const OutboxEntry& entry : due) {
    if (stop.stop_requested()) break;
    const Status outcome = send(settings_, entry.message, stop);
    if (!outcome && stop.stop_requested()) break;  // cancelled: the entry stays as it was
    XACBE_RETURN_IF_ERROR(record_attempt(entry, outcome));
    if (outcome) {
      ++report.sent;
      log::info("mail {} (outbox {}) sent", entry.message.message_id, entry.id);
    } else if (outcome.code() == Code::kPermissionDenied) {
      ++report.failed;
      log::error("mail {} (outbox {}) refused permanently: {}", entry.message.message_id, entry.id,
                 outcome.to_string());
    } else {
      ++report.deferred;
      log::warn("mail {} (outbox {}) deferred after attempt {}: {}", entry.message.message_id, entry.id,
                entry.attempts + 1, outcome.to_string());
    }
  }
  return report;
}

// Only a permanent refusal of a recipient ends a message as failed; every other error, however
// often it repeats, reschedules it (an outage or a configuration mistake must not lose mail).
Status Outbox::record_attempt(const OutboxEntry& entry, const Status& outcome) {
  const TimePoint now = clock_.now();
  const int attempts = entry.attempts + 1;
  std::lock_guard lock(mu_);
  XACBE_ASSIGN_OR_RETURN(store::Statement update,
                         db_->prepare("UPDATE mail_outbox SET state = ?, attempts = ?, next_attempt_at = ?,"
                                      " last_error = ?, sent_at = ? WHERE id = ? AND state = 'pending'"));
  const OutboxState state = outcome                                     ? OutboxState::kSent
                            : outcome.code() == Code::kPermissionDenied ? OutboxState::kFailed
                                                                        : OutboxState::kPending;
  update.bind(1, state_name(state)).bind(2, std::int64_t{attempts});
  update.bind(3, to_unix_seconds(state == OutboxState::kPending ? now + retry_delay(retry_, attempts) : now));
  if (outcome)
    update.bind_null(4).bind(5, to_unix_seconds(now));
  else
    update.bind(4, outcome.to_string()).bind_null(5);
  update.bind(6, entry.id);
  return update.run();
}

Result<std::vector<OutboxEntry>> Outbox::list(OutboxState state, std::size_t limit) {
  std::lock_guard lock(mu_);
  XACBE_ASSIGN_OR_RETURN(store::Statement query, db_->prepare("SELECT " + std::string(kColumns) +
                                                              " FROM mail_outbox WHERE state = ? ORDER BY id LIMIT ?"));
  query.bind(1, state_name(state)).bind(2, static_cast<std::int64_t>(limit));
  return collect(query);
}

Result<OutboxEntry> Outbox::get(std::int64_t id) {
  std::lock_guard lock(mu_);
  XACBE_ASSIGN_OR_RETURN(store::Statement query,
                         db_->prepare("SELECT " + std::string(kColumns) + " FROM mail_outbox WHERE id = ?"));
  query.bind(1, id);
  XACBE_ASSIGN_OR_RETURN(const bool row, query.step());
  if (!row) return not_found("no outbox entry " + std::to_string(id));
  return entry_from_row(query);
}

OutboxWorker::OutboxWorker(Outbox& outbox, std::chrono::milliseconds interval)
    : outbox_(outbox), interval_(interval), thread_([this](std::stop_token stop) { run(stop); }) {
  outbox_.set_listener([this] { wake(); });
}

OutboxWorker::~OutboxWorker() {
  stop();
}

void OutboxWorker::wake() {
  {
    std::lock_guard lock(mu_);
    woken_ = true;
  }
  cv_.notify_all();
}

void OutboxWorker::stop() {
  outbox_.set_listener({});  // waits for a wake() in progress
  thread_.request_stop();
  if (thread_.joinable()) thread_.join();
}

void OutboxWorker::run(std::stop_token stop) {
  while (!stop.stop_requested()) {
    if (auto report = outbox_.deliver_due(stop); !report) {
      log::error("mail outbox delivery: {}", report.status().to_string());
    }
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, stop, interval_, [this] { return woken_; });
    woken_ = false;
  }
}

}  // namespace xacbe::mail
