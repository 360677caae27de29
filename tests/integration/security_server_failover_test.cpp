// Several security servers carry one provider: when one is down, the client's server tries the
// next one the global configuration lists, and keeps using the one that answered.

#include <gtest/gtest.h>

#include <csignal>
#include <iostream>
#include <string>

#include "support/e2e/federation.hpp"
#include "xacbe/net/http_client.hpp"
#include "xacbe/net/http_server.hpp"

namespace xacbe::testing {
namespace {

TEST(SecurityServerFailover, ADownServerOfTheProviderIsSkipped) {
  Federation f({{XACBE_CLI_BIN, XACBE_TSA_BIN, XACBE_OCSP_BIN}, XACBE_REGISTRY_BIN, XACBE_SECURITY_SERVER_BIN});
  f.admit("QROO/EST/FGE", "Fiscalia", {"SIS"});
  f.admit("QROO/EST/SSP", "Seguridad", {"SIS"});
  auto system = net::HttpServer::start({}, [](const net::HttpRequest&) { return net::HttpResponse::make(200, "text/plain", "ok"); });
  ASSERT_TRUE(system.is_ok());
  SecurityServerNode& fge = f.add_server("QROO/EST/FGE/SS1");
  SecurityServerNode& first = f.add_server("QROO/EST/SSP/SS1");
  SecurityServerNode& second = f.add_server("QROO/EST/SSP/SS2");
  fge.add_client("QROO/EST/FGE/SIS");
  for (auto* node : {&first, &second}) {
    node->add_client("QROO/EST/SSP/SIS");
    node->add_service("QROO/EST/SSP/SIS/consulta", "http://127.0.0.1:" + std::to_string((*system)->port()),
                      {"QROO/EST/FGE/SIS"});
    node->start();
  }
  fge.start();
  auto exchange = [&]() {
    net::HttpRequest r;
    r.headers = {{"X-Xacbe-Client", "QROO/EST/FGE/SIS"}};
    auto answer = net::http_request(fge.client_url() + "/r1/QROO/EST/SSP/SIS/consulta/x", r);
    return answer.is_ok() ? answer->status : -1;
  };
  ASSERT_EQ(exchange(), 200);
  ASSERT_EQ(first.stop(SIGKILL), 9);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(exchange(), 200) << i;
  ASSERT_EQ(second.stop(SIGKILL), 9);
  EXPECT_EQ(exchange(), 502);  // PROVIDER_UNREACHABLE: no server carrying the provider answered
  first.start();
  EXPECT_EQ(exchange(), 200);
  if (::testing::Test::HasFailure()) std::cerr << fge.log();
}

}  // namespace
}  // namespace xacbe::testing
