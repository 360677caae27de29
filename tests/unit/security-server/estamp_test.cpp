#include "estamp/estamp.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <thread>

#include "support/ocsp_answers.hpp"
#include "support/test_pki.hpp"
#include "xacbe/crypto/csr.hpp"
#include "xacbe/crypto/encoding.hpp"

namespace xacbe::ss {
namespace {

using namespace std::chrono_literals;
using testing::KeyAndCert;
using testing::OcspAnswer;
using testing::TestPki;

StampContent request_content(const std::string& id = "msg-1") {
  return {.kind = "request",
          .message_id = id,
          .client = "QROO/EST/FGE/SIS",
          .service = "QROO/EST/SEFIPLAN/SIIF/padron-v1",
          .request_hash = {},
          .parts = {{"head", crypto::sha256("head of " + id)}, {"body", crypto::sha256("body of " + id)}}};
}

StampContent response_content() {
  StampContent c = request_content("resp-1");
  c.kind = "response";
  c.request_hash = crypto::sha256("the request's e-stamp");
  return c;
}

// Replaces the first `from` in `text` by `to`; the test fails if `from` is not there.
std::string replace_once(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  EXPECT_NE(at, std::string::npos) << "not found: " << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

// Changes the hex digit right after the first `marker` (to another hex digit).
std::string flip_hex_after(std::string text, const std::string& marker) {
  const auto at = text.find(marker);
  EXPECT_NE(at, std::string::npos) << "not found: " << marker;
  if (at == std::string::npos) return text;
  char& digit = text[at + marker.size()];
  digit = digit == '0' ? '1' : '0';
  return text;
}

// Cuts the first element that begins with `open` and ends with `close` (inclusive).
std::string cut(std::string text, const std::string& open, const std::string& close) {
  const auto begin = text.find(open);
  const auto end = text.find(close, begin);
  EXPECT_TRUE(begin != std::string::npos && end != std::string::npos) << "not found: " << open;
  if (begin == std::string::npos || end == std::string::npos) return text;
  text.erase(begin, end + close.size() - begin);
  return text;
}

std::string between(const std::string& text, const std::string& open, const std::string& close) {
  const auto begin = text.find(open);
  const auto end = text.find(close, begin);
  if (begin == std::string::npos || end == std::string::npos) return {};
  return text.substr(begin + open.size(), end - begin - open.size());
}

// Members are public so that the rows of the refusal table (free lambdas) can reach them.
class EStampTest : public ::testing::Test {
 public:
  EStampTest()
      : clock_(std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now())),
        pki_(clock_),
        responder_(pki_.issue(ca::Profile::kOcspResponder, "Test OCSP")),
        member_(pki_.issue(ca::Profile::kSigning, "QROO/EST/FGE")),
        signer_(make_signer(member_)),
        ocsp_(ocsp_for(member_.cert)),
        trust_{.ca = pki_.root(), .ocsp_responders = {responder_.cert}, .ocsp_freshness = 3600s, .max_clock_skew = 60s} {}

  static std::unique_ptr<SoftwareSigner> make_signer(const KeyAndCert& kc) {
    auto key = crypto::PrivateKey::from_pem(kc.key.to_pem());
    EXPECT_TRUE(key.is_ok());
    auto signer = SoftwareSigner::create(std::move(key).value(), kc.cert);
    EXPECT_TRUE(signer.is_ok()) << signer.status().to_string();
    return std::move(signer).value();
  }

  std::chrono::sys_seconds now() const { return to_sys_seconds(clock_.now()); }

  // A good answer, produced a minute ago, about `cert` (issued by `issuer`, the test root unless
  // given), signed by `responder` (the allowed one unless given).
  std::string ocsp_for(const crypto::Certificate& cert, OcspAnswer answer = {}, const KeyAndCert* responder = nullptr,
                       const crypto::Certificate* issuer = nullptr) {
    auto request = crypto::OcspRequest::create(cert, issuer ? *issuer : pki_.root(), {.nonce_octets = 0});
    EXPECT_TRUE(request.is_ok()) << request.status().to_string();
    if (answer.produced_at == std::chrono::sys_seconds{}) answer.produced_at = now() - 60s;
    if (answer.this_update == std::chrono::sys_seconds{}) answer.this_update = now() - 60s;
    if (!answer.next_update) answer.next_update = now() + 24h;
    const KeyAndCert& by = responder ? *responder : responder_;
    return testing::make_ocsp_response(request->der(), by.cert, by.key, answer);
  }

  std::string sign(const StampContent& content) {
    auto stamp = sign_estamp(content, *signer_, ocsp_, now());
    EXPECT_TRUE(stamp.is_ok()) << stamp.status().to_string();
    return stamp.is_ok() ? stamp.value() : std::string();
  }

  std::vector<std::string> sign_batch(std::size_t n) {
    std::vector<StampContent> contents;
    for (std::size_t i = 0; i < n; ++i) contents.push_back(request_content("msg-" + std::to_string(i)));
    auto stamps = sign_estamp_batch(contents, *signer_, ocsp_, now());
    EXPECT_TRUE(stamps.is_ok()) << stamps.status().to_string();
    return stamps.is_ok() ? stamps.value() : std::vector<std::string>{};
  }

  Result<VerifiedEStamp> verify(const std::string& xml, EStampFault* fault = nullptr) {
    return verify_estamp(xml, trust_, clock_, fault);
  }

  ManualClock clock_;
  TestPki pki_;
  KeyAndCert responder_;
  KeyAndCert member_;
  std::unique_ptr<SoftwareSigner> signer_;
  std::string ocsp_;
  EStampTrust trust_;
};

class EStampKeyTypeTest : public EStampTest, public ::testing::WithParamInterface<crypto::KeyType> {};

TEST_P(EStampKeyTypeTest, SignsAndVerifiesOneMessage) {
  const auto member = pki_.issue(ca::Profile::kSigning, "QROO/EST/SEFIPLAN", GetParam());
  const auto signer = make_signer(member);
  const std::string ocsp = ocsp_for(member.cert);
  const auto signed_at = now();
  clock_.advance(5s);
  for (const StampContent& content : {request_content(), response_content()}) {
    auto stamp = sign_estamp(content, *signer, ocsp, signed_at);
    ASSERT_TRUE(stamp.is_ok()) << stamp.status().to_string();
    auto verified = verify(*stamp);
    ASSERT_TRUE(verified.is_ok()) << verified.status().to_string();
    EXPECT_EQ(verified->content, content);
    EXPECT_EQ(verified->signer.der(), member.cert.der());
    EXPECT_EQ(verified->signing_time, signed_at);
    EXPECT_EQ(verified->ocsp.status, crypto::CertStatus::Kind::kGood);
    EXPECT_EQ(verified->ocsp.der, ocsp);
    EXPECT_EQ(verified->batch_size, 1u);
    EXPECT_EQ(verified->batch_index, 0u);
    EXPECT_TRUE(signer_member_matches(verified->signer, "QROO/EST/SEFIPLAN"));
  }
}

INSTANTIATE_TEST_SUITE_P(Keys, EStampKeyTypeTest,
                         ::testing::Values(crypto::KeyType::kRsa2048, crypto::KeyType::kEcP256,
                                           crypto::KeyType::kEcP384),
                         [](const auto& info) {
                           switch (info.param) {
                             case crypto::KeyType::kRsa2048: return std::string("Rsa2048");
                             case crypto::KeyType::kEcP256: return std::string("EcP256");
                             case crypto::KeyType::kEcP384: return std::string("EcP384");
                             default: return std::string("Other");
                           }
                         });

TEST_F(EStampTest, DocumentIsNamespacedAndCarriesCertificateAndOcsp) {
  const std::string stamp = sign(request_content());
  EXPECT_NE(stamp.find("<e:EStamp xmlns:e=\"urn:xacbe:estamp:1\" version=\"1\">"), std::string::npos) << stamp;
  EXPECT_NE(stamp.find("<ds:Reference URI=\"#message\">"), std::string::npos);
  EXPECT_NE(stamp.find("<ds:Reference URI=\"#signed-properties\">"), std::string::npos);
  EXPECT_NE(stamp.find(crypto::base64_encode(member_.cert.der())), std::string::npos);
  EXPECT_NE(stamp.find(crypto::base64_encode(ocsp_)), std::string::npos);
  EXPECT_NE(stamp.find("<e:Part name=\"body\">" + crypto::to_hex(crypto::sha256("body of msg-1")) + "</e:Part>"),
            std::string::npos);
  EXPECT_EQ(stamp.find("<e:Batch"), std::string::npos);
}

TEST_F(EStampTest, EveryStampOfABatchVerifiesWithItsOwnContentAndIndex) {
  for (std::size_t n : {1u, 2u, 3u, 100u}) {
    SCOPED_TRACE("batch of " + std::to_string(n));
    const auto stamps = sign_batch(n);
    ASSERT_EQ(stamps.size(), n);
    std::string signature_value;
    for (std::size_t i = 0; i < n; ++i) {
      auto verified = verify(stamps[i]);
      ASSERT_TRUE(verified.is_ok()) << i << ": " << verified.status().to_string();
      EXPECT_EQ(verified->content, request_content("msg-" + std::to_string(i)));
      EXPECT_EQ(verified->batch_size, n);
      EXPECT_EQ(verified->batch_index, i);
      // One signature serves the whole batch.
      const std::string value = between(stamps[i], "<ds:SignatureValue>", "</ds:SignatureValue>");
      ASSERT_FALSE(value.empty());
      if (i == 0) signature_value = value;
      EXPECT_EQ(value, signature_value);
    }
  }
}

TEST_F(EStampTest, AProofCannotBeMovedToAnotherMessageOfTheBatch) {
  const auto stamps = sign_batch(4);
  // Stamp 1 with the proof of stamp 2: the index and path no longer lead to the root.
  const std::string proof2 = between(stamps[2], "<e:Proof>", "</e:Proof>");
  const std::string proof1 = between(stamps[1], "<e:Proof>", "</e:Proof>");
  EStampFault fault{};
  auto verified = verify(replace_once(stamps[1], proof1, proof2), &fault);
  ASSERT_FALSE(verified.is_ok());
  EXPECT_EQ(fault, EStampFault::kBadSignature);
}

TEST_F(EStampTest, SignRefusesInvalidContent) {
  auto bad = request_content();
  bad.parts.push_back(bad.parts[0]);  // duplicate name
  EXPECT_EQ(sign_estamp(bad, *signer_, ocsp_, now()).status().code(), Code::kInvalidArgument);
  bad = request_content();
  bad.request_hash = crypto::sha256("x");  // a request with a request hash
  EXPECT_EQ(sign_estamp(bad, *signer_, ocsp_, now()).status().code(), Code::kInvalidArgument);
  bad = request_content();
  bad.message_id = std::string(256, 'a');
  EXPECT_EQ(sign_estamp(bad, *signer_, ocsp_, now()).status().code(), Code::kInvalidArgument);
  bad = request_content();
  bad.parts[0].name = "Head";
  EXPECT_EQ(sign_estamp(bad, *signer_, ocsp_, now()).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(sign_estamp(request_content(), *signer_, "not DER", now()).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(sign_estamp_batch({}, *signer_, ocsp_, now()).status().code(), Code::kInvalidArgument);
}

TEST_F(EStampTest, SoftwareSignerRefusesAKeyOfAnotherCertificate) {
  const auto other = pki_.issue(ca::Profile::kSigning, "QROO/EST/OTHER");
  auto key = crypto::PrivateKey::from_pem(other.key.to_pem());
  ASSERT_TRUE(key.is_ok());
  EXPECT_EQ(SoftwareSigner::create(std::move(key).value(), member_.cert).status().code(), Code::kInvalidArgument);
}

OcspAnswer answer(const std::function<void(OcspAnswer&)>& change) {
  OcspAnswer a;
  change(a);
  return a;
}

struct Refusal {
  const char* name;
  std::function<std::string(EStampTest&)> make;
  EStampFault fault;
};

class EStampRefusalTest : public EStampTest {
 public:
  std::string single() { return sign(request_content()); }
  std::string response() { return sign(response_content()); }
  std::string batched() { return sign_batch(3)[0]; }
  // Signed by `kc` (an own signer), carrying a good OCSP answer about `kc` from the allowed responder.
  std::string signed_by(const KeyAndCert& kc, const crypto::Certificate* issuer = nullptr) {
    auto signer = make_signer(kc);
    auto stamp = sign_estamp(request_content(), *signer, ocsp_for(kc.cert, {}, nullptr, issuer), now());
    EXPECT_TRUE(stamp.is_ok()) << stamp.status().to_string();
    return stamp.is_ok() ? stamp.value() : std::string();
  }
  std::string with_ocsp(const std::string& ocsp) {
    auto stamp = sign_estamp(request_content(), *signer_, ocsp, now());
    EXPECT_TRUE(stamp.is_ok()) << stamp.status().to_string();
    return stamp.is_ok() ? stamp.value() : std::string();
  }
  TestPki& pki() { return pki_; }
  KeyAndCert& member() { return member_; }
  ManualClock& clock() { return clock_; }
};

const std::vector<Refusal>& refusals() {
  using F = EStampFault;
  using T = EStampRefusalTest;
  static const std::vector<Refusal> kRows = {
      // The signed content.
      {"a part digest byte", [](EStampTest& t) { return flip_hex_after(static_cast<T&>(t).single(), "<e:Part name=\"body\">"); }, F::kBadSignature},
      {"the message id", [](EStampTest& t) { return replace_once(static_cast<T&>(t).single(), ">msg-1<", ">msg-2<"); }, F::kBadSignature},
      {"the client", [](EStampTest& t) { return replace_once(static_cast<T&>(t).single(), "QROO/EST/FGE/SIS", "QROO/EST/FGE/SIT"); }, F::kBadSignature},
      {"the kind (a response made a request)",
       [](EStampTest& t) {
         auto s = replace_once(static_cast<T&>(t).response(), "<e:Kind>response</e:Kind>", "<e:Kind>request</e:Kind>");
         return cut(s, "<e:RequestHash>", "</e:RequestHash>");
       }, F::kBadSignature},
      {"the kind alone (breaks the schema)", [](EStampTest& t) { return replace_once(static_cast<T&>(t).single(), "<e:Kind>request<", "<e:Kind>response<"); }, F::kMalformed},
      {"the request hash", [](EStampTest& t) { return flip_hex_after(static_cast<T&>(t).response(), "<e:RequestHash>"); }, F::kBadSignature},
      {"the signing time",
       [](EStampTest& t) {
         auto& r = static_cast<T&>(t);
         const std::string time = "<e:SigningTime>" + to_iso8601_utc(r.now()) + "<";
         return replace_once(r.single(), time, "<e:SigningTime>" + to_iso8601_utc(r.now() - std::chrono::seconds(1)) + "<");
       }, F::kBadSignature},
      {"the signature value", [](EStampTest& t) { return replace_once(static_cast<T&>(t).single(), "<ds:SignatureValue>", "<ds:SignatureValue>AAAA"); }, F::kBadSignature},
      {"a reference digest", [](EStampTest& t) { return replace_once(static_cast<T&>(t).single(), "<ds:DigestValue>", "<ds:DigestValue>AAAA"); }, F::kBadSignature},
      // The batch.
      {"a proof hash", [](EStampTest& t) { return flip_hex_after(static_cast<T&>(t).batched(), "<e:Hash>"); }, F::kBadSignature},
      {"the proof index", [](EStampTest& t) { return replace_once(static_cast<T&>(t).batched(), "<e:Index>0<", "<e:Index>1<"); }, F::kBadSignature},
      {"a proof hash removed", [](EStampTest& t) { return cut(static_cast<T&>(t).batched(), "<e:Hash>", "</e:Hash>"); }, F::kBadSignature},
      {"the batch root", [](EStampTest& t) { return flip_hex_after(static_cast<T&>(t).batched(), "<e:Root>"); }, F::kBadSignature},
      {"the batch size", [](EStampTest& t) { return replace_once(static_cast<T&>(t).batched(), "<e:Size>3<", "<e:Size>4<"); }, F::kBadSignature},
      {"the Batch removed", [](EStampTest& t) { return cut(static_cast<T&>(t).batched(), "<e:Batch", "</e:Batch>"); }, F::kMalformed},
      // The references.
      {"a Reference removed", [](EStampTest& t) { return cut(static_cast<T&>(t).single(), "<ds:Reference URI=\"#signed-properties\">", "</ds:Reference>"); }, F::kMalformed},
      {"an extra Reference",
       [](EStampTest& t) {
         auto s = static_cast<T&>(t).single();
         const std::string ref = "<ds:Reference URI=\"#message\">" + between(s, "<ds:Reference URI=\"#message\">", "</ds:Reference>") + "</ds:Reference>";
         return replace_once(s, "</ds:SignedInfo>", ref + "</ds:SignedInfo>");
       }, F::kMalformed},
      {"an external Reference URI", [](EStampTest& t) { return replace_once(static_cast<T&>(t).single(), "URI=\"#message\"", "URI=\"http://example.com/m\""); }, F::kMalformed},
      {"a Reference to the batch in a single stamp", [](EStampTest& t) { return replace_once(static_cast<T&>(t).single(), "URI=\"#message\"", "URI=\"#batch\""); }, F::kMalformed},
      {"a SHA-1 digest method", [](EStampTest& t) { return replace_once(static_cast<T&>(t).single(), "http://www.w3.org/2001/04/xmlenc#sha256", "http://www.w3.org/2000/09/xmldsig#sha1"); }, F::kMalformed},
      {"an extra element", [](EStampTest& t) { return replace_once(static_cast<T&>(t).single(), "<e:Kind>", "<e:Note>x</e:Note><e:Kind>"); }, F::kMalformed},
      {"a repeated element", [](EStampTest& t) { return replace_once(static_cast<T&>(t).single(), "<e:Kind>request</e:Kind>", "<e:Kind>request</e:Kind><e:Kind>request</e:Kind>"); }, F::kMalformed},
      {"an extra attribute", [](EStampTest& t) { return replace_once(static_cast<T&>(t).single(), "<e:Message Id=\"message\"", "<e:Message Id=\"message\" x=\"1\""); }, F::kMalformed},
      {"a comment inside", [](EStampTest& t) { return replace_once(static_cast<T&>(t).single(), "<e:Kind>", "<!-- hi --><e:Kind>"); }, F::kMalformed},
      // The certificate.
      {"the certificate swapped for another member's",
       [](EStampTest& t) {
         auto& r = static_cast<T&>(t);
         const auto other = r.pki().issue(ca::Profile::kSigning, "QROO/EST/OTHER");
         return replace_once(r.single(), crypto::base64_encode(r.member().cert.der()), crypto::base64_encode(other.cert.der()));
       }, F::kWrongSigner},
      {"a certificate from another CA",
       [](EStampTest& t) {
         auto& r = static_cast<T&>(t);
         TestPki other_ca(r.clock());
         const auto kc = other_ca.issue(ca::Profile::kSigning, "QROO/EST/FGE");
         return r.signed_by(kc, &other_ca.root());
       }, F::kUntrustedCertificate},
      {"an authentication certificate", [](EStampTest& t) { auto& r = static_cast<T&>(t); return r.signed_by(r.pki().issue(ca::Profile::kAuthentication, "QROO/EST/FGE")); }, F::kUntrustedCertificate},
      {"the CA certificate itself",
       [](EStampTest& t) {
         auto& r = static_cast<T&>(t);
         KeyAndCert root{crypto::PrivateKey::from_pem(r.pki().root_key().to_pem()).value(), r.pki().root()};
         return r.signed_by(root);
       }, F::kUntrustedCertificate},
      {"a signing time in the future", [](EStampTest& t) {
         auto& r = static_cast<T&>(t);
         return sign_estamp(request_content(), *r.signer_, r.ocsp_, r.now() + std::chrono::hours(1)).value();
       }, F::kBadSignature},
      // The OCSP response.
      {"a revoked certificate",
       [](EStampTest& t) { auto& r = static_cast<T&>(t); return r.with_ocsp(r.ocsp_for(r.member().cert, answer([&](OcspAnswer& a) {
           a.cert_status = 1;
           a.reason = 1;
           a.revoked_at = r.now() - std::chrono::hours(1);
         }))); }, F::kCertificateNotGood},
      {"an unknown certificate",
       [](EStampTest& t) { auto& r = static_cast<T&>(t); return r.with_ocsp(r.ocsp_for(r.member().cert, answer([](OcspAnswer& a) { a.cert_status = 2; }))); }, F::kCertificateNotGood},
      {"an OCSP response about another certificate",
       [](EStampTest& t) {
         auto& r = static_cast<T&>(t);
         return r.with_ocsp(r.ocsp_for(r.pki().issue(ca::Profile::kSigning, "QROO/EST/OTHER").cert));
       }, F::kOcspInvalid},
      {"an OCSP response from a responder not allowed",
       [](EStampTest& t) {
         auto& r = static_cast<T&>(t);
         const auto rogue = r.pki().issue(ca::Profile::kOcspResponder, "Rogue OCSP");
         return r.with_ocsp(r.ocsp_for(r.member().cert, {}, &rogue));
       }, F::kOcspInvalid},
      {"an OCSP response with a bad signature",
       [](EStampTest& t) { auto& r = static_cast<T&>(t); return r.with_ocsp(r.ocsp_for(r.member().cert, answer([](OcspAnswer& a) { a.corrupt_signature = true; }))); }, F::kOcspInvalid},
      {"an OCSP response older than the freshness limit",
       [](EStampTest& t) { auto& r = static_cast<T&>(t); return r.with_ocsp(r.ocsp_for(r.member().cert, answer([&](OcspAnswer& a) { a.produced_at = r.now() - std::chrono::hours(2); }))); }, F::kOcspStale},
      {"an OCSP response from the future",
       [](EStampTest& t) { auto& r = static_cast<T&>(t); return r.with_ocsp(r.ocsp_for(r.member().cert, answer([&](OcspAnswer& a) { a.produced_at = r.now() + std::chrono::hours(1); }))); }, F::kOcspStale},
      // Input that is not an e-stamp.
      {"garbage", [](EStampTest&) { return std::string("\x01\x02 not xml"); }, F::kMalformed},
      {"empty input", [](EStampTest&) { return std::string(); }, F::kMalformed},
      {"truncated XML", [](EStampTest& t) { auto s = static_cast<T&>(t).single(); return s.substr(0, s.size() / 2); }, F::kMalformed},
      {"a DOCTYPE with an entity",
       [](EStampTest& t) {
         auto s = static_cast<T&>(t).single();
         s = replace_once(s, "<e:EStamp", "<!DOCTYPE e:EStamp [<!ENTITY id \"msg-1\">]><e:EStamp");
         return replace_once(s, ">msg-1<", ">&id;<");
       }, F::kMalformed},
      {"an external entity", [](EStampTest&) { return std::string("<?xml version=\"1.0\"?><!DOCTYPE a SYSTEM \"file:///etc/passwd\"><a/>"); }, F::kMalformed},
      {"oversize input", [](EStampTest& t) { auto s = static_cast<T&>(t).single(); return replace_once(s, "<e:Message", std::string(kMaxEStampBytes, ' ') + "<e:Message"); }, F::kMalformed},
      {"another root element", [](EStampTest& t) { auto s = static_cast<T&>(t).single(); return replace_once(s, "urn:xacbe:estamp:1", "urn:xacbe:estamp:2"); }, F::kMalformed},
  };
  return kRows;
}

TEST_F(EStampRefusalTest, RefusesEachTamperingWithItsFault) {
  ASSERT_TRUE(verify(single()).is_ok());
  ASSERT_TRUE(verify(batched()).is_ok());
  for (const Refusal& row : refusals()) {
    SCOPED_TRACE(row.name);
    const std::string xml = row.make(*this);
    EStampFault fault = row.fault == EStampFault::kMalformed ? EStampFault::kOcspStale : EStampFault::kMalformed;
    auto verified = verify(xml, &fault);
    ASSERT_FALSE(verified.is_ok());
    EXPECT_EQ(estamp_fault_name(fault), std::string(estamp_fault_name(row.fault))) << verified.status().to_string();
    EXPECT_EQ(verified.status().code(),
              row.fault == EStampFault::kMalformed ? Code::kInvalidArgument : Code::kPermissionDenied);
    EXPECT_LT(verified.status().message().size(), 400u);
  }
}

TEST_F(EStampRefusalTest, RefusesAnOcspResponseThatAgedPastFreshness) {
  const std::string stamp = single();
  ASSERT_TRUE(verify(stamp).is_ok());
  clock().advance(std::chrono::minutes(58));  // produced a minute before signing: 59 minutes old
  ASSERT_TRUE(verify(stamp).is_ok());
  clock().advance(std::chrono::minutes(2));
  EStampFault fault{};
  EXPECT_FALSE(verify(stamp, &fault).is_ok());
  EXPECT_EQ(fault, EStampFault::kOcspStale);
}

// A verifier remembers a signer it checked (certificate and OCSP response under one trust), but
// every use is judged again by the clock and the stamp's own signing time, with the same faults.
TEST_F(EStampTest, ARememberedSignerIsJudgedAgainByTheClockAndTheSigningTime) {
  const std::string good = sign(request_content("msg-now"));
  ASSERT_TRUE(verify(good).is_ok());
  ASSERT_TRUE(verify(good).is_ok());  // remembered now
  auto early = sign_estamp(request_content("msg-early"), *signer_, ocsp_, member_.cert.not_before() - 3600s);
  ASSERT_TRUE(early.is_ok()) << early.status().to_string();
  EStampFault fault{};
  EXPECT_FALSE(verify(*early, &fault).is_ok());
  EXPECT_EQ(fault, EStampFault::kUntrustedCertificate);
  // Another trust (another CA) does not share what was remembered.
  TestPki other(clock_);
  EStampTrust elsewhere = trust_;
  elsewhere.ca = other.root();
  EXPECT_FALSE(verify_estamp(good, elsewhere, clock_, &fault).is_ok());
  EXPECT_EQ(fault, EStampFault::kUntrustedCertificate);
  clock_.advance(2h);
  EXPECT_FALSE(verify(good, &fault).is_ok());
  EXPECT_EQ(fault, EStampFault::kOcspStale);
  clock_.advance(-2h);
  // A changed byte is caught whatever was remembered: the signature is always checked.
  std::string tampered = good;
  tampered.replace(tampered.find("msg-now"), 7, "msg-new");
  EXPECT_FALSE(verify(tampered, &fault).is_ok());
  EXPECT_EQ(fault, EStampFault::kBadSignature);
}

TEST_F(EStampTest, SignsAndVerifiesFromSeveralThreadsAtOnce) {
  std::vector<std::thread> threads;
  std::atomic<int> verified{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 5; ++i) {
        const auto content = request_content("t" + std::to_string(t) + "-" + std::to_string(i));
        auto stamp = sign_estamp(content, *signer_, ocsp_, now());
        if (!stamp) continue;
        auto result = verify_estamp(*stamp, trust_, clock_);
        if (result && result->content == content) ++verified;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(verified.load(), 20);
}

TEST_F(EStampTest, SignerMemberIsTheSubjectCommonName) {
  EXPECT_TRUE(signer_member_matches(member_.cert, "QROO/EST/FGE"));
  EXPECT_FALSE(signer_member_matches(member_.cert, "QROO/EST/FG"));
  EXPECT_FALSE(signer_member_matches(member_.cert, "QROO/EST/FGE/SIS"));
  EXPECT_FALSE(signer_member_matches(member_.cert, "qroo/est/fge"));
  EXPECT_FALSE(signer_member_matches(member_.cert, ""));
  EXPECT_FALSE(signer_member_matches(member_.cert, "Test"));  // the O, not the CN

  // Two commonNames: nobody.
  auto key = crypto::PrivateKey::generate(crypto::KeyType::kEcP256);
  ASSERT_TRUE(key.is_ok());
  auto csr = crypto::CertificateRequest::create(*key, {{"CN", "x"}});
  ASSERT_TRUE(csr.is_ok());
  auto two = pki_.ca().issue(*csr, ca::Profile::kSigning, {{"C", "MX"}, {"CN", "QROO/EST/FGE"}, {"CN", "QROO/EST/FGE"}});
  ASSERT_TRUE(two.is_ok()) << two.status().to_string();
  EXPECT_FALSE(signer_member_matches(*two, "QROO/EST/FGE"));
  // No commonName: nobody.
  auto none = pki_.ca().issue(*csr, ca::Profile::kSigning, {{"C", "MX"}, {"O", "QROO/EST/FGE"}});
  ASSERT_TRUE(none.is_ok()) << none.status().to_string();
  EXPECT_FALSE(signer_member_matches(*none, "QROO/EST/FGE"));
}

}  // namespace
}  // namespace xacbe::ss
