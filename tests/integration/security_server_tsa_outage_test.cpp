// The eight-hour rule through a TSA outage (ARCHITECTURE "The e-stamp and the eight-hour rule"):
// with the TSA down, exchanges continue while every waiting record can still be timestamped
// before its deadline (OCSP producedAt + eight hours) with the margin to spare; then both servers
// refuse new exchanges with TIMESTAMP_BACKLOG, a restart changes nothing (the state is in the
// register), and they resume by themselves when the TSA is back. Time is moved with libfaketime
// for every process that judges it (security servers, OCSP responder, TSA), never waited for.

#include <gtest/gtest.h>

#include <csignal>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "support/e2e/federation.hpp"
#include "xacbe/net/http_client.hpp"
#include "xacbe/net/http_server.hpp"

namespace xacbe::testing {
namespace {

using Json = nlohmann::json;

TEST(SecurityServerTsaOutage, ExchangesStopBeforeTheEightHourDeadlineAndResumeByThemselves) {
  Federation f({{XACBE_CLI_BIN, XACBE_TSA_BIN, XACBE_OCSP_BIN}, XACBE_REGISTRY_BIN, XACBE_SECURITY_SERVER_BIN});
  f.admit("QROO/EST/FGE", "Fiscalia", {"SIS"});
  f.admit("QROO/EST/SSP", "Seguridad", {"SIS"});
  auto system = net::HttpServer::start({}, [](const net::HttpRequest&) { return net::HttpResponse::make(200, "text/plain", "ok"); });
  ASSERT_TRUE(system.is_ok());
  SecurityServerNode& fge = f.add_server("QROO/EST/FGE/SS1");
  SecurityServerNode& ssp = f.add_server("QROO/EST/SSP/SS1");
  fge.add_client("QROO/EST/FGE/SIS");
  ssp.add_client("QROO/EST/SSP/SIS");
  for (auto* node : {&fge, &ssp}) node->config["security_server"]["timestamp_retry_max_seconds"] = 2;
  ssp.add_service("QROO/EST/SSP/SIS/consulta", "http://127.0.0.1:" + std::to_string((*system)->port()),
                  {"QROO/EST/FGE/SIS"});
  fge.start();
  ssp.start();
  auto exchange = [&]() {
    net::HttpRequest r;
    r.headers = {{"X-Xacbe-Client", "QROO/EST/FGE/SIS"}};
    auto answer = net::http_request(fge.client_url() + "/r1/QROO/EST/SSP/SIS/consulta/x", r);
    if (!answer.is_ok()) return "(" + answer.status().to_string() + ")";
    if (answer->status == 200) return std::string("OK");
    auto j = Json::parse(answer->body, nullptr, false);
    return j.is_object() ? j["error"].value("side", "") + "." + j["error"].value("code", "") : answer->body;
  };
  // Everything that judges time moves together.
  auto move_clock = [&](const std::string& offset) {
    f.services().move_clock(offset);
    f.services().start_ocsp();  // same port, new clock
    fge.start(faketime_environment(offset));
    ssp.start(faketime_environment(offset));
  };

  ASSERT_EQ(f.services().tsa_process().stop(SIGTERM), 0);
  ASSERT_EQ(exchange(), "OK");
  EXPECT_EQ(fge.count_records("seq IN (SELECT seq FROM unstamped)"), 2);

  // 7 h 40 min later: 20 minutes before the first records' deadline, more than the 15-minute margin.
  move_clock("+460m");  // libfaketime takes one unit
  EXPECT_EQ(exchange(), "OK");

  // 7 h 50 min: ten minutes left, less than the margin. The client's server refuses first.
  move_clock("+470m");
  EXPECT_EQ(exchange(), "client-side.TIMESTAMP_BACKLOG");
  // A restart in the middle changes nothing: the deadlines are in the register.
  fge.start(faketime_environment("+470m"));
  EXPECT_EQ(exchange(), "client-side.TIMESTAMP_BACKLOG");
  EXPECT_EQ(fge.count_records("seq IN (SELECT seq FROM unstamped)"), 4);

  // The TSA returns; both servers catch up on their own (retrying every few seconds) and the
  // exchange resumes without anyone touching them.
  f.services().start_tsa();
  std::string outcome;
  for (int i = 0; i < 120 && outcome != "OK"; ++i) {
    outcome = exchange();
    if (outcome != "OK") std::this_thread::sleep_for(std::chrono::milliseconds(500));  // another process's retry
  }
  EXPECT_EQ(outcome, "OK");
  // The four records logged before the TSA came back (two exchanges, request and response) are
  // timestamped on each side, none after its deadline.
  for (auto* node : {&fge, &ssp}) {
    for (int i = 0; i < 60 && node->count_records("seq IN (SELECT seq FROM unstamped) AND seq <= 4") != 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
    EXPECT_EQ(node->count_records("seq IN (SELECT seq FROM unstamped) AND seq <= 4"), 0) << node->id;
    EXPECT_EQ(node->count_records("seq IN (SELECT seq FROM record_stamps WHERE deadline_missed = 1)"), 0) << node->id;
  }
  if (::testing::Test::HasFailure()) std::cerr << fge.log() << ssp.log();
}

}  // namespace
}  // namespace xacbe::testing
