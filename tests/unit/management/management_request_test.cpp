#include "xacbe/management/management_request.hpp"

#include <gtest/gtest.h>
#include <openssl/cms.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "support/test_pki.hpp"
#include "xacbe/crypto/cms.hpp"

namespace xacbe::management {
namespace {

using namespace std::chrono;
using Json = nlohmann::json;

// 2026-11-23 15:00:00 UTC.
const TimePoint kNow = sys_days{year{2026} / November / 23} + hours(15);
const sys_seconds kCreated = floor<seconds>(kNow);

id::SecurityServerId server_id(const std::string& text) {
  return id::SecurityServerId::parse(text).value();
}

id::ClientId client_id(const std::string& text) {
  return id::ClientId::parse(text).value();
}

crypto::PrivateKey new_key() {
  return crypto::PrivateKey::generate(crypto::KeyType::kEcP256).value();
}

crypto::CertificateRequest csr_for(const crypto::PrivateKey& key) {
  return crypto::CertificateRequest::create(key, {{"CN", "whatever"}}).value();
}

// The one certificate a CMS SignedData carries.
crypto::Certificate embedded_certificate(const std::string& cms_der) {
  const auto* p = reinterpret_cast<const unsigned char*>(cms_der.data());
  crypto::CMS_ContentInfoPtr cms(d2i_CMS_ContentInfo(nullptr, &p, static_cast<long>(cms_der.size())));
  EXPECT_TRUE(cms != nullptr);
  crypto::X509StackPtr certs(reinterpret_cast<STACK_OF_X509*>(CMS_get1_certs(cms.get())));
  auto* stack = reinterpret_cast<STACK_OF(X509)*>(certs.get());
  EXPECT_EQ(sk_X509_num(stack), 1);
  return crypto::Certificate::share(sk_X509_value(stack, 0));
}

class ManagementRequestTest : public ::testing::Test {
 protected:
  ManualClock clock_{kNow};
  xacbe::testing::TestPki pki_{clock_};
  const id::SecurityServerId ss1_ = server_id("QROO/EST/FGE/SS1");
};

TEST_F(ManagementRequestTest, EveryTypeRoundTripsThroughBuildSignAndParse) {
  const crypto::PrivateKey auth_key = new_key();
  const auto auth_cert = pki_.issue(ca::Profile::kAuthentication, "QROO/EST/FGE/SS1").cert;
  std::vector<Request> requests;  // a Request owns its CSR: moved, not copied
  requests.push_back(
      make_register_server(ss1_, kCreated, "ss1.fge.qroo.gob.mx:5500", "MX", "1.4.2", csr_for(auth_key)));
  requests.push_back(make_submit_csr(ss1_, kCreated, KeyUsage::kSign, csr_for(new_key())));
  requests.push_back(make_submit_csr(ss1_, kCreated, KeyUsage::kAuth, csr_for(new_key())));
  requests.push_back(make_register_auth_certificate(ss1_, kCreated, auth_cert));
  requests.push_back(make_report_version(ss1_, kCreated, "1.10"));
  requests.push_back(make_list_notifications(ss1_, kCreated));
  requests.push_back(make_acknowledge_notification(ss1_, kCreated, 42));
  requests.push_back(make_register_client(ss1_, kCreated, client_id("QROO/MUN/BJ")));
  requests.push_back(make_register_client(ss1_, kCreated, client_id("QROO/MUN/BJ/PADRON")));
  requests.push_back(make_unregister_client(ss1_, kCreated, client_id("QROO/MUN/BJ/PADRON")));
  const auto signer = pki_.issue(ca::Profile::kSigning, "QROO/EST/FGE");
  for (const Request& built : requests) {
    SCOPED_TRACE(std::string(request_type_name(built.type)));
    auto signed_request = sign_request(built, signer.key, signer.cert);
    ASSERT_TRUE(signed_request.is_ok()) << signed_request.status().to_string();
    // The signature covers exactly the bytes sent, and names its signer.
    auto verified =
        crypto::cms_verify_detached(signed_request->signature, signed_request->request, {pki_.root()}, kNow);
    ASSERT_TRUE(verified.is_ok()) << verified.status().to_string();
    EXPECT_EQ(verified->der(), signer.cert.der());
    EXPECT_EQ(signed_request->request, to_json(built).value());

    auto parsed = parse_request(signed_request->request, "QROO");
    ASSERT_TRUE(parsed.is_ok()) << parsed.status().to_string();
    EXPECT_EQ(parsed->type, built.type);
    EXPECT_EQ(parsed->server, built.server);
    EXPECT_EQ(parsed->request_id, built.request_id);
    EXPECT_EQ(parsed->created_at, kCreated);
    EXPECT_EQ(parsed->address, built.address);
    EXPECT_EQ(parsed->country, built.country);
    EXPECT_EQ(parsed->software_version, built.software_version);
    EXPECT_EQ(parsed->csr.has_value(), built.csr.has_value());
    if (built.csr) {
      EXPECT_EQ(parsed->csr->der(), built.csr->der());
    }
    if (built.type == RequestType::kSubmitCsr) {
      EXPECT_EQ(parsed->key_usage, built.key_usage);
    }
    EXPECT_EQ(parsed->certificate.has_value(), built.certificate.has_value());
    if (built.certificate) {
      EXPECT_EQ(parsed->certificate->der(), built.certificate->der());
    }
    EXPECT_EQ(parsed->notification_id, built.notification_id);
    EXPECT_EQ(parsed->client, built.client);
  }
}

TEST_F(ManagementRequestTest, CanonicalBytesAreCompactWithKeysInByteOrder) {
  Request list = make_list_notifications(ss1_, kCreated);
  list.request_id = "6f1c9a0e2b7d4c35a8e1f0d2c4b6a890";
  EXPECT_EQ(to_json(list).value(),
            R"({"created_at":"2026-11-23T15:00:00Z","payload":{},"request_id":"6f1c9a0e2b7d4c35a8e1f0d2c4b6a890",)"
            R"("server":"QROO/EST/FGE/SS1","type":"list-notifications"})");
  Request ack = make_acknowledge_notification(ss1_, kCreated, 7);
  ack.request_id = "request-0001";
  EXPECT_EQ(to_json(ack).value(),
            R"({"created_at":"2026-11-23T15:00:00Z","payload":{"notification_id":7},"request_id":"request-0001",)"
            R"("server":"QROO/EST/FGE/SS1","type":"acknowledge-notification"})");
  Request report = make_report_version(ss1_, kCreated, "1.4.2");
  report.request_id = "request-0002";
  EXPECT_EQ(to_json(report).value(),
            R"({"created_at":"2026-11-23T15:00:00Z","payload":{"version":"1.4.2"},"request_id":"request-0002",)"
            R"("server":"QROO/EST/FGE/SS1","type":"report-version"})");
  Request client = make_register_client(ss1_, kCreated, client_id("QROO/MUN/BJ/PADRON"));
  client.request_id = "request-0003";
  EXPECT_EQ(to_json(client).value(),
            R"({"created_at":"2026-11-23T15:00:00Z","payload":{"client":"QROO/MUN/BJ/PADRON"},)"
            R"("request_id":"request-0003","server":"QROO/EST/FGE/SS1","type":"register-client"})");
}

TEST_F(ManagementRequestTest, FreshRequestIdsAre128RandomBitsInHex) {
  const std::string a = new_request_id(), b = new_request_id();
  EXPECT_EQ(a.size(), 32u);
  EXPECT_TRUE(is_request_id(a));
  EXPECT_EQ(a.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_NE(a, b);
  EXPECT_NE(make_list_notifications(ss1_, kCreated).request_id, make_list_notifications(ss1_, kCreated).request_id);
}

TEST_F(ManagementRequestTest, BootstrapRequestIsSignedWithTheCsrKeyUnderASelfSignedCertificate) {
  const crypto::PrivateKey key = new_key();
  const Request registration = make_register_server(ss1_, kCreated, "10.0.0.5:5500", "MX", "1.0", csr_for(key));
  auto signed_request = sign_bootstrap_request(registration, key, kNow);
  ASSERT_TRUE(signed_request.is_ok()) << signed_request.status().to_string();
  const crypto::Certificate self_signed = embedded_certificate(signed_request->signature);
  EXPECT_EQ(self_signed.subject(), "CN=QROO/EST/FGE/SS1");
  EXPECT_EQ(self_signed.issuer(), "CN=QROO/EST/FGE/SS1");
  EXPECT_EQ(self_signed.not_before(), kNow - hours(1));
  EXPECT_EQ(self_signed.not_after(), kNow + hours(1));
  EXPECT_EQ(X509_get_ext_count(self_signed.get()), 0);
  // It verifies under that self-signed certificate over the CSR's key, and under nothing else.
  auto signer = crypto::cms_verify_detached(signed_request->signature, signed_request->request, {self_signed}, kNow);
  ASSERT_TRUE(signer.is_ok()) << signer.status().to_string();
  EXPECT_EQ(EVP_PKEY_eq(X509_get0_pubkey(signer->get()), key.get()), 1);
  EXPECT_FALSE(crypto::cms_verify_detached(signed_request->signature, signed_request->request, {pki_.root()}, kNow));

  EXPECT_EQ(sign_bootstrap_request(registration, new_key(), kNow).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(
      sign_bootstrap_request(make_submit_csr(ss1_, kCreated, KeyUsage::kAuth, csr_for(key)), key, kNow).status().code(),
      Code::kInvalidArgument);
}

// The builder applies the parser's rules: what a server could not get past the registry, it
// cannot build either.
TEST_F(ManagementRequestTest, BuilderRefusesWhatTheParserWouldRefuse) {
  const crypto::PrivateKey key = new_key();
  struct Row {
    const char* name;
    std::function<Request()> make;
    const char* message;
  };
  const auto registration = [&] { return make_register_server(ss1_, kCreated, "ss1:5500", "MX", "1.0", csr_for(key)); };
  const std::vector<Row> rows = {
      {"address without port",
       [&] {
         auto r = registration();
         r.address = "ss1";
         return r;
       },
       "address must be host:port"},
      {"unassigned country",
       [&] {
         auto r = registration();
         r.country = "XX";
         return r;
       },
       "ISO 3166-1 alpha-2"},
      {"version with a leading zero",
       [&] {
         auto r = registration();
         r.software_version = "1.04";
         return r;
       },
       "is not a release version"},
      {"request id too short",
       [&] {
         auto r = registration();
         r.request_id = "abc";
         return r;
       },
       "request_id must be"},
      {"request id with a slash",
       [&] {
         auto r = registration();
         r.request_id = "abcdefgh/1";
         return r;
       },
       "request_id must be"},
      {"created before 1970",
       [&] {
         auto r = registration();
         r.created_at = sys_seconds(seconds(-1));
         return r;
       },
       "created_at must be in the years 1970..9999"},
      {"created after 9999",
       [&] {
         auto r = registration();
         r.created_at = sys_days{year{10000} / 1 / 1};
         return r;
       },
       "created_at must be in the years 1970..9999"},
      {"registration without its CSR",
       [&] {
         auto r = registration();
         r.csr.reset();
         return r;
       },
       "needs its auth_csr"},
      {"submit-csr without a CSR",
       [&] {
         auto r = make_submit_csr(ss1_, kCreated, KeyUsage::kSign, csr_for(key));
         r.csr.reset();
         return r;
       },
       "needs its csr"},
      {"binding without a certificate",
       [&] {
         auto r = make_list_notifications(ss1_, kCreated);
         r.type = RequestType::kRegisterAuthCertificate;
         return r;
       },
       "needs its certificate"},
      {"bad reported version", [&] { return make_report_version(ss1_, kCreated, "v2"); }, "is not a release version"},
      {"notification id 0", [&] { return make_acknowledge_notification(ss1_, kCreated, 0); }, "positive integer"},
      {"negative notification id", [&] { return make_acknowledge_notification(ss1_, kCreated, -3); },
       "positive integer"},
      {"address that is not UTF-8",
       [&] {
         auto r = registration();
         r.address = "ss\xff:80";
         return r;
       },
       "address must be host:port"},
      {"client registration without its client",
       [&] {
         auto r = make_list_notifications(ss1_, kCreated);
         r.type = RequestType::kRegisterClient;
         return r;
       },
       "a register-client request needs its client"},
      {"client removal without its client",
       [&] {
         auto r = make_list_notifications(ss1_, kCreated);
         r.type = RequestType::kUnregisterClient;
         return r;
       },
       "an unregister-client request needs its client"},
      {"client of another instance",
       [&] { return make_register_client(ss1_, kCreated, client_id("QROO-TEST/MUN/BJ")); },
       "belongs to instance QROO-TEST"},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.name);
    auto built = to_json(row.make());
    ASSERT_FALSE(built.is_ok());
    EXPECT_EQ(built.status().code(), Code::kInvalidArgument);
    EXPECT_NE(built.status().message().find(row.message), std::string::npos) << built.status().to_string();
  }
}

// ---- Parsing: one row per malformed request and its refusal ----

class ManagementRequestParseTest : public ManagementRequestTest {
 protected:
  void SetUp() override {
    key_ = std::make_unique<crypto::PrivateKey>(new_key());
    csr_pem_ = csr_for(*key_).pem();
  }

  // A valid register-server, as JSON to spoil.
  Json registration() const {
    return {{"type", "register-server"},
            {"server", "QROO/EST/FGE/SS1"},
            {"request_id", "6f1c9a0e2b7d4c35a8e1f0d2c4b6a890"},
            {"created_at", "2026-11-23T15:00:00Z"},
            {"payload",
             {{"address", "ss1.fge.qroo.gob.mx:5500"},
              {"country", "MX"},
              {"software_version", "1.4.2"},
              {"auth_csr", csr_pem_}}}};
  }
  static Json with(Json j, const std::string& pointer, Json value) {
    j[Json::json_pointer(pointer)] = std::move(value);
    return j;
  }
  static Json without(Json j, const std::string& parent, const std::string& key) {
    j[Json::json_pointer(parent)].erase(key);
    return j;
  }
  static Json typed(const std::string& type, Json payload) {
    return {{"type", type},
            {"server", "QROO/EST/FGE/SS1"},
            {"request_id", "request-0001"},
            {"created_at", "2026-11-23T15:00:00Z"},
            {"payload", std::move(payload)}};
  }

  std::unique_ptr<crypto::PrivateKey> key_;
  std::string csr_pem_;
};

TEST_F(ManagementRequestParseTest, AcceptsTheValidRequestTheRowsSpoil) {
  auto parsed = parse_request(registration().dump(), "QROO");
  ASSERT_TRUE(parsed.is_ok()) << parsed.status().to_string();
  EXPECT_EQ(parsed->address, "ss1.fge.qroo.gob.mx:5500");
  // Key order and whitespace are the sender's business; only the canonical builder fixes them.
  auto spaced = parse_request(registration().dump(2), "QROO");
  EXPECT_TRUE(spaced.is_ok()) << spaced.status().to_string();
}

TEST_F(ManagementRequestParseTest, RefusesEveryMalformedRequestWithItsOwnReason) {
  const std::string valid = registration().dump();
  struct Row {
    const char* name;
    std::string bytes;
    const char* message;
  };
  const std::vector<Row> rows = {
      {"empty", "", "not valid JSON"},
      {"not JSON", R"({"type": )", "not valid JSON"},
      {"trailing garbage", valid + "x", "not valid JSON"},
      {"an array", "[]", "'request' is not an object"},
      {"repeated top-level key", R"({"type":"submit-csr",)" + valid.substr(1), "repeated key 'type'"},
      {"repeated payload key",
       [&] {
         std::string s = valid;
         s.insert(s.find(R"("payload":{)") + 11, R"("country":"US",)");
         return s;
       }(),
       "repeated key 'payload.country'"},
      {"unknown top-level field", with(registration(), "/priority", "high").dump(), "unknown field 'request.priority'"},
      {"unknown payload field", with(registration(), "/payload/port", 5500).dump(), "unknown field 'payload.port'"},
      {"missing top-level field", without(registration(), "", "request_id").dump(),
       "missing field 'request.request_id'"},
      {"missing payload field", without(registration(), "/payload", "country").dump(),
       "missing field 'payload.country'"},
      {"payload not an object", with(registration(), "/payload", "x").dump(), "'payload' is not an object"},
      {"type not a string", with(registration(), "/type", 1).dump(), "'request.type' is not a string"},
      {"unknown type", with(registration(), "/type", "delete-server").dump(), "unknown request type 'delete-server'"},
      {"member id for a server id", with(registration(), "/server", "QROO/EST/FGE").dump(), "bad server id"},
      {"server of another instance", with(registration(), "/server", "QROO-TEST/EST/FGE/SS1").dump(),
       "belongs to instance QROO-TEST; this registry serves QROO"},
      {"short request id", with(registration(), "/request_id", "1234567").dump(), "request_id must be 8..128"},
      {"long request id", with(registration(), "/request_id", std::string(129, 'a')).dump(), "request_id must be"},
      {"request id with a space", with(registration(), "/request_id", "request 0001").dump(), "request_id must be"},
      {"created_at with a zone offset", with(registration(), "/created_at", "2026-11-23T15:00:00+00:00").dump(),
       "created_at: '2026-11-23T15:00:00+00:00' is not a time"},
      {"created_at with fractions", with(registration(), "/created_at", "2026-11-23T15:00:00.5Z").dump(),
       "is not a time of the form YYYY-MM-DDTHH:MM:SSZ"},
      {"created_at before 1970", with(registration(), "/created_at", "1969-12-31T23:59:59Z").dump(), "is not a time"},
      {"created_at on 31 February", with(registration(), "/created_at", "2026-02-31T00:00:00Z").dump(),
       "is not a time"},
      {"created_at a number", with(registration(), "/created_at", 1795000000).dump(), "is not a string"},
      {"address without port", with(registration(), "/payload/address", "ss1.fge.qroo.gob.mx").dump(),
       "address must be host:port"},
      {"port out of range", with(registration(), "/payload/address", "ss1:65536").dump(), "address must be host:port"},
      {"port with a leading zero", with(registration(), "/payload/address", "ss1:05500").dump(),
       "address must be host:port"},
      {"bad IPv4 address", with(registration(), "/payload/address", "10.0.0.256:5500").dump(),
       "address must be host:port"},
      {"three-part IPv4 address", with(registration(), "/payload/address", "10.0.1:5500").dump(),
       "address must be host:port"},
      {"unbracketed IPv6 address", with(registration(), "/payload/address", "2001:db8::1:5500").dump(),
       "address must be host:port"},
      {"bracketed IPv4 address", with(registration(), "/payload/address", "[10.0.0.1]:5500").dump(),
       "address must be host:port"},
      {"host label starting with a hyphen", with(registration(), "/payload/address", "-ss1.fge:5500").dump(),
       "address must be host:port"},
      {"wildcard host", with(registration(), "/payload/address", "*.fge.qroo.gob.mx:5500").dump(),
       "address must be host:port"},
      {"lower-case country", with(registration(), "/payload/country", "mx").dump(), "ISO 3166-1 alpha-2"},
      {"unassigned country", with(registration(), "/payload/country", "XX").dump(), "ISO 3166-1 alpha-2"},
      {"version with a leading zero", with(registration(), "/payload/software_version", "1.04").dump(),
       "software_version: '1.04' is not a release version"},
      {"version of five parts", with(registration(), "/payload/software_version", "1.2.3.4.5").dump(),
       "is not a release version"},
      {"version part of ten digits", with(registration(), "/payload/software_version", "1.1234567890").dump(),
       "is not a release version"},
      {"CSR that is not one", with(registration(), "/payload/auth_csr", "x").dump(), "malformed request: CSR: "},
      {"key usage of neither kind", typed("submit-csr", {{"key_usage", "both"}, {"csr", csr_pem_}}).dump(),
       "key_usage is auth or sign"},
      {"certificate that is not one", typed("register-auth-certificate", {{"certificate", csr_pem_}}).dump(),
       "malformed request: certificate: "},
      {"report without version", typed("report-version", Json::object()).dump(), "missing field 'payload.version'"},
      {"list with a payload", typed("list-notifications", {{"since", 1}}).dump(), "unknown field 'payload.since'"},
      {"notification id 0", typed("acknowledge-notification", {{"notification_id", 0}}).dump(), "positive integer"},
      {"negative notification id", typed("acknowledge-notification", {{"notification_id", -1}}).dump(),
       "positive integer"},
      {"notification id as text", typed("acknowledge-notification", {{"notification_id", "7"}}).dump(),
       "positive integer"},
      {"fractional notification id", typed("acknowledge-notification", {{"notification_id", 1.5}}).dump(),
       "positive integer"},
      {"notification id past int64",
       typed("acknowledge-notification", {{"notification_id", std::uint64_t{1} << 63}}).dump(), "positive integer"},
      {"client registration without client", typed("register-client", Json::object()).dump(),
       "missing field 'payload.client'"},
      {"client removal without client", typed("unregister-client", Json::object()).dump(),
       "missing field 'payload.client'"},
      {"client registration with another field",
       typed("register-client", {{"client", "QROO/MUN/BJ"}, {"server", "QROO/MUN/BJ/SS1"}}).dump(),
       "unknown field 'payload.server'"},
      {"repeated client key", R"({"type":"register-client","server":"QROO/EST/FGE/SS1","request_id":"request-0001",)"
                              R"("created_at":"2026-11-23T15:00:00Z","payload":{"client":"QROO/MUN/BJ",)"
                              R"("client":"QROO/MUN/CUN"}})",
       "repeated key 'payload.client'"},
      {"client not a string", typed("register-client", {{"client", Json::array({"QROO", "MUN", "BJ"})}}).dump(),
       "'payload.client' is not a string"},
      {"client of two parts", typed("register-client", {{"client", "QROO/MUN"}}).dump(), "bad client id"},
      {"client of five parts", typed("register-client", {{"client", "QROO/MUN/BJ/PADRON/X"}}).dump(),
       "bad client id"},
      {"client with an empty part", typed("unregister-client", {{"client", "QROO//BJ"}}).dump(), "bad client id"},
      {"client with a trailing slash", typed("register-client", {{"client", "QROO/MUN/BJ/"}}).dump(),
       "bad client id"},
      {"client of another instance", typed("register-client", {{"client", "QROO-TEST/MUN/BJ"}}).dump(),
       "client QROO-TEST/MUN/BJ belongs to instance QROO-TEST, not to the server's QROO"},
      {"client removal of another instance", typed("unregister-client", {{"client", "XROAD/GOV/BJ/A"}}).dump(),
       "belongs to instance XROAD"},
      {"invalid UTF-8 in a string",
       [&] {
         std::string s = valid;
         s.replace(s.find("ss1.fge"), 1, "\xC3\x28");
         return s;
       }(),
       "not valid JSON"},
      {"unpaired surrogate escape",
       [&] {
         std::string s = valid;
         s.replace(s.find("ss1.fge"), 1, "\\ud800");
         return s;
       }(),
       "not valid JSON"},
      {"over 64 KiB", with(registration(), "/payload/auth_csr", std::string(kMaxRequestBytes, 'A')).dump(),
       "request over 64 KiB"},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.name);
    auto parsed = parse_request(row.bytes, "QROO");
    ASSERT_FALSE(parsed.is_ok());
    EXPECT_EQ(parsed.status().code(), Code::kInvalidArgument);
    EXPECT_NE(parsed.status().message().find(row.message), std::string::npos) << parsed.status().to_string();
  }
}

// The sender's text reaches the registry's audit trail through these messages.
TEST_F(ManagementRequestParseTest, EchoesSenderTextOnlyBoundedAndEscaped) {
  const std::string long_key(5000, 'k');
  const std::vector<std::string> bytes = {
      with(registration(), "/" + long_key, 1).dump(),
      with(registration(), "/created_at", std::string(5000, '9')).dump(),
      with(registration(), "/type", std::string(5000, 't')).dump(),
      with(registration(), "/payload/software_version", "1.\n" + std::string(5000, '2')).dump(),
      with(registration(),
           "/bad\x01"
           "key",
           1)
          .dump(),
  };
  for (const std::string& b : bytes) {
    auto parsed = parse_request(b, "QROO");
    ASSERT_FALSE(parsed.is_ok());
    const std::string& message = parsed.status().message();
    EXPECT_LT(message.size(), 400u) << message.substr(0, 400);
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    EXPECT_EQ(message.find('\x01'), std::string::npos) << message;
  }
}

TEST(ManagementFieldRulesTest, VersionsAreOneToFourNumbers) {
  EXPECT_EQ(parse_version("1.4.2").value(), (std::array<std::uint32_t, 4>{1, 4, 2, 0}));
  EXPECT_EQ(parse_version("0").value(), (std::array<std::uint32_t, 4>{0, 0, 0, 0}));
  EXPECT_EQ(parse_version("999999999.0.0.1").value(), (std::array<std::uint32_t, 4>{999999999, 0, 0, 1}));
  for (const char* bad : {"", ".", "1.", ".1", "1..2", "01", "1.2.3.4.5", "1.a", "-1", "1.2 ", "1234567890"}) {
    EXPECT_FALSE(parse_version(bad).is_ok()) << bad;
  }
}

TEST(ManagementFieldRulesTest, ServerAddressesAreHostAndPort) {
  for (const char* good :
       {"ss1.fge.qroo.gob.mx:5500", "ss1:1", "10.0.0.5:65535", "[2001:db8::1]:5500", "[::1]:80", "a-b.c:443"}) {
    EXPECT_TRUE(is_server_address(good)) << good;
  }
  for (const char* bad : {"", ":80", "ss1", "ss1:", "ss1:0", "ss1:65536", "ss1:+80", "ss1:8o", "[::1]", "[::1]80",
                          "[fe80::1%eth0]:80", "::1:80", "1.2.3:80", "256.1.1.1:80", "a_b:80", "a..b:80", "a.:80"}) {
    EXPECT_FALSE(is_server_address(bad)) << bad;
  }
}

TEST(ManagementFieldRulesTest, CountriesAreAssignedAlpha2Codes) {
  EXPECT_TRUE(is_country_code("MX"));
  EXPECT_TRUE(is_country_code("US"));
  EXPECT_TRUE(is_country_code("ZW"));
  for (const char* bad : {"", "M", "MEX", "mx", "XX", "UK", "M1"}) EXPECT_FALSE(is_country_code(bad)) << bad;
}

TEST(ManagementFieldRulesTest, TypeAndKeyUsageNamesRoundTrip) {
  for (RequestType t :
       {RequestType::kRegisterServer, RequestType::kSubmitCsr, RequestType::kRegisterAuthCertificate,
        RequestType::kReportVersion, RequestType::kListNotifications, RequestType::kAcknowledgeNotification,
        RequestType::kRegisterClient, RequestType::kUnregisterClient, RequestType::kReportUsage}) {
    EXPECT_EQ(parse_request_type(request_type_name(t)).value(), t);
  }
  EXPECT_EQ(key_usage_name(KeyUsage::kAuth), "auth");
  EXPECT_EQ(key_usage_name(KeyUsage::kSign), "sign");
  EXPECT_EQ(parse_request_type("Register-Server").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(request_type_name(RequestType::kRegisterClient), "register-client");
  EXPECT_EQ(request_type_name(RequestType::kUnregisterClient), "unregister-client");
}

}  // namespace
}  // namespace xacbe::management
