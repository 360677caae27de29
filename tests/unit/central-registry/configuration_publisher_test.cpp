#include "configuration_publisher.hpp"

#include <gtest/gtest.h>

#include <functional>

#include "access_levels.hpp"
#include "support/test_pki.hpp"
#include "schema.hpp"
#include "xacbe/store/database.hpp"

namespace xacbe::registry {
namespace {

using namespace std::chrono;

const TimePoint kMonday = sys_days{year{2026} / November / 23} + hours(15);

const char* kCalendar = R"({"time_zone": "America/Cancun", "rules": [], "dates": []})";

class ConfigurationPublisherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    calendar_ = std::make_unique<calendar::BusinessCalendar>(calendar::BusinessCalendar::parse(kCalendar).value());
    db_ = store::Database::open(pki_.dir().file("registry.db")).value();
    ASSERT_TRUE(migrate_schema(*db_).is_ok());
    membership_ = std::make_unique<Membership>(*db_, clock_, *calendar_, "QROO", &pki_.ca());
    servers_ = std::make_unique<SecurityServers>(*db_, clock_, *membership_, pki_.ca(), SecurityServerSettings{});
    publisher_ = make_publisher();
  }

  PublisherSettings settings() const {
    PublisherSettings s;
    s.instance = "QROO";
    s.download_url = "http://127.0.0.1:8880/globalconf/QROO";
    s.ocsp_urls = {"http://127.0.0.1:8891/"};
    s.ocsp_responder_certificates = {ocsp_.cert};
    s.tsa_url = "http://127.0.0.1:8890/";
    s.tsa_certificate = tsa_.cert;
    s.validity = hours(24);
    return s;
  }

  std::unique_ptr<ConfigurationPublisher> make_publisher() {
    auto p = ConfigurationPublisher::create(*db_, clock_, *membership_, *servers_, pki_.root(),
                                            crypto::PrivateKey::from_pem(signer_.key.to_pem()).value(), signer_.cert,
                                            settings());
    EXPECT_TRUE(p.is_ok()) << p.status().to_string();
    return std::move(p).value();
  }

  Result<std::unique_ptr<ConfigurationPublisher>> try_publisher(SigningKeys keys) {
    return ConfigurationPublisher::create(*db_, clock_, *membership_, *servers_, pki_.root(), std::move(keys),
                                          settings());
  }
  std::unique_ptr<ConfigurationPublisher> make_publisher(SigningKeys keys) {
    auto p = try_publisher(std::move(keys));
    EXPECT_TRUE(p.is_ok()) << p.status().to_string();
    return p ? std::move(p).value() : nullptr;
  }
  static ConfigurationSigner signer(const xacbe::testing::KeyAndCert& pair) {
    return {crypto::PrivateKey::from_pem(pair.key.to_pem()).value(), pair.cert};
  }

  void admit(const std::string& member) {
    Application a{id::MemberId::parse(member).value(), "Institución " + member, "CONV-1",
                  {"Ana", "ana@x.gob.mx", "983"}, {"Luis", "luis@x.gob.mx", "983"}, {"Enlace", "enlace@x.gob.mx", ""},
                  {"a", "b", "c", "d"}};
    auto id = membership_->apply("admin", a);
    ASSERT_TRUE(id.is_ok()) << id.status().to_string();
    ASSERT_TRUE(membership_->admit("admin", *id).is_ok());
  }

  // The served document, verified as a security server verifies it.
  globalconf::GlobalConfiguration served() {
    auto bytes = publisher_->current();
    EXPECT_TRUE(bytes.is_ok()) << bytes.status().to_string();
    auto anchor = globalconf::ConfigurationAnchor::from_json(publisher_->anchor_json());
    EXPECT_TRUE(anchor.is_ok()) << anchor.status().to_string();
    auto doc = globalconf::verify(*bytes, *anchor, clock_, 0);
    EXPECT_TRUE(doc.is_ok()) << doc.status().to_string();
    return std::move(doc).value();
  }

  ManualClock clock_{kMonday};
  xacbe::testing::TestPki pki_{clock_};
  xacbe::testing::KeyAndCert signer_ = pki_.issue(ca::Profile::kSigning, "CEIQROO configuration signer");
  xacbe::testing::KeyAndCert tsa_ = pki_.issue(ca::Profile::kTimestamping, "TSA");
  xacbe::testing::KeyAndCert ocsp_ = pki_.issue(ca::Profile::kOcspResponder, "OCSP");
  std::unique_ptr<calendar::BusinessCalendar> calendar_;
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<Membership> membership_;
  std::unique_ptr<SecurityServers> servers_;
  std::unique_ptr<ConfigurationPublisher> publisher_;
};

TEST_F(ConfigurationPublisherTest, ListsMembersInGoodStandingOnly) {
  admit("QROO/EST/FGE");
  admit("QROO/EST/SSP");
  admit("QROO/MUN/OPB");
  ASSERT_TRUE(membership_->suspend("admin", id::MemberId::parse("QROO/EST/SSP").value(), "violación").is_ok());
  ASSERT_TRUE(membership_->request_termination("admin", id::MemberId::parse("QROO/MUN/OPB").value(), std::nullopt).is_ok());
  auto doc = served();
  EXPECT_EQ(doc.version(), 1u);
  EXPECT_NE(doc.find_member(id::MemberId::parse("QROO/EST/FGE").value()), nullptr);
  EXPECT_EQ(doc.find_member(id::MemberId::parse("QROO/EST/SSP").value()), nullptr);  // suspended
  EXPECT_NE(doc.find_member(id::MemberId::parse("QROO/MUN/OPB").value()), nullptr);  // terminating, not yet gone
  EXPECT_EQ(doc.content().tsa.url, "http://127.0.0.1:8890/");
  EXPECT_EQ(doc.expires_at() - doc.created_at(), hours(24));
}

TEST_F(ConfigurationPublisherTest, PublishesANewVersionOnlyWhenSomethingChangedOrHalfTheValidityPassed) {
  admit("QROO/EST/FGE");
  const auto first = publisher_->current().value();
  clock_.advance(hours(1));
  EXPECT_EQ(publisher_->current().value(), first);  // same content, still fresh: same bytes
  admit("QROO/EST/SSP");
  EXPECT_EQ(served().version(), 2u);
  clock_.advance(hours(12));
  EXPECT_EQ(served().version(), 3u);
}

TEST_F(ConfigurationPublisherTest, VersionsKeepIncreasingAcrossRestarts) {
  admit("QROO/EST/FGE");
  EXPECT_EQ(served().version(), 1u);
  publisher_ = make_publisher();
  admit("QROO/EST/SSP");
  EXPECT_EQ(served().version(), 2u);
}

TEST_F(ConfigurationPublisherTest, RefusesAtTheDoorANameTheDocumentWouldRefuse) {
  Application a{id::MemberId::parse("QROO/EST/FGE").value(), "", "CONV-1", {"Ana", "ana@x.gob.mx", "983"},
                {"Luis", "luis@x.gob.mx", "983"}, {"Enlace", "enlace@x.gob.mx", ""}, {"a", "b", "c", "d"}};
  for (const std::string& name : {std::string(257, 'n'), std::string("Fiscal\xC2\x85" "a"), std::string("A\xFF"),
                                 std::string()}) {
    a.member_name = name;
    auto refused = membership_->apply("admin", a);
    ASSERT_FALSE(refused.is_ok());
    EXPECT_EQ(refused.status().code(), Code::kInvalidArgument);
    EXPECT_NE(refused.status().message().find("member_name"), std::string::npos) << refused.status().message();
  }
  a.member_name = std::string(256, 'n');
  EXPECT_TRUE(membership_->apply("admin", a).is_ok());
}

TEST_F(ConfigurationPublisherTest, KeepsServingTheLastValidVersionWhenAStoredValueCannotBePublished) {
  admit("QROO/EST/FGE");
  const auto valid = publisher_->current().value();
  // A name an older registry let in (the door refuses it now): no new version can be made.
  ASSERT_TRUE(db_->exec("UPDATE member SET name = 'Fiscal' || char(133) || ' General'").is_ok());
  const auto audited_before = membership_->audit().last_id().value();
  clock_.advance(hours(13));  // half the validity: a new version is due
  for (int i = 0; i < 3; ++i) {
    auto served = publisher_->current();
    ASSERT_TRUE(served.is_ok()) << served.status().to_string();
    EXPECT_EQ(*served, valid);
  }
  // Audited once while the failure lasts.
  auto entries = membership_->audit().list(audited_before);
  ASSERT_EQ(entries->size(), 1u);
  EXPECT_EQ((*entries)[0].action, "globalconf.publish");
  EXPECT_FALSE((*entries)[0].success);
  EXPECT_NE((*entries)[0].detail.find("control characters"), std::string::npos) << (*entries)[0].detail;
  // Once the last valid version has expired there is nothing valid to serve.
  clock_.advance(hours(12));
  auto none = publisher_->current();
  ASSERT_FALSE(none.is_ok());
  EXPECT_EQ(none.status().code(), Code::kUnavailable);
  // A restart with the bad value stored still starts, and serves nothing invalid.
  publisher_ = make_publisher();
  EXPECT_EQ(publisher_->current().status().code(), Code::kUnavailable);
  // Repaired, it publishes again.
  ASSERT_TRUE(db_->exec("UPDATE member SET name = 'Fiscalía General'").is_ok());
  EXPECT_EQ(served().version(), 2u);
}

TEST_F(ConfigurationPublisherTest, ADocumentFromAnotherSignerIsRefusedByTheAnchor) {
  admit("QROO/EST/FGE");
  auto other = pki_.issue(ca::Profile::kSigning, "someone else");
  auto doc = globalconf::GlobalConfiguration::from_json(served().to_json()).value();
  auto forged = globalconf::sign_configuration(doc, other.key, other.cert).value();
  auto anchor = globalconf::ConfigurationAnchor::from_json(publisher_->anchor_json()).value();
  EXPECT_FALSE(globalconf::verify(forged, anchor, clock_, 0).is_ok());
}

TEST_F(ConfigurationPublisherTest, PublishesCurrentSubsystemsAsClientsOfTheirMembersServers) {
  admit("QROO/EST/FGE");
  // A registered server with an authentication certificate (the rows approval leaves behind).
  ASSERT_TRUE(db_->exec("INSERT INTO security_server VALUES('QROO/EST/FGE/ss1', 'QROO/EST/FGE', 'ss1.fge:5500',"
                        " 'MX', '1.0.0', 0, 0, 'admin');"
                        "INSERT INTO security_server_certificate VALUES('01', 'QROO/EST/FGE/ss1',"
                        " '" + std::string(64, 'a') + "', 0);")
                  .is_ok());
  MemberRecords records(*db_, clock_, *membership_);
  const auto sigi = id::SubsystemId::parse("QROO/EST/FGE/SIGI").value();
  const auto nomina = id::SubsystemId::parse("QROO/EST/FGE/NOMINA").value();
  ASSERT_TRUE(records.add_subsystem("admin", sigi).is_ok());
  ASSERT_TRUE(records.add_subsystem("admin", nomina).is_ok());

  auto doc = served();
  EXPECT_TRUE(doc.has_client(sigi));
  EXPECT_TRUE(doc.has_client(nomina));
  ASSERT_EQ(doc.servers_for(sigi).size(), 1u);
  const auto& clients = doc.servers_for(sigi)[0]->clients;
  ASSERT_EQ(clients.size(), 3u);
  EXPECT_EQ(clients[0], id::ClientId(id::MemberId::parse("QROO/EST/FGE").value()));  // the owner first

  ASSERT_TRUE(records.remove_subsystem("admin", sigi).is_ok());
  doc = served();
  EXPECT_EQ(doc.version(), 2u);
  EXPECT_FALSE(doc.has_client(sigi));
  EXPECT_TRUE(doc.servers_for(sigi).empty());
  EXPECT_TRUE(doc.has_client(nomina));

  // A suspended member's subsystems drop out with it.
  ASSERT_TRUE(membership_->suspend("admin", id::MemberId::parse("QROO/EST/FGE").value(), "violación").is_ok());
  EXPECT_FALSE(served().has_client(nomina));
}

TEST_F(ConfigurationPublisherTest, PublishesGlobalGroupsWithTheirClientsThatTheDocumentLists) {
  admit("QROO/EST/FGE");
  admit("QROO/EST/SSP");
  const auto fge = id::MemberId::parse("QROO/EST/FGE").value();
  const auto ssp = id::MemberId::parse("QROO/EST/SSP").value();
  const auto sigi = id::SubsystemId::parse("QROO/EST/FGE/SIGI").value();
  MemberRecords records(*db_, clock_, *membership_);
  ASSERT_TRUE(records.add_subsystem("admin", sigi).is_ok());
  GlobalGroups groups(*db_, clock_, *membership_);
  ASSERT_TRUE(groups.create("admin", "seguridad", "Instituciones de seguridad").is_ok());
  ASSERT_TRUE(groups.create("admin", "vacio", "Sin miembros").is_ok());
  ASSERT_TRUE(groups.add_member("admin", "seguridad", fge).is_ok());
  ASSERT_TRUE(groups.add_member("admin", "seguridad", ssp).is_ok());
  ASSERT_TRUE(groups.add_member("admin", "seguridad", sigi).is_ok());

  auto doc = served();
  const globalconf::GlobalGroup* group = doc.find_group("seguridad");
  ASSERT_NE(group, nullptr);
  EXPECT_EQ(group->members, (std::vector<id::ClientId>{fge, sigi, ssp}));  // identifier order
  ASSERT_NE(doc.find_group("vacio"), nullptr);
  EXPECT_TRUE(doc.find_group("vacio")->members.empty());

  // A suspended member and a removed subsystem drop out of the published group, not of the registry's.
  ASSERT_TRUE(membership_->suspend("admin", ssp, "violación").is_ok());
  ASSERT_TRUE(records.remove_subsystem("admin", sigi).is_ok());
  doc = served();
  ASSERT_NE(doc.find_group("seguridad"), nullptr);
  EXPECT_EQ(doc.find_group("seguridad")->members, std::vector<id::ClientId>{fge});
  EXPECT_EQ(groups.group("seguridad").value().members.size(), 3u);

  // A deleted group is no longer published.
  ASSERT_TRUE(groups.delete_group("admin", "vacio").is_ok());
  EXPECT_EQ(served().find_group("vacio"), nullptr);
}

TEST_F(ConfigurationPublisherTest, PublishesAccessLevelsAndANewVersionWhenALevelChanges) {
  admit("QROO/EST/FGE");
  admit("QROO/EST/SSP");
  const auto fge = id::ClientId::parse("QROO/EST/FGE").value();
  const auto ssp = id::ClientId::parse("QROO/EST/SSP").value();
  const auto sigi = id::ClientId::parse("QROO/EST/FGE/SIGI").value();
  MemberRecords records(*db_, clock_, *membership_);
  ASSERT_TRUE(records.add_subsystem("admin", *sigi.subsystem()).is_ok());
  AccessLevels levels(*db_, clock_, *membership_);
  ASSERT_TRUE(levels.set_levels("admin", {{"public", "Pública"}, {"confidential", "Confidencial"}}).is_ok());
  ASSERT_TRUE(levels.assign("admin", ssp, "public").is_ok());
  ASSERT_TRUE(levels.assign("admin", fge, "confidential").is_ok());
  ASSERT_TRUE(levels.assign("admin", sigi, "public").is_ok());

  auto doc = served();
  const std::uint64_t first = doc.version();
  ASSERT_EQ(doc.content().access_levels.levels.size(), 2u);
  EXPECT_EQ(doc.content().access_levels.levels[1].code, "confidential");
  ASSERT_EQ(doc.content().access_levels.assignments.size(), 3u);
  EXPECT_EQ(doc.content().access_levels.assignments[0].client, fge);  // identifier order
  EXPECT_EQ(*doc.effective_level(fge), "confidential");
  EXPECT_EQ(*doc.effective_level(sigi), "public");

  // Lowering a level is a new version.
  ASSERT_TRUE(levels.assign("admin", fge, "public").is_ok());
  doc = served();
  EXPECT_GT(doc.version(), first);
  EXPECT_EQ(*doc.effective_level(fge), "public");

  // A suspended member's level leaves the document with it, and comes back with it.
  ASSERT_TRUE(membership_->suspend("admin", ssp.member(), "violación").is_ok());
  doc = served();
  EXPECT_EQ(doc.assigned_level(ssp), nullptr);
  EXPECT_EQ(doc.content().access_levels.assignments.size(), 2u);
}

// RFC 5280 allows validity up to GeneralizedTime 99991231235959Z: a CA, signing, TSA and OCSP
// certificate valid that long (past a nanosecond clock value's 2262) pass the start-up check, and
// the document they sign verifies as a security server verifies it.
TEST_F(ConfigurationPublisherTest, PublishesWithCertificatesValidUntil9999) {
  xacbe::testing::TestPki far(clock_, crypto::KeyType::kEcP256, xacbe::testing::kLastX509Second);
  const auto until_9999 = xacbe::testing::kLastX509Second;
  auto signer = far.issue(ca::Profile::kSigning, "Signer 9999", crypto::KeyType::kEcP256, until_9999);
  auto tsa = far.issue(ca::Profile::kTimestamping, "TSA 9999", crypto::KeyType::kEcP256, until_9999);
  auto ocsp = far.issue(ca::Profile::kOcspResponder, "OCSP 9999", crypto::KeyType::kEcP256, until_9999);
  PublisherSettings s;
  s.instance = "QROO";
  s.download_url = "http://127.0.0.1:8880/globalconf/QROO";
  s.ocsp_urls = {"http://127.0.0.1:8891/"};
  s.ocsp_responder_certificates = {ocsp.cert};
  s.tsa_url = "http://127.0.0.1:8890/";
  s.tsa_certificate = tsa.cert;
  auto publisher = ConfigurationPublisher::create(*db_, clock_, *membership_, *servers_, far.root(),
                                                  std::move(signer.key), signer.cert, s);
  ASSERT_TRUE(publisher.is_ok()) << publisher.status().to_string();
  auto bytes = (*publisher)->current();
  ASSERT_TRUE(bytes.is_ok()) << bytes.status().to_string();
  auto anchor = globalconf::ConfigurationAnchor::from_json((*publisher)->anchor_json());
  ASSERT_TRUE(anchor.is_ok()) << anchor.status().to_string();
  auto doc = globalconf::verify(*bytes, *anchor, clock_, 0);
  EXPECT_TRUE(doc.is_ok()) << doc.status().to_string();
}

TEST_F(ConfigurationPublisherTest, RefusesIncompleteSettings) {
  PublisherSettings s;
  s.instance = "QROO";
  s.download_url = "http://127.0.0.1:8880/globalconf/QROO";
  s.ocsp_urls = {"http://127.0.0.1:8891/"};
  auto no_tsa = ConfigurationPublisher::create(*db_, clock_, *membership_, *servers_, pki_.root(),
                                               crypto::PrivateKey::from_pem(signer_.key.to_pem()).value(), signer_.cert, s);
  EXPECT_FALSE(no_tsa.is_ok());
  s.tsa_certificate = tsa_.cert;
  s.instance = "ELSEWHERE";
  auto bad_instance = ConfigurationPublisher::create(*db_, clock_, *membership_, *servers_, pki_.root(),
                                                     crypto::PrivateKey::from_pem(signer_.key.to_pem()).value(),
                                                     signer_.cert, s);
  EXPECT_FALSE(bad_instance.is_ok());
}

TEST_F(ConfigurationPublisherTest, RefusesAtStartSettingsThatCouldNeverPublish) {
  struct Case {
    const char* name;
    void (*spoil)(PublisherSettings&);
  };
  const Case cases[] = {
      {"freshness plus interval beyond eight hours",
       [](PublisherSettings& s) {
         s.settings.ocsp_freshness = hours(8);
         s.settings.timestamp_interval = minutes(10);
       }},
      {"OCSP URL that is no URL", [](PublisherSettings& s) { s.ocsp_urls = {"not a url"}; }},
      {"TSA URL that is no URL", [](PublisherSettings& s) { s.tsa_url = "ftp//x"; }},
      {"validity beyond the signing certificate", [](PublisherSettings& s) { s.validity = hours(24 * 365 * 5); }},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    PublisherSettings s;
    s.instance = "QROO";
    s.download_url = "http://127.0.0.1:8880/globalconf/QROO";
    s.ocsp_urls = {"http://127.0.0.1:8891/"};
    s.ocsp_responder_certificates = {ocsp_.cert};
    s.tsa_url = "http://127.0.0.1:8890/";
    s.tsa_certificate = tsa_.cert;
    c.spoil(s);
    auto p = ConfigurationPublisher::create(*db_, clock_, *membership_, *servers_, pki_.root(),
                                            crypto::PrivateKey::from_pem(signer_.key.to_pem()).value(), signer_.cert, s);
    EXPECT_FALSE(p.is_ok());
  }
  // A key that is not the certificate's.
  PublisherSettings s;
  s.instance = "QROO";
  s.download_url = "http://127.0.0.1:8880/globalconf/QROO";
  s.ocsp_urls = {"http://127.0.0.1:8891/"};
  s.tsa_url = "http://127.0.0.1:8890/";
  s.tsa_certificate = tsa_.cert;
  auto wrong_key = ConfigurationPublisher::create(*db_, clock_, *membership_, *servers_, pki_.root(),
                                                  crypto::PrivateKey::from_pem(tsa_.key.to_pem()).value(),
                                                  signer_.cert, s);
  EXPECT_FALSE(wrong_key.is_ok());
}

// ---- A change of the configuration-signing key (X-Road's two stages) ----

globalconf::ConfigurationAnchor anchor_of(const ConfigurationPublisher& publisher) {
  return globalconf::ConfigurationAnchor::from_json(publisher.anchor_json()).value();
}

std::vector<std::string> listed_serials(const globalconf::ConfigurationAnchor& anchor) {
  std::vector<std::string> out;
  for (const auto& c : anchor.signing_certificates()) out.push_back(c.serial_hex());
  return out;
}

globalconf::ConfigurationFault fault_of(const std::string& signed_form, const globalconf::ConfigurationAnchor& anchor,
                                        const Clock& clock) {
  globalconf::ConfigurationFault fault = globalconf::ConfigurationFault::kNone;
  (void)globalconf::verify(signed_form, anchor, clock, 0, &fault);
  return fault;
}

class SigningKeyChangeTest : public ConfigurationPublisherTest {
 protected:
  xacbe::testing::KeyAndCert next_ = pki_.issue(ca::Profile::kSigning, "CEIQROO configuration signer 2");
};

TEST_F(SigningKeyChangeTest, AnnouncedKeyIsListedInTheAnchorWhileTheCurrentKeyStillSigns) {
  admit("QROO/EST/FGE");
  const auto old_anchor = anchor_of(*publisher_);  // what security servers hold before the change
  const std::string before = publisher_->current().value();
  publisher_ = make_publisher(SigningKeys{signer(signer_), signer(next_), std::nullopt});
  const auto announced = anchor_of(*publisher_);
  EXPECT_EQ(listed_serials(announced), (std::vector<std::string>{signer_.cert.serial_hex(), next_.cert.serial_hex()}));
  // Nothing changed for anybody: the same version, signed with the current key, served as before.
  const std::string served_bytes = publisher_->current().value();
  EXPECT_EQ(served_bytes, before);
  EXPECT_EQ(globalconf::embedded_signer(served_bytes).value().der(), signer_.cert.der());
  EXPECT_TRUE(globalconf::verify(served_bytes, old_anchor, clock_, 0).is_ok());
  EXPECT_TRUE(globalconf::verify(served_bytes, announced, clock_, 0).is_ok());
  // New versions too.
  admit("QROO/EST/SSP");
  const std::string newer = publisher_->current().value();
  EXPECT_EQ(globalconf::verify(newer, old_anchor, clock_, 0).value().version(), 2u);
  EXPECT_TRUE(globalconf::verify(newer, announced, clock_, 0).is_ok());
}

TEST_F(SigningKeyChangeTest, AfterTheSwitchVersionsVerifyAgainstTheTwoCertificateAnchorOnly) {
  admit("QROO/EST/FGE");
  const auto old_anchor = anchor_of(*publisher_);
  const auto first = globalconf::verify(publisher_->current().value(), old_anchor, clock_, 0).value();
  publisher_ = make_publisher(SigningKeys{signer(signer_), signer(next_), std::nullopt});
  const std::string announced_anchor = publisher_->anchor_json();
  const auto announced = anchor_of(*publisher_);

  publisher_ = make_publisher(SigningKeys{signer(next_), std::nullopt, signer_.cert});
  // The anchor servers installed during the announcement is the anchor now: the same bytes.
  EXPECT_EQ(publisher_->anchor_json(), announced_anchor);
  // The content has not changed and the last version is fresh, but it was signed with the old
  // key: the next download gets a new version signed with the new one.
  const std::string switched = publisher_->current().value();
  EXPECT_EQ(globalconf::embedded_signer(switched).value().der(), next_.cert.der());
  auto accepted = globalconf::verify(switched, announced, clock_, first.version() + 1);
  ASSERT_TRUE(accepted) << accepted.status().to_string();
  EXPECT_EQ(accepted->version(), first.version() + 1);
  // A server that never installed the new anchor refuses it.
  EXPECT_EQ(fault_of(switched, old_anchor, clock_), globalconf::ConfigurationFault::kUntrustedSigner);
  auto refused = globalconf::verify(switched, old_anchor, clock_, 0);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.status().code(), Code::kPermissionDenied);
  // Later versions stay signed with the new key.
  admit("QROO/EST/SSP");
  const std::string later = publisher_->current().value();
  EXPECT_TRUE(globalconf::verify(later, announced, clock_, 0).is_ok());
  EXPECT_EQ(fault_of(later, old_anchor, clock_), globalconf::ConfigurationFault::kUntrustedSigner);
}

TEST_F(SigningKeyChangeTest, OnceTheOldCertificateIsDroppedTheAnchorListsTheNewOneAlone) {
  admit("QROO/EST/FGE");
  publisher_ = make_publisher(SigningKeys{signer(signer_), signer(next_), std::nullopt});
  const auto announced = anchor_of(*publisher_);
  publisher_ = make_publisher(SigningKeys{signer(next_), std::nullopt, signer_.cert});
  (void)publisher_->current().value();
  publisher_ = make_publisher(SigningKeys{signer(next_), std::nullopt, std::nullopt});
  const auto finished = anchor_of(*publisher_);
  EXPECT_EQ(listed_serials(finished), std::vector<std::string>{next_.cert.serial_hex()});
  const std::string served_bytes = publisher_->current().value();
  EXPECT_TRUE(globalconf::verify(served_bytes, finished, clock_, 0).is_ok());
  EXPECT_TRUE(globalconf::verify(served_bytes, announced, clock_, 0).is_ok());  // not installed yet: still fine
  // A version the old key signed (a leaked old key, say) is refused under the new anchor.
  auto doc = globalconf::GlobalConfiguration::from_json(served().to_json()).value();
  const std::string by_old_key = globalconf::sign_configuration(doc, signer_.key, signer_.cert).value();
  EXPECT_EQ(fault_of(by_old_key, finished, clock_), globalconf::ConfigurationFault::kUntrustedSigner);
}

// When no new version can be made, only a stored version the anchor accepts is served.
TEST_F(SigningKeyChangeTest, FallsBackOnlyToAStoredVersionTheAnchorAccepts) {
  admit("QROO/EST/FGE");
  const std::string by_old_key = publisher_->current().value();
  auto switched = make_publisher(SigningKeys{signer(next_), std::nullopt, signer_.cert});
  auto finished = make_publisher(SigningKeys{signer(next_), std::nullopt, std::nullopt});
  // A name an older registry let in: no new version can be made.
  ASSERT_TRUE(db_->exec("UPDATE member SET name = 'Fiscal' || char(133) || ' General'").is_ok());
  // Switched: the anchor still lists the old certificate, so the old key's version is served.
  EXPECT_EQ(switched->current().value(), by_old_key);
  // Finished: the anchor lists the new certificate alone, and no version it accepts is stored.
  auto none = finished->current();
  ASSERT_FALSE(none);
  EXPECT_EQ(none.status().code(), Code::kUnavailable);
}

TEST_F(SigningKeyChangeTest, RefusesAKeyChangeThatCouldNotComplete) {
  xacbe::testing::TestPki foreign(clock_);
  auto foreign_signer = foreign.issue(ca::Profile::kSigning, "someone else's signer");
  auto short_lived = pki_.issue(ca::Profile::kSigning, "short-lived", crypto::KeyType::kEcP256,
                                std::chrono::floor<seconds>(clock_.now()) + hours(2));
  struct Case {
    const char* name;
    std::function<SigningKeys()> keys;
    Code code;
    const char* message;
  };
  const std::vector<Case> cases = {
      {"a next key and a previous certificate at once",
       [&] { return SigningKeys{signer(signer_), signer(next_), next_.cert}; }, Code::kInvalidArgument, "not both"},
      {"a next certificate the CA did not issue",
       [&] { return SigningKeys{signer(signer_), signer(foreign_signer), std::nullopt}; }, Code::kInvalidArgument,
       "signing_certificates[1]"},
      {"a next key that is not its certificate's",
       [&] { return SigningKeys{signer(signer_), ConfigurationSigner{signer(signer_).key, next_.cert}, std::nullopt}; },
       Code::kInvalidArgument, "next key"},
      {"a next certificate that ends before a version published now",
       [&] { return SigningKeys{signer(signer_), signer(short_lived), std::nullopt}; }, Code::kFailedPrecondition,
       "next configuration-signing certificate expires"},
      {"the next certificate twice",
       [&] { return SigningKeys{signer(next_), std::nullopt, next_.cert}; }, Code::kInvalidArgument, "listed twice"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto refused = try_publisher(c.keys());
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.status().code(), c.code) << refused.status().to_string();
    EXPECT_NE(refused.status().message().find(c.message), std::string::npos) << refused.status().to_string();
  }
}

}  // namespace
}  // namespace xacbe::registry
