#include "register/query_register.hpp"

#include <algorithm>
#include <future>
#include <utility>

#include "register/record_hash.hpp"
#include "register/register_schema.hpp"
#include "register/register_time.hpp"
#include "xacbe/crypto/encoding.hpp"
#include "xacbe/globalconf/signed_configuration.hpp"
#include "xacbe/log/log.hpp"
#include "xacbe/store/database.hpp"
#include "xacbe/utf8.hpp"

namespace xacbe::ss {
namespace {

// An identifier: valid UTF-8, present unless `may_be_empty`, refused (not cut) over `max` bytes.
Status check_identifier(std::string& text, const char* what, std::size_t max, bool may_be_empty = false) {
  text = valid_utf8(text);
  if (text.empty() && !may_be_empty) return invalid_argument(std::string(what) + " is empty");
  if (text.size() > max) {
    return invalid_argument(std::string(what) + " is longer than " + std::to_string(max) + " bytes");
  }
  return Status::ok();
}

}  // namespace

Result<std::unique_ptr<QueryRegister>> QueryRegister::open(const std::string& path, const Clock& clock,
                                                           RegisterOptions options) {
  if (options.max_group == 0 || options.max_pending == 0 || options.max_pending_decisions == 0) {
    return invalid_argument("query register queue bounds must be positive");
  }
  store::OpenOptions write_options;
  write_options.synchronous_full = true;  // a commit is on disk when it returns
  XACBE_ASSIGN_OR_RETURN(std::unique_ptr<store::Database> writer_db, store::Database::open(path, write_options));
  XACBE_RETURN_IF_ERROR(writer_db->migrate(kRegisterSchemaModule, register_migrations()));
  XACBE_ASSIGN_OR_RETURN(std::unique_ptr<store::Database> reader_db, store::Database::open(path, write_options));
  std::unique_ptr<QueryRegister> reg(
      new QueryRegister(path, clock, options, std::move(writer_db), std::move(reader_db)));
  XACBE_RETURN_IF_ERROR(reg->load_state());
  reg->writer_ = std::thread([r = reg.get()] { r->writer_loop(); });
  return reg;
}

QueryRegister::QueryRegister(std::string path, const Clock& clock, RegisterOptions options,
                             std::unique_ptr<store::Database> writer_db, std::unique_ptr<store::Database> reader_db)
    : path_(std::move(path)),
      clock_(clock),
      options_(options),
      writer_db_(std::move(writer_db)),
      reader_db_(std::move(reader_db)),
      head_hash_(kGenesisHash) {}

QueryRegister::~QueryRegister() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_writer_.notify_all();
  if (writer_.joinable()) writer_.join();
}

// The chain head and what admission and stats need, from the file: a restart resumes where the
// last committed transaction left off, and the eight-hour state is the stored deadlines'.
Status QueryRegister::load_state() {
  store::Database& db = *writer_db_;
  XACBE_ASSIGN_OR_RETURN(store::Statement head, db.prepare("SELECT seq, hash FROM records ORDER BY seq DESC LIMIT 1"));
  XACBE_ASSIGN_OR_RETURN(bool has_head, head.step());
  if (has_head) {
    head_seq_ = head.column_int64(0);
    head_hash_ = head.column_blob(1);
  } else {
    // Every record archived and gone: the chain goes on after the last one that left.
    XACBE_ASSIGN_OR_RETURN(ChainStart start, read_chain_start(db));
    head_seq_ = start.seq - 1;
    head_hash_ = start.prev_hash;
  }
  XACBE_ASSIGN_OR_RETURN(store::Statement last, db.prepare("SELECT MAX(stored_at) FROM timestamp_batches"));
  XACBE_ASSIGN_OR_RETURN(bool has_last, last.step());
  if (has_last && !last.is_null(0)) {
    std::lock_guard lock(mu_);
    last_timestamp_at_ = from_unix_millis(last.column_int64(0));
  }
  return refresh_oldest_deadline(db);
}

Status QueryRegister::refresh_oldest_deadline(store::Database& db) {
  XACBE_ASSIGN_OR_RETURN(store::Statement query,
                         db.prepare("SELECT MIN(deadline) FROM unstamped"));
  XACBE_ASSIGN_OR_RETURN(bool row, query.step());
  std::optional<std::chrono::sys_seconds> oldest;
  if (row && !query.is_null(0)) oldest = sys_seconds_from_unix(query.column_int64(0));
  std::lock_guard lock(mu_);
  oldest_deadline_ = oldest;
  return Status::ok();
}

Status QueryRegister::prepare(RecordInput& in) const {
  XACBE_RETURN_IF_ERROR(check_identifier(in.message_id, "message id", kMaxMessageIdBytes));
  XACBE_RETURN_IF_ERROR(check_identifier(in.request_id, "request id", kMaxRequestIdBytes));
  XACBE_RETURN_IF_ERROR(check_identifier(in.client, "client", kMaxIdentifierBytes));
  XACBE_RETURN_IF_ERROR(check_identifier(in.service, "service", kMaxIdentifierBytes));
  XACBE_RETURN_IF_ERROR(check_identifier(in.user_id, "user id", kMaxUserIdBytes, true));
  if (in.head.size() > options_.max_head_bytes) return invalid_argument("message head is too long for the register");
  if (in.estamp.empty()) return invalid_argument("a register record needs the message's e-stamp");
  if (in.body_sha256.size() != 32) return invalid_argument("body digest is not 32 bytes of SHA-256");
  if (in.body && crypto::sha256(*in.body) != in.body_sha256) {
    return invalid_argument("body does not match its SHA-256 digest");
  }
  if (in.deadline < in.ocsp_produced_at) return invalid_argument("deadline is before the OCSP response");
  return Status::ok();
}

void QueryRegister::append(RecordInput input, AppendDone done) {
  if (Status s = prepare(input); !s) {
    done(std::move(s));
    return;
  }
  Pending p;
  p.input = std::move(input);
  p.done = std::move(done);
  p.head_sha256 = crypto::sha256(p.input.head);
  p.estamp_sha256 = crypto::sha256(p.input.estamp);
  Status refusal;
  {
    std::lock_guard lock(mu_);
    if (stopping_) {
      refusal = unavailable("the query register is closing");
    } else if (queue_.size() >= options_.max_pending) {
      ++appends_refused_;
      refusal = unavailable("the query register's write queue is full");
    } else {
      queue_.push_back(std::move(p));
    }
  }
  if (!refusal.is_ok()) {
    p.done(std::move(refusal));
    return;
  }
  wake_writer_.notify_one();
}

Result<RecordRef> QueryRegister::append_blocking(RecordInput input) {
  std::promise<Result<RecordRef>> promise;
  std::future<Result<RecordRef>> future = promise.get_future();
  append(std::move(input), [&promise](Result<RecordRef> r) { promise.set_value(std::move(r)); });
  return future.get();
}

void QueryRegister::record_decision(Decision d) {
  d.client = bounded_utf8(d.client, kMaxIdentifierBytes);
  d.service = bounded_utf8(d.service, kMaxIdentifierBytes);
  d.message_id = bounded_utf8(d.message_id, kMaxMessageIdBytes);
  d.peer = bounded_utf8(d.peer, kMaxIdentifierBytes);
  d.rule = bounded_utf8(d.rule, kMaxRuleBytes);
  d.reason = bounded_utf8(d.reason, kMaxReasonBytes);
  d.represented_party = bounded_utf8(d.represented_party, kMaxIdentifierBytes);
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    if (decisions_.size() >= options_.max_pending_decisions) {
      decisions_.pop_front();
      ++decisions_dropped_;
    }
    decisions_.push_back({clock_.now(), std::move(d)});
  }
  wake_writer_.notify_one();
}

void QueryRegister::set_timestamp_wanted(std::function<void()> wake) {
  std::lock_guard lock(wake_mu_);
  timestamp_wanted_ = std::move(wake);
}

Status QueryRegister::flush() {
  std::unique_lock lock(mu_);
  writer_idle_.wait(
      lock, [&] { return (queue_.empty() && decisions_.empty() && tasks_.empty() && !writer_busy_) || stopping_; });
  return Status::ok();
}

Status QueryRegister::run_on_writer_and_wait(std::function<Status(store::Database&)> task) {
  auto promise = std::make_shared<std::promise<Status>>();
  std::future<Status> future = promise->get_future();
  {
    std::lock_guard lock(mu_);
    if (stopping_) return unavailable("the query register is closing");
    tasks_.push_back([promise, task = std::move(task)](store::Database& db) { promise->set_value(task(db)); });
  }
  wake_writer_.notify_one();
  return future.get();
}

void QueryRegister::writer_loop() {
  for (;;) {
    std::vector<Pending> group;
    std::vector<PendingDecision> decisions;
    std::deque<WriterTask> tasks;
    {
      std::unique_lock lock(mu_);
      writer_busy_ = false;
      writer_idle_.notify_all();
      wake_writer_.wait(lock, [&] { return stopping_ || !queue_.empty() || !decisions_.empty() || !tasks_.empty(); });
      // Closing writes what was queued first: every append gets its answer.
      if (queue_.empty() && decisions_.empty() && tasks_.empty()) return;
      writer_busy_ = true;
      tasks.swap(tasks_);
      const std::size_t n = std::min(queue_.size(), options_.max_group);
      group.reserve(n);
      for (std::size_t i = 0; i < n; ++i) {
        group.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      decisions.assign(std::make_move_iterator(decisions_.begin()), std::make_move_iterator(decisions_.end()));
      decisions_.clear();
    }
    for (WriterTask& task : tasks) task(*writer_db_);
    if (!group.empty() || !decisions.empty()) write_group(group, decisions);
  }
}

// One transaction, one fsync, for the whole group. A record refused on its own (a replay) leaves
// the chain head where it was and the others go on; a failed commit fails every record of the
// group, and the chain head stays at the last committed record.
void QueryRegister::write_group(std::vector<Pending>& group, std::vector<PendingDecision>& decisions) {
  std::vector<Result<RecordRef>> results;
  results.reserve(group.size());
  std::int64_t seq = head_seq_;
  std::string hash = head_hash_;
  std::optional<std::chrono::sys_seconds> oldest;
  bool wanted = false;
  Status outcome;
  {
    Result<store::Transaction> tx = store::Transaction::begin(*writer_db_);
    if (!tx) {
      outcome = tx.status();
    } else {
      for (const Pending& p : group) {
        Result<RecordRef> r = insert_record(p, seq + 1, hash);
        if (r) {
          seq = r->seq;
          hash = r->hash;
          oldest = oldest ? std::min(*oldest, p.input.deadline) : p.input.deadline;
          wanted = wanted || p.input.timestamp_at_once;
        }
        results.push_back(std::move(r));
      }
      if (Status d = insert_decisions(decisions); !d) {
        log::error("query register: {} decisions could not be recorded: {}", decisions.size(), d.to_string());
        std::lock_guard lock(mu_);
        decisions_dropped_ += static_cast<std::int64_t>(decisions.size());
      }
      // SQLite ends a transaction by itself after some errors (a full disk): nothing to commit then.
      outcome =
          writer_db_->in_transaction() ? tx->commit() : internal_error("the database rolled the transaction back");
    }
  }
  if (outcome) {
    head_seq_ = seq;
    head_hash_ = hash;
  } else {
    log::error("query register: a group of {} records could not be committed: {}", group.size(), outcome.to_string());
    results.resize(group.size(), outcome);
    for (Result<RecordRef>& r : results) {
      if (r) r = outcome;
    }
    wanted = false;
  }
  if (outcome) {
    std::lock_guard lock(mu_);
    ++commits_;
    if (oldest) oldest_deadline_ = oldest_deadline_ ? std::min(*oldest_deadline_, *oldest) : *oldest;
  }
  for (std::size_t i = 0; i < group.size(); ++i) group[i].done(std::move(results[i]));
  if (wanted) {
    std::lock_guard lock(wake_mu_);
    if (timestamp_wanted_) timestamp_wanted_();
  }
}

Result<RecordRef> QueryRegister::insert_record(const Pending& p, std::int64_t seq, const std::string& prev_hash) {
  store::Database& db = *writer_db_;
  const RecordInput& in = p.input;
  // Checked before the insert, for a clear refusal; the unique index stays the guard.
  if (in.side == RecordSide::kProvider && in.kind == RecordKind::kRequest) {
    XACBE_ASSIGN_OR_RETURN(store::CachedStatement exists,
                           db.cached("SELECT 1 FROM records WHERE client = ?1 AND message_id = ?2"
                                     " AND side = 'provider' AND kind = 'request'"));
    exists->bind(1, in.client).bind(2, in.message_id);
    XACBE_ASSIGN_OR_RETURN(bool found, exists->step());
    if (found) {
      return Status(Code::kAlreadyExists,
                    "this client's message id is already in the query register: a replayed message");
    }
  }
  ChainFields f;
  f.seq = seq;
  f.prev_hash = prev_hash;
  f.created_at_ms = to_unix_millis(clock_.now());
  f.side = in.side;
  f.kind = in.kind;
  f.message_id = in.message_id;
  f.request_id = in.request_id;
  f.client = in.client;
  f.service = in.service;
  f.user_id = in.user_id;
  f.head_sha256 = p.head_sha256;
  f.body_sha256 = in.body_sha256;
  f.estamp_sha256 = p.estamp_sha256;
  f.ocsp_produced_at = to_unix_seconds(in.ocsp_produced_at);
  f.deadline = to_unix_seconds(in.deadline);
  std::string hash = chain_hash(f);

  // One statement, so no savepoint: a constraint failure undoes this statement alone (SQLite's
  // ABORT) and leaves the group's transaction open; an error that ends the transaction is caught
  // at the commit.
  XACBE_ASSIGN_OR_RETURN(
      store::CachedStatement insert,
      db.cached("INSERT INTO records(seq, created_at, side, kind, message_id, request_id, client, service, user_id,"
                 " head, head_sha256, body, body_sha256, estamp, estamp_sha256, ocsp_produced_at, deadline,"
                 " prev_hash, hash) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19)"));
  store::Statement& row = *insert;
  row.bind(1, seq).bind(2, f.created_at_ms).bind(3, side_name(in.side)).bind(4, kind_name(in.kind));
  row.bind(5, in.message_id).bind(6, in.request_id).bind(7, in.client).bind(8, in.service).bind(9, in.user_id);
  row.bind_blob(10, in.head).bind_blob(11, p.head_sha256);
  if (in.body) {
    row.bind_blob(12, *in.body);
  } else {
    row.bind_null(12);
  }
  row.bind_blob(13, in.body_sha256).bind_blob(14, in.estamp).bind_blob(15, p.estamp_sha256);
  row.bind(16, f.ocsp_produced_at).bind(17, f.deadline).bind_blob(18, prev_hash).bind_blob(19, hash);
  XACBE_RETURN_IF_ERROR(row.run());
  return RecordRef{seq, std::move(hash)};
}

Status QueryRegister::insert_decisions(const std::vector<PendingDecision>& decisions) {
  if (decisions.empty()) return Status::ok();
  XACBE_ASSIGN_OR_RETURN(store::Transaction savepoint, store::Transaction::begin(*writer_db_));
  XACBE_ASSIGN_OR_RETURN(store::CachedStatement cached,
                         writer_db_->cached("INSERT INTO decisions(at, side, client, service, message_id, peer,"
                                            " allowed, rule, reason, represented_party) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10)"));
  store::Statement& insert = *cached;
  for (const PendingDecision& pd : decisions) {
    const Decision& d = pd.decision;
    insert.reset();
    insert.bind(1, to_unix_millis(pd.at)).bind(2, side_name(d.side)).bind(3, d.client).bind(4, d.service);
    insert.bind(5, d.message_id).bind(6, d.peer).bind(7, std::int64_t{d.allowed ? 1 : 0}).bind(8, d.rule);
    insert.bind(9, d.reason).bind(10, d.represented_party);
    XACBE_RETURN_IF_ERROR(insert.run());
  }
  return savepoint.commit();
}

Status QueryRegister::admission() const {
  std::optional<std::chrono::sys_seconds> oldest;
  {
    std::lock_guard lock(mu_);
    oldest = oldest_deadline_;
  }
  if (!oldest) return Status::ok();
  if (is_after(clock_.now() + options_.admission_margin, *oldest)) {
    return unavailable("the query register cannot take new exchanges: a logged record must be timestamped by " +
                       to_iso8601_utc(*oldest) + " (eight-hour rule) and the TSA has not answered; less than " +
                       std::to_string(options_.admission_margin.count() / 60) +
                       " minutes are left. Exchanges resume once the backlog is timestamped");
  }
  return Status::ok();
}

Result<std::vector<QueryRegister::Unstamped>> QueryRegister::unstamped(std::size_t limit) const {
  std::lock_guard lock(reader_mu_);
  XACBE_ASSIGN_OR_RETURN(store::Statement query,
                         reader_db_->prepare("SELECT u.seq, r.hash, u.deadline FROM unstamped u"
                                             " JOIN records r ON r.seq = u.seq ORDER BY u.seq LIMIT ?1"));
  query.bind(1, static_cast<std::int64_t>(limit));
  std::vector<Unstamped> out;
  for (;;) {
    XACBE_ASSIGN_OR_RETURN(bool row, query.step());
    if (!row) break;
    out.push_back({query.column_int64(0), query.column_blob(1), sys_seconds_from_unix(query.column_int64(2))});
  }
  return out;
}

// One transaction: the token once, and each record's place under it. A record already timestamped
// (a second timestamper on the same file) fails the whole batch rather than be stamped twice.
Result<std::int64_t> QueryRegister::store_batch(const StampedBatch& batch) {
  if (batch.records.empty() || batch.paths.size() != batch.records.size()) {
    return invalid_argument("a timestamp batch needs one audit path per record");
  }
  std::int64_t missed = 0;
  Status stored = run_on_writer_and_wait([&](store::Database& db) -> Status {
    missed = 0;
    {
      XACBE_ASSIGN_OR_RETURN(store::Transaction tx, store::Transaction::begin(db));
      XACBE_ASSIGN_OR_RETURN(store::Statement insert,
                             db.prepare("INSERT INTO timestamp_batches(root, size, first_seq, last_seq, token,"
                                        " gen_time, stored_at) VALUES(?1,?2,?3,?4,?5,?6,?7)"));
      insert.bind_blob(1, batch.root).bind(2, static_cast<std::int64_t>(batch.records.size()));
      insert.bind(3, batch.records.front().seq).bind(4, batch.records.back().seq).bind_blob(5, batch.token_der);
      insert.bind(6, to_unix_seconds(batch.gen_time)).bind(7, to_unix_millis(clock_.now()));
      XACBE_RETURN_IF_ERROR(insert.run());
      const std::int64_t batch_id = db.last_insert_rowid();
      // The record leaves the backlog and gets its stamp: two small rows, the record itself untouched.
      XACBE_ASSIGN_OR_RETURN(store::Statement leave, db.prepare("DELETE FROM unstamped WHERE seq = ?1"));
      XACBE_ASSIGN_OR_RETURN(store::Statement stamp,
                             db.prepare("INSERT INTO record_stamps(seq, batch_id, leaf_index, audit_path,"
                                        " deadline_missed) VALUES(?1,?2,?3,?4,?5)"));
      for (std::size_t i = 0; i < batch.records.size(); ++i) {
        const Unstamped& r = batch.records[i];
        leave.reset();
        leave.bind(1, r.seq);
        XACBE_RETURN_IF_ERROR(leave.run());
        if (db.changes() != 1) {
          return failed_precondition("record " + std::to_string(r.seq) + " is already timestamped");
        }
        std::string path;
        for (const std::string& h : batch.paths[i]) path += h;
        const bool late = batch.gen_time > r.deadline;
        missed += late ? 1 : 0;
        stamp.reset();
        stamp.bind(1, r.seq).bind(2, batch_id).bind(3, static_cast<std::int64_t>(i)).bind_blob(4, path);
        stamp.bind(5, std::int64_t{late ? 1 : 0});
        XACBE_RETURN_IF_ERROR(stamp.run());
      }
      XACBE_RETURN_IF_ERROR(tx.commit());
    }
    {
      std::lock_guard lock(mu_);
      last_timestamp_at_ = clock_.now();
    }
    return refresh_oldest_deadline(db);
  });
  if (!stored) return stored;
  return missed;
}

Result<std::int64_t> QueryRegister::purge_decisions_before(TimePoint before) {
  std::int64_t removed = 0;
  XACBE_RETURN_IF_ERROR(run_on_writer_and_wait([&](store::Database& db) -> Status {
    XACBE_ASSIGN_OR_RETURN(store::Statement del, db.prepare("DELETE FROM decisions WHERE at < ?1"));
    del.bind(1, to_unix_millis(before));
    XACBE_RETURN_IF_ERROR(del.run());
    removed = db.changes();
    return Status::ok();
  }));
  return removed;
}

Status QueryRegister::keep_configuration(const std::string& signed_bytes) {
  XACBE_ASSIGN_OR_RETURN(globalconf::SignedConfiguration envelope, globalconf::SignedConfiguration::parse(signed_bytes));
  XACBE_ASSIGN_OR_RETURN(globalconf::GlobalConfiguration conf, globalconf::GlobalConfiguration::from_json(envelope.content));
  const std::string instance = conf.instance();
  const std::uint64_t version = conf.version();
  const TimePoint now = clock_.now();
  const std::string digest = crypto::sha256(signed_bytes);
  return run_on_writer_and_wait([&](store::Database& db) -> Status {
    XACBE_ASSIGN_OR_RETURN(store::Statement insert,
                           db.prepare("INSERT INTO configurations(instance, version, signed, sha256, in_use_from)"
                                      " VALUES(?1, ?2, ?3, ?4, ?5) ON CONFLICT(sha256) DO NOTHING"));
    insert.bind(1, valid_utf8(instance))
        .bind(2, static_cast<std::int64_t>(version))
        .bind_blob(3, signed_bytes)
        .bind_blob(4, digest)
        .bind(5, to_unix_millis(now));
    return insert.run();
  });
}

void QueryRegister::note_timestamping(const Status& outcome) {
  std::lock_guard lock(mu_);
  if (outcome) {
    last_timestamp_error_.clear();
  } else {
    last_timestamp_error_ = outcome.to_string();
  }
}

}  // namespace xacbe::ss
