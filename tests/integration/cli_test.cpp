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

// A TLS certificate for a CEIQROO service, checked by openssl as a TLS client would check it
// (RFC 6125: the host name or the address the client dialled).
TEST_F(CliTest, IssuesServiceCertificateThatOpensslMatchesByNameAndAddress) {
  const std::string key = services_.dir().file("registry-tls.key"), csr = services_.dir().file("registry-tls.csr");
  const std::string pem = services_.dir().file("registry-tls.pem");
  const std::string subject = "C=MX,O=CEIQROO,CN=registry.ceiqroo.example";
  ASSERT_EQ(services_.cli({"key", "generate", "--type", "ec-p256", "--out", key}).exit_code, 0);
  ASSERT_EQ(services_.cli({"csr", "create", "--key", key, "--subject", subject, "--out", csr}).exit_code, 0);
  const auto issued = services_.cli({"ca", "issue", "--profile", "service", "--csr", csr, "--subject", subject,
                                     "--dns", "registry.ceiqroo.example", "--dns", "registry", "--ip", "127.0.0.1",
                                     "--ip", "2001:db8::10", "--out", pem});
  ASSERT_EQ(issued.exit_code, 0) << issued.output;
  EXPECT_NE(issued.output.find("issued service serial"), std::string::npos) << issued.output;

  const auto check = [&](const char* option, const std::string& value) {
    const auto r = run_command({"openssl", "x509", "-in", pem, "-noout", option, value});
    EXPECT_EQ(r.exit_code, 0) << r.output;
    return r.output;
  };
  for (const std::string host : {"registry.ceiqroo.example", "REGISTRY.ceiqroo.example", "registry"}) {
    EXPECT_NE(check("-checkhost", host).find("does match certificate"), std::string::npos) << host;
  }
  for (const std::string host : {"tsa.ceiqroo.example", "ceiqroo.example", "x.registry.ceiqroo.example"}) {
    EXPECT_NE(check("-checkhost", host).find("does NOT match certificate"), std::string::npos) << host;
  }
  for (const std::string ip : {"127.0.0.1", "2001:db8::10", "2001:DB8:0:0:0:0:0:10"}) {
    EXPECT_NE(check("-checkip", ip).find("does match certificate"), std::string::npos) << ip;
  }
  for (const std::string ip : {"127.0.0.2", "::1"}) {
    EXPECT_NE(check("-checkip", ip).find("does NOT match certificate"), std::string::npos) << ip;
  }
  const auto verified =
      run_command({"openssl", "verify", "-purpose", "sslserver", "-CAfile", services_.root_pem(), pem});
  EXPECT_EQ(verified.exit_code, 0) << verified.output;
  const auto as_client =
      run_command({"openssl", "verify", "-purpose", "sslclient", "-CAfile", services_.root_pem(), pem});
  EXPECT_NE(as_client.exit_code, 0) << as_client.output;  // serverAuth only

  const std::string out = services_.dir().file("refused.pem");
  const Refusal refusals[] = {
      {"no name", {"ca", "issue", "--profile", "service", "--csr", csr, "--subject", subject, "--out", out}, 1,
       "needs at least one DNS name or IP address"},
      {"wildcard", {"ca", "issue", "--profile", "service", "--csr", csr, "--subject", subject, "--dns", "*.example",
                    "--out", out}, 1, "wildcards are not issued"},
      {"bad address", {"ca", "issue", "--profile", "service", "--csr", csr, "--subject", subject, "--ip",
                       "127.0.0.256", "--out", out}, 1, "is not an IPv4 or IPv6 address"},
      {"names on another profile", {"ca", "issue", "--profile", "auth", "--csr", csr, "--subject", subject, "--dns",
                                    "registry", "--out", out}, 1, "only in service certificates"},
  };
  for (const auto& c : refusals) {
    SCOPED_TRACE(c.name);
    const auto r = services_.cli(c.args);
    EXPECT_EQ(r.exit_code, c.exit_code) << r.output;
    EXPECT_NE(r.output.find(c.message), std::string::npos) << r.output;
  }
}

}  // namespace
}  // namespace xacbe::testing
