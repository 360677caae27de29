// "xacbe registry ..." against the real xacbe-central-registry on a loopback port, as an operator
// uses it: the membership workflow and its audit trail, notifications and incidents, a member's
// records, servers and releases, the configuration anchor, HTTPS with the CEIQROO root, and the
// refusals with their exit codes (1: refused by the registry, unreachable, no token; 2: usage,
// including a malformed id, which is refused before anything is sent).

#include <gtest/gtest.h>

#include <algorithm>
#include <csignal>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/e2e/registry_process.hpp"
#include "support/e2e/trust_services.hpp"

namespace xacbe::testing {
namespace {

using Json = nlohmann::json;

const std::string kMember = "QROO/FED/PGJ";

void write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + path);
}

using Token = RegistryProcess::Token;

std::vector<std::string> with(std::vector<std::string> args, const std::vector<std::string>& more) {
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

class CliRegistryTest : public ::testing::Test {
 protected:
  void SetUp() override { registry_.start(); }

  // The CLI with `args`, $XACBE_TOKEN removed from its environment unless `environment` sets it
  // (e.g. {"XACBE_TOKEN=..."}).
  static CommandResult xacbe(const std::vector<std::string>& args, const std::vector<std::string>& environment = {}) {
    std::vector<std::string> argv = {"env", "-u", "XACBE_TOKEN"};
    argv.insert(argv.end(), environment.begin(), environment.end());
    argv.push_back(XACBE_CLI_BIN);
    argv.insert(argv.end(), args.begin(), args.end());
    return run_command(argv);
  }

  // "xacbe registry --url <this registry> --token-file <token_file> <args>".
  CommandResult registry(const std::vector<std::string>& args, const std::string& token_file) const {
    std::vector<std::string> argv = {"registry", "--url", registry_.url(), "--token-file", token_file};
    argv.insert(argv.end(), args.begin(), args.end());
    return xacbe(argv);
  }

  // A command expected to succeed: its output is the API's JSON and nothing else.
  Json ok(const std::vector<std::string>& args, const Token& as) const {
    const CommandResult r = registry(args, as.file);
    EXPECT_EQ(r.exit_code, 0) << r.output;
    Json j = Json::parse(r.output, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.output;
    return j;
  }

  // Submits and admits an application for `member`; returns the application id.
  std::string admit(const std::string& member) {
    const std::string file = services_.dir().file("application.json");
    write_text(file, application_for(member).dump(2));
    const Json submitted = ok({"application", "submit", "--file", file}, admin_);
    std::string id = std::to_string(submitted.value("id", std::int64_t{-1}));
    EXPECT_EQ(ok({"application", "admit", id}, admin_).value("decision", ""), "admitted");
    return id;
  }

  std::string last_audit_id() const {
    const Json entries = ok({"audit", "--limit", "10000"}, auditor_)["entries"];
    return entries.empty() ? "0" : std::to_string(entries.back()["id"].get<std::int64_t>());
  }

  TrustServices services_{{XACBE_CLI_BIN, XACBE_TSA_BIN, XACBE_OCSP_BIN}};
  RegistryProcess registry_{services_, XACBE_REGISTRY_BIN};
  const Token& admin_ = registry_.admin();
  const Token& auditor_ = registry_.auditor();
};

TEST_F(CliRegistryTest, DrivesTheMembershipWorkflowAndTheAuditShowsWhoActed) {
  const std::string start = last_audit_id();
  const std::string file = services_.dir().file("application.json");
  write_text(file, application_for(kMember).dump(2));
  const Json submitted = ok({"application", "submit", "--file", file}, admin_);
  EXPECT_EQ(submitted["member"], kMember);
  EXPECT_TRUE(submitted["decision"].is_null());
  const std::string id = std::to_string(submitted["id"].get<std::int64_t>());

  const Json undecided = ok({"applications", "--undecided"}, auditor_);
  ASSERT_EQ(undecided["applications"].size(), 1u) << undecided;
  EXPECT_EQ(ok({"application", "show", id}, auditor_)["member"], kMember);

  EXPECT_EQ(ok({"application", "admit", id}, admin_)["decision"], "admitted");
  EXPECT_TRUE(ok({"applications", "--undecided"}, auditor_)["applications"].empty());
  EXPECT_EQ(ok({"member", "suspend", kMember, "--reason", "unauthorised access attempts"}, admin_)["state"],
            "suspended");
  EXPECT_EQ(ok({"members", "--state", "suspended"}, auditor_)["members"].size(), 1u);
  EXPECT_EQ(ok({"member", "reactivate", kMember, "--reason", "violation remedied"}, admin_)["state"], "active");

  // The token from the environment instead of a file, and the connection options after the
  // subcommand.
  const CommandResult shown =
      xacbe({"registry", "member", "show", kMember, "--url", registry_.url()}, {"XACBE_TOKEN=" + auditor_.secret});
  ASSERT_EQ(shown.exit_code, 0) << shown.output;
  const Json member = Json::parse(shown.output);
  EXPECT_EQ(member["state"], "active");
  EXPECT_EQ(member["name"], "Fiscalía General del Estado de Quintana Roo");
  EXPECT_TRUE(member["certificates"].is_array());

  const Json entries = ok({"audit", "--after", start}, auditor_)["entries"];
  std::vector<std::string> actions;
  for (const auto& e : entries) {
    SCOPED_TRACE(e.dump());
    EXPECT_EQ(e["actor"], "admin");
    EXPECT_TRUE(e["success"].get<bool>());
    actions.push_back(e["action"]);
  }
  EXPECT_EQ(actions, (std::vector<std::string>{"member.apply", "member.admit", "member.suspend", "member.reactivate"}));
  EXPECT_EQ(ok({"audit", "--after", start, "--limit", "1"}, auditor_)["entries"].size(), 1u);
}

TEST_F(CliRegistryTest, TerminatesAMemberOnItsRequest) {
  admit(kMember);
  const Json member = ok({"member", "terminate", kMember, "--basis", "member-request"}, admin_);
  EXPECT_EQ(member["state"], "terminating") << member;
  EXPECT_TRUE(member.contains("termination_effective")) << member;
  EXPECT_TRUE(ok({"terminations", "complete"}, admin_)["terminated"].empty());
}

TEST_F(CliRegistryTest, RejectsAnApplicationWithAReason) {
  const std::string file = services_.dir().file("application.json");
  write_text(file, application_for("QROO/MUN/OPB").dump());
  const std::string id =
      std::to_string(ok({"application", "submit", "--file", file}, admin_)["id"].get<std::int64_t>());
  const Json rejected =
      ok({"application", "reject", id, "--reason", "requirements-not-met", "--comment", "no agreement"}, admin_);
  EXPECT_EQ(rejected["decision"], "rejected");
  EXPECT_EQ(rejected["rejection_reason"], "requirements-not-met");
  EXPECT_EQ(rejected["comment"], "no agreement");
}

TEST_F(CliRegistryTest, SendsNotificationsAndFollowsIncidents) {
  admit(kMember);
  const std::string body = services_.dir().file("notice.txt");
  write_text(body, "El servicio de sellado de tiempo cambiará de dirección.\n");
  const Json sent = ok({"notify", "--kind", "planned-change", "--subject", "Cambio de TSA", "--body-file", body,
                        "--effective", "2030-01-07", "--member", kMember},
                       admin_);
  EXPECT_EQ(sent["body"], "El servicio de sellado de tiempo cambiará de dirección.\n");
  ASSERT_EQ(sent["deliveries"].size(), 1u) << sent;
  const std::string notification = std::to_string(sent["id"].get<std::int64_t>());
  const Json acknowledged = ok({"acknowledge", notification, "--member", kMember}, admin_);
  EXPECT_EQ(acknowledged["deliveries"][0]["acknowledgement"]["by"], "admin") << acknowledged;
  EXPECT_EQ(ok({"notifications", "--member", kMember}, auditor_)["notifications"].size(), 1u);
  EXPECT_EQ(ok({"notify", "--kind", "planned-change", "--subject", "Aviso", "--body-file", body, "--effective",
                "2030-01-07", "--all-active"},
               admin_)["deliveries"]
                .size(),
            1u);

  const Json reported = ok({"incident", "report", "--member", kMember, "--severity", "high", "--description",
                            "credential stuffing against the security server", "--occurred-at", "2026-03-01T12:00:00Z"},
                           admin_);
  EXPECT_EQ(reported["state"], "open") << reported;
  const std::string incident = std::to_string(reported["id"].get<std::int64_t>());
  ok({"incident", "follow-up", incident, "--text", "passwords rotated", "--close"}, admin_);
  const Json incidents = ok({"incidents", "--member", kMember}, auditor_)["incidents"];
  ASSERT_EQ(incidents.size(), 1u);
  EXPECT_EQ(incidents[0]["state"], "closed") << incidents;
  EXPECT_EQ(incidents[0]["follow_ups"][0]["text"], "passwords rotated");
}

// A member's contacts: corrected from the command line, the correction kept and audited, and a
// delivery that is not failed is neither retried nor cancelled (the SMTP server here never
// answers, so every delivery stays pending).
TEST_F(CliRegistryTest, CorrectsAContactAndRefusesToRetryADeliveryThatHasNotFailed) {
  admit(kMember);
  const std::string start = last_audit_id();
  const Json before = ok({"member", "contacts", kMember}, auditor_);
  EXPECT_EQ(before["liaison"]["email"], "enlace@fgeqroo.gob.mx") << before;
  EXPECT_TRUE(before["changes"].empty()) << before;

  const Json corrected = ok({"member", "correct-contact", kMember, "--role", "liaison", "--name", "Unidad de enlace",
                             "--email", "avisos@fgeqroo.gob.mx", "--reason", "oficio FGE/123/2026"},
                            admin_);
  EXPECT_EQ(corrected["liaison"]["email"], "avisos@fgeqroo.gob.mx") << corrected;
  EXPECT_EQ(corrected["liaison"]["phone"], "") << corrected;
  ASSERT_EQ(corrected["changes"].size(), 1u) << corrected;
  EXPECT_EQ(corrected["changes"][0]["role"], "liaison");
  EXPECT_EQ(corrected["changes"][0]["by"], "admin");
  EXPECT_EQ(corrected["changes"][0]["before"]["email"], "enlace@fgeqroo.gob.mx");
  EXPECT_EQ(ok({"member", "show", kMember}, auditor_)["liaison"]["email"], "avisos@fgeqroo.gob.mx");
  ok({"member", "correct-contact", kMember, "--role", "administrator", "--name", "Luisa May", "--email",
      "luisa.may@fgeqroo.gob.mx", "--phone", "+52 983 000 0003", "--reason", "cambio de administradora"},
     admin_);
  EXPECT_EQ(ok({"member", "contacts", kMember}, auditor_)["changes"].size(), 2u);

  // The address the mailer refuses, refused at the door with the field and the reason.
  const CommandResult refused = registry({"member", "correct-contact", kMember, "--role", "liaison", "--name", "Enlace",
                                          "--email", "ñandú@example.mx", "--reason", "r"},
                                         admin_.file);
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_TRUE(contains(refused.output,
                       "xacbe: INVALID_ARGUMENT: 'liaison.email' cannot receive mail: the e-mail "
                       "address is not ASCII"))
      << refused.output;

  const std::string body = services_.dir().file("notice.txt");
  write_text(body, "texto");
  const Json sent = ok({"notify", "--kind", "planned-change", "--subject", "Aviso", "--body-file", body, "--effective",
                        "2030-01-07", "--member", kMember},
                       admin_);
  ASSERT_EQ(sent["deliveries"].size(), 1u) << sent;
  EXPECT_EQ(sent["deliveries"][0]["email"], "avisos@fgeqroo.gob.mx") << sent;
  EXPECT_EQ(sent["deliveries"][0]["state"], "pending") << sent;
  const std::string id = std::to_string(sent["id"].get<std::int64_t>());
  const CommandResult retry = registry({"delivery", "retry", id, "--member", kMember}, admin_.file);
  EXPECT_EQ(retry.exit_code, 1);
  EXPECT_TRUE(contains(retry.output, "xacbe: FAILED_PRECONDITION: the delivery of notification " + id + " to " +
                                         kMember + " is pending"))
      << retry.output;
  const CommandResult cancel =
      registry({"delivery", "cancel", id, "--member", kMember, "--reason", "avisado por oficio"}, admin_.file);
  EXPECT_EQ(cancel.exit_code, 1);
  EXPECT_TRUE(contains(cancel.output, "xacbe: FAILED_PRECONDITION: ")) << cancel.output;
  const CommandResult elsewhere = registry({"delivery", "retry", id, "--member", "QROO/EST/OTRO"}, admin_.file);
  EXPECT_EQ(elsewhere.exit_code, 1);
  EXPECT_TRUE(contains(elsewhere.output, "xacbe: NOT_FOUND: notification " + id + " was not sent to QROO/EST/OTRO"))
      << elsewhere.output;

  std::vector<std::string> actions;
  const Json entries = ok({"audit", "--after", start}, auditor_)["entries"];
  for (const auto& e : entries) {
    actions.push_back(e["action"].get<std::string>() + (e["success"].get<bool>() ? "" : " (refused)"));
  }
  EXPECT_EQ(actions, (std::vector<std::string>{"member.contacts", "member.contacts", "member.contacts (refused)",
                                               "notification.announce", "notification.retry (refused)",
                                               "notification.cancel (refused)", "notification.retry (refused)"}));
}

TEST_F(CliRegistryTest, AuditorTokenIsRefusedAWrite) {
  admit(kMember);
  const CommandResult r = registry({"member", "suspend", kMember, "--reason", "test"}, auditor_.file);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.output.rfind("xacbe: PERMISSION_DENIED: ", 0), 0u) << r.output;
  EXPECT_EQ(ok({"member", "show", kMember}, auditor_)["state"], "active");
  const Json last = ok({"audit"}, auditor_)["entries"].back();
  EXPECT_EQ(last["actor"], "auditor");
  EXPECT_FALSE(last["success"].get<bool>());
}

TEST_F(CliRegistryTest, KeepsAMembersRecordsAndPrintsTheAnchorVerbatim) {
  // The registry publishes a global configuration, and so has an anchor, only with this section;
  // it makes the signing key and certificate itself.
  registry_.publish_globalconf();
  registry_.start();
  const std::string provider = "QROO/MUN/OPB";
  admit(kMember);
  admit(provider);

  EXPECT_EQ(ok({"subsystem", "add", provider, "--code", "PADRON"}, admin_)["id"], provider + "/PADRON");
  EXPECT_EQ(ok({"subsystem", "add", kMember, "--code", "CARPETAS"}, admin_)["subsystem_code"], "CARPETAS");
  ok({"subsystem", "add", kMember, "--code", "ARCHIVO"}, admin_);
  ok({"subsystem", "remove", kMember, "--code", "ARCHIVO"}, admin_);
  const Json subsystems = ok({"subsystems", kMember}, auditor_)["subsystems"];
  ASSERT_EQ(subsystems.size(), 2u) << subsystems;  // the removed one keeps its record

  const Json user = ok(
      {"user", "add", kMember, "--name", "Luis May Chan", "--email", "luis.may@fgeqroo.gob.mx", "--role", "operator"},
      admin_);
  EXPECT_EQ(user["role"], "operator") << user;
  const std::string user_id = std::to_string(user["id"].get<std::int64_t>());
  ok({"user", "revoke", kMember, "--id", user_id}, admin_);
  const Json users = ok({"users", kMember}, auditor_)["users"];
  ASSERT_EQ(users.size(), 1u) << users;
  EXPECT_EQ(users[0]["email"], "luis.may@fgeqroo.gob.mx");

  const Json usage = ok({"usage", "declare", kMember, "--client-subsystem", "CARPETAS", "--service",
                         provider + "/PADRON/consulta", "--purpose", "verificar domicilios"},
                        admin_);
  EXPECT_EQ(usage["service"], provider + "/PADRON/consulta") << usage;
  EXPECT_EQ(usage["purpose"], "verificar domicilios");
  ok({"usage", "withdraw", kMember, "--id", std::to_string(usage["id"].get<std::int64_t>())}, admin_);
  EXPECT_EQ(ok({"usages", kMember}, auditor_)["service_usages"].size(), 1u);

  // What the registry serves, byte for byte: compact JSON, not pretty-printed, nothing added.
  const CommandResult anchor = registry({"anchor"}, auditor_.file);
  ASSERT_EQ(anchor.exit_code, 0) << anchor.output;
  const Json parsed = Json::parse(anchor.output, nullptr, false);
  ASSERT_FALSE(parsed.is_discarded()) << anchor.output;
  EXPECT_EQ(anchor.output, parsed.dump());
  EXPECT_EQ(parsed["instance"], "QROO");
  EXPECT_TRUE(contains(parsed.value("ca_certificate", ""), "BEGIN CERTIFICATE")) << parsed;
}

TEST_F(CliRegistryTest, ListsServersRequestsAndReleases) {
  EXPECT_TRUE(ok({"servers"}, auditor_)["servers"].empty());
  EXPECT_TRUE(ok({"requests", "--state", "pending"}, auditor_)["requests"].empty());
  EXPECT_TRUE(ok({"releases"}, auditor_)["releases"].empty());
  const Json added = ok({"release", "add", "--version", "1.4.0", "--published-at", "2026-02-01T10:00:00Z"}, admin_);
  EXPECT_EQ(added["version"], "1.4.0") << added;
  const Json releases = ok({"releases"}, auditor_)["releases"];
  ASSERT_EQ(releases.size(), 1u) << releases;
  EXPECT_EQ(releases[0]["version"], "1.4.0");
}

struct Refusal {
  const char* name;
  std::vector<std::string> args;  // after "registry --url <registry>" (or "registry" when they give --url)
  int exit_code;
  std::string message;
};

TEST_F(CliRegistryTest, RefusesWithExitCodeAndClearMessage) {
  const std::string decided = admit(kMember);
  const std::string wrong_token = services_.dir().file("wrong.token");
  write_text(wrong_token, std::string(64, 'a') + "\n");
  const std::string not_a_token = services_.dir().file("not-a-token");
  write_text(not_a_token, "token abc\ntoken_sha256 def\n");
  const std::string missing = services_.dir().file("missing.token");
  const std::string body = services_.dir().file("notice.txt");
  write_text(body, "texto");
  const std::string& admin = admin_.file;
  const std::vector<std::string> notify = {"--token-file", admin, "notify",      "--kind",    "planned-change",
                                           "--subject",    "s",   "--effective", "2030-01-07"};
  const std::vector<Refusal> before_sending = {
      {"token file missing", {"--token-file", missing, "members"}, 1, "xacbe: NOT_FOUND: cannot open " + missing},
      {"no token at all",
       {"members"},
       1,
       "xacbe: INVALID_ARGUMENT: no API token: give --token-file or set XACBE_TOKEN"},
      {"token file not a token", {"--token-file", not_a_token, "members"}, 1, "does not hold one bearer token"},
      {"bad member id",
       {"--token-file", admin, "member", "suspend", "QROO/fed/PGJ", "--reason", "r"},
       2,
       "invalid member class 'fed' in 'QROO/fed/PGJ'"},
      {"member id too short", {"--token-file", admin, "member", "show", "QROO/FED"}, 2, "QROO/FED"},
      {"dot-dot member code",
       {"--token-file", admin, "member", "reactivate", "QROO/FED/..", "--reason", "r"},
       2,
       "QROO/FED/.."},
      {"bad member id in a list", with(notify, {"--body-file", body, "--member", kMember, "QROO/FED/a b"}), 2,
       "QROO/FED/a b"},
      {"application id not a number", {"--token-file", admin, "application", "admit", "1x"}, 2, "'1x' is not a number"},
      {"unknown basis", {"--token-file", admin, "member", "terminate", kMember, "--basis", "whim"}, 2, "whim"},
      {"no audience", with(notify, {"--body-file", body}), 2, "--all-active"},
      {"two audiences", with(notify, {"--body-file", body, "--all-active", "--member", kMember}), 2, "--all-active"},
      {"body file missing", with(notify, {"--body-file", missing, "--all-active"}), 1, "cannot open " + missing},
      {"https without its root", {"--token-file", admin, "--url", "https://127.0.0.1:1", "members"}, 2, "--ca-file"},
      {"url with a query", {"--token-file", admin, "--url", "http://127.0.0.1:1/?x=1", "members"}, 2, "query"},
      {"server id without its server code",
       {"--token-file", admin, "server", "allow-foreign-hosting", "QROO/FED/PGJ", "--reference", "r"},
       2,
       "QROO/FED/PGJ"},
      {"dot-dot subsystem code", {"--token-file", admin, "subsystem", "remove", kMember, "--code", ".."}, 2, "'..'"},
      {"service id without a service",
       {"--token-file", admin, "usage", "declare", kMember, "--client-subsystem", "C", "--service", "QROO/FED/PGJ",
        "--purpose", "p"},
       2,
       "QROO/FED/PGJ"},
      {"request id not a number", {"--token-file", admin, "request", "approve", "-1"}, 2, "'-1' is not a number"},
      {"unknown contact role",
       {"--token-file", admin, "member", "correct-contact", kMember, "--role", "boss", "--name", "n", "--email",
        "a@b.mx", "--reason", "r"},
       2,
       "boss"},
      {"contact correction without a reason",
       {"--token-file", admin, "member", "correct-contact", kMember, "--role", "liaison", "--name", "n", "--email",
        "a@b.mx"},
       2,
       "--reason"},
      {"delivery of a malformed member",
       {"--token-file", admin, "delivery", "retry", "1", "--member", "QROO/FED"},
       2,
       "QROO/FED"},
      {"delivery cancel without a reason",
       {"--token-file", admin, "delivery", "cancel", "1", "--member", kMember},
       2,
       "--reason"},
      {"delivery of a notification id that is not a number",
       {"--token-file", admin, "delivery", "retry", "x1", "--member", kMember},
       2,
       "'x1' is not a number"},
  };
  const std::vector<Refusal> by_registry = {
      {"unknown token", {"--token-file", wrong_token, "members"}, 1, "xacbe: UNAUTHENTICATED: "},
      {"unknown member", {"--token-file", admin, "member", "show", "QROO/FED/NOBODY"}, 1, "xacbe: NOT_FOUND: "},
      {"other instance",
       {"--token-file", admin, "member", "suspend", "QROO-TEST/FED/PGJ", "--reason", "r"},
       1,
       "xacbe: INVALID_ARGUMENT: "},
      // Percent-encoded on the way: the registry names the state as it was given.
      {"unknown state",
       {"--token-file", admin, "members", "--state", "asleep & dreaming"},
       1,
       "xacbe: INVALID_ARGUMENT: unknown member state 'asleep & dreaming'"},
      {"already decided", {"--token-file", admin, "application", "admit", decided}, 1, "xacbe: FAILED_PRECONDITION: "},
      {"notice too short",
       {"--token-file", admin, "member", "terminate", kMember, "--basis", "ceiqroo-notice", "--effective", "2000-01-01",
        "--reason", "r"},
       1,
       "xacbe: FAILED_PRECONDITION: "},
      {"unknown request", {"--token-file", admin, "request", "show", "999"}, 1, "xacbe: NOT_FOUND: "},
      {"unknown user", {"--token-file", admin, "user", "revoke", kMember, "--id", "999"}, 1, "xacbe: NOT_FOUND: "},
  };
  const auto check = [this](const Refusal& c) {
    SCOPED_TRACE(c.name);
    const bool own_url = std::find(c.args.begin(), c.args.end(), "--url") != c.args.end();
    const std::vector<std::string> prefix =
        own_url ? std::vector<std::string>{"registry"} : std::vector<std::string>{"registry", "--url", registry_.url()};
    const CommandResult r = xacbe(with(prefix, c.args));
    EXPECT_EQ(r.exit_code, c.exit_code) << r.output;
    EXPECT_TRUE(contains(r.output, c.message)) << r.output;
    EXPECT_FALSE(contains(r.output, admin_.secret)) << r.output;
  };
  const std::string audited = last_audit_id();
  for (const auto& c : before_sending) check(c);
  // None of them reached the registry, which audits every refused write.
  EXPECT_EQ(last_audit_id(), audited);
  for (const auto& c : by_registry) check(c);
}

TEST_F(CliRegistryTest, ReportsARegistryThatIsDown) {
  ASSERT_EQ(ok({"members"}, auditor_)["members"].size(), 0u);
  registry_.stop(SIGTERM);
  const CommandResult r = registry({"members"}, auditor_.file);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(contains(r.output, "xacbe: UNAVAILABLE: no answer from the registry at " + registry_.url())) << r.output;
}

TEST_F(CliRegistryTest, TalksHttpsTrustingOnlyTheGivenRoot) {
  services_.issue("service", "registry-tls", {"--ip", "127.0.0.1", "--dns", "localhost"});
  registry_.config()["listen"]["tls"] = {{"certificate", "registry-tls.pem"}, {"key", "registry-tls.key"}};
  registry_.start();
  ASSERT_EQ(registry_.url().rfind("https://", 0), 0u);
  const Json members = ok({"--ca-file", services_.root_pem(), "members"}, auditor_);
  EXPECT_TRUE(members["members"].is_array()) << members;

  // A root the registry's certificate does not chain to.
  const std::string other = services_.dir().file("other-ca");
  const CommandResult init = xacbe({"ca", "--dir", other, "init", "--subject", "C=MX,O=Other,CN=Other Root"});
  ASSERT_EQ(init.exit_code, 0) << init.output;
  const CommandResult r = registry({"--ca-file", other + "/ca.pem", "members"}, auditor_.file);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(contains(r.output, "xacbe: UNAVAILABLE: no answer from the registry at " + registry_.url())) << r.output;
  EXPECT_TRUE(contains(r.output, "TLS handshake")) << r.output;
}

// Any certificate of the CEIQROO CA is not enough to receive the administrator's token: a member's
// authentication certificate (serverAuth, no subjectAltName) posing as the registry is refused
// before the request is sent.
TEST_F(CliRegistryTest, RefusesAServerWhoseCertificateDoesNotNameTheRegistryAddress) {
  services_.issue("auth", "impostor-tls");
  registry_.config()["listen"]["tls"] = {{"certificate", "impostor-tls.pem"}, {"key", "impostor-tls.key"}};
  registry_.start();
  const CommandResult r = registry({"--ca-file", services_.root_pem(), "members"}, auditor_.file);
  EXPECT_EQ(r.exit_code, 1);
  // Refused in the TLS handshake, before the request (and its token) is written.
  EXPECT_TRUE(contains(r.output, "PERMISSION_DENIED")) << r.output;
  EXPECT_TRUE(contains(r.output, "not valid for 127.0.0.1")) << r.output;
}

}  // namespace
}  // namespace xacbe::testing
