#pragma once
// The mail outbox: notification e-mail is first written to SQLite, then delivered by SMTP and
// retried with exponential backoff, so an SMTP outage delays a message but never loses it.
// Delivery is at least once: a crash after the server accepted a message but before it was marked
// sent repeats it on restart, with the same Message-ID so receivers can drop the copy.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "xacbe/clock.hpp"
#include "mail/smtp.hpp"
#include "xacbe/result.hpp"
#include "xacbe/store/database.hpp"

namespace xacbe::mail {

// pending: waiting for its next attempt; sent: accepted by the SMTP server; failed: the server
// refused a recipient permanently (send() returned PERMISSION_DENIED). Nothing else is final.
enum class OutboxState { kPending, kSent, kFailed };

const char* state_name(OutboxState state);  // "pending", "sent", "failed"
Result<OutboxState> parse_state(std::string_view name);

// The delay before attempt n+1 after n failed attempts: initial * 2^(n-1), at most `max`.
struct RetryPolicy {
  std::chrono::seconds initial{30};
  std::chrono::seconds max{3600};
};
std::chrono::seconds retry_delay(const RetryPolicy& policy, int failed_attempts);

struct OutboxEntry {
  std::int64_t id = 0;
  Message message;  // message_id and date as assigned at enqueue
  OutboxState state = OutboxState::kPending;
  TimePoint created_at;
  int attempts = 0;           // SMTP sessions tried so far
  TimePoint next_attempt_at;  // meaningful while pending
  std::string last_error;     // "CODE_NAME: message" of the last failed attempt; empty if none
  std::optional<TimePoint> sent_at;
};

struct DeliveryReport {
  int sent = 0;
  int deferred = 0;  // failed for now, rescheduled
  int failed = 0;    // refused permanently
};

// Owns its own connection to the database file. Times are stored as Unix seconds and read from
// the injected clock. Thread-safe.
class Outbox {
 public:
  // Creates or upgrades the outbox tables, as module "mail" of the file's schema_versions, so the
  // outbox can live in the same database as the changes it must be atomic with (e.g. the central
  // registry's, whose tables are another module of the same file).
  static Result<std::unique_ptr<Outbox>> create(std::unique_ptr<store::Database> db, SmtpSettings settings,
                                                const Clock& clock, RetryPolicy retry = {});

  // Durable (committed) on return; returns the entry id. Assigns the Message-ID (unless given)
  // and the Date. Refuses what send() would refuse (check_message) with INVALID_ARGUMENT; a
  // Message-ID already in the outbox gives ALREADY_EXISTS, so callers may retry an enqueue.
  Result<std::int64_t> enqueue(Message message);
  // Enqueues inside the caller's open transaction on the caller's own connection to the same file,
  // so the message exists if and only if the caller's change commits. Call notify() after commit.
  Result<std::int64_t> enqueue(store::Database& db, store::Transaction& tx, Message message);
  // Wakes the worker (enqueue(message) does it itself).
  void notify();

  // Sends every pending message that is due, oldest first, one SMTP session each. A stop request
  // cancels the session in hand, leaves that message as it was and returns.
  Result<DeliveryReport> deliver_due(std::stop_token stop = {});

  // For the admin API: entries in `state`, oldest first.
  Result<std::vector<OutboxEntry>> list(OutboxState state, std::size_t limit = 1000);
  Result<OutboxEntry> get(std::int64_t id);

  // Called after each enqueue(message) and notify(); used by OutboxWorker. Empty to remove.
  void set_listener(std::function<void()> listener);

 private:
  Outbox(std::unique_ptr<store::Database> db, SmtpSettings settings, const Clock& clock, RetryPolicy retry);
  Result<std::int64_t> insert(store::Database& db, Message& message);
  Status record_attempt(const OutboxEntry& entry, const Status& outcome);

  const SmtpSettings settings_;
  const Clock& clock_;
  const RetryPolicy retry_;
  std::mutex mu_;
  std::unique_ptr<store::Database> db_;  // guarded by mu_
  std::mutex delivery_mu_;               // one deliver_due at a time, so nothing is sent twice
  std::mutex listener_mu_;
  std::function<void()> listener_;  // guarded by listener_mu_, held while it runs
};

// A thread that calls deliver_due() every `interval`, and at once after an enqueue. stop() (also
// the destructor) cancels the SMTP session in hand and joins: it takes at most about a second.
class OutboxWorker {
 public:
  OutboxWorker(Outbox& outbox, std::chrono::milliseconds interval);
  ~OutboxWorker();
  OutboxWorker(const OutboxWorker&) = delete;
  OutboxWorker& operator=(const OutboxWorker&) = delete;

  void wake();
  void stop();

 private:
  void run(std::stop_token stop);

  Outbox& outbox_;
  const std::chrono::milliseconds interval_;
  std::mutex mu_;
  std::condition_variable_any cv_;
  bool woken_ = false;   // guarded by mu_
  std::jthread thread_;  // last: starts once the members above exist
};

}  // namespace xacbe::mail
