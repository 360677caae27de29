#include "xacbe/crypto/ocsp_client.hpp"

#include <gtest/gtest.h>
#include <openssl/objects.h>
#include <openssl/ocsp.h>
#include <openssl/x509v3.h>

#include <functional>
#include <memory>
#include <ostream>

#include "support/ocsp_answers.hpp"
#include "support/test_pki.hpp"
#include "xacbe/crypto/encoding.hpp"

namespace xacbe::crypto {
namespace {

using namespace std::chrono_literals;
using std::chrono::sys_seconds;
using xacbe::testing::KeyAndCert;
using xacbe::testing::make_ocsp_response;
using xacbe::testing::OcspAnswer;
using xacbe::testing::TestPki;

// 2027-01-15T08:00:00Z.
const TimePoint kStart{std::chrono::seconds(1'800'000'000)};

// What a test asks: the answer to make, who signs it, whom the client allows, and when it checks.
struct Exchange {
  OcspAnswer answer;
  std::shared_ptr<const KeyAndCert> signer;
  std::vector<Certificate> allowed;
  std::chrono::seconds check_later{0};  // the client's clock moves this far after the answer
  std::string der;                      // used instead of a made answer when not empty
};

// Members are public so that the rows of the refusal table can arrange their exchange.
class OcspClientTest : public ::testing::Test {
 public:
  sys_seconds now() const { return to_sys_seconds(clock_.now()); }

  Exchange good_exchange() {
    Exchange e;
    e.answer.produced_at = e.answer.this_update = now();
    e.answer.next_update = now() + 600s;
    e.signer = std::shared_ptr<const KeyAndCert>(std::shared_ptr<void>(), &responder_);
    e.allowed = {responder_.cert};
    return e;
  }

  Result<OcspResponse> run(Exchange& e, const OcspRequest& request) {
    if (e.der.empty()) e.der = make_ocsp_response(request.der(), e.signer->cert, e.signer->key, e.answer);
    clock_.advance(e.check_later);
    return verify_ocsp_response(e.der, request, e.allowed, OcspCheckOptions{}, clock_);
  }
  Result<OcspResponse> run(Exchange& e) { return run(e, request_); }

  std::shared_ptr<const KeyAndCert> issue(ca::Profile profile, const std::string& name) {
    return std::make_shared<const KeyAndCert>(pki_.issue(profile, name));
  }
  std::shared_ptr<const KeyAndCert> root_as_signer() {
    return std::make_shared<const KeyAndCert>(
        KeyAndCert{PrivateKey::from_pem(pki_.root_key().to_pem()).value(), pki_.root()});
  }

  ManualClock clock_{kStart};
  TestPki pki_{clock_};
  KeyAndCert member_ = pki_.issue(ca::Profile::kSigning, "member");
  KeyAndCert responder_ = pki_.issue(ca::Profile::kOcspResponder, "ocsp");
  OcspRequest request_ = OcspRequest::create(member_.cert, pki_.root()).value();
};

// --- the request ---

TEST_F(OcspClientTest, RequestHoldsOneSha256CertIdAndA32OctetNonce) {
  const auto* p = reinterpret_cast<const unsigned char*>(request_.der().data());
  OCSP_REQUESTPtr parsed(d2i_OCSP_REQUEST(nullptr, &p, static_cast<long>(request_.der().size())));
  ASSERT_NE(parsed, nullptr);
  ASSERT_EQ(OCSP_request_onereq_count(parsed.get()), 1);
  OCSP_CERTIDPtr expected(OCSP_cert_to_id(EVP_sha256(), member_.cert.get(), pki_.root().get()));
  EXPECT_EQ(OCSP_id_cmp(OCSP_onereq_get0_id(OCSP_request_onereq_get0(parsed.get(), 0)), expected.get()), 0);
  const int nonce = OCSP_REQUEST_get_ext_by_NID(parsed.get(), NID_id_pkix_OCSP_Nonce, -1);
  ASSERT_GE(nonce, 0);
  EXPECT_EQ(request_.nonce().size(), 32u);
  const ASN1_OCTET_STRING* value = X509_EXTENSION_get_data(OCSP_REQUEST_get_ext(parsed.get(), nonce));
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(value)), ASN1_STRING_length(value)),
            std::string("\x04\x20", 2) + request_.nonce());
  EXPECT_EQ(request_.serial_hex(), member_.cert.serial_hex());
  EXPECT_NE(OcspRequest::create(member_.cert, pki_.root())->nonce(), request_.nonce());
}

TEST_F(OcspClientTest, RequestWithoutNonceAndWithSha1CertId) {
  auto request = OcspRequest::create(member_.cert, pki_.root(), {CertIdHash::kSha1, 0});
  ASSERT_TRUE(request) << request.status().to_string();
  EXPECT_TRUE(request->nonce().empty());
  EXPECT_EQ(request->issuer_name_hash().size(), 20u);
  const auto* p = reinterpret_cast<const unsigned char*>(request->der().data());
  OCSP_REQUESTPtr parsed(d2i_OCSP_REQUEST(nullptr, &p, static_cast<long>(request->der().size())));
  ASSERT_NE(parsed, nullptr);
  EXPECT_EQ(OCSP_REQUEST_get_ext_count(parsed.get()), 0);
}

TEST_F(OcspClientTest, RefusesANonceOver32OctetsAndAForeignIssuer) {
  auto r = OcspRequest::create(member_.cert, pki_.root(), {CertIdHash::kSha256, 33});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  TestPki other(clock_);
  r = OcspRequest::create(member_.cert, other.root());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_NE(r.status().message().find("is not issued by"), std::string::npos) << r.status().message();
}

TEST_F(OcspClientTest, PostCarriesTheDerAsOcspRequest) {
  const net::HttpRequest post = request_.post();
  EXPECT_EQ(post.method, "POST");
  EXPECT_EQ(post.header("Content-Type"), "application/ocsp-request");
  EXPECT_EQ(post.body, request_.der());
}

// RFC 6960 appendix A.1 and RFC 5019 section 5.
TEST_F(OcspClientTest, GetUrlIsPercentEncodedBase64OnlyBelow255Bytes) {
  auto small = OcspRequest::create(member_.cert, pki_.root(), {CertIdHash::kSha1, 0}).value();
  const std::string encoded = small.url_encoded();
  EXPECT_EQ(encoded.find_first_of("+/="), std::string::npos) << encoded;
  ASSERT_LT(encoded.size(), 255u);
  ASSERT_EQ(small.get_url("http://ocsp.example/"), "http://ocsp.example/" + encoded);
  EXPECT_EQ(small.get_url("http://ocsp.example/ocsp"), "http://ocsp.example/ocsp/" + encoded);
  net::HttpRequest get;
  get.method = "GET";
  EXPECT_EQ(xacbe::testing::ocsp_request_of(*small.get_url("http://ocsp.example"), get), small.der());

  // Whatever the request, GET only below 255 encoded bytes.
  for (std::size_t nonce : {0, 8, 32}) {
    auto request = OcspRequest::create(member_.cert, pki_.root(), {CertIdHash::kSha256, nonce}).value();
    EXPECT_EQ(request.get_url("http://ocsp.example/").has_value(), request.url_encoded().size() < 255) << nonce;
  }
}

// --- accepted answers ---

TEST_F(OcspClientTest, AcceptsAGoodAnswerAndReportsItsTimes) {
  Exchange e = good_exchange();
  auto r = run(e);
  ASSERT_TRUE(r) << r.status().to_string();
  EXPECT_EQ(r->status, CertStatus::Kind::kGood);
  EXPECT_EQ(r->produced_at, now());
  EXPECT_EQ(r->this_update, now());
  EXPECT_EQ(r->next_update, now() + 600s);
  EXPECT_EQ(r->der, e.der);
}

TEST_F(OcspClientTest, ReportsRevocationTimeAndReason) {
  Exchange e = good_exchange();
  e.answer.cert_status = V_OCSP_CERTSTATUS_REVOKED;
  e.answer.revoked_at = now() - 3600s;
  e.answer.reason = OCSP_REVOKED_STATUS_KEYCOMPROMISE;
  auto r = run(e);
  ASSERT_TRUE(r) << r.status().to_string();
  EXPECT_EQ(r->status, CertStatus::Kind::kRevoked);
  EXPECT_EQ(r->revoked_at, now() - 3600s);
  EXPECT_EQ(r->reason, RevocationReason::kKeyCompromise);
}

TEST_F(OcspClientTest, ReportsARevocationWithoutReasonAsUnspecified) {
  Exchange e = good_exchange();
  e.answer.cert_status = V_OCSP_CERTSTATUS_REVOKED;
  e.answer.revoked_at = now() - 10s;
  auto r = run(e);
  ASSERT_TRUE(r) << r.status().to_string();
  EXPECT_EQ(r->status, CertStatus::Kind::kRevoked);
  EXPECT_EQ(r->reason, RevocationReason::kUnspecified);
}

TEST_F(OcspClientTest, ReportsUnknown) {
  Exchange e = good_exchange();
  e.answer.cert_status = V_OCSP_CERTSTATUS_UNKNOWN;
  auto r = run(e);
  ASSERT_TRUE(r) << r.status().to_string();
  EXPECT_EQ(r->status, CertStatus::Kind::kUnknown);
}

TEST_F(OcspClientTest, AcceptsTheCaSigningItselfWhenAllowed) {
  Exchange e = good_exchange();
  e.signer = root_as_signer();
  e.allowed = {responder_.cert, pki_.root()};
  auto r = run(e);
  EXPECT_TRUE(r) << r.status().to_string();
}

TEST_F(OcspClientTest, AcceptsResponderIdByNameAndNoEmbeddedCertificate) {
  Exchange e = good_exchange();
  e.answer.responder_id_by_key = false;
  e.answer.include_signer_certificate = false;
  auto r = run(e);
  EXPECT_TRUE(r) << r.status().to_string();
}

TEST_F(OcspClientTest, PicksTheAllowedResponderWhoseKeySigned) {
  // A renewed responder certificate with the same subject, both allowed (byName matches both).
  Exchange e = good_exchange();
  e.signer = issue(ca::Profile::kOcspResponder, "ocsp");
  e.answer.responder_id_by_key = false;
  e.allowed = {responder_.cert, e.signer->cert};
  auto r = run(e);
  EXPECT_TRUE(r) << r.status().to_string();
}

TEST_F(OcspClientTest, AcceptsNoNonceWhenNoneWasSent) {
  auto request = OcspRequest::create(member_.cert, pki_.root(), {CertIdHash::kSha1, 0}).value();
  Exchange e = good_exchange();
  e.answer.nonce = OcspAnswer::Nonce::kOmit;
  auto r = run(e, request);
  EXPECT_TRUE(r) << r.status().to_string();
}

TEST_F(OcspClientTest, AcceptsTimesAtTheEdgesOfSkewAndFreshness) {
  Exchange old = good_exchange();
  old.answer.produced_at = old.answer.this_update = now() - 3600s;
  old.answer.next_update = now() - 60s;
  auto r = run(old);
  EXPECT_TRUE(r) << r.status().to_string();
  Exchange ahead = good_exchange();
  ahead.answer.this_update = ahead.answer.produced_at = now() + 60s;
  ahead.answer.next_update = std::nullopt;
  r = run(ahead);
  EXPECT_TRUE(r) << r.status().to_string();
  EXPECT_FALSE(r->next_update.has_value());
}

TEST_F(OcspClientTest, KeepsTimesUpToTheYear9999) {
  const sys_seconds last_second = std::chrono::sys_days(std::chrono::year(9999) / 12 / 31) + 23h + 59min + 59s;
  Exchange e = good_exchange();
  e.answer.next_update = last_second;
  auto r = run(e);
  ASSERT_TRUE(r) << r.status().to_string();
  EXPECT_EQ(r->next_update, last_second);
  EXPECT_EQ(r->next_update->time_since_epoch().count(), 253402300799);
}

// --- refused answers: one row per bad answer ---

struct Refusal {
  const char* name;
  std::function<void(OcspClientTest&, Exchange&)> arrange;
  Code code;
  const char* message;  // a part of the Status message
};

void PrintTo(const Refusal& r, std::ostream* os) {
  *os << r.name;
}

class OcspRefusalTest : public OcspClientTest, public ::testing::WithParamInterface<Refusal> {};

TEST_P(OcspRefusalTest, Refuses) {
  const Refusal& row = GetParam();
  Exchange e = good_exchange();
  row.arrange(*this, e);
  auto r = run(e);
  ASSERT_FALSE(r) << row.name << " was accepted";
  EXPECT_EQ(r.status().code(), row.code) << r.status().to_string();
  EXPECT_NE(r.status().message().find(row.message), std::string::npos) << r.status().to_string();
}

void answer_status(Exchange& e, int status) {
  e.answer.response_status = status;
}

INSTANTIATE_TEST_SUITE_P(
    BadAnswers, OcspRefusalTest,
    ::testing::Values(
        Refusal{"NotDer", [](auto&, Exchange& e) { e.der = "not an OCSP response"; }, Code::kInvalidArgument,
                "not a DER OCSPResponse"},
        Refusal{"TrailingBytes",
                [](OcspClientTest& t, Exchange& e) {
                  e.der = make_ocsp_response(t.request_.der(), e.signer->cert, e.signer->key, e.answer) + "x";
                },
                Code::kInvalidArgument, "bytes after the end"},
        Refusal{"MalformedRequest", [](auto&, Exchange& e) { answer_status(e, 1); }, Code::kInvalidArgument,
                "malformedRequest"},
        Refusal{"InternalError", [](auto&, Exchange& e) { answer_status(e, 2); }, Code::kUnavailable,
                "internalError"},
        Refusal{"TryLater", [](auto&, Exchange& e) { answer_status(e, 3); }, Code::kUnavailable, "tryLater"},
        Refusal{"SigRequired", [](auto&, Exchange& e) { answer_status(e, 5); }, Code::kPermissionDenied,
                "sigRequired"},
        Refusal{"Unauthorized", [](auto&, Exchange& e) { answer_status(e, 6); }, Code::kPermissionDenied,
                "unauthorized"},
        Refusal{"ResponderNotAllowed",
                [](OcspClientTest& t, Exchange& e) {
                  e.signer = t.issue(ca::Profile::kOcspResponder, "rogue");
                },
                Code::kPermissionDenied, "CN=rogue,O=Test,C=MX, which is not an allowed OCSP responder"},
        Refusal{"ResponderNotAllowedAndNotEmbedded",
                [](OcspClientTest& t, Exchange& e) {
                  e.signer = t.issue(ca::Profile::kOcspResponder, "rogue");
                  e.answer.include_signer_certificate = false;
                },
                Code::kPermissionDenied, "not an allowed OCSP responder"},
        Refusal{"CaSignsButIsNotAllowed",
                [](OcspClientTest& t, Exchange& e) {
                  e.signer = t.root_as_signer();
                },
                Code::kPermissionDenied, "not an allowed OCSP responder"},
        Refusal{"BadSignature", [](auto&, Exchange& e) { e.answer.corrupt_signature = true; },
                Code::kPermissionDenied, "signature does not verify"},
        Refusal{"AllowedSignerWithoutOcspSigning",
                [](OcspClientTest& t, Exchange& e) {
                  e.signer = t.issue(ca::Profile::kAuthentication, "server");
                  e.allowed.push_back(e.signer->cert);
                },
                Code::kPermissionDenied, "lacks the extended key usage OCSPSigning"},
        Refusal{"AllowedSignerOfAnotherCa",
                [](OcspClientTest& t, Exchange& e) {
                  TestPki other(t.clock_);
                  e.signer = std::make_shared<const KeyAndCert>(other.issue(ca::Profile::kOcspResponder, "ocsp"));
                  e.allowed.push_back(e.signer->cert);
                },
                Code::kPermissionDenied, "is not issued by"},
        Refusal{"ResponderCertificateExpired",
                [](OcspClientTest& t, Exchange& e) {
                  // The responder profile lives 30 days; answer and check 31 days later.
                  t.clock_.advance(31 * 24h);
                  e.answer.produced_at = e.answer.this_update = t.now();
                  e.answer.next_update = t.now() + 600s;
                },
                Code::kPermissionDenied, "expired"},
        Refusal{"OtherSerial", [](auto&, Exchange& e) { e.answer.other_serial = true; }, Code::kPermissionDenied,
                "does not answer the CertID requested: it names serial number"},
        Refusal{"OtherHashAlgorithm", [](auto&, Exchange& e) { e.answer.cert_id_sha1 = true; },
                Code::kPermissionDenied, "hash algorithm SHA1 instead of SHA256"},
        Refusal{"OtherIssuerNameHash", [](auto&, Exchange& e) { e.answer.other_issuer_name_hash = true; },
                Code::kPermissionDenied, "another issuerNameHash"},
        Refusal{"OtherIssuerKeyHash", [](auto&, Exchange& e) { e.answer.other_issuer_key_hash = true; },
                Code::kPermissionDenied, "another issuerKeyHash"},
        Refusal{"UnknownCriticalExtension", [](auto&, Exchange& e) { e.answer.unknown_critical_extension = true; },
                Code::kInvalidArgument, "unsupported critical response extension 1.3.6.1.4.1.99999.1"},
        Refusal{"NonceMissing", [](auto&, Exchange& e) { e.answer.nonce = OcspAnswer::Nonce::kOmit; },
                Code::kPermissionDenied, "carries no nonce"},
        Refusal{"NonceMismatch", [](auto&, Exchange& e) { e.answer.nonce = OcspAnswer::Nonce::kOther; },
                Code::kPermissionDenied, "nonce does not match"},
        Refusal{"ThisUpdateInTheFuture",
                [](OcspClientTest& t, Exchange& e) { e.answer.this_update = t.now() + 61s; },
                Code::kFailedPrecondition, "thisUpdate"},
        Refusal{"ProducedAtInTheFuture",
                [](OcspClientTest& t, Exchange& e) { e.answer.produced_at = t.now() + 61s; },
                Code::kFailedPrecondition, "producedAt"},
        Refusal{"OlderThanFreshness",
                [](OcspClientTest& t, Exchange& e) {
                  e.answer.produced_at = e.answer.this_update = t.now() - 3601s;
                },
                Code::kFailedPrecondition, "older than the freshness limit of 3600 s"},
        Refusal{"StaleAfterTheClockMoves", [](auto&, Exchange& e) { e.check_later = 3601s; },
                Code::kFailedPrecondition, "older than the freshness limit"},
        Refusal{"NextUpdatePassed",
                [](OcspClientTest& t, Exchange& e) {
                  e.answer.this_update = t.now() - 600s;
                  e.answer.next_update = t.now() - 61s;
                },
                Code::kFailedPrecondition, "nextUpdate"},
        Refusal{"NextUpdateBeforeThisUpdate",
                [](OcspClientTest& t, Exchange& e) { e.answer.next_update = t.now() - 1s; },
                Code::kInvalidArgument, "precedes thisUpdate"},
        Refusal{"UnknownRevocationReason",
                [](OcspClientTest& t, Exchange& e) {
                  e.answer.cert_status = V_OCSP_CERTSTATUS_REVOKED;
                  e.answer.revoked_at = t.now() - 1s;
                  e.answer.reason = 7;
                },
                Code::kInvalidArgument, "unknown revocation reason 7"}),
    [](const ::testing::TestParamInfo<Refusal>& info) { return std::string(info.param.name); });

// --- the client over a Fetch ---

class OcspQueryTest : public OcspClientTest {
 protected:
  // A Fetch that records what it was asked and answers like a responder would.
  Fetch responder_fetch(int http_status = 200, std::string content_type = "application/ocsp-response") {
    return [this, http_status, content_type](const std::string& url, net::HttpRequest request) {
      asked_url_ = url;
      asked_method_ = request.method;
      Exchange e = good_exchange();
      std::string der =
          make_ocsp_response(xacbe::testing::ocsp_request_of(url, request), e.signer->cert, e.signer->key, e.answer);
      return Result<net::HttpResponse>(net::HttpResponse::make(http_status, content_type, std::move(der)));
    };
  }
  std::string asked_url_, asked_method_;
};

TEST_F(OcspQueryTest, PostsWhenGetIsNotPreferredAndVerifiesTheAnswer) {
  OcspClientOptions options;
  options.prefer_get = false;
  OcspClient client(clock_, options, responder_fetch());
  auto r = client.query("http://127.0.0.1:9/", member_.cert, pki_.root(), {responder_.cert});
  ASSERT_TRUE(r) << r.status().to_string();
  EXPECT_EQ(r->status, CertStatus::Kind::kGood);
  EXPECT_EQ(asked_method_, "POST");
  EXPECT_EQ(asked_url_, "http://127.0.0.1:9/");
}

TEST_F(OcspQueryTest, UsesGetForASmallRequest) {
  OcspClientOptions options;
  options.request = {CertIdHash::kSha1, 8};
  OcspClient client(clock_, options, responder_fetch());
  auto r = client.query("http://127.0.0.1:9", member_.cert, pki_.root(), {responder_.cert});
  ASSERT_TRUE(r) << r.status().to_string();
  EXPECT_EQ(asked_method_, "GET");
  EXPECT_EQ(asked_url_.rfind("http://127.0.0.1:9/", 0), 0u) << asked_url_;
}

TEST_F(OcspQueryTest, RefusesAnHttpErrorAndAWrongContentType) {
  auto r = OcspClient(clock_, {}, responder_fetch(503))
               .query("http://127.0.0.1:9/", member_.cert, pki_.root(), {responder_.cert});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().code(), Code::kUnavailable);
  EXPECT_NE(r.status().message().find("HTTP 503"), std::string::npos);
  r = OcspClient(clock_, {}, responder_fetch(200, "text/html"))
          .query("http://127.0.0.1:9/", member_.cert, pki_.root(), {responder_.cert});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
}

TEST_F(OcspQueryTest, PassesOnTheTransportError) {
  Fetch timeout = [](const std::string&, net::HttpRequest) -> Result<net::HttpResponse> {
    return Status(Code::kDeadlineExceeded, "read response: timed out");
  };
  auto r = OcspClient(clock_, {}, timeout).query("http://127.0.0.1:9/", member_.cert, pki_.root(), {responder_.cert});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().code(), Code::kDeadlineExceeded);
  EXPECT_NE(r.status().message().find("http://127.0.0.1:9/"), std::string::npos);
}

}  // namespace
}  // namespace xacbe::crypto
