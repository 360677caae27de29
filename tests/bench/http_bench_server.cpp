// The HTTP layer alone, for scripts/bench: our server with a trivial route and a route that waits,
// plain or TLS, to be loaded next to nginx on the same machine.
//   GET /      200 "ok", answered on the I/O thread
//   GET /wait  200 "waited" after `--wait-ms` (default 1000), without holding a thread
// Prints "listening on PORT" once ready; stops on SIGINT/SIGTERM after draining.

#include <CLI/CLI.hpp>
#include <chrono>
#include <iostream>

#include "xacbe/crypto/certificate.hpp"
#include "xacbe/crypto/key.hpp"
#include "xacbe/net/async.hpp"
#include "xacbe/net/http_server.hpp"
#include "xacbe/service/service.hpp"

using namespace xacbe;

int main(int argc, char** argv) {
  service::block_termination_signals();
  CLI::App app{"Xacbe HTTP layer benchmark server"};
  std::uint16_t port = 0;
  unsigned threads = 0;
  int wait_ms = 1000;
  std::string cert_path, key_path;
  app.add_option("--port", port);
  app.add_option("--threads", threads);
  app.add_option("--wait-ms", wait_ms);
  app.add_option("--cert", cert_path, "TLS certificate (PEM); with --key");
  app.add_option("--key", key_path);
  CLI11_PARSE(app, argc, argv);

  net::ServerOptions options;
  options.port = port;
  options.threads = threads;
  if (!cert_path.empty()) {
    net::TlsOptions tls;
    tls.certificate = crypto::Certificate::load(cert_path).value();
    tls.key = std::make_shared<const crypto::PrivateKey>(crypto::PrivateKey::load(key_path).value());
    options.tls = net::TlsContext::create_server(std::move(tls)).value();
  }
  const auto wait = std::chrono::milliseconds(wait_ms);
  auto server = net::HttpServer::start(options, net::AsyncHttpHandler([wait](net::HttpRequest r) -> net::Task<net::HttpResponse> {
    if (r.target == "/wait") {
      co_await net::sleep_for(wait);
      co_return net::HttpResponse::make(200, "text/plain", "waited");
    }
    co_return net::HttpResponse::make(200, "text/plain", "ok");
  }));
  if (!server) {
    std::cerr << server.status().to_string() << "\n";
    return 1;
  }
  std::cout << "listening on " << (*server)->port() << std::endl;
  service::wait_for_termination_signal();
  (*server)->shutdown(std::chrono::seconds(2));
  return 0;
}
