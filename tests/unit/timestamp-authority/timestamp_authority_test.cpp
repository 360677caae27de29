// RFC 3161 / RFC 5816 behaviour of the time-stamping authority, checked with OpenSSL's own TSP
// client API: requests are built with TS_REQ & co (raw DER for broken ones) and answers verified
// with TS_RESP_verify_response against the root, as a relying party does.

#include "timestamp_authority.hpp"

#include <gtest/gtest.h>
#include <openssl/asn1.h>
#include <openssl/objects.h>
#include <openssl/pkcs7.h>
#include <openssl/ts.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "support/temp_dir.hpp"
#include "support/test_pki.hpp"
#include "xacbe/crypto/asn1.hpp"
#include "xacbe/crypto/encoding.hpp"
#include "xacbe/store/database.hpp"

namespace xacbe::tsa {
namespace {

using crypto::Certificate;
using std::chrono::hours;
using std::chrono::microseconds;
using std::chrono::seconds;

constexpr long kGranted = TS_STATUS_GRANTED;
constexpr long kRejection = TS_STATUS_REJECTION;

// Owning handles for the TSP client types the project's RAII header does not need.
template <auto Free>
struct FreeWith {
  template <typename T>
  void operator()(T* p) const noexcept {
    Free(p);
  }
};
using TS_MSG_IMPRINTPtr = std::unique_ptr<TS_MSG_IMPRINT, FreeWith<&TS_MSG_IMPRINT_free>>;
using X509_ALGORPtr = std::unique_ptr<X509_ALGOR, FreeWith<&X509_ALGOR_free>>;
using TS_VERIFY_CTXPtr = std::unique_ptr<TS_VERIFY_CTX, FreeWith<&TS_VERIFY_CTX_free>>;
using TS_STATUS_INFOPtr = std::unique_ptr<TS_STATUS_INFO, FreeWith<&TS_STATUS_INFO_free>>;

// The imprint a request carries: a hash algorithm (OpenSSL name or dotted OID), its parameters
// (absent, NULL or, wrongly, an INTEGER) and the hashed message.
struct Imprint {
  std::string algorithm = "SHA256";
  int parameters = V_ASN1_UNDEF;  // V_ASN1_UNDEF: absent
  std::string hash = crypto::sha256("the document to stamp");
};

struct Extension {
  std::string oid;
  bool critical = false;
  std::string value = std::string("\x05\x00", 2);  // DER NULL
};

struct RequestSpec {
  long version = 1;
  Imprint imprint;
  std::optional<std::string> policy;
  std::optional<std::string> nonce_hex;
  bool cert_req = true;
  std::vector<Extension> extensions;
};

std::string der_of(TS_REQ* request) {
  unsigned char* der = nullptr;
  const int n = i2d_TS_REQ(request, &der);
  std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(n > 0 ? n : 0));
  OPENSSL_free(der);
  return out;
}

crypto::TS_REQPtr parse_request(const std::string& der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  return crypto::TS_REQPtr(d2i_TS_REQ(nullptr, &p, static_cast<long>(der.size())));
}

std::string make_request(const RequestSpec& spec) {
  crypto::TS_REQPtr request(TS_REQ_new());
  EXPECT_EQ(TS_REQ_set_version(request.get(), spec.version), 1);

  X509_ALGORPtr algorithm(X509_ALGOR_new());
  ASN1_OBJECT* oid = OBJ_txt2obj(spec.imprint.algorithm.c_str(), 0);
  EXPECT_NE(oid, nullptr) << spec.imprint.algorithm;
  void* parameters = nullptr;
  if (spec.imprint.parameters == V_ASN1_INTEGER) {
    ASN1_INTEGER* seven = ASN1_INTEGER_new();
    ASN1_INTEGER_set(seven, 7);
    parameters = seven;
  }
  X509_ALGOR_set0(algorithm.get(), oid, spec.imprint.parameters, parameters);  // takes both
  TS_MSG_IMPRINTPtr imprint(TS_MSG_IMPRINT_new());
  std::string hash = spec.imprint.hash;
  EXPECT_EQ(TS_MSG_IMPRINT_set_algo(imprint.get(), algorithm.get()), 1);
  EXPECT_EQ(TS_MSG_IMPRINT_set_msg(imprint.get(), reinterpret_cast<unsigned char*>(hash.data()),
                                   static_cast<int>(hash.size())),
            1);
  EXPECT_EQ(TS_REQ_set_msg_imprint(request.get(), imprint.get()), 1);

  if (spec.policy) {
    crypto::ASN1_OBJECTPtr policy(OBJ_txt2obj(spec.policy->c_str(), 1));
    EXPECT_EQ(TS_REQ_set_policy_id(request.get(), policy.get()), 1);
  }
  if (spec.nonce_hex) {
    auto nonce = crypto::serial_from_hex(*spec.nonce_hex);
    EXPECT_TRUE(nonce) << nonce.status().to_string();
    if (nonce) {
      EXPECT_EQ(TS_REQ_set_nonce(request.get(), nonce->get()), 1);
    }
  }
  EXPECT_EQ(TS_REQ_set_cert_req(request.get(), spec.cert_req ? 1 : 0), 1);
  for (const Extension& e : spec.extensions) {
    crypto::ASN1_OBJECTPtr ext_oid(OBJ_txt2obj(e.oid.c_str(), 1));
    crypto::ASN1_OCTET_STRINGPtr value(ASN1_OCTET_STRING_new());
    ASN1_OCTET_STRING_set(value.get(), reinterpret_cast<const unsigned char*>(e.value.data()),
                          static_cast<int>(e.value.size()));
    crypto::X509_EXTENSIONPtr ext(
        X509_EXTENSION_create_by_OBJ(nullptr, ext_oid.get(), e.critical ? 1 : 0, value.get()));
    EXPECT_EQ(TS_REQ_add_ext(request.get(), ext.get(), -1), 1);
  }
  return der_of(request.get());
}

struct Answer {
  long status = -1;
  std::set<int> failures;  // PKIFailureInfo bits set
  crypto::TS_RESPPtr response;
  TS_TST_INFO* tst_info = nullptr;  // owned by response; set when granted
  PKCS7* token = nullptr;           // owned by response; set when granted
};

// Every answer must be one DER TimeStampResp; a token iff granted, failInfo iff rejected.
Answer parse_answer(const std::string& der) {
  Answer answer;
  const auto* begin = reinterpret_cast<const unsigned char*>(der.data());
  const unsigned char* p = begin;
  answer.response.reset(d2i_TS_RESP(nullptr, &p, static_cast<long>(der.size())));
  if (!answer.response || p != begin + der.size()) {
    ADD_FAILURE() << "not a DER TimeStampResp: " << crypto::to_hex(der);
    return answer;
  }
  TS_STATUS_INFO* info = TS_RESP_get_status_info(answer.response.get());
  answer.status = ASN1_INTEGER_get(TS_STATUS_INFO_get0_status(info));
  if (const ASN1_BIT_STRING* bits = TS_STATUS_INFO_get0_failure_info(info)) {
    for (int bit = 0; bit < 8 * ASN1_STRING_length(bits); ++bit) {
      if (ASN1_BIT_STRING_get_bit(bits, bit) == 1) answer.failures.insert(bit);
    }
  }
  answer.token = TS_RESP_get_token(answer.response.get());
  answer.tst_info = TS_RESP_get_tst_info(answer.response.get());
  if (answer.status == kGranted) {
    EXPECT_NE(answer.token, nullptr) << "granted without a token";
    EXPECT_NE(answer.tst_info, nullptr);
    EXPECT_TRUE(answer.failures.empty());
  } else {
    EXPECT_EQ(answer.token, nullptr) << "a rejection carries no token (RFC 3161 2.4.2)";
    EXPECT_FALSE(answer.failures.empty()) << "a rejection says why (failInfo)";
  }
  return answer;
}

// Checks that `der` is a rejection naming exactly `failure`.
::testing::AssertionResult rejected_with(const std::string& der, int failure) {
  const Answer answer = parse_answer(der);
  if (answer.status != kRejection) {
    return ::testing::AssertionFailure() << "status " << answer.status << ", expected rejection";
  }
  if (answer.failures != std::set<int>{failure}) {
    std::string got;
    for (int bit : answer.failures) got += std::to_string(bit) + " ";
    return ::testing::AssertionFailure() << "failInfo bits { " << got << "}, expected " << failure;
  }
  return ::testing::AssertionSuccess();
}

// TS_RESP_verify_response for `request_der` (imprint, nonce, policy when asked), the signature
// chaining to `root` at `at`, the signer being the one named in the tsa field and referenced by
// the signing-certificate attribute. `untrusted` supplies the TSA certificate when the token does
// not carry it.
::testing::AssertionResult verifies(TS_RESP* response, const std::string& request_der,
                                    const Certificate& root, TimePoint at,
                                    const std::vector<Certificate>& untrusted = {}) {
  crypto::TS_REQPtr request = parse_request(request_der);
  if (!request) return ::testing::AssertionFailure() << "request does not parse";
  TS_VERIFY_CTXPtr ctx(TS_REQ_to_TS_VERIFY_CTX(request.get(), nullptr));
  TS_VERIFY_CTX_add_flags(ctx.get(), TS_VFY_SIGNATURE | TS_VFY_SIGNER);
  crypto::X509_STOREPtr store(X509_STORE_new());
  X509_STORE_add_cert(store.get(), root.get());
  X509_VERIFY_PARAM_set_time(X509_STORE_get0_param(store.get()),
                             std::chrono::system_clock::to_time_t(at));
  TS_VERIFY_CTX_set_store(ctx.get(), store.release());  // the context owns it now
  if (!untrusted.empty()) TS_VERIFY_CTX_set_certs(ctx.get(), crypto::to_stack(untrusted).release());
  if (TS_RESP_verify_response(ctx.get(), response) != 1) {
    return ::testing::AssertionFailure() << crypto::openssl_error("TS_RESP_verify_response");
  }
  return ::testing::AssertionSuccess();
}

std::string text_of(const ASN1_OBJECT* oid) {
  char buf[128];
  OBJ_obj2txt(buf, sizeof buf, oid, /*no_name=*/1);
  return buf;
}

std::string text_of(const ASN1_STRING* s) {
  return {reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
          static_cast<std::size_t>(ASN1_STRING_length(s))};
}

std::uint64_t serial_of(const Answer& answer) {
  std::uint64_t serial = 0;
  EXPECT_EQ(ASN1_INTEGER_get_uint64(&serial, TS_TST_INFO_get_serial(answer.tst_info)), 1);
  return serial;
}

// One DER element of [p, end): its universal tag number and its contents; p moves past it.
struct Element {
  int tag = -1;
  const unsigned char* body = nullptr;
  long length = 0;
};

std::optional<Element> next_element(const unsigned char*& p, const unsigned char* end) {
  if (p >= end) return std::nullopt;
  Element e;
  int xclass = 0;
  const int flags = ASN1_get_object(&p, &e.length, &e.tag, &xclass, end - p);
  if ((flags & 0x80) != 0 || xclass != V_ASN1_UNIVERSAL) return std::nullopt;
  e.body = p;
  p += e.length;
  return e;
}

// The ESSCertIDv2 list of the token's SigningCertificateV2 attribute (RFC 5816 / RFC 5035).
struct EssCertIdV2 {
  bool has_hash_algorithm = false;  // absent means the DEFAULT, SHA-256
  std::string cert_hash;
};

std::optional<std::vector<EssCertIdV2>> signing_certificate_v2(PKCS7* token) {
  STACK_OF(PKCS7_SIGNER_INFO)* signers = PKCS7_get_signer_info(token);
  if (sk_PKCS7_SIGNER_INFO_num(signers) != 1) return std::nullopt;
  ASN1_TYPE* attribute = PKCS7_get_signed_attribute(sk_PKCS7_SIGNER_INFO_value(signers, 0),
                                                    NID_id_smime_aa_signingCertificateV2);
  if (attribute == nullptr || attribute->type != V_ASN1_SEQUENCE) return std::nullopt;
  const unsigned char* p = ASN1_STRING_get0_data(attribute->value.sequence);
  const unsigned char* end = p + ASN1_STRING_length(attribute->value.sequence);
  // SigningCertificateV2 ::= SEQUENCE { certs SEQUENCE OF ESSCertIDv2, policies ... OPTIONAL }
  auto outer = next_element(p, end);
  if (!outer || outer->tag != V_ASN1_SEQUENCE) return std::nullopt;
  const unsigned char* q = outer->body;
  auto certs = next_element(q, outer->body + outer->length);
  if (!certs || certs->tag != V_ASN1_SEQUENCE) return std::nullopt;
  std::vector<EssCertIdV2> ids;
  const unsigned char* r = certs->body;
  const unsigned char* certs_end = certs->body + certs->length;
  while (r < certs_end) {
    // ESSCertIDv2 ::= SEQUENCE { hashAlgorithm DEFAULT sha256, certHash OCTET STRING, ... }
    auto id = next_element(r, certs_end);
    if (!id || id->tag != V_ASN1_SEQUENCE) return std::nullopt;
    const unsigned char* s = id->body;
    auto field = next_element(s, id->body + id->length);
    EssCertIdV2 out;
    if (field && field->tag == V_ASN1_SEQUENCE) {
      out.has_hash_algorithm = true;
      field = next_element(s, id->body + id->length);
    }
    if (!field || field->tag != V_ASN1_OCTET_STRING) return std::nullopt;
    out.cert_hash.assign(reinterpret_cast<const char*>(field->body),
                         static_cast<std::size_t>(field->length));
    ids.push_back(std::move(out));
  }
  return ids;
}

crypto::PrivateKey copy_key(const crypto::PrivateKey& key) {
  return crypto::PrivateKey::from_pem(key.to_pem()).value();
}

class FailingSerials final : public SerialSource {
 public:
  Result<std::uint64_t> next() override { return unavailable("database is locked"); }
};

class TimestampAuthorityTest : public ::testing::Test {
 protected:
  // A serial source over the fixture's database file; the file outlives every source.
  std::unique_ptr<StoredSerialSource> open_serials(std::uint64_t block_size = 8) {
    auto db = store::Database::open(dir_.file("tsa-serial.db"));
    EXPECT_TRUE(db) << db.status().to_string();
    auto source = StoredSerialSource::create(std::move(db).value(), block_size);
    EXPECT_TRUE(source) << source.status().to_string();
    return std::move(source).value();
  }

  std::unique_ptr<TimestampAuthority> make_authority(TsaSettings settings = {},
                                                     SerialSource* serials = nullptr,
                                                     std::vector<Certificate> chain = {}) {
    auto authority = TimestampAuthority::create(copy_key(tsa_.key), tsa_.cert, std::move(chain),
                                                std::move(settings), clock_,
                                                serials != nullptr ? *serials : *serials_);
    EXPECT_TRUE(authority) << authority.status().to_string();
    return authority ? std::move(authority).value() : nullptr;
  }

  // A granted answer that verifies against the root for `request_der`.
  Answer grant(const TimestampAuthority& authority, const std::string& request_der) {
    Answer answer = parse_answer(authority.respond(request_der));
    EXPECT_EQ(answer.status, kGranted);
    if (answer.status == kGranted) {
      EXPECT_TRUE(verifies(answer.response.get(), request_der, pki_.root(), clock_.now()));
    }
    return answer;
  }

  // A certificate for the TSA key signed by the root with the given extendedKeyUsage values
  // (X509V3 config syntax, one extension each), for profiles our CA never issues.
  Certificate cert_with_eku(const std::vector<std::string>& eku_values) {
    crypto::X509Ptr cert(X509_new());
    X509_set_version(cert.get(), 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 4242);
    X509_set_issuer_name(cert.get(), X509_get_subject_name(pki_.root().get()));
    X509_set_subject_name(cert.get(), X509_get_subject_name(tsa_.cert.get()));
    X509_set1_notBefore(cert.get(), crypto::to_asn1_time(clock_.now() - hours(1)).get());
    X509_set1_notAfter(cert.get(), crypto::to_asn1_time(clock_.now() + hours(24)).get());
    X509_set_pubkey(cert.get(), tsa_.key.get());
    for (const std::string& value : eku_values) {
      X509V3_CTX ctx;
      X509V3_set_ctx_nodb(&ctx);
      X509V3_set_ctx(&ctx, pki_.root().get(), cert.get(), nullptr, nullptr, 0);
      crypto::X509_EXTENSIONPtr ext(
          X509V3_EXT_conf_nid(nullptr, &ctx, NID_ext_key_usage, value.c_str()));
      EXPECT_NE(ext, nullptr) << value;
      X509_add_ext(cert.get(), ext.get(), -1);
    }
    EXPECT_GT(X509_sign(cert.get(), pki_.root_key().get(), EVP_sha256()), 0);
    return Certificate::share(cert.get());
  }

  ManualClock clock_{TimePoint(seconds(1'750'000'000))};
  xacbe::testing::TestPki pki_{clock_};
  xacbe::testing::KeyAndCert tsa_ = pki_.issue(ca::Profile::kTimestamping, "Test TSA");
  xacbe::testing::TempDir dir_;
  std::unique_ptr<StoredSerialSource> serials_ = open_serials();
};

TEST_F(TimestampAuthorityTest, GrantsATokenThatVerifiesAgainstTheRoot) {
  auto authority = make_authority();
  RequestSpec spec;
  spec.nonce_hex = "1F2E3D4C5B6A7988";
  const std::string request = make_request(spec);
  Answer answer = grant(*authority, request);
  ASSERT_NE(answer.tst_info, nullptr);
  EXPECT_EQ(TS_TST_INFO_get_version(answer.tst_info), 1);
  // messageImprint copied as sent.
  TS_MSG_IMPRINT* imprint = TS_TST_INFO_get_msg_imprint(answer.tst_info);
  EXPECT_EQ(OBJ_obj2nid(TS_MSG_IMPRINT_get_algo(imprint)->algorithm), NID_sha256);
  EXPECT_EQ(text_of(TS_MSG_IMPRINT_get_msg(imprint)), spec.imprint.hash);
  // The tsa field names the signer (RFC 3161 section 2.4.2).
  const GENERAL_NAME* tsa = TS_TST_INFO_get_tsa(answer.tst_info);
  ASSERT_NE(tsa, nullptr);
  ASSERT_EQ(tsa->type, GEN_DIRNAME);
  EXPECT_EQ(X509_NAME_cmp(tsa->d.dirn, X509_get_subject_name(tsa_.cert.get())), 0);
  EXPECT_EQ(TS_TST_INFO_get_ordering(answer.tst_info), 0);
  EXPECT_EQ(TS_TST_INFO_get_ext_count(answer.tst_info), 0);
  // One signer, our TSA, signing with the digest of its key (ECDSA P-256 with SHA-256).
  STACK_OF(PKCS7_SIGNER_INFO)* signers = PKCS7_get_signer_info(answer.token);
  ASSERT_EQ(sk_PKCS7_SIGNER_INFO_num(signers), 1);
  X509_ALGOR *digest = nullptr, *signature = nullptr;
  PKCS7_SIGNER_INFO_get0_algs(sk_PKCS7_SIGNER_INFO_value(signers, 0), nullptr, &digest, &signature);
  EXPECT_EQ(OBJ_obj2nid(digest->algorithm), NID_sha256);

  // The same token does not verify for another document or another nonce.
  RequestSpec other = spec;
  other.imprint.hash = crypto::sha256("another document");
  EXPECT_FALSE(verifies(answer.response.get(), make_request(other), pki_.root(), clock_.now()));
  other = spec;
  other.nonce_hex = "1F2E3D4C5B6A7989";
  EXPECT_FALSE(verifies(answer.response.get(), make_request(other), pki_.root(), clock_.now()));
  // Nor against another root.
  xacbe::testing::TestPki foreign(clock_);
  EXPECT_FALSE(verifies(answer.response.get(), request, foreign.root(), clock_.now()));
}

TEST_F(TimestampAuthorityTest, AcceptsEveryConfiguredDigestWithParametersAbsentOrNull) {
  auto authority = make_authority();
  for (const char* name : {"SHA256", "SHA384", "SHA512"}) {
    for (int parameters : {V_ASN1_UNDEF, V_ASN1_NULL}) {
      SCOPED_TRACE(std::string(name) + (parameters == V_ASN1_NULL ? " NULL" : " absent"));
      RequestSpec spec;
      spec.imprint = {name, parameters, crypto::digest(name, "data").value()};
      Answer answer = grant(*authority, make_request(spec));
      ASSERT_NE(answer.tst_info, nullptr);
      EXPECT_EQ(text_of(TS_MSG_IMPRINT_get_msg(TS_TST_INFO_get_msg_imprint(answer.tst_info))),
                spec.imprint.hash);
    }
  }
}

TEST_F(TimestampAuthorityTest, RejectsUnacceptedHashAlgorithmsWithBadAlg) {
  struct Row {
    const char* name;
    Imprint imprint;
  };
  const std::vector<Row> rows = {
      {"MD5", {"MD5", V_ASN1_NULL, crypto::digest("MD5", "data").value()}},
      {"SHA1 (not configured)", {"SHA1", V_ASN1_UNDEF, crypto::digest("SHA1", "data").value()}},
      {"SHA224", {"SHA224", V_ASN1_UNDEF, crypto::digest("SHA224", "data").value()}},
      {"SHA3-256", {"2.16.840.1.101.3.4.2.8", V_ASN1_UNDEF, crypto::sha256("data")}},
      {"unknown OID", {"1.2.3.4.5.6", V_ASN1_UNDEF, crypto::sha256("data")}},
      {"ecdsa-with-SHA256", {"1.2.840.10045.4.3.2", V_ASN1_UNDEF, crypto::sha256("data")}},
      {"sha256WithRSAEncryption", {"1.2.840.113549.1.1.11", V_ASN1_NULL, crypto::sha256("data")}},
      {"SHA256 with parameters", {"SHA256", V_ASN1_INTEGER, crypto::sha256("data")}},
  };
  auto authority = make_authority();
  for (const Row& row : rows) {
    SCOPED_TRACE(row.name);
    RequestSpec spec;
    spec.imprint = row.imprint;
    EXPECT_TRUE(rejected_with(authority->respond(make_request(spec)), TS_INFO_BAD_ALG));
  }
  // An algorithm refused by default is granted once configured.
  TsaSettings with_sha1;
  with_sha1.digests = {"SHA256", "SHA1"};
  RequestSpec sha1;
  sha1.imprint = rows[1].imprint;
  grant(*make_authority(with_sha1), make_request(sha1));
}

TEST_F(TimestampAuthorityTest, RejectsImprintOfWrongLengthWithBadDataFormat) {
  struct Row {
    const char* name;
    Imprint imprint;
  };
  const std::string h256 = crypto::sha256("data");
  const std::vector<Row> rows = {
      {"SHA256, empty", {"SHA256", V_ASN1_UNDEF, ""}},
      {"SHA256, 20 octets", {"SHA256", V_ASN1_UNDEF, h256.substr(0, 20)}},
      {"SHA256, 31 octets", {"SHA256", V_ASN1_NULL, h256.substr(0, 31)}},
      {"SHA256, 33 octets", {"SHA256", V_ASN1_UNDEF, h256 + "x"}},
      {"SHA512 with a SHA-256 hash", {"SHA512", V_ASN1_UNDEF, h256}},
      {"SHA384, 64 octets", {"SHA384", V_ASN1_UNDEF, h256 + h256}},
  };
  auto authority = make_authority();
  for (const Row& row : rows) {
    SCOPED_TRACE(row.name);
    RequestSpec spec;
    spec.imprint = row.imprint;
    EXPECT_TRUE(rejected_with(authority->respond(make_request(spec)), TS_INFO_BAD_DATA_FORMAT));
  }
}

TEST_F(TimestampAuthorityTest, UsesTheDefaultPolicyWhenNoneIsRequested) {
  TsaSettings settings;
  settings.other_policies = {"1.3.6.1.4.1.99999.2"};
  auto authority = make_authority(settings);
  Answer answer = grant(*authority, make_request({}));
  ASSERT_NE(answer.tst_info, nullptr);
  EXPECT_EQ(text_of(TS_TST_INFO_get_policy_id(answer.tst_info)), settings.default_policy);
}

TEST_F(TimestampAuthorityTest, HonoursARequestedPolicyItAccepts) {
  TsaSettings settings;
  settings.other_policies = {"1.3.6.1.4.1.99999.2", "1.3.6.1.4.1.99999.3"};
  auto authority = make_authority(settings);
  for (const std::string& policy :
       {settings.default_policy, settings.other_policies[0], settings.other_policies[1]}) {
    SCOPED_TRACE(policy);
    RequestSpec spec;
    spec.policy = policy;
    Answer answer = grant(*authority, make_request(spec));  // TS_VFY_POLICY checks it too
    ASSERT_NE(answer.tst_info, nullptr);
    EXPECT_EQ(text_of(TS_TST_INFO_get_policy_id(answer.tst_info)), policy);
  }
}

TEST_F(TimestampAuthorityTest, RejectsOtherPoliciesWithUnacceptedPolicy) {
  TsaSettings settings;
  settings.other_policies = {"1.3.6.1.4.1.99999.2"};
  auto authority = make_authority(settings);
  for (const char* policy : {"1.3.6.1.4.1.99999.4", "1.3.6.1.4.1.99999", "1.3.6.1.4.1.99999.2.1",
                             "2.25.338228687574603672098159078013054936676.1"}) {
    SCOPED_TRACE(policy);
    RequestSpec spec;
    spec.policy = policy;
    EXPECT_TRUE(rejected_with(authority->respond(make_request(spec)), TS_INFO_UNACCEPTED_POLICY));
  }
}

TEST_F(TimestampAuthorityTest, CopiesTheNonce) {
  auto authority = make_authority();
  for (const char* nonce : {"1", "FFFFFFFFFFFFFFFF", "0123456789ABCDEF0123456789ABCDEF01234567"}) {
    SCOPED_TRACE(nonce);
    RequestSpec spec;
    spec.nonce_hex = nonce;
    Answer answer = grant(*authority, make_request(spec));  // TS_VFY_NONCE checks it too
    ASSERT_NE(answer.tst_info, nullptr);
    const ASN1_INTEGER* copied = TS_TST_INFO_get_nonce(answer.tst_info);
    ASSERT_NE(copied, nullptr);
    EXPECT_EQ(ASN1_INTEGER_cmp(copied, crypto::serial_from_hex(nonce).value().get()), 0);
  }
}

TEST_F(TimestampAuthorityTest, OmitsTheNonceWhenNoneIsRequested) {
  auto authority = make_authority();
  Answer answer = grant(*authority, make_request({}));
  ASSERT_NE(answer.tst_info, nullptr);
  EXPECT_EQ(TS_TST_INFO_get_nonce(answer.tst_info), nullptr);
}

// RFC 3161 section 2.4.1: certReq true -> the TSA certificate in SignedData.certificates;
// missing or false -> no certificates field at all.
TEST_F(TimestampAuthorityTest, IncludesCertificatesOnlyWhenCertReqIsTrue) {
  auto authority = make_authority({}, nullptr, {pki_.root()});
  RequestSpec spec;
  spec.cert_req = true;
  Answer with = grant(*authority, make_request(spec));
  ASSERT_NE(with.token, nullptr);
  const STACK_OF(X509)* certs = with.token->d.sign->cert;
  ASSERT_EQ(sk_X509_num(certs), 2);
  EXPECT_EQ(X509_cmp(sk_X509_value(certs, 0), tsa_.cert.get()), 0);
  EXPECT_EQ(X509_cmp(sk_X509_value(certs, 1), pki_.root().get()), 0);

  spec.cert_req = false;
  const std::string request = make_request(spec);
  Answer without = parse_answer(authority->respond(request));
  ASSERT_EQ(without.status, kGranted);
  EXPECT_EQ(without.token->d.sign->cert, nullptr);
  // Without the certificate the relying party must bring it.
  EXPECT_FALSE(verifies(without.response.get(), request, pki_.root(), clock_.now()));
  EXPECT_TRUE(verifies(without.response.get(), request, pki_.root(), clock_.now(), {tsa_.cert}));
}

TEST_F(TimestampAuthorityTest, IncludesOnlyTheTsaCertificateWhenNoChainIsConfigured) {
  auto authority = make_authority();
  Answer answer = grant(*authority, make_request({}));
  ASSERT_NE(answer.token, nullptr);
  const STACK_OF(X509)* certs = answer.token->d.sign->cert;
  ASSERT_EQ(sk_X509_num(certs), 1);
  EXPECT_EQ(X509_cmp(sk_X509_value(certs, 0), tsa_.cert.get()), 0);
}

// RFC 3161 section 2.4.1: an extension the TSA does not recognise, critical or not, is refused.
TEST_F(TimestampAuthorityTest, RejectsUnknownExtensionsWithUnacceptedExtension) {
  struct Row {
    const char* name;
    std::vector<Extension> extensions;
  };
  const std::vector<Row> rows = {
      {"non-critical", {{"1.3.6.1.4.1.99999.7", false}}},
      {"critical", {{"1.3.6.1.4.1.99999.7", true}}},
      {"well-known but not for TSP", {{"2.5.29.15", false, std::string("\x03\x02\x07\x80", 4)}}},
      {"two extensions", {{"1.3.6.1.4.1.99999.7", false}, {"1.3.6.1.4.1.99999.8", true}}},
  };
  auto authority = make_authority();
  for (const Row& row : rows) {
    SCOPED_TRACE(row.name);
    RequestSpec spec;
    spec.extensions = row.extensions;
    EXPECT_TRUE(
        rejected_with(authority->respond(make_request(spec)), TS_INFO_UNACCEPTED_EXTENSION));
  }
}

TEST_F(TimestampAuthorityTest, RejectsRequestVersionsOtherThanOneWithBadRequest) {
  auto authority = make_authority();
  for (long version : {0L, 2L, 3L}) {
    SCOPED_TRACE(version);
    RequestSpec spec;
    spec.version = version;
    EXPECT_TRUE(rejected_with(authority->respond(make_request(spec)), TS_INFO_BAD_REQUEST));
  }
}

// RFC 5816: SigningCertificateV2 with one ESSCertIDv2 whose certHash is SHA-256 over the DER of
// the TSA certificate; SHA-256 is the DEFAULT, so DER omits hashAlgorithm.
TEST_F(TimestampAuthorityTest, SignsWithSigningCertificateV2OverTheTsaCertificate) {
  auto authority = make_authority();
  Answer answer = grant(*authority, make_request({}));
  ASSERT_NE(answer.token, nullptr);
  auto ids = signing_certificate_v2(answer.token);
  ASSERT_TRUE(ids.has_value()) << "no (well-formed) SigningCertificateV2 attribute";
  ASSERT_EQ(ids->size(), 1u);
  EXPECT_FALSE((*ids)[0].has_hash_algorithm);
  EXPECT_EQ(crypto::to_hex((*ids)[0].cert_hash), tsa_.cert.sha256_fingerprint());
  EXPECT_EQ((*ids)[0].cert_hash, crypto::sha256(tsa_.cert.der()));
  // No version-1 SigningCertificate (SHA-1) beside it.
  PKCS7_SIGNER_INFO* signer = sk_PKCS7_SIGNER_INFO_value(PKCS7_get_signer_info(answer.token), 0);
  EXPECT_EQ(PKCS7_get_signed_attribute(signer, NID_id_smime_aa_signingCertificate), nullptr);
}

TEST_F(TimestampAuthorityTest, NamesTheHashAlgorithmOfANonDefaultEssCertId) {
  TsaSettings settings;
  settings.ess_cert_id_digest = "SHA384";
  Answer answer = grant(*make_authority(settings), make_request({}));
  ASSERT_NE(answer.token, nullptr);
  auto ids = signing_certificate_v2(answer.token);
  ASSERT_TRUE(ids.has_value());
  ASSERT_EQ(ids->size(), 1u);
  EXPECT_TRUE((*ids)[0].has_hash_algorithm);
  EXPECT_EQ((*ids)[0].cert_hash, crypto::digest("SHA384", tsa_.cert.der()).value());
}

TEST_F(TimestampAuthorityTest, WritesTheConfiguredAccuracy) {
  struct Row {
    int seconds, millis, micros;
  };
  // -1: the field is absent (RFC 3161 section 2.4.2: a missing field counts as zero).
  auto value_of = [](const ASN1_INTEGER* i) { return i == nullptr ? -1L : ASN1_INTEGER_get(i); };
  const std::vector<Row> rows = {{1, 0, 0}, {0, 500, 0}, {0, 0, 999}, {2, 3, 4}, {86400, 999, 1}};
  for (const Row& row : rows) {
    SCOPED_TRACE(std::to_string(row.seconds) + "s " + std::to_string(row.millis) + "ms " +
                 std::to_string(row.micros) + "us");
    TsaSettings settings;
    settings.accuracy_seconds = row.seconds;
    settings.accuracy_millis = row.millis;
    settings.accuracy_micros = row.micros;
    Answer answer = grant(*make_authority(settings), make_request({}));
    ASSERT_NE(answer.tst_info, nullptr);
    const TS_ACCURACY* accuracy = TS_TST_INFO_get_accuracy(answer.tst_info);
    ASSERT_NE(accuracy, nullptr);
    EXPECT_EQ(value_of(TS_ACCURACY_get_seconds(accuracy)), row.seconds == 0 ? -1 : row.seconds);
    EXPECT_EQ(value_of(TS_ACCURACY_get_millis(accuracy)), row.millis == 0 ? -1 : row.millis);
    EXPECT_EQ(value_of(TS_ACCURACY_get_micros(accuracy)), row.micros == 0 ? -1 : row.micros);
  }
}

TEST_F(TimestampAuthorityTest, OmitsAccuracyWhenAllItsFieldsAreZero) {
  TsaSettings settings;
  settings.accuracy_seconds = 0;
  Answer answer = grant(*make_authority(settings), make_request({}));
  ASSERT_NE(answer.tst_info, nullptr);
  EXPECT_EQ(TS_TST_INFO_get_accuracy(answer.tst_info), nullptr);
}

// RFC 3161 section 2.4.2: genTime is UTC with seconds, fractions without trailing zeros, and
// no fraction at all when it is zero.
TEST_F(TimestampAuthorityTest, TakesGenTimeFromTheInjectedClock) {
  struct Row {
    microseconds fraction;
    unsigned digits;
    const char* gen_time;
  };
  const std::vector<Row> rows = {
      {microseconds(123'456), 3, "20250615160640.123Z"},
      {microseconds(123'456), 6, "20250615160640.123456Z"},
      {microseconds(123'456), 0, "20250615160640Z"},
      {microseconds(120'000), 6, "20250615160640.12Z"},
      {microseconds(999'999), 1, "20250615160640.9Z"},
      {microseconds(0), 6, "20250615160640Z"},
      {microseconds(400), 3, "20250615160640Z"},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.gen_time);
    TsaSettings settings;
    settings.clock_precision_digits = row.digits;
    auto authority = make_authority(settings);
    clock_.set(TimePoint(seconds(1'750'000'000) + hours(1) + row.fraction));
    Answer answer = grant(*authority, make_request({}));
    ASSERT_NE(answer.tst_info, nullptr);
    const ASN1_GENERALIZEDTIME* gen_time = TS_TST_INFO_get_time(answer.tst_info);
    EXPECT_EQ(ASN1_STRING_type(gen_time), V_ASN1_GENERALIZEDTIME);
    EXPECT_EQ(text_of(gen_time), row.gen_time);
  }
}

TEST_F(TimestampAuthorityTest, IssuesUniqueIncreasingSerials) {
  auto authority = make_authority();
  std::uint64_t previous = 0;
  for (int i = 0; i < 60; ++i) {
    Answer answer = parse_answer(authority->respond(make_request({})));
    ASSERT_EQ(answer.status, kGranted);
    const std::uint64_t serial = serial_of(answer);
    EXPECT_GT(serial, previous);
    previous = serial;
  }
}

TEST_F(TimestampAuthorityTest, KeepsSerialsIncreasingAcrossARecreatedAuthority) {
  std::uint64_t highest = 0;
  for (int run = 0; run < 3; ++run) {
    SCOPED_TRACE(run);
    // A restart: a new connection to the same serial file and a new authority.
    serials_.reset();
    serials_ = open_serials(run == 1 ? 3 : 8);
    auto authority = make_authority();
    for (int i = 0; i < 10; ++i) {
      Answer answer = parse_answer(authority->respond(make_request({})));
      ASSERT_EQ(answer.status, kGranted);
      const std::uint64_t serial = serial_of(answer);
      EXPECT_GT(serial, highest);
      highest = serial;
    }
  }
}

TEST_F(TimestampAuthorityTest, AnswersTimeNotAvailableWhileTheClockIsUntrusted) {
  auto authority = make_authority();
  clock_.set_trusted(false);
  EXPECT_TRUE(rejected_with(authority->respond(make_request({})), TS_INFO_TIME_NOT_AVAILABLE));
  clock_.set_trusted(true);
  grant(*authority, make_request({}));
}

TEST_F(TimestampAuthorityTest, AnswersSystemFailureOutsideTheTsaCertificateValidity) {
  const TimePoint not_before = tsa_.cert.not_before();
  const TimePoint not_after = tsa_.cert.not_after();
  struct Row {
    const char* name;
    TimePoint at;
    bool granted;
  };
  const std::vector<Row> rows = {
      {"a second before notBefore", not_before - seconds(1), false},
      {"a microsecond before notBefore", not_before - microseconds(1), false},
      {"at notBefore", not_before, true},
      {"at notAfter", not_after, true},
      {"a microsecond after notAfter", not_after + microseconds(1), false},
      {"a day after notAfter", not_after + hours(24), false},
  };
  auto authority = make_authority();
  for (const Row& row : rows) {
    SCOPED_TRACE(row.name);
    clock_.set(row.at);
    const std::string der = authority->respond(make_request({}));
    if (row.granted) {
      EXPECT_EQ(parse_answer(der).status, kGranted);
    } else {
      EXPECT_TRUE(rejected_with(der, TS_INFO_SYSTEM_FAILURE));
    }
  }
}

// RFC 5280 allows validity up to GeneralizedTime 99991231235959Z: a TSA certificate valid that
// long (past a nanosecond TimePoint's 2262) starts the authority, which grants verifiable tokens.
TEST_F(TimestampAuthorityTest, StartsAndGrantsWithACertificateValidPastTheYear2262) {
  xacbe::testing::TestPki far_pki(clock_, crypto::KeyType::kEcP256, xacbe::testing::kLastX509Second);
  for (const auto& far : xacbe::testing::far_validities()) {
    SCOPED_TRACE(far.name);
    const xacbe::testing::KeyAndCert tsa =
        far_pki.issue(ca::Profile::kTimestamping, "Far TSA", crypto::KeyType::kEcP256, far.not_after);
    ASSERT_EQ(tsa.cert.not_after(), far.not_after);
    auto authority = TimestampAuthority::create(copy_key(tsa.key), tsa.cert, {}, {}, clock_, *serials_);
    ASSERT_TRUE(authority) << authority.status().to_string();
    const std::string request = make_request({});
    const Answer answer = parse_answer((*authority)->respond(request));
    ASSERT_EQ(answer.status, kGranted);
    EXPECT_TRUE(verifies(answer.response.get(), request, far_pki.root(), clock_.now()));
    // The start of the validity still counts.
    const TimePoint now = clock_.now();
    clock_.set(TimePoint(tsa.cert.not_before()) - microseconds(1));
    EXPECT_TRUE(rejected_with((*authority)->respond(request), TS_INFO_SYSTEM_FAILURE));
    clock_.set(now);
  }
}

TEST_F(TimestampAuthorityTest, AnswersSystemFailureWhenTheSerialSourceFails) {
  FailingSerials failing;
  auto authority = make_authority({}, &failing);
  EXPECT_TRUE(rejected_with(authority->respond(make_request({})), TS_INFO_SYSTEM_FAILURE));
}

TEST_F(TimestampAuthorityTest, RejectsMalformedRequestsWithBadDataFormat) {
  RequestSpec spec;
  spec.nonce_hex = "0A0B0C0D";
  const std::string valid = make_request(spec);
  crypto::TS_RESPPtr response(TS_RESP_new());
  TS_STATUS_INFOPtr status(TS_STATUS_INFO_new());
  TS_STATUS_INFO_set_status(status.get(), TS_STATUS_GRANTED);
  TS_RESP_set_status_info(response.get(), status.get());  // copies
  std::string response_der(static_cast<std::size_t>(i2d_TS_RESP(response.get(), nullptr)), '\0');
  auto* out = reinterpret_cast<unsigned char*>(response_der.data());
  i2d_TS_RESP(response.get(), &out);
  // A valid TimeStampReq above max_request_bytes: its size, not its extension, refuses it.
  RequestSpec big;
  const std::string octets_9000 = std::string("\x04\x82\x23\x28", 4) + std::string(9000, 'x');
  big.extensions = {{"1.3.6.1.4.1.99999.7", false, octets_9000}};
  const std::string oversize_valid = make_request(big);
  ASSERT_TRUE(parse_request(oversize_valid));

  struct Row {
    const char* name;
    std::string der;
  };
  const std::vector<Row> rows = {
      {"empty", ""},
      {"one zero byte", std::string(1, '\0')},
      {"garbage", "this is not DER at all"},
      {"header only", valid.substr(0, 2)},
      {"truncated by one byte", valid.substr(0, valid.size() - 1)},
      {"half", valid.substr(0, valid.size() / 2)},
      {"trailing byte", valid + std::string(1, '\0')},
      {"two requests", valid + valid},
      {"a TimeStampResp", response_der},
      {"an empty SEQUENCE", std::string("\x30\x00", 2)},
      {"length beyond the input", std::string("\x30\x84\x7f\xff\xff\xff\x02\x01\x01", 9)},
      {"oversize garbage", std::string(8 * 1024 + 1, '\x30')},
      {"oversize valid request", oversize_valid},
  };
  auto authority = make_authority();
  for (const Row& row : rows) {
    SCOPED_TRACE(row.name);
    EXPECT_TRUE(rejected_with(authority->respond(row.der), TS_INFO_BAD_DATA_FORMAT));
  }
  grant(*authority, valid);  // and the authority still works
}

TEST_F(TimestampAuthorityTest, EnforcesMaxRequestBytesExactly) {
  const std::string request = make_request({});
  TsaSettings settings;
  settings.max_request_bytes = request.size();
  grant(*make_authority(settings), request);
  settings.max_request_bytes = request.size() - 1;
  EXPECT_TRUE(rejected_with(make_authority(settings)->respond(request), TS_INFO_BAD_DATA_FORMAT));
}

TEST_F(TimestampAuthorityTest, RespondsConcurrentlyWithDistinctSerials) {
  auto authority = make_authority();
  constexpr int kThreads = 6;
  constexpr int kRequestsEach = 12;
  std::vector<std::string> requests;
  for (int i = 0; i < kThreads * kRequestsEach; ++i) {
    RequestSpec spec;
    spec.imprint.hash = crypto::sha256("document " + std::to_string(i));
    spec.nonce_hex = crypto::to_hex(crypto::random_bytes(16));
    spec.cert_req = i % 2 == 0;
    requests.push_back(make_request(spec));
  }
  std::vector<std::string> answers(requests.size());
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = t * kRequestsEach; i < (t + 1) * kRequestsEach; ++i) {
        answers[i] = authority->respond(requests[i]);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  std::set<std::uint64_t> serials;
  for (std::size_t i = 0; i < requests.size(); ++i) {
    SCOPED_TRACE(i);
    Answer answer = parse_answer(answers[i]);
    ASSERT_EQ(answer.status, kGranted);
    // Each answer belongs to its own request (imprint and nonce): no state leaked between threads.
    EXPECT_TRUE(
        verifies(answer.response.get(), requests[i], pki_.root(), clock_.now(), {tsa_.cert}));
    serials.insert(serial_of(answer));
  }
  EXPECT_EQ(serials.size(), requests.size());
}

// A bounded, deterministic stand-in for the libFuzzer target (tests/fuzz/tsa_request_fuzz.cpp).
TEST_F(TimestampAuthorityTest, SurvivesRandomAndMutatedRequests) {
  TsaSettings settings;
  settings.other_policies = {"1.3.6.1.4.1.99999.2"};
  auto authority = make_authority(settings);
  RequestSpec full;
  full.policy = "1.3.6.1.4.1.99999.2";
  full.nonce_hex = "00112233445566778899";
  RequestSpec sha512;
  sha512.imprint = {"SHA512", V_ASN1_NULL, crypto::digest("SHA512", "data").value()};
  sha512.cert_req = false;
  const std::vector<std::string> seeds = {make_request({}), make_request(full),
                                          make_request(sha512)};
  std::mt19937 rng(20240611);
  auto pick = [&](std::size_t n) {
    return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng);
  };
  int granted = 0;
  for (int i = 0; i < 2000; ++i) {
    std::string input = seeds[pick(seeds.size())];
    switch (pick(5)) {
      case 0:
        for (std::size_t k = 0, n = 1 + pick(4); k < n; ++k) {
          input[pick(input.size())] ^= static_cast<char>(1 << pick(8));
        }
        break;
      case 1: input.resize(pick(input.size())); break;
      case 2:
        input.insert(pick(input.size()), std::string(1 + pick(8), static_cast<char>(pick(256))));
        break;
      case 3: input[pick(input.size())] = static_cast<char>(pick(256)); break;
      default:
        input.resize(pick(300));
        for (char& c : input) c = static_cast<char>(pick(256));
    }
    const Answer answer = parse_answer(authority->respond(input));
    ASSERT_NE(answer.response, nullptr) << "input " << crypto::to_hex(input);
    if (answer.status == kGranted) {
      ++granted;
      EXPECT_TRUE(verifies(answer.response.get(), input, pki_.root(), clock_.now(), {tsa_.cert}))
          << "input " << crypto::to_hex(input);
    } else {
      ASSERT_EQ(answer.status, kRejection) << "input " << crypto::to_hex(input);
    }
  }
  // Flips inside a hash or a nonce leave a valid request, so some must be granted.
  EXPECT_GT(granted, 0);
}

TEST_F(TimestampAuthorityTest, RefusesUnfitTsaCertificatesAndKeys) {
  auto member = pki_.issue(ca::Profile::kSigning, "Member");
  auto ocsp = pki_.issue(ca::Profile::kOcspResponder, "OCSP");
  auto server = pki_.issue(ca::Profile::kAuthentication, "Server");
  auto other_key = crypto::PrivateKey::generate(crypto::KeyType::kEcP256).value();
  const Certificate not_critical = cert_with_eku({"timeStamping"});
  const Certificate two_purposes = cert_with_eku({"critical,timeStamping,codeSigning"});
  const Certificate two_extensions =
      cert_with_eku({"critical,timeStamping", "critical,timeStamping"});
  const Certificate fit = cert_with_eku({"critical,timeStamping"});
  struct Row {
    const char* name;
    const Certificate& cert;
    const crypto::PrivateKey& key;
    Code expected;
  };
  const std::vector<Row> rows = {
      {"no extendedKeyUsage", member.cert, member.key, Code::kPermissionDenied},
      {"OCSPSigning", ocsp.cert, ocsp.key, Code::kPermissionDenied},
      {"serverAuth and clientAuth", server.cert, server.key, Code::kPermissionDenied},
      {"timeStamping not critical", not_critical, tsa_.key, Code::kPermissionDenied},
      {"timeStamping with another purpose", two_purposes, tsa_.key, Code::kPermissionDenied},
      {"two extendedKeyUsage extensions", two_extensions, tsa_.key, Code::kPermissionDenied},
      {"key does not match", tsa_.cert, other_key, Code::kInvalidArgument},
      {"the OCSP responder's key", tsa_.cert, ocsp.key, Code::kInvalidArgument},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.name);
    auto authority =
        TimestampAuthority::create(copy_key(row.key), row.cert, {}, {}, clock_, *serials_);
    ASSERT_FALSE(authority);
    EXPECT_EQ(authority.status().code(), row.expected) << authority.status().to_string();
  }
  // The hand-made certificate is refused above for its EKU alone.
  auto authority = TimestampAuthority::create(copy_key(tsa_.key), fit, {}, {}, clock_, *serials_);
  ASSERT_TRUE(authority) << authority.status().to_string();
  grant(**authority, make_request({}));
}

TEST_F(TimestampAuthorityTest, RefusesInvalidSettings) {
  struct Row {
    const char* name;
    void (*change)(TsaSettings&);
  };
  const std::vector<Row> rows = {
      {"negative seconds", [](TsaSettings& s) { s.accuracy_seconds = -1; }},
      {"millis 1000", [](TsaSettings& s) { s.accuracy_millis = 1000; }},
      {"negative millis", [](TsaSettings& s) { s.accuracy_millis = -1; }},
      {"micros 1000", [](TsaSettings& s) { s.accuracy_micros = 1000; }},
      {"7 precision digits", [](TsaSettings& s) { s.clock_precision_digits = 7; }},
      {"max_request_bytes 0", [](TsaSettings& s) { s.max_request_bytes = 0; }},
      {"no digest", [](TsaSettings& s) { s.digests.clear(); }},
      {"unknown digest", [](TsaSettings& s) { s.digests.push_back("NO-SUCH-HASH"); }},
      {"default policy not an OID", [](TsaSettings& s) { s.default_policy = "policy one"; }},
      {"other policy not an OID", [](TsaSettings& s) { s.other_policies = {"1.2.x"}; }},
      {"unknown ESSCertIDv2 digest", [](TsaSettings& s) { s.ess_cert_id_digest = "NO-SUCH-HASH"; }},
      // OpenSSL would fall back to a version-1 SigningCertificate, not the RFC 5816 attribute.
      {"SHA-1 ESSCertIDv2 digest", [](TsaSettings& s) { s.ess_cert_id_digest = "SHA1"; }},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.name);
    TsaSettings settings;
    row.change(settings);
    auto authority = TimestampAuthority::create(copy_key(tsa_.key), tsa_.cert, {}, settings,
                                                clock_, *serials_);
    ASSERT_FALSE(authority);
    EXPECT_EQ(authority.status().code(), Code::kInvalidArgument) << authority.status().to_string();
  }
}

}  // namespace
}  // namespace xacbe::tsa
