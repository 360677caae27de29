// RFC 6960 / RFC 8954 behaviour of the OCSP responder, checked with OpenSSL's own OCSP client API:
// requests are built with OCSP_cert_to_id & co and answers verified with OCSP_basic_verify.

#include "responder.hpp"

#include <gtest/gtest.h>
#include <openssl/ocsp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <atomic>
#include <optional>
#include <random>
#include <thread>
#include <vector>

#include "support/test_pki.hpp"
#include "xacbe/crypto/asn1.hpp"
#include "xacbe/crypto/encoding.hpp"

namespace xacbe::ocsp {
namespace {

using crypto::Certificate;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

constexpr int kMalformed = OCSP_RESPONSE_STATUS_MALFORMEDREQUEST;
constexpr int kSuccessful = OCSP_RESPONSE_STATUS_SUCCESSFUL;
constexpr int kInternalError = OCSP_RESPONSE_STATUS_INTERNALERROR;
constexpr int kUnauthorized = OCSP_RESPONSE_STATUS_UNAUTHORIZED;
constexpr int kTryLater = OCSP_RESPONSE_STATUS_TRYLATER;

// The CA database behind a CertStatusSource, as the real responder's CaStatusSource reads it.
class CaStatuses final : public CertStatusSource {
 public:
  explicit CaStatuses(ca::CertificateAuthority& ca) : ca_(ca) {}
  Result<CertStatus> lookup(const std::string& serial_hex) override { return ca_.status(serial_hex); }

 private:
  ca::CertificateAuthority& ca_;
};

class FailingStatuses final : public CertStatusSource {
 public:
  Result<CertStatus> lookup(const std::string&) override { return unavailable("database is locked"); }
};

crypto::PrivateKey copy_key(const crypto::PrivateKey& key) { return crypto::PrivateKey::from_pem(key.to_pem()).value(); }

std::string_view octets(const ASN1_STRING* s) {
  return {reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)), static_cast<std::size_t>(ASN1_STRING_length(s))};
}

crypto::OCSP_CERTIDPtr cert_id(const Certificate& cert, const Certificate& issuer, const EVP_MD* md = EVP_sha1()) {
  return crypto::OCSP_CERTIDPtr(OCSP_cert_to_id(md, cert.get(), issuer.get()));
}

// A CertID for `serial` under `issuer`, for serials the CA never issued.
crypto::OCSP_CERTIDPtr cert_id_for_serial(const std::string& serial_hex, const Certificate& issuer) {
  auto serial = crypto::serial_from_hex(serial_hex).value();
  return crypto::OCSP_CERTIDPtr(OCSP_cert_id_new(EVP_sha1(), X509_get_subject_name(issuer.get()),
                                                 X509_get0_pubkey_bitstr(issuer.get()), serial.get()));
}

void add_id(OCSP_REQUEST* request, crypto::OCSP_CERTIDPtr id) {
  ASSERT_NE(OCSP_request_add0_id(request, id.get()), nullptr);
  (void)id.release();  // now owned by the request
}

// Adds a nonce extension whose extnValue is exactly `extn_value` (well-formed or not).
void add_raw_nonce(OCSP_REQUEST* request, const std::string& extn_value) {
  crypto::ASN1_OCTET_STRINGPtr data(ASN1_OCTET_STRING_new());
  ASN1_OCTET_STRING_set(data.get(), reinterpret_cast<const unsigned char*>(extn_value.data()),
                        static_cast<int>(extn_value.size()));
  crypto::X509_EXTENSIONPtr ext(X509_EXTENSION_create_by_NID(nullptr, NID_id_pkix_OCSP_Nonce, 0, data.get()));
  ASSERT_EQ(OCSP_REQUEST_add_ext(request, ext.get(), -1), 1);
}

std::string der_of(OCSP_REQUEST* request) {
  unsigned char* der = nullptr;
  const int n = i2d_OCSP_REQUEST(request, &der);
  std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(n > 0 ? n : 0));
  OPENSSL_free(der);
  return out;
}

struct Answer {
  int status = -1;
  crypto::OCSP_RESPONSEPtr response;
  crypto::OCSP_BASICRESPPtr basic;  // only when successful
};

Answer parse_answer(const std::string& der) {
  Answer answer;
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  answer.response.reset(d2i_OCSP_RESPONSE(nullptr, &p, static_cast<long>(der.size())));
  if (!answer.response || p != reinterpret_cast<const unsigned char*>(der.data()) + der.size()) {
    ADD_FAILURE() << "not a DER OCSPResponse: " << crypto::to_hex(der);
    return answer;
  }
  answer.status = OCSP_response_status(answer.response.get());
  answer.basic.reset(OCSP_response_get1_basic(answer.response.get()));
  if (answer.status != kSuccessful) {
    EXPECT_EQ(answer.basic, nullptr) << "an error status carries no responseBytes";
  }
  return answer;
}

// The status, revocation reason and times of SingleResponse `index`.
struct Single {
  int status = -1;
  int reason = -1;
  std::optional<TimePoint> revoked_at, this_update, next_update;
};

std::optional<TimePoint> time_of(const ASN1_GENERALIZEDTIME* t) {
  if (t == nullptr) return std::nullopt;
  return crypto::from_asn1_time(t).value();
}

Single single_at(OCSP_BASICRESP* basic, int index) {
  Single s;
  ASN1_GENERALIZEDTIME *revoked = nullptr, *this_update = nullptr, *next_update = nullptr;
  s.status = OCSP_single_get0_status(OCSP_resp_get0(basic, index), &s.reason, &revoked, &this_update, &next_update);
  s.revoked_at = time_of(revoked);
  s.this_update = time_of(this_update);
  s.next_update = time_of(next_update);
  return s;
}

// OCSP_basic_verify against the root alone: the responder certificate must come from `certs` and
// be a valid delegation (issued by the CertIDs' CA, EKU OCSPSigning).
bool verifies(OCSP_BASICRESP* basic, const Certificate& root, TimePoint at) {
  crypto::X509_STOREPtr store(X509_STORE_new());
  X509_STORE_add_cert(store.get(), root.get());
  X509_VERIFY_PARAM_set_time(X509_STORE_get0_param(store.get()), std::chrono::system_clock::to_time_t(at));
  return OCSP_basic_verify(basic, nullptr, store.get(), 0) == 1;
}

class OcspResponderTest : public ::testing::Test {
 protected:
  std::unique_ptr<Responder> make_responder(ResponderSettings settings = {}, CertStatusSource* source = nullptr) {
    auto responder = Responder::create(pki_.root(), responder_.cert, copy_key(responder_.key), settings, clock_,
                                       source != nullptr ? *source : statuses_);
    EXPECT_TRUE(responder.is_ok()) << responder.status().to_string();
    return responder ? std::move(responder).value() : nullptr;
  }

  // A request for `certs` (all of our CA) with an optional nonce.
  std::string request_for(const std::vector<Certificate>& certs, const EVP_MD* md = EVP_sha1(),
                          const std::string* nonce = nullptr) {
    crypto::OCSP_REQUESTPtr request(OCSP_REQUEST_new());
    for (const Certificate& c : certs) add_id(request.get(), cert_id(c, pki_.root(), md));
    if (nonce != nullptr) {
      auto* bytes = reinterpret_cast<unsigned char*>(const_cast<char*>(nonce->data()));
      EXPECT_EQ(OCSP_request_add1_nonce(request.get(), bytes, static_cast<int>(nonce->size())), 1);
    }
    return der_of(request.get());
  }

  // A successful, verified answer; checks the response is signed and carries the responder cert.
  Answer ask(const Responder& responder, const std::string& request_der) {
    Answer answer = parse_answer(responder.respond(request_der));
    EXPECT_EQ(answer.status, kSuccessful);
    if (answer.basic == nullptr) {
      ADD_FAILURE() << "no BasicOCSPResponse";
      return answer;
    }
    EXPECT_TRUE(verifies(answer.basic.get(), pki_.root(), clock_.now())) << "response does not verify";
    return answer;
  }

  ManualClock clock_{TimePoint(seconds(1'750'000'000))};
  xacbe::testing::TestPki pki_{clock_};
  xacbe::testing::KeyAndCert responder_ = pki_.issue(ca::Profile::kOcspResponder, "Test OCSP");
  xacbe::testing::KeyAndCert member_ = pki_.issue(ca::Profile::kSigning, "Member A");
  CaStatuses statuses_{pki_.ca()};
};

TEST_F(OcspResponderTest, AnswersGoodForAnIssuedCertificate) {
  auto responder = make_responder();
  Answer answer = ask(*responder, request_for({member_.cert}));
  ASSERT_NE(answer.basic, nullptr);
  ASSERT_EQ(OCSP_resp_count(answer.basic.get()), 1);
  EXPECT_EQ(single_at(answer.basic.get(), 0).status, V_OCSP_CERTSTATUS_GOOD);
  EXPECT_FALSE(single_at(answer.basic.get(), 0).revoked_at.has_value());
  // The delegated responder certificate travels in `certs` (RFC 6960 section 4.2.1).
  const STACK_OF(X509)* certs = OCSP_resp_get0_certs(answer.basic.get());
  ASSERT_EQ(sk_X509_num(certs), 1);
  EXPECT_EQ(X509_cmp(sk_X509_value(certs, 0), responder_.cert.get()), 0);
}

TEST_F(OcspResponderTest, AnswersRevokedWithTimeAndReason) {
  const TimePoint revoked_at = clock_.now() + hours(2);
  clock_.set(revoked_at);
  ASSERT_TRUE(pki_.ca().revoke(member_.cert.serial_hex(), RevocationReason::kKeyCompromise).is_ok());
  clock_.advance(hours(1));
  auto responder = make_responder();
  Answer answer = ask(*responder, request_for({member_.cert}));
  ASSERT_NE(answer.basic, nullptr);
  const Single s = single_at(answer.basic.get(), 0);
  EXPECT_EQ(s.status, V_OCSP_CERTSTATUS_REVOKED);
  EXPECT_EQ(s.reason, OCSP_REVOKED_STATUS_KEYCOMPROMISE);
  EXPECT_EQ(s.revoked_at, revoked_at);
}

TEST_F(OcspResponderTest, AnswersCertificateHoldAsRevokedWithReasonHold) {
  ASSERT_TRUE(pki_.ca().revoke(member_.cert.serial_hex(), RevocationReason::kCertificateHold).is_ok());
  auto responder = make_responder();
  Answer answer = ask(*responder, request_for({member_.cert}));
  ASSERT_NE(answer.basic, nullptr);
  const Single s = single_at(answer.basic.get(), 0);
  EXPECT_EQ(s.status, V_OCSP_CERTSTATUS_REVOKED);
  EXPECT_EQ(s.reason, OCSP_REVOKED_STATUS_CERTIFICATEHOLD);
  // Released from hold, it is good again on the next request.
  ASSERT_TRUE(pki_.ca().release_hold(member_.cert.serial_hex()).is_ok());
  Answer again = ask(*responder, request_for({member_.cert}));
  ASSERT_NE(again.basic, nullptr);
  EXPECT_EQ(single_at(again.basic.get(), 0).status, V_OCSP_CERTSTATUS_GOOD);
}

TEST_F(OcspResponderTest, OmitsTheReasonOfAnUnspecifiedRevocation) {
  ASSERT_TRUE(pki_.ca().revoke(member_.cert.serial_hex(), RevocationReason::kUnspecified).is_ok());
  auto responder = make_responder();
  Answer answer = ask(*responder, request_for({member_.cert}));
  ASSERT_NE(answer.basic, nullptr);
  const Single s = single_at(answer.basic.get(), 0);
  EXPECT_EQ(s.status, V_OCSP_CERTSTATUS_REVOKED);
  EXPECT_EQ(s.reason, OCSP_REVOKED_STATUS_NOSTATUS);  // revocationReason absent
}

TEST_F(OcspResponderTest, AnswersUnknownForASerialNeverIssued) {
  auto responder = make_responder();
  crypto::OCSP_REQUESTPtr request(OCSP_REQUEST_new());
  add_id(request.get(), cert_id_for_serial("1234ABCD", pki_.root()));
  Answer answer = ask(*responder, der_of(request.get()));
  ASSERT_NE(answer.basic, nullptr);
  EXPECT_EQ(single_at(answer.basic.get(), 0).status, V_OCSP_CERTSTATUS_UNKNOWN);
}

TEST_F(OcspResponderTest, CopiesSha1AndSha256CertIdsAsRequested) {
  auto responder = make_responder();
  for (const EVP_MD* md : {EVP_sha1(), EVP_sha256()}) {
    SCOPED_TRACE(EVP_MD_get0_name(md));
    Answer answer = ask(*responder, request_for({member_.cert}, md));
    ASSERT_NE(answer.basic, nullptr);
    const OCSP_CERTID* answered = OCSP_SINGLERESP_get0_id(OCSP_resp_get0(answer.basic.get(), 0));
    EXPECT_EQ(OCSP_id_cmp(cert_id(member_.cert, pki_.root(), md).get(), answered), 0);
    EXPECT_EQ(single_at(answer.basic.get(), 0).status, V_OCSP_CERTSTATUS_GOOD);
  }
}

TEST_F(OcspResponderTest, AnswersSeveralCertIdsInRequestOrder) {
  auto revoked = pki_.issue(ca::Profile::kAuthentication, "Server B");
  auto held = pki_.issue(ca::Profile::kSigning, "Member C");
  ASSERT_TRUE(pki_.ca().revoke(revoked.cert.serial_hex(), RevocationReason::kSuperseded).is_ok());
  ASSERT_TRUE(pki_.ca().revoke(held.cert.serial_hex(), RevocationReason::kCertificateHold).is_ok());
  crypto::OCSP_REQUESTPtr request(OCSP_REQUEST_new());
  add_id(request.get(), cert_id(revoked.cert, pki_.root(), EVP_sha256()));
  add_id(request.get(), cert_id(member_.cert, pki_.root()));
  add_id(request.get(), cert_id_for_serial("7FEDCBA9", pki_.root()));
  add_id(request.get(), cert_id(held.cert, pki_.root()));

  auto responder = make_responder();
  Answer answer = ask(*responder, der_of(request.get()));
  ASSERT_NE(answer.basic, nullptr);
  ASSERT_EQ(OCSP_resp_count(answer.basic.get()), 4);
  const std::vector<std::pair<int, int>> expected = {{V_OCSP_CERTSTATUS_REVOKED, OCSP_REVOKED_STATUS_SUPERSEDED},
                                                     {V_OCSP_CERTSTATUS_GOOD, -1},
                                                     {V_OCSP_CERTSTATUS_UNKNOWN, -1},
                                                     {V_OCSP_CERTSTATUS_REVOKED, OCSP_REVOKED_STATUS_CERTIFICATEHOLD}};
  for (int i = 0; i < 4; ++i) {
    SCOPED_TRACE(i);
    const OCSP_CERTID* asked = OCSP_onereq_get0_id(OCSP_request_onereq_get0(request.get(), i));
    EXPECT_EQ(OCSP_id_cmp(asked, OCSP_SINGLERESP_get0_id(OCSP_resp_get0(answer.basic.get(), i))), 0);
    const Single s = single_at(answer.basic.get(), i);
    EXPECT_EQ(s.status, expected[i].first);
    if (s.status == V_OCSP_CERTSTATUS_REVOKED) {
      EXPECT_EQ(s.reason, expected[i].second);
    }
  }
}

TEST_F(OcspResponderTest, EchoesTheNonce) {
  auto responder = make_responder();
  const std::string nonce = crypto::random_bytes(16);
  crypto::OCSP_REQUESTPtr request(OCSP_REQUEST_new());
  add_id(request.get(), cert_id(member_.cert, pki_.root()));
  OCSP_request_add1_nonce(request.get(), reinterpret_cast<unsigned char*>(const_cast<char*>(nonce.data())), 16);
  Answer answer = ask(*responder, der_of(request.get()));
  ASSERT_NE(answer.basic, nullptr);
  EXPECT_EQ(OCSP_check_nonce(request.get(), answer.basic.get()), 1);  // present in both and equal
}

TEST_F(OcspResponderTest, AddsNoNonceWhenNoneIsAsked) {
  auto responder = make_responder();
  Answer answer = ask(*responder, request_for({member_.cert}));
  ASSERT_NE(answer.basic, nullptr);
  EXPECT_LT(OCSP_BASICRESP_get_ext_by_NID(answer.basic.get(), NID_id_pkix_OCSP_Nonce, -1), 0);
}

// RFC 8954 section 2.1: Nonce ::= OCTET STRING(SIZE(1..32)), DER inside extnValue.
TEST_F(OcspResponderTest, ChecksTheNonceLength) {
  struct Row {
    const char* name;
    std::string extn_value;
    int expected;
  };
  const std::vector<Row> rows = {
      {"0 octets", std::string("\x04\x00", 2), kMalformed},
      {"1 octet", std::string("\x04\x01\x2a", 3), kSuccessful},
      {"32 octets", std::string("\x04\x20", 2) + std::string(32, 'n'), kSuccessful},
      {"33 octets", std::string("\x04\x21", 2) + std::string(33, 'n'), kMalformed},
      {"raw bytes, no OCTET STRING", std::string(16, 'r'), kMalformed},
      {"OCTET STRING with trailing bytes", std::string("\x04\x01\x2a\x00", 4), kMalformed},
      {"empty extnValue", "", kMalformed},
  };
  auto responder = make_responder();
  for (const Row& row : rows) {
    SCOPED_TRACE(row.name);
    crypto::OCSP_REQUESTPtr request(OCSP_REQUEST_new());
    add_id(request.get(), cert_id(member_.cert, pki_.root()));
    add_raw_nonce(request.get(), row.extn_value);
    Answer answer = parse_answer(responder->respond(der_of(request.get())));
    EXPECT_EQ(answer.status, row.expected);
    if (answer.basic) {
      EXPECT_EQ(OCSP_check_nonce(request.get(), answer.basic.get()), 1);
    }
  }
}

TEST_F(OcspResponderTest, RefusesTwoNonces) {
  auto responder = make_responder();
  crypto::OCSP_REQUESTPtr request(OCSP_REQUEST_new());
  add_id(request.get(), cert_id(member_.cert, pki_.root()));
  add_raw_nonce(request.get(), std::string("\x04\x01\x01", 3));
  add_raw_nonce(request.get(), std::string("\x04\x01\x02", 3));
  EXPECT_EQ(parse_answer(responder->respond(der_of(request.get()))).status, kMalformed);
}

TEST_F(OcspResponderTest, IdentifiesItselfByKeyOrByName) {
  for (const bool by_key : {true, false}) {
    SCOPED_TRACE(by_key ? "byKey" : "byName");
    ResponderSettings settings;
    settings.responder_id_by_key = by_key;
    auto responder = make_responder(settings);
    Answer answer = ask(*responder, request_for({member_.cert}));
    ASSERT_NE(answer.basic, nullptr);
    const ASN1_OCTET_STRING* key_id = nullptr;
    const X509_NAME* name = nullptr;
    ASSERT_EQ(OCSP_resp_get0_id(answer.basic.get(), &key_id, &name), 1);
    if (by_key) {
      ASSERT_NE(key_id, nullptr);
      EXPECT_EQ(name, nullptr);
      // RFC 6960 section 4.2.1: SHA-1 of the responder's subjectPublicKey BIT STRING value.
      const std::string expected =
          crypto::digest("SHA1", octets(X509_get0_pubkey_bitstr(responder_.cert.get()))).value();
      EXPECT_EQ(octets(key_id), expected);
    } else {
      ASSERT_NE(name, nullptr);
      EXPECT_EQ(key_id, nullptr);
      EXPECT_EQ(X509_NAME_cmp(name, X509_get_subject_name(responder_.cert.get())), 0);
    }
  }
}

TEST_F(OcspResponderTest, SignsWithTheDigestOfTheResponderKey) {
  struct Row {
    crypto::KeyType key;
    int signature_nid;
  };
  for (const Row& row : {Row{crypto::KeyType::kEcP384, NID_ecdsa_with_SHA384},
                         Row{crypto::KeyType::kRsa2048, NID_sha256WithRSAEncryption}}) {
    SCOPED_TRACE(row.signature_nid);
    auto kc = pki_.issue(ca::Profile::kOcspResponder, "Other OCSP", row.key);
    auto responder = Responder::create(pki_.root(), kc.cert, copy_key(kc.key), {}, clock_, statuses_);
    ASSERT_TRUE(responder.is_ok()) << responder.status().to_string();
    Answer answer = ask(**responder, request_for({member_.cert}));
    ASSERT_NE(answer.basic, nullptr);
    const ASN1_OBJECT* algorithm = nullptr;
    X509_ALGOR_get0(&algorithm, nullptr, nullptr, OCSP_resp_get0_tbs_sigalg(answer.basic.get()));
    EXPECT_EQ(OBJ_obj2nid(algorithm), row.signature_nid);
  }
}

TEST_F(OcspResponderTest, TakesTimesFromTheInjectedClock) {
  ResponderSettings settings;
  settings.next_update = hours(1);
  auto responder = make_responder(settings);
  clock_.advance(hours(5) + std::chrono::milliseconds(700));
  const TimePoint now = std::chrono::time_point_cast<seconds>(clock_.now());
  Answer answer = ask(*responder, request_for({member_.cert}));
  ASSERT_NE(answer.basic, nullptr);
  const Single s = single_at(answer.basic.get(), 0);
  EXPECT_EQ(s.this_update, now);
  EXPECT_EQ(s.next_update, now + hours(1));
  EXPECT_EQ(time_of(OCSP_resp_get0_produced_at(answer.basic.get())), now);

  settings.next_update = seconds(0);
  auto without_next = make_responder(settings);
  Answer other = ask(*without_next, request_for({member_.cert}));
  ASSERT_NE(other.basic, nullptr);
  EXPECT_FALSE(single_at(other.basic.get(), 0).next_update.has_value());
}

TEST_F(OcspResponderTest, RefusesCertIdsOfAnotherIssuer) {
  xacbe::testing::TestPki foreign(clock_);
  auto stranger = foreign.issue(ca::Profile::kSigning, "Stranger");
  auto responder = make_responder();

  crypto::OCSP_REQUESTPtr only_foreign(OCSP_REQUEST_new());
  add_id(only_foreign.get(), cert_id(stranger.cert, foreign.root()));
  EXPECT_EQ(parse_answer(responder->respond(der_of(only_foreign.get()))).status, kUnauthorized);

  // One foreign CertID spoils the request: we answer for our CA only, and all or nothing.
  crypto::OCSP_REQUESTPtr mixed(OCSP_REQUEST_new());
  add_id(mixed.get(), cert_id(member_.cert, pki_.root()));
  add_id(mixed.get(), cert_id(stranger.cert, foreign.root()));
  EXPECT_EQ(parse_answer(responder->respond(der_of(mixed.get()))).status, kUnauthorized);

  // Our issuer's name with another CA's key is not our issuer.
  crypto::OCSP_REQUESTPtr spoofed(OCSP_REQUEST_new());
  auto serial = crypto::serial_from_hex(member_.cert.serial_hex()).value();
  add_id(spoofed.get(), crypto::OCSP_CERTIDPtr(OCSP_cert_id_new(EVP_sha1(), X509_get_subject_name(pki_.root().get()),
                                                               X509_get0_pubkey_bitstr(foreign.root().get()),
                                                               serial.get())));
  EXPECT_EQ(parse_answer(responder->respond(der_of(spoofed.get()))).status, kUnauthorized);
}

TEST_F(OcspResponderTest, CannotMatchOurIssuerUnderAnUnsupportedHash) {
  auto responder = make_responder();
  EXPECT_EQ(parse_answer(responder->respond(request_for({member_.cert}, EVP_sha384()))).status, kUnauthorized);
}

TEST_F(OcspResponderTest, AnswersInternalErrorWhenTheStatusSourceFails) {
  FailingStatuses failing;
  auto responder = make_responder({}, &failing);
  EXPECT_EQ(parse_answer(responder->respond(request_for({member_.cert}))).status, kInternalError);
}

// RFC 6960 section 2.3: the service exists but cannot answer now; it will once a current
// certificate is installed, which needs no restart.
TEST_F(OcspResponderTest, AnswersTryLaterOutsideTheResponderCertificateValidity) {
  auto responder = make_responder();
  clock_.set(responder_.cert.not_after() + seconds(1));
  EXPECT_EQ(parse_answer(responder->respond(request_for({member_.cert}))).status, kTryLater);
  clock_.set(responder_.cert.not_before() - seconds(1));
  EXPECT_EQ(parse_answer(responder->respond(request_for({member_.cert}))).status, kTryLater);
  clock_.set(responder_.cert.not_after());
  EXPECT_EQ(parse_answer(responder->respond(request_for({member_.cert}))).status, OCSP_RESPONSE_STATUS_SUCCESSFUL);
}

// The first certificate in `certs` of a successful answer: the one that signed it.
Certificate signer_of(const Answer& answer) {
  const STACK_OF(X509)* certs = OCSP_resp_get0_certs(answer.basic.get());
  EXPECT_EQ(sk_X509_num(certs), 1);
  return Certificate::share(sk_X509_value(certs, 0));
}

TEST_F(OcspResponderTest, SignsWithReplacedCredentialsFromTheNextAnswerOn) {
  auto responder = make_responder();
  const auto renewed = pki_.issue(ca::Profile::kOcspResponder, "Test OCSP 2");
  ASSERT_TRUE(responder->replace_credentials({renewed.cert, copy_key(renewed.key)}).is_ok());
  EXPECT_EQ(responder->certificate().der(), renewed.cert.der());
  const Answer answer = ask(*responder, request_for({member_.cert}));
  ASSERT_NE(answer.basic, nullptr);
  EXPECT_EQ(signer_of(answer).der(), renewed.cert.der());
}

TEST_F(OcspResponderTest, AnswersAgainOnceARenewedCertificateReplacesAnExpiredOne) {
  auto responder = make_responder();
  clock_.set(responder_.cert.not_after() + hours(1));
  EXPECT_EQ(parse_answer(responder->respond(request_for({member_.cert}))).status, kTryLater);
  const auto renewed = pki_.issue(ca::Profile::kOcspResponder, "Test OCSP 2");  // valid from the moved clock
  ASSERT_TRUE(responder->replace_credentials({renewed.cert, copy_key(renewed.key)}).is_ok());
  const Answer answer = ask(*responder, request_for({member_.cert}));
  ASSERT_NE(answer.basic, nullptr);
  EXPECT_EQ(signer_of(answer).der(), renewed.cert.der());
}

TEST_F(OcspResponderTest, RefusesUnfitReplacementsAndKeepsTheCredentialsInUse) {
  xacbe::testing::TestPki foreign(clock_);
  auto foreign_ocsp = foreign.issue(ca::Profile::kOcspResponder, "Foreign OCSP");
  auto tsa = pki_.issue(ca::Profile::kTimestamping, "TSA");
  auto renewed = pki_.issue(ca::Profile::kOcspResponder, "Test OCSP 2");
  struct Row {
    const char* name;
    const Certificate& cert;
    const crypto::PrivateKey& key;
    Code expected;
  };
  const std::vector<Row> rows = {
      {"issued by another CA", foreign_ocsp.cert, foreign_ocsp.key, Code::kPermissionDenied},
      {"no OCSPSigning", tsa.cert, tsa.key, Code::kPermissionDenied},
      {"the renewed certificate with the old key", renewed.cert, responder_.key, Code::kInvalidArgument},
      {"the old certificate with the renewed key", responder_.cert, renewed.key, Code::kInvalidArgument},
  };
  auto responder = make_responder();
  for (const Row& row : rows) {
    SCOPED_TRACE(row.name);
    const Status refused = responder->replace_credentials({row.cert, copy_key(row.key)});
    EXPECT_EQ(refused.code(), row.expected) << refused.to_string();
    EXPECT_EQ(responder->certificate().der(), responder_.cert.der());
    const Answer answer = ask(*responder, request_for({member_.cert}));
    ASSERT_NE(answer.basic, nullptr);
    EXPECT_EQ(signer_of(answer).der(), responder_.cert.der());
  }
}

// Answers in flight keep the pair they began with; none is ever signed by a mix of two pairs.
TEST_F(OcspResponderTest, ReplacesCredentialsWhileAnswering) {
  auto responder = make_responder();
  const auto renewed = pki_.issue(ca::Profile::kOcspResponder, "Test OCSP 2");
  const std::string request = request_for({member_.cert});
  std::atomic<bool> stop{false};
  std::atomic<int> answered{0}, failed{0};
  std::vector<std::thread> askers;
  for (int t = 0; t < 3; ++t) {
    askers.emplace_back([&] {
      while (!stop) {
        const Answer answer = parse_answer(responder->respond(request));
        if (answer.status != kSuccessful || !verifies(answer.basic.get(), pki_.root(), clock_.now())) ++failed;
        ++answered;
      }
    });
  }
  for (int i = 0; i < 40; ++i) {
    const auto& pair = i % 2 == 0 ? renewed : responder_;
    EXPECT_TRUE(responder->replace_credentials({pair.cert, copy_key(pair.key)}).is_ok());
  }
  while (answered < 30) std::this_thread::yield();
  stop = true;
  for (auto& t : askers) t.join();
  EXPECT_EQ(failed.load(), 0);
}

// RFC 5280 allows validity up to GeneralizedTime 99991231235959Z: a responder certificate valid
// that long (past a nanosecond TimePoint's 2262) answers, for certificates as long-lived.
TEST_F(OcspResponderTest, AnswersWithAResponderCertificateValidPastTheYear2262) {
  xacbe::testing::TestPki far_pki(clock_, crypto::KeyType::kEcP256, xacbe::testing::kLastX509Second);
  CaStatuses far_statuses(far_pki.ca());
  for (const auto& far : xacbe::testing::far_validities()) {
    SCOPED_TRACE(far.name);
    const auto responder_cert =
        far_pki.issue(ca::Profile::kOcspResponder, "Far OCSP", crypto::KeyType::kEcP256, far.not_after);
    const auto good = far_pki.issue(ca::Profile::kSigning, "Far member", crypto::KeyType::kEcP256, far.not_after);
    const auto revoked = far_pki.issue(ca::Profile::kSigning, "Far revoked", crypto::KeyType::kEcP256, far.not_after);
    ASSERT_TRUE(far_pki.ca().revoke(revoked.cert.serial_hex(), crypto::RevocationReason::kKeyCompromise).is_ok());
    ASSERT_EQ(responder_cert.cert.not_after(), far.not_after);
    auto responder = Responder::create(far_pki.root(), responder_cert.cert, copy_key(responder_cert.key), {}, clock_,
                                       far_statuses);
    ASSERT_TRUE(responder) << responder.status().to_string();
    crypto::OCSP_REQUESTPtr request(OCSP_REQUEST_new());
    add_id(request.get(), cert_id(good.cert, far_pki.root(), EVP_sha1()));
    add_id(request.get(), cert_id(revoked.cert, far_pki.root(), EVP_sha1()));
    const Answer answer = parse_answer((*responder)->respond(der_of(request.get())));
    ASSERT_EQ(answer.status, kSuccessful);
    ASSERT_NE(answer.basic, nullptr);
    EXPECT_TRUE(verifies(answer.basic.get(), far_pki.root(), clock_.now()));
    EXPECT_EQ(single_at(answer.basic.get(), 0).status, V_OCSP_CERTSTATUS_GOOD);
    const Single s = single_at(answer.basic.get(), 1);
    EXPECT_EQ(s.status, V_OCSP_CERTSTATUS_REVOKED);
    EXPECT_EQ(s.revoked_at, std::chrono::floor<seconds>(clock_.now()));
  }
}

TEST_F(OcspResponderTest, RefusesMalformedRequests) {
  const std::string valid = request_for({member_.cert});
  crypto::OCSP_REQUESTPtr empty_list(OCSP_REQUEST_new());
  crypto::OCSP_REQUESTPtr critical(OCSP_REQUEST_new());
  add_id(critical.get(), cert_id(member_.cert, pki_.root()));
  crypto::ASN1_OCTET_STRINGPtr value(ASN1_OCTET_STRING_new());
  ASN1_OCTET_STRING_set(value.get(), reinterpret_cast<const unsigned char*>("\x05\x00"), 2);
  crypto::X509_EXTENSIONPtr ext(X509_EXTENSION_create_by_NID(nullptr, NID_id_pkix_OCSP_CrlID, 1, value.get()));
  OCSP_REQUEST_add_ext(critical.get(), ext.get(), -1);
  struct Row {
    const char* name;
    std::string der;
  };
  const std::vector<Row> rows = {
      {"empty", ""},
      {"garbage", "this is not DER at all"},
      {"truncated", valid.substr(0, valid.size() - 3)},
      {"trailing bytes", valid + std::string("\x00", 1)},
      {"oversize", std::string(16 * 1024 + 1, '\x30')},
      {"no CertID", der_of(empty_list.get())},
      {"unknown critical extension", der_of(critical.get())},
  };
  auto responder = make_responder();
  for (const Row& row : rows) {
    SCOPED_TRACE(row.name);
    const std::string der = responder->respond(row.der);
    EXPECT_EQ(parse_answer(der).status, kMalformed);
    EXPECT_EQ(der, std::string("\x30\x03\x0a\x01\x01", 5));  // unsigned, no responseBytes
  }
}

TEST_F(OcspResponderTest, EnforcesTheSizeAndCountLimitsExactly) {
  const std::string two = request_for({member_.cert, responder_.cert});
  ResponderSettings settings;
  settings.max_request_bytes = two.size();
  settings.max_certs_per_request = 2;
  auto responder = make_responder(settings);
  EXPECT_EQ(parse_answer(responder->respond(two)).status, kSuccessful);
  settings.max_request_bytes = two.size() - 1;
  EXPECT_EQ(parse_answer(make_responder(settings)->respond(two)).status, kMalformed);

  settings.max_request_bytes = 16 * 1024;
  settings.max_certs_per_request = 1;
  EXPECT_EQ(parse_answer(make_responder(settings)->respond(two)).status, kMalformed);
}

TEST_F(OcspResponderTest, RefusesUnfitResponderCertificates) {
  xacbe::testing::TestPki foreign(clock_);
  auto foreign_ocsp = foreign.issue(ca::Profile::kOcspResponder, "Foreign OCSP");
  auto tsa = pki_.issue(ca::Profile::kTimestamping, "TSA");
  auto other_key = crypto::PrivateKey::generate(crypto::KeyType::kEcP256).value();
  struct Row {
    const char* name;
    const Certificate& cert;
    const crypto::PrivateKey& key;
    Code expected;
  };
  const std::vector<Row> rows = {
      {"issued by another CA", foreign_ocsp.cert, foreign_ocsp.key, Code::kPermissionDenied},
      {"no OCSPSigning", tsa.cert, tsa.key, Code::kPermissionDenied},
      {"no EKU at all", member_.cert, member_.key, Code::kPermissionDenied},
      {"key does not match", responder_.cert, other_key, Code::kInvalidArgument},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.name);
    auto responder = Responder::create(pki_.root(), row.cert, copy_key(row.key), {}, clock_, statuses_);
    ASSERT_FALSE(responder.is_ok());
    EXPECT_EQ(responder.status().code(), row.expected) << responder.status().to_string();
  }
}

TEST_F(OcspResponderTest, RespondsConcurrently) {
  auto responder = make_responder();
  constexpr int kThreads = 6;
  constexpr int kRequestsEach = 15;
  std::vector<std::string> requests;
  for (int i = 0; i < kThreads * kRequestsEach; ++i) {
    const std::string nonce = crypto::random_bytes(20);
    requests.push_back(request_for({member_.cert}, i % 2 == 0 ? EVP_sha1() : EVP_sha256(), &nonce));
  }
  std::vector<std::string> answers(requests.size());
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = t * kRequestsEach; i < (t + 1) * kRequestsEach; ++i) answers[i] = responder->respond(requests[i]);
    });
  }
  for (auto& thread : threads) thread.join();
  for (std::size_t i = 0; i < requests.size(); ++i) {
    SCOPED_TRACE(i);
    Answer answer = parse_answer(answers[i]);
    ASSERT_EQ(answer.status, kSuccessful);
    ASSERT_TRUE(verifies(answer.basic.get(), pki_.root(), clock_.now()));
    EXPECT_EQ(single_at(answer.basic.get(), 0).status, V_OCSP_CERTSTATUS_GOOD);
    // Each answer belongs to its own request: no state leaked between threads.
    const auto* p = reinterpret_cast<const unsigned char*>(requests[i].data());
    crypto::OCSP_REQUESTPtr request(d2i_OCSP_REQUEST(nullptr, &p, static_cast<long>(requests[i].size())));
    EXPECT_EQ(OCSP_check_nonce(request.get(), answer.basic.get()), 1);
  }
}

// A bounded, deterministic stand-in for the libFuzzer target (tests/fuzz/ocsp_request_fuzz.cpp).
TEST_F(OcspResponderTest, SurvivesRandomAndMutatedRequests) {
  auto responder = make_responder();
  const std::string nonce = "0123456789abcdef";
  const std::vector<std::string> seeds = {request_for({member_.cert}),
                                          request_for({member_.cert, responder_.cert}, EVP_sha256(), &nonce)};
  std::mt19937 rng(20240611);
  auto pick = [&](std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng); };
  int successful = 0;
  for (int i = 0; i < 2000; ++i) {
    std::string input = seeds[pick(seeds.size())];
    switch (pick(5)) {
      case 0:
        for (std::size_t k = 0, n = 1 + pick(4); k < n; ++k) input[pick(input.size())] ^= static_cast<char>(1 << pick(8));
        break;
      case 1: input.resize(pick(input.size())); break;
      case 2: input.insert(pick(input.size()), std::string(1 + pick(8), static_cast<char>(pick(256)))); break;
      case 3: input[pick(input.size())] = static_cast<char>(pick(256)); break;
      default: {
        input.resize(pick(300));
        for (char& c : input) c = static_cast<char>(pick(256));
      }
    }
    const std::string der = responder->respond(input);
    Answer answer = parse_answer(der);
    ASSERT_NE(answer.response, nullptr) << "input " << crypto::to_hex(input);
    if (answer.status == kSuccessful) {
      ++successful;
      ASSERT_NE(answer.basic, nullptr);
      EXPECT_TRUE(verifies(answer.basic.get(), pki_.root(), clock_.now()));
    }
  }
  // Byte flips in a serial number or a nonce leave a valid request, so some must succeed.
  EXPECT_GT(successful, 0);
}

}  // namespace
}  // namespace xacbe::ocsp
