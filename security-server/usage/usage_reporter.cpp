#include "usage/usage_reporter.hpp"

#include <algorithm>
#include <filesystem>

#include "usage/usage_report_settings.hpp"
#include "xacbe/calendar/business_calendar.hpp"
#include "xacbe/config/config.hpp"
#include "xacbe/config/strict_json.hpp"
#include "xacbe/file.hpp"
#include "xacbe/log/log.hpp"
#include "xacbe/management/registry_client.hpp"
#include "xacbe/net/http.hpp"
#include "xacbe/net/tls_context.hpp"

namespace xacbe::ss {
namespace {

using std::chrono::days;
using std::chrono::sys_days;
using std::chrono::year_month_day;

// The state file: {"reported_through": "YYYY-MM-DD"}.
Result<std::optional<year_month_day>> read_state(const std::string& file) {
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) return std::optional<year_month_day>();
  XACBE_ASSIGN_OR_RETURN(std::string text, read_file(file, 4096));
  auto j = config::parse_json_strict(text);
  if (!j || !j->is_object() || j->size() != 1 || !j->contains("reported_through") ||
      !(*j)["reported_through"].is_string()) {
    return invalid_argument(file + " is not a usage report state ({\"reported_through\": \"YYYY-MM-DD\"})");
  }
  auto day = calendar::parse_date((*j)["reported_through"].get<std::string>());
  if (!day) return invalid_argument(file + ": " + day.status().message());
  return std::optional<year_month_day>(*day);
}

}  // namespace

Result<std::optional<UsageReportSettings>> read_usage_report_settings(const config::Node& security_server,
                                                                      const std::string& register_file) {
  if (!security_server.has("usage_report")) return std::optional<UsageReportSettings>();
  XACBE_ASSIGN_OR_RETURN(config::Node node, security_server.object("usage_report"));
  UsageReportSettings s;
  XACBE_ASSIGN_OR_RETURN(s.registry_url, node.string("registry_url"));
  XACBE_ASSIGN_OR_RETURN(net::Url url, net::parse_url(s.registry_url));
  if (url.tls || node.has("ca_file")) {
    XACBE_ASSIGN_OR_RETURN(s.ca_file, node.path("ca_file"));
  }
  XACBE_ASSIGN_OR_RETURN(auto interval, config::integer_or(node, "interval_seconds", 3600, 1, 86400));
  s.interval = std::chrono::seconds(interval);
  XACBE_ASSIGN_OR_RETURN(s.at_start, config::boolean_or(node, "report_at_start", false));
  if (node.has("state_file")) {
    XACBE_ASSIGN_OR_RETURN(s.state_file, node.path("state_file"));
  } else {
    s.state_file = (std::filesystem::path(register_file).parent_path() / "usage-report.json").string();
  }
  return std::optional<UsageReportSettings>(std::move(s));
}

std::vector<management::UsageRow> usage_rows(const std::vector<UsageCount>& counts, std::string_view instance,
                                             std::size_t* skipped) {
  std::vector<management::UsageRow> rows;
  std::size_t left_out = 0;
  for (const UsageCount& c : counts) {
    auto day = calendar::parse_date(c.day);
    auto client = id::ClientId::parse(c.client);
    auto service = id::ServiceId::parse(c.service);
    if (!day || !client || !service || client->member().instance() != instance ||
        service->subsystem().member().instance() != instance || c.requests < 0 || c.succeeded < 0 ||
        c.refused < 0 || c.succeeded > c.requests) {
      ++left_out;
      continue;
    }
    const auto requests = static_cast<std::uint64_t>(c.requests);
    const auto succeeded = static_cast<std::uint64_t>(c.succeeded);
    rows.push_back(management::UsageRow{*day,
                                        c.side == RecordSide::kClient ? management::UsageSide::kClient
                                                                      : management::UsageSide::kProvider,
                                        std::move(client).value(), std::move(service).value(), requests, succeeded,
                                        requests - succeeded, static_cast<std::uint64_t>(c.refused)});
  }
  if (skipped != nullptr) *skipped = left_out;
  return rows;
}

std::size_t cap_usage_rows(std::vector<management::UsageRow>& rows, std::size_t max) {
  if (rows.size() <= max) return 0;
  std::stable_partition(rows.begin(), rows.end(), [](const management::UsageRow& r) { return r.requests > 0; });
  const std::size_t left_out = rows.size() - max;
  rows.erase(rows.begin() + static_cast<std::ptrdiff_t>(max), rows.end());
  return left_out;
}

UsageReporter::UsageReporter(const QueryRegister& reg, const Clock& clock, id::SecurityServerId server,
                             std::shared_ptr<const crypto::PrivateKey> key, crypto::Certificate certificate, Send send,
                             std::string state_file)
    : register_(reg),
      clock_(clock),
      server_(std::move(server)),
      key_(std::move(key)),
      certificate_(std::move(certificate)),
      send_(std::move(send)),
      state_file_(std::move(state_file)) {}

Result<std::unique_ptr<UsageReporter>> UsageReporter::create(const QueryRegister& reg, const Clock& clock,
                                                             id::SecurityServerId server,
                                                             std::shared_ptr<const crypto::PrivateKey> key,
                                                             crypto::Certificate certificate, Send send,
                                                             std::string state_file) {
  XACBE_ASSIGN_OR_RETURN(auto through, read_state(state_file));
  std::unique_ptr<UsageReporter> r(new UsageReporter(reg, clock, std::move(server), std::move(key),
                                                     std::move(certificate), std::move(send), std::move(state_file)));
  r->reported_through_ = through;
  return r;
}

Status UsageReporter::remember(year_month_day day) {
  XACBE_RETURN_IF_ERROR(
      write_file_atomic(state_file_, "{\"reported_through\":\"" + calendar::format_date(day) + "\"}\n", 0600));
  reported_through_ = day;
  return Status::ok();
}

Result<std::size_t> UsageReporter::report_once() {
  const TimePoint now = clock_.now();
  const sys_days today = std::chrono::floor<days>(now);
  sys_days from = today - days(management::kMaxUsagePeriodDays - 1);
  if (reported_through_) from = std::max(from, sys_days(*reported_through_) + days(1));
  from = std::min(from, today);  // a clock set back reports today alone
  XACBE_ASSIGN_OR_RETURN(std::vector<UsageCount> counts, register_.usage_counts(TimePoint(from), TimePoint(today + days(1))));
  std::vector<management::UsageRow> rows = usage_rows(counts, server_.owner().instance());
  if (const std::size_t left_out = cap_usage_rows(rows, kMaxUsageRowsPerRound); left_out > 0) {
    log::warn("usage statistics: {} rows of refusals left out of this round (at most {} rows are sent)", left_out,
              kMaxUsageRowsPerRound);
  }
  const auto created_at = std::chrono::floor<std::chrono::seconds>(now);
  std::size_t sent = 0;
  // At least one request, rows or not: a report of no exchanges still tells the registry this
  // server is reporting.
  for (std::size_t first = 0; first == 0 || first < rows.size(); first += kUsageRowsPerRequest) {
    const std::size_t last = std::min(rows.size(), first + kUsageRowsPerRequest);
    management::UsageReport report{year_month_day(from), year_month_day(today),
                                   std::vector<management::UsageRow>(rows.begin() + static_cast<std::ptrdiff_t>(first),
                                                                     rows.begin() + static_cast<std::ptrdiff_t>(last))};
    XACBE_ASSIGN_OR_RETURN(management::SignedRequest request,
                           management::sign_request(management::make_report_usage(server_, created_at, std::move(report)),
                                                    *key_, certificate_));
    XACBE_RETURN_IF_ERROR(send_(request));
    ++sent;
    if (last == rows.size()) break;
  }
  if (from < today) XACBE_RETURN_IF_ERROR(remember(year_month_day(today - days(1))));
  return sent;
}

Result<UsageReporter::Send> registry_sender(const std::string& registry_url, const std::string& ca_file) {
  XACBE_ASSIGN_OR_RETURN(net::Url url, net::parse_url(registry_url));
  net::ClientOptions options;
  options.timeout = std::chrono::seconds(30);
  if (url.tls) {
    net::TlsOptions tls;
    XACBE_ASSIGN_OR_RETURN(tls.trusted, crypto::load_certificates(ca_file));
    XACBE_ASSIGN_OR_RETURN(options.tls, net::TlsContext::create_client(std::move(tls)));
  }
  return UsageReporter::Send([registry_url, options](const management::SignedRequest& request) -> Status {
    return management::send_request(registry_url, request, options).status();
  });
}

}  // namespace xacbe::ss
