// Integration: the signals of a real service. SIGTERM drains it: a request whose body is still
// arriving when the signal comes is answered; idle and new connections are not served; the process
// exits 0. SIGHUP reloads its TLS certificate without a restart.

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <string>
#include <thread>

#include "support/e2e/trust_services.hpp"
#include "support/raw_connection.hpp"
#include "xacbe/crypto/certificate.hpp"
#include "xacbe/file.hpp"
#include "xacbe/net/http_client.hpp"

namespace xacbe::testing {
namespace {

using namespace std::chrono_literals;

Executables executables() { return {XACBE_CLI_BIN, XACBE_TSA_BIN, XACBE_OCSP_BIN}; }

// Polls the service's log (bounded) for a line it writes on its own.
bool log_shows(ChildProcess& process, const std::string& text) {
  for (int i = 0; i < 1000; ++i) {
    if (process.log().find(text) != std::string::npos) return true;
    std::this_thread::sleep_for(10ms);
  }
  return false;
}

TEST(GracefulShutdownTest, SigtermAnswersTheRequestInFlightThenExitsZero) {
  TrustServices services(executables());
  services.start_tsa();
  const std::string data = services.dir().file("doc.txt"), query = services.dir().file("doc.tsq");
  ASSERT_TRUE(write_file_atomic(data, "drain me").is_ok());
  ASSERT_EQ(run_command({"openssl", "ts", "-query", "-data", data, "-sha256", "-cert", "-out", query}).exit_code, 0);
  auto body = read_file(query);
  ASSERT_TRUE(body) << body.status().to_string();
  const auto port = static_cast<std::uint16_t>(services.tsa_port());

  RawConnection idle(port);
  ASSERT_TRUE(idle.connected());
  RawConnection in_flight(port);
  ASSERT_TRUE(in_flight.send("POST / HTTP/1.1\r\nHost: tsa\r\nContent-Type: application/timestamp-query\r\n"
                             "Content-Length: " + std::to_string(body->size()) + "\r\n\r\n" +
                             body->substr(0, body->size() / 2)));
  // The headers are in: wait until the service has them before the signal.
  std::this_thread::sleep_for(100ms);
  ASSERT_EQ(::kill(services.tsa_process().pid(), SIGTERM), 0);
  ASSERT_TRUE(log_shows(services.tsa_process(), "draining")) << services.tsa_process().log();

  EXPECT_TRUE(idle.read_until_closed(5s).closed) << "an idle connection was kept during the drain";
  ASSERT_TRUE(in_flight.send(body->substr(body->size() / 2)));
  const auto answer = in_flight.read_until_closed(10s);
  EXPECT_EQ(answer.data.rfind("HTTP/1.1 200", 0), 0u) << answer.data.substr(0, 200);
  EXPECT_NE(answer.data.find("application/timestamp-reply"), std::string::npos);
  EXPECT_NE(answer.data.find("Connection: close"), std::string::npos);
  EXPECT_TRUE(answer.closed);

  const int status = services.tsa_process().stop(SIGTERM, 10s);
  ASSERT_TRUE(WIFEXITED(status)) << "status " << status << "\n" << services.tsa_process().log();
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_NE(services.tsa_process().log().find("stopped"), std::string::npos) << services.tsa_process().log();
  RawConnection late(port);
  EXPECT_FALSE(late.connected());
}

TEST(ServiceSignalsTest, SighupReloadsTheTlsCertificateAndKeepsItWhenTheNewOneIsBroken) {
  TrustServices services(executables());
  const std::string first = services.issue("service", "web", {"--ip", "127.0.0.1"});
  const std::string first_fp = crypto::Certificate::load(first).value().sha256_fingerprint();
  services.serve_tls("web");
  services.start_tsa();
  ChildProcess& tsa = services.tsa_process();

  net::TlsOptions trust;
  trust.trusted = {crypto::Certificate::load(services.root_pem()).value()};
  net::ClientOptions options;
  options.tls = net::TlsContext::create_client(std::move(trust)).value();
  auto health_pinned_to = [&](const std::string& fingerprint) {
    net::ClientOptions pinned = options;
    pinned.peer.pinned = {fingerprint};
    return net::http_request(services.tsa_url() + "health", {}, pinned);
  };
  ASSERT_TRUE(health_pinned_to(first_fp)) << tsa.log();

  // A new key and certificate in the same files, then SIGHUP.
  const std::string second = services.issue("service", "web", {"--ip", "127.0.0.1"});
  const std::string second_fp = crypto::Certificate::load(second).value().sha256_fingerprint();
  ASSERT_NE(first_fp, second_fp);
  ASSERT_EQ(::kill(tsa.pid(), SIGHUP), 0);
  ASSERT_TRUE(log_shows(tsa, "TLS certificate reloaded")) << tsa.log();
  auto old_pin = health_pinned_to(first_fp);
  ASSERT_FALSE(old_pin);
  EXPECT_EQ(old_pin.status().code(), Code::kPermissionDenied);
  auto by_name = net::http_request(services.tsa_url() + "health", {}, options);
  ASSERT_TRUE(by_name) << by_name.status().to_string();
  EXPECT_TRUE(health_pinned_to(second_fp));

  // A key that does not match the certificate is refused; the service keeps serving the last good one.
  const std::string other_key = services.dir().file("other.key");
  ASSERT_EQ(services.cli({"key", "generate", "--type", "ec-p256", "--out", other_key}).exit_code, 0);
  auto key = read_file(other_key);
  ASSERT_TRUE(key);
  ASSERT_TRUE(write_file_atomic(services.dir().file("web.key"), *key, 0600).is_ok());
  ASSERT_EQ(::kill(tsa.pid(), SIGHUP), 0);
  ASSERT_TRUE(log_shows(tsa, "TLS certificate not reloaded")) << tsa.log();
  EXPECT_TRUE(health_pinned_to(second_fp));
  EXPECT_TRUE(tsa.running());
}

}  // namespace
}  // namespace xacbe::testing
