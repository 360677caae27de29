// Notification mail from the real xacbe-central-registry to a real SMTP server (aiosmtpd) on
// loopback: announced through the admin API, held in the outbox while the SMTP server is down
// (the API shows the pending deliveries and their last error), delivered once it is up, one
// message per member's liaison, then acknowledged; a notification with too little notice is
// refused and mails nothing; and a delivery the SMTP server refuses fails alone, is retried after
// the liaison's address is corrected and arrives there (docs/protocol/notifications.md).

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "support/e2e/registry_process.hpp"
#include "support/e2e/trust_services.hpp"
#include "support/smtp_server.hpp"
#include "xacbe/calendar/business_calendar.hpp"
#include "xacbe/calendar/notice_rule.hpp"
#include "xacbe/net/http_client.hpp"

namespace xacbe::testing {
namespace {

using Json = nlohmann::json;
using namespace std::chrono_literals;

struct Liaison {
  std::string member;
  std::string email;
};

const Liaison kFge{"QROO/EST/FGE", "enlace@fge.qroo.gob.mx"};
const Liaison kPgj{"QROO/FED/PGJ", "enlace@pgj.gob.mx"};

using Reply = RegistryProcess::Reply;

Json application_for(const Liaison& l) {
  return {{"member", l.member},
          {"member_name", "Miembro " + l.member},
          {"agreement_reference", "CEIQROO/CC/2026/017"},
          {"responsible", {{"name", "Ana Pérez Canul"}, {"email", "ana.perez@example.gob.mx"}, {"phone", "+52 983 1"}}},
          {"administrator", {{"name", "Luis May Chan"}, {"email", "luis.may@example.gob.mx"}, {"phone", "+52 983 2"}}},
          {"liaison", {{"name", "Mesa de enlace"}, {"email", l.email}}},
          {"security",
           {{"integrity", "Signed messages"},
            {"traceability", "Message log"},
            {"confidentiality", "Mutual TLS"},
            {"availability", "Two nodes"}}}};
}

// Polls `done` every 100 ms until it holds or `limit` passes; returns whether it held.
bool eventually(const std::function<bool()>& done, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(100ms);
  }
  return true;
}

class RegistryMailTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Json& config = registry_.config();
    config["listen"]["body_limit"] = 65536;
    // Nobody listens on the port until a test starts the SMTP server there.
    config["registry"]["smtp"] = {{"url", "smtp://127.0.0.1:" + std::to_string(smtp_port_)},
                                  {"from", "notificaciones@ceiqroo.example.mx"},
                                  {"retry_check_seconds", 1},
                                  {"retry_initial_seconds", 1},
                                  {"retry_max_seconds", 2}};
    config["registry"]["users"].erase("auditor");
    registry_.start();
  }

  Reply call(const std::string& method, const std::string& target, const std::string& body = {}) {
    return registry_.call(method, target, body);
  }
  Reply post(const std::string& target, const Json& body) { return registry_.post(target, body); }

  void admit(const Liaison& l) {
    const Reply applied = post("/api/v1/applications", application_for(l));
    ASSERT_EQ(applied.status, 201) << applied.http.body;
    const Reply admitted =
        call("POST", "/api/v1/applications/" + std::to_string(applied.json.value("id", 0)) + "/admit");
    ASSERT_EQ(admitted.status, 200) << admitted.http.body;
  }

  static Json announcement(const std::string& subject, const std::string& effective) {
    return {{"kind", "extraordinary-change"},
            {"subject", subject},
            {"body", "Se sustituye el certificado raíz de pruebas.\nNo se requiere acción."},
            {"effective", effective},
            {"audience", "all-active"}};
  }

  // Announces an extraordinary change effective tomorrow (America/Cancun), which never gives the
  // five business days it needs: the refusal names the earliest allowed effective date, returned.
  std::string earliest_effective_date() {
    const auto today = calendar::local_date(std::chrono::system_clock::now());
    const std::string tomorrow =
        calendar::format_date(calendar::Date{std::chrono::sys_days{today} + std::chrono::days{1}});
    const Reply refused = post("/api/v1/notifications", announcement("Demasiado pronto", tomorrow));
    EXPECT_EQ(refused.status, 409) << refused.http.body;
    EXPECT_EQ(refused.json["error"].value("code", ""), "FAILED_PRECONDITION") << refused.http.body;
    EXPECT_NE(refused.message().find("extraordinary-change notice must be given at least 5 business days"),
              std::string::npos)
        << refused.http.body;
    static const std::regex kEarliest(R"(the earliest allowed effective date is (\d{4}-\d{2}-\d{2}))");
    std::smatch m;
    const std::string message = refused.message();
    if (!std::regex_search(message, m, kEarliest)) {
      ADD_FAILURE() << "no earliest date in: " << refused.http.body;
      return {};
    }
    EXPECT_GT(std::string(m[1]), tomorrow);
    return m[1];
  }

  Json notification(std::int64_t id) {
    const Reply r = call("GET", "/api/v1/notifications/" + std::to_string(id));
    EXPECT_EQ(r.status, 200) << r.http.body;
    return r.json;
  }

  static bool all_deliveries(const Json& n, const std::function<bool(const Json&)>& holds) {
    if (!n.contains("deliveries") || n["deliveries"].size() != 2) return false;
    for (const auto& d : n["deliveries"]) {
      if (!holds(d)) return false;
    }
    return true;
  }

  TrustServices services_{{XACBE_CLI_BIN, XACBE_TSA_BIN, XACBE_OCSP_BIN}};
  const unsigned smtp_port_ = free_port();
  RegistryProcess registry_{services_, XACBE_REGISTRY_BIN};
};

TEST_F(RegistryMailTest, HoldsNotificationMailWhileSmtpIsDownThenDeliversItToEachLiaison) {
  admit(kFge);
  admit(kPgj);
  const std::string effective = earliest_effective_date();
  ASSERT_FALSE(effective.empty());
  const Reply announced =
      post("/api/v1/notifications", announcement("Cambio extraordinario: raíz de pruebas", effective));
  ASSERT_EQ(announced.status, 201) << announced.http.body;
  const std::int64_t id = announced.json["id"];
  EXPECT_EQ(announced.json["effective"], effective);

  // No SMTP server yet: each delivery stays pending and says why.
  ASSERT_TRUE(eventually(
      [&] {
        return all_deliveries(notification(id), [](const Json& d) {
          return d["state"] == "pending" && d["attempts"].get<int>() >= 1 && d.contains("last_error");
        });
      },
      15s))
      << notification(id).dump(2);
  const Json waiting = notification(id);
  for (const auto& d : waiting["deliveries"]) {
    EXPECT_NE(d["last_error"].get<std::string>(), "") << d.dump();
    EXPECT_FALSE(d.contains("mailed_at")) << d.dump();
  }

  // The outbox retries (every one to two seconds here) until the server is up.
  SmtpServer smtp(services_.dir(), smtp_port_);
  Json mails;
  ASSERT_TRUE(eventually(
      [&] {
        mails = smtp.mails();
        return mails.size() == 2 &&
               all_deliveries(notification(id), [](const Json& d) { return d["state"] == "sent"; });
      },
      30s))
      << mails.dump(2) << "\n"
      << notification(id).dump(2);

  const Json sent = notification(id);
  std::map<std::string, Json> by_address;
  for (const auto& mail : mails) by_address[mail["to"].get<std::string>()] = mail;
  for (const auto& d : sent["deliveries"]) {
    const std::string member = d["member"], email = d["email"];
    SCOPED_TRACE(member);
    EXPECT_EQ(email, member == kFge.member ? kFge.email : kPgj.email);
    EXPECT_TRUE(d.contains("mailed_at")) << d.dump();
    ASSERT_TRUE(by_address.count(email)) << mails.dump(2);
    const Json& mail = by_address[email];
    EXPECT_EQ(mail["rcpt_to"], email);  // one liaison per message
    EXPECT_EQ(mail["from"], "CEIQROO <notificaciones@ceiqroo.example.mx>");
    EXPECT_EQ(mail["subject"], "Cambio extraordinario: raíz de pruebas");
    EXPECT_EQ(mail["message_id"], "<" + d["message_id"].get<std::string>() + ">");
    const std::string body = mail["body"];
    EXPECT_NE(body.find("Se sustituye el certificado raíz de pruebas.\nNo se requiere acción.\n"), std::string::npos)
        << body;
    EXPECT_NE(body.find("Aviso del CEIQROO núm. " + std::to_string(id) + ": cambio extraordinario"), std::string::npos)
        << body;
    EXPECT_NE(body.find("Entra en vigor: " + effective), std::string::npos) << body;
    EXPECT_NE(body.find("Miembro: " + member), std::string::npos) << body;
  }

  // One member acknowledges; the other's delivery stays unacknowledged.
  const Reply acknowledged =
      post("/api/v1/notifications/" + std::to_string(id) + "/acknowledgements", {{"member", kPgj.member}});
  ASSERT_EQ(acknowledged.status, 200) << acknowledged.http.body;
  for (const auto& d : acknowledged.json["deliveries"]) {
    if (d["member"] == kPgj.member) {
      EXPECT_EQ(d["acknowledgement"]["by"], "admin") << d.dump();
    } else {
      EXPECT_FALSE(d.contains("acknowledgement")) << d.dump();
    }
  }
  EXPECT_EQ(post("/api/v1/notifications/" + std::to_string(id) + "/acknowledgements", {{"member", kPgj.member}}).status,
            409);
  const Reply for_member = call("GET", "/api/v1/notifications?member=" + kPgj.member);
  ASSERT_EQ(for_member.status, 200) << for_member.http.body;
  ASSERT_EQ(for_member.json["notifications"].size(), 1u);
  ASSERT_EQ(for_member.json["notifications"][0]["deliveries"].size(), 1u);
  EXPECT_TRUE(for_member.json["notifications"][0]["deliveries"][0].contains("acknowledgement"));
}

TEST_F(RegistryMailTest, RefusesShortNoticeAndMailsNothing) {
  SmtpServer smtp(services_.dir(), smtp_port_);
  admit(kFge);
  admit(kPgj);
  const std::string effective = earliest_effective_date();  // refused: 409, nothing stored
  ASSERT_FALSE(effective.empty());
  const Reply listed = call("GET", "/api/v1/notifications");
  ASSERT_EQ(listed.status, 200) << listed.http.body;
  EXPECT_TRUE(listed.json["notifications"].empty()) << listed.http.body;

  // The outbox sends oldest first: once a notification announced after the refusals has arrived,
  // anything the refusals had queued would have arrived before it.
  const Reply announced = post("/api/v1/notifications", announcement("Aviso con anticipación", effective));
  ASSERT_EQ(announced.status, 201) << announced.http.body;
  Json mails;
  ASSERT_TRUE(eventually(
      [&] {
        mails = smtp.mails();
        return mails.size() >= 2;
      },
      30s))
      << mails.dump(2);
  EXPECT_EQ(mails.size(), 2u) << mails.dump(2);
  std::set<std::string> recipients;
  for (const auto& mail : mails) {
    EXPECT_EQ(mail["subject"], "Aviso con anticipación");
    recipients.insert(mail["to"].get<std::string>());
  }
  EXPECT_EQ(recipients, (std::set<std::string>{kFge.email, kPgj.email}));
}

// The SMTP server refuses one liaison for good (550 to RCPT TO): that delivery fails alone, with
// the server's reason, while the other is delivered. An administrator corrects the liaison's
// address and retries: the message goes to the new address under a new Message-ID, the failed
// attempt stays on record, and what is done is audited. A delivered one is not retried again.
TEST_F(RegistryMailTest, RetriesAFailedDeliveryToTheCorrectedAddress) {
  SmtpServer smtp(services_.dir(), smtp_port_, /*rejecting=*/true);
  const Liaison refused{kFge.member, "nobody@fge.qroo.gob.mx"};
  admit(refused);
  admit(kPgj);
  const std::string effective = earliest_effective_date();
  ASSERT_FALSE(effective.empty());
  const Reply announced = post("/api/v1/notifications", announcement("Cambio extraordinario", effective));
  ASSERT_EQ(announced.status, 201) << announced.http.body;
  const std::int64_t id = announced.json["id"];
  const std::string delivery = "/api/v1/notifications/" + std::to_string(id) + "/deliveries/" + kFge.member;
  auto state_of = [](const Json& n, const std::string& member) {
    for (const auto& d : n["deliveries"]) {
      if (d["member"] == member) return d;
    }
    return Json::object();
  };
  ASSERT_TRUE(eventually(
      [&] {
        const Json n = notification(id);
        return state_of(n, kFge.member).value("state", "") == "failed" &&
               state_of(n, kPgj.member).value("state", "") == "sent";
      },
      30s))
      << notification(id).dump(2);
  const Json failed = state_of(notification(id), kFge.member);
  EXPECT_EQ(failed["last_error"].get<std::string>().rfind("PERMISSION_DENIED", 0), 0u) << failed.dump();

  // Retrying to the same address would fail again: correct it first.
  const Reply corrected =
      post("/api/v1/members/" + kFge.member + "/contacts",
           {{"liaison", {{"name", "Mesa de enlace"}, {"email", kFge.email}}}, {"reason", "buzón dado de baja"}});
  ASSERT_EQ(corrected.status, 200) << corrected.http.body;
  EXPECT_EQ(corrected.json["liaison"]["email"], kFge.email);
  ASSERT_EQ(corrected.json["changes"].size(), 1u) << corrected.http.body;
  EXPECT_EQ(corrected.json["changes"][0]["before"]["email"], refused.email);

  const Reply retried = call("POST", delivery + "/retry");
  ASSERT_EQ(retried.status, 200) << retried.http.body;
  const Json pending = state_of(retried.json, kFge.member);
  EXPECT_EQ(pending["email"], kFge.email) << pending.dump();
  EXPECT_NE(pending["message_id"], failed["message_id"]) << pending.dump();
  ASSERT_EQ(pending["retries"].size(), 1u) << pending.dump();
  EXPECT_EQ(pending["retries"][0]["email"], refused.email);
  EXPECT_EQ(pending["retries"][0]["message_id"], failed["message_id"]);
  EXPECT_EQ(pending["retries"][0]["error"], failed["last_error"]);
  EXPECT_EQ(pending["retries"][0]["by"], "admin");

  Json mails;
  ASSERT_TRUE(eventually(
      [&] {
        mails = smtp.mails();
        return mails.size() == 2 && state_of(notification(id), kFge.member).value("state", "") == "sent";
      },
      30s))
      << mails.dump(2) << "\n"
      << notification(id).dump(2);
  const Json sent = state_of(notification(id), kFge.member);
  std::set<std::string> recipients;
  for (const auto& mail : mails) {
    recipients.insert(mail["to"].get<std::string>());
    if (mail["to"] == kFge.email) {
      EXPECT_EQ(mail["message_id"], "<" + sent["message_id"].get<std::string>() + ">");
      EXPECT_NE(mail["body"].get<std::string>().find("Miembro: " + kFge.member), std::string::npos);
    }
  }
  EXPECT_EQ(recipients, (std::set<std::string>{kFge.email, kPgj.email}));

  // Delivered: neither retried nor cancelled again; the refusals say why.
  const Reply again = call("POST", delivery + "/retry");
  EXPECT_EQ(again.status, 409) << again.http.body;
  EXPECT_EQ(again.code(), "FAILED_PRECONDITION");
  EXPECT_NE(again.message().find("was delivered at"), std::string::npos) << again.http.body;
  const Reply cancelled = post(delivery + "/cancel", {{"reason", "ya no hace falta"}});
  EXPECT_EQ(cancelled.status, 409) << cancelled.http.body;
  EXPECT_EQ(state_of(notification(id), kFge.member)["state"], "sent");

  std::vector<std::string> actions;
  const Reply audit = call("GET", "/api/v1/audit?limit=10000");
  for (const auto& e : audit.json["entries"]) {
    const std::string action = e["action"];
    if (action == "member.contacts" || action.rfind("notification.", 0) == 0) {
      actions.push_back(action + (e["success"].get<bool>() ? "" : " (refused)"));
    }
  }
  EXPECT_EQ(actions, (std::vector<std::string>{"notification.announce (refused)", "notification.announce",
                                               "member.contacts", "notification.retry", "notification.retry (refused)",
                                               "notification.cancel (refused)"}));
}

}  // namespace
}  // namespace xacbe::testing
