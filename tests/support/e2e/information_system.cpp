#include "support/e2e/information_system.hpp"

#include <stdexcept>
#include <utility>

#include "xacbe/net/http_server.hpp"

namespace xacbe::testing {

InformationSystemMock::InformationSystemMock(Handler handler) {
  if (!handler) {
    handler = [](const net::HttpRequest&) { return net::HttpResponse::make(200, "application/json", "{}"); };
  }
  net::ServerOptions options;
  options.threads = 1;
  options.workers = 1;
  auto server = net::HttpServer::start(options, std::move(handler));
  if (!server.is_ok()) throw std::runtime_error(server.status().to_string());
  server_ = std::move(server).value();
}

InformationSystemMock::~InformationSystemMock() = default;

std::string InformationSystemMock::url() const { return "http://127.0.0.1:" + std::to_string(server_->port()); }

}  // namespace xacbe::testing
