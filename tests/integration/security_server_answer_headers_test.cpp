// The provider's answer travels between the servers with its head, e-stamp and the e-stamp's
// OCSP response as headers. Those grow with RSA keys (larger signatures and certificates), with a
// batch e-stamp's proof, and with the headers the provider's information system answers with
// (forwarded in the head). Both directions of the server-to-server exchange accept
// kMessageHeaderLimit (64 KiB); before, the client side read answers with an HTTP parser's default
// of 8 KiB and reported PROVIDER_UNREACHABLE for an answer whose headers passed it.

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "support/e2e/federation.hpp"
#include "xacbe/net/http_client.hpp"
#include "xacbe/net/http_server.hpp"

namespace xacbe::testing {
namespace {

const std::string kBody(1024, 'x');

// FGE calls SSP's service, answered by `system`; both servers with keys of `key_type`.
struct TwoMembers {
  TwoMembers(crypto::KeyType key_type, net::HttpHandler system_handler)
      : f({{XACBE_CLI_BIN, XACBE_TSA_BIN, XACBE_OCSP_BIN}, XACBE_REGISTRY_BIN, XACBE_SECURITY_SERVER_BIN}) {
    f.admit("QROO/EST/FGE", "Fiscalia", {"SIS"});
    f.admit("QROO/EST/SSP", "Seguridad", {"SIS"});
    auto started = net::HttpServer::start({}, std::move(system_handler));
    if (!started.is_ok()) throw std::runtime_error(started.status().to_string());
    system = std::move(started).value();
    fge = &f.add_server("QROO/EST/FGE/SS1", key_type);
    ssp = &f.add_server("QROO/EST/SSP/SS1", key_type);
    fge->add_client("QROO/EST/FGE/SIS");
    ssp->add_client("QROO/EST/SSP/SIS");
    ssp->add_service("QROO/EST/SSP/SIS/consulta", "http://127.0.0.1:" + std::to_string(system->port()),
                     {"QROO/EST/FGE/SIS"});
    fge->start();
    ssp->start();
  }
  Result<net::HttpResponse> call() const {
    net::HttpRequest r;
    r.headers = {{"X-Xacbe-Client", "QROO/EST/FGE/SIS"}};
    return net::http_request(fge->client_url() + "/r1/QROO/EST/SSP/SIS/consulta/x", r);
  }

  Federation f;
  std::unique_ptr<net::HttpServer> system;
  SecurityServerNode* fge = nullptr;
  SecurityServerNode* ssp = nullptr;
};

std::string failure_of(const Result<net::HttpResponse>& answer) {
  if (!answer.is_ok()) return answer.status().to_string();
  return std::to_string(answer->status) + " " + answer->header("X-Xacbe-Error") + " " + answer->body.substr(0, 200);
}

TEST(SecurityServerAnswerHeaders, AnAnswerWithLargeHeadersOfTheInformationSystemReachesItsClient) {
  // 4,000 bytes of one header: the head carrying it is over 5 KB in base64, the head and the
  // e-stamp together well over 8 KiB.
  const std::string detail(4000, 'd');
  TwoMembers m(crypto::KeyType::kEcP256, [&](const net::HttpRequest&) {
    net::HttpResponse r = net::HttpResponse::make(200, "application/json", kBody);
    r.headers.emplace_back("X-Detalle", detail);
    return r;
  });
  auto answer = m.call();
  ASSERT_TRUE(answer.is_ok() && answer->status == 200) << failure_of(answer);
  EXPECT_EQ(answer->body, kBody);
  EXPECT_EQ(answer->header("X-Detalle"), detail);
}

TEST(SecurityServerAnswerHeaders, BatchSignedAnswersOfRsaMembersReachTheirClientsUnderConcurrentCalls) {
  TwoMembers m(crypto::KeyType::kRsa2048,
               [](const net::HttpRequest&) { return net::HttpResponse::make(200, "application/json", kBody); });
  // Rounds of calls all at once, until the provider has signed answers in batches (bounded).
  constexpr int kCalls = 48;
  std::atomic<int> answered{0};
  std::vector<std::string> failures;
  std::mutex failures_mu;
  int rounds = 0;
  const std::string batched = "side = 'provider' AND kind = 'response' AND instr(CAST(estamp AS TEXT), ':Batch') > 0";
  while (rounds < 5 && (rounds == 0 || m.ssp->count_records(batched) == 0)) {
    ++rounds;
    std::vector<std::thread> callers;
    for (int i = 0; i < kCalls; ++i) {
      callers.emplace_back([&] {
        auto answer = m.call();
        if (answer.is_ok() && answer->status == 200 && answer->body == kBody) {
          ++answered;
          return;
        }
        std::lock_guard lock(failures_mu);
        failures.push_back(failure_of(answer));
      });
    }
    for (auto& t : callers) t.join();
  }
  EXPECT_GT(m.ssp->count_records(batched), 0) << "no answer was signed in a batch in " << rounds << " rounds";
  EXPECT_EQ(answered.load(), rounds * kCalls);
  EXPECT_TRUE(failures.empty()) << failures.size() << " calls failed, the first: " << failures.front();
}

}  // namespace
}  // namespace xacbe::testing
