#include "xacbe/crypto/tsa_client.hpp"

#include <gtest/gtest.h>
#include <openssl/bn.h>
#include <openssl/objects.h>
#include <openssl/pkcs7.h>
#include <openssl/ts.h>
#include <openssl/x509.h>

#include <functional>
#include <memory>
#include <ostream>

#include "support/test_pki.hpp"
#include "support/tsa_answers.hpp"
#include "xacbe/crypto/encoding.hpp"

namespace xacbe::crypto {
namespace {

using namespace std::chrono_literals;
using std::chrono::sys_seconds;
using xacbe::testing::KeyAndCert;
using xacbe::testing::make_timestamp_response;
using xacbe::testing::TestPki;
using xacbe::testing::TsaAnswer;

// 2027-01-15T08:00:00Z.
const TimePoint kStart{std::chrono::seconds(1'800'000'000)};
const std::string kDefaultPolicy = "1.3.6.1.4.1.99999.3.1";

TS_REQPtr parse_request(const std::string& der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  return TS_REQPtr(d2i_TS_REQ(nullptr, &p, static_cast<long>(der.size())));
}

// What a test asks: the answer to make, who signs it, which TSA certificate and roots the client
// is configured with, and how far its clock moves before it checks.
struct Exchange {
  TsaAnswer answer;
  std::shared_ptr<const KeyAndCert> signer;
  std::optional<Certificate> configured;  // the signer's certificate when unset
  std::vector<Certificate> roots;
  std::chrono::seconds check_later{0};
  std::string der;  // used instead of a made answer when not empty
};

// Members are public so that the rows of the refusal table can arrange their exchange.
class TsaClientTest : public ::testing::Test {
 public:
  sys_seconds now() const { return to_sys_seconds(clock_.now()); }

  Exchange good_exchange() {
    Exchange e;
    e.answer.gen_time = now();
    e.signer = std::shared_ptr<const KeyAndCert>(std::shared_ptr<void>(), &tsa_);
    e.roots = {pki_.root()};
    return e;
  }

  Result<TimestampToken> run(Exchange& e, const TimestampRequest& request) {
    if (e.der.empty()) {
      e.der = make_timestamp_response(request.der(), e.signer->cert, e.signer->key, {pki_.root()}, e.answer);
    }
    clock_.advance(e.check_later);
    return verify_timestamp_response(e.der, request, e.configured.value_or(e.signer->cert), e.roots,
                                     TimestampCheckOptions{}, clock_);
  }
  Result<TimestampToken> run(Exchange& e) { return run(e, request_); }

  std::shared_ptr<const KeyAndCert> issue(ca::Profile profile, const std::string& name) {
    return std::make_shared<const KeyAndCert>(pki_.issue(profile, name));
  }

  ManualClock clock_{kStart};
  TestPki pki_{clock_};
  KeyAndCert tsa_ = pki_.issue(ca::Profile::kTimestamping, "tsa");
  TimestampRequest request_ = TimestampRequest::for_data(ImprintHash::kSha256, "acta de entrega").value();
};

// --- the request ---

TEST_F(TsaClientTest, RequestAsksForCertificatesWithANonceAndAnUnparameterisedSha256Imprint) {
  TS_REQPtr parsed = parse_request(request_.der());
  ASSERT_NE(parsed, nullptr);
  EXPECT_EQ(TS_REQ_get_version(parsed.get()), 1);
  EXPECT_EQ(TS_REQ_get_cert_req(parsed.get()), 1);
  EXPECT_EQ(TS_REQ_get_policy_id(parsed.get()), nullptr);
  EXPECT_EQ(TS_REQ_get_ext_count(parsed.get()), 0);
  TS_MSG_IMPRINT* imprint = TS_REQ_get_msg_imprint(parsed.get());
  const ASN1_OBJECT* oid = nullptr;
  int parameter_type = 0;
  X509_ALGOR_get0(&oid, &parameter_type, nullptr, TS_MSG_IMPRINT_get_algo(imprint));
  EXPECT_EQ(OBJ_obj2nid(oid), NID_sha256);
  EXPECT_EQ(parameter_type, V_ASN1_UNDEF);  // RFC 5754 section 2
  const ASN1_OCTET_STRING* message = TS_MSG_IMPRINT_get_msg(imprint);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(message)), ASN1_STRING_length(message)),
            sha256("acta de entrega"));
  BIGNUMPtr nonce(ASN1_INTEGER_to_BN(TS_REQ_get_nonce(parsed.get()), nullptr));
  ASSERT_NE(nonce, nullptr);
  std::string bytes(static_cast<std::size_t>(BN_num_bytes(nonce.get())), '\0');
  BN_bn2bin(nonce.get(), reinterpret_cast<unsigned char*>(bytes.data()));
  EXPECT_EQ(bytes, request_.nonce());
  EXPECT_GE(request_.nonce().size(), 8u);
  EXPECT_NE(TimestampRequest::for_data(ImprintHash::kSha256, "acta de entrega")->nonce(), request_.nonce());
}

TEST_F(TsaClientTest, RequestNamesAPolicyWhenAsked) {
  auto request = TimestampRequest::create(ImprintHash::kSha512, std::string(64, 'x'), kDefaultPolicy);
  ASSERT_TRUE(request) << request.status().to_string();
  TS_REQPtr parsed = parse_request(request->der());
  char text[80] = {0};
  OBJ_obj2txt(text, sizeof text, TS_REQ_get_policy_id(parsed.get()), 1);
  EXPECT_EQ(std::string(text), kDefaultPolicy);
}

TEST_F(TsaClientTest, RefusesAnImprintOfTheWrongLengthAndABadPolicy) {
  auto r = TimestampRequest::create(ImprintHash::kSha384, std::string(32, 'x'));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  r = TimestampRequest::create(ImprintHash::kSha256, std::string(32, 'x'), "not an oid");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
}

TEST_F(TsaClientTest, PostCarriesTheDerAsTimestampQuery) {
  const net::HttpRequest post = request_.post();
  EXPECT_EQ(post.method, "POST");
  EXPECT_EQ(post.header("Content-Type"), "application/timestamp-query");
  EXPECT_EQ(post.body, request_.der());
}

// --- accepted answers ---

TEST_F(TsaClientTest, AcceptsATokenAndReportsItsFields) {
  Exchange e = good_exchange();
  e.answer.accuracy_millis = 500;
  auto r = run(e);
  ASSERT_TRUE(r) << r.status().to_string();
  EXPECT_EQ(r->gen_time, now());
  EXPECT_EQ(r->serial_hex, "2A");
  EXPECT_EQ(r->policy, kDefaultPolicy);
  ASSERT_TRUE(r->accuracy.has_value());
  EXPECT_EQ(*r->accuracy, (TimestampAccuracy{1, 500, 0}));
  EXPECT_FALSE(r->granted_with_mods);
  // The token is the ContentInfo of the response, signed by the TSA.
  const auto* p = reinterpret_cast<const unsigned char*>(r->token_der.data());
  std::unique_ptr<PKCS7, decltype(&PKCS7_free)> token(d2i_PKCS7(nullptr, &p, static_cast<long>(r->token_der.size())),
                                                      &PKCS7_free);
  ASSERT_NE(token, nullptr);
  EXPECT_TRUE(PKCS7_type_is_signed(token.get()));
}

TEST_F(TsaClientTest, AcceptsSha384AndSha512ImprintsAndARequestedPolicy) {
  for (ImprintHash hash : {ImprintHash::kSha384, ImprintHash::kSha512}) {
    auto request = TimestampRequest::for_data(hash, "acta", "1.3.6.1.4.1.99999.3.2").value();
    Exchange e = good_exchange();
    e.answer.other_policies = {"1.3.6.1.4.1.99999.3.2"};
    auto r = run(e, request);
    ASSERT_TRUE(r) << r.status().to_string();
    EXPECT_EQ(r->policy, "1.3.6.1.4.1.99999.3.2");
  }
}

TEST_F(TsaClientTest, AcceptsATokenWithoutCertificatesGivenTheTsaCertificate) {
  Exchange e = good_exchange();
  e.answer.without_certificates = true;
  auto r = run(e);
  EXPECT_TRUE(r) << r.status().to_string();
}

TEST_F(TsaClientTest, ReportsNoAccuracyWhenTheTokenHasNone) {
  Exchange e = good_exchange();
  e.answer.accuracy_seconds = 0;
  auto r = run(e);
  ASSERT_TRUE(r) << r.status().to_string();
  EXPECT_FALSE(r->accuracy.has_value());
}

TEST_F(TsaClientTest, AcceptsGenTimeAtTheEdgesOfSkewAndAge) {
  Exchange ahead = good_exchange();
  ahead.answer.gen_time = now() + 60s;
  auto r = run(ahead);
  EXPECT_TRUE(r) << r.status().to_string();
  Exchange old = good_exchange();
  old.answer.gen_time = now() - 300s;
  r = run(old);
  EXPECT_TRUE(r) << r.status().to_string();
}

// --- refused answers: one row per bad answer ---

struct Refusal {
  const char* name;
  std::function<void(TsaClientTest&, Exchange&)> arrange;
  Code code;
  const char* message;  // a part of the Status message
};

void PrintTo(const Refusal& r, std::ostream* os) {
  *os << r.name;
}

class TsaRefusalTest : public TsaClientTest, public ::testing::WithParamInterface<Refusal> {};

TEST_P(TsaRefusalTest, Refuses) {
  const Refusal& row = GetParam();
  Exchange e = good_exchange();
  row.arrange(*this, e);
  auto r = run(e);
  ASSERT_FALSE(r) << row.name << " was accepted";
  EXPECT_EQ(r.status().code(), row.code) << r.status().to_string();
  EXPECT_NE(r.status().message().find(row.message), std::string::npos) << r.status().to_string();
}

INSTANTIATE_TEST_SUITE_P(
    BadAnswers, TsaRefusalTest,
    ::testing::Values(
        Refusal{"NotDer", [](auto&, Exchange& e) { e.der = "not a response"; }, Code::kInvalidArgument,
                "not a DER TimeStampResp"},
        Refusal{"TrailingBytes",
                [](TsaClientTest& t, Exchange& e) {
                  e.der = make_timestamp_response(t.request_.der(), t.tsa_.cert, t.tsa_.key, {}, e.answer) + "x";
                },
                Code::kInvalidArgument, "bytes after the end"},
        Refusal{"RejectedBadAlg", [](auto&, Exchange& e) { e.answer.reject_with = TS_INFO_BAD_ALG; },
                Code::kInvalidArgument, "rejection (2) with failInfo badAlg"},
        Refusal{"RejectedUnacceptedPolicy",
                [](auto&, Exchange& e) { e.answer.reject_with = TS_INFO_UNACCEPTED_POLICY; }, Code::kInvalidArgument,
                "unacceptedPolicy"},
        Refusal{"RejectedTimeNotAvailable",
                [](auto&, Exchange& e) { e.answer.reject_with = TS_INFO_TIME_NOT_AVAILABLE; }, Code::kUnavailable,
                "timeNotAvailable"},
        Refusal{"RejectedSystemFailure", [](auto&, Exchange& e) { e.answer.reject_with = TS_INFO_SYSTEM_FAILURE; },
                Code::kUnavailable, "systemFailure"},
        Refusal{"RejectedWithoutFailInfo", [](auto&, Exchange& e) { e.answer.bare_status = TS_STATUS_REJECTION; },
                Code::kUnavailable, "without failInfo"},
        Refusal{"Waiting", [](auto&, Exchange& e) { e.answer.bare_status = TS_STATUS_WAITING; }, Code::kUnavailable,
                "waiting"},
        Refusal{"RevocationWarning", [](auto&, Exchange& e) { e.answer.bare_status = TS_STATUS_REVOCATION_WARNING; },
                Code::kPermissionDenied, "revocationWarning"},
        // OpenSSL's decoder already refuses this (RFC 3161 section 2.4.2: granted means a token).
        Refusal{"GrantedWithoutToken", [](auto&, Exchange& e) { e.answer.bare_status = TS_STATUS_GRANTED; },
                Code::kInvalidArgument, "token not present"},
        Refusal{
            "ConfiguredCertificateIsNoTsa",
            [](TsaClientTest& t, Exchange& e) { e.configured = t.issue(ca::Profile::kAuthentication, "tsa")->cert; },
            Code::kPermissionDenied, "is not a time-stamping certificate"},
        Refusal{"SignedByAnotherTsa",
                [](TsaClientTest& t, Exchange& e) {
                  e.signer = t.issue(ca::Profile::kTimestamping, "rogue");
                  e.configured = t.tsa_.cert;
                },
                Code::kPermissionDenied, "signed by CN=rogue,O=Test,C=MX, not by the TSA certificate"},
        Refusal{"TsaOfAnotherCa",
                [](TsaClientTest& t, Exchange& e) {
                  TestPki other(t.clock_);
                  e.signer = std::make_shared<const KeyAndCert>(other.issue(ca::Profile::kTimestamping, "tsa"));
                },
                Code::kPermissionDenied, "does not verify"},
        Refusal{"TsaCertificateExpired",
                [](TsaClientTest& t, Exchange& e) {
                  t.clock_.advance(std::chrono::hours(24 * (365 * 5 + 2)));
                  e.answer.gen_time = t.now();
                },
                Code::kPermissionDenied, "certificate has expired"},
        Refusal{"BadSignature", [](auto&, Exchange& e) { e.answer.corrupt_signature = true; }, Code::kPermissionDenied,
                "signature does not verify"},
        Refusal{"OtherImprint", [](auto&, Exchange& e) { e.answer.other_imprint = true; }, Code::kPermissionDenied,
                "imprint is not the digest requested"},
        Refusal{"NonceMissing", [](auto&, Exchange& e) { e.answer.nonce = TsaAnswer::Nonce::kOmit; },
                Code::kPermissionDenied, "carries no nonce"},
        Refusal{"NonceMismatch", [](auto&, Exchange& e) { e.answer.nonce = TsaAnswer::Nonce::kOther; },
                Code::kPermissionDenied, "nonce does not match"},
        Refusal{"GenTimeInTheFuture", [](TsaClientTest& t, Exchange& e) { e.answer.gen_time = t.now() + 61s; },
                Code::kFailedPrecondition, "is in the future"},
        Refusal{"GenTimeTooOld", [](TsaClientTest& t, Exchange& e) { e.answer.gen_time = t.now() - 301s; },
                Code::kFailedPrecondition, "is older than 300 s"},
        Refusal{"TooOldOnceTheClockMoves", [](auto&, Exchange& e) { e.check_later = 301s; }, Code::kFailedPrecondition,
                "is older than 300 s"}),
    [](const ::testing::TestParamInfo<Refusal>& info) { return std::string(info.param.name); });

TEST_F(TsaClientTest, RefusesATokenUnderAnotherPolicyThanRequested) {
  auto request = TimestampRequest::for_data(ImprintHash::kSha256, "acta", "1.3.6.1.4.1.99999.3.2").value();
  Exchange e = good_exchange();
  e.answer.other_policies = {"1.3.6.1.4.1.99999.3.2"};
  e.answer.other_policy = true;
  auto r = run(e, request);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().code(), Code::kPermissionDenied);
  EXPECT_NE(r.status().message().find("is not the policy requested"), std::string::npos) << r.status().message();
}

// --- the client over a Fetch ---

class TsaStampTest : public TsaClientTest {
 protected:
  Fetch tsa_fetch(int http_status = 200, std::string content_type = "application/timestamp-reply") {
    return [this, http_status, content_type](const std::string& url, net::HttpRequest request) {
      asked_url_ = url;
      asked_ = request;
      TsaAnswer answer;
      answer.gen_time = now();
      std::string der = make_timestamp_response(request.body, tsa_.cert, tsa_.key, {pki_.root()}, answer);
      return Result<net::HttpResponse>(net::HttpResponse::make(http_status, content_type, std::move(der)));
    };
  }
  std::string asked_url_;
  net::HttpRequest asked_;
};

TEST_F(TsaStampTest, PostsTheRequestAndVerifiesTheToken) {
  TsaClient client(clock_, {}, tsa_fetch());
  auto r = client.stamp("http://127.0.0.1:9/", ImprintHash::kSha256, sha256("acta"), tsa_.cert, {pki_.root()});
  ASSERT_TRUE(r) << r.status().to_string();
  EXPECT_EQ(asked_url_, "http://127.0.0.1:9/");
  EXPECT_EQ(asked_.method, "POST");
  EXPECT_EQ(asked_.header("Content-Type"), "application/timestamp-query");
}

TEST_F(TsaStampTest, RefusesAnHttpErrorAWrongContentTypeAndPassesOnTransportErrors) {
  auto r = TsaClient(clock_, {}, tsa_fetch(500)).stamp("http://127.0.0.1:9/", request_, tsa_.cert, {pki_.root()});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().code(), Code::kUnavailable);
  r = TsaClient(clock_, {}, tsa_fetch(200, "text/plain"))
          .stamp("http://127.0.0.1:9/", request_, tsa_.cert, {pki_.root()});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  Fetch down = [](const std::string&, net::HttpRequest) -> Result<net::HttpResponse> {
    return unavailable("connect: Connection refused");
  };
  r = TsaClient(clock_, {}, down).stamp("http://127.0.0.1:9/", request_, tsa_.cert, {pki_.root()});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().code(), Code::kUnavailable);
  EXPECT_NE(r.status().message().find("TSA http://127.0.0.1:9/"), std::string::npos);
}

}  // namespace
}  // namespace xacbe::crypto
