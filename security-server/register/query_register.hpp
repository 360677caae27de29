#pragma once
// The query register (message log) of a security server, docs/protocol/query-register.md: every
// request and response of both sides of an exchange, with its e-stamp, durable before the exchange
// is answered, chained by hash, and timestamped in Merkle batches under the eight-hour rule.
//
// Threads: one writer thread owns the writing connection and the chain head. append() queues; the
// writer takes everything waiting (up to max_group records) and writes it in one transaction, so
// many exchanges share one fsync (group commit). Reads go through a second connection under
// reader_mu_, which WAL lets run beside the writer. The Timestamper reads the backlog here and
// hands its results to the writer thread, so every write of the file happens on one thread.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "register/record.hpp"
#include "xacbe/clock.hpp"
#include "xacbe/result.hpp"

namespace xacbe::store {
class Database;
}

namespace xacbe::ss {

struct RegisterOptions {
  std::size_t max_group = 1000;     // records written in one transaction
  std::size_t max_pending = 10000;  // appends waiting for the writer; one more is refused at once
  // Decisions waiting for the writer; one more drops the oldest waiting one (counted).
  std::size_t max_pending_decisions = 10000;
  // The eight-hour rule: new exchanges are refused while the oldest untimestamped record's
  // deadline is less than this far ahead, so that the records already logged still have time to be
  // timestamped once the TSA answers again (one timestamping round plus retries).
  std::chrono::seconds admission_margin = std::chrono::minutes(15);
  std::size_t max_head_bytes = std::size_t{1} << 20;
};

// The outcome a search can ask for (docs/protocol/query-register.md "Searching"): a response
// record whose head has an HTTP `status` of 200..399 is a success, any other response record a
// failure; a request record without a response record of its exchange (same request_id and side)
// is unanswered.
enum class RecordResult { kSuccess, kFailure, kUnanswered };

struct RecordFilter {
  std::optional<std::string> message_id, request_id, client, service;
  std::optional<std::string> user_id;
  // Request records whose head names this represented party (docs/protocol/exchange.md); no index:
  // narrow it with a time range or another filter on a large register.
  std::optional<std::string> represented_party;
  std::optional<RecordSide> side;
  std::optional<RecordKind> kind;
  std::optional<RecordResult> result;
  // Only the records that belong to one of these members (record_belongs_to); an empty list
  // matches nothing. nullopt: every record.
  std::optional<std::vector<id::MemberId>> members;
  std::optional<TimePoint> from, until;  // created_at in [from, until)
  std::int64_t after_seq = 0;            // paging: records with a greater seq, in seq order
  int limit = 100;                       // 1..1000
  // A search that no indexed equality (message_id, request_id, client, service) narrows examines
  // at most this many records after after_seq (find_page says where it stopped); nullopt: no bound.
  std::optional<std::int64_t> max_examined;
  bool with_bodies = false;
};

// One page of a search.
struct RecordPage {
  std::vector<Record> records;
  std::int64_t next_after = 0;  // the after_seq of the next page
  bool more = false;            // records may follow next_after
};

// How a record's hash reaches the imprint of an RFC 3161 token.
struct TimestampProof {
  std::int64_t seq = 0;
  std::string record_hash;  // raw 32 bytes; the leaf is merkle_leaf_hash(record_hash)
  std::int64_t batch_id = 0;
  std::string token_der;  // the TimeStampToken; its message imprint is SHA-256 `root`
  std::chrono::sys_seconds gen_time{};
  std::int64_t leaf_index = 0;
  std::int64_t batch_size = 0;
  std::vector<std::string> path;  // RFC 6962 audit path, from the leaf up
  std::string root;               // raw 32 bytes
  bool deadline_missed = false;
};

struct ChainReport {
  bool ok = true;
  std::int64_t records = 0;  // records checked
  std::optional<std::int64_t> first_bad_seq;
  std::string problem;  // what was wrong at first_bad_seq
};

struct RegisterStats {
  std::int64_t records = 0;
  std::int64_t untimestamped = 0;
  std::optional<std::chrono::sys_seconds> oldest_untimestamped_deadline;
  std::optional<TimePoint> last_timestamp_at;  // when the last batch was stored
  std::string last_timestamp_error;            // of the last attempt; empty when it succeeded
  std::int64_t deadlines_missed = 0;
  std::int64_t decisions_dropped = 0;  // since open
  std::int64_t commits = 0;            // write transactions since open (group commit: fewer than records)
  std::int64_t appends_refused = 0;    // refused since open because the queue was full
  // records, untimestamped and deadlines_missed are -1 when the file could not be read.
};

// A signed global configuration the server put in use (docs/protocol/query-register.md
// "Configurations").
struct StoredConfiguration {
  std::string instance;
  std::uint64_t version = 0;
  std::string signed_bytes;  // the signed form exactly as downloaded
  TimePoint in_use_from{};   // milliseconds kept
};

// One archive file as the register remembers it (audit/archive.hpp, docs/protocol/query-register.md
// "Retention and archives"). It is remembered once written and verified, before any of its records
// leaves the live store.
struct ArchiveEntry {
  std::int64_t index = 0;
  std::string file;                                 // its name in the archive directory
  std::string sha256;                               // raw 32 bytes, of the file as stored
  std::optional<std::int64_t> first_seq, last_seq;  // none: it holds decisions only
  std::string last_hash;                            // raw 32 bytes, of record last_seq
  std::int64_t decisions_through = 0;               // the highest decision id it holds; 0: none
  std::int64_t decisions = 0;                       // how many
  TimePoint written_at{};
  bool transferred = false;          // the transfer command took it
  std::int64_t deleted_through = 0;  // its records up to this seq have left the live store
  bool done = false;                 // its records and decisions have all left
};

// Where the live chain starts: seq 1 after the genesis hash until archived records leave.
struct ChainStart {
  std::int64_t seq = 1;
  std::string prev_hash;  // raw 32 bytes
};

// What the register holds of one UTC day, side, client and service (the usage statistics a
// security server reports, docs/protocol/management-requests.md "report-usage"): request records,
// those of them answered by a response record of the same exchange with an HTTP status of
// 200..399, and refusals in the decision record. Ids are as recorded (a refusal may name text
// that is no valid id).
struct UsageCount {
  std::string day;  // YYYY-MM-DD
  RecordSide side = RecordSide::kClient;
  std::string client, service;
  std::int64_t requests = 0, succeeded = 0, refused = 0;
};

class Timestamper;

class QueryRegister {
 public:
  // Opens (or creates) the register at `path`: WAL, synchronous=FULL, schema "query-register".
  // `clock` must outlive the register.
  static Result<std::unique_ptr<QueryRegister>> open(const std::string& path, const Clock& clock,
                                                     RegisterOptions options = {});
  // Writes what is queued, then stops the writer.
  ~QueryRegister();
  QueryRegister(const QueryRegister&) = delete;
  QueryRegister& operator=(const QueryRegister&) = delete;

  using AppendDone = std::function<void(Result<RecordRef>)>;
  // Queues `input`; `done` is called once, from the writer thread after the record's transaction
  // is on disk, or at once from this thread for a refusal (bad input, queue full: kUnavailable).
  // A provider-side request whose (client, message_id) is already in the register is
  // kAlreadyExists (a replay); the other records of its group are not affected.
  void append(RecordInput input, AppendDone done);
  Result<RecordRef> append_blocking(RecordInput input);

  // Whether a request record of `side` with this client and message id is in the register: a cheap
  // check before the expensive work. The unique index is the real guard against a replay, so a
  // failed read answers false and leaves the refusal to append().
  bool contains_request(RecordSide side, const std::string& client, const std::string& message_id) const;

  // The eight-hour rule: kUnavailable while the oldest untimestamped record's deadline is less
  // than admission_margin ahead of the clock. Derived from the stored deadlines, so it survives a
  // restart, and lifts by itself once the backlog is timestamped.
  Status admission() const;

  // Queues a decision for the writer's next group; not awaited. When max_pending_decisions are
  // waiting the oldest waiting one is dropped and counted (stats().decisions_dropped): a flood of
  // refusals must not hold back the message records.
  void record_decision(Decision decision);
  Result<std::vector<StoredDecision>> decisions(std::int64_t after_id, int limit) const;
  // The decision record's retention: removes decisions older than `before`; how many.
  Result<std::int64_t> purge_decisions_before(TimePoint before);

  // Returns once everything queued before the call is written.
  Status flush();

  // Keeps the signed form of a configuration put in use now, once per distinct form (the same bytes
  // again are not kept again). Records appended after the call are covered by it. The caller has
  // verified it; this reads only its instance and version (kInvalidArgument when it cannot).
  Status keep_configuration(const std::string& signed_bytes);
  // The configuration in use at `at`: the last one kept at or before it. With `or_first_after`,
  // a record older than every kept configuration (written before the register kept them) gets the
  // first one kept after it instead. kNotFound when there is none.
  Result<StoredConfiguration> configuration_at(TimePoint at, bool or_first_after = false) const;

  Result<Record> get(std::int64_t seq) const;
  // The records `filter` matches, in seq order: find_page(filter).records.
  Result<std::vector<Record>> find(const RecordFilter& filter) const;
  Result<RecordPage> find_page(const RecordFilter& filter) const;
  // kNotFound for an unknown record, kFailedPrecondition for one not yet timestamped.
  Result<TimestampProof> proof(std::int64_t seq) const;
  // Recomputes every record's hash and link and its content digests, and every timestamped
  // record's path to its batch root. Reads through a connection of its own.
  Result<ChainReport> verify_chain() const;
  RegisterStats stats() const;
  // The usage counts of the records and refusals of [from, until), by day, side, client and service
  // in that order (register_usage.cpp). Reads through a connection of its own, so that a long
  // count holds up neither the writer nor the exchanges' reads.
  Result<std::vector<UsageCount>> usage_counts(TimePoint from, TimePoint until) const;

  // Retention (audit/archive.hpp). add_archive remembers a written, verified archive file;
  // delete_archived then takes up to `batch` of its records out of the live store, lowest seq first,
  // in one writer transaction with the timestamp batches left without records and the new chain
  // start, and returns how many; once none is left it takes its decisions and marks it done (0).
  Status add_archive(const ArchiveEntry& entry);
  Status mark_archive_transferred(std::int64_t index);
  Result<std::int64_t> delete_archived(std::int64_t index, std::size_t batch);
  // The archives not yet done, and the last one written, by index.
  Result<std::vector<ArchiveEntry>> pending_archives() const;
  Result<std::optional<ArchiveEntry>> last_archive() const;
  Result<ChainStart> chain_start() const;

  // Called from the writer thread after a group holding a timestamp_at_once record commits; it must
  // only signal (it must not wait for the writer). nullptr removes it.
  void set_timestamp_wanted(std::function<void()> wake);

 private:
  friend class Timestamper;

  // An append checked and digested in the caller's thread, waiting for the writer.
  struct Pending {
    RecordInput input;
    std::string head_sha256, estamp_sha256;
    AppendDone done;
  };
  struct PendingDecision {
    TimePoint at;
    Decision decision;
  };
  using WriterTask = std::function<void(store::Database&)>;

  // For the Timestamper: the oldest untimestamped records, in seq order.
  struct Unstamped {
    std::int64_t seq = 0;
    std::string hash;
    std::chrono::sys_seconds deadline{};
  };
  struct StampedBatch {
    std::string root;
    std::string token_der;
    std::chrono::sys_seconds gen_time{};
    std::vector<Unstamped> records;               // leaf i is records[i]
    std::vector<std::vector<std::string>> paths;  // paths[i] for records[i]
  };
  Result<std::vector<Unstamped>> unstamped(std::size_t limit) const;
  // Stores the batch on the writer thread; how many of its records missed their deadline.
  Result<std::int64_t> store_batch(const StampedBatch& batch);
  void note_timestamping(const Status& outcome);

  QueryRegister(std::string path, const Clock& clock, RegisterOptions options,
                std::unique_ptr<store::Database> writer_db, std::unique_ptr<store::Database> reader_db);
  Status load_state();
  Status prepare(RecordInput& input) const;
  void run_on_writer(WriterTask task);
  Status run_on_writer_and_wait(std::function<Status(store::Database&)> task);
  void writer_loop();
  void write_group(std::vector<Pending>& group, std::vector<PendingDecision>& decisions);
  Result<RecordRef> insert_record(const Pending& p, std::int64_t seq, const std::string& prev_hash);
  Status insert_decisions(const std::vector<PendingDecision>& decisions);
  Status refresh_oldest_deadline(store::Database& db);

  const std::string path_;
  const Clock& clock_;
  const RegisterOptions options_;
  std::unique_ptr<store::Database> writer_db_;  // used only by the writer thread

  mutable std::mutex reader_mu_;
  std::unique_ptr<store::Database> reader_db_;  // guarded by reader_mu_

  // The chain head; written only by the writer thread (and by load_state before it starts).
  std::int64_t head_seq_ = 0;
  std::string head_hash_;

  mutable std::mutex mu_;
  std::condition_variable wake_writer_;
  std::deque<Pending> queue_;                                // guarded by mu_
  std::deque<PendingDecision> decisions_;                    // guarded by mu_
  std::deque<WriterTask> tasks_;                             // guarded by mu_
  bool stopping_ = false;                                    // guarded by mu_
  std::int64_t decisions_dropped_ = 0;                       // guarded by mu_
  std::int64_t appends_refused_ = 0;                         // guarded by mu_
  std::int64_t commits_ = 0;                                 // guarded by mu_
  std::optional<std::chrono::sys_seconds> oldest_deadline_;  // guarded by mu_; of untimestamped records
  std::optional<TimePoint> last_timestamp_at_;               // guarded by mu_
  std::string last_timestamp_error_;                         // guarded by mu_

  std::condition_variable writer_idle_;  // notified after each round of the writer
  bool writer_busy_ = false;             // guarded by mu_
  // Held while the callback runs, so that once set_timestamp_wanted() returns the old callback is
  // not running and never will be (its Timestamper may be going away).
  std::mutex wake_mu_;
  std::function<void()> timestamp_wanted_;  // guarded by wake_mu_

  std::thread writer_;  // started by open() once the state is loaded
};

}  // namespace xacbe::ss
