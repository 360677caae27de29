// Crash safety of the query register (ARCHITECTURE "Query register": a crash loses no
// acknowledged exchange): the provider's server is killed with SIGKILL twenty times while clients
// keep calling through the client's server. Afterwards every exchange that was answered is in both
// registers (request and response on each side), both hash chains verify, and nothing is
// half-written.

#include <gtest/gtest.h>

#include <atomic>
#include <csignal>
#include <iostream>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "register/query_register.hpp"
#include "support/e2e/federation.hpp"
#include "xacbe/net/http_client.hpp"
#include "xacbe/net/http_server.hpp"

namespace xacbe::testing {
namespace {

TEST(SecurityServerCrash, EveryAnsweredExchangeSurvivesTwentyKillsOfTheProvidersServer) {
  Federation f({{XACBE_CLI_BIN, XACBE_TSA_BIN, XACBE_OCSP_BIN}, XACBE_REGISTRY_BIN, XACBE_SECURITY_SERVER_BIN});
  f.admit("QROO/EST/FGE", "Fiscalia", {"SIS"});
  f.admit("QROO/EST/SSP", "Seguridad", {"SIS"});
  net::ServerOptions is_options;
  is_options.workers = 4;
  auto system = net::HttpServer::start(is_options, [](const net::HttpRequest& r) {
    return net::HttpResponse::make(200, "text/plain", "answer to " + r.header("X-Xacbe-Id"));
  });
  ASSERT_TRUE(system.is_ok());
  SecurityServerNode& fge = f.add_server("QROO/EST/FGE/SS1");
  SecurityServerNode& ssp = f.add_server("QROO/EST/SSP/SS1");
  fge.add_client("QROO/EST/FGE/SIS");
  ssp.add_client("QROO/EST/SSP/SIS");
  ssp.add_service("QROO/EST/SSP/SIS/consulta", "http://127.0.0.1:" + std::to_string((*system)->port()),
                  {"QROO/EST/FGE/SIS"});
  fge.start();
  ssp.start();

  std::mutex mu;
  std::vector<std::string> answered;  // guarded by mu
  std::atomic<bool> stop{false};
  std::atomic<int> attempts{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 6; ++t) {
    clients.emplace_back([&, t] {
      for (int i = 0; !stop && i < 100000; ++i) {  // bounded; stops when the kills are done
        const std::string id = "crash-" + std::to_string(t) + "-" + std::to_string(i);
        net::HttpRequest r;
        r.method = "POST";
        r.body = "payload " + id;
        r.headers = {{"X-Xacbe-Client", "QROO/EST/FGE/SIS"}, {"X-Xacbe-Id", id}};
        net::ClientOptions options;
        options.timeout = std::chrono::seconds(10);
        auto answer = net::http_request(fge.client_url() + "/r1/QROO/EST/SSP/SIS/consulta/x", r, options);
        ++attempts;
        if (answer.is_ok() && answer->status == 200) {
          EXPECT_EQ(answer->body, "answer to " + id);
          std::lock_guard lock(mu);
          answered.push_back(id);
        }
      }
    });
  }
  auto answered_count = [&] {
    std::lock_guard lock(mu);
    return answered.size();
  };
  for (int kill = 0; kill < 20; ++kill) {
    // Let some exchanges through (bounded wait), then kill mid-load and restart.
    const std::size_t before = answered_count();
    for (int i = 0; i < 200 && answered_count() < before + 5; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    ssp.stop(SIGKILL);
    ssp.start();
  }
  for (int i = 0; i < 200 && answered_count() < 30; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  stop = true;
  for (auto& c : clients) c.join();
  ASSERT_EQ(fge.stop(SIGTERM), 0);
  ASSERT_EQ(ssp.stop(SIGTERM), 0);

  std::cerr << attempts << " calls, " << answered.size() << " answered\n";
  ASSERT_GE(answered.size(), 20u);
  const auto client_requests = fge.message_ids("side = 'client' AND kind = 'request'");
  const auto client_responses = fge.message_ids("side = 'client' AND kind = 'response'");
  const auto provider_requests = ssp.message_ids("side = 'provider' AND kind = 'request'");
  const auto provider_responses = ssp.message_ids("side = 'provider' AND kind = 'response'");
  for (const auto& id : answered) {
    EXPECT_EQ(client_requests.count(id), 1u) << id;
    EXPECT_EQ(client_responses.count(id), 1u) << id;
    EXPECT_EQ(provider_requests.count(id), 1u) << id;
    EXPECT_EQ(provider_responses.count(id), 1u) << id;
  }
  static const SystemClock clock;
  for (auto* node : {&fge, &ssp}) {
    auto reg = ss::QueryRegister::open(node->file("register.db"), clock, {});
    ASSERT_TRUE(reg.is_ok()) << reg.status().to_string();
    auto report = (*reg)->verify_chain();
    ASSERT_TRUE(report.is_ok()) << report.status().to_string();
    EXPECT_TRUE(report->ok) << node->id << ": record " << report->first_bad_seq.value_or(-1) << ": " << report->problem;
    EXPECT_GE(report->records, static_cast<std::int64_t>(2 * answered.size()));
  }
}

}  // namespace
}  // namespace xacbe::testing
