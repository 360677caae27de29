// QueryRegister::usage_counts: what a security server reports in its report-usage
// (docs/protocol/management-requests.md, "report-usage"), counted from the register itself.
#include "register/query_register.hpp"
#include "register/register_time.hpp"
#include "register/sql_conditions.hpp"
#include "xacbe/store/database.hpp"

namespace xacbe::ss {

Result<std::vector<UsageCount>> QueryRegister::usage_counts(TimePoint from, TimePoint until) const {
  store::OpenOptions options;
  options.read_only = true;
  options.create = false;
  XACBE_ASSIGN_OR_RETURN(std::unique_ptr<store::Database> db, store::Database::open(path_, options));
  // One read transaction: records and decisions of one committed state.
  XACBE_RETURN_IF_ERROR(db->exec("BEGIN"));
  // A request record succeeded when a response record of its exchange (same request_id and side)
  // has an HTTP status of 200..399 in its head (docs/protocol/query-register.md "Searching");
  // a refusal is a decision with allowed = 0. Days are UTC days of the record's created_at.
  XACBE_ASSIGN_OR_RETURN(
      store::Statement query,
      db->prepare(std::string("SELECT day, side, client, service, SUM(requests), SUM(succeeded), SUM(refused) FROM ("
                  " SELECT date(r.created_at / 1000, 'unixepoch') AS day, r.side AS side, r.client AS client,"
                  " r.service AS service, 1 AS requests, EXISTS (SELECT 1 FROM records a WHERE"
                  " a.request_id = r.request_id AND a.side = r.side AND a.kind = 'response' AND ") +
                  head_success_sql("a") +
                  " = 1) AS succeeded, 0 AS refused"
                  " FROM records r WHERE r.kind = 'request' AND r.created_at >= ?1 AND r.created_at < ?2"
                  " UNION ALL"
                  " SELECT date(at / 1000, 'unixepoch'), side, client, service, 0, 0, 1 FROM decisions"
                  " WHERE allowed = 0 AND at >= ?1 AND at < ?2)"
                  " GROUP BY day, side, client, service ORDER BY day, side, client, service"));
  query.bind(1, to_unix_millis(from)).bind(2, to_unix_millis(until));
  std::vector<UsageCount> out;
  for (;;) {
    XACBE_ASSIGN_OR_RETURN(bool row, query.step());
    if (!row) break;
    const std::string side = query.column_text(1);
    if (side != "client" && side != "provider") continue;  // a decision's side is free text in the schema
    out.push_back(UsageCount{query.column_text(0), side == "client" ? RecordSide::kClient : RecordSide::kProvider,
                             query.column_text(2), query.column_text(3), query.column_int64(4), query.column_int64(5),
                             query.column_int64(6)});
  }
  return out;
}

}  // namespace xacbe::ss
