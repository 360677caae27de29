// "xacbe server ..." against the real xacbe-central-registry, as a member's administrator sets up
// a security server: keys and CSRs, the bootstrap registration, the CEIQROO's approval (through
// the registry's admin API), collecting and checking the issued certificates, the signing key's
// submit-csr, clients of a shared server, and the refusals with their exit codes (1: refused or
// failed, 2: usage, refused before anything is written or sent).

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <regex>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/e2e/registry_process.hpp"
#include "support/e2e/trust_services.hpp"
#include "xacbe/crypto/certificate.hpp"
#include "xacbe/crypto/key.hpp"
#include "xacbe/file.hpp"

namespace xacbe::testing {
namespace {

using Json = nlohmann::json;
using As = RegistryProcess::As;

const std::string kMember = "QROO/FED/PGJ";
const std::string kServer = kMember + "/SS1";

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

std::string read_text(const std::string& path) {
  auto text = read_file(path);
  if (!text) throw std::runtime_error(text.status().to_string());
  return *text;
}

unsigned mode_of(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) throw std::runtime_error("cannot stat " + path);
  return st.st_mode & 07777;
}

class CliServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    registry_.start();
    admit(kMember);
  }

  void admit(const std::string& member) {
    const auto applied = registry_.post("/api/v1/applications", application_for(member));
    ASSERT_EQ(applied.status, 201) << applied.http.body;
    const auto admitted = registry_.call(
        "POST", "/api/v1/applications/" + std::to_string(applied.json.value("id", std::int64_t{0})) + "/admit");
    ASSERT_EQ(admitted.status, 200) << admitted.http.body;
  }

  static CommandResult xacbe(std::vector<std::string> args) {
    args.insert(args.begin(), XACBE_CLI_BIN);
    return run_command(args);
  }

  // "xacbe server <command> --dir <dir> <args>", and for the commands that talk to the registry
  // "--registry <this registry>" too unless `args` name another.
  CommandResult server(const std::string& command, const std::vector<std::string>& args = {}) const {
    std::vector<std::string> argv = {"server", command, "--dir", dir_};
    const bool own_registry = std::find(args.begin(), args.end(), "--registry") != args.end();
    if (command != "init" && command != "status" && !own_registry) {
      argv.insert(argv.end(), {"--registry", registry_.url()});
    }
    argv.insert(argv.end(), args.begin(), args.end());
    return xacbe(argv);
  }

  // A command expected to succeed; its output never shows a private key.
  std::string ok(const std::string& command, const std::vector<std::string>& args = {}) const {
    const CommandResult r = server(command, args);
    EXPECT_EQ(r.exit_code, 0) << command << ": " << r.output;
    EXPECT_FALSE(contains(r.output, "PRIVATE KEY")) << r.output;
    return r.output;
  }

  // The registry's id of the request a command sent: "<what> request <id> <state>".
  static std::string request_id(const std::string& output, const std::string& state = "pending") {
    static const std::regex kLine(R"(request (\d+) (\w+)\n)");
    std::smatch m;
    if (!std::regex_search(output, m, kLine)) throw std::runtime_error("no request id in: " + output);
    EXPECT_EQ(m[2], state) << output;
    return m[1];
  }

  void decide(const std::string& id, const std::string& action, const Json& body = nullptr) {
    const auto r = registry_.call("POST", "/api/v1/management-requests/" + id + "/" + action,
                                  body.is_null() ? std::string() : body.dump());
    ASSERT_EQ(r.status, 200) << r.http.body;
  }

  // init, register, approval, collect: a registered server with its auth.pem installed.
  void registered() {
    ok("init", {"--id", kServer});
    decide(request_id(ok("register", {"--address", "127.0.0.1:5500"})), "approve");
    ASSERT_TRUE(contains(ok("collect"), "installed auth.pem")) << read_text(file("requests"));
  }

  std::string file(const std::string& name) const { return dir_ + "/" + name; }
  bool exists(const std::string& name) const { return std::filesystem::exists(file(name)); }

  TrustServices services_{{XACBE_CLI_BIN, XACBE_TSA_BIN, XACBE_OCSP_BIN}};
  RegistryProcess registry_{services_, XACBE_REGISTRY_BIN};
  const std::string dir_ = services_.dir().file("ss1");
};

TEST_F(CliServerTest, SetsUpAServerFromKeysToBothCertificates) {
  const std::string made = ok("init", {"--id", kServer});
  for (const char* name : {"auth.key", "sign.key"}) {
    EXPECT_TRUE(contains(made, name)) << made;
    EXPECT_EQ(mode_of(file(name)), 0600u) << name;
  }
  EXPECT_EQ(read_text(file("server-id")), kServer + "\n");
  EXPECT_TRUE(contains(read_text(file("auth.csr")), "BEGIN CERTIFICATE REQUEST"));

  const std::string registration =
      ok("register", {"--address", "ss1.pgj.qroo.gob.mx:5500", "--country", "MX", "--software-version", "1.2.0"});
  const std::string auth_request = request_id(registration);
  // What the registry shows the administrator, who confirms it with the member before approving.
  const auto shown = registry_.get("/api/v1/management-requests/" + auth_request);
  ASSERT_EQ(shown.status, 200) << shown.http.body;
  EXPECT_EQ(shown.json["type"], "register-server");
  EXPECT_EQ(shown.json["signer"], "bootstrap");
  EXPECT_TRUE(contains(registration, shown.json.value("csr_key_sha256", "?"))) << registration;
  EXPECT_EQ(read_text(file("requests")), "auth " + auth_request + "\n");

  // Before approval: pending, nothing installed.
  EXPECT_TRUE(contains(ok("collect"), "auth request " + auth_request + ": still pending"));
  EXPECT_FALSE(exists("auth.pem"));

  decide(auth_request, "approve");
  const std::string collected = ok("collect", {"--ca", services_.root_pem()});
  EXPECT_TRUE(contains(collected, "auth request " + auth_request + ": installed auth.pem")) << collected;
  auto auth_cert = crypto::Certificate::load(file("auth.pem"));
  ASSERT_TRUE(auth_cert) << auth_cert.status().to_string();
  EXPECT_TRUE(contains(auth_cert->subject(), "CN=" + kServer)) << auth_cert->subject();
  EXPECT_EQ(read_text(file("requests")), "auth " + auth_request + " installed " + auth_cert->serial_hex() + "\n");
  const auto servers = registry_.get("/api/v1/security-servers", As::kAuditor);
  ASSERT_EQ(servers.json["servers"].size(), 1u) << servers.http.body;
  EXPECT_EQ(servers.json["servers"][0]["address"], "ss1.pgj.qroo.gob.mx:5500");
  EXPECT_EQ(servers.json["servers"][0]["software_version"], "1.2.0");

  const std::string sign_request = request_id(ok("submit-csr", {"--usage", "sign"}));
  EXPECT_TRUE(contains(ok("collect"), "sign request " + sign_request + ": still pending"));
  decide(sign_request, "approve");
  EXPECT_TRUE(contains(ok("collect", {"--ca", services_.root_pem()}), "installed sign.pem"));
  auto sign_cert = crypto::Certificate::load(file("sign.pem"));
  ASSERT_TRUE(sign_cert) << sign_cert.status().to_string();
  EXPECT_TRUE(contains(sign_cert->subject(), "CN=" + kMember)) << sign_cert->subject();
  EXPECT_TRUE(contains(ok("collect"), "no request is waiting for a certificate"));

  const std::string status = ok("status");
  EXPECT_TRUE(contains(status, "server-id " + kServer)) << status;
  for (const auto* cert : {&*auth_cert, &*sign_cert}) {
    EXPECT_TRUE(contains(status, "serial " + cert->serial_hex())) << status;
  }
  EXPECT_TRUE(contains(status, "request auth " + auth_request + " installed")) << status;
  EXPECT_TRUE(contains(status, "request sign " + sign_request + " installed")) << status;
  EXPECT_FALSE(contains(status, "WARNING")) << status;
  EXPECT_FALSE(contains(status, "missing")) << status;
}

TEST_F(CliServerTest, RegistersAndUnregistersAClientOfAnotherMember) {
  registered();
  const std::string client = "QROO/MUN/OPB/PADRON";
  admit("QROO/MUN/OPB");
  ASSERT_EQ(registry_.post("/api/v1/members/QROO/MUN/OPB/subsystems", {{"subsystem_code", "PADRON"}}).status, 201);
  const std::string id = request_id(ok("register-client", {"--client", client}));
  decide(id, "approve");
  auto servers = registry_.get("/api/v1/security-servers", As::kAuditor);
  ASSERT_EQ(servers.json["servers"][0]["registered_clients"].size(), 1u) << servers.http.body;
  // A client registration issues no certificate: the public route says so.
  const auto none = registry_.get("/api/v1/management-requests/" + id + "/certificate", As::kAnonymous);
  EXPECT_EQ(none.status, 404);
  EXPECT_EQ(none.message(), "management request " + id + " is approved and issued no certificate");

  request_id(ok("unregister-client", {"--client", client}), "approved");
  servers = registry_.get("/api/v1/security-servers", As::kAuditor);
  EXPECT_TRUE(servers.json["servers"][0]["registered_clients"].empty()) << servers.http.body;
}

TEST_F(CliServerTest, InitNeverReplacesKeys) {
  ok("init", {"--id", kServer});
  const std::string key = read_text(file("auth.key"));
  const CommandResult again = server("init", {"--id", kServer});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_TRUE(contains(again.output, "xacbe: ALREADY_EXISTS: " + file("auth.key") + " exists")) << again.output;
  EXPECT_EQ(read_text(file("auth.key")), key);
}

TEST_F(CliServerTest, RefusesACertificateThatIsNotForItsKey) {
  ok("init", {"--id", kServer});
  const std::string id = request_id(ok("register", {"--address", "127.0.0.1:5500"}));
  decide(id, "approve");
  // The key the registration was made with is lost and replaced.
  std::filesystem::remove(file("auth.key"));
  ASSERT_EQ(xacbe({"key", "generate", "--out", file("auth.key")}).exit_code, 0);
  const CommandResult r = server("collect");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_TRUE(contains(r.output, "xacbe: PERMISSION_DENIED: the certificate request " + id)) << r.output;
  EXPECT_TRUE(contains(r.output, "is not for the key in " + file("auth.key") + ": not installed")) << r.output;
  EXPECT_FALSE(exists("auth.pem"));
  EXPECT_EQ(read_text(file("requests")), "auth " + id + "\n");  // still waiting
}

TEST_F(CliServerTest, RefusesACertificateThatDoesNotChainToTheGivenCa) {
  ok("init", {"--id", kServer});
  const std::string id = request_id(ok("register", {"--address", "127.0.0.1:5500"}));
  decide(id, "approve");
  const std::string other = services_.dir().file("other-ca");
  ASSERT_EQ(xacbe({"ca", "--dir", other, "init", "--subject", "C=MX,O=Other,CN=Other Root"}).exit_code, 0);
  const CommandResult r = server("collect", {"--ca", other + "/ca.pem"});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_TRUE(contains(r.output, "does not chain to the given CA")) << r.output;
  EXPECT_FALSE(exists("auth.pem"));
}

TEST_F(CliServerTest, ReportsADeclinedRequestAndInstallsNothing) {
  ok("init", {"--id", kServer});
  const std::string id = request_id(ok("register", {"--address", "127.0.0.1:5500"}));
  decide(id, "decline", {{"reason", "the member did not confirm the key"}});
  EXPECT_TRUE(contains(ok("collect"), "auth request " + id + ": declined"));
  EXPECT_FALSE(exists("auth.pem"));
  EXPECT_TRUE(contains(ok("status"), "request auth " + id + " declined"));
  EXPECT_TRUE(contains(ok("collect"), "no request is waiting"));
}

struct Refusal {
  const char* name;
  std::string command;
  std::vector<std::string> args;
  int exit_code;
  std::string message;
};

TEST_F(CliServerTest, RefusesWithExitCodeAndClearMessage) {
  const std::vector<Refusal> uninitialised = {
      {"bad server id", "init", {"--id", "QROO/FED/PGJ"}, 2, "QROO/FED/PGJ"},
      {"lower-case member class", "init", {"--id", "QROO/fed/PGJ/SS1"}, 2, "invalid member class 'fed'"},
      {"unknown key type", "init", {"--id", kServer, "--key-type", "dsa"}, 1, "xacbe: INVALID_ARGUMENT: "},
      {"register before init", "register", {"--address", "127.0.0.1:5500"}, 1, "xacbe: NOT_FOUND: "},
  };
  for (const auto& c : uninitialised) {
    SCOPED_TRACE(c.name);
    const CommandResult r = server(c.command, c.args);
    EXPECT_EQ(r.exit_code, c.exit_code) << r.output;
    EXPECT_TRUE(contains(r.output, c.message)) << r.output;
  }
  EXPECT_FALSE(exists("auth.key"));
  const CommandResult no_directory = xacbe({"server", "status", "--dir", services_.dir().file("nowhere")});
  EXPECT_EQ(no_directory.exit_code, 1) << no_directory.output;
  EXPECT_TRUE(contains(no_directory.output, "xacbe: NOT_FOUND: ")) << no_directory.output;

  ok("init", {"--id", kServer});
  const std::vector<Refusal> initialised = {
      {"address without a port", "register", {"--address", "ss1.pgj.qroo.gob.mx"}, 2, "is not host:port"},
      {"address with a bad port", "register", {"--address", "127.0.0.1:70000"}, 2, "is not host:port"},
      {"country not ISO 3166", "register", {"--address", "127.0.0.1:5500", "--country", "Mexico"}, 2, "'Mexico'"},
      {"bad version", "register", {"--address", "127.0.0.1:5500", "--software-version", "1.02"}, 2, "1.02"},
      {"https without its root",
       "register",
       {"--address", "127.0.0.1:5500", "--registry", "https://127.0.0.1:1"},
       2,
       "--ca"},
      {"submit-csr without auth.pem",
       "submit-csr",
       {"--usage", "sign"},
       1,
       "xacbe: FAILED_PRECONDITION: " + file("auth.pem") + " is not installed"},
      {"unknown usage", "submit-csr", {"--usage", "tls"}, 2, "tls"},
      {"register-client without auth.pem",
       "register-client",
       {"--client", "QROO/MUN/OPB"},
       1,
       "xacbe: FAILED_PRECONDITION: "},
      {"bad client id", "register-client", {"--client", "QROO/MUN"}, 2, "QROO/MUN"},
      {"registry down",
       "register",
       {"--address", "127.0.0.1:5500", "--registry", "http://127.0.0.1:1"},
       1,
       "xacbe: UNAVAILABLE: register-server not accepted by http://127.0.0.1:1"},
  };
  for (const auto& c : initialised) {
    SCOPED_TRACE(c.name);
    const CommandResult r = server(c.command, c.args);
    EXPECT_EQ(r.exit_code, c.exit_code) << r.output;
    EXPECT_TRUE(contains(r.output, c.message)) << r.output;
  }
  // None of them reached the registry or recorded a request.
  EXPECT_TRUE(registry_.get("/api/v1/management-requests").json["requests"].empty());
  EXPECT_FALSE(exists("requests"));

  // The registry's own refusals: a server id of a member it has not admitted, a server id edited
  // into something that is not one.
  ASSERT_TRUE(write_file_atomic(file("server-id"), "QROO/FED/NOBODY/SS1\n").is_ok());
  CommandResult r = server("register", {"--address", "127.0.0.1:5500"});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_TRUE(contains(r.output, "xacbe: NOT_FOUND: register-server not accepted by " + registry_.url())) << r.output;
  ASSERT_TRUE(write_file_atomic(file("server-id"), "QROO/FED/PGJ\n").is_ok());
  r = server("register", {"--address", "127.0.0.1:5500"});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_TRUE(contains(r.output, "xacbe: INVALID_ARGUMENT: " + file("server-id"))) << r.output;
  EXPECT_FALSE(exists("requests"));
}

}  // namespace
}  // namespace xacbe::testing
