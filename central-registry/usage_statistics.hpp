#pragma once
// Usage statistics the security servers report (ARCHITECTURE.md, "Central registry"; the request
// is report-usage of docs/protocol/management-requests.md): each registered server sends, signed,
// the exchanges it logged per UTC day, side, client and service; the registry keeps one row per
// server, day, side, client and service (a row reported again replaces the stored one, so that a
// resent day is idempotent), and each server's last report. It serves them summed per member,
// service, server and period (query), and which servers stopped reporting (reporting): a
// registered server whose last report is older than `silent_after`, or that never reported, is
// silent.
//
// Not thread-safe: the owner serialises calls (the database connection is the registry's).

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "security_servers.hpp"
#include "xacbe/clock.hpp"
#include "xacbe/id/identifiers.hpp"
#include "xacbe/management/management_request.hpp"
#include "xacbe/result.hpp"

namespace xacbe::store {
class Database;
}

namespace xacbe::registry {

// Twice the security servers' default reporting interval would be two hours; a day and an hour
// also lets a server whose registry link fails for a night be told apart from one that stopped.
inline constexpr std::chrono::seconds kDefaultSilentAfter = std::chrono::hours(25);

struct UsageSettings {
  std::chrono::seconds silent_after = kDefaultSilentAfter;
};

// What a query sums over and may group by (the API's group_by names).
enum class UsageDimension { kDay, kMonth, kServer, kSide, kClient, kClientMember, kService, kServiceMember };
std::string_view usage_dimension_name(UsageDimension d);  // "day", "month", "server", ...

// A query of the statistics: the rows of days from..to (UTC, both included) that every filter
// given matches, summed per value of the group_by dimensions (none: one total).
struct UsageQuery {
  std::chrono::year_month_day from, to;
  std::optional<id::MemberId> member;  // the client's member or the service's provider member
  std::optional<id::ServiceId> service;
  std::optional<id::SecurityServerId> server;
  std::optional<management::UsageSide> side;
  std::vector<UsageDimension> group_by;
};

// Longest period a query covers, in days, and most groups it answers.
inline constexpr int kMaxQueryDays = 366;
inline constexpr std::size_t kMaxQueryGroups = 10000;

// The query the API's parameters ask for, each checked (kInvalidArgument names the parameter and
// echoes nothing unbounded): member, service, server ids; side client|provider; from and to as
// YYYY-MM-DD (defaults: to today, from 30 days before to), from <= to, at most kMaxQueryDays days;
// group_by a comma-separated list of distinct dimension names, or "none" for one total (absent:
// "side,service"). `today` is the registry's UTC day.
struct UsageQueryText {
  std::optional<std::string> member = {}, service = {}, server = {}, side = {}, from = {}, to = {}, group_by = {};
};
Result<UsageQuery> parse_usage_query(const UsageQueryText& text, std::chrono::year_month_day today);

struct UsageCounts {
  std::uint64_t requests = 0, succeeded = 0, failed = 0, refused = 0;
};

struct UsageGroup {
  std::vector<std::string> keys;  // the values of the query's group_by dimensions, in that order
  UsageCounts counts;
};

struct UsageTable {
  std::vector<UsageGroup> groups;  // in key order
  bool truncated = false;          // more than kMaxQueryGroups groups: the first ones
};

// A registered server's reporting: its last accepted report-usage, if any.
struct ReportingServer {
  id::SecurityServerId server;
  std::optional<TimePoint> last_report_at;
  std::optional<std::string> last_from, last_to;  // the period it covered
  std::int64_t last_rows = 0;
  bool silent = false;  // never reported, or last_report_at older than silent_after
};

// What a stored report-usage was.
struct UsageReceipt {
  id::SecurityServerId server;
  std::string request_id;
  std::chrono::year_month_day from, to;
  std::size_t rows = 0;
  TimePoint received_at;
};

class UsageStatistics {
 public:
  // `db` has the registry schema and is the one `servers` uses; all must outlive this.
  UsageStatistics(store::Database& db, const Clock& clock, SecurityServers& servers, UsageSettings settings = {});

  // A signed report-usage from a registered server: verified as every management request
  // (SecurityServers::receive_report), then its rows stored in the same audited transaction.
  // Refusals as SecurityServers::submit.
  Result<UsageReceipt> receive(std::string_view request, std::string_view signature);

  Result<UsageTable> query(const UsageQuery& query);
  // Every registered server, in id order, with its reporting as of the clock.
  Result<std::vector<ReportingServer>> reporting();
  // How many registered servers are silent now (the registry metric).
  Result<std::int64_t> silent_count();

  std::chrono::seconds silent_after() const { return settings_.silent_after; }
  std::chrono::year_month_day today() const;

 private:
  Status store(const management::Request& request, std::string& detail);

  store::Database& db_;
  const Clock& clock_;
  SecurityServers& servers_;
  const UsageSettings settings_;
};

}  // namespace xacbe::registry
