#include "register/record_row.hpp"

#include <array>

#include "register/register_time.hpp"

namespace xacbe::ss {
namespace {

constexpr std::array<std::string_view, kRecordColumnCount> kColumns = {
    "seq",           "created_at",       "side",     "kind",      "message_id", "request_id", "client",
    "service",       "user_id",          "head",     "head_sha256", "body",     "body_sha256", "estamp",
    "estamp_sha256", "ocsp_produced_at", "deadline", "prev_hash", "hash",       "batch_id",   "deadline_missed"};
constexpr std::size_t kBodyColumn = 11;
constexpr std::size_t kFirstStampColumn = 19;  // batch_id and deadline_missed come from record_stamps

}  // namespace

std::string record_columns(std::string_view table, bool with_body) {
  std::string out;
  for (std::size_t i = 0; i < kColumns.size(); ++i) {
    if (i > 0) out += ", ";
    if (i == kBodyColumn && !with_body) {
      out += "NULL";
      continue;
    }
    if (i >= kFirstStampColumn) {
      // A subquery rather than a join, so that the callers' own conditions on records stay
      // unambiguous; `seq` of the record must then be named with its table.
      const std::string record_seq = std::string(table.empty() ? "records." : table) + "seq";
      const std::string value = "(SELECT " + std::string(kColumns[i]) + " FROM record_stamps WHERE record_stamps.seq = " +
                                record_seq + ")";
      out += i == kFirstStampColumn ? value : "COALESCE(" + value + ", 0)";
      continue;
    }
    out += table;
    out += kColumns[i];
  }
  return out;
}

Result<Record> read_record(const store::Statement& row) {
  Record r;
  r.seq = row.column_int64(0);
  r.created_at = from_unix_millis(row.column_int64(1));
  XACBE_ASSIGN_OR_RETURN(r.side, parse_side(row.column_text(2)));
  XACBE_ASSIGN_OR_RETURN(r.kind, parse_kind(row.column_text(3)));
  r.message_id = row.column_text(4);
  r.request_id = row.column_text(5);
  r.client = row.column_text(6);
  r.service = row.column_text(7);
  r.user_id = row.column_text(8);
  r.head = row.column_blob(9);
  r.head_sha256 = row.column_blob(10);
  if (!row.is_null(11)) r.body = row.column_blob(11);
  r.body_sha256 = row.column_blob(12);
  r.estamp = row.column_blob(13);
  r.estamp_sha256 = row.column_blob(14);
  r.ocsp_produced_at = sys_seconds_from_unix(row.column_int64(15));
  r.deadline = sys_seconds_from_unix(row.column_int64(16));
  r.prev_hash = row.column_blob(17);
  r.hash = row.column_blob(18);
  if (!row.is_null(19)) r.batch_id = row.column_int64(19);
  r.deadline_missed = row.column_int64(20) != 0;
  return r;
}

}  // namespace xacbe::ss
