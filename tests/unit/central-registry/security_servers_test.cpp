#include "security_servers.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <functional>
#include <stdexcept>
#include <nlohmann/json.hpp>

#include "support/test_pki.hpp"
#include "xacbe/ca/certificate_authority.hpp"
#include "xacbe/crypto/cms.hpp"
#include "xacbe/crypto/csr.hpp"
#include "xacbe/globalconf/global_configuration.hpp"
#include "xacbe/management/management_request.hpp"
#include "membership.hpp"
#include "schema.hpp"
#include "xacbe/store/database.hpp"

namespace xacbe::registry {
namespace {

using namespace std::chrono;
using Json = nlohmann::json;

// 2026-11-23 (Monday) 15:00 UTC = 10:00 in Cancún.
const TimePoint kMonday = sys_days{year{2026} / November / 23} + hours(15);

const char* kCalendar = R"({"time_zone": "America/Cancun", "rules": [], "dates": []})";

Application application_for(const std::string& member, const std::string& name) {
  return {id::MemberId::parse(member).value(),
          name,
          "CONV-CEIQROO-2026-014",
          {"Ana Pérez", "ana.perez@example.gob.mx", "+52 983 000 0001"},
          {"Luis Chan", "luis.chan@example.gob.mx", "+52 983 000 0002"},
          {"Mesa de enlace", "enlace@example.gob.mx", ""},
          {"firmas", "bitácora", "cifrado TLS", "servidor redundante"}};
}

id::SecurityServerId server_id(const std::string& text) { return id::SecurityServerId::parse(text).value(); }

crypto::PrivateKey new_key() { return crypto::PrivateKey::generate(crypto::KeyType::kEcP256).value(); }

crypto::CertificateRequest csr_for(const crypto::PrivateKey& key) {
  // The CA ignores the CSR's subject; the registry names the certificate.
  return crypto::CertificateRequest::create(key, {{"CN", "whatever"}}).value();
}

std::string csr_pem(const crypto::PrivateKey& key) { return csr_for(key).pem(); }

// A CSR for an RSA 1024 key, which PrivateKey refuses to create.
std::string weak_csr_pem() {
  crypto::EVP_PKEYPtr key(EVP_RSA_gen(1024));
  crypto::X509_REQPtr req(X509_REQ_new());
  EXPECT_EQ(X509_REQ_set_pubkey(req.get(), key.get()), 1);
  EXPECT_GT(X509_REQ_sign(req.get(), key.get(), EVP_sha256()), 0);
  crypto::BIOPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509_REQ(bio.get(), req.get());
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

struct Signed {
  std::string body;
  std::string signature;
};

struct RegisteredServer {
  id::SecurityServerId id;
  crypto::PrivateKey auth_key;
  crypto::Certificate auth_cert;
};

class SecurityServersTest : public ::testing::Test {
 public:  // the table-driven test's rows reach the fixture through a reference
  void SetUp() override {
    auto cal = calendar::BusinessCalendar::parse(kCalendar);
    ASSERT_TRUE(cal.is_ok()) << cal.status().to_string();
    calendar_ = std::make_unique<calendar::BusinessCalendar>(std::move(cal).value());
    auto db = store::Database::open(pki_.dir().file("registry.db"));
    ASSERT_TRUE(db.is_ok());
    db_ = std::move(db).value();
    ASSERT_TRUE(migrate_schema(*db_).is_ok());
    membership_ = std::make_unique<Membership>(*db_, clock_, *calendar_, "QROO", &pki_.ca());
    use_settings({});
    admit("QROO/EST/FGE", "Fiscalía General del Estado");
  }

  void use_settings(SecurityServerSettings settings) {
    servers_ = std::make_unique<SecurityServers>(*db_, clock_, *membership_, pki_.ca(), std::move(settings));
  }

  void admit(const std::string& member, const std::string& name) {
    auto id = membership_->apply("ceiqroo-admin", application_for(member, name));
    ASSERT_TRUE(id.is_ok()) << id.status().to_string();
    ASSERT_TRUE(membership_->admit("ceiqroo-admin", *id).is_ok());
  }

  std::string fresh_request_id() { return "request-" + std::to_string(++request_counter_); }
  sys_seconds created(std::optional<TimePoint> at = std::nullopt) { return floor<seconds>(at.value_or(clock_.now())); }

  // Requests built by hand, so that rows can break any rule; valid ones come from the shared
  // builder (management::make_..., to_json, sign_request), as a security server makes them.

  std::string request(const std::string& type, const std::string& server, const Json& payload,
                      std::optional<TimePoint> created = std::nullopt) {
    return Json{{"type", type},
                {"server", server},
                {"request_id", fresh_request_id()},
                {"created_at", globalconf::format_time(floor<seconds>(created.value_or(clock_.now())))},
                {"payload", payload}}
        .dump();
  }

  static Json registration(const crypto::PrivateKey& key, const std::string& country = "MX",
                           const std::string& version = "1.0.0", const std::string& address = "ss1.fge.qroo.gob.mx:5500") {
    return {{"address", address}, {"country", country}, {"software_version", version}, {"auth_csr", csr_pem(key)}};
  }

  static std::string sign(const std::string& body, const crypto::PrivateKey& key, const crypto::Certificate& cert) {
    return crypto::cms_sign_detached(key, cert, body).value();
  }

  // A register-server request signed the bootstrap way, with the key of its own CSR.
  Signed bootstrap(const std::string& server, const crypto::PrivateKey& key, const std::string& country = "MX",
                   const std::string& version = "1.0.0") {
    const std::string body = request("register-server", server, registration(key, country, version));
    auto cert = management::make_bootstrap_certificate(key, server_id(server), clock_.now());
    EXPECT_TRUE(cert.is_ok()) << cert.status().to_string();
    return {body, sign(body, key, *cert)};
  }

  Result<ManagementRequest> submit(const Signed& s) { return servers_->submit(s.body, s.signature); }

  // Registers a server (bootstrap request approved by an administrator).
  RegisteredServer registered(const std::string& server, const std::string& country = "MX",
                              const std::string& version = "1.0.0") {
    crypto::PrivateKey key = new_key();
    auto pending = submit(bootstrap(server, key, country, version));
    EXPECT_TRUE(pending.is_ok()) << pending.status().to_string();
    if (!pending) throw std::runtime_error("registration refused");
    Status approved = servers_->approve("maria", pending->id);
    EXPECT_TRUE(approved.is_ok()) << approved.to_string();
    auto cert = crypto::Certificate::from_pem(servers_->request(pending->id)->issued_certificate_pem);
    EXPECT_TRUE(cert.is_ok()) << cert.status().to_string();
    return {server_id(server), std::move(key), std::move(cert).value()};
  }

  // A submit-csr request signed by `signer`, approved; returns the new key and certificate.
  std::pair<crypto::PrivateKey, crypto::Certificate> certified(const RegisteredServer& signer,
                                                               management::KeyUsage usage) {
    crypto::PrivateKey key = new_key();
    auto signed_request = management::sign_request(
        management::make_submit_csr(signer.id, created(), usage, csr_for(key)), signer.auth_key, signer.auth_cert);
    EXPECT_TRUE(signed_request.is_ok()) << signed_request.status().to_string();
    auto pending = servers_->submit(signed_request->request, signed_request->signature);
    EXPECT_TRUE(pending.is_ok()) << pending.status().to_string();
    EXPECT_TRUE(servers_->approve("maria", pending->id).is_ok());
    auto cert = crypto::Certificate::from_pem(servers_->request(pending->id)->issued_certificate_pem).value();
    return {std::move(key), std::move(cert)};
  }

  crypto::CertStatus cert_status(const crypto::Certificate& cert) { return pki_.ca().status(cert.serial_hex()).value(); }
  bool outdated(const id::SecurityServerId& id) { return servers_->server(id).value().outdated; }

  ManualClock clock_{kMonday};
  xacbe::testing::TestPki pki_{clock_};
  std::unique_ptr<calendar::BusinessCalendar> calendar_;
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<Membership> membership_;
  std::unique_ptr<SecurityServers> servers_;
  int request_counter_ = 0;
};

TEST_F(SecurityServersTest, RegistersAServerOnlyAfterApprovalAndIssuesItsAuthCertificate) {
  crypto::PrivateKey key = new_key();
  auto pending = submit(bootstrap("QROO/EST/FGE/SS1", key, "MX", "1.4.2"));
  ASSERT_TRUE(pending.is_ok()) << pending.status().to_string();
  EXPECT_EQ(pending->state, RequestState::kPending);
  EXPECT_EQ(pending->signer, "bootstrap");
  EXPECT_EQ(pending->type, management::RequestType::kRegisterServer);
  EXPECT_TRUE(servers_->list_servers()->empty());
  EXPECT_EQ(servers_->requests(RequestState::kPending)->size(), 1u);

  ASSERT_TRUE(servers_->approve("maria", pending->id).is_ok());
  auto approved = servers_->request(pending->id);
  ASSERT_TRUE(approved.is_ok());
  EXPECT_EQ(approved->state, RequestState::kApproved);
  EXPECT_EQ(approved->decided_by, "maria");
  auto cert = crypto::Certificate::from_pem(approved->issued_certificate_pem);
  ASSERT_TRUE(cert.is_ok());
  // RFC 2253 form: non-ASCII bytes of the UTF-8 name are escaped.
  EXPECT_EQ(cert->subject(), R"(serialNumber=QROO/EST/FGE/SS1,CN=QROO/EST/FGE/SS1,O=Fiscal\C3\ADa General del Estado,C=MX)");
  EXPECT_EQ(EVP_PKEY_eq(X509_get0_pubkey(cert->get()), key.get()), 1);  // the key of the CSR
  EXPECT_TRUE(crypto::verify_chain(*cert, {pki_.root()}, {}, clock_.now()).is_ok());

  auto servers = servers_->list_servers();
  ASSERT_TRUE(servers.is_ok());
  ASSERT_EQ(servers->size(), 1u);
  const SecurityServer& s = servers->front();
  EXPECT_EQ(s.id.to_string(), "QROO/EST/FGE/SS1");
  EXPECT_EQ(s.address, "ss1.fge.qroo.gob.mx:5500");
  EXPECT_EQ(s.country, "MX");
  EXPECT_EQ(s.software_version, "1.4.2");
  EXPECT_FALSE(s.outdated);
  EXPECT_EQ(s.auth_certificate_sha256, std::vector<std::string>{cert->sha256_fingerprint()});

  auto recorded = membership_->certificates(s.id.owner());
  ASSERT_TRUE(recorded.is_ok());
  ASSERT_EQ(recorded->size(), 1u);
  EXPECT_EQ(recorded->front().serial_hex, cert->serial_hex());
  EXPECT_EQ(recorded->front().profile, "auth");
  EXPECT_EQ(recorded->front().server_code, "SS1");
  // Approving twice is refused.
  EXPECT_EQ(servers_->approve("maria", pending->id).code(), Code::kFailedPrecondition);
}

// STYLE.md: a record of an action is written in the same transaction as the action. An approval
// whose audit entry cannot be written (a trigger in the test database refuses successful entries)
// leaves the request pending and no server registered, and the certificate the CA already issued
// is revoked, so none is left unaccounted. A refused request still keeps its request id (the
// replay guard) with its refusal entry.
TEST_F(SecurityServersTest, AnApprovalWhoseAuditEntryCannotBeWrittenIsRolledBackAndItsCertificateRevoked) {
  crypto::PrivateKey key = new_key();
  auto pending = submit(bootstrap("QROO/EST/FGE/SS1", key));
  ASSERT_TRUE(pending.is_ok()) << pending.status().to_string();
  ASSERT_TRUE(db_->exec("CREATE TRIGGER audit_unavailable BEFORE INSERT ON audit WHEN NEW.success = 1"
                        " BEGIN SELECT RAISE(ABORT, 'audit unavailable'); END")
                  .is_ok());
  const Status approval = servers_->approve("maria", pending->id);
  ASSERT_FALSE(approval.is_ok());
  EXPECT_NE(approval.message().find("audit unavailable"), std::string::npos) << approval.to_string();
  EXPECT_EQ(servers_->request(pending->id)->state, RequestState::kPending);
  EXPECT_TRUE(servers_->list_servers()->empty());
  EXPECT_TRUE(membership_->certificates(id::MemberId::parse("QROO/EST/FGE").value())->empty());
  const auto issued = pki_.ca().list().value();
  ASSERT_EQ(issued.size(), 1u);  // issued by the CA, then revoked
  EXPECT_EQ(issued[0].status.kind, crypto::CertStatus::Kind::kRevoked);
  EXPECT_EQ(issued[0].status.reason, crypto::RevocationReason::kCessationOfOperation);
  const AuditEntry refused = membership_->audit().list()->back();
  EXPECT_EQ(refused.action, "management.approve");
  EXPECT_FALSE(refused.success);

  // A new request cannot be accepted either; its request id is not remembered without its entry.
  const Signed again = bootstrap("QROO/EST/FGE/SS2", new_key());
  EXPECT_FALSE(submit(again).is_ok());
  EXPECT_EQ(servers_->requests()->size(), 1u);

  ASSERT_TRUE(db_->exec("DROP TRIGGER audit_unavailable").is_ok());
  ASSERT_TRUE(submit(again).is_ok());
  ASSERT_TRUE(servers_->approve("maria", pending->id).is_ok());
  EXPECT_EQ(servers_->request(pending->id)->state, RequestState::kApproved);
  EXPECT_EQ(servers_->list_servers()->size(), 1u);
  EXPECT_EQ(membership_->audit().list()->back().action, "management.approve");
  EXPECT_TRUE(membership_->audit().list()->back().success);
}

TEST_F(SecurityServersTest, SubmitCsrSignedByTheServerIssuesASigningCertificateNamingTheMember) {
  RegisteredServer ss1 = registered("QROO/EST/FGE/SS1");
  crypto::PrivateKey key = new_key();
  const std::string body = request("submit-csr", "QROO/EST/FGE/SS1", {{"key_usage", "sign"}, {"csr", csr_pem(key)}});
  auto pending = servers_->submit(body, sign(body, ss1.auth_key, ss1.auth_cert));
  ASSERT_TRUE(pending.is_ok()) << pending.status().to_string();
  EXPECT_EQ(pending->state, RequestState::kPending);
  EXPECT_EQ(pending->signer, ss1.auth_cert.serial_hex());
  EXPECT_EQ(pending->body, body);
  ASSERT_TRUE(servers_->approve("maria", pending->id).is_ok());
  auto cert = crypto::Certificate::from_pem(servers_->request(pending->id)->issued_certificate_pem);
  ASSERT_TRUE(cert.is_ok());
  EXPECT_EQ(cert->subject(), R"(serialNumber=QROO/EST/FGE,CN=QROO/EST/FGE,O=Fiscal\C3\ADa General del Estado,C=MX)");
  auto recorded = membership_->certificates(ss1.id.owner());
  ASSERT_EQ(recorded->size(), 2u);
  const auto sign_cert = std::find_if(recorded->begin(), recorded->end(),
                                      [&](const MemberCertificate& c) { return c.serial_hex == cert->serial_hex(); });
  ASSERT_NE(sign_cert, recorded->end());
  EXPECT_EQ(sign_cert->profile, "sign");
  // A signing certificate is not an authentication certificate of the server.
  EXPECT_EQ(servers_->server(ss1.id)->auth_certificate_sha256.size(), 1u);

  // The member's signing certificate may sign the server's later requests.
  crypto::PrivateKey auth2 = new_key();
  const std::string renewal =
      request("submit-csr", "QROO/EST/FGE/SS1", {{"key_usage", "auth"}, {"csr", csr_pem(auth2)}});
  auto next = servers_->submit(renewal, sign(renewal, key, *cert));
  ASSERT_TRUE(next.is_ok()) << next.status().to_string();
  ASSERT_TRUE(servers_->approve("maria", next->id).is_ok());
  EXPECT_EQ(servers_->server(ss1.id)->auth_certificate_sha256.size(), 2u);
}

TEST_F(SecurityServersTest, AutoApprovalIssuesCsrsOfRegisteredServersButNeverRegistrations) {
  use_settings({"QROO", minutes(5), /*auto_approve_csrs=*/true});
  crypto::PrivateKey key = new_key();
  auto registration = submit(bootstrap("QROO/EST/FGE/SS1", key));
  ASSERT_TRUE(registration.is_ok());
  EXPECT_EQ(registration->state, RequestState::kPending);
  ASSERT_TRUE(servers_->approve("maria", registration->id).is_ok());
  auto auth = crypto::Certificate::from_pem(servers_->request(registration->id)->issued_certificate_pem).value();

  crypto::PrivateKey sign_key = new_key();
  const std::string body = request("submit-csr", "QROO/EST/FGE/SS1", {{"key_usage", "sign"}, {"csr", csr_pem(sign_key)}});
  auto csr = servers_->submit(body, sign(body, key, auth));
  ASSERT_TRUE(csr.is_ok()) << csr.status().to_string();
  EXPECT_EQ(csr->state, RequestState::kApproved);
  EXPECT_EQ(csr->decided_by, "policy:auto-approval");
  EXPECT_FALSE(csr->issued_certificate_pem.empty());
}

TEST_F(SecurityServersTest, DeclinedRequestIssuesNothingAndStaysDeclined) {
  crypto::PrivateKey key = new_key();
  auto pending = submit(bootstrap("QROO/EST/FGE/SS1", key));
  ASSERT_TRUE(pending.is_ok());
  EXPECT_EQ(servers_->decline("maria", pending->id, "").code(), Code::kInvalidArgument);
  ASSERT_TRUE(servers_->decline("maria", pending->id, "the member did not confirm the key fingerprint").is_ok());
  auto declined = servers_->request(pending->id);
  EXPECT_EQ(declined->state, RequestState::kDeclined);
  EXPECT_EQ(declined->decline_reason, "the member did not confirm the key fingerprint");
  EXPECT_EQ(servers_->approve("maria", pending->id).code(), Code::kFailedPrecondition);
  EXPECT_EQ(servers_->decline("maria", pending->id, "again").code(), Code::kFailedPrecondition);
  EXPECT_TRUE(servers_->list_servers()->empty());
  EXPECT_TRUE(pki_.ca().list()->empty());
  EXPECT_EQ(servers_->approve("maria", 999).code(), Code::kNotFound);
}

TEST_F(SecurityServersTest, RegisterAuthCertificateBindsACertificateTheCaIssuedForTheServer) {
  RegisteredServer ss1 = registered("QROO/EST/FGE/SS1");
  // Issued outside the request flow (e.g. by the CA operator), named for the server.
  crypto::PrivateKey key = new_key();
  auto csr = crypto::CertificateRequest::create(key, {{"CN", "x"}}).value();
  auto extra = pki_.ca().issue(csr, ca::Profile::kAuthentication, {{"C", "MX"}, {"CN", "QROO/EST/FGE/SS1"}}).value();
  auto other = pki_.issue(ca::Profile::kAuthentication, "QROO/EST/FGE/SS2");

  const std::string wrong_name = request("register-auth-certificate", "QROO/EST/FGE/SS1", {{"certificate", other.cert.pem()}});
  auto refused = servers_->submit(wrong_name, sign(wrong_name, ss1.auth_key, ss1.auth_cert));
  EXPECT_EQ(refused.status().code(), Code::kPermissionDenied);
  EXPECT_NE(refused.status().message().find("does not name server"), std::string::npos);

  const std::string body = request("register-auth-certificate", "QROO/EST/FGE/SS1", {{"certificate", extra.pem()}});
  auto pending = servers_->submit(body, sign(body, ss1.auth_key, ss1.auth_cert));
  ASSERT_TRUE(pending.is_ok()) << pending.status().to_string();
  ASSERT_TRUE(servers_->approve("maria", pending->id).is_ok());
  EXPECT_TRUE(servers_->request(pending->id)->issued_certificate_pem.empty());
  EXPECT_EQ(servers_->server(ss1.id)->auth_certificate_sha256,
            (std::vector<std::string>{ss1.auth_cert.sha256_fingerprint(), extra.sha256_fingerprint()}));

  // The bound certificate now speaks for the server; binding it again is refused.
  const std::string again = request("register-auth-certificate", "QROO/EST/FGE/SS1", {{"certificate", extra.pem()}});
  auto twice = servers_->submit(again, sign(again, key, extra));
  EXPECT_EQ(twice.status().code(), Code::kAlreadyExists) << twice.status().to_string();
}

class SecurityServersRefusalTest : public SecurityServersTest {
 public:
  void SetUp() override {
    SecurityServersTest::SetUp();
    admit("QROO/MUN/OPB", "Municipio de Othón P. Blanco");
    auto pending = membership_->apply("ceiqroo-admin", application_for("QROO/MUN/PEN", "Pendiente"));
    ASSERT_TRUE(pending.is_ok());
    ss1_ = std::make_unique<RegisteredServer>(registered("QROO/EST/FGE/SS1"));
    ss2_ = std::make_unique<RegisteredServer>(registered("QROO/EST/FGE/SS2"));
    opb_ = std::make_unique<RegisteredServer>(registered("QROO/MUN/OPB/SS1"));
    auto [key, cert] = certified(*ss1_, management::KeyUsage::kSign);
    member_sign_ = std::make_unique<xacbe::testing::KeyAndCert>(xacbe::testing::KeyAndCert{std::move(key), cert});
  }

  // A valid submit-csr of SS1, not yet signed.
  std::string csr_request(std::optional<TimePoint> at = std::nullopt) {
    return management::to_json(management::make_submit_csr(ss1_->id, created(at), management::KeyUsage::kAuth,
                                                           csr_for(new_key())))
        .value();
  }
  Signed by_ss1(const std::string& body) { return {body, sign(body, ss1_->auth_key, ss1_->auth_cert)}; }

  std::unique_ptr<RegisteredServer> ss1_, ss2_, opb_;
  std::unique_ptr<xacbe::testing::KeyAndCert> member_sign_;
};

TEST_F(SecurityServersRefusalTest, RefusesEveryBadRequestWithItsOwnReason) {
  struct Case {
    const char* name;
    std::function<Signed(SecurityServersRefusalTest&)> make;
    Code code;
    const char* message;
  };
  const std::vector<Case> cases = {
      {"unsigned", [](auto& t) { return Signed{t.csr_request(), ""}; }, Code::kPermissionDenied, "unsigned request"},
      {"garbage CMS", [](auto& t) { return Signed{t.csr_request(), "not a CMS structure"}; }, Code::kInvalidArgument,
       "not a DER CMS SignedData"},
      {"signature over other bytes",
       [](auto& t) { return Signed{t.csr_request(), t.by_ss1(t.csr_request()).signature}; }, Code::kPermissionDenied,
       "signature does not match the request"},
      {"signer from another CA",
       [](auto& t) {
         xacbe::testing::TestPki other(t.clock_);
         auto forged = other.issue(ca::Profile::kAuthentication, "QROO/EST/FGE/SS1");
         const std::string body = t.csr_request();
         return Signed{body, sign(body, forged.key, forged.cert)};
       },
       Code::kPermissionDenied, "untrusted signer: "},
      {"self-signed signer on a submit-csr",
       [](auto& t) {
         const std::string body = t.csr_request();
         auto self = management::make_bootstrap_certificate(t.ss1_->auth_key, t.ss1_->id, t.clock_.now()).value();
         return Signed{body, sign(body, t.ss1_->auth_key, self)};
       },
       Code::kPermissionDenied, "a self-signed certificate may sign only"},
      {"signer of another member",
       [](auto& t) {
         const std::string body = t.csr_request();
         return Signed{body, sign(body, t.opb_->auth_key, t.opb_->auth_cert)};
       },
       Code::kPermissionDenied, "belongs to QROO/MUN/OPB, not to QROO/EST/FGE"},
      {"auth certificate of another server of the member",
       [](auto& t) {
         const std::string body = t.csr_request();
         return Signed{body, sign(body, t.ss2_->auth_key, t.ss2_->auth_cert)};
       },
       Code::kPermissionDenied, "is bound to server QROO/EST/FGE/SS2"},
      {"certificate of the CA recorded for nobody",
       [](auto& t) {
         auto loose = t.pki_.issue(ca::Profile::kSigning, "QROO/EST/FGE");
         const std::string body = t.csr_request();
         return Signed{body, sign(body, loose.key, loose.cert)};
       },
       Code::kPermissionDenied, "is not recorded for any member"},
      {"bootstrap signed with a key other than the CSR's",
       [](auto& t) {
         crypto::PrivateKey csr_key = new_key(), other_key = new_key();
         const std::string body = t.request("register-server", "QROO/EST/FGE/SS5", registration(csr_key));
         auto self = management::make_bootstrap_certificate(other_key, server_id("QROO/EST/FGE/SS5"), t.clock_.now()).value();
         return Signed{body, sign(body, other_key, self)};
       },
       Code::kPermissionDenied, "must be signed with the key of its auth_csr"},
      {"stale", [](auto& t) { return t.by_ss1(t.csr_request(t.clock_.now() - minutes(6))); },
       Code::kPermissionDenied, "stale request"},
      {"from the future", [](auto& t) { return t.by_ss1(t.csr_request(t.clock_.now() + minutes(6))); },
       Code::kPermissionDenied, "stale request"},
      {"created in the year 9999",
       [](auto& t) {
         Json j = Json::parse(t.csr_request());
         j["created_at"] = "9999-12-31T23:59:59Z";
         return t.by_ss1(j.dump());
       },
       Code::kPermissionDenied, "stale request"},
      {"replay",
       [](auto& t) {
         Signed first = t.by_ss1(t.csr_request());
         EXPECT_TRUE(t.submit(first).is_ok());
         return first;
       },
       Code::kAlreadyExists, "replayed request"},
      {"unknown request type",
       [](auto& t) { return t.by_ss1(t.request("delete-server", "QROO/EST/FGE/SS1", Json::object())); },
       Code::kInvalidArgument, "unknown request type 'delete-server'"},
      {"bad server id",
       [](auto& t) { return t.by_ss1(t.request("submit-csr", "QROO/EST/FGE", {{"key_usage", "auth"}, {"csr", "x"}})); },
       Code::kInvalidArgument, "bad server id"},
      {"server of another instance",
       [](auto& t) {
         return t.by_ss1(t.request("submit-csr", "QROO-TEST/EST/FGE/SS1", {{"key_usage", "auth"}, {"csr", "x"}}));
       },
       Code::kInvalidArgument, "this registry serves QROO"},
      {"not JSON", [](auto& t) { return t.by_ss1("{\"type\": "); }, Code::kInvalidArgument, "not valid JSON"},
      {"repeated key",
       [](auto& t) {
         std::string body = t.csr_request();
         body.insert(1, R"("type":"register-server",)");
         return t.by_ss1(body);
       },
       Code::kInvalidArgument, "repeated key 'type'"},
      {"unknown field",
       [](auto& t) {
         Json j = Json::parse(t.csr_request());
         j["priority"] = "high";
         return t.by_ss1(j.dump());
       },
       Code::kInvalidArgument, "unknown field 'request.priority'"},
      {"inactive owner",
       [](auto& t) { return t.bootstrap("QROO/MUN/PEN/SS1", new_key()); }, Code::kFailedPrecondition,
       "inactive owner: member QROO/MUN/PEN is pending"},
      {"foreign hosting without permission", [](auto& t) { return t.bootstrap("QROO/EST/FGE/SS9", new_key(), "US"); },
       Code::kPermissionDenied, "foreign hosting: server QROO/EST/FGE/SS9 is hosted in US"},
      {"not a country", [](auto& t) { return t.bootstrap("QROO/EST/FGE/SS9", new_key(), "XX"); },
       Code::kInvalidArgument, "ISO 3166-1 alpha-2"},
      {"bad address",
       [](auto& t) {
         crypto::PrivateKey key = new_key();
         const std::string body =
             t.request("register-server", "QROO/EST/FGE/SS9", registration(key, "MX", "1.0.0", "ss9.fge:99999"));
         return Signed{body, sign(body, key, management::make_bootstrap_certificate(key, server_id("QROO/EST/FGE/SS9"),
                                                                        t.clock_.now()).value())};
       },
       Code::kInvalidArgument, "address must be host:port"},
      {"bad version", [](auto& t) { return t.bootstrap("QROO/EST/FGE/SS9", new_key(), "MX", "1.04"); },
       Code::kInvalidArgument, "is not a release version"},
      {"CSR with a weak key",
       [](auto& t) {
         return t.by_ss1(t.request("submit-csr", "QROO/EST/FGE/SS1", {{"key_usage", "sign"}, {"csr", weak_csr_pem()}}));
       },
       Code::kPermissionDenied, "weak key: RSA 1024"},
      {"server not registered",
       [](auto& t) {
         const std::string body =
             t.request("submit-csr", "QROO/EST/FGE/SS7", {{"key_usage", "auth"}, {"csr", csr_pem(new_key())}});
         return Signed{body, sign(body, t.member_sign_->key, t.member_sign_->cert)};
       },
       Code::kNotFound, "unknown server: QROO/EST/FGE/SS7"},
      {"server already registered", [](auto& t) { return t.bootstrap("QROO/EST/FGE/SS1", new_key()); },
       Code::kAlreadyExists, "already registered"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const Signed s = c.make(*this);
    auto result = submit(s);
    ASSERT_FALSE(result.is_ok());
    EXPECT_EQ(result.status().code(), c.code) << result.status().to_string();
    EXPECT_NE(result.status().message().find(c.message), std::string::npos) << result.status().to_string();
  }
}

TEST_F(SecurityServersRefusalTest, RefusalsAreAuditedWithTheClaimedServer) {
  auto before = membership_->audit().list();
  ASSERT_TRUE(before.is_ok());
  ASSERT_FALSE(submit({csr_request(), ""}).is_ok());
  ASSERT_FALSE(submit(by_ss1(csr_request(clock_.now() - minutes(10)))).is_ok());
  auto after = membership_->audit().list(before->back().id);
  ASSERT_TRUE(after.is_ok());
  ASSERT_EQ(after->size(), 2u);
  EXPECT_EQ((*after)[0].actor, "unauthenticated");
  EXPECT_EQ((*after)[0].action, "management.submit");
  EXPECT_FALSE((*after)[0].success);
  // After the signature verified, the server is the actor.
  EXPECT_EQ((*after)[1].actor, "server:QROO/EST/FGE/SS1");
  EXPECT_EQ((*after)[1].target, "QROO/EST/FGE/SS1");
  EXPECT_FALSE((*after)[1].success);
  EXPECT_NE((*after)[1].detail.find("stale request"), std::string::npos);
}

TEST_F(SecurityServersTest, ForeignHostingIsRefusedUntilThePermissionIsRecorded) {
  auto refused = submit(bootstrap("QROO/EST/FGE/SS1", new_key(), "US"));
  ASSERT_EQ(refused.status().code(), Code::kPermissionDenied) << refused.status().to_string();
  EXPECT_EQ(servers_->grant_foreign_hosting("maria", server_id("QROO/EST/FGE/SS1"), "").code(),
            Code::kInvalidArgument);
  ASSERT_TRUE(servers_->grant_foreign_hosting("maria", server_id("QROO/EST/FGE/SS1"), "OFICIO CEIQROO/DG/0042/2026")
                  .is_ok());
  RegisteredServer ss1 = registered("QROO/EST/FGE/SS1", "US");
  auto listed = servers_->server(ss1.id);
  ASSERT_TRUE(listed.is_ok());
  EXPECT_EQ(listed->country, "US");
  EXPECT_EQ(listed->foreign_hosting_reference, "OFICIO CEIQROO/DG/0042/2026");
  auto audit = membership_->audit().list();
  EXPECT_TRUE(std::any_of(audit->begin(), audit->end(), [](const AuditEntry& e) {
    return e.action == "server.grant-foreign-hosting" && e.success && e.actor == "maria";
  }));
}

TEST(UpdateDeadlineTest, IsTwoCalendarMonthsLaterInCancun) {
  const auto at = [](year_month_day d, int h, int m = 0) {
    return TimePoint(sys_days(d) + hours(h) + minutes(m));  // UTC
  };
  EXPECT_EQ(update_deadline(at(year{2027} / January / 15, 15)), at(year{2027} / March / 15, 15));
  // Published Dec 31 at 10:00 in Cancún: the deadline is the last day of February, 10:00.
  EXPECT_EQ(update_deadline(at(year{2026} / December / 31, 15)), at(year{2027} / February / 28, 15));
  EXPECT_EQ(update_deadline(at(year{2027} / December / 31, 15)), at(year{2028} / February / 29, 15));
  // 2027-01-01 02:00 UTC is still December 31 in Cancún.
  EXPECT_EQ(update_deadline(at(year{2027} / January / 1, 2)), at(year{2027} / March / 1, 2));
  EXPECT_EQ(update_deadline(at(year{2026} / December / 31, 4, 30)), at(year{2027} / March / 1, 4, 30));
}

TEST_F(SecurityServersTest, FlagsAServerOutdatedTwoCalendarMonthsAfterANewerRelease) {
  RegisteredServer ss1 = registered("QROO/EST/FGE/SS1", "MX", "1.9.0");
  const TimePoint published = sys_days{year{2026} / December / 31} + hours(15);  // 10:00 in Cancún
  ASSERT_TRUE(servers_->record_release("maria", "1.9.0", kMonday - days(90)).is_ok());
  ASSERT_TRUE(servers_->record_release("maria", "1.10.0", published).is_ok());
  EXPECT_EQ(servers_->record_release("maria", "1.10.0", published).code(), Code::kAlreadyExists);
  EXPECT_EQ(servers_->record_release("maria", "v2", published).code(), Code::kInvalidArgument);
  EXPECT_FALSE(outdated(ss1.id));

  const TimePoint deadline = sys_days{year{2027} / February / 28} + hours(15);
  clock_.set(deadline - seconds(1));
  EXPECT_FALSE(outdated(ss1.id));
  clock_.set(deadline);
  EXPECT_TRUE(outdated(ss1.id));
  EXPECT_TRUE(servers_->list_servers()->front().outdated);

  // Versions compare numerically: 1.10.0 is newer than 1.9.0.
  ASSERT_TRUE(servers_->report_version(ss1.id, "1.10.0").is_ok());
  EXPECT_FALSE(outdated(ss1.id));
  EXPECT_EQ(servers_->server(ss1.id)->software_version, "1.10.0");
  // A newer release younger than two months does not flag it yet.
  ASSERT_TRUE(servers_->record_release("maria", "1.11", clock_.now() - days(30)).is_ok());
  EXPECT_FALSE(outdated(ss1.id));
  clock_.advance(days(31));
  EXPECT_TRUE(outdated(ss1.id));

  EXPECT_EQ(servers_->report_version(ss1.id, "1.x").code(), Code::kInvalidArgument);
  EXPECT_EQ(servers_->report_version(server_id("QROO/EST/FGE/NONE"), "1.0").code(), Code::kNotFound);
}

TEST_F(SecurityServersTest, SuspendingTheOwnerPutsTheServersCertificatesOnHold) {
  RegisteredServer ss1 = registered("QROO/EST/FGE/SS1");
  auto [sign_key, sign_cert] = certified(ss1, management::KeyUsage::kSign);
  EXPECT_EQ(cert_status(ss1.auth_cert).kind, crypto::CertStatus::Kind::kGood);

  // A request that waits for approval while the owner is suspended is not carried out.
  crypto::PrivateKey key = new_key();
  const std::string body = request("submit-csr", "QROO/EST/FGE/SS1", {{"key_usage", "auth"}, {"csr", csr_pem(key)}});
  auto pending = servers_->submit(body, sign(body, ss1.auth_key, ss1.auth_cert));
  ASSERT_TRUE(pending.is_ok());

  ASSERT_TRUE(membership_->suspend("maria", ss1.id.owner(), "incidente de seguridad").is_ok());
  for (const crypto::Certificate* cert : {&ss1.auth_cert, &sign_cert}) {
    const crypto::CertStatus status = cert_status(*cert);
    EXPECT_EQ(status.kind, crypto::CertStatus::Kind::kRevoked);
    EXPECT_EQ(status.reason, crypto::RevocationReason::kCertificateHold);
  }
  const Status approval = servers_->approve("maria", pending->id);
  EXPECT_EQ(approval.code(), Code::kFailedPrecondition);
  EXPECT_NE(approval.message().find("inactive owner"), std::string::npos);

  const std::string later = request("submit-csr", "QROO/EST/FGE/SS1", {{"key_usage", "auth"}, {"csr", csr_pem(key)}});
  auto refused = servers_->submit(later, sign(later, ss1.auth_key, ss1.auth_cert));
  EXPECT_EQ(refused.status().code(), Code::kFailedPrecondition) << refused.status().to_string();

  ASSERT_TRUE(membership_->reactivate("maria", ss1.id.owner(), "medidas correctivas aplicadas").is_ok());
  EXPECT_EQ(cert_status(ss1.auth_cert).kind, crypto::CertStatus::Kind::kGood);
  EXPECT_EQ(cert_status(sign_cert).kind, crypto::CertStatus::Kind::kGood);
  EXPECT_TRUE(servers_->approve("maria", pending->id).is_ok());
}

TEST_F(SecurityServersTest, RevokedSignerIsRefused) {
  RegisteredServer ss1 = registered("QROO/EST/FGE/SS1");
  ASSERT_TRUE(pki_.ca().revoke(ss1.auth_cert.serial_hex(), crypto::RevocationReason::kKeyCompromise).is_ok());
  const std::string body =
      request("submit-csr", "QROO/EST/FGE/SS1", {{"key_usage", "auth"}, {"csr", csr_pem(new_key())}});
  auto refused = servers_->submit(body, sign(body, ss1.auth_key, ss1.auth_cert));
  EXPECT_EQ(refused.status().code(), Code::kPermissionDenied);
  EXPECT_NE(refused.status().message().find("revoked signer"), std::string::npos) << refused.status().to_string();
}

TEST_F(SecurityServersTest, SignedVersionReportClearsTheOutdatedFlagAtOnce) {
  RegisteredServer ss1 = registered("QROO/EST/FGE/SS1", "MX", "1.9.0");
  ASSERT_TRUE(servers_->record_release("maria", "1.10.0", kMonday - days(90)).is_ok());
  ASSERT_TRUE(outdated(ss1.id));

  const std::string body = request("report-version", "QROO/EST/FGE/SS1", {{"version", "1.10.0"}});
  auto reported = servers_->report(body, sign(body, ss1.auth_key, ss1.auth_cert));
  ASSERT_TRUE(reported.is_ok()) << reported.status().to_string();
  EXPECT_EQ(reported->software_version, "1.10.0");
  EXPECT_FALSE(reported->outdated);
  EXPECT_FALSE(outdated(ss1.id));
  // A report is not a change of trust: nothing waits for an administrator, nothing is stored.
  EXPECT_TRUE(servers_->requests(RequestState::kPending)->empty());
  auto entries = membership_->audit().list();
  ASSERT_TRUE(entries.is_ok());
  ASSERT_FALSE(entries->empty());
  EXPECT_EQ(entries->back().action, "server.report-version");
  EXPECT_EQ(entries->back().actor, "server:QROO/EST/FGE/SS1");
  EXPECT_TRUE(entries->back().success);
}

TEST_F(SecurityServersRefusalTest, RefusesBadVersionReports) {
  const auto report = [&](const std::string& version) {
    return request("report-version", "QROO/EST/FGE/SS1", {{"version", version}});
  };
  const std::string replayed = report("2.0");
  ASSERT_TRUE(servers_->report(replayed, by_ss1(replayed).signature).is_ok());
  const std::string by_other = report("2.0");
  const std::string unsigned_body = report("2.0");
  const std::string bad_version = report("2.x");
  const std::string unregistered = request("report-version", "QROO/EST/FGE/SS9", {{"version", "2.0"}});
  const std::string stored_type = csr_request();
  struct Row {
    const char* name;
    Signed request;
    Code code;
    const char* message;
  };
  const Row rows[] = {
      {"unsigned", {unsigned_body, ""}, Code::kPermissionDenied, "unsigned request"},
      {"another member's signer",
       {by_other, sign(by_other, opb_->auth_key, opb_->auth_cert)},
       Code::kPermissionDenied,
       "wrong signer"},
      {"replayed", by_ss1(replayed), Code::kAlreadyExists, "replayed request"},
      {"bad version", by_ss1(bad_version), Code::kInvalidArgument, "malformed request: version"},
      {"unregistered server",
       {unregistered, sign(unregistered, member_sign_->key, member_sign_->cert)},
       Code::kNotFound,
       "unknown server"},
      {"a type that is stored", by_ss1(stored_type), Code::kInvalidArgument, "not handled by this operation"},
  };
  for (const Row& row : rows) {
    auto refused = servers_->report(row.request.body, row.request.signature);
    ASSERT_FALSE(refused.is_ok()) << row.name;
    EXPECT_EQ(refused.status().code(), row.code) << row.name << ": " << refused.status().to_string();
    EXPECT_NE(refused.status().message().find(row.message), std::string::npos)
        << row.name << ": " << refused.status().to_string();
  }
  EXPECT_EQ(servers_->server(ss1_->id)->software_version, "2.0");
}

TEST_F(SecurityServersRefusalTest, AuthenticatesNotificationRequestsWithoutStoringThem) {
  const std::string list = request("list-notifications", "QROO/EST/FGE/SS1", Json::object());
  auto verified = servers_->authenticate(list, by_ss1(list).signature);
  ASSERT_TRUE(verified.is_ok()) << verified.status().to_string();
  EXPECT_EQ(verified->type, management::RequestType::kListNotifications);
  EXPECT_EQ(verified->server.to_string(), "QROO/EST/FGE/SS1");
  EXPECT_EQ(verified->signer, ss1_->auth_cert.serial_hex());
  EXPECT_FALSE(verified->notification_id);
  EXPECT_EQ(servers_->authenticate(list, by_ss1(list).signature).status().code(), Code::kAlreadyExists);

  const std::string ack = request("acknowledge-notification", "QROO/EST/FGE/SS1", {{"notification_id", 7}});
  auto acknowledged = servers_->authenticate(ack, by_ss1(ack).signature);
  ASSERT_TRUE(acknowledged.is_ok()) << acknowledged.status().to_string();
  EXPECT_EQ(acknowledged->notification_id, 7);
  EXPECT_TRUE(servers_->requests(RequestState::kPending)->empty());

  const std::string other = request("list-notifications", "QROO/EST/FGE/SS1", Json::object());
  EXPECT_EQ(servers_->authenticate(other, sign(other, opb_->auth_key, opb_->auth_cert)).status().code(),
            Code::kPermissionDenied);
  for (const Json& id : {Json(0), Json(-1), Json("7"), Json(1.5)}) {
    const std::string bad = request("acknowledge-notification", "QROO/EST/FGE/SS1", {{"notification_id", id}});
    EXPECT_EQ(servers_->authenticate(bad, by_ss1(bad).signature).status().code(), Code::kInvalidArgument) << id;
  }
  // Types that change trust are submitted and decided, never merely authenticated.
  const std::string csr = csr_request();
  EXPECT_EQ(servers_->authenticate(csr, by_ss1(csr).signature).status().code(), Code::kInvalidArgument);
  const std::string sent_to_submit = request("list-notifications", "QROO/EST/FGE/SS1", Json::object());
  EXPECT_EQ(servers_->submit(sent_to_submit, by_ss1(sent_to_submit).signature).status().code(),
            Code::kInvalidArgument);
}

}  // namespace
}  // namespace xacbe::registry
