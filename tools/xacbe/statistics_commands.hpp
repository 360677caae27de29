#pragma once
// "xacbe registry statistics ...": the usage statistics security servers report to the central
// registry (GET /api/v1/statistics) and which servers stopped reporting
// (GET /api/v1/statistics/reporting).

#include <CLI/CLI.hpp>

#include "admin_client.hpp"

namespace xacbe::tools {

// Adds "statistics" (and "statistics reporting") under `registry`, calling the API of `connection`.
void add_statistics_commands(CLI::App& registry, Connection& connection, int& exit_code);

}  // namespace xacbe::tools
