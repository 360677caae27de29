#include "membership.hpp"

#include <gtest/gtest.h>

#include "support/test_pki.hpp"
#include "xacbe/ca/certificate_authority.hpp"
#include "schema.hpp"
#include "xacbe/store/database.hpp"

namespace xacbe::registry {
namespace {

using namespace std::chrono;
using calendar::Date;

// 2026-11-23 (Monday) 15:00 UTC = 10:00 in Cancún.
const TimePoint kMonday = sys_days{year{2026} / November / 23} + hours(15);

const char* kCalendar = R"({"time_zone": "America/Cancun",
  "rules": [{"name": "Día de la Revolución", "month": 11, "weekday": "monday", "nth": 3},
            {"name": "Navidad", "month": 12, "day": 25}],
  "dates": [{"date": "2026-11-24", "name": "Día inhábil CEIQROO"}]})";

Application application_for(const std::string& member) {
  Application a{id::MemberId::parse(member).value(),
                "Fiscalía General del Estado",
                "CONV-CEIQROO-2026-014",
                {"Ana Pérez", "ana.perez@fge.qroo.gob.mx", "+52 983 000 0001"},
                {"Luis Chan", "luis.chan@fge.qroo.gob.mx", "+52 983 000 0002"},
                {"Mesa de enlace", "enlace@fge.qroo.gob.mx", ""},
                {"firmas y sumas de verificación", "bitácora de consultas", "cifrado TLS y control de acceso",
                 "servidor redundante"}};
  return a;
}

class MembershipTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto cal = calendar::BusinessCalendar::parse(kCalendar);
    ASSERT_TRUE(cal.is_ok()) << cal.status().to_string();
    calendar_ = std::make_unique<calendar::BusinessCalendar>(std::move(cal).value());
    auto db = store::Database::open(pki_.dir().file("registry.db"));
    ASSERT_TRUE(db.is_ok());
    db_ = std::move(db).value();
    ASSERT_TRUE(migrate_schema(*db_).is_ok());
    membership_ = std::make_unique<Membership>(*db_, clock_, *calendar_, "QROO", &pki_.ca());
  }

  // An admitted member with a signing certificate recorded; returns the certificate's serial.
  std::string admitted(const std::string& member) {
    auto id = membership_->apply("ceiqroo-admin", application_for(member));
    EXPECT_TRUE(id.is_ok()) << id.status().to_string();
    EXPECT_TRUE(membership_->admit("ceiqroo-admin", *id).is_ok());
    auto cert = pki_.issue(ca::Profile::kSigning, member);
    EXPECT_TRUE(membership_->record_certificate(member_id(member), {cert.cert.serial_hex(), "sign", ""}).is_ok());
    return cert.cert.serial_hex();
  }

  static id::MemberId member_id(const std::string& text) { return id::MemberId::parse(text).value(); }
  MemberState state_of(const std::string& member) { return membership_->member(member_id(member)).value().state; }
  crypto::CertStatus cert_status(const std::string& serial) { return pki_.ca().status(serial).value(); }

  ManualClock clock_{kMonday};
  xacbe::testing::TestPki pki_{clock_};
  std::unique_ptr<calendar::BusinessCalendar> calendar_;
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<Membership> membership_;
};

TEST_F(MembershipTest, ApplicationMakesAPendingMemberAndKeepsWhatWasSubmitted) {
  auto id = membership_->apply("ceiqroo-admin", application_for("QROO/EST/FGE"));
  ASSERT_TRUE(id.is_ok()) << id.status().to_string();
  EXPECT_EQ(state_of("QROO/EST/FGE"), MemberState::kPending);
  auto record = membership_->application(*id);
  ASSERT_TRUE(record.is_ok());
  EXPECT_EQ(record->application.agreement_reference, "CONV-CEIQROO-2026-014");
  EXPECT_EQ(record->application.security.availability, "servidor redundante");
  EXPECT_EQ(record->application.liaison.email, "enlace@fge.qroo.gob.mx");
  EXPECT_FALSE(record->decision.has_value());
  EXPECT_EQ(membership_->applications(true)->size(), 1u);
}

TEST_F(MembershipTest, AdmissionActivatesAndIsAudited) {
  auto id = membership_->apply("ceiqroo-admin", application_for("QROO/EST/FGE"));
  ASSERT_TRUE(id.is_ok());
  ASSERT_TRUE(membership_->admit("maria", *id).is_ok());
  EXPECT_EQ(state_of("QROO/EST/FGE"), MemberState::kActive);
  EXPECT_EQ(membership_->application(*id)->decision, "admitted");
  EXPECT_TRUE(membership_->applications(true)->empty());
  auto audit = membership_->audit().list();
  ASSERT_TRUE(audit.is_ok());
  ASSERT_EQ(audit->size(), 2u);
  EXPECT_EQ((*audit)[1].actor, "maria");
  EXPECT_EQ((*audit)[1].action, "member.admit");
  EXPECT_TRUE((*audit)[1].success);
}

TEST_F(MembershipTest, RejectionRecordsTheProtocolReasonAndAllowsANewApplication) {
  auto id = membership_->apply("ceiqroo-admin", application_for("QROO/MUN/OPB"));
  ASSERT_TRUE(id.is_ok());
  ASSERT_TRUE(membership_
                  ->reject("maria", *id, RejectionReason::kInformationMissingOrOutdated,
                           "falta la declaración de medidas de seguridad firmada")
                  .is_ok());
  EXPECT_EQ(state_of("QROO/MUN/OPB"), MemberState::kRejected);
  auto record = membership_->application(*id);
  EXPECT_EQ(record->rejection_reason, RejectionReason::kInformationMissingOrOutdated);
  EXPECT_EQ(record->comment, "falta la declaración de medidas de seguridad firmada");
  // Admitting a decided application is refused; a fresh application is accepted.
  EXPECT_EQ(membership_->admit("maria", *id).code(), Code::kFailedPrecondition);
  auto again = membership_->apply("ceiqroo-admin", application_for("QROO/MUN/OPB"));
  ASSERT_TRUE(again.is_ok());
  EXPECT_EQ(state_of("QROO/MUN/OPB"), MemberState::kPending);
}

TEST_F(MembershipTest, RefusesIncompleteOrMalformedApplications) {
  struct Case {
    const char* name;
    void (*spoil)(Application&);
  };
  const Case cases[] = {
      {"no agreement", [](Application& a) { a.agreement_reference.clear(); }},
      {"no member name", [](Application& a) { a.member_name.clear(); }},
      {"no responsible", [](Application& a) { a.responsible.name.clear(); }},
      {"responsible without phone", [](Application& a) { a.responsible.phone.clear(); }},
      {"bad administrator e-mail", [](Application& a) { a.administrator.email = "luis.chan"; }},
      {"liaison e-mail with header injection", [](Application& a) { a.liaison.email = "a@b.mx\r\nBcc: x@y.mx"; }},
      {"liaison e-mail with two @", [](Application& a) { a.liaison.email = "a@b@c.mx"; }},
      {"no integrity statement", [](Application& a) { a.security.integrity.clear(); }},
      {"no availability statement", [](Application& a) { a.security.availability.clear(); }},
      {"control character in name", [](Application& a) { a.member_name = "FGE\x07"; }},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    Application a = application_for("QROO/EST/FGE");
    c.spoil(a);
    auto r = membership_->apply("ceiqroo-admin", a);
    ASSERT_FALSE(r.is_ok());
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument) << r.status().to_string();
  }
  EXPECT_FALSE(membership_->member(member_id("QROO/EST/FGE")).is_ok());
  // Every refusal is in the audit trail.
  auto audit = membership_->audit().list();
  ASSERT_TRUE(audit.is_ok());
  EXPECT_EQ(audit->size(), std::size(cases));
  EXPECT_FALSE(audit->front().success);
}

// Every address of an application passes the mailer's own rule (mail::check_address), so what is
// accepted here can be mailed later; the refusal names the field and what is wrong, and never
// repeats the address.
TEST_F(MembershipTest, ChecksEveryAddressByTheMailersRuleAndSaysWhichFieldAndWhy) {
  struct Row {
    const char* name;
    Person Application::*person;
    std::string address;
    std::string field;
    std::string why;
  };
  const std::string too_long = std::string(64, 'a') + "@" + std::string(63, 'b') + "." + std::string(63, 'c') + "." +
                               std::string(59, 'd') + ".mx";  // 255 octets, each part within its own limit
  const Row rows[] = {
      {"not ASCII", &Application::liaison, "ñandú@example.mx", "'liaison.email'", "not ASCII"},
      {"not ASCII in the domain", &Application::responsible, "ana@señal.example.mx", "'responsible.email'",
       "not ASCII"},
      {"header injection", &Application::liaison, "a@b.mx\r\nBcc: x@y.mx", "'liaison.email'", "control characters"},
      {"NUL", &Application::administrator, std::string("luis@fge.mx\0.evil", 18), "'administrator.email'",
       "control characters"},
      {"space", &Application::liaison, "mesa de enlace@fge.mx", "'liaison.email'", "spaces"},
      {"too long", &Application::liaison, too_long, "'liaison.email'", "longer than 254 octets"},
      {"local part too long", &Application::liaison, std::string(65, 'a') + "@fge.mx", "'liaison.email'",
       "1 to 64 octets"},
      {"no @", &Application::administrator, "luis.chan", "'administrator.email'", "no '@'"},
      {"two @", &Application::liaison, "a@b@c.mx", "'liaison.email'", "not a dot-atom"},
      {"quoted local part", &Application::liaison, "\"mesa\"@fge.mx", "'liaison.email'", "not a dot-atom"},
      {"domain label starts with -", &Application::liaison, "enlace@-fge.mx", "'liaison.email'", "not a host name"},
      {"address literal", &Application::liaison, "enlace@[10.0.0.1]", "'liaison.email'", "not a host name"},
  };
  ASSERT_EQ(too_long.size(), 255u);
  for (const Row& row : rows) {
    SCOPED_TRACE(row.name);
    Application a = application_for("QROO/EST/FGE");
    (a.*row.person).email = row.address;
    auto r = membership_->apply("ceiqroo-admin", a);
    ASSERT_FALSE(r.is_ok());
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
    const std::string message = r.status().message();
    EXPECT_NE(message.find(row.field + " cannot receive mail"), std::string::npos) << message;
    EXPECT_NE(message.find(row.why), std::string::npos) << message;
    EXPECT_EQ(message.find(row.address), std::string::npos) << "the refusal repeats the address: " << message;
  }
  EXPECT_FALSE(membership_->member(member_id("QROO/EST/FGE")).is_ok());

  // What the mailer takes is taken: atext specials, a single-label domain, exactly 254 octets.
  const std::string longest = std::string(64, 'a') + "@" + std::string(63, 'b') + "." + std::string(63, 'c') + "." +
                              std::string(58, 'd') + ".mx";
  ASSERT_EQ(longest.size(), 254u);
  Application a = application_for("QROO/EST/FGE");
  a.liaison.email = "mesa.de_enlace+avisos@fge.qroo.gob.mx";
  a.responsible.email = "titular@localhost";
  a.administrator.email = longest;
  auto accepted = membership_->apply("ceiqroo-admin", a);
  ASSERT_TRUE(accepted.is_ok()) << accepted.status().to_string();
  EXPECT_EQ(membership_->member(member_id("QROO/EST/FGE"))->liaison.email, "mesa.de_enlace+avisos@fge.qroo.gob.mx");
}

TEST_F(MembershipTest, KeepsInstancesApart) {
  auto r = membership_->apply("ceiqroo-admin", application_for("QROO-TEST/EST/FGE"));
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("this registry serves QROO"), std::string::npos);
}

TEST_F(MembershipTest, RefusesASecondApplicationOfAnActiveMember) {
  admitted("QROO/EST/FGE");
  EXPECT_EQ(membership_->apply("ceiqroo-admin", application_for("QROO/EST/FGE")).status().code(), Code::kAlreadyExists);
}

TEST_F(MembershipTest, SuspensionHoldsCertificatesAndReactivationReleasesThem) {
  const auto serial = admitted("QROO/EST/FGE");
  ASSERT_TRUE(membership_->suspend("maria", member_id("QROO/EST/FGE"), "uso indebido de datos").is_ok());
  EXPECT_EQ(state_of("QROO/EST/FGE"), MemberState::kSuspended);
  EXPECT_EQ(cert_status(serial).kind, crypto::CertStatus::Kind::kRevoked);
  EXPECT_EQ(cert_status(serial).reason, crypto::RevocationReason::kCertificateHold);
  ASSERT_TRUE(membership_->reactivate("maria", member_id("QROO/EST/FGE"), "medidas correctivas").is_ok());
  EXPECT_EQ(state_of("QROO/EST/FGE"), MemberState::kActive);
  EXPECT_EQ(cert_status(serial).kind, crypto::CertStatus::Kind::kGood);
}

TEST_F(MembershipTest, TerminationOnRequestTakesEffectTheNextBusinessDay) {
  const auto serial = admitted("QROO/EST/FGE");
  // Received Monday 23; Tuesday 24 is a CEIQROO non-working day, so it takes effect Wednesday 25.
  ASSERT_TRUE(membership_->request_termination("maria", member_id("QROO/EST/FGE"), std::nullopt).is_ok());
  auto m = membership_->member(member_id("QROO/EST/FGE"));
  EXPECT_EQ(m->state, MemberState::kTerminating);
  EXPECT_EQ(m->termination_effective, Date(year{2026} / November / 25));
  EXPECT_EQ(cert_status(serial).kind, crypto::CertStatus::Kind::kGood);  // until it takes effect

  clock_.set(sys_days{year{2026} / November / 24} + hours(20));
  EXPECT_TRUE(membership_->complete_due_terminations("system")->empty());
  clock_.set(sys_days{year{2026} / November / 25} + hours(6));  // 01:00 local time on the 25th
  auto done = membership_->complete_due_terminations("system");
  ASSERT_TRUE(done.is_ok());
  ASSERT_EQ(done->size(), 1u);
  EXPECT_EQ(state_of("QROO/EST/FGE"), MemberState::kTerminated);
  EXPECT_EQ(cert_status(serial).reason, crypto::RevocationReason::kCessationOfOperation);
}

TEST_F(MembershipTest, TerminationOnRequestHonoursALaterDateAndRefusesAnEarlierOne) {
  admitted("QROO/EST/FGE");
  auto early = membership_->request_termination("maria", member_id("QROO/EST/FGE"), Date(year{2026} / November / 24));
  EXPECT_EQ(early.code(), Code::kFailedPrecondition);
  EXPECT_NE(early.message().find("2026-11-25"), std::string::npos) << early.to_string();
  ASSERT_TRUE(
      membership_->request_termination("maria", member_id("QROO/EST/FGE"), Date(year{2026} / December / 31)).is_ok());
  EXPECT_EQ(membership_->member(member_id("QROO/EST/FGE"))->termination_effective, Date(year{2026} / December / 31));
}

TEST_F(MembershipTest, TerminationByTheCeiqrooNeedsFiveCalendarDaysNotice) {
  admitted("QROO/EST/FGE");
  auto short_notice = membership_->terminate_with_notice("maria", member_id("QROO/EST/FGE"),
                                                         Date(year{2026} / November / 27), "incumplimiento");
  EXPECT_EQ(short_notice.code(), Code::kFailedPrecondition);
  EXPECT_NE(short_notice.message().find("2026-11-28"), std::string::npos) << short_notice.to_string();
  EXPECT_EQ(state_of("QROO/EST/FGE"), MemberState::kActive);
  EXPECT_TRUE(membership_
                  ->terminate_with_notice("maria", member_id("QROO/EST/FGE"), Date(year{2026} / November / 28),
                                          "incumplimiento")
                  .is_ok());
  EXPECT_EQ(state_of("QROO/EST/FGE"), MemberState::kTerminating);
}

TEST_F(MembershipTest, RefusesTransitionsTheProtocolDoesNotAllow) {
  auto pending = membership_->apply("ceiqroo-admin", application_for("QROO/EST/PEND"));
  ASSERT_TRUE(pending.is_ok());
  admitted("QROO/EST/FGE");
  const auto fge = member_id("QROO/EST/FGE"), pend = member_id("QROO/EST/PEND"), none = member_id("QROO/EST/NONE");
  EXPECT_EQ(membership_->reactivate("maria", fge, "x").code(), Code::kFailedPrecondition);  // active
  EXPECT_EQ(membership_->suspend("maria", pend, "x").code(), Code::kFailedPrecondition);    // pending
  EXPECT_EQ(membership_->request_termination("maria", pend, std::nullopt).code(), Code::kFailedPrecondition);
  EXPECT_EQ(membership_->suspend("maria", none, "x").code(), Code::kNotFound);
  EXPECT_EQ(membership_->suspend("maria", fge, "").code(), Code::kInvalidArgument);
  EXPECT_EQ(membership_->admit("maria", 999).code(), Code::kNotFound);
  ASSERT_TRUE(membership_->request_termination("maria", fge, std::nullopt).is_ok());
  EXPECT_EQ(membership_->request_termination("maria", fge, std::nullopt).code(), Code::kFailedPrecondition);
  clock_.set(kMonday + days(10));
  ASSERT_EQ(membership_->complete_due_terminations("system")->size(), 1u);
  EXPECT_EQ(membership_->suspend("maria", fge, "x").code(), Code::kFailedPrecondition);  // terminated
  EXPECT_EQ(membership_->reactivate("maria", fge, "x").code(), Code::kFailedPrecondition);
  // Every refusal above was audited as a failure.
  int failures = 0;
  auto audit = membership_->audit().list();
  ASSERT_TRUE(audit.is_ok());
  for (const auto& e : *audit) failures += e.success ? 0 : 1;
  EXPECT_EQ(failures, 9);
}

TEST_F(MembershipTest, ReconcileFinishesAnInterruptedCertificateStep) {
  const auto serial = admitted("QROO/EST/FGE");
  // The state changed while no CA was reachable: certificates are not yet on hold.
  Membership without_ca(*db_, clock_, *calendar_, "QROO", nullptr);
  ASSERT_TRUE(without_ca.suspend("maria", member_id("QROO/EST/FGE"), "violación").is_ok());
  EXPECT_EQ(cert_status(serial).kind, crypto::CertStatus::Kind::kGood);
  ASSERT_TRUE(membership_->reconcile_certificates().is_ok());
  EXPECT_EQ(cert_status(serial).reason, crypto::RevocationReason::kCertificateHold);
  ASSERT_TRUE(membership_->reconcile_certificates().is_ok());  // idempotent
}

TEST_F(MembershipTest, StateSurvivesReopeningTheDatabase) {
  admitted("QROO/EST/FGE");
  membership_.reset();
  db_.reset();
  auto db = store::Database::open(pki_.dir().file("registry.db"));
  ASSERT_TRUE(db.is_ok());
  ASSERT_TRUE(migrate_schema(**db).is_ok());
  Membership reopened(**db, clock_, *calendar_, "QROO", nullptr);
  EXPECT_EQ(reopened.member(member_id("QROO/EST/FGE"))->state, MemberState::kActive);
  EXPECT_EQ(reopened.certificates(member_id("QROO/EST/FGE"))->size(), 1u);
}

// STYLE.md: a record of an action is written in the same transaction as the action. When the
// audit write fails (here a trigger in the test database refuses successful entries), the change
// is rolled back too; once the trail can be written again, the action has both.
TEST_F(MembershipTest, AnActionWhoseAuditEntryCannotBeWrittenIsRolledBack) {
  const std::string serial = admitted("QROO/EST/FGE");
  const auto fge = member_id("QROO/EST/FGE");
  auto count = [&](const std::string& sql) {
    auto query = db_->prepare(sql);
    auto row = query->step();
    return row && *row ? query->column_int64(0) : -1;
  };
  const std::int64_t events = count("SELECT count(*) FROM member_event");
  ASSERT_TRUE(db_->exec("CREATE TRIGGER audit_unavailable BEFORE INSERT ON audit WHEN NEW.success = 1"
                        " BEGIN SELECT RAISE(ABORT, 'audit unavailable'); END")
                  .is_ok());

  const Status suspended = membership_->suspend("maria", fge, "violación del protocolo");
  ASSERT_FALSE(suspended.is_ok());
  EXPECT_NE(suspended.message().find("audit unavailable"), std::string::npos) << suspended.to_string();
  EXPECT_EQ(state_of("QROO/EST/FGE"), MemberState::kActive);
  EXPECT_EQ(count("SELECT count(*) FROM member_event"), events);
  EXPECT_EQ(cert_status(serial).kind, crypto::CertStatus::Kind::kGood);  // the certificate step never ran
  auto applied = membership_->apply("maria", application_for("QROO/MUN/OPB"));
  ASSERT_FALSE(applied.is_ok());
  EXPECT_EQ(membership_->member(member_id("QROO/MUN/OPB")).status().code(), Code::kNotFound);
  EXPECT_EQ(count("SELECT count(*) FROM application WHERE member_id = 'QROO/MUN/OPB'"), 0);
  // The failed actions are on record as refusals.
  EXPECT_FALSE(membership_->audit().list()->back().success);

  ASSERT_TRUE(db_->exec("DROP TRIGGER audit_unavailable").is_ok());
  ASSERT_TRUE(membership_->suspend("maria", fge, "violación del protocolo").is_ok());
  EXPECT_EQ(state_of("QROO/EST/FGE"), MemberState::kSuspended);
  EXPECT_EQ(count("SELECT count(*) FROM member_event"), events + 1);
  const AuditEntry last = membership_->audit().list()->back();
  EXPECT_EQ(last.action, "member.suspend");
  EXPECT_TRUE(last.success);
  EXPECT_EQ(cert_status(serial).reason, crypto::RevocationReason::kCertificateHold);
}

// registry.db as the releases before schema_versions made it: the registry's version in PRAGMA
// user_version. It is adopted in place, its members kept, and nothing is migrated twice.
TEST_F(MembershipTest, AdoptsADatabaseMadeBeforeSchemaVersionsInPlace) {
  admitted("QROO/EST/FGE");
  membership_.reset();
  db_.reset();
  {
    auto old = store::Database::open(pki_.dir().file("registry.db"));
    ASSERT_TRUE(old.is_ok());
    ASSERT_TRUE((*old)->exec("DROP TABLE schema_versions; PRAGMA user_version=" +
                             std::to_string(schema_migrations().size()))
                    .is_ok());
  }
  auto db = store::Database::open(pki_.dir().file("registry.db"));
  ASSERT_TRUE(db.is_ok());
  ASSERT_TRUE(migrate_schema(**db).is_ok());
  EXPECT_EQ((*db)->schema_version("registry"), static_cast<int>(schema_migrations().size()));
  Membership reopened(**db, clock_, *calendar_, "QROO", nullptr);
  EXPECT_EQ(reopened.member(member_id("QROO/EST/FGE"))->state, MemberState::kActive);
}

}  // namespace
}  // namespace xacbe::registry

namespace xacbe::registry {
namespace {

using namespace std::chrono;

TEST_F(MembershipTest, ATerminationDecidedWhileSuspendedKeepsTheCertificatesOnHold) {
  const auto serial = admitted("QROO/EST/FGE");
  const auto fge = member_id("QROO/EST/FGE");
  ASSERT_TRUE(membership_->suspend("maria", fge, "violación").is_ok());
  ASSERT_TRUE(membership_->request_termination("maria", fge, std::nullopt).is_ok());
  auto m = membership_->member(fge);
  EXPECT_EQ(m->state, MemberState::kSuspended);
  EXPECT_EQ(m->termination_effective, calendar::Date(year{2026} / November / 25));
  EXPECT_EQ(cert_status(serial).reason, crypto::RevocationReason::kCertificateHold);
  // It still takes effect on its date.
  clock_.set(sys_days{year{2026} / November / 25} + hours(12));
  ASSERT_EQ(membership_->complete_due_terminations("system")->size(), 1u);
  EXPECT_EQ(state_of("QROO/EST/FGE"), MemberState::kTerminated);
  EXPECT_EQ(cert_status(serial).reason, crypto::RevocationReason::kCessationOfOperation);
}

TEST_F(MembershipTest, SuspendingATerminatingMemberKeepsItsTerminationAndReactivationRestoresIt) {
  const auto serial = admitted("QROO/EST/FGE");
  const auto fge = member_id("QROO/EST/FGE");
  ASSERT_TRUE(membership_->terminate_with_notice("maria", fge, calendar::Date(year{2026} / December / 10), "fin del convenio")
                  .is_ok());
  ASSERT_TRUE(membership_->suspend("maria", fge, "violación").is_ok());
  auto m = membership_->member(fge);
  EXPECT_EQ(m->state, MemberState::kSuspended);
  EXPECT_EQ(m->termination_effective, calendar::Date(year{2026} / December / 10));
  EXPECT_EQ(m->termination_basis, "ceiqroo-notice");
  ASSERT_TRUE(membership_->reactivate("maria", fge, "medidas correctivas").is_ok());
  m = membership_->member(fge);
  EXPECT_EQ(m->state, MemberState::kTerminating);  // not active: the termination still stands
  EXPECT_EQ(m->termination_effective, calendar::Date(year{2026} / December / 10));
  EXPECT_EQ(cert_status(serial).kind, crypto::CertStatus::Kind::kGood);
}

}  // namespace
}  // namespace xacbe::registry
