#include "update_rule.hpp"

#include <gtest/gtest.h>

#include <memory>

#include "configuration_publisher.hpp"
#include "schema.hpp"
#include "support/test_pki.hpp"
#include "xacbe/crypto/csr.hpp"
#include "xacbe/management/management_request.hpp"
#include "xacbe/store/database.hpp"

namespace xacbe::registry {
namespace {

using namespace std::chrono;

// 2026-11-23 (Monday) 15:00 UTC = 10:00 in Cancún.
const TimePoint kMonday = sys_days{year{2026} / November / 23} + hours(15);
const char* kCalendar = R"({"time_zone": "America/Cancun", "rules": [], "dates": []})";
const char* kSender = "avisos@ceiqroo.example";

class UpdateRuleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    calendar_ = std::make_unique<calendar::BusinessCalendar>(calendar::BusinessCalendar::parse(kCalendar).value());
    db_ = store::Database::open(pki_.dir().file("registry.db")).value();
    ASSERT_TRUE(migrate_schema(*db_).is_ok());
    mail::SmtpSettings smtp;
    smtp.url = "smtp://127.0.0.1:1";  // nothing is delivered here: the outbox is what the test reads
    smtp.from = kSender;
    outbox_ = mail::Outbox::create(store::Database::open(pki_.dir().file("registry.db")).value(), smtp, clock_)
                  .value();
    membership_ = std::make_unique<Membership>(*db_, clock_, *calendar_, "QROO", &pki_.ca());
    servers_ = std::make_unique<SecurityServers>(*db_, clock_, *membership_, pki_.ca(), SecurityServerSettings{});
    admit("QROO/EST/FGE", "enlace@fge.example.gob.mx");
    register_server("QROO/EST/FGE/SS1", "1.9.0");
  }

  UpdateRule rule(UpdateRuleSettings settings = {}) {
    return UpdateRule(*db_, clock_, *membership_, *servers_, *outbox_, kSender, settings);
  }

  void admit(const std::string& member, const std::string& liaison) {
    Application a{id::MemberId::parse(member).value(), "Fiscalía General del Estado", "CONV-1",
                  {"Ana", "ana@fge.example.gob.mx", "983"}, {"Luis", "luis@fge.example.gob.mx", "983"},
                  {"Enlace", liaison, ""}, {"a", "b", "c", "d"}};
    auto id = membership_->apply("maria", a);
    ASSERT_TRUE(id.is_ok()) << id.status().to_string();
    ASSERT_TRUE(membership_->admit("maria", *id).is_ok());
  }

  // A bootstrap register-server, approved.
  void register_server(const std::string& server, const std::string& version) {
    const auto id = id::SecurityServerId::parse(server).value();
    auto key = crypto::PrivateKey::generate(crypto::KeyType::kEcP256).value();
    auto csr = crypto::CertificateRequest::create(key, {{"CN", "x"}}).value();
    auto request = management::make_register_server(id, floor<seconds>(clock_.now()), "ss1.example.gob.mx:5500", "MX",
                                                    version, std::move(csr));
    auto signed_request = management::sign_bootstrap_request(request, key, clock_.now());
    ASSERT_TRUE(signed_request.is_ok()) << signed_request.status().to_string();
    auto pending = servers_->submit(signed_request->request, signed_request->signature);
    ASSERT_TRUE(pending.is_ok()) << pending.status().to_string();
    ASSERT_TRUE(servers_->approve("maria", pending->id).is_ok());
  }

  std::vector<mail::OutboxEntry> mail() { return outbox_->list(mail::OutboxState::kPending).value(); }
  std::vector<AuditEntry> audited(const std::string& action) {
    std::vector<AuditEntry> out;
    auto entries = membership_->audit().list(0, 10000).value();
    for (auto& e : entries) {
      if (e.action == action) out.push_back(std::move(e));
    }
    return out;
  }

  ManualClock clock_{kMonday};
  xacbe::testing::TestPki pki_{clock_};
  std::unique_ptr<calendar::BusinessCalendar> calendar_;
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<mail::Outbox> outbox_;
  std::unique_ptr<Membership> membership_;
  std::unique_ptr<SecurityServers> servers_;
};

TEST_F(UpdateRuleTest, RemindsBeforeTheDeadlineAndTellsWhenItHasPassedEachOnce) {
  // Published Monday 2026-11-23 10:00 in Cancún: the deadline is 2027-01-23 10:00 there.
  ASSERT_TRUE(servers_->record_release("maria", "1.10.0", kMonday).is_ok());
  const TimePoint deadline = update_deadline(kMonday);
  ASSERT_EQ(deadline, sys_days{year{2027} / January / 23} + hours(15));
  UpdateRule r = rule();
  EXPECT_EQ(r.notify_due().value(), 0);  // two months ahead: nothing yet
  clock_.advance(deadline - hours(14 * 24) - seconds(1) - clock_.now());
  EXPECT_EQ(r.notify_due().value(), 0);
  clock_.advance(seconds(1));  // 14 days before
  EXPECT_EQ(r.notify_due().value(), 1);
  EXPECT_EQ(r.notify_due().value(), 0);  // once
  ASSERT_EQ(mail().size(), 1u);
  const mail::Message reminder = mail()[0].message;
  EXPECT_EQ(reminder.to, std::vector<std::string>{"enlace@fge.example.gob.mx"});
  EXPECT_EQ(reminder.subject, "Xacbe: actualice el servidor de seguridad QROO/EST/FGE/SS1 antes del 2027-01-23");
  EXPECT_NE(reminder.body.find("ejecuta la versión 1.9.0"), std::string::npos) << reminder.body;
  EXPECT_NE(reminder.body.find("figura como desactualizado"), std::string::npos) << reminder.body;
  ASSERT_EQ(audited("server.update-reminder").size(), 1u);
  EXPECT_EQ(audited("server.update-reminder")[0].target, "QROO/EST/FGE/SS1");
  EXPECT_EQ(audited("server.update-reminder")[0].actor, "system");

  // A second registry process (a restart) sends nothing again.
  UpdateRule restarted = rule();
  EXPECT_EQ(restarted.notify_due().value(), 0);
  clock_.advance(deadline - clock_.now());
  EXPECT_TRUE(servers_->server(id::SecurityServerId::parse("QROO/EST/FGE/SS1").value())->outdated);
  EXPECT_EQ(restarted.notify_due().value(), 1);
  EXPECT_EQ(restarted.notify_due().value(), 0);
  ASSERT_EQ(mail().size(), 2u);
  EXPECT_EQ(mail()[1].message.subject, "Xacbe: el servidor de seguridad QROO/EST/FGE/SS1 está desactualizado");
  EXPECT_EQ(audited("server.outdated").size(), 1u);

  // Updated: nothing more, and a later release starts a new cycle.
  ASSERT_TRUE(servers_->report_version(id::SecurityServerId::parse("QROO/EST/FGE/SS1").value(), "1.10.0").is_ok());
  clock_.advance(hours(24 * 30));
  EXPECT_EQ(restarted.notify_due().value(), 0);
  EXPECT_EQ(mail().size(), 2u);
}

TEST_F(UpdateRuleTest, AServerFirstSeenPastItsDeadlineGetsOnlyTheOutdatedNotice) {
  ASSERT_TRUE(servers_->record_release("maria", "1.10.0", kMonday - hours(24 * 90)).is_ok());
  ASSERT_TRUE(servers_->record_release("maria", "2.0", kMonday - hours(24 * 10)).is_ok());
  EXPECT_EQ(rule().notify_due().value(), 1);
  ASSERT_EQ(mail().size(), 1u);
  // The release it breaks first is the one the notice names.
  EXPECT_NE(mail()[0].message.body.find("La versión 1.10.0"), std::string::npos) << mail()[0].message.body;
  EXPECT_TRUE(audited("server.update-reminder").empty());
}

TEST_F(UpdateRuleTest, ALiaisonAddressMailRefusesFailsAloneAndIsAuditedOnce) {
  admit("QROO/MUN/OPB", "enlace@opb.example.gob.mx");
  register_server("QROO/MUN/OPB/SS1", "1.0");
  // An address an older registry let in, which the mailer refuses.
  ASSERT_TRUE(db_->exec("UPDATE member SET liaison_email = 'ñandú@example.mx' WHERE id = 'QROO/EST/FGE'").is_ok());
  ASSERT_TRUE(servers_->record_release("maria", "1.10.0", kMonday - hours(24 * 90)).is_ok());
  UpdateRule r = rule();
  auto first = r.notify_due();
  ASSERT_FALSE(first.is_ok());
  EXPECT_EQ(first.status().code(), Code::kInvalidArgument);
  ASSERT_EQ(mail().size(), 1u);  // the other member's notice went
  EXPECT_EQ(mail()[0].message.to, std::vector<std::string>{"enlace@opb.example.gob.mx"});
  (void)r.notify_due();
  const auto refusals = audited("server.outdated");
  ASSERT_EQ(refusals.size(), 2u);  // OPB's success and one refusal for FGE, not one per run
  int refused = 0;
  for (const auto& e : refusals) refused += e.success ? 0 : 1;
  EXPECT_EQ(refused, 1);
}

TEST_F(UpdateRuleTest, PastTheDeadlineTheSettingDecidesWhetherTheServerLeavesTheConfiguration) {
  auto ocsp = pki_.issue(ca::Profile::kOcspResponder, "OCSP");
  auto tsa = pki_.issue(ca::Profile::kTimestamping, "TSA");
  auto signer = pki_.issue(ca::Profile::kSigning, "signer");
  auto publisher = [&](bool leave) {
    PublisherSettings s;
    s.instance = "QROO";
    s.download_url = "http://127.0.0.1:8880/globalconf/QROO";
    s.ocsp_urls = {"http://127.0.0.1:8891/"};
    s.ocsp_responder_certificates = {ocsp.cert};
    s.tsa_url = "http://127.0.0.1:8890/";
    s.tsa_certificate = tsa.cert;
    s.leave_outdated_servers = leave;
    return ConfigurationPublisher::create(*db_, clock_, *membership_, *servers_, pki_.root(),
                                          crypto::PrivateKey::from_pem(signer.key.to_pem()).value(), signer.cert, s)
        .value();
  };
  auto servers_in = [&](ConfigurationPublisher& p) {
    auto anchor = globalconf::ConfigurationAnchor::from_json(p.anchor_json()).value();
    auto doc = globalconf::verify(p.current().value(), anchor, clock_, 0).value();
    return doc.content().security_servers.size();
  };
  ASSERT_TRUE(servers_->record_release("maria", "1.10.0", kMonday - hours(24 * 59)).is_ok());
  EXPECT_EQ(servers_in(*publisher(true)), 1u);  // deadline not yet passed
  clock_.advance(hours(24 * 3));  // the deadline (2026-11-25) has passed
  EXPECT_EQ(servers_in(*publisher(false)), 1u);  // flag only
  EXPECT_EQ(servers_in(*publisher(true)), 0u);   // leaves the configuration
  ASSERT_TRUE(servers_->report_version(id::SecurityServerId::parse("QROO/EST/FGE/SS1").value(), "1.10.0").is_ok());
  EXPECT_EQ(servers_in(*publisher(true)), 1u);  // back once it reports a current version
}

}  // namespace
}  // namespace xacbe::registry
