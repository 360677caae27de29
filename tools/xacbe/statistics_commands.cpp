#include "statistics_commands.hpp"

#include <string>
#include <vector>

#include "terminal.hpp"
#include "xacbe/id/identifiers.hpp"

namespace xacbe::tools {
namespace {

struct StatisticsArguments {
  std::string member, service, server, side, from, to, group_by;
};

}  // namespace

void add_statistics_commands(CLI::App& registry, Connection& connection, int& exit_code) {
  static StatisticsArguments a;
  auto* statistics = registry.add_subcommand(
      "statistics", "usage statistics the security servers report, summed per member, service, server and period");
  statistics->require_subcommand(0, 1);
  statistics->add_option("--member", a.member, "only exchanges where this member is the client or the provider")
      ->check(identifier<id::MemberId>("INSTANCE/CLASS/CODE"));
  statistics->add_option("--service", a.service, "only this service")->check(identifier<id::ServiceId>("SERVICE_ID"));
  statistics->add_option("--server", a.server, "only what this security server reported")
      ->check(identifier<id::SecurityServerId>("INSTANCE/CLASS/CODE/SERVERCODE"));
  statistics->add_option("--side", a.side, "only the client or the provider side")
      ->check(CLI::IsMember({"client", "provider"}));
  statistics->add_option("--from", a.from, "first UTC day, YYYY-MM-DD (registry default: 30 days before --to)");
  statistics->add_option("--to", a.to, "last UTC day, YYYY-MM-DD (registry default: today)");
  statistics->add_option("--group-by", a.group_by,
                         "comma-separated: day, month, server, side, client, client_member, service, "
                         "service_member; none for one total (registry default: side,service)");
  auto* reporting = statistics->add_subcommand(
      "reporting", "each registered server's last usage report, and whether it is silent");
  reporting->callback([&connection, &exit_code] {
    exit_code = run(connection, [] { return get("/api/v1/statistics/reporting"); });
  });
  statistics->callback([&connection, &exit_code, reporting] {
    if (reporting->parsed()) return;
    exit_code = run(connection, []() -> Result<ApiRequest> {
      std::string query;
      const std::pair<const char*, const std::string*> params[] = {
          {"member", &a.member}, {"service", &a.service}, {"server", &a.server},    {"side", &a.side},
          {"from", &a.from},     {"to", &a.to},           {"group_by", &a.group_by}};
      for (const auto& [name, value] : params) {
        if (!value->empty()) query += std::string(query.empty() ? "?" : "&") + name + "=" + query_value(*value);
      }
      return get("/api/v1/statistics" + query);
    });
  });
}

}  // namespace xacbe::tools
