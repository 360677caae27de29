// The xacbe CLI as an operator uses it: exit codes, messages, and the CA's refusals.

#include <gtest/gtest.h>

#include <algorithm>

#include "support/e2e/trust_services.hpp"

namespace xacbe::testing {
namespace {

class CliTest : public ::testing::Test {
 protected:
  TrustServices services_{{XACBE_CLI_BIN, XACBE_TSA_BIN, XACBE_OCSP_BIN}};
};

TEST_F(CliTest, UsageErrorsExitWithTwo) {
  EXPECT_EQ(services_.cli({}).exit_code, 2);
  EXPECT_EQ(services_.cli({"ca", "issue", "--profile", "sign"}).exit_code, 2);  // missing options
  EXPECT_EQ(services_.cli({"key", "generate", "--out"}).exit_code, 2);
  EXPECT_EQ(services_.cli({"--help"}).exit_code, 0);
}

TEST_F(CliTest, AcceptsSerialsAsOpensslPrintsThem) {
  const auto cert = services_.issue("sign", "member");
  std::string serial = serial_of(cert);
  std::string lower = serial;
  std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
  auto r = services_.cli({"ca", "status", "--serial", "0x00" + lower});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find(serial + " good"), std::string::npos) << r.output;
  r = services_.cli({"ca", "revoke", "--serial", "serial=" + serial, "--reason", "affiliationChanged"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  r = services_.cli({"ca", "status", "--serial", serial});
  EXPECT_NE(r.output.find("revoked"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("affiliationChanged"), std::string::npos) << r.output;
}

struct Refusal {
  const char* name;
  std::vector<std::string> args;
  int exit_code;
  const char* message;
};

TEST_F(CliTest, RefusesWithAClearMessage) {
  const auto cert = services_.issue("sign", "member");
  const auto serial = serial_of(cert);
  ASSERT_EQ(services_.cli({"ca", "revoke", "--serial", serial, "--reason", "keyCompromise"}).exit_code, 0);
  // A CSR for an RSA-1024 key, made outside our tools.
  const std::string weak_key = services_.dir().file("weak.key"), weak_csr = services_.dir().file("weak.csr");
  ASSERT_EQ(run_command({"openssl", "req", "-new", "-newkey", "rsa:1024", "-nodes", "-keyout", weak_key, "-out",
                         weak_csr, "-subj", "/CN=weak"})
                .exit_code,
            0);
  const Refusal cases[] = {
      {"serial not hex", {"ca", "status", "--serial", "XYZ"}, 2, "not a hexadecimal number"},
      {"unknown serial", {"ca", "status", "--serial", "ABCDEF"}, 1, "no certificate with serial ABCDEF"},
      {"revoked twice", {"ca", "revoke", "--serial", serial, "--reason", "superseded"}, 1, "already revoked"},
      {"release without hold", {"ca", "release", "--serial", serial}, 1, "not on hold"},
      {"unknown reason", {"ca", "revoke", "--serial", serial, "--reason", "boredom"}, 1, "boredom"},
      {"unknown profile", {"ca", "issue", "--profile", "root", "--csr", weak_csr, "--subject", "CN=x", "--out",
                           services_.dir().file("x.pem")}, 1, "root"},
      {"weak key", {"ca", "issue", "--profile", "sign", "--csr", weak_csr, "--subject", "CN=weak", "--out",
                    services_.dir().file("weak.pem")}, 1, "1024"},
      {"bad subject", {"csr", "create", "--key", services_.dir().file("member.key"), "--subject", "CN", "--out", services_.dir().file("y.csr")},
       1, "bad subject part"},
      {"unknown key type", {"key", "generate", "--type", "dsa", "--out", services_.dir().file("z.key")}, 1, "dsa"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto r = services_.cli(c.args);
    EXPECT_EQ(r.exit_code, c.exit_code) << r.output;
    EXPECT_NE(r.output.find(c.message), std::string::npos) << r.output;
  }
}

}  // namespace
}  // namespace xacbe::testing
