#include "notifications.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "member_records.hpp"
#include "schema.hpp"
#include "support/smtp_server.hpp"
#include "support/temp_dir.hpp"
#include "xacbe/store/database.hpp"

namespace xacbe::registry {
namespace {

using namespace std::chrono;
using namespace std::chrono_literals;
using calendar::Date;
using calendar::NoticeKind;
using xacbe::testing::free_port;
using xacbe::testing::SmtpServer;
using xacbe::testing::TempDir;

// 2026-11-23 (Monday) 15:00 UTC = 10:00 in Cancún.
const TimePoint kMonday = sys_days{year{2026} / November / 23} + hours(15);

// Monday 16 November 2026 is the third Monday (Revolución); Tuesday 24 is a CEIQROO non-working day.
const char* kCalendar = R"({"time_zone": "America/Cancun",
  "rules": [{"name": "Día de la Revolución", "month": 11, "weekday": "monday", "nth": 3},
            {"name": "Navidad", "month": 12, "day": 25}],
  "dates": [{"date": "2026-11-24", "name": "Día inhábil CEIQROO"}]})";

const std::string kFge = "QROO/EST/FGE";
const std::string kSefiplan = "QROO/EST/SEFIPLAN";
const std::string kFgeLiaison = "enlace@fge.qroo.gob.mx";
const std::string kSefiplanLiaison = "enlace@sefiplan.qroo.gob.mx";

id::MemberId member_id(const std::string& text) {
  return id::MemberId::parse(text).value();
}
Date date(int y, unsigned m, unsigned d) {
  return Date{year{y}, month{m}, day{d}};
}

Application application_for(const std::string& member, const std::string& liaison) {
  return {member_id(member),
          "Dependencia " + member,
          "CONV-CEIQROO-2026-014",
          {"Ana Pérez", "ana.perez@qroo.gob.mx", "+52 983 000 0001"},
          {"Luis Chan", "luis.chan@qroo.gob.mx", "+52 983 000 0002"},
          {"Mesa de enlace", liaison, ""},
          {"firmas y sumas de verificación", "bitácora de consultas", "cifrado TLS y control de acceso",
           "servidor redundante"}};
}

class NotificationsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto cal = calendar::BusinessCalendar::parse(kCalendar);
    ASSERT_TRUE(cal.is_ok()) << cal.status().to_string();
    calendar_ = std::make_unique<calendar::BusinessCalendar>(std::move(cal).value());
    auto db = store::Database::open(registry_path_);
    ASSERT_TRUE(db.is_ok()) << db.status().to_string();
    db_ = std::move(db).value();
    ASSERT_TRUE(migrate_schema(*db_).is_ok());
    membership_ = std::make_unique<Membership>(*db_, clock_, *calendar_, "QROO", nullptr);
    records_ = std::make_unique<MemberRecords>(*db_, clock_, *membership_);
    ASSERT_NO_FATAL_FAILURE(open(registry_path_));  // the outbox lives in the registry's file
  }

  // (Re)opens the outbox on `outbox_path` and a Notifications over it, as at start-up.
  void open(const std::string& outbox_path, int busy_timeout_ms = 5000) {
    notifications_.reset();
    outbox_.reset();
    store::OpenOptions options;
    options.busy_timeout_ms = busy_timeout_ms;
    auto outbox_db = store::Database::open(outbox_path, options);
    ASSERT_TRUE(outbox_db.is_ok()) << outbox_db.status().to_string();
    mail::SmtpSettings smtp;
    smtp.url = "smtp://127.0.0.1:" + std::to_string(port_);
    smtp.from = "avisos@ceiqroo.example";
    smtp.connect_timeout = 5s;
    smtp.total_timeout = 20s;
    auto outbox = mail::Outbox::create(std::move(outbox_db).value(), smtp, clock_);
    ASSERT_TRUE(outbox.is_ok()) << outbox.status().to_string();
    outbox_ = std::move(outbox).value();
    auto n = Notifications::create(*db_, clock_, *calendar_, *membership_, *outbox_, smtp.from);
    ASSERT_TRUE(n.is_ok()) << n.status().to_string();
    notifications_ = std::make_unique<Notifications>(std::move(n).value());
  }

  void admit(const std::string& member, const std::string& liaison) {
    auto id = membership_->apply("ceiqroo-admin", application_for(member, liaison));
    ASSERT_TRUE(id.is_ok()) << id.status().to_string();
    ASSERT_TRUE(membership_->admit("ceiqroo-admin", *id).is_ok());
  }

  void admit_two() {
    ASSERT_NO_FATAL_FAILURE(admit(kFge, kFgeLiaison));
    ASSERT_NO_FATAL_FAILURE(admit(kSefiplan, kSefiplanLiaison));
  }

  static Announcement maintenance(Audience audience = Audience::all_active()) {
    return {NoticeKind::kPlannedChange, "Mantenimiento programado de la plataforma",
            "El 15 de diciembre de 2026, de 22:00 a 23:59, no habrá servicio.\nAtentamente,\nCEIQROO",
            date(2026, 12, 15), std::move(audience)};
  }

  std::int64_t announced(const Announcement& a = maintenance()) {
    auto id = notifications_->announce("maria", a);
    EXPECT_TRUE(id.is_ok()) << id.status().to_string();
    return id.is_ok() ? *id : 0;
  }

  // `rejecting`: 550 to RCPT TO for local parts starting with "nobody" (support/smtp_server.hpp).
  void start_smtp_server(bool rejecting = false) { smtp_ = std::make_unique<SmtpServer>(dir_, port_, rejecting); }

  // Runs one delivery pass and returns how many messages the server accepted.
  int deliver() {
    auto report = outbox_->deliver_due();
    EXPECT_TRUE(report.is_ok()) << report.status().to_string();
    return report.is_ok() ? report->sent : -1;
  }

  std::vector<AuditEntry> audit_entries() {
    auto audit = membership_->audit().list();
    EXPECT_TRUE(audit.is_ok());
    return audit.is_ok() ? *audit : std::vector<AuditEntry>{};
  }

  TempDir dir_;
  const std::string registry_path_ = dir_.file("registry.db");
  const unsigned port_ = free_port();
  ManualClock clock_{kMonday};
  std::unique_ptr<calendar::BusinessCalendar> calendar_;
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<Membership> membership_;
  std::unique_ptr<MemberRecords> records_;
  std::unique_ptr<mail::Outbox> outbox_;
  std::unique_ptr<Notifications> notifications_;
  std::unique_ptr<SmtpServer> smtp_;
};

TEST_F(NotificationsTest, RefusesLessNoticeThanTheKindRequiresAndAcceptsExactlyTheMinimum) {
  ASSERT_NO_FATAL_FAILURE(admit(kFge, kFgeLiaison));
  // Sent Monday 2026-11-23. Earliest effective dates on the test calendar (the 24th is a holiday).
  struct Row {
    NoticeKind kind;
    Date earliest;
  };
  const Row rows[] = {
      {NoticeKind::kPlannedChange, date(2026, 12, 15)},       // 15 business days: 25..27, 30, 1..4, 7..11, 14, 15
      {NoticeKind::kExtraordinaryChange, date(2026, 12, 1)},  // 5 business days: 25, 26, 27, 30, 1
      {NoticeKind::kProtocolChange, date(2026, 12, 23)},      // one month
      {NoticeKind::kTermination, date(2026, 11, 28)},         // 5 calendar days, holidays included
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(std::string(calendar::notice_kind_name(row.kind)));
    Announcement a = maintenance(Audience::members({member_id(kFge)}));
    a.kind = row.kind;
    a.effective = Date{sys_days{row.earliest} - days{1}};
    auto short_notice = notifications_->announce("maria", a);
    ASSERT_FALSE(short_notice.is_ok());
    EXPECT_EQ(short_notice.status().code(), Code::kFailedPrecondition);
    EXPECT_NE(short_notice.status().message().find("earliest allowed effective date is " +
                                                   calendar::format_date(row.earliest)),
              std::string::npos)
        << short_notice.status().to_string();
    a.effective = row.earliest;
    auto at_limit = notifications_->announce("maria", a);
    EXPECT_TRUE(at_limit.is_ok()) << at_limit.status().to_string();
  }
  EXPECT_EQ(notifications_->list()->size(), std::size(rows));
}

TEST_F(NotificationsTest, RefusesBadTextAndAudiencesAndStoresNothing) {
  ASSERT_NO_FATAL_FAILURE(admit_two());
  ASSERT_TRUE(membership_->apply("ceiqroo-admin", application_for("QROO/MUN/OPB", "enlace@opb.gob.mx")).is_ok());
  ASSERT_NO_FATAL_FAILURE(admit("QROO/MUN/BJ", "enlace@bj.gob.mx"));
  ASSERT_TRUE(membership_->suspend("maria", member_id("QROO/MUN/BJ"), "incumplimiento").is_ok());
  const std::size_t audit_before = audit_entries().size();
  struct Case {
    const char* name;
    std::function<void(Announcement&)> spoil;
    Code code;
  };
  const Case cases[] = {
      {"empty subject", [](Announcement& a) { a.subject.clear(); }, Code::kInvalidArgument},
      {"empty body", [](Announcement& a) { a.body.clear(); }, Code::kInvalidArgument},
      {"line break in subject", [](Announcement& a) { a.subject += "\r\nBcc: x@y.mx"; }, Code::kInvalidArgument},
      {"bell in subject", [](Announcement& a) { a.subject += "\x07"; }, Code::kInvalidArgument},
      {"escape in body", [](Announcement& a) { a.body += "\x1b[2J"; }, Code::kInvalidArgument},
      {"subject not UTF-8", [](Announcement& a) { a.subject += "\xff"; }, Code::kInvalidArgument},
      {"subject too long", [](Announcement& a) { a.subject = std::string(251, 'a'); }, Code::kInvalidArgument},
      {"invalid effective date", [](Announcement& a) { a.effective = date(2026, 2, 30); }, Code::kInvalidArgument},
      {"empty audience list", [](Announcement& a) { a.audience = Audience::members({}); }, Code::kInvalidArgument},
      {"member named twice",
       [](Announcement& a) {
         a.audience = Audience::members({member_id(kFge), member_id(kFge)});
       },
       Code::kInvalidArgument},
      {"termination to all members",
       [](Announcement& a) {
         a.kind = NoticeKind::kTermination;
         a.audience = Audience::all_active();
       },
       Code::kInvalidArgument},
      {"unknown member",
       [](Announcement& a) {
         a.audience = Audience::members({member_id(kFge), member_id("QROO/EST/NADIE")});
       },
       Code::kNotFound},
      {"pending member", [](Announcement& a) { a.audience = Audience::members({member_id("QROO/MUN/OPB")}); },
       Code::kFailedPrecondition},
      {"suspended member", [](Announcement& a) { a.audience = Audience::members({member_id("QROO/MUN/BJ")}); },
       Code::kFailedPrecondition},
      {"one day short", [](Announcement& a) { a.effective = date(2026, 12, 14); }, Code::kFailedPrecondition},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Announcement a = maintenance();
    c.spoil(a);
    auto r = notifications_->announce("maria", a);
    ASSERT_FALSE(r.is_ok());
    EXPECT_EQ(r.status().code(), c.code) << r.status().to_string();
  }
  EXPECT_TRUE(notifications_->list()->empty());
  EXPECT_TRUE(outbox_->list(mail::OutboxState::kPending)->empty());
  const auto audit = audit_entries();
  ASSERT_EQ(audit.size(), audit_before + std::size(cases));
  for (std::size_t i = audit_before; i < audit.size(); ++i) {
    EXPECT_EQ(audit[i].action, "notification.announce");
    EXPECT_FALSE(audit[i].success);
  }
}

TEST_F(NotificationsTest, RefusesWhenNoMemberIsActive) {
  auto r = notifications_->announce("maria", maintenance());
  EXPECT_EQ(r.status().code(), Code::kFailedPrecondition) << r.status().to_string();
}

TEST_F(NotificationsTest, AllActiveMembersLeavesOutOtherStatesButATerminationReachesItsMember) {
  ASSERT_NO_FATAL_FAILURE(admit_two());
  ASSERT_TRUE(membership_->suspend("maria", member_id(kSefiplan), "incumplimiento").is_ok());
  const auto all = announced();
  auto n = notifications_->notification(all);
  ASSERT_TRUE(n.is_ok()) << n.status().to_string();
  ASSERT_EQ(n->deliveries.size(), 1u);
  EXPECT_EQ(n->deliveries[0].member, member_id(kFge));
  EXPECT_EQ(n->deliveries[0].email, kFgeLiaison);

  // The CEIQROO terminates the suspended member with notice, then announces it to that member.
  ASSERT_TRUE(
      membership_->terminate_with_notice("maria", member_id(kSefiplan), date(2026, 11, 30), "incumplimiento").is_ok());
  Announcement termination{NoticeKind::kTermination, "Terminación de la membresía",
                           "Su membresía termina el 30 de noviembre de 2026.", date(2026, 11, 30),
                           Audience::members({member_id(kSefiplan)})};
  const auto notice = announced(termination);
  n = notifications_->notification(notice);
  ASSERT_TRUE(n.is_ok());
  EXPECT_EQ(n->kind, NoticeKind::kTermination);
  ASSERT_EQ(n->deliveries.size(), 1u);
  EXPECT_EQ(n->deliveries[0].email, kSefiplanLiaison);
  // Other kinds do not go to a terminating member.
  EXPECT_EQ(notifications_->announce("maria", maintenance(Audience::members({member_id(kSefiplan)}))).status().code(),
            Code::kFailedPrecondition);
}

TEST_F(NotificationsTest, DeliversOneMailPerLiaisonWithSubjectBodyAndStableMessageId) {
  ASSERT_NO_FATAL_FAILURE(admit_two());
  ASSERT_NO_FATAL_FAILURE(start_smtp_server());
  const auto id = announced();
  EXPECT_EQ(deliver(), 2);

  auto n = notifications_->notification(id);
  ASSERT_TRUE(n.is_ok()) << n.status().to_string();
  EXPECT_EQ(n->actor, "maria");
  EXPECT_EQ(n->sent_at, kMonday);
  EXPECT_EQ(n->effective, date(2026, 12, 15));
  ASSERT_EQ(n->deliveries.size(), 2u);
  for (const Delivery& d : n->deliveries) {
    EXPECT_EQ(d.state, DeliveryState::kSent);
    EXPECT_EQ(d.attempts, 1);
    EXPECT_EQ(d.mailed_at, kMonday);
    EXPECT_TRUE(d.outbox_id.has_value());
    EXPECT_EQ(d.message_id.rfind("n" + std::to_string(id) + "." + d.member.to_string() + ".", 0), 0u) << d.message_id;
    EXPECT_NE(d.message_id.find("@ceiqroo.example"), std::string::npos);
  }

  const auto mails = smtp_->mails();
  ASSERT_EQ(mails.size(), 2u);
  std::vector<std::string> recipients;
  for (const auto& m : mails) {
    recipients.push_back(m["to"]);
    EXPECT_EQ(m["subject"], "Mantenimiento programado de la plataforma");
    const std::string body = m["body"];
    EXPECT_NE(body.find("El 15 de diciembre de 2026, de 22:00 a 23:59, no habrá servicio."), std::string::npos);
    EXPECT_NE(body.find("Aviso del CEIQROO núm. " + std::to_string(id)), std::string::npos) << body;
    EXPECT_NE(body.find("Entra en vigor: 2026-12-15 (America/Cancun)"), std::string::npos) << body;
    EXPECT_NE(body.find("aviso mínimo: 15 días hábiles"), std::string::npos) << body;
    const auto& d = m["to"] == kFgeLiaison ? n->deliveries[0] : n->deliveries[1];
    EXPECT_EQ(m["message_id"], "<" + d.message_id + ">");
    EXPECT_NE(body.find("Miembro: " + d.member.to_string()), std::string::npos) << body;
  }
  std::sort(recipients.begin(), recipients.end());
  EXPECT_EQ(recipients, (std::vector<std::string>{kFgeLiaison, kSefiplanLiaison}));
}

TEST_F(NotificationsTest, MailWaitsWhileTheSmtpServerIsDownAndArrivesOnceItIsBack) {
  ASSERT_NO_FATAL_FAILURE(admit(kFge, kFgeLiaison));
  const auto id = announced();
  EXPECT_EQ(deliver(), 0);  // nobody listens on the port
  auto n = notifications_->notification(id);
  ASSERT_TRUE(n.is_ok());
  ASSERT_EQ(n->deliveries.size(), 1u);
  EXPECT_EQ(n->deliveries[0].state, DeliveryState::kPending);
  EXPECT_EQ(n->deliveries[0].attempts, 1);
  EXPECT_EQ(n->deliveries[0].last_error.rfind("UNAVAILABLE", 0), 0u) << n->deliveries[0].last_error;

  ASSERT_NO_FATAL_FAILURE(start_smtp_server());
  clock_.advance(30s);  // the first retry is due
  EXPECT_EQ(deliver(), 1);
  clock_.advance(1h);
  EXPECT_EQ(deliver(), 0);
  EXPECT_EQ(notifications_->notification(id)->deliveries[0].state, DeliveryState::kSent);
  const auto mails = smtp_->mails();
  ASSERT_EQ(mails.size(), 1u);
  EXPECT_EQ(mails[0]["to"], kFgeLiaison);
}

TEST_F(NotificationsTest, ResumeAfterACrashBeforeEnqueueDeliversExactlyOnce) {
  ASSERT_NO_FATAL_FAILURE(admit_two());
  // The outbox in a file of its own, locked by another writer: the notification commits, the
  // enqueue fails, and then the process "dies".
  const std::string outbox_path = dir_.file("outbox.db");
  ASSERT_NO_FATAL_FAILURE(open(outbox_path, 50));
  auto locker = store::Database::open(outbox_path);
  ASSERT_TRUE(locker.is_ok());
  ASSERT_TRUE((*locker)->exec("BEGIN IMMEDIATE").is_ok());
  const auto id = announced();
  auto n = notifications_->notification(id);
  ASSERT_TRUE(n.is_ok()) << n.status().to_string();
  ASSERT_EQ(n->deliveries.size(), 2u);
  for (const Delivery& d : n->deliveries) {
    EXPECT_FALSE(d.outbox_id.has_value());
    EXPECT_EQ(d.state, DeliveryState::kPending);
  }
  EXPECT_NE(audit_entries().back().detail.find("2 e-mail(s) not yet in the outbox"), std::string::npos)
      << audit_entries().back().detail;
  ASSERT_TRUE((*locker)->exec("ROLLBACK").is_ok());

  // Restart: new outbox and notifications objects, then the start-up resume.
  ASSERT_NO_FATAL_FAILURE(open(outbox_path));
  ASSERT_NO_FATAL_FAILURE(start_smtp_server());
  auto resumed = notifications_->resume_pending_deliveries();
  ASSERT_TRUE(resumed.is_ok()) << resumed.status().to_string();
  EXPECT_EQ(*resumed, 2);
  EXPECT_EQ(*notifications_->resume_pending_deliveries(), 0);  // nothing left to do
  EXPECT_EQ(deliver(), 2);
  clock_.advance(1h);
  EXPECT_EQ(deliver(), 0);
  EXPECT_EQ(smtp_->mails().size(), 2u);
  auto after = notifications_->notification(id);
  ASSERT_TRUE(after.is_ok());
  for (const Delivery& d : after->deliveries) {
    EXPECT_EQ(d.state, DeliveryState::kSent);
  }
}

TEST_F(NotificationsTest, ResumeAfterACrashBetweenEnqueueAndRecordingItDoesNotDuplicate) {
  ASSERT_NO_FATAL_FAILURE(admit_two());
  const auto id = announced();
  // The messages reached the outbox, but the crash came before their rows recorded it.
  ASSERT_TRUE(db_->exec("UPDATE notification_delivery SET outbox_id = NULL").is_ok());
  ASSERT_NO_FATAL_FAILURE(open(registry_path_));
  auto resumed = notifications_->resume_pending_deliveries();
  ASSERT_TRUE(resumed.is_ok()) << resumed.status().to_string();
  EXPECT_EQ(*resumed, 2);
  EXPECT_EQ(outbox_->list(mail::OutboxState::kPending)->size(), 2u);
  ASSERT_NO_FATAL_FAILURE(start_smtp_server());
  EXPECT_EQ(deliver(), 2);
  EXPECT_EQ(smtp_->mails().size(), 2u);
  auto after = notifications_->notification(id);
  ASSERT_TRUE(after.is_ok());
  for (const Delivery& d : after->deliveries) {
    EXPECT_TRUE(d.outbox_id.has_value());
    EXPECT_EQ(d.state, DeliveryState::kSent);
  }
}

TEST_F(NotificationsTest, AcknowledgementIsRecordedOnceForAMemberThatReceivedTheNotification) {
  ASSERT_NO_FATAL_FAILURE(admit_two());
  const auto to_fge = announced(maintenance(Audience::members({member_id(kFge)})));
  clock_.advance(2h);
  ASSERT_TRUE(notifications_->acknowledge("server:QROO/EST/FGE/SS1", member_id(kFge), to_fge).is_ok());
  auto again = notifications_->acknowledge("luis", member_id(kFge), to_fge);
  EXPECT_EQ(again.code(), Code::kAlreadyExists);
  EXPECT_NE(again.message().find("server:QROO/EST/FGE/SS1"), std::string::npos) << again.to_string();
  EXPECT_EQ(notifications_->acknowledge("luis", member_id(kSefiplan), to_fge).code(), Code::kNotFound);
  EXPECT_EQ(notifications_->acknowledge("luis", member_id(kFge), to_fge + 100).code(), Code::kNotFound);

  auto n = notifications_->notification(to_fge);
  ASSERT_TRUE(n.is_ok());
  ASSERT_EQ(n->deliveries.size(), 1u);
  ASSERT_TRUE(n->deliveries[0].acknowledgement.has_value());
  EXPECT_EQ(n->deliveries[0].acknowledgement->by, "server:QROO/EST/FGE/SS1");
  EXPECT_EQ(n->deliveries[0].acknowledgement->at, kMonday + 2h);
}

TEST_F(NotificationsTest, ListForAMemberShowsOnlyItsNotificationsAndItsOwnDelivery) {
  ASSERT_NO_FATAL_FAILURE(admit_two());
  const auto to_fge = announced(maintenance(Audience::members({member_id(kFge)})));
  const auto to_all = announced();
  ASSERT_TRUE(notifications_->acknowledge("luis", member_id(kSefiplan), to_all).is_ok());

  auto all = notifications_->list();
  ASSERT_TRUE(all.is_ok()) << all.status().to_string();
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].id, to_fge);
  EXPECT_EQ((*all)[1].deliveries.size(), 2u);

  auto for_sefiplan = notifications_->list(member_id(kSefiplan));
  ASSERT_TRUE(for_sefiplan.is_ok());
  ASSERT_EQ(for_sefiplan->size(), 1u);
  EXPECT_EQ((*for_sefiplan)[0].id, to_all);
  ASSERT_EQ((*for_sefiplan)[0].deliveries.size(), 1u);
  EXPECT_EQ((*for_sefiplan)[0].deliveries[0].member, member_id(kSefiplan));
  EXPECT_TRUE((*for_sefiplan)[0].deliveries[0].acknowledgement.has_value());
  EXPECT_EQ(notifications_->list(member_id(kFge))->size(), 2u);
  EXPECT_EQ(notifications_->notification(to_all + 1).status().code(), Code::kNotFound);
}

TEST_F(NotificationsTest, IncidentIsReportedFollowedUpAndClosed) {
  ASSERT_NO_FATAL_FAILURE(admit_two());
  auto id = notifications_->report_incident("server:QROO/EST/FGE/SS1", member_id(kFge), IncidentSeverity::kHigh,
                                            "Acceso no autorizado a la consola del servidor de seguridad.\n"
                                            "Se bloqueó la cuenta.",
                                            kMonday - 3h);
  ASSERT_TRUE(id.is_ok()) << id.status().to_string();
  auto other = notifications_->report_incident("luis", member_id(kSefiplan), IncidentSeverity::kLow,
                                               "Escaneo de puertos", kMonday - 1h);
  ASSERT_TRUE(other.is_ok());

  clock_.advance(1h);
  ASSERT_TRUE(notifications_->add_follow_up("maria", *id, "Se revisa la bitácora.", false).is_ok());
  clock_.advance(1h);
  ASSERT_TRUE(notifications_->add_follow_up("maria", *id, "Certificado renovado; se cierra.", true).is_ok());
  EXPECT_EQ(notifications_->add_follow_up("maria", *id, "otra nota", false).code(), Code::kFailedPrecondition);
  EXPECT_EQ(notifications_->add_follow_up("maria", *id, "reabrir", true).code(), Code::kFailedPrecondition);

  auto incidents = notifications_->list_incidents(member_id(kFge));
  ASSERT_TRUE(incidents.is_ok()) << incidents.status().to_string();
  ASSERT_EQ(incidents->size(), 1u);
  const Incident& i = (*incidents)[0];
  EXPECT_EQ(i.id, *id);
  EXPECT_EQ(i.reporter, "server:QROO/EST/FGE/SS1");
  EXPECT_EQ(i.severity, IncidentSeverity::kHigh);
  EXPECT_EQ(i.occurred_at, kMonday - 3h);
  EXPECT_EQ(i.reported_at, kMonday);
  EXPECT_EQ(i.state, IncidentState::kClosed);
  EXPECT_EQ(i.closed_at, kMonday + 2h);
  ASSERT_EQ(i.follow_ups.size(), 2u);
  EXPECT_EQ(i.follow_ups[0].text, "Se revisa la bitácora.");
  EXPECT_FALSE(i.follow_ups[0].closed);
  EXPECT_TRUE(i.follow_ups[1].closed);
  EXPECT_EQ(i.follow_ups[1].at, kMonday + 2h);

  auto all = notifications_->list_incidents();
  ASSERT_TRUE(all.is_ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[1].state, IncidentState::kOpen);
  EXPECT_TRUE((*all)[1].follow_ups.empty());
}

TEST_F(NotificationsTest, RefusesBadIncidentsAndFollowUps) {
  ASSERT_NO_FATAL_FAILURE(admit(kFge, kFgeLiaison));
  ASSERT_TRUE(membership_->apply("ceiqroo-admin", application_for("QROO/MUN/OPB", "enlace@opb.gob.mx")).is_ok());
  struct Case {
    const char* name;
    std::string member;
    std::string description;
    TimePoint occurred_at;
    Code code;
  };
  const Case cases[] = {
      {"unknown member", "QROO/EST/NADIE", "fuga de datos", kMonday, Code::kNotFound},
      {"pending member", "QROO/MUN/OPB", "fuga de datos", kMonday, Code::kFailedPrecondition},
      {"no description", kFge, "", kMonday, Code::kInvalidArgument},
      {"control character", kFge, "fuga\x1b[2J", kMonday, Code::kInvalidArgument},
      {"in the future", kFge, "fuga de datos", kMonday + 1s, Code::kInvalidArgument},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto r = notifications_->report_incident("luis", member_id(c.member), IncidentSeverity::kMedium, c.description,
                                             c.occurred_at);
    ASSERT_FALSE(r.is_ok());
    EXPECT_EQ(r.status().code(), c.code) << r.status().to_string();
  }
  EXPECT_TRUE(notifications_->list_incidents()->empty());
  EXPECT_EQ(notifications_->add_follow_up("maria", 42, "nota", false).code(), Code::kNotFound);
  auto id = notifications_->report_incident("luis", member_id(kFge), IncidentSeverity::kCritical, "fuga", kMonday);
  ASSERT_TRUE(id.is_ok());
  EXPECT_EQ(notifications_->add_follow_up("maria", *id, "", true).code(), Code::kInvalidArgument);
  EXPECT_EQ(notifications_->list_incidents()->front().state, IncidentState::kOpen);
}

TEST_F(NotificationsTest, EveryOperationIsAudited) {
  ASSERT_NO_FATAL_FAILURE(admit(kFge, kFgeLiaison));
  const std::size_t before = audit_entries().size();
  const auto id = announced();
  ASSERT_TRUE(notifications_->acknowledge("luis", member_id(kFge), id).is_ok());
  EXPECT_FALSE(notifications_->acknowledge("luis", member_id(kFge), id).is_ok());
  // Nothing is left to resume: a resume with nothing to do writes no audit entry.
  ASSERT_TRUE(notifications_->resume_pending_deliveries().is_ok());
  auto incident = notifications_->report_incident("luis", member_id(kFge), IncidentSeverity::kLow, "x", kMonday);
  ASSERT_TRUE(incident.is_ok());
  ASSERT_TRUE(notifications_->add_follow_up("maria", *incident, "visto", false).is_ok());
  ASSERT_TRUE(notifications_->add_follow_up("maria", *incident, "cerrado", true).is_ok());

  const auto audit = audit_entries();
  struct Expected {
    const char* actor;
    const char* action;
    std::string target;
    bool success;
  };
  const std::string n = "notification:" + std::to_string(id);
  const std::string i = "incident:" + std::to_string(*incident);
  const Expected expected[] = {
      {"maria", "notification.announce", n, true},
      {"luis", "notification.acknowledge", n + ":" + kFge, true},
      {"luis", "notification.acknowledge", n + ":" + kFge, false},
      {"luis", "incident.report", i, true},
      {"maria", "incident.follow-up", i, true},
      {"maria", "incident.close", i, true},
  };
  ASSERT_EQ(audit.size(), before + std::size(expected));
  for (std::size_t k = 0; k < std::size(expected); ++k) {
    SCOPED_TRACE(expected[k].action);
    const AuditEntry& e = audit[before + k];
    EXPECT_EQ(e.actor, expected[k].actor);
    EXPECT_EQ(e.action, expected[k].action);
    EXPECT_EQ(e.target, expected[k].target);
    EXPECT_EQ(e.success, expected[k].success);
  }
  EXPECT_EQ(audit[before].detail, "planned-change, effective 2026-12-15, 1 member(s)");
}

// STYLE.md: a record of an action is written in the same transaction as the action. When the
// audit write fails (a trigger in the test database refuses successful entries), nothing of the
// action stands, and no mail is queued for a notification that was not stored.
TEST_F(NotificationsTest, ActionsAreRolledBackWhenTheirAuditEntryCannotBeWritten) {
  ASSERT_NO_FATAL_FAILURE(admit_two());
  const auto earlier = announced();
  auto incident = notifications_->report_incident("luis", member_id(kFge), IncidentSeverity::kLow, "x", kMonday);
  ASSERT_TRUE(incident.is_ok());
  const std::size_t queued = outbox_->list(mail::OutboxState::kPending)->size();
  ASSERT_TRUE(db_->exec("CREATE TRIGGER audit_unavailable BEFORE INSERT ON audit WHEN NEW.success = 1"
                        " BEGIN SELECT RAISE(ABORT, 'audit unavailable'); END")
                  .is_ok());

  auto refused = notifications_->announce("maria", maintenance());
  ASSERT_FALSE(refused.is_ok());
  EXPECT_NE(refused.status().message().find("audit unavailable"), std::string::npos) << refused.status().to_string();
  EXPECT_EQ(notifications_->list()->size(), 1u);
  EXPECT_EQ(outbox_->list(mail::OutboxState::kPending)->size(), queued);
  EXPECT_FALSE(notifications_->acknowledge("luis", member_id(kFge), earlier).is_ok());
  EXPECT_FALSE(notifications_->notification(earlier)->deliveries[0].acknowledgement.has_value());
  EXPECT_FALSE(notifications_->report_incident("luis", member_id(kFge), IncidentSeverity::kHigh, "y", kMonday).is_ok());
  EXPECT_FALSE(notifications_->add_follow_up("maria", *incident, "cerrado", true).is_ok());
  const auto incidents = notifications_->list_incidents().value();
  ASSERT_EQ(incidents.size(), 1u);
  EXPECT_TRUE(incidents[0].follow_ups.empty());
  EXPECT_EQ(incidents[0].state, IncidentState::kOpen);
  for (const char* action :
       {"notification.announce", "notification.acknowledge", "incident.report", "incident.close"}) {
    const auto audit = audit_entries();
    EXPECT_TRUE(std::any_of(audit.begin(), audit.end(),
                            [&](const AuditEntry& e) { return e.action == action && !e.success; }))
        << action << " is not on record as refused";
  }

  ASSERT_TRUE(db_->exec("DROP TRIGGER audit_unavailable").is_ok());
  const auto id = announced();
  EXPECT_EQ(audit_entries().back().action, "notification.announce");
  EXPECT_EQ(audit_entries().back().target, "notification:" + std::to_string(id));
  EXPECT_TRUE(audit_entries().back().success);
  EXPECT_EQ(outbox_->list(mail::OutboxState::kPending)->size(), queued + 2);
}

// ---- a delivery that cannot be made fails alone ------------------------------------------------

// A database written before the mailer's rule applied at the door holds an address the
// application then accepted; here it is put there as such a database had it.
void store_old_liaison_address(store::Database& db, const std::string& member, const std::string& email) {
  auto update = db.prepare("UPDATE member SET liaison_email=?2 WHERE id=?1");
  ASSERT_TRUE(update.is_ok());
  update->bind(1, member).bind(2, email);
  ASSERT_TRUE(update->run().is_ok());
}

const Delivery& delivery_to(const Notification& n, const std::string& member) {
  for (const Delivery& d : n.deliveries) {
    if (d.member.to_string() == member) return d;
  }
  throw std::logic_error("no delivery to " + member);
}

TEST_F(NotificationsTest, AStoredAddressTheMailerRefusesFailsAloneAndEveryOtherDeliveryIsSent) {
  ASSERT_NO_FATAL_FAILURE(admit_two());
  ASSERT_NO_FATAL_FAILURE(admit("QROO/MUN/BJ", "enlace@bj.gob.mx"));
  ASSERT_NO_FATAL_FAILURE(store_old_liaison_address(*db_, kSefiplan, "ñandú@example.mx"));
  ASSERT_NO_FATAL_FAILURE(start_smtp_server());
  // An urgent notice (five business days) to every active member, as the attack did.
  Announcement urgent{NoticeKind::kExtraordinaryChange, "Cambio extraordinario", "Se sustituye el certificado raíz.",
                      date(2026, 12, 1), Audience::all_active()};
  const auto id = announced(urgent);
  ASSERT_NE(id, 0);
  EXPECT_EQ(deliver(), 2);

  auto n = notifications_->notification(id);
  ASSERT_TRUE(n.is_ok()) << n.status().to_string();
  ASSERT_EQ(n->deliveries.size(), 3u);
  const Delivery& bad = delivery_to(*n, kSefiplan);
  EXPECT_EQ(bad.state, DeliveryState::kFailed);
  EXPECT_FALSE(bad.outbox_id.has_value());
  EXPECT_EQ(bad.attempts, 0);
  EXPECT_EQ(bad.email, "ñandú@example.mx");
  EXPECT_EQ(bad.last_error,
            "INVALID_ARGUMENT: the liaison's address cannot receive mail: the e-mail address is not ASCII "
            "(internationalised addresses cannot be mailed)");
  for (const std::string& good : {kFge, std::string("QROO/MUN/BJ")}) {
    SCOPED_TRACE(good);
    EXPECT_EQ(delivery_to(*n, good).state, DeliveryState::kSent);
  }
  std::vector<std::string> recipients;
  for (const auto& m : smtp_->mails()) recipients.push_back(m["to"]);
  std::sort(recipients.begin(), recipients.end());
  EXPECT_EQ(recipients, (std::vector<std::string>{"enlace@bj.gob.mx", kFgeLiaison}));
  EXPECT_EQ(audit_entries().back().detail,
            "extraordinary-change, effective 2026-12-01, 3 member(s); 1 delivery(ies) failed: the liaison's address "
            "cannot receive mail");

  // Nothing is left blocked: the next notice goes out too, and a resume finds nothing to do.
  const auto next = announced(maintenance(Audience::members({member_id(kFge)})));
  EXPECT_EQ(deliver(), 1);
  EXPECT_EQ(notifications_->notification(next)->deliveries[0].state, DeliveryState::kSent);
  EXPECT_EQ(*notifications_->resume_pending_deliveries(), 0);
}

// A registry database of the release before (schema 7), whose application check took an address
// the mailer refuses: upgraded in place, it notifies every member but that one, which fails alone.
TEST_F(NotificationsTest, AnUpgradedDatabaseHoldingARefusedAddressBlocksNothing) {
  const std::string old_path = dir_.file("registry-7.db");
  {
    auto old = store::Database::open(old_path);
    ASSERT_TRUE(old.is_ok()) << old.status().to_string();
    const std::vector<std::string> released(schema_migrations().begin(), schema_migrations().begin() + 7);
    ASSERT_TRUE((*old)->migrate(kSchemaModule, released, store::LegacyVersion::user_version()).is_ok());
    ASSERT_TRUE((*old)
                    ->exec("INSERT INTO member(id, name, state, liaison_name, liaison_email, state_since) VALUES"
                           " ('QROO/EST/FGE', 'FGE', 'active', 'Enlace', 'enlace@fge.qroo.gob.mx', 0),"
                           " ('QROO/EST/SEFIPLAN', 'SEFIPLAN', 'active', 'Enlace', 'ñandú@example.mx', 0)")
                    .is_ok());
  }
  notifications_.reset();
  outbox_.reset();
  records_.reset();
  membership_.reset();
  db_ = store::Database::open(old_path).value();
  ASSERT_TRUE(migrate_schema(*db_).is_ok());
  membership_ = std::make_unique<Membership>(*db_, clock_, *calendar_, "QROO", nullptr);
  ASSERT_NO_FATAL_FAILURE(open(old_path));
  ASSERT_NO_FATAL_FAILURE(start_smtp_server());
  const auto id = announced();
  EXPECT_EQ(deliver(), 1);
  const Notification n = notifications_->notification(id).value();
  EXPECT_EQ(delivery_to(n, kFge).state, DeliveryState::kSent);
  EXPECT_EQ(delivery_to(n, kSefiplan).state, DeliveryState::kFailed);
  ASSERT_EQ(smtp_->mails().size(), 1u);
  EXPECT_EQ(smtp_->mails()[0]["to"], "enlace@fge.qroo.gob.mx");
}

// A notification stored by an older registry, whose e-mail was never queued, to an address the
// outbox refuses: the resume at start-up fails that delivery alone, once, and queues the others.
TEST_F(NotificationsTest, AnOldUnqueuedDeliveryTheOutboxRefusesFailsAloneAtTheResume) {
  ASSERT_NO_FATAL_FAILURE(admit_two());
  const auto id = announced();
  ASSERT_TRUE(db_->exec("UPDATE notification_delivery SET outbox_id = NULL").is_ok());
  ASSERT_TRUE(db_->exec("DELETE FROM mail_outbox").is_ok());
  ASSERT_TRUE(
      db_->exec("UPDATE notification_delivery SET email = 'ñandú@example.mx' WHERE member_id = '" + kSefiplan + "'")
          .is_ok());
  ASSERT_NO_FATAL_FAILURE(open(registry_path_));
  auto resumed = notifications_->resume_pending_deliveries();
  ASSERT_TRUE(resumed.is_ok()) << resumed.status().to_string();
  EXPECT_EQ(*resumed, 2);
  EXPECT_EQ(*notifications_->resume_pending_deliveries(), 0);  // the failed one is not tried again
  auto n = notifications_->notification(id).value();
  EXPECT_EQ(delivery_to(n, kFge).state, DeliveryState::kPending);
  EXPECT_TRUE(delivery_to(n, kFge).outbox_id.has_value());
  const Delivery& bad = delivery_to(n, kSefiplan);
  EXPECT_EQ(bad.state, DeliveryState::kFailed);
  EXPECT_EQ(bad.last_error.rfind("INVALID_ARGUMENT: the outbox refuses the message: recipient 1: the e-mail address "
                                 "is not ASCII",
                                 0),
            0u)
      << bad.last_error;
  const auto audit = audit_entries();
  const auto resume =
      std::find_if(audit.rbegin(), audit.rend(), [](const AuditEntry& e) { return e.action == "notification.resume"; });
  ASSERT_NE(resume, audit.rend());
  EXPECT_TRUE(resume->success);
  EXPECT_EQ(resume->detail, "2 delivery(ies) settled, 1 of them failed: the outbox refuses their message");
}

TEST_F(NotificationsTest, RetryAfterTheLiaisonIsCorrectedDeliversToTheNewAddress) {
  ASSERT_NO_FATAL_FAILURE(admit_two());
  ASSERT_NO_FATAL_FAILURE(store_old_liaison_address(*db_, kSefiplan, "ñandú@example.mx"));
  ASSERT_NO_FATAL_FAILURE(start_smtp_server());
  const auto id = announced();
  EXPECT_EQ(deliver(), 1);
  const Delivery failed = delivery_to(notifications_->notification(id).value(), kSefiplan);
  ASSERT_EQ(failed.state, DeliveryState::kFailed);

  // The address is still the bad one: a retry would fail the same way, so it is refused.
  Status early = notifications_->retry_delivery("maria", id, member_id(kSefiplan));
  EXPECT_EQ(early.code(), Code::kFailedPrecondition);
  EXPECT_NE(early.message().find("correct the member's contacts first"), std::string::npos) << early.to_string();

  ContactCorrection correction;
  correction.liaison = Person{"Mesa de enlace", "nandu@sefiplan.qroo.gob.mx", ""};
  correction.reason = "dirección sin acentos (oficio 7/2026)";
  ASSERT_TRUE(records_->correct_contacts("maria", member_id(kSefiplan), correction).is_ok());
  clock_.advance(1h);
  ASSERT_TRUE(notifications_->retry_delivery("maria", id, member_id(kSefiplan)).is_ok());
  EXPECT_EQ(deliver(), 1);

  const Notification n = notifications_->notification(id).value();
  const Delivery& retried = delivery_to(n, kSefiplan);
  EXPECT_EQ(retried.state, DeliveryState::kSent);
  EXPECT_EQ(retried.email, "nandu@sefiplan.qroo.gob.mx");
  EXPECT_NE(retried.message_id, failed.message_id);
  EXPECT_NE(retried.message_id.find(".r1."), std::string::npos) << retried.message_id;
  EXPECT_TRUE(retried.last_error.empty()) << retried.last_error;
  ASSERT_EQ(retried.retries.size(), 1u);
  EXPECT_EQ(retried.retries[0].at, kMonday + 1h);
  EXPECT_EQ(retried.retries[0].by, "maria");
  EXPECT_EQ(retried.retries[0].email, "ñandú@example.mx");
  EXPECT_EQ(retried.retries[0].message_id, failed.message_id);
  EXPECT_EQ(retried.retries[0].error, failed.last_error);
  EXPECT_EQ(delivery_to(n, kFge).state, DeliveryState::kSent);  // untouched

  const auto mails = smtp_->mails();
  ASSERT_EQ(mails.size(), 2u);
  const auto& to_new = mails[0]["to"] == kFgeLiaison ? mails[1] : mails[0];
  EXPECT_EQ(to_new["to"], "nandu@sefiplan.qroo.gob.mx");
  EXPECT_EQ(to_new["message_id"], "<" + retried.message_id + ">");
  EXPECT_NE(to_new["body"].get<std::string>().find("Aviso del CEIQROO núm. " + std::to_string(id)), std::string::npos);

  const AuditEntry e = audit_entries().back();
  EXPECT_EQ(e.action, "notification.retry");
  EXPECT_EQ(e.target, "notification:" + std::to_string(id) + ":" + kSefiplan);
  EXPECT_TRUE(e.success);
  EXPECT_EQ(e.detail, "retry 1, to the liaison's new address");
}

// The SMTP server refuses the liaison for good (550 to RCPT TO): failed; after the correction a
// retry goes to the new address; and once delivered, another retry is refused.
TEST_F(NotificationsTest, RetryAfterAPermanentSmtpRefusalAndNotAgainOnceDelivered) {
  ASSERT_NO_FATAL_FAILURE(admit(kFge, "nobody@fge.qroo.gob.mx"));
  ASSERT_NO_FATAL_FAILURE(start_smtp_server(true));
  const auto id = announced();
  EXPECT_EQ(deliver(), 0);
  Delivery d = notifications_->notification(id)->deliveries.at(0);
  ASSERT_EQ(d.state, DeliveryState::kFailed);
  EXPECT_EQ(d.attempts, 1);
  EXPECT_EQ(d.last_error.rfind("PERMISSION_DENIED", 0), 0u) << d.last_error;

  // Retried to the same address (the server may have been wrong): it fails again, and is kept.
  ASSERT_TRUE(notifications_->retry_delivery("maria", id, member_id(kFge)).is_ok());
  EXPECT_EQ(audit_entries().back().detail, "retry 1, to the same address");
  EXPECT_EQ(deliver(), 0);
  d = notifications_->notification(id)->deliveries.at(0);
  ASSERT_EQ(d.state, DeliveryState::kFailed);

  ContactCorrection correction;
  correction.liaison = Person{"Mesa de enlace", kFgeLiaison, ""};
  correction.reason = "buzón dado de baja";
  ASSERT_TRUE(records_->correct_contacts("maria", member_id(kFge), correction).is_ok());
  ASSERT_TRUE(notifications_->retry_delivery("maria", id, member_id(kFge)).is_ok());
  EXPECT_EQ(deliver(), 1);
  d = notifications_->notification(id)->deliveries.at(0);
  EXPECT_EQ(d.state, DeliveryState::kSent);
  EXPECT_EQ(d.email, kFgeLiaison);
  ASSERT_EQ(d.retries.size(), 2u);
  EXPECT_EQ(d.retries[0].email, "nobody@fge.qroo.gob.mx");
  EXPECT_EQ(d.retries[1].email, "nobody@fge.qroo.gob.mx");
  EXPECT_NE(d.retries[0].message_id, d.retries[1].message_id);
  EXPECT_EQ(d.retries[1].error.rfind("PERMISSION_DENIED", 0), 0u) << d.retries[1].error;
  EXPECT_NE(d.message_id.find(".r2."), std::string::npos) << d.message_id;
  const auto mails = smtp_->mails();
  ASSERT_EQ(mails.size(), 1u);
  EXPECT_EQ(mails[0]["to"], kFgeLiaison);

  Status again = notifications_->retry_delivery("maria", id, member_id(kFge));
  EXPECT_EQ(again.code(), Code::kFailedPrecondition);
  EXPECT_NE(again.message().find("was delivered at"), std::string::npos) << again.to_string();
}

TEST_F(NotificationsTest, CancelsAFailedDeliveryForGood) {
  ASSERT_NO_FATAL_FAILURE(admit_two());
  ASSERT_NO_FATAL_FAILURE(store_old_liaison_address(*db_, kSefiplan, "ñandú@example.mx"));
  const auto id = announced();
  clock_.advance(2h);
  ASSERT_TRUE(notifications_->cancel_delivery("maria", id, member_id(kSefiplan), "el miembro ya fue avisado por oficio")
                  .is_ok());
  const Delivery d = delivery_to(notifications_->notification(id).value(), kSefiplan);
  EXPECT_EQ(d.state, DeliveryState::kCancelled);
  ASSERT_TRUE(d.cancellation.has_value());
  EXPECT_EQ(d.cancellation->at, kMonday + 2h);
  EXPECT_EQ(d.cancellation->by, "maria");
  EXPECT_EQ(d.cancellation->reason, "el miembro ya fue avisado por oficio");
  EXPECT_FALSE(d.last_error.empty());  // why it failed stays visible
  const AuditEntry e = audit_entries().back();
  EXPECT_EQ(e.action, "notification.cancel");
  EXPECT_EQ(e.target, "notification:" + std::to_string(id) + ":" + kSefiplan);
  EXPECT_TRUE(e.success);
  EXPECT_EQ(e.detail, "cancelled: el miembro ya fue avisado por oficio");
  EXPECT_EQ(*notifications_->resume_pending_deliveries(), 0);
}

// Only a failed delivery moves: every other request is refused with the reason, audited, and
// changes nothing.
TEST_F(NotificationsTest, RefusesIllegalDeliveryTransitions) {
  ASSERT_NO_FATAL_FAILURE(admit_two());
  ASSERT_NO_FATAL_FAILURE(admit("QROO/MUN/BJ", "enlace@bj.gob.mx"));
  ASSERT_NO_FATAL_FAILURE(store_old_liaison_address(*db_, kSefiplan, "ñandú@example.mx"));
  ASSERT_NO_FATAL_FAILURE(store_old_liaison_address(*db_, "QROO/MUN/BJ", "ñu@example.mx"));
  const auto id = announced();  // FGE pending (no SMTP server yet), SEFIPLAN and BJ failed
  ASSERT_TRUE(notifications_->cancel_delivery("maria", id, member_id("QROO/MUN/BJ"), "avisado por oficio").is_ok());
  ASSERT_NO_FATAL_FAILURE(start_smtp_server());
  const auto sent = announced(maintenance(Audience::members({member_id(kFge)})));
  ASSERT_EQ(deliver(), 2);  // both notifications' FGE deliveries
  const auto pending = announced(maintenance(Audience::members({member_id(kFge)})));  // not delivered yet

  struct Row {
    const char* name;
    bool retry;
    std::int64_t notification;
    std::string member;
    std::string reason;
    Code code;
    std::string says;
  };
  const Row rows[] = {
      {"retry a delivered one", true, sent, kFge, "", Code::kFailedPrecondition, "was delivered at"},
      {"cancel a delivered one", false, sent, kFge, "r", Code::kFailedPrecondition, "was delivered at"},
      {"retry a pending one", true, pending, kFge, "", Code::kFailedPrecondition, "is pending"},
      {"cancel a pending one", false, pending, kFge, "r", Code::kFailedPrecondition, "is pending"},
      {"retry a cancelled one", true, id, "QROO/MUN/BJ", "", Code::kFailedPrecondition, "stays cancelled"},
      {"cancel a cancelled one", false, id, "QROO/MUN/BJ", "r", Code::kFailedPrecondition, "stays cancelled"},
      {"unknown notification", true, id + 100, kFge, "", Code::kNotFound, "no notification"},
      {"member it was not sent to", true, sent, kSefiplan, "", Code::kNotFound, "was not sent to"},
      {"cancel without a reason", false, id, kSefiplan, "", Code::kInvalidArgument, "the reason is required"},
      {"cancel with a reason on two lines", false, id, kSefiplan, "a\r\nb", Code::kInvalidArgument,
       "control characters"},
      {"cancel with a reason not UTF-8", false, id, kSefiplan, "avisado \xc0\xaf", Code::kInvalidArgument, "not UTF-8"},
      {"cancel with a reason too long", false, id, kSefiplan, std::string(1001, 'r'), Code::kInvalidArgument,
       "longer than 1000 bytes"},
  };
  const std::size_t audited = audit_entries().size();
  for (const Row& row : rows) {
    SCOPED_TRACE(row.name);
    const Status st =
        row.retry ? notifications_->retry_delivery("maria", row.notification, member_id(row.member))
                  : notifications_->cancel_delivery("maria", row.notification, member_id(row.member), row.reason);
    EXPECT_EQ(st.code(), row.code) << st.to_string();
    EXPECT_NE(st.message().find(row.says), std::string::npos) << st.to_string();
  }
  const auto audit = audit_entries();
  ASSERT_EQ(audit.size(), audited + std::size(rows));
  for (std::size_t i = audited; i < audit.size(); ++i) EXPECT_FALSE(audit[i].success) << audit[i].action;
  EXPECT_EQ(delivery_to(notifications_->notification(id).value(), kSefiplan).state, DeliveryState::kFailed);
  EXPECT_EQ(delivery_to(notifications_->notification(id).value(), "QROO/MUN/BJ").state, DeliveryState::kCancelled);
  EXPECT_EQ(notifications_->notification(sent)->deliveries[0].retries.size(), 0u);
}

TEST(IncidentSeverity, NamesRoundTrip) {
  for (IncidentSeverity s :
       {IncidentSeverity::kLow, IncidentSeverity::kMedium, IncidentSeverity::kHigh, IncidentSeverity::kCritical}) {
    auto parsed = parse_severity(severity_name(s));
    ASSERT_TRUE(parsed.is_ok());
    EXPECT_EQ(*parsed, s);
  }
  EXPECT_EQ(parse_severity("severe").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(parse_severity("High").status().code(), Code::kInvalidArgument);
}

TEST_F(NotificationsTest, CreateRefusesASenderThatIsNotAnAddress) {
  auto n = Notifications::create(*db_, clock_, *calendar_, *membership_, *outbox_, "avisos");
  EXPECT_EQ(n.status().code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace xacbe::registry
