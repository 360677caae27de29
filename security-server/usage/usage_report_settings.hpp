#pragma once
// The "usage_report" section of the security server's configuration (docs/operator-guide.md
// "Usage statistics"): where and how often the server reports its usage statistics to the central
// registry (docs/protocol/management-requests.md, "report-usage").

#include <chrono>
#include <optional>
#include <string>

#include "xacbe/result.hpp"

namespace xacbe::config {
class Node;
}

namespace xacbe::ss {

struct UsageReportSettings {
  std::string registry_url;  // the registry's admin API base, e.g. https://registry.ceiqroo.example:4400
  std::string ca_file;       // for an https:// registry: the CEIQROO root certificate (PEM)
  std::chrono::seconds interval{3600};
  bool at_start = false;     // also report right after start (a restart reports at once)
  std::string state_file;    // the last finished day reported; default usage-report.json beside the register
};

// Reads the section `node` (absent: nullopt); relative paths are relative to the configuration
// file, as every path of the file; `register_file` places the default state file.
Result<std::optional<UsageReportSettings>> read_usage_report_settings(const config::Node& security_server,
                                                                      const std::string& register_file);

}  // namespace xacbe::ss
