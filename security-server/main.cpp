// xacbe-security-server: a member's security server (docs/operator-guide.md "Security server").
// Serves its members' information systems on the client interface and other security servers on
// the provider interface until SIGTERM or SIGINT, then drains.

#include <CLI/CLI.hpp>

#include "security_server.hpp"
#include "xacbe/log/log.hpp"
#include "xacbe/service/service.hpp"

using namespace xacbe;

int main(int argc, char** argv) {
  service::block_termination_signals();
  CLI::App app{"xacbe-security-server: a member's gateway to the Xacbe federation"};
  std::string config_path;
  app.add_option("-c,--config", config_path, "configuration file")->required();
  CLI11_PARSE(app, argc, argv);

  auto settings = ss::read_settings(config_path);
  if (!settings.is_ok()) {
    log::error("{}", settings.status().to_string());
    return 2;
  }
  log::init(settings->client_interface.log);
  static const SystemClock clock;
  const auto drain = settings->client_interface.drain_timeout;
  auto server = ss::SecurityServer::create(std::move(settings).value(), clock);
  if (!server.is_ok()) {
    log::error("{}", server.status().to_string());
    return 2;
  }
  if (Status st = (*server)->start(); !st.is_ok()) {
    log::error("{}", st.to_string());
    return 2;
  }
  // SIGHUP: the configuration file is read again for its services and access rights.
  const int signal = service::wait_for_termination_signal([&] {
    auto reread = ss::read_settings(config_path);
    Status st = reread.is_ok() ? (*server)->reload_services(*reread) : reread.status();
    if (!st.is_ok()) log::error("reload refused, the current services stay: {}", st.to_string());
  });
  log::info("signal {}: draining", signal);
  (*server)->stop(drain);
  return 0;
}
