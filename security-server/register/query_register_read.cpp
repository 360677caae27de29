// The query register's reads: records, proofs, decisions and statistics, through the reading
// connection (WAL lets it read beside the writer).

#include <utility>

#include "register/query_register.hpp"
#include "register/record_row.hpp"
#include "register/register_time.hpp"
#include "xacbe/log/log.hpp"
#include "xacbe/store/database.hpp"
#include "xacbe/utf8.hpp"

namespace xacbe::ss {

Result<Record> QueryRegister::get(std::int64_t seq) const {
  std::lock_guard lock(reader_mu_);
  XACBE_ASSIGN_OR_RETURN(store::Statement query,
                         reader_db_->prepare("SELECT " + record_columns() + " FROM records WHERE seq = ?1"));
  query.bind(1, seq);
  XACBE_ASSIGN_OR_RETURN(bool row, query.step());
  if (!row) return not_found("no record " + std::to_string(seq) + " in the query register");
  return read_record(query);
}

Result<std::vector<Record>> QueryRegister::find(const RecordFilter& filter) const {
  if (filter.limit < 1 || filter.limit > 1000) return invalid_argument("a register search returns 1 to 1000 records");
  std::string sql = "SELECT " + record_columns("", filter.with_bodies) +
                    " FROM records WHERE seq > ?1";
  int n = 1;
  std::vector<std::pair<int, std::string>> texts;
  std::vector<std::pair<int, std::int64_t>> numbers;
  const auto match = [&](const char* column, const std::optional<std::string>& value) {
    if (!value) return;
    sql += std::string(" AND ") + column + " = ?" + std::to_string(++n);
    texts.emplace_back(n, *value);
  };
  match("message_id", filter.message_id);
  match("request_id", filter.request_id);
  match("client", filter.client);
  match("service", filter.service);
  if (filter.from) {
    sql += " AND created_at >= ?" + std::to_string(++n);
    numbers.emplace_back(n, to_unix_millis(*filter.from));
  }
  if (filter.until) {
    sql += " AND created_at < ?" + std::to_string(++n);
    numbers.emplace_back(n, to_unix_millis(*filter.until));
  }
  sql += " ORDER BY seq LIMIT ?" + std::to_string(++n);
  numbers.emplace_back(n, filter.limit);

  std::lock_guard lock(reader_mu_);
  XACBE_ASSIGN_OR_RETURN(store::Statement query, reader_db_->prepare(sql));
  query.bind(1, filter.after_seq);
  for (const auto& [index, text] : texts) query.bind(index, text);
  for (const auto& [index, number] : numbers) query.bind(index, number);
  std::vector<Record> out;
  for (;;) {
    XACBE_ASSIGN_OR_RETURN(bool row, query.step());
    if (!row) break;
    XACBE_ASSIGN_OR_RETURN(Record r, read_record(query));
    out.push_back(std::move(r));
  }
  return out;
}

bool QueryRegister::contains_request(RecordSide side, const std::string& client, const std::string& message_id) const {
  std::lock_guard lock(reader_mu_);
  auto query = reader_db_->prepare(
      "SELECT 1 FROM records WHERE message_id = ?1 AND client = ?2 AND side = ?3 AND kind = 'request' LIMIT 1");
  if (!query) {
    log::warn("query register: replay pre-check failed: {}", query.status().to_string());
    return false;
  }
  query->bind(1, valid_utf8(message_id)).bind(2, valid_utf8(client)).bind(3, side_name(side));
  Result<bool> row = query->step();
  if (!row) {
    log::warn("query register: replay pre-check failed: {}", row.status().to_string());
    return false;
  }
  return *row;
}

Result<TimestampProof> QueryRegister::proof(std::int64_t seq) const {
  std::lock_guard lock(reader_mu_);
  XACBE_ASSIGN_OR_RETURN(
      store::Statement query,
      reader_db_->prepare("SELECT r.hash, r.batch_id, r.leaf_index, r.audit_path, r.deadline_missed, b.token,"
                          " b.gen_time, b.size, b.root FROM records r LEFT JOIN timestamp_batches b"
                          " ON b.id = r.batch_id WHERE r.seq = ?1"));
  query.bind(1, seq);
  XACBE_ASSIGN_OR_RETURN(bool row, query.step());
  if (!row) return not_found("no record " + std::to_string(seq) + " in the query register");
  if (query.is_null(1)) return failed_precondition("record " + std::to_string(seq) + " is not timestamped yet");
  if (query.is_null(5)) return Status(Code::kCorrupt, "record " + std::to_string(seq) + " names a missing batch");
  TimestampProof p;
  p.seq = seq;
  p.record_hash = query.column_blob(0);
  p.batch_id = query.column_int64(1);
  p.leaf_index = query.column_int64(2);
  const std::string path = query.column_blob(3);
  if (path.size() % 32 != 0) return Status(Code::kCorrupt, "record " + std::to_string(seq) + " has a torn audit path");
  for (std::size_t i = 0; i < path.size(); i += 32) p.path.push_back(path.substr(i, 32));
  p.deadline_missed = query.column_int64(4) != 0;
  p.token_der = query.column_blob(5);
  p.gen_time = sys_seconds_from_unix(query.column_int64(6));
  p.batch_size = query.column_int64(7);
  p.root = query.column_blob(8);
  return p;
}

Result<std::vector<StoredDecision>> QueryRegister::decisions(std::int64_t after_id, int limit) const {
  if (limit < 1 || limit > 1000) return invalid_argument("a decision listing returns 1 to 1000 entries");
  std::lock_guard lock(reader_mu_);
  XACBE_ASSIGN_OR_RETURN(store::Statement query,
                         reader_db_->prepare("SELECT id, at, side, client, service, message_id, peer, allowed, rule,"
                                             " reason FROM decisions WHERE id > ?1 ORDER BY id LIMIT ?2"));
  query.bind(1, after_id).bind(2, std::int64_t{limit});
  std::vector<StoredDecision> out;
  for (;;) {
    XACBE_ASSIGN_OR_RETURN(bool row, query.step());
    if (!row) break;
    StoredDecision s;
    s.id = query.column_int64(0);
    s.at = from_unix_millis(query.column_int64(1));
    XACBE_ASSIGN_OR_RETURN(s.decision.side, parse_side(query.column_text(2)));
    s.decision.client = query.column_text(3);
    s.decision.service = query.column_text(4);
    s.decision.message_id = query.column_text(5);
    s.decision.peer = query.column_text(6);
    s.decision.allowed = query.column_int64(7) != 0;
    s.decision.rule = query.column_text(8);
    s.decision.reason = query.column_text(9);
    out.push_back(std::move(s));
  }
  return out;
}

Result<StoredConfiguration> QueryRegister::configuration_at(TimePoint at) const {
  std::lock_guard lock(reader_mu_);
  XACBE_ASSIGN_OR_RETURN(store::Statement query,
                         reader_db_->prepare("SELECT instance, version, signed, in_use_from FROM configurations"
                                             " WHERE in_use_from <= ?1 ORDER BY in_use_from DESC, id DESC LIMIT 1"));
  query.bind(1, to_unix_millis(at));
  XACBE_ASSIGN_OR_RETURN(bool row, query.step());
  if (!row) return not_found("the query register keeps no configuration in use at " + to_iso8601_utc(at));
  StoredConfiguration c;
  c.instance = query.column_text(0);
  c.version = static_cast<std::uint64_t>(query.column_int64(1));
  c.signed_bytes = query.column_blob(2);
  c.in_use_from = from_unix_millis(query.column_int64(3));
  return c;
}

RegisterStats QueryRegister::stats() const {
  RegisterStats s;
  {
    std::lock_guard lock(mu_);
    s.oldest_untimestamped_deadline = oldest_deadline_;
    s.last_timestamp_at = last_timestamp_at_;
    s.last_timestamp_error = last_timestamp_error_;
    s.decisions_dropped = decisions_dropped_;
    s.commits = commits_;
    s.appends_refused = appends_refused_;
  }
  std::lock_guard lock(reader_mu_);
  const auto count = [&](const char* sql) -> std::int64_t {
    auto query = reader_db_->prepare(sql);
    if (!query) return -1;
    Result<bool> row = query->step();
    return row && *row ? query->column_int64(0) : -1;
  };
  // -1 when the file cannot be read: a monitor should see that, not a zero.
  s.records = count("SELECT COUNT(*) FROM records");
  s.untimestamped = count("SELECT COUNT(*) FROM records WHERE batch_id IS NULL");
  s.deadlines_missed = count("SELECT COUNT(*) FROM records WHERE deadline_missed = 1");
  return s;
}

}  // namespace xacbe::ss
