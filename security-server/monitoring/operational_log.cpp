#include "monitoring/operational_log.hpp"

#include <future>
#include <utility>

#include "register/register_time.hpp"
#include "register/sql_conditions.hpp"
#include "xacbe/log/log.hpp"
#include "xacbe/metrics/exposition.hpp"
#include "xacbe/store/database.hpp"
#include "xacbe/utf8.hpp"

namespace xacbe::ss {
namespace {

constexpr const char* kSchemaModule = "operational";

// Append-only: never edit a released migration.
const std::vector<std::string>& migrations() {
  static const std::vector<std::string> m = {
      "CREATE TABLE operational_records("
      " id INTEGER PRIMARY KEY,"
      " side TEXT NOT NULL,"
      " client TEXT NOT NULL,"
      " service TEXT NOT NULL,"
      " endpoint TEXT NOT NULL,"
      " represented_party TEXT NOT NULL,"
      " message_id TEXT NOT NULL,"
      " request_id TEXT NOT NULL,"
      " time_in INTEGER NOT NULL,"   // Unix milliseconds
      " time_out INTEGER NOT NULL,"  // Unix milliseconds
      " request_bytes INTEGER NOT NULL,"
      " response_bytes INTEGER NOT NULL,"
      " result TEXT NOT NULL,"
      " fault_side TEXT NOT NULL,"
      " client_server TEXT NOT NULL,"
      " provider_server TEXT NOT NULL,"
      " http_status INTEGER NOT NULL);"
      "CREATE INDEX operational_time_in ON operational_records(time_in);"
      "CREATE INDEX operational_client ON operational_records(client);"
      "CREATE INDEX operational_service ON operational_records(service);"};
  return m;
}

void bound(std::string& text, std::size_t max) {
  text = bounded_utf8(text, max);
}

constexpr const char* kColumns =
    "id, side, client, service, endpoint, represented_party, message_id, request_id, time_in, time_out,"
    " request_bytes, response_bytes, result, fault_side, client_server, provider_server, http_status";

StoredOperationalRecord read_row(store::Statement& row) {
  StoredOperationalRecord s;
  s.id = row.column_int64(0);
  OperationalRecord& r = s.record;
  r.side = row.column_text(1) == "provider" ? RecordSide::kProvider : RecordSide::kClient;
  r.client = row.column_text(2);
  r.service = row.column_text(3);
  r.endpoint = row.column_text(4);
  r.represented_party = row.column_text(5);
  r.message_id = row.column_text(6);
  r.request_id = row.column_text(7);
  r.time_in = from_unix_millis(row.column_int64(8));
  r.time_out = from_unix_millis(row.column_int64(9));
  r.request_bytes = row.column_int64(10);
  r.response_bytes = row.column_int64(11);
  r.result = row.column_text(12);
  r.fault_side = row.column_text(13);
  r.client_server = row.column_text(14);
  r.provider_server = row.column_text(15);
  r.http_status = static_cast<int>(row.column_int64(16));
  return s;
}

}  // namespace

Result<std::unique_ptr<OperationalLog>> OperationalLog::open(const std::string& path, const Clock& clock,
                                                             OperationalLogOptions options) {
  if (options.max_queue == 0 || options.max_batch == 0)
    return invalid_argument("operational log bounds must be positive");
  if (options.retention.count() <= 0) return invalid_argument("operational retention must be positive");
  store::OpenOptions open_options;
  // Statistics, not evidence: a power loss may take the last batches, never the file.
  open_options.synchronous_full = false;
  XACBE_ASSIGN_OR_RETURN(std::unique_ptr<store::Database> writer_db, store::Database::open(path, open_options));
  XACBE_RETURN_IF_ERROR(writer_db->migrate(kSchemaModule, migrations()));
  XACBE_ASSIGN_OR_RETURN(std::unique_ptr<store::Database> reader_db, store::Database::open(path, open_options));
  std::unique_ptr<OperationalLog> log(
      new OperationalLog(clock, std::move(options), std::move(writer_db), std::move(reader_db)));
  log->writer_ = std::thread([l = log.get()] { l->writer_loop(); });
  return log;
}

OperationalLog::OperationalLog(const Clock& clock, OperationalLogOptions options,
                               std::unique_ptr<store::Database> writer_db, std::unique_ptr<store::Database> reader_db)
    : clock_(clock), options_(std::move(options)), writer_db_(std::move(writer_db)), reader_db_(std::move(reader_db)) {}

OperationalLog::~OperationalLog() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_writer_.notify_all();
  if (writer_.joinable()) writer_.join();
}

void OperationalLog::record(OperationalRecord r) {
  bound(r.client, kMaxOperationalIdentifierBytes);
  bound(r.service, kMaxOperationalIdentifierBytes);
  bound(r.endpoint, kMaxEndpointBytes);
  bound(r.represented_party, kMaxOperationalIdentifierBytes);
  bound(r.message_id, kMaxOperationalMessageIdBytes);
  bound(r.request_id, kMaxOperationalMessageIdBytes);
  bound(r.result, kMaxResultBytes);
  bound(r.fault_side, kMaxFaultSideBytes);
  bound(r.client_server, kMaxOperationalIdentifierBytes);
  bound(r.provider_server, kMaxOperationalIdentifierBytes);
  if (r.request_bytes < 0) r.request_bytes = 0;
  if (r.response_bytes < 0) r.response_bytes = 0;
  {
    std::lock_guard lock(mu_);
    if (stopping_ || queue_.size() >= options_.max_queue) {
      ++stats_.dropped;
      return;
    }
    queue_.push_back(std::move(r));
  }
  wake_writer_.notify_one();
}

Status OperationalLog::flush() {
  std::unique_lock lock(mu_);
  writer_idle_.wait(lock, [&] { return (queue_.empty() && tasks_.empty() && !writer_busy_) || stopping_; });
  return Status::ok();
}

void OperationalLog::writer_loop() {
  for (;;) {
    {
      std::unique_lock lock(mu_);
      writer_busy_ = false;
      writer_idle_.notify_all();
      wake_writer_.wait(lock, [&] { return stopping_ || !queue_.empty() || !tasks_.empty(); });
      if (queue_.empty() && tasks_.empty()) return;  // stopping, and everything written
      writer_busy_ = true;
    }
    if (options_.before_batch) options_.before_batch();
    std::vector<OperationalRecord> batch;
    std::deque<WriterTask> tasks;
    {
      std::lock_guard lock(mu_);
      tasks.swap(tasks_);
      const std::size_t n = std::min(queue_.size(), options_.max_batch);
      batch.reserve(n);
      for (std::size_t i = 0; i < n; ++i) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    for (WriterTask& task : tasks) task(*writer_db_);
    if (!batch.empty()) write_batch(batch);
  }
}

// One transaction per batch. A batch the database refuses (a full disk) is lost and counted; the
// exchanges it describes have long been answered.
void OperationalLog::write_batch(std::vector<OperationalRecord>& batch) {
  store::Database& db = *writer_db_;
  Status outcome;
  {
    Result<store::Transaction> tx = store::Transaction::begin(db);
    if (!tx) {
      outcome = tx.status();
    } else {
      for (const OperationalRecord& r : batch) {
        auto insert = db.cached(
            "INSERT INTO operational_records(side, client, service, endpoint, represented_party, message_id,"
            " request_id, time_in, time_out, request_bytes, response_bytes, result, fault_side, client_server,"
            " provider_server, http_status) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16)");
        if (!insert) {
          outcome = insert.status();
          break;
        }
        store::Statement& row = **insert;
        row.bind(1, side_name(r.side)).bind(2, r.client).bind(3, r.service).bind(4, r.endpoint);
        row.bind(5, r.represented_party).bind(6, r.message_id).bind(7, r.request_id);
        row.bind(8, to_unix_millis(r.time_in)).bind(9, to_unix_millis(r.time_out));
        row.bind(10, r.request_bytes).bind(11, r.response_bytes).bind(12, r.result).bind(13, r.fault_side);
        row.bind(14, r.client_server).bind(15, r.provider_server).bind(16, std::int64_t{r.http_status});
        if (Status st = row.run(); !st) {
          outcome = st;
          break;
        }
      }
      if (outcome) {
        outcome = db.in_transaction() ? tx->commit() : internal_error("the database rolled the transaction back");
      }
    }
  }
  std::lock_guard lock(mu_);
  if (outcome) {
    stats_.written += static_cast<std::int64_t>(batch.size());
    ++stats_.batches;
  } else {
    stats_.write_failed += static_cast<std::int64_t>(batch.size());
    log::error("operational log: a batch of {} records was lost: {}", batch.size(), outcome.to_string());
  }
}

Result<std::int64_t> OperationalLog::purge_expired() {
  const std::int64_t before = to_unix_millis(clock_.now() - options_.retention);
  auto promise = std::make_shared<std::promise<Result<std::int64_t>>>();
  std::future<Result<std::int64_t>> future = promise->get_future();
  {
    std::lock_guard lock(mu_);
    if (stopping_) return unavailable("the operational log is closing");
    tasks_.push_back([this, promise, before](store::Database& db) {
      auto remove = db.cached("DELETE FROM operational_records WHERE time_in < ?1");
      if (!remove) {
        promise->set_value(remove.status());
        return;
      }
      (*remove)->bind(1, before);
      if (Status st = (*remove)->run(); !st) {
        promise->set_value(st);
        return;
      }
      const std::int64_t removed = db.changes();
      {
        std::lock_guard inner(mu_);
        stats_.purged += removed;
      }
      promise->set_value(removed);
    });
  }
  wake_writer_.notify_one();
  return future.get();
}

Result<OperationalPage> OperationalLog::find(const OperationalFilter& f) const {
  if (f.limit < 1 || f.limit > 1000) return invalid_argument("a search returns 1 to 1000 operational records");
  OperationalPage page;
  page.next_after = f.after_id;
  if (f.members && f.members->empty()) return page;
  SqlConditions c;
  c.sql = std::string("SELECT ") + kColumns + " FROM operational_records WHERE id > " + c.number(f.after_id);
  if (f.from) c.sql += " AND time_in >= " + c.number(to_unix_millis(*f.from));
  if (f.to) c.sql += " AND time_in < " + c.number(to_unix_millis(*f.to));
  if (f.client) c.sql += " AND client = " + c.text(*f.client);
  if (f.service) c.sql += " AND service = " + c.text(*f.service);
  if (f.side) c.sql += " AND side = " + c.text(side_name(*f.side));
  if (f.result)
    c.sql += *f.result == "failed" ? std::string(" AND result <> 'ok'") : " AND result = " + c.text(*f.result);
  if (f.members) c.sql += members_condition(*f.members, c);
  c.sql += " ORDER BY id LIMIT " + c.number(f.limit + 1);
  std::lock_guard lock(reader_mu_);
  XACBE_ASSIGN_OR_RETURN(store::Statement query, reader_db_->prepare(c.sql));
  c.bind(query);
  for (;;) {
    XACBE_ASSIGN_OR_RETURN(bool row, query.step());
    if (!row) break;
    if (page.records.size() == static_cast<std::size_t>(f.limit)) {
      page.more = true;
      break;
    }
    page.records.push_back(read_row(query));
  }
  if (!page.records.empty()) page.next_after = page.records.back().id;
  return page;
}

Result<UsageSummary> OperationalLog::usage(TimePoint from, TimePoint to,
                                           const std::optional<std::vector<id::MemberId>>& members,
                                           std::size_t max_lines) const {
  if (to <= from) return invalid_argument("the usage period ends before it starts");
  if (max_lines == 0) return invalid_argument("a usage summary has at least one line");
  UsageSummary out;
  if (members && members->empty()) return out;
  SqlConditions c;
  c.sql =
      "SELECT date(time_in / 1000, 'unixepoch') AS day, client, service, side,"
      " SUM(result = 'ok'), SUM(result <> 'ok'), SUM(request_bytes), SUM(response_bytes)"
      " FROM operational_records WHERE time_in >= " +
      c.number(to_unix_millis(from));
  c.sql += " AND time_in < " + c.number(to_unix_millis(to));
  if (members) c.sql += members_condition(*members, c);
  c.sql += " GROUP BY day, client, service, side ORDER BY day, client, service, side LIMIT " +
           c.number(static_cast<std::int64_t>(max_lines) + 1);
  std::lock_guard lock(reader_mu_);
  XACBE_ASSIGN_OR_RETURN(store::Statement query, reader_db_->prepare(c.sql));
  c.bind(query);
  for (;;) {
    XACBE_ASSIGN_OR_RETURN(bool row, query.step());
    if (!row) break;
    if (out.lines.size() == max_lines) {
      out.truncated = true;
      break;
    }
    UsageLine line;
    line.day = query.column_text(0);
    line.client = query.column_text(1);
    line.service = query.column_text(2);
    line.side = query.column_text(3) == "provider" ? RecordSide::kProvider : RecordSide::kClient;
    line.ok = query.column_int64(4);
    line.failed = query.column_int64(5);
    line.request_bytes = query.column_int64(6);
    line.response_bytes = query.column_int64(7);
    out.lines.push_back(std::move(line));
  }
  return out;
}

OperationalStats OperationalLog::stats() const {
  std::lock_guard lock(mu_);
  OperationalStats s = stats_;
  s.queued = static_cast<std::int64_t>(queue_.size());
  s.capacity = options_.max_queue;
  return s;
}

void write_operational_metrics(metrics::TextWriter& out, const OperationalStats& s) {
  const auto one = [&out](const char* name, metrics::MetricType type, const char* help, std::int64_t value) {
    out.family(name, type, help);
    out.sample({}, static_cast<double>(value));
  };
  one("xacbe_operational_records_written_total", metrics::MetricType::kCounter,
      "Operational records written since start.", s.written);
  one("xacbe_operational_records_dropped_total", metrics::MetricType::kCounter,
      "Operational records dropped since start because the write queue was full.", s.dropped);
  one("xacbe_operational_records_write_failed_total", metrics::MetricType::kCounter,
      "Operational records lost since start because the database refused their batch.", s.write_failed);
  one("xacbe_operational_queue_records", metrics::MetricType::kGauge, "Operational records waiting for the writer.",
      s.queued);
}

}  // namespace xacbe::ss
