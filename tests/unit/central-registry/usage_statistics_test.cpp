// The registry's usage statistics (usage_statistics.hpp): signed report-usage requests from
// registered servers stored, replaced when reported again, summed by the query's dimensions, and
// the servers that stopped reporting told apart by the clock.
#include "usage_statistics.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <stdexcept>

#include "membership.hpp"
#include "registry_metrics.hpp"
#include "schema.hpp"
#include "support/test_pki.hpp"
#include "xacbe/ca/certificate_authority.hpp"
#include "xacbe/crypto/cms.hpp"
#include "xacbe/crypto/csr.hpp"
#include "xacbe/globalconf/global_configuration.hpp"
#include "xacbe/management/management_request.hpp"
#include "xacbe/store/database.hpp"

namespace xacbe::registry {
namespace {

using namespace std::chrono;
using Json = nlohmann::json;
using management::UsageSide;

// 2026-11-23 15:00 UTC.
const TimePoint kNow = sys_days{year{2026} / November / 23} + hours(15);
const year_month_day kD21 = year{2026} / November / 21, kD22 = year{2026} / November / 22,
                     kD23 = year{2026} / November / 23;
const char* kCalendar = R"({"time_zone": "America/Cancun", "rules": [], "dates": []})";
const std::string kCarpetas = "QROO/EST/FGE/SIS/carpetas";
const std::string kAntecedentes = "QROO/EST/SSP/SIS/antecedentes";

Application application_for(const std::string& member, const std::string& name) {
  return {id::MemberId::parse(member).value(),
          name,
          "CONV-CEIQROO-2026-014",
          {"Ana Pérez", "ana.perez@example.gob.mx", "+52 983 000 0001"},
          {"Luis Chan", "luis.chan@example.gob.mx", "+52 983 000 0002"},
          {"Mesa de enlace", "enlace@example.gob.mx", ""},
          {"firmas", "bitácora", "cifrado TLS", "servidor redundante"}};
}

struct RegisteredServer {
  id::SecurityServerId id;
  crypto::PrivateKey auth_key;
  crypto::Certificate auth_cert;
};

management::UsageRow row(year_month_day day, UsageSide side, const std::string& client, const std::string& service,
                         std::uint64_t requests, std::uint64_t succeeded, std::uint64_t refused) {
  return {day,      side,     id::ClientId::parse(client).value(), id::ServiceId::parse(service).value(),
          requests, succeeded, requests - succeeded,                refused};
}

class UsageStatisticsTest : public ::testing::Test {
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
    servers_ = std::make_unique<SecurityServers>(*db_, clock_, *membership_, pki_.ca(), SecurityServerSettings{});
    usage_ = std::make_unique<UsageStatistics>(*db_, clock_, *servers_, UsageSettings{hours(2)});
    for (const auto& [member, name] : {std::pair<std::string, std::string>{"QROO/EST/FGE", "Fiscalía"},
                                       {"QROO/EST/SSP", "Seguridad Pública"}}) {
      auto id = membership_->apply("ceiqroo-admin", application_for(member, name));
      ASSERT_TRUE(id.is_ok()) << id.status().to_string();
      ASSERT_TRUE(membership_->admit("ceiqroo-admin", *id).is_ok());
    }
    fge_ = std::make_unique<RegisteredServer>(registered("QROO/EST/FGE/SS1"));
    ssp_ = std::make_unique<RegisteredServer>(registered("QROO/EST/SSP/SS1"));
  }

  RegisteredServer registered(const std::string& server) {
    const auto id = id::SecurityServerId::parse(server).value();
    crypto::PrivateKey key = crypto::PrivateKey::generate(crypto::KeyType::kEcP256).value();
    auto csr = crypto::CertificateRequest::create(key, {{"CN", server}}).value();
    auto request = management::make_register_server(id, floor<seconds>(clock_.now()), "ss1.example.mx:5500", "MX",
                                                     "1.0.0", std::move(csr));
    auto signed_request = management::sign_bootstrap_request(request, key, clock_.now()).value();
    auto pending = servers_->submit(signed_request.request, signed_request.signature);
    if (!pending) throw std::runtime_error(pending.status().to_string());
    EXPECT_TRUE(servers_->approve("maria", pending->id).is_ok());
    auto cert = crypto::Certificate::from_pem(servers_->request(pending->id)->issued_certificate_pem).value();
    return {id, std::move(key), std::move(cert)};
  }

  management::SignedRequest report(const RegisteredServer& s, management::UsageReport r) {
    return management::sign_request(management::make_report_usage(s.id, floor<seconds>(clock_.now()), std::move(r)),
                                    s.auth_key, s.auth_cert)
        .value();
  }

  Result<UsageReceipt> send(const RegisteredServer& s, management::UsageReport r) {
    const management::SignedRequest signed_request = report(s, std::move(r));
    return usage_->receive(signed_request.request, signed_request.signature);
  }

  UsageTable query(UsageQueryText text) {
    auto q = parse_usage_query(text, usage_->today());
    EXPECT_TRUE(q.is_ok()) << q.status().to_string();
    auto table = usage_->query(*q);
    EXPECT_TRUE(table.is_ok()) << table.status().to_string();
    return table.is_ok() ? std::move(table).value() : UsageTable{};
  }

  ManualClock clock_{kNow};
  xacbe::testing::TestPki pki_{clock_};
  std::unique_ptr<calendar::BusinessCalendar> calendar_;
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<Membership> membership_;
  std::unique_ptr<SecurityServers> servers_;
  std::unique_ptr<UsageStatistics> usage_;
  std::unique_ptr<RegisteredServer> fge_, ssp_;
};

TEST_F(UsageStatisticsTest, StoresAReportAndAuditsItsReceipt) {
  auto receipt = send(*fge_, {kD22, kD23,
                              {row(kD22, UsageSide::kProvider, "QROO/EST/SSP/SIS", kCarpetas, 5, 4, 1),
                               row(kD23, UsageSide::kProvider, "QROO/EST/SSP/SIS", kCarpetas, 2, 2, 0)}});
  ASSERT_TRUE(receipt.is_ok()) << receipt.status().to_string();
  EXPECT_EQ(receipt->server, fge_->id);
  EXPECT_EQ(receipt->rows, 2u);

  const UsageTable all = query({.group_by = "day,side,service"});
  ASSERT_EQ(all.groups.size(), 2u);
  EXPECT_EQ(all.groups[0].keys, (std::vector<std::string>{"2026-11-22", "provider", kCarpetas}));
  EXPECT_EQ(all.groups[0].counts.requests, 5u);
  EXPECT_EQ(all.groups[0].counts.succeeded, 4u);
  EXPECT_EQ(all.groups[0].counts.failed, 1u);
  EXPECT_EQ(all.groups[0].counts.refused, 1u);
  EXPECT_EQ(all.groups[1].keys[0], "2026-11-23");
  EXPECT_EQ(all.groups[1].counts.requests, 2u);

  auto entries = membership_->audit().list();
  ASSERT_TRUE(entries.is_ok());
  EXPECT_EQ(entries->back().action, "management.submit");
  EXPECT_EQ(entries->back().actor, "server:QROO/EST/FGE/SS1");
  EXPECT_TRUE(entries->back().success);
  EXPECT_EQ(entries->back().detail, "report-usage 2026-11-22..2026-11-23: 2 rows stored");
}

TEST_F(UsageStatisticsTest, AReportedDayReportedAgainReplacesItsRows) {
  ASSERT_TRUE(send(*fge_, {kD23, kD23, {row(kD23, UsageSide::kProvider, "QROO/EST/SSP/SIS", kCarpetas, 2, 2, 0)}}).is_ok());
  // The day so far, reported again an hour later, and a resent report of the same counts.
  clock_.advance(hours(1));
  ASSERT_TRUE(send(*fge_, {kD23, kD23, {row(kD23, UsageSide::kProvider, "QROO/EST/SSP/SIS", kCarpetas, 7, 6, 3)}}).is_ok());
  ASSERT_TRUE(send(*fge_, {kD23, kD23, {row(kD23, UsageSide::kProvider, "QROO/EST/SSP/SIS", kCarpetas, 7, 6, 3)}}).is_ok());
  const UsageTable t = query({.group_by = "none"});
  ASSERT_EQ(t.groups.size(), 1u);
  EXPECT_EQ(t.groups[0].counts.requests, 7u);
  EXPECT_EQ(t.groups[0].counts.succeeded, 6u);
  EXPECT_EQ(t.groups[0].counts.refused, 3u);
}

TEST_F(UsageStatisticsTest, QueriesFilterAndGroupByMemberServiceServerAndPeriod) {
  // One exchange seen from both servers: SSP's client side and FGE's provider side; and a refusal
  // of FGE's call by SSP's server.
  ASSERT_TRUE(send(*fge_, {kD21, kD23,
                           {row(kD21, UsageSide::kProvider, "QROO/EST/SSP/SIS", kCarpetas, 1, 1, 0),
                            row(kD23, UsageSide::kProvider, "QROO/EST/SSP/SIS", kCarpetas, 3, 3, 0),
                            row(kD23, UsageSide::kClient, "QROO/EST/FGE/SIS", kAntecedentes, 1, 0, 0)}})
                  .is_ok());
  ASSERT_TRUE(send(*ssp_, {kD23, kD23,
                           {row(kD23, UsageSide::kClient, "QROO/EST/SSP/SIS", kCarpetas, 3, 3, 0),
                            row(kD23, UsageSide::kProvider, "QROO/EST/FGE/SIS", kAntecedentes, 0, 0, 1)}})
                  .is_ok());

  const UsageTable by_server = query({.from = "2026-11-23", .group_by = "server,side"});
  ASSERT_EQ(by_server.groups.size(), 4u);
  EXPECT_EQ(by_server.groups[0].keys, (std::vector<std::string>{"QROO/EST/FGE/SS1", "client"}));
  EXPECT_EQ(by_server.groups[1].keys, (std::vector<std::string>{"QROO/EST/FGE/SS1", "provider"}));
  EXPECT_EQ(by_server.groups[1].counts.requests, 3u);
  EXPECT_EQ(by_server.groups[3].keys, (std::vector<std::string>{"QROO/EST/SSP/SS1", "provider"}));
  EXPECT_EQ(by_server.groups[3].counts.refused, 1u);

  // The provider's view of one service over the whole period, by month.
  const UsageTable carpetas = query({.service = kCarpetas, .side = "provider", .group_by = "month"});
  ASSERT_EQ(carpetas.groups.size(), 1u);
  EXPECT_EQ(carpetas.groups[0].keys, (std::vector<std::string>{"2026-11"}));
  EXPECT_EQ(carpetas.groups[0].counts.requests, 4u);
  // The same with a period that leaves 2026-11-21 out.
  EXPECT_EQ(query({.service = kCarpetas, .side = "provider", .from = "2026-11-22", .group_by = "none"})
                .groups.at(0)
                .counts.requests,
            3u);
  // A member's usage: as client and as provider.
  const UsageTable ssp = query({.member = "QROO/EST/SSP", .group_by = "client_member,service_member"});
  ASSERT_EQ(ssp.groups.size(), 2u);
  EXPECT_EQ(ssp.groups[0].keys, (std::vector<std::string>{"QROO/EST/FGE", "QROO/EST/SSP"}));
  EXPECT_EQ(ssp.groups[1].keys, (std::vector<std::string>{"QROO/EST/SSP", "QROO/EST/FGE"}));
  EXPECT_EQ(ssp.groups[1].counts.requests, 1u + 3u + 3u);
  // Nothing matches: no group.
  EXPECT_TRUE(query({.member = "QROO/MUN/BJ", .group_by = "none"}).groups.empty());
  EXPECT_TRUE(query({.to = "2026-11-20", .group_by = "day"}).groups.empty());
}

TEST_F(UsageStatisticsTest, AServerThatStopsReportingIsSilentByTheClock) {
  auto silent = [&](const id::SecurityServerId& server) {
    auto list = usage_->reporting();
    EXPECT_TRUE(list.is_ok());
    const std::vector<ReportingServer> servers = list.is_ok() ? *list : std::vector<ReportingServer>{};
    for (const ReportingServer& r : servers) {
      if (r.server == server) return r.silent;
    }
    ADD_FAILURE() << "not listed: " << server.to_string();
    return false;
  };
  // Never reported: silent, and listed.
  EXPECT_TRUE(silent(fge_->id));
  EXPECT_TRUE(silent(ssp_->id));
  EXPECT_EQ(usage_->silent_count().value(), 2);
  ASSERT_TRUE(send(*fge_, {kD23, kD23, {}}).is_ok());
  EXPECT_FALSE(silent(fge_->id));
  EXPECT_EQ(usage_->silent_count().value(), 1);
  auto list = usage_->reporting().value();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].last_report_at, clock_.now());
  EXPECT_EQ(list[0].last_from, "2026-11-23");
  EXPECT_FALSE(list[1].last_report_at.has_value());
  // At the threshold still reporting; a second later silent.
  clock_.advance(hours(2));
  EXPECT_FALSE(silent(fge_->id));
  clock_.advance(seconds(1));
  EXPECT_TRUE(silent(fge_->id));
  EXPECT_EQ(usage_->silent_count().value(), 2);
  // The registry metric says the same.
  const std::string metrics = registry_metrics_text(*db_, clock_.now(), usage_->silent_after());
  EXPECT_NE(metrics.find("xacbe_registry_security_servers_silent 2\n"), std::string::npos) << metrics;
  // Reporting again ends the silence.
  ASSERT_TRUE(send(*fge_, {kD23, kD23, {}}).is_ok());
  EXPECT_FALSE(silent(fge_->id));
  EXPECT_NE(registry_metrics_text(*db_, clock_.now(), usage_->silent_after())
                .find("xacbe_registry_security_servers_silent 1\n"),
            std::string::npos);
}

TEST_F(UsageStatisticsTest, RefusesReportsThatAreNotAuthenticFreshOrNew) {
  const management::UsageReport r{kD23, kD23, {row(kD23, UsageSide::kProvider, "QROO/EST/SSP/SIS", kCarpetas, 2, 2, 0)}};
  const management::SignedRequest good = report(*fge_, r);
  ASSERT_TRUE(usage_->receive(good.request, good.signature).is_ok());
  // Signed by SSP's server for FGE's.
  const management::SignedRequest by_other = management::sign_request(
      management::make_report_usage(fge_->id, floor<seconds>(clock_.now()), r), ssp_->auth_key, ssp_->auth_cert).value();
  const management::SignedRequest stale = report(*fge_, r);
  const management::SignedRequest other = report(*fge_, r);
  struct Row {
    const char* name;
    std::string request, signature;
    Code code;
    const char* message;
  };
  const std::vector<Row> rows = {
      {"replayed", good.request, good.signature, Code::kAlreadyExists, "replayed request"},
      {"unsigned", other.request, "", Code::kPermissionDenied, "unsigned request"},
      {"another server's signature", by_other.request, by_other.signature, Code::kPermissionDenied, "wrong signer"},
      {"signature over other bytes", other.request + " ", other.signature, Code::kPermissionDenied,
       "signature does not match"},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.name);
    auto refused = usage_->receive(row.request, row.signature);
    ASSERT_FALSE(refused.is_ok());
    EXPECT_EQ(refused.status().code(), row.code) << refused.status().to_string();
    EXPECT_NE(refused.status().message().find(row.message), std::string::npos) << refused.status().to_string();
  }
  clock_.advance(minutes(10));
  auto refused = usage_->receive(stale.request, stale.signature);
  EXPECT_EQ(refused.status().code(), Code::kPermissionDenied) << refused.status().to_string();
  // A report-version is not a report-usage.
  const auto version = management::sign_request(
      management::make_report_version(fge_->id, floor<seconds>(clock_.now()), "1.2.0"), fge_->auth_key, fge_->auth_cert);
  auto wrong_type = usage_->receive(version->request, version->signature);
  EXPECT_EQ(wrong_type.status().code(), Code::kInvalidArgument) << wrong_type.status().to_string();
  // Nothing of the refused reports was stored: the first report's counts stand.
  EXPECT_EQ(query({.group_by = "none"}).groups.at(0).counts.requests, 2u);
  // A refusal is audited.
  auto entries = membership_->audit().list();
  ASSERT_TRUE(entries.is_ok());
  EXPECT_FALSE(entries->back().success);
}

TEST_F(UsageStatisticsTest, QueryParametersAreCheckedAndEchoedOnlyBounded) {
  const year_month_day today = kD23;
  auto q = parse_usage_query({}, today);
  ASSERT_TRUE(q.is_ok());
  EXPECT_EQ(q->to, kD23);
  EXPECT_EQ(sys_days(q->from), sys_days(kD23) - days(30));
  EXPECT_EQ(q->group_by, (std::vector<UsageDimension>{UsageDimension::kSide, UsageDimension::kService}));
  struct Row {
    const char* name;
    UsageQueryText text;
    const char* message;
  };
  const std::vector<Row> rows = {
      {"bad from", {.from = "2026-02-30"}, "'from' must be a day"},
      {"bad to", {.to = "23/11/2026"}, "'to' must be a day"},
      {"from after to", {.from = "2026-11-23", .to = "2026-11-22"}, "'from' is after 'to'"},
      {"too long", {.from = "2025-01-01", .to = "2026-11-22"}, "at most 366 days"},
      {"unknown dimension", {.group_by = "day,colour"}, "unknown dimension 'colour'"},
      {"dimension twice", {.group_by = "day,day"}, "names 'day' twice"},
      {"empty dimension", {.group_by = "day,"}, "unknown dimension ''"},
      {"bad side", {.side = "both"}, "'side' must be client or provider"},
      {"bad member", {.member = "QROO/est"}, "'member' is not an id"},
      {"bad service", {.service = "QROO/EST/FGE/SIS"}, "'service' is not an id"},
      {"bad server", {.server = "QROO/EST/FGE"}, "'server' is not an id"},
      {"hostile text", {.member = "\x01\n" + std::string(5000, 'x')}, "'member' is not an id"},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.name);
    auto refused = parse_usage_query(row.text, today);
    ASSERT_FALSE(refused.is_ok());
    EXPECT_EQ(refused.status().code(), Code::kInvalidArgument);
    EXPECT_NE(refused.status().message().find(row.message), std::string::npos) << refused.status().to_string();
    EXPECT_LT(refused.status().message().size(), 300u);
    EXPECT_EQ(refused.status().message().find_first_of("\x01\n"), std::string::npos);
  }
}

}  // namespace
}  // namespace xacbe::registry
