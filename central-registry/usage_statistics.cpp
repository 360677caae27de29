// UsageStatistics: storing the security servers' report-usage rows, summing them for the API, and
// telling which servers stopped reporting (usage_statistics.hpp).
#include "usage_statistics.hpp"

#include <algorithm>
#include <iterator>

#include "xacbe/calendar/business_calendar.hpp"
#include "xacbe/store/database.hpp"

namespace xacbe::registry {
namespace {

using std::chrono::sys_days;

constexpr std::string_view kDimensionNames[] = {"day",    "month",         "server",  "side",
                                                "client", "client_member", "service", "service_member"};
// The SQL expression of each dimension, in the order of UsageDimension: fixed text, never the
// caller's.
constexpr std::string_view kDimensionColumns[] = {"day",       "substr(day, 1, 7)", "server_id", "side",
                                                  "client_id", "client_member",     "service_id", "service_member"};

// The caller's text in a message: printable ASCII, at most 64 bytes, the rest '?'.
std::string shown(std::string_view text) {
  std::string out;
  for (char c : text.substr(0, 64)) out.push_back(c >= 0x20 && c < 0x7f ? c : '?');
  if (text.size() > 64) out += "...";
  return out;
}

Result<std::chrono::year_month_day> day_param(const std::string& text, const char* name) {
  auto day = text.size() == 10 ? calendar::parse_date(text) : Result<calendar::Date>(invalid_argument(""));
  if (!day) return invalid_argument(std::string("'") + name + "' must be a day YYYY-MM-DD, not '" + shown(text) + "'");
  return *day;
}

template <typename Id>
Result<std::optional<Id>> id_param(const std::optional<std::string>& text, const char* name) {
  if (!text) return std::optional<Id>();
  auto parsed = Id::parse(*text);
  if (!parsed) return invalid_argument(std::string("'") + name + "' is not an id: '" + shown(*text) + "'");
  return std::optional<Id>(std::move(parsed).value());
}

Result<std::vector<UsageDimension>> dimensions(std::string_view text) {
  std::vector<UsageDimension> out;
  if (text == "none") return out;
  std::size_t start = 0;
  for (;;) {
    const std::size_t end = std::min(text.find(',', start), text.size());
    const std::string_view name = text.substr(start, end - start);
    const auto it = std::find(std::begin(kDimensionNames), std::end(kDimensionNames), name);
    if (it == std::end(kDimensionNames)) {
      return invalid_argument("'group_by' names unknown dimension '" + shown(name) +
                              "' (day, month, server, side, client, client_member, service, service_member)");
    }
    const auto d = static_cast<UsageDimension>(it - std::begin(kDimensionNames));
    if (std::find(out.begin(), out.end(), d) != out.end()) {
      return invalid_argument("'group_by' names '" + std::string(name) + "' twice");
    }
    out.push_back(d);
    if (end == text.size()) break;
    start = end + 1;
  }
  return out;
}

std::uint64_t unsigned_column(const store::Statement& s, int column) {
  const std::int64_t v = s.column_int64(column);
  return v < 0 ? 0 : static_cast<std::uint64_t>(v);
}

}  // namespace

std::string_view usage_dimension_name(UsageDimension d) { return kDimensionNames[static_cast<int>(d)]; }

Result<UsageQuery> parse_usage_query(const UsageQueryText& text, std::chrono::year_month_day today) {
  UsageQuery q;
  XACBE_ASSIGN_OR_RETURN(q.member, id_param<id::MemberId>(text.member, "member"));
  XACBE_ASSIGN_OR_RETURN(q.service, id_param<id::ServiceId>(text.service, "service"));
  XACBE_ASSIGN_OR_RETURN(q.server, id_param<id::SecurityServerId>(text.server, "server"));
  if (text.side) {
    if (*text.side != "client" && *text.side != "provider") {
      return invalid_argument("'side' must be client or provider, not '" + shown(*text.side) + "'");
    }
    q.side = *text.side == "client" ? management::UsageSide::kClient : management::UsageSide::kProvider;
  }
  q.to = today;
  if (text.to) {
    XACBE_ASSIGN_OR_RETURN(q.to, day_param(*text.to, "to"));
  }
  q.from = sys_days(q.to) - std::chrono::days(30);
  if (text.from) {
    XACBE_ASSIGN_OR_RETURN(q.from, day_param(*text.from, "from"));
  }
  if (sys_days(q.from) > sys_days(q.to)) return invalid_argument("'from' is after 'to'");
  if ((sys_days(q.to) - sys_days(q.from)).count() >= kMaxQueryDays) {
    return invalid_argument("a query covers at most " + std::to_string(kMaxQueryDays) + " days");
  }
  XACBE_ASSIGN_OR_RETURN(q.group_by, dimensions(text.group_by.value_or("side,service")));
  return q;
}

UsageStatistics::UsageStatistics(store::Database& db, const Clock& clock, SecurityServers& servers,
                                 UsageSettings settings)
    : db_(db), clock_(clock), servers_(servers), settings_(settings) {}

std::chrono::year_month_day UsageStatistics::today() const {
  return std::chrono::year_month_day(std::chrono::floor<std::chrono::days>(clock_.now()));
}

Result<UsageReceipt> UsageStatistics::receive(std::string_view request, std::string_view signature) {
  XACBE_ASSIGN_OR_RETURN(management::Request r,
                         servers_.receive_report(request, signature,
                                                 [this](const management::Request& verified, std::string& detail) {
                                                   return store(verified, detail);
                                                 }));
  return UsageReceipt{r.server, r.request_id, r.usage->from, r.usage->to, r.usage->rows.size(), clock_.now()};
}

// Runs inside the audited transaction of receive_report: the rows, the server's last report and
// the audit entry commit together.
Status UsageStatistics::store(const management::Request& request, std::string& detail) {
  const management::UsageReport& report = *request.usage;
  const std::string server = request.server.to_string();
  const std::int64_t now = to_unix_seconds(clock_.now());
  XACBE_ASSIGN_OR_RETURN(
      store::Statement row,
      db_.prepare("INSERT INTO usage_statistics(server_id, day, side, client_id, client_member, service_id,"
                  " service_member, requests, succeeded, failed, refused, reported_at, request_id)"
                  " VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13)"
                  " ON CONFLICT(server_id, day, side, client_id, service_id) DO UPDATE SET requests=excluded.requests,"
                  " succeeded=excluded.succeeded, failed=excluded.failed, refused=excluded.refused,"
                  " reported_at=excluded.reported_at, request_id=excluded.request_id"));
  for (const management::UsageRow& r : report.rows) {
    row.reset();
    row.bind(1, server).bind(2, calendar::format_date(r.day)).bind(3, management::usage_side_name(r.side));
    row.bind(4, r.client.to_string()).bind(5, r.client.member().to_string()).bind(6, r.service.to_string());
    row.bind(7, r.service.subsystem().member().to_string());
    // The format bounds each count to kMaxUsageCount, well inside an int64.
    row.bind(8, static_cast<std::int64_t>(r.requests)).bind(9, static_cast<std::int64_t>(r.succeeded));
    row.bind(10, static_cast<std::int64_t>(r.failed)).bind(11, static_cast<std::int64_t>(r.refused));
    row.bind(12, now).bind(13, request.request_id);
    XACBE_RETURN_IF_ERROR(row.run());
  }
  XACBE_ASSIGN_OR_RETURN(
      store::Statement last,
      db_.prepare("INSERT INTO usage_report(server_id, reported_at, period_from, period_to, rows, request_id)"
                  " VALUES(?1,?2,?3,?4,?5,?6) ON CONFLICT(server_id) DO UPDATE SET reported_at=excluded.reported_at,"
                  " period_from=excluded.period_from, period_to=excluded.period_to, rows=excluded.rows,"
                  " request_id=excluded.request_id"));
  last.bind(1, server).bind(2, now).bind(3, calendar::format_date(report.from));
  last.bind(4, calendar::format_date(report.to)).bind(5, static_cast<std::int64_t>(report.rows.size()));
  XACBE_RETURN_IF_ERROR(last.bind(6, request.request_id).run());
  detail = "report-usage " + calendar::format_date(report.from) + ".." + calendar::format_date(report.to) + ": " +
           std::to_string(report.rows.size()) + " rows stored";
  return Status::ok();
}

Result<UsageTable> UsageStatistics::query(const UsageQuery& q) {
  std::string keys;
  for (UsageDimension d : q.group_by) {
    if (!keys.empty()) keys += ", ";
    keys += kDimensionColumns[static_cast<int>(d)];
  }
  std::string sql = "SELECT ";
  if (!keys.empty()) sql += keys + ", ";
  sql +=
      "SUM(requests), SUM(succeeded), SUM(failed), SUM(refused), COUNT(*) FROM usage_statistics"
      " WHERE day BETWEEN ?1 AND ?2 AND (?3 IS NULL OR client_member=?3 OR service_member=?3)"
      " AND (?4 IS NULL OR service_id=?4) AND (?5 IS NULL OR server_id=?5) AND (?6 IS NULL OR side=?6)";
  if (!keys.empty()) sql += " GROUP BY " + keys + " ORDER BY " + keys;
  sql += " LIMIT " + std::to_string(kMaxQueryGroups + 1);
  XACBE_ASSIGN_OR_RETURN(store::Statement s, db_.prepare(sql));
  s.bind(1, calendar::format_date(q.from)).bind(2, calendar::format_date(q.to));
  if (q.member) s.bind(3, q.member->to_string()); else s.bind_null(3);
  if (q.service) s.bind(4, q.service->to_string()); else s.bind_null(4);
  if (q.server) s.bind(5, q.server->to_string()); else s.bind_null(5);
  if (q.side) s.bind(6, management::usage_side_name(*q.side)); else s.bind_null(6);
  UsageTable table;
  const int n = static_cast<int>(q.group_by.size());
  for (;;) {
    XACBE_ASSIGN_OR_RETURN(bool found, s.step());
    if (!found) break;
    // Without group_by the one total row exists even when nothing matched (COUNT(*) 0): no group.
    if (n == 0 && s.column_int64(4) == 0) break;
    if (table.groups.size() == kMaxQueryGroups) {
      table.truncated = true;
      break;
    }
    UsageGroup g;
    for (int i = 0; i < n; ++i) g.keys.push_back(s.column_text(i));
    g.counts = {unsigned_column(s, n), unsigned_column(s, n + 1), unsigned_column(s, n + 2), unsigned_column(s, n + 3)};
    table.groups.push_back(std::move(g));
  }
  return table;
}

Result<std::vector<ReportingServer>> UsageStatistics::reporting() {
  XACBE_ASSIGN_OR_RETURN(store::Statement s,
                         db_.prepare("SELECT s.id, r.reported_at, r.period_from, r.period_to, r.rows"
                                     " FROM security_server s LEFT JOIN usage_report r ON r.server_id = s.id"
                                     " ORDER BY s.id"));
  const TimePoint now = clock_.now();
  std::vector<ReportingServer> out;
  for (;;) {
    XACBE_ASSIGN_OR_RETURN(bool found, s.step());
    if (!found) break;
    XACBE_ASSIGN_OR_RETURN(id::SecurityServerId server, id::SecurityServerId::parse(s.column_text(0)));
    ReportingServer r{std::move(server), std::nullopt, std::nullopt, std::nullopt, 0, true};
    if (!s.is_null(1)) {
      r.last_report_at = from_unix_seconds(s.column_int64(1));
      r.last_from = s.column_text(2);
      r.last_to = s.column_text(3);
      r.last_rows = s.column_int64(4);
      r.silent = now - *r.last_report_at > settings_.silent_after;
    }
    out.push_back(std::move(r));
  }
  return out;
}

Result<std::int64_t> UsageStatistics::silent_count() {
  XACBE_ASSIGN_OR_RETURN(std::vector<ReportingServer> servers, reporting());
  return static_cast<std::int64_t>(
      std::count_if(servers.begin(), servers.end(), [](const ReportingServer& r) { return r.silent; }));
}

}  // namespace xacbe::registry
