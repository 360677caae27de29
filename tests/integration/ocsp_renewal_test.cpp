// Integration: the real xacbe-ocsp takes a renewed responder key and certificate without a
// restart (when the files change, and on SIGHUP), keeps its pair when the new one is unusable,
// warns before its certificate ends and answers tryLater once it has. Answers are checked with
// `openssl ocsp`; time is moved with libfaketime, never waited for.

#include <gtest/gtest.h>
#include <openssl/ocsp.h>
#include <signal.h>

#include <chrono>
#include <thread>

#include "support/e2e/registry_process.hpp"
#include "support/e2e/trust_services.hpp"
#include "xacbe/globalconf/signed_configuration.hpp"
#include "xacbe/crypto/certificate.hpp"
#include "xacbe/file.hpp"
#include "xacbe/net/http_client.hpp"

namespace xacbe::testing {
namespace {

Executables executables() { return {XACBE_CLI_BIN, XACBE_TSA_BIN, XACBE_OCSP_BIN}; }

// Runs `argv` with `environment` added (NAME=value entries; none: as is).
CommandResult run_with(const std::vector<std::string>& environment, std::vector<std::string> argv) {
  if (!environment.empty()) {
    argv.insert(argv.begin(), environment.begin(), environment.end());
    argv.insert(argv.begin(), "env");
  }
  return run_command(argv);
}

// A new key and `ocsp` certificate from the CA, written over the files the responder is
// configured with (ocsp.key, ocsp.pem), by the CLI as an operator runs it, at the clock of
// `environment`. Returns the new certificate's serial.
std::string renew_responder(const TrustServices& services, const std::vector<std::string>& environment = {}) {
  const std::string key = services.dir().file("ocsp.key"), csr = services.dir().file("ocsp-renewal.csr");
  const std::string subject = "C=MX,O=CEIQROO Test,CN=ocsp";
  for (const auto& args : std::vector<std::vector<std::string>>{
           {XACBE_CLI_BIN, "key", "generate", "--type", "ec-p256", "--out", key},
           {XACBE_CLI_BIN, "csr", "create", "--key", key, "--subject", subject, "--out", csr},
           {XACBE_CLI_BIN, "ca", "--dir", services.ca_dir(), "issue", "--profile", "ocsp", "--csr", csr, "--subject",
            subject, "--out", services.ocsp_cert()}}) {
    const CommandResult r = run_with(environment, args);
    EXPECT_EQ(r.exit_code, 0) << r.output;
  }
  return serial_of(services.ocsp_cert());
}

struct OpensslAnswer {
  CommandResult result;
  std::string signer_serial;  // of the responder certificate the answer carries; empty if none
};

// `openssl ocsp` for `cert_pem`, trusting only the CA root, at the clock of `environment`.
OpensslAnswer ask_openssl(const TrustServices& services, const std::string& cert_pem,
                          const std::vector<std::string>& environment = {}) {
  const std::string out = services.dir().file("answer.der");
  std::remove(out.c_str());
  OpensslAnswer answer;
  answer.result = run_with(environment, {"openssl", "ocsp", "-issuer", services.root_pem(), "-cert", cert_pem, "-url",
                                         services.ocsp_url(), "-CAfile", services.root_pem(), "-respout", out});
  auto der = read_file(out);
  if (!der) return answer;
  const auto* p = reinterpret_cast<const unsigned char*>(der->data());
  crypto::OCSP_RESPONSEPtr response(d2i_OCSP_RESPONSE(nullptr, &p, static_cast<long>(der->size())));
  if (!response) return answer;
  crypto::OCSP_BASICRESPPtr basic(OCSP_response_get1_basic(response.get()));
  if (!basic) return answer;
  const STACK_OF(X509)* certs = OCSP_resp_get0_certs(basic.get());
  if (sk_X509_num(certs) > 0) answer.signer_serial = crypto::Certificate::share(sk_X509_value(certs, 0)).serial_hex();
  return answer;
}

void expect_accepted(const OpensslAnswer& answer, const std::string& cert_pem, const std::string& signer_serial) {
  EXPECT_EQ(answer.result.exit_code, 0) << answer.result.output;
  EXPECT_NE(answer.result.output.find("Response verify OK"), std::string::npos) << answer.result.output;
  EXPECT_NE(answer.result.output.find(cert_pem + ": good"), std::string::npos) << answer.result.output;
  EXPECT_EQ(answer.signer_serial, signer_serial);
}

// OCSPResponseStatus of our own POST of an openssl-made request, or -1.
int response_status(const TrustServices& services, const std::string& cert_pem) {
  const std::string query = services.dir().file("q.ocsp");
  const CommandResult made =
      run_command({"openssl", "ocsp", "-issuer", services.root_pem(), "-cert", cert_pem, "-reqout", query});
  EXPECT_EQ(made.exit_code, 0) << made.output;
  net::HttpRequest request;
  request.method = "POST";
  request.headers = {{"Content-Type", "application/ocsp-request"}};
  request.body = read_file(query).value();
  auto response = net::http_request(services.ocsp_url(), std::move(request));
  if (!response) return -1;
  const auto* p = reinterpret_cast<const unsigned char*>(response->body.data());
  crypto::OCSP_RESPONSEPtr parsed(d2i_OCSP_RESPONSE(nullptr, &p, static_cast<long>(response->body.size())));
  return parsed ? OCSP_response_status(parsed.get()) : -1;
}

// Waits (bounded) until the process log holds `needle` `count` times: the reaction to a signal.
bool log_shows(ChildProcess& process, const std::string& needle, int count = 1) {
  for (int i = 0; i < 500; ++i) {
    const std::string log = process.log();
    int seen = 0;
    for (std::size_t at = log.find(needle); at != std::string::npos; at = log.find(needle, at + 1)) ++seen;
    if (seen >= count) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

TEST(OcspRenewalTest, TakesARenewedCertificateWithoutARestart) {
  TrustServices services(executables());
  services.start_ocsp(R"("certificate_check_seconds": 0)");
  const pid_t pid = services.ocsp_process().pid();
  const std::string member = services.issue("sign", "member");
  const std::string first = serial_of(services.ocsp_cert());
  expect_accepted(ask_openssl(services, member), member, first);

  const std::string renewed = renew_responder(services);
  ASSERT_NE(renewed, first);
  expect_accepted(ask_openssl(services, member), member, renewed);
  EXPECT_TRUE(services.ocsp_process().running());
  EXPECT_EQ(services.ocsp_process().pid(), pid);
  EXPECT_NE(services.ocsp_process().log().find("serial " + renewed), std::string::npos)
      << services.ocsp_process().log();
}

TEST(OcspRenewalTest, SighupTakesTheRenewedPairAndAnUnusablePairLeavesTheOldOne) {
  TrustServices services(executables());
  services.start_ocsp();  // the files are looked at once a minute: SIGHUP is the way now
  const std::string member = services.issue("sign", "member");
  const std::string first = serial_of(services.ocsp_cert());

  // A new key whose certificate has not come yet: refused, the pair in use stays.
  ASSERT_EQ(run_command({XACBE_CLI_BIN, "key", "generate", "--type", "ec-p256", "--out",
                         services.dir().file("ocsp.key")}).exit_code, 0);
  ASSERT_EQ(kill(services.ocsp_process().pid(), SIGHUP), 0);
  ASSERT_TRUE(log_shows(services.ocsp_process(), "SIGHUP: responder key and certificate not reloaded"))
      << services.ocsp_process().log();
  EXPECT_NE(services.ocsp_process().log().find("does not match"), std::string::npos);
  expect_accepted(ask_openssl(services, member), member, first);

  const std::string renewed = renew_responder(services);
  ASSERT_EQ(kill(services.ocsp_process().pid(), SIGHUP), 0);
  ASSERT_TRUE(log_shows(services.ocsp_process(), "SIGHUP: responder certificate")) << services.ocsp_process().log();
  expect_accepted(ask_openssl(services, member), member, renewed);
  EXPECT_TRUE(services.ocsp_process().running());
}

// The responder certificate lives 30 days. 25 days on the responder warns; 31 days on it answers
// tryLater instead of signing with an expired certificate, until a certificate issued then (the
// CLI on the same moved clock) is written to its files, which it takes without a restart.
TEST(OcspRenewalTest, WarnsBeforeTheEndAnswersTryLaterAfterItAndSignsAgainOnceRenewed) {
  TrustServices services(executables());
  const std::string member = services.issue("sign", "member");
  const std::string first = serial_of(services.ocsp_cert());

  services.move_clock("+25d");
  services.start_ocsp(R"("certificate_check_seconds": 0)");
  EXPECT_TRUE(log_shows(services.ocsp_process(), "serial " + first + ") expires at"))
      << services.ocsp_process().log();
  expect_accepted(ask_openssl(services, member, faketime_environment("+25d")), member, first);

  services.move_clock("+31d");
  services.start_ocsp(R"("certificate_check_seconds": 0)");
  const pid_t pid = services.ocsp_process().pid();
  EXPECT_EQ(response_status(services, member), OCSP_RESPONSE_STATUS_TRYLATER);
  EXPECT_TRUE(log_shows(services.ocsp_process(), "is outside its validity")) << services.ocsp_process().log();
  const OpensslAnswer refused = ask_openssl(services, member, faketime_environment("+31d"));
  EXPECT_EQ(refused.result.output.find("Response verify OK"), std::string::npos) << refused.result.output;

  const std::string renewed = renew_responder(services, faketime_environment("+31d"));
  expect_accepted(ask_openssl(services, member, faketime_environment("+31d")), member, renewed);
  EXPECT_EQ(services.ocsp_process().pid(), pid);
}

// During a renewal the registry lists the responder certificate in use and the next one (a PEM
// bundle as globalconf.ocsp_certificate), so that security servers accept answers of either;
// a bundle that could not serve is refused at start.
TEST(OcspRenewalTest, RegistryListsTheCurrentAndTheNextResponderCertificate) {
  TrustServices services(executables());
  const std::string next = services.issue("ocsp", "ocsp-next");
  const std::string bundle = services.dir().file("ocsp-responders.pem");
  ASSERT_TRUE(write_file_atomic(bundle, read_file(services.ocsp_cert()).value() + read_file(next).value()).is_ok());
  RegistryProcess registry(services, XACBE_REGISTRY_BIN);
  registry.publish_globalconf()["ocsp_certificate"] = "ocsp-responders.pem";
  registry.start();
  auto anchor = globalconf::ConfigurationAnchor::from_json(
      registry.get("/api/v1/configuration-anchor", RegistryProcess::As::kAuditor).http.body);
  ASSERT_TRUE(anchor) << anchor.status().to_string();
  const SystemClock clock;
  auto doc = globalconf::verify(registry.get("/globalconf/QROO", RegistryProcess::As::kAnonymous).http.body, *anchor,
                                clock, 0);
  ASSERT_TRUE(doc) << doc.status().to_string();
  const auto& listed = doc->content().ca.ocsp_responder_certificates;
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0].serial_hex(), serial_of(services.ocsp_cert()));
  EXPECT_EQ(listed[1].serial_hex(), serial_of(next));
  registry.stop();

  TrustServices other(executables());
  struct Case {
    const char* name;
    std::string pem;
    const char* message;
  };
  const std::vector<Case> cases = {
      {"the same certificate twice", read_file(next).value() + read_file(next).value(), "is listed twice"},
      {"a certificate of another CA", read_file(other.ocsp_cert()).value(), "is not issued by the CA"},
      {"no certificate", "", "ocsp-responders.pem"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    ASSERT_TRUE(write_file_atomic(bundle, c.pem).is_ok());
    const std::string path = services.dir().file("bad-registry.json");
    ASSERT_TRUE(write_file_atomic(path, registry.config().dump(2)).is_ok());
    const CommandResult r = run_command({XACBE_REGISTRY_BIN, "--config", path}, {}, std::chrono::seconds(10));
    EXPECT_EQ(r.exit_code, 2) << r.output;
    EXPECT_NE(r.output.find(c.message), std::string::npos) << r.output;
  }
}

}  // namespace
}  // namespace xacbe::testing
