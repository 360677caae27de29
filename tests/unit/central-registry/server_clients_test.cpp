// Shared servers: register-client and unregister-client, from the signed request to the clients
// the global configuration publishes for the server.
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "configuration_publisher.hpp"
#include "schema.hpp"
#include "security_servers.hpp"
#include "support/test_pki.hpp"
#include "xacbe/crypto/cms.hpp"
#include "xacbe/management/management_request.hpp"
#include "xacbe/store/database.hpp"

namespace xacbe::registry {
namespace {

using namespace std::chrono;
using Json = nlohmann::json;

// 2026-11-23 (Monday) 15:00 UTC = 10:00 in Cancún.
const TimePoint kMonday = sys_days{year{2026} / November / 23} + hours(15);
const char* kCalendar = R"({"time_zone": "America/Cancun", "rules": [], "dates": []})";

id::MemberId member_id(const std::string& text) { return id::MemberId::parse(text).value(); }
id::SubsystemId subsystem_id(const std::string& text) { return id::SubsystemId::parse(text).value(); }
id::ClientId client_id(const std::string& text) { return id::ClientId::parse(text).value(); }

struct Signer {
  crypto::PrivateKey key;
  crypto::Certificate cert;
};

class ServerClientsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    calendar_ = std::make_unique<calendar::BusinessCalendar>(calendar::BusinessCalendar::parse(kCalendar).value());
    db_ = store::Database::open(pki_.dir().file("registry.db")).value();
    ASSERT_TRUE(migrate_schema(*db_).is_ok());
    membership_ = std::make_unique<Membership>(*db_, clock_, *calendar_, "QROO", &pki_.ca());
    records_ = std::make_unique<MemberRecords>(*db_, clock_, *membership_);
    servers_ = std::make_unique<SecurityServers>(*db_, clock_, *membership_, pki_.ca(), SecurityServerSettings{});
    PublisherSettings s;
    s.instance = "QROO";
    s.download_url = "http://127.0.0.1:8880/globalconf/QROO";
    s.ocsp_urls = {"http://127.0.0.1:8891/"};
    s.ocsp_responder_certificates = {ocsp_.cert};
    s.tsa_url = "http://127.0.0.1:8890/";
    s.tsa_certificate = tsa_.cert;
    s.validity = hours(24);
    publisher_ = ConfigurationPublisher::create(*db_, clock_, *membership_, *servers_, pki_.root(),
                                               crypto::PrivateKey::from_pem(conf_signer_.key.to_pem()).value(),
                                               conf_signer_.cert, s)
                     .value();
    // The state agency's server SS1 and the municipality whose information system it hosts.
    admit("QROO/EST/SSP");
    admit("QROO/MUN/BJ");
    ASSERT_TRUE(records_->add_subsystem("admin", subsystem_id("QROO/EST/SSP/C5")).is_ok());
    ASSERT_TRUE(records_->add_subsystem("admin", subsystem_id("QROO/MUN/BJ/PADRON")).is_ok());
    ss1_ = std::make_unique<Signer>(register_server("QROO/EST/SSP/SS1"));
  }

  static Application application(const std::string& member) {
    return {member_id(member),
            "Institución " + member,
            "CONV-1",
            {"Ana", "ana@x.gob.mx", "983"},
            {"Luis", "luis@x.gob.mx", "983"},
            {"Enlace", "enlace@x.gob.mx", ""},
            {"a", "b", "c", "d"}};
  }

  void admit(const std::string& member) {
    auto id = membership_->apply("admin", application(member));
    ASSERT_TRUE(id.is_ok()) << id.status().to_string();
    ASSERT_TRUE(membership_->admit("admin", *id).is_ok());
  }

  // A server registered the usual way (bootstrap request, approved); its authentication key and
  // certificate sign its later requests.
  Signer register_server(const std::string& server) {
    const auto id = id::SecurityServerId::parse(server).value();
    crypto::PrivateKey key = crypto::PrivateKey::generate(crypto::KeyType::kEcP256).value();
    auto csr = crypto::CertificateRequest::create(key, {{"CN", "whatever"}}).value();
    auto registration = management::make_register_server(id, floor<seconds>(clock_.now()), "ss1.ssp.qroo.gob.mx:5500",
                                                         "MX", "1.0.0", std::move(csr));
    auto signed_request = management::sign_bootstrap_request(registration, key, clock_.now()).value();
    auto pending = servers_->submit(signed_request.request, signed_request.signature);
    if (!pending) throw std::runtime_error(pending.status().to_string());
    if (!servers_->approve("maria", pending->id).is_ok()) throw std::runtime_error("registration not approved");
    auto cert = crypto::Certificate::from_pem(servers_->request(pending->id)->issued_certificate_pem).value();
    return {std::move(key), std::move(cert)};
  }

  // A request as a security server builds and signs it (management::make_..., sign_request).
  Result<ManagementRequest> send(const management::Request& r, const Signer& signer) {
    XACBE_ASSIGN_OR_RETURN(management::SignedRequest s, management::sign_request(r, signer.key, signer.cert));
    return servers_->submit(s.request, s.signature);
  }
  Result<ManagementRequest> send_register(const std::string& client) {
    return send(management::make_register_client(ss1_id_, floor<seconds>(clock_.now()), client_id(client)), *ss1_);
  }
  Result<ManagementRequest> send_unregister(const std::string& client) {
    return send(management::make_unregister_client(ss1_id_, floor<seconds>(clock_.now()), client_id(client)), *ss1_);
  }
  // Registers `client` on SS1: request, then an administrator's approval.
  void carry(const std::string& client) {
    auto pending = send_register(client);
    ASSERT_TRUE(pending.is_ok()) << pending.status().to_string();
    Status approved = servers_->approve("maria", pending->id);
    ASSERT_TRUE(approved.is_ok()) << approved.to_string();
  }

  std::vector<std::string> registered_clients() {
    std::vector<std::string> out;
    const SecurityServer server = servers_->server(ss1_id_).value();
    for (const auto& c : server.registered_clients) out.push_back(c.client.to_string());
    return out;
  }

  // The clients the served document lists for SS1, verified as a security server verifies it.
  std::vector<std::string> published_clients() {
    auto bytes = publisher_->current();
    EXPECT_TRUE(bytes.is_ok()) << bytes.status().to_string();
    auto anchor = globalconf::ConfigurationAnchor::from_json(publisher_->anchor_json()).value();
    auto doc = globalconf::verify(*bytes, anchor, clock_, 0);
    EXPECT_TRUE(doc.is_ok()) << doc.status().to_string();
    const globalconf::SecurityServer* server = doc->find_server(ss1_id_);
    if (server == nullptr) return {};
    std::vector<std::string> out;
    for (const auto& c : server->clients) out.push_back(c.to_string());
    return out;
  }

  ManualClock clock_{kMonday};
  xacbe::testing::TestPki pki_{clock_};
  xacbe::testing::KeyAndCert conf_signer_ = pki_.issue(ca::Profile::kSigning, "CEIQROO configuration signer");
  xacbe::testing::KeyAndCert tsa_ = pki_.issue(ca::Profile::kTimestamping, "TSA");
  xacbe::testing::KeyAndCert ocsp_ = pki_.issue(ca::Profile::kOcspResponder, "OCSP");
  std::unique_ptr<calendar::BusinessCalendar> calendar_;
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<Membership> membership_;
  std::unique_ptr<MemberRecords> records_;
  std::unique_ptr<SecurityServers> servers_;
  std::unique_ptr<ConfigurationPublisher> publisher_;
  const id::SecurityServerId ss1_id_ = id::SecurityServerId::parse("QROO/EST/SSP/SS1").value();
  std::unique_ptr<Signer> ss1_;
};

TEST_F(ServerClientsTest, ApprovedClientIsPublishedAfterTheOwnerAndItsSubsystems) {
  EXPECT_EQ(published_clients(), (std::vector<std::string>{"QROO/EST/SSP", "QROO/EST/SSP/C5"}));

  auto pending = send_register("QROO/MUN/BJ/PADRON");
  ASSERT_TRUE(pending.is_ok()) << pending.status().to_string();
  EXPECT_EQ(pending->type, management::RequestType::kRegisterClient);
  EXPECT_EQ(pending->state, RequestState::kPending);  // waits for an administrator
  EXPECT_TRUE(registered_clients().empty());
  EXPECT_EQ(published_clients().size(), 2u);

  ASSERT_TRUE(servers_->approve("maria", pending->id).is_ok());
  EXPECT_EQ(servers_->request(pending->id)->state, RequestState::kApproved);
  const auto server = servers_->server(ss1_id_).value();
  ASSERT_EQ(server.registered_clients.size(), 1u);
  EXPECT_EQ(server.registered_clients[0].client, client_id("QROO/MUN/BJ/PADRON"));
  EXPECT_EQ(server.registered_clients[0].approved_by, "maria");
  EXPECT_EQ(server.registered_clients[0].request, pending->id);
  EXPECT_EQ(server.registered_clients[0].approved_at, clock_.now());
  EXPECT_EQ(published_clients(),
            (std::vector<std::string>{"QROO/EST/SSP", "QROO/EST/SSP/C5", "QROO/MUN/BJ/PADRON"}));

  // The approval and its audit entry, with what it bound.
  const auto entries = membership_->audit().list().value();
  const auto approval = std::find_if(entries.rbegin(), entries.rend(),
                                     [](const AuditEntry& e) { return e.action == "management.approve"; });
  ASSERT_NE(approval, entries.rend());
  EXPECT_TRUE(approval->success);
  EXPECT_EQ(approval->actor, "maria");
  EXPECT_EQ(approval->detail, "register-client QROO/MUN/BJ/PADRON on QROO/EST/SSP/SS1");
}

TEST_F(ServerClientsTest, AMemberClientIsPublishedWithoutItsSubsystems) {
  carry("QROO/MUN/BJ");
  // Listing a member does not cover its subsystems (global-configuration.md, 1.5).
  EXPECT_EQ(published_clients(), (std::vector<std::string>{"QROO/EST/SSP", "QROO/EST/SSP/C5", "QROO/MUN/BJ"}));
}

TEST_F(ServerClientsTest, DeclinedRegistrationBindsNothing) {
  auto pending = send_register("QROO/MUN/BJ");
  ASSERT_TRUE(pending.is_ok()) << pending.status().to_string();
  ASSERT_TRUE(servers_->decline("maria", pending->id, "the municipality did not confirm").is_ok());
  EXPECT_TRUE(registered_clients().empty());
  EXPECT_EQ(published_clients().size(), 2u);
}

// One row per refused register-client or unregister-client and its fault. The requests are built
// by hand, so that a row can break a rule the shared builder already enforces.
TEST_F(ServerClientsTest, RefusesEveryBadClientChangeWithItsOwnReason) {
  admit("QROO/MUN/OPB");
  ASSERT_TRUE(membership_->suspend("admin", member_id("QROO/MUN/OPB"), "violación").is_ok());
  ASSERT_TRUE(membership_->apply("admin", application("QROO/MUN/TUL")).is_ok());  // not admitted
  carry("QROO/MUN/BJ/PADRON");
  // The owner's signing certificate speaks for all its servers, registered or not.
  crypto::PrivateKey sign_key = crypto::PrivateKey::generate(crypto::KeyType::kEcP256).value();
  auto csr = management::make_submit_csr(ss1_id_, floor<seconds>(clock_.now()), management::KeyUsage::kSign,
                                         crypto::CertificateRequest::create(sign_key, {{"CN", "x"}}).value());
  auto csr_request = send(csr, *ss1_);
  ASSERT_TRUE(csr_request.is_ok()) << csr_request.status().to_string();
  ASSERT_TRUE(servers_->approve("maria", csr_request->id).is_ok());
  const Signer owner{std::move(sign_key),
                     crypto::Certificate::from_pem(servers_->request(csr_request->id)->issued_certificate_pem).value()};

  struct Row {
    std::string name;
    std::string type;
    std::string server;
    std::string client;
    Code code;
    std::string message;
  };
  const std::string ss1 = "QROO/EST/SSP/SS1";
  const std::vector<Row> rows = {
      {"server not registered", "register-client", "QROO/EST/SSP/SS9", "QROO/MUN/BJ", Code::kNotFound,
       "unknown server: QROO/EST/SSP/SS9 is not registered"},
      {"unknown client member", "register-client", ss1, "QROO/MUN/XYZ", Code::kNotFound,
       "unknown client: member QROO/MUN/XYZ is not registered"},
      {"unknown subsystem", "register-client", ss1, "QROO/MUN/BJ/CATASTRO", Code::kNotFound,
       "unknown client: QROO/MUN/BJ/CATASTRO is not a current subsystem of QROO/MUN/BJ"},
      {"suspended client member", "register-client", ss1, "QROO/MUN/OPB", Code::kFailedPrecondition,
       "client not in good standing: member QROO/MUN/OPB is suspended"},
      {"member not yet admitted", "register-client", ss1, "QROO/MUN/TUL", Code::kFailedPrecondition,
       "client not in good standing: member QROO/MUN/TUL is pending"},
      {"client of another instance", "register-client", ss1, "QROO-TEST/MUN/BJ", Code::kInvalidArgument,
       "malformed request: client QROO-TEST/MUN/BJ belongs to instance QROO-TEST"},
      {"not a client id", "register-client", ss1, "QROO/MUN", Code::kInvalidArgument,
       "malformed request: bad client id"},
      {"already carried", "register-client", ss1, "QROO/MUN/BJ/PADRON", Code::kAlreadyExists,
       "already carried: QROO/MUN/BJ/PADRON is already a registered client of server QROO/EST/SSP/SS1"},
      {"the owner", "register-client", ss1, "QROO/EST/SSP", Code::kAlreadyExists,
       "already carried: QROO/EST/SSP is the server's owner"},
      {"a subsystem of the owner", "register-client", ss1, "QROO/EST/SSP/C5", Code::kAlreadyExists,
       "already carried: QROO/EST/SSP/C5 is a subsystem of the server's owner"},
      {"removing a client not carried", "unregister-client", ss1, "QROO/MUN/BJ", Code::kNotFound,
       "not carried: QROO/MUN/BJ is not a registered client of server QROO/EST/SSP/SS1"},
      {"removing the owner", "unregister-client", ss1, "QROO/EST/SSP", Code::kFailedPrecondition,
       "owner's client: QROO/EST/SSP is the server's owner"},
      {"removing from a server not registered", "unregister-client", "QROO/EST/SSP/SS9", "QROO/MUN/BJ/PADRON",
       Code::kNotFound, "unknown server"},
  };
  int counter = 0;
  for (const Row& row : rows) {
    SCOPED_TRACE(row.name);
    const std::string body = Json{{"type", row.type},
                                  {"server", row.server},
                                  {"request_id", "refused-" + std::to_string(++counter)},
                                  {"created_at", globalconf::format_time(floor<seconds>(clock_.now()))},
                                  {"payload", {{"client", row.client}}}}
                                 .dump();
    auto refused = servers_->submit(body, crypto::cms_sign_detached(owner.key, owner.cert, body).value());
    ASSERT_FALSE(refused.is_ok());
    EXPECT_EQ(refused.status().code(), row.code) << refused.status().to_string();
    EXPECT_NE(refused.status().message().find(row.message), std::string::npos) << refused.status().to_string();
  }
  EXPECT_EQ(registered_clients(), std::vector<std::string>{"QROO/MUN/BJ/PADRON"});
  EXPECT_TRUE(servers_->requests(RequestState::kPending)->empty());
}

TEST_F(ServerClientsTest, ApprovalRechecksTheClientAndRefusesASecondBinding) {
  auto first = send_register("QROO/MUN/BJ");
  auto second = send_register("QROO/MUN/BJ");  // both wait: neither is carried yet
  ASSERT_TRUE(first.is_ok()) << first.status().to_string();
  ASSERT_TRUE(second.is_ok()) << second.status().to_string();
  ASSERT_TRUE(servers_->approve("maria", first->id).is_ok());
  Status duplicate = servers_->approve("maria", second->id);
  EXPECT_EQ(duplicate.code(), Code::kAlreadyExists) << duplicate.to_string();
  EXPECT_EQ(servers_->request(second->id)->state, RequestState::kPending);

  // The client's standing is checked again when the administrator decides.
  auto third = send_register("QROO/MUN/BJ/PADRON");
  ASSERT_TRUE(third.is_ok()) << third.status().to_string();
  ASSERT_TRUE(membership_->suspend("admin", member_id("QROO/MUN/BJ"), "violación").is_ok());
  Status suspended = servers_->approve("maria", third->id);
  EXPECT_EQ(suspended.code(), Code::kFailedPrecondition) << suspended.to_string();
  EXPECT_EQ(registered_clients(), std::vector<std::string>{"QROO/MUN/BJ"});
}

TEST_F(ServerClientsTest, UnregisterClientIsCarriedOutAtReceipt) {
  carry("QROO/MUN/BJ/PADRON");
  carry("QROO/MUN/BJ");
  auto removal = send_unregister("QROO/MUN/BJ/PADRON");
  ASSERT_TRUE(removal.is_ok()) << removal.status().to_string();
  EXPECT_EQ(removal->type, management::RequestType::kUnregisterClient);
  EXPECT_EQ(removal->state, RequestState::kApproved);
  EXPECT_EQ(removal->decided_by, "policy:removal");
  EXPECT_EQ(registered_clients(), std::vector<std::string>{"QROO/MUN/BJ"});
  EXPECT_EQ(published_clients(), (std::vector<std::string>{"QROO/EST/SSP", "QROO/EST/SSP/C5", "QROO/MUN/BJ"}));

  // A client that is not in good standing can still be taken away; then it may come back.
  ASSERT_TRUE(membership_->suspend("admin", member_id("QROO/MUN/BJ"), "violación").is_ok());
  ASSERT_TRUE(send_unregister("QROO/MUN/BJ").is_ok());
  EXPECT_TRUE(registered_clients().empty());
  ASSERT_TRUE(membership_->reactivate("admin", member_id("QROO/MUN/BJ"), "resuelto").is_ok());
  carry("QROO/MUN/BJ");
  EXPECT_EQ(registered_clients(), std::vector<std::string>{"QROO/MUN/BJ"});
}

TEST_F(ServerClientsTest, ClientsNotInGoodStandingDropOutOfThePublishedListButStayBound) {
  carry("QROO/MUN/BJ");
  carry("QROO/MUN/BJ/PADRON");
  const std::vector<std::string> all = {"QROO/EST/SSP", "QROO/EST/SSP/C5", "QROO/MUN/BJ", "QROO/MUN/BJ/PADRON"};
  EXPECT_EQ(published_clients(), all);

  // A suspended member drops out, with its subsystems.
  ASSERT_TRUE(membership_->suspend("admin", member_id("QROO/MUN/BJ"), "violación").is_ok());
  EXPECT_EQ(published_clients(), (std::vector<std::string>{"QROO/EST/SSP", "QROO/EST/SSP/C5"}));
  EXPECT_EQ(registered_clients().size(), 2u);  // the registry keeps the bindings
  ASSERT_TRUE(membership_->reactivate("admin", member_id("QROO/MUN/BJ"), "resuelto").is_ok());
  EXPECT_EQ(published_clients(), all);

  // A removed subsystem drops out.
  ASSERT_TRUE(records_->remove_subsystem("admin", subsystem_id("QROO/MUN/BJ/PADRON")).is_ok());
  EXPECT_EQ(published_clients(), (std::vector<std::string>{"QROO/EST/SSP", "QROO/EST/SSP/C5", "QROO/MUN/BJ"}));
  EXPECT_EQ(registered_clients().size(), 2u);
}

}  // namespace
}  // namespace xacbe::registry
