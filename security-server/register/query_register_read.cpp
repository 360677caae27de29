// The query register's reads: records, proofs, decisions and statistics, through the reading
// connection (WAL lets it read beside the writer).

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "register/query_register.hpp"
#include "register/sql_conditions.hpp"
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

namespace {

std::string result_condition(RecordResult result) {
  switch (result) {
    case RecordResult::kSuccess:
      return std::string(" AND kind = 'response' AND ") + head_success_sql() + " = 1";
    case RecordResult::kFailure:
      return std::string(" AND kind = 'response' AND ") + head_success_sql() + " = 0";
    case RecordResult::kUnanswered:
      break;
  }
  return " AND kind = 'request' AND NOT EXISTS (SELECT 1 FROM records AS answer WHERE answer.request_id ="
         " records.request_id AND answer.side = records.side AND answer.kind = 'response')";
}

}  // namespace

Result<std::vector<Record>> QueryRegister::find(const RecordFilter& filter) const {
  XACBE_ASSIGN_OR_RETURN(RecordPage page, find_page(filter));
  return std::move(page.records);
}

// Every condition is a bound parameter. Searches by message id, request id, client or service go
// through their indexes; any other search walks seq order from after_seq, so max_examined bounds
// it: the page stops at the seq that many records on, and says so.
Result<RecordPage> QueryRegister::find_page(const RecordFilter& filter) const {
  if (filter.limit < 1 || filter.limit > 1000) return invalid_argument("a register search returns 1 to 1000 records");
  if (filter.max_examined && *filter.max_examined < 1) return invalid_argument("a search examines at least one record");
  RecordPage page;
  page.next_after = filter.after_seq;
  if (filter.members && filter.members->empty()) return page;

  SqlConditions c(2);  // after "seq > ?1"
  c.equal("message_id", filter.message_id);
  c.equal("request_id", filter.request_id);
  c.equal("client", filter.client);
  c.equal("service", filter.service);
  c.equal("user_id", filter.user_id);
  // Read from the request's head, the signed and chained bytes: there is no column to disagree.
  if (filter.represented_party) {
    c.sql += std::string(" AND kind = 'request' AND json_valid(CAST(head AS TEXT)) AND") +
             " json_extract(CAST(head AS TEXT), '$.represented_party') = " + c.text(*filter.represented_party);
  }
  if (filter.side) c.sql += " AND side = " + c.text(side_name(*filter.side));
  if (filter.kind) c.sql += " AND kind = " + c.text(kind_name(*filter.kind));
  if (filter.result) c.sql += result_condition(*filter.result);
  if (filter.members) c.sql += members_condition(*filter.members, c);
  if (filter.from) c.sql += " AND created_at >= " + c.number(to_unix_millis(*filter.from));
  if (filter.until) c.sql += " AND created_at < " + c.number(to_unix_millis(*filter.until));
  const bool indexed = filter.message_id || filter.request_id || filter.client || filter.service;

  std::lock_guard lock(reader_mu_);
  // The last seq of the window and whether any record follows it.
  std::optional<std::int64_t> window_end;
  if (!indexed && filter.max_examined) {
    XACBE_ASSIGN_OR_RETURN(
        store::Statement window,
        reader_db_->prepare("SELECT seq FROM records WHERE seq > ?1 ORDER BY seq LIMIT 2 OFFSET ?2"));
    window.bind(1, filter.after_seq).bind(2, *filter.max_examined - 1);
    XACBE_ASSIGN_OR_RETURN(bool row, window.step());
    const std::int64_t end = row ? window.column_int64(0) : 0;
    bool beyond = false;
    if (row) {
      XACBE_ASSIGN_OR_RETURN(beyond, window.step());
    }
    if (beyond) {
      window_end = end;
      c.sql += " AND seq <= " + c.number(end);
    }
  }
  const std::string sql = "SELECT " + record_columns("", filter.with_bodies) + " FROM records WHERE seq > ?1" +
                          c.sql + " ORDER BY seq LIMIT " + c.number(filter.limit + 1);
  XACBE_ASSIGN_OR_RETURN(store::Statement query, reader_db_->prepare(sql));
  query.bind(1, filter.after_seq);
  c.bind(query);
  for (;;) {
    XACBE_ASSIGN_OR_RETURN(bool row, query.step());
    if (!row) break;
    XACBE_ASSIGN_OR_RETURN(Record r, read_record(query));
    page.records.push_back(std::move(r));
  }
  if (page.records.size() > static_cast<std::size_t>(filter.limit)) {
    page.records.pop_back();
    page.more = true;
  } else if (window_end) {
    page.more = true;
    page.next_after = *window_end;
    return page;
  }
  if (!page.records.empty()) page.next_after = page.records.back().seq;
  return page;
}

bool QueryRegister::contains_request(RecordSide side, const std::string& client, const std::string& message_id) const {
  std::lock_guard lock(reader_mu_);
  auto query = reader_db_->cached(
      "SELECT 1 FROM records WHERE message_id = ?1 AND client = ?2 AND side = ?3 AND kind = 'request' LIMIT 1");
  if (!query) {
    log::warn("query register: replay pre-check failed: {}", query.status().to_string());
    return false;
  }
  (*query)->bind(1, valid_utf8(message_id)).bind(2, valid_utf8(client)).bind(3, side_name(side));
  Result<bool> row = (*query)->step();
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
      reader_db_->prepare("SELECT r.hash, s.batch_id, s.leaf_index, s.audit_path, s.deadline_missed, b.token,"
                          " b.gen_time, b.size, b.root FROM records r LEFT JOIN record_stamps s ON s.seq = r.seq"
                          " LEFT JOIN timestamp_batches b ON b.id = s.batch_id WHERE r.seq = ?1"));
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
                                             " reason, represented_party FROM decisions WHERE id > ?1 ORDER BY id LIMIT ?2"));
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
    s.decision.represented_party = query.column_text(10);
    out.push_back(std::move(s));
  }
  return out;
}

Result<StoredConfiguration> QueryRegister::configuration_at(TimePoint at, bool or_first_after) const {
  std::lock_guard lock(reader_mu_);
  const auto read = [&](const char* sql) -> Result<std::optional<StoredConfiguration>> {
    XACBE_ASSIGN_OR_RETURN(store::Statement query, reader_db_->prepare(sql));
    query.bind(1, to_unix_millis(at));
    XACBE_ASSIGN_OR_RETURN(bool row, query.step());
    if (!row) return std::optional<StoredConfiguration>();
    StoredConfiguration c;
    c.instance = query.column_text(0);
    c.version = static_cast<std::uint64_t>(query.column_int64(1));
    c.signed_bytes = query.column_blob(2);
    c.in_use_from = from_unix_millis(query.column_int64(3));
    return std::optional<StoredConfiguration>(std::move(c));
  };
  XACBE_ASSIGN_OR_RETURN(auto before, read("SELECT instance, version, signed, in_use_from FROM configurations"
                                           " WHERE in_use_from <= ?1 ORDER BY in_use_from DESC, id DESC LIMIT 1"));
  if (before) return *before;
  if (or_first_after) {
    XACBE_ASSIGN_OR_RETURN(auto after, read("SELECT instance, version, signed, in_use_from FROM configurations"
                                            " WHERE in_use_from > ?1 ORDER BY in_use_from, id LIMIT 1"));
    if (after) return *after;
  }
  return not_found("the query register keeps no configuration in use at " + to_iso8601_utc(at));
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
  s.untimestamped = count("SELECT COUNT(*) FROM unstamped");
  s.deadlines_missed = count("SELECT COUNT(*) FROM record_stamps WHERE deadline_missed = 1");
  return s;
}

}  // namespace xacbe::ss
