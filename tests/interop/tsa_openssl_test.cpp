// Interop: the stock `openssl ts` tool against the running xacbe-tsa. OpenSSL builds the query
// and verifies the token; our code only carries the bytes over HTTP.

#include <gtest/gtest.h>

#include <fstream>

#include "support/e2e/trust_services.hpp"
#include "xacbe/file.hpp"
#include "xacbe/net/http_client.hpp"

namespace xacbe::testing {
namespace {

class TsaOpensslTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    services_ = new TrustServices({XACBE_CLI_BIN, XACBE_TSA_BIN, XACBE_OCSP_BIN});
    services_->start_tsa(R"("other_policies": ["1.3.6.1.4.1.4146.2.3"])");
  }
  static void TearDownTestSuite() {
    delete services_;
    services_ = nullptr;
  }

  std::string file(const std::string& name) const { return services_->dir().file(name); }

  // Writes the document, asks openssl for a query with `query_flags`, posts it, stores the reply.
  std::string stamp(const std::string& name, const std::vector<std::string>& query_flags) {
    const std::string data = file(name + ".txt"), query = file(name + ".tsq"), reply = file(name + ".tsr");
    EXPECT_TRUE(write_file_atomic(data, "acta de entrega " + name).is_ok());
    std::vector<std::string> argv = {"openssl", "ts", "-query", "-data", data, "-sha256", "-out", query};
    argv.insert(argv.end(), query_flags.begin(), query_flags.end());
    auto made = run_command(argv);
    EXPECT_EQ(made.exit_code, 0) << made.output;
    net::HttpRequest request;
    request.method = "POST";
    request.headers = {{"Content-Type", "application/timestamp-query"}};
    request.body = read_file(query).value();
    auto response = net::http_request(services_->tsa_url(), request);
    EXPECT_TRUE(response.is_ok()) << response.status().to_string();
    if (!response) return reply;
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->header("Content-Type"), "application/timestamp-reply");
    EXPECT_TRUE(write_file_atomic(reply, response->body).is_ok());
    return reply;
  }

  CommandResult verify(const std::string& name, const std::string& reply, bool with_tsa_cert) {
    std::vector<std::string> argv = {"openssl", "ts", "-verify", "-data", file(name + ".txt"), "-in", reply,
                                     "-CAfile", services_->root_pem()};
    if (with_tsa_cert) argv.insert(argv.end(), {"-untrusted", services_->tsa_cert()});
    return run_command(argv);
  }

  CommandResult text(const std::string& reply) { return run_command({"openssl", "ts", "-reply", "-in", reply, "-text"}); }

  static TrustServices* services_;
};

TrustServices* TsaOpensslTest::services_ = nullptr;

TEST_F(TsaOpensslTest, TokenWithNonceAndCertReqVerifies) {
  const auto reply = stamp("a", {"-cert"});
  auto v = verify("a", reply, false);
  EXPECT_EQ(v.exit_code, 0) << v.output;
  EXPECT_NE(v.output.find("Verification: OK"), std::string::npos) << v.output;
  auto t = text(reply);
  EXPECT_NE(t.output.find("Status: Granted"), std::string::npos) << t.output;
  EXPECT_NE(t.output.find("Nonce: 0x"), std::string::npos) << t.output;
  EXPECT_NE(t.output.find("Policy OID: 2.25.338228687574603672098159078013054936676.1.1"), std::string::npos)
      << t.output;
}

TEST_F(TsaOpensslTest, TokenWithoutNonceOrCertReqVerifiesGivenTheTsaCertificate) {
  const auto reply = stamp("b", {"-no_nonce"});
  auto t = text(reply);
  EXPECT_NE(t.output.find("Status: Granted"), std::string::npos) << t.output;
  EXPECT_NE(t.output.find("Nonce: unspecified"), std::string::npos) << t.output;
  // Without certReq the token carries no certificate: verifying needs the TSA certificate given.
  EXPECT_NE(verify("b", reply, false).exit_code, 0);
  auto v = verify("b", reply, true);
  EXPECT_EQ(v.exit_code, 0) << v.output;
  EXPECT_NE(v.output.find("Verification: OK"), std::string::npos) << v.output;
}

TEST_F(TsaOpensslTest, VerificationFailsForOtherData) {
  const auto reply = stamp("c", {"-cert"});
  ASSERT_TRUE(write_file_atomic(file("c.txt"), "acta alterada").is_ok());
  auto v = verify("c", reply, false);
  EXPECT_NE(v.exit_code, 0) << v.output;
  EXPECT_EQ(v.output.find("Verification: OK"), std::string::npos) << v.output;
}

TEST_F(TsaOpensslTest, HonoursAnOfferedPolicyAndRefusesOthers) {
  auto t = text(stamp("d", {"-cert", "-tspolicy", "1.3.6.1.4.1.4146.2.3"}));
  EXPECT_NE(t.output.find("Policy OID: 1.3.6.1.4.1.4146.2.3"), std::string::npos) << t.output;
  auto v = verify("d", file("d.tsr"), false);
  EXPECT_EQ(v.exit_code, 0) << v.output;

  t = text(stamp("e", {"-cert", "-tspolicy", "1.2.3.4.5"}));
  EXPECT_NE(t.output.find("Status: Rejected"), std::string::npos) << t.output;
  EXPECT_NE(t.output.find("policy is not supported"), std::string::npos) << t.output;
}

TEST_F(TsaOpensslTest, RefusesAWeakImprintAlgorithmWithBadAlg) {
  const std::string data = file("f.txt"), query = file("f.tsq"), reply = file("f.tsr");
  ASSERT_TRUE(write_file_atomic(data, "f").is_ok());
  ASSERT_EQ(run_command({"openssl", "ts", "-query", "-data", data, "-md5", "-out", query}).exit_code, 0);
  net::HttpRequest request;
  request.method = "POST";
  request.headers = {{"Content-Type", "application/timestamp-query"}};
  request.body = read_file(query).value();
  auto response = net::http_request(services_->tsa_url(), request);
  ASSERT_TRUE(response.is_ok());
  ASSERT_TRUE(write_file_atomic(reply, response->body).is_ok());
  auto t = text(reply);
  EXPECT_NE(t.output.find("Status: Rejected"), std::string::npos) << t.output;
  EXPECT_NE(t.output.find("unrecognized or unsupported algorithm identifier"), std::string::npos) << t.output;
}

}  // namespace
}  // namespace xacbe::testing
