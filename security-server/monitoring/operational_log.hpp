#pragma once
// The operational records of a security server (docs/protocol/operational-records.md): one record
// per exchange and side, where the exchange ends — who called what, when, how much, with which
// result, through which two servers. Unlike the query register they are not evidence: they hold no
// message content, are kept a configured number of days, and must never slow or fail an exchange.
//
// Threads: record() bounds the record's text in the caller's thread and queues it under a short
// lock; when max_queue records are waiting it drops the new one and counts it. One writer thread
// owns the writing connection and writes what waits in batches (one transaction each). Reads go
// through a second connection under reader_mu_, which WAL lets run beside the writer.

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
#include "xacbe/id/identifiers.hpp"
#include "xacbe/result.hpp"

namespace xacbe::store {
class Database;
}
namespace xacbe::metrics {
class TextWriter;
}

namespace xacbe::ss {

// Longest text fields, in bytes of UTF-8; longer text is cut at a character boundary (these
// records are statistics, not evidence: a cut value is still useful, a refused record is not).
inline constexpr std::size_t kMaxOperationalIdentifierBytes = 1024;  // client, service, parties, servers
inline constexpr std::size_t kMaxOperationalMessageIdBytes = 255;    // message id, request id
inline constexpr std::size_t kMaxEndpointBytes = 512;                // "<METHOD> <path>"
inline constexpr std::size_t kMaxResultBytes = 64;                   // "ok" or a fault code
inline constexpr std::size_t kMaxFaultSideBytes = 32;

struct OperationalRecord {
  RecordSide side = RecordSide::kClient;
  std::string client;             // the client id as the request named it; empty before it parsed
  std::string service;            // the service id; empty before it parsed
  std::string endpoint;           // "<METHOD> <path>", no query; empty before it parsed
  std::string represented_party;  // the party the client acts for; empty when none
  std::string message_id;
  std::string request_id;           // the client server's request id of the exchange (both sides)
  TimePoint time_in{}, time_out{};  // the request's arrival and the answer's departure, ms kept
  std::int64_t request_bytes = 0;   // the request body as it arrived on this side
  std::int64_t response_bytes = 0;  // the body of the answer this side gave
  std::string result;               // "ok" or the fault code's name
  std::string fault_side;           // "client-request", "client-side", "provider-side"; empty for ok
  std::string client_server;        // the client's security server id, as known on this side
  std::string provider_server;      // the provider's security server id, as known on this side
  int http_status = 0;              // of the answer this side gave
};

struct StoredOperationalRecord {
  std::int64_t id = 0;  // increasing in write order
  OperationalRecord record;
};

struct OperationalFilter {
  std::optional<TimePoint> from, to;  // time_in in [from, to)
  std::optional<std::string> client, service, result;
  std::optional<RecordSide> side;
  // Only the records that belong to one of these members (record_belongs_to on side, client and
  // service); an empty list matches nothing. nullopt: every record.
  std::optional<std::vector<id::MemberId>> members;
  std::int64_t after_id = 0;  // paging: records with a greater id, in id order
  int limit = 100;            // 1..1000
};

struct OperationalPage {
  std::vector<StoredOperationalRecord> records;
  std::int64_t next_after = 0;
  bool more = false;
};

// One line of the daily usage summary: the exchanges of one client, service and side that
// arrived on one UTC day.
struct UsageLine {
  std::string day;  // "YYYY-MM-DD", UTC, of time_in
  std::string client, service;
  RecordSide side = RecordSide::kClient;
  std::int64_t ok = 0, failed = 0;
  std::int64_t request_bytes = 0, response_bytes = 0;
};

struct UsageSummary {
  std::vector<UsageLine> lines;  // by day, client, service, side
  bool truncated = false;        // more lines than the call's limit
};

struct OperationalStats {
  std::int64_t queued = 0;        // waiting for the writer now
  std::int64_t written = 0;       // since open
  std::int64_t dropped = 0;       // since open: the queue was full
  std::int64_t write_failed = 0;  // since open: lost in a batch the database refused
  std::int64_t purged = 0;        // since open: removed by retention
  std::int64_t batches = 0;       // write transactions since open
  std::size_t capacity = 0;       // max_queue
};

struct OperationalLogOptions {
  std::size_t max_queue = 10000;  // records waiting for the writer; one more is dropped and counted
  std::size_t max_batch = 1000;   // records written in one transaction
  std::chrono::seconds retention{std::chrono::hours(24 * 7)};
  // Called by the writer thread before it takes each batch: tests block the writer with it.
  std::function<void()> before_batch;
};

class OperationalLog {
 public:
  // Opens (or creates) the store at `path`: WAL, synchronous=NORMAL, schema "operational".
  // `clock` must outlive the log.
  static Result<std::unique_ptr<OperationalLog>> open(const std::string& path, const Clock& clock,
                                                      OperationalLogOptions options = {});
  // Writes what is queued, then stops the writer.
  ~OperationalLog();
  OperationalLog(const OperationalLog&) = delete;
  OperationalLog& operator=(const OperationalLog&) = delete;

  // Queues `record`, its text bounded and made valid UTF-8. Never waits for the writer and never
  // fails: when the queue is full the record is dropped and counted (stats().dropped).
  void record(OperationalRecord record);
  // Returns once everything queued before the call is written (or lost and counted).
  Status flush();

  // The records `filter` matches, in id order.
  Result<OperationalPage> find(const OperationalFilter& filter) const;
  // Per UTC day of time_in, client, service and side: exchanges ok and failed, bytes in and out,
  // for time_in in [from, to). At most `max_lines` lines; `members` as in OperationalFilter.
  Result<UsageSummary> usage(TimePoint from, TimePoint to, const std::optional<std::vector<id::MemberId>>& members,
                             std::size_t max_lines = 10000) const;

  // Retention: removes the records whose time_in is more than options.retention before the
  // clock's now, on the writer thread; how many.
  Result<std::int64_t> purge_expired();

  OperationalStats stats() const;

 private:
  using WriterTask = std::function<void(store::Database&)>;

  OperationalLog(const Clock& clock, OperationalLogOptions options, std::unique_ptr<store::Database> writer_db,
                 std::unique_ptr<store::Database> reader_db);
  void writer_loop();
  void write_batch(std::vector<OperationalRecord>& batch);

  const Clock& clock_;
  const OperationalLogOptions options_;
  std::unique_ptr<store::Database> writer_db_;  // used only by the writer thread

  mutable std::mutex reader_mu_;
  std::unique_ptr<store::Database> reader_db_;  // guarded by reader_mu_

  mutable std::mutex mu_;
  std::condition_variable wake_writer_;
  std::condition_variable writer_idle_;
  std::deque<OperationalRecord> queue_;  // guarded by mu_
  std::deque<WriterTask> tasks_;         // guarded by mu_
  bool stopping_ = false;                // guarded by mu_
  bool writer_busy_ = false;             // guarded by mu_
  OperationalStats stats_;               // guarded by mu_ (queued and capacity filled in by stats())

  std::thread writer_;  // started by open()
};

// xacbe_operational_records_written_total, _dropped_total, _write_failed_total and
// xacbe_operational_queue_records, for GET /metrics.
void write_operational_metrics(metrics::TextWriter& out, const OperationalStats& stats);

}  // namespace xacbe::ss
