#pragma once
// The security server's usage statistics for the central registry (docs/protocol/management-requests.md,
// "report-usage"; docs/operator-guide.md "Usage statistics"). Each round counts, from the query
// register (the authoritative record of this server's exchanges), every UTC day not yet reported
// and the current day so far, per side, client and service, and sends them as signed report-usage
// requests (the authentication key and certificate). Once every request of a round is accepted the
// finished days are remembered in the state file; a round that fails is repeated in full the next
// time, which the registry takes idempotently (a row reported again replaces the stored one). The
// current day is reported again each round until it is over.
//
// Runs on a thread of its own (SecurityServer): it never holds up an exchange. Not thread-safe.

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "register/query_register.hpp"
#include "xacbe/clock.hpp"
#include "xacbe/crypto/certificate.hpp"
#include "xacbe/crypto/key.hpp"
#include "xacbe/id/identifiers.hpp"
#include "xacbe/management/management_request.hpp"
#include "xacbe/result.hpp"

namespace xacbe::ss {

// Rows per request: well inside management::kMaxUsageRows and, with the longest ids, inside the
// 64 KiB a request may hold.
inline constexpr std::size_t kUsageRowsPerRequest = 64;

// The report rows of `counts` (UsageCount, register order). A count naming a client or service
// that is no valid id of `instance` (a refusal of a malformed call records the caller's text) is
// left out and counted in `skipped`: the exchange metrics count those refusals.
std::vector<management::UsageRow> usage_rows(const std::vector<UsageCount>& counts, std::string_view instance,
                                             std::size_t* skipped = nullptr);

// Rows a round sends at most (kUsageRowsPerRequest each): refusals name what callers sent, so a
// flood of made-up client ids must not become a flood of requests to the registry.
inline constexpr std::size_t kMaxUsageRowsPerRound = 64 * kUsageRowsPerRequest;

// `rows` cut to `max`: rows with logged requests first (real exchanges, in their order), then
// rows of refusals only; returns how many were left out.
std::size_t cap_usage_rows(std::vector<management::UsageRow>& rows, std::size_t max);

class UsageReporter {
 public:
  // Sends one signed request to the registry; the registry's refusal or a transport failure is
  // the outcome.
  using Send = std::function<Status(const management::SignedRequest&)>;

  // Reads `state_file` (absent: nothing reported yet; unreadable or malformed: kInvalidArgument).
  // `reg` and `clock` must outlive the reporter.
  static Result<std::unique_ptr<UsageReporter>> create(const QueryRegister& reg, const Clock& clock,
                                                       id::SecurityServerId server,
                                                       std::shared_ptr<const crypto::PrivateKey> key,
                                                       crypto::Certificate certificate, Send send,
                                                       std::string state_file);

  // One round: the period from the day after the last finished day reported (at most
  // management::kMaxUsagePeriodDays days back, today included) to today. Returns the number of
  // requests sent; the first failure ends the round and is the outcome.
  Result<std::size_t> report_once();

  // The last finished UTC day the registry accepted, if any.
  std::optional<std::chrono::year_month_day> reported_through() const { return reported_through_; }

 private:
  UsageReporter(const QueryRegister& reg, const Clock& clock, id::SecurityServerId server,
                std::shared_ptr<const crypto::PrivateKey> key, crypto::Certificate certificate, Send send,
                std::string state_file);
  Status remember(std::chrono::year_month_day day);

  const QueryRegister& register_;
  const Clock& clock_;
  const id::SecurityServerId server_;
  const std::shared_ptr<const crypto::PrivateKey> key_;
  const crypto::Certificate certificate_;
  const Send send_;
  const std::string state_file_;
  std::optional<std::chrono::year_month_day> reported_through_;
};

// Send through management::send_request to `settings`' registry (trusting its ca_file for https).
Result<UsageReporter::Send> registry_sender(const std::string& registry_url, const std::string& ca_file);

}  // namespace xacbe::ss
