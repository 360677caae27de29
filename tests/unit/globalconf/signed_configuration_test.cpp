#include "xacbe/globalconf/signed_configuration.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <optional>
#include <stdexcept>

#include "support/process.hpp"
#include "support/test_pki.hpp"
#include "xacbe/crypto/cms.hpp"
#include "xacbe/crypto/csr.hpp"
#include "xacbe/crypto/encoding.hpp"
#include "xacbe/file.hpp"

namespace xacbe::globalconf {
namespace {

using std::chrono::hours;
using std::chrono::seconds;
using xacbe::testing::KeyAndCert;
using xacbe::testing::TestPki;

template <typename T>
T must(Result<T> r) {
  if (!r) throw std::runtime_error(r.status().to_string());
  return std::move(r).value();
}

constexpr std::int64_t kNow = 1'800'000'000;  // 2027-01-15T08:00:00Z

class SignedConfigurationTest : public ::testing::Test {
 protected:
  ConfigurationContent content(const std::string& instance = "QROO", std::uint64_t version = 5) {
    const std::chrono::sys_seconds now{seconds(kNow)};
    return ConfigurationContent{
        .instance = instance,
        .version = version,
        .created_at = now - hours(1),
        .expires_at = now + hours(24),
        .members = {{must(id::MemberId::parse(instance + "/FED/PGJ")), "Fiscalía General del Estado"}},
        .subsystems = {},
        .security_servers = {{must(id::SecurityServerId::parse(instance + "/FED/PGJ/SS1")),
                              "ss1.pgj.example:5500",
                              {must(id::ClientId::parse(instance + "/FED/PGJ"))},
                              {std::string(64, 'a')}}},
        .ca = {pki_.root(), {"http://ocsp.ceiqroo.example/"}, {ocsp_.cert}},
        .tsa = {"http://tsa.ceiqroo.example/", tsa_.cert},
        .global_groups = {},
        .settings = {},
    };
  }
  std::string document(ConfigurationContent c) { return must(GlobalConfiguration::create(std::move(c))).to_json(); }
  // The signed form of any bytes, signed by any key.
  static std::string sign_bytes(const std::string& bytes, const KeyAndCert& signer) {
    return SignedConfiguration{bytes, must(crypto::cms_sign_detached(signer.key, signer.cert, bytes))}.to_json();
  }
  std::string good() {
    return must(sign_configuration(must(GlobalConfiguration::create(content())), signer_.key, signer_.cert));
  }
  ConfigurationAnchor anchor(std::vector<crypto::Certificate> signing) {
    return must(ConfigurationAnchor::create("QROO", "http://registry.ceiqroo.example/globalconf", pki_.root(),
                                            std::move(signing)));
  }

  ManualClock clock_{TimePoint(seconds(kNow))};
  TestPki pki_{clock_};
  KeyAndCert signer_ = pki_.issue(ca::Profile::kSigning, "CEIQROO configuration signing");
  KeyAndCert ocsp_ = pki_.issue(ca::Profile::kOcspResponder, "CEIQROO OCSP");
  KeyAndCert tsa_ = pki_.issue(ca::Profile::kTimestamping, "CEIQROO TSA");
  ConfigurationAnchor anchor_ = anchor({signer_.cert});
};

TEST_F(SignedConfigurationTest, VerifiesAndYieldsTheSignedDocument) {
  const std::string signed_bytes = good();
  auto envelope = SignedConfiguration::parse(signed_bytes);
  ASSERT_TRUE(envelope.is_ok()) << envelope.status().to_string();
  EXPECT_EQ(envelope->content, document(content()));
  EXPECT_EQ(signed_bytes.rfind(R"({"content":")", 0), 0u);

  ConfigurationFault fault = ConfigurationFault::kExpired;
  auto conf = verify(signed_bytes, anchor_, clock_, 0, &fault);
  ASSERT_TRUE(conf.is_ok()) << conf.status().to_string();
  EXPECT_EQ(fault, ConfigurationFault::kNone);
  EXPECT_EQ(conf->to_json(), envelope->content);
  EXPECT_EQ(conf->version(), 5u);
}

TEST_F(SignedConfigurationTest, AcceptsTheBoundaries) {
  const std::string signed_bytes = good();
  EXPECT_TRUE(verify(signed_bytes, anchor_, clock_, 5, nullptr).is_ok()) << "min_version equal to the version";
  ManualClock last_second(TimePoint(seconds(kNow + 24 * 3600 - 1)));
  EXPECT_TRUE(verify(signed_bytes, anchor_, last_second, 0).is_ok()) << "one second before expires_at";
  auto future = content();
  future.created_at = std::chrono::sys_seconds(seconds(kNow)) + kMaxClockSkew;
  EXPECT_TRUE(verify(sign_bytes(document(future), signer_), anchor_, clock_, 0).is_ok())
      << "created_at within the skew";
}

// Document times reach the year 9999, past what a nanosecond TimePoint holds (2262): the rules
// compare them in seconds (found by the signed_configuration fuzz target).
TEST_F(SignedConfigurationTest, ComparesTimesPastTheNanosecondRangeInSeconds) {
  const auto year_9999 = std::chrono::sys_days(std::chrono::year(9999) / 12 / 31);
  auto far_expiry = content();
  far_expiry.expires_at = year_9999;
  EXPECT_TRUE(verify(sign_bytes(document(far_expiry), signer_), anchor_, clock_, 0).is_ok());
  auto far_creation = content();
  far_creation.created_at = std::chrono::sys_days(std::chrono::year(3000) / 1 / 1);
  far_creation.expires_at = year_9999;
  ConfigurationFault fault = ConfigurationFault::kNone;
  EXPECT_FALSE(verify(sign_bytes(document(far_creation), signer_), anchor_, clock_, 0, &fault).is_ok());
  EXPECT_EQ(fault, ConfigurationFault::kNotYetValid);
}

TEST_F(SignedConfigurationTest, AcceptsEverySigningCertificateOfTheAnchorDuringAKeyChange) {
  auto next = pki_.issue(ca::Profile::kSigning, "CEIQROO configuration signing 2");
  const auto both = anchor({signer_.cert, next.cert});
  EXPECT_TRUE(verify(sign_bytes(document(content()), next), both, clock_, 0).is_ok());
  EXPECT_TRUE(verify(good(), both, clock_, 0).is_ok());
}

// One row per reason to refuse, each with its fault and Status code.
TEST_F(SignedConfigurationTest, RefusesEveryKindOfBadConfiguration) {
  const std::string signed_bytes = good();
  const std::string doc = document(content());
  const auto envelope = must(SignedConfiguration::parse(signed_bytes));
  auto with_content = [&](std::string c) { return SignedConfiguration{std::move(c), envelope.signature}.to_json(); };
  auto with_signature = [&](std::string s) { return SignedConfiguration{envelope.content, std::move(s)}.to_json(); };
  auto replace = [](std::string s, const std::string& from, const std::string& to) {
    s.replace(s.find(from), from.size(), to);
    return s;
  };
  auto same_key_other_cert = [&] {
    auto csr = must(crypto::CertificateRequest::create(signer_.key, {{"CN", "CEIQROO configuration signing"}}));
    auto cert = must(pki_.ca().issue(csr, ca::Profile::kSigning, {{"CN", "CEIQROO configuration signing"}}));
    return KeyAndCert{must(crypto::PrivateKey::from_pem(signer_.key.to_pem())), cert};
  };
  TestPki other_ca(clock_);
  auto long_lived = content();
  long_lived.expires_at = std::chrono::sys_seconds(seconds(kNow)) + hours(24 * 3000);
  auto future = content();
  future.created_at = std::chrono::sys_seconds(seconds(kNow)) + kMaxClockSkew + seconds(1);

  struct Row {
    const char* name;
    std::function<std::string()> make;
    ConfigurationFault fault;
    Code code;
    std::int64_t at = kNow;
    std::uint64_t min_version = 0;
    std::optional<ConfigurationAnchor> anchor = std::nullopt;
  };
  using F = ConfigurationFault;
  const std::vector<Row> rows = {
      {"tampered content byte", [&] { return with_content(replace(doc, "Fiscalía", "Fiscalíe")); }, F::kTampered,
       Code::kCorrupt},
      {"content with a byte appended", [&] { return with_content(doc + " "); }, F::kTampered, Code::kCorrupt},
      {"another version under the old signature",
       [&] { return with_content(replace(doc, R"("version":5)", R"("version":6)")); }, F::kTampered, Code::kCorrupt},
      {"signature by another key of the same CA",
       [&] { return sign_bytes(doc, pki_.issue(ca::Profile::kSigning, "CEIQROO configuration signing")); },
       F::kUntrustedSigner, Code::kPermissionDenied},
      {"same key, certificate not in the anchor", [&] { return sign_bytes(doc, same_key_other_cert()); },
       F::kUntrustedSigner, Code::kPermissionDenied},
      {"signer from another CA",
       [&] { return sign_bytes(doc, other_ca.issue(ca::Profile::kSigning, "CEIQROO configuration signing")); },
       F::kUntrustedSigner, Code::kPermissionDenied},
      {"signer not in this anchor", [&] { return signed_bytes; }, F::kUntrustedSigner, Code::kPermissionDenied, kNow, 0,
       anchor({pki_.issue(ca::Profile::kSigning, "CEIQROO configuration signing 2").cert})},
      {"signing certificate expired", [&] { return sign_bytes(document(long_lived), signer_); }, F::kUntrustedSigner,
       Code::kPermissionDenied, kNow + 24 * 3600 * 800},
      {"wrong instance", [&] { return sign_bytes(document(content("QROO-TEST")), signer_); }, F::kWrongInstance,
       Code::kPermissionDenied},
      {"expired at the second", [&] { return signed_bytes; }, F::kExpired, Code::kFailedPrecondition, kNow + 24 * 3600},
      {"expired long ago", [&] { return signed_bytes; }, F::kExpired, Code::kFailedPrecondition, kNow + 30 * 24 * 3600},
      {"created in the future", [&] { return sign_bytes(document(future), signer_); }, F::kNotYetValid,
       Code::kFailedPrecondition},
      {"rollback to an older version", [&] { return signed_bytes; }, F::kRollback, Code::kFailedPrecondition, kNow, 6},
      {"not JSON", [] { return std::string("{\"content\":"); }, F::kMalformed, Code::kInvalidArgument},
      {"JSON array", [] { return std::string("[]"); }, F::kMalformed, Code::kInvalidArgument},
      {"no signature", [&] { return R"({"content":")" + crypto::base64_encode(doc) + R"("})"; }, F::kMalformed,
       Code::kInvalidArgument},
      {"unknown key", [&] { return replace(signed_bytes, "{", R"({"note":"x",)"); }, F::kMalformed,
       Code::kInvalidArgument},
      {"repeated key", [&] { return replace(signed_bytes, "{", R"({"signature":"AAAA",)"); }, F::kMalformed,
       Code::kInvalidArgument},
      {"signature not a string", [&] { return R"({"content":"AAAA","signature":5})"; }, F::kMalformed,
       Code::kInvalidArgument},
      {"content not base64", [&] { return replace(signed_bytes, R"({"content":"e)", R"({"content":"*)"); },
       F::kMalformed, Code::kInvalidArgument},
      {"signature with a line break",
       [&] { return replace(signed_bytes, R"("signature":"MI)", R"("signature":"M\nI)"); }, F::kMalformed,
       Code::kInvalidArgument},
      {"empty content", [&] { return with_content(""); }, F::kMalformed, Code::kInvalidArgument},
      {"signature not CMS", [&] { return with_signature("not a CMS structure"); }, F::kMalformed,
       Code::kInvalidArgument},
      {"truncated CMS", [&] { return with_signature(envelope.signature.substr(0, envelope.signature.size() - 10)); },
       F::kMalformed, Code::kInvalidArgument},
      {"CMS with trailing bytes", [&] { return with_signature(envelope.signature + "x"); }, F::kMalformed,
       Code::kInvalidArgument},
      {"bad identifier in the signed document",
       [&] { return sign_bytes(replace(doc, R"("id":"QROO/FED/PGJ")", R"("id":"QROO/fed/PGJ")"), signer_); },
       F::kMalformed, Code::kInvalidArgument},
      {"signed text that is no document", [&] { return sign_bytes("hello", signer_); }, F::kMalformed,
       Code::kInvalidArgument},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    const std::string bytes = row.make();
    ManualClock clock(TimePoint(seconds(row.at)));
    ConfigurationFault fault = ConfigurationFault::kNone;
    auto r = verify(bytes, row.anchor ? *row.anchor : anchor_, clock, row.min_version, &fault);
    ASSERT_FALSE(r.is_ok());
    EXPECT_EQ(fault_name(fault), std::string(fault_name(row.fault))) << r.status().to_string();
    EXPECT_EQ(r.status().code(), row.code) << r.status().to_string();
    EXPECT_NE(r.status().message().find(fault_name(row.fault)), std::string::npos) << r.status().to_string();
  }
}

TEST_F(SignedConfigurationTest, NamesTheOffendingValueOfABadSignedDocument) {
  const std::string doc = document(content());
  const std::string bad = doc.substr(0, doc.find(R"("id":"QROO/FED/PGJ")")) + R"("id":"QROO/fed/PGJ")" +
                          doc.substr(doc.find(R"("id":"QROO/FED/PGJ")") + 19);
  auto r = verify(sign_bytes(bad, signer_), anchor_, clock_, 0);
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("members[0].id: invalid member class 'fed'"), std::string::npos)
      << r.status().message();
}

// Interop: anyone with the CEIQROO root can check the registry's signature with stock OpenSSL.
TEST_F(SignedConfigurationTest, StockOpensslVerifiesTheSignature) {
  const auto envelope = must(SignedConfiguration::parse(good()));
  const std::string sig = pki_.dir().file("globalconf.p7s"), doc = pki_.dir().file("globalconf.json"),
                    root = pki_.dir().file("root.pem");
  ASSERT_TRUE(write_file_atomic(sig, envelope.signature).is_ok());
  ASSERT_TRUE(write_file_atomic(doc, envelope.content).is_ok());
  ASSERT_TRUE(write_file_atomic(root, pki_.root().pem()).is_ok());
  const std::vector<std::string> argv = {
      "openssl",  "cms",      "-verify", "-binary", "-inform",  "DER", "-in",     sig,
      "-content", doc,        "-CAfile", root,      "-purpose", "any", "-attime", std::to_string(kNow),
      "-out",     "/dev/null"};
  auto r = xacbe::testing::run_command(argv);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("Verification successful"), std::string::npos) << r.output;

  // And it refuses a changed document, like verify() does.
  ASSERT_TRUE(write_file_atomic(doc, envelope.content + " ").is_ok());
  r = xacbe::testing::run_command(argv);
  EXPECT_NE(r.exit_code, 0) << r.output;
}

TEST_F(SignedConfigurationTest, AnchorRoundTripsThroughJson) {
  auto next = pki_.issue(ca::Profile::kSigning, "CEIQROO configuration signing 2");
  const auto original = anchor({signer_.cert, next.cert});
  const std::string bytes = original.to_json();
  EXPECT_EQ(bytes.rfind(R"({"ca_certificate":"-----BEGIN CERTIFICATE-----\n)", 0), 0u);
  EXPECT_NE(
      bytes.find(R"("download_url":"http://registry.ceiqroo.example/globalconf","format_version":1,"instance":"QROO",)"
                 R"("signing_certificates":[")"),
      std::string::npos);
  auto parsed = ConfigurationAnchor::from_json(bytes);
  ASSERT_TRUE(parsed.is_ok()) << parsed.status().to_string();
  EXPECT_EQ(parsed->to_json(), bytes);
  EXPECT_EQ(parsed->instance(), "QROO");
  ASSERT_EQ(parsed->signing_certificates().size(), 2u);
  EXPECT_EQ(parsed->signing_certificates()[1].der(), next.cert.der());

  const std::string path = pki_.dir().file("anchor.json");
  ASSERT_TRUE(write_file_atomic(path, bytes).is_ok());
  auto loaded = ConfigurationAnchor::load(path);
  ASSERT_TRUE(loaded.is_ok()) << loaded.status().to_string();
  EXPECT_EQ(loaded->to_json(), bytes);
}

TEST_F(SignedConfigurationTest, AnchorRefusesWhatItCannotTrust) {
  TestPki other_ca(clock_);
  auto foreign = other_ca.issue(ca::Profile::kSigning, "CEIQROO configuration signing");
  struct Row {
    const char* name;
    std::function<Result<ConfigurationAnchor>()> make;
    const char* path;
  };
  const std::string url = "http://registry.ceiqroo.example/globalconf";
  const std::vector<Row> rows = {
      {"unknown instance", [&] { return ConfigurationAnchor::create("QROO-DEV", url, pki_.root(), {signer_.cert}); },
       "instance:"},
      {"URL not http", [&] { return ConfigurationAnchor::create("QROO", "ftp://x/", pki_.root(), {signer_.cert}); },
       "download_url:"},
      {"URL with a space",
       [&] { return ConfigurationAnchor::create("QROO", "http://a b/", pki_.root(), {signer_.cert}); },
       "download_url:"},
      {"CA that is no CA", [&] { return ConfigurationAnchor::create("QROO", url, tsa_.cert, {signer_.cert}); },
       "ca_certificate:"},
      {"no signing certificate", [&] { return ConfigurationAnchor::create("QROO", url, pki_.root(), {}); },
       "signing_certificates:"},
      {"signing certificate twice",
       [&] {
         return ConfigurationAnchor::create("QROO", url, pki_.root(), {signer_.cert, signer_.cert});
       },
       "signing_certificates[1]:"},
      {"signing certificate of another CA",
       [&] { return ConfigurationAnchor::create("QROO", url, pki_.root(), {foreign.cert}); },
       "signing_certificates[0]:"},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    auto r = row.make();
    ASSERT_FALSE(r.is_ok());
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
    EXPECT_NE(r.status().message().find(std::string("configuration anchor: ") + row.path), std::string::npos)
        << r.status().message();
  }
}

TEST_F(SignedConfigurationTest, AnchorFromJsonIsStrict) {
  const std::string good = anchor_.to_json();
  struct Row {
    const char* name;
    std::string from, to;
    const char* path;
  };
  const std::vector<Row> rows = {
      {"not JSON", "", "{", "document: not valid JSON"},
      {"not an object", "", "\"QROO\"", "document: must be a JSON object"},
      {"unknown key", R"({"ca_certificate")", R"({"comment":"x","ca_certificate")", "comment: unknown key"},
      {"repeated key", R"({"ca_certificate")", R"({"instance":"QROO","ca_certificate")",
       "document: repeated key 'instance'"},
      {"missing key", R"("format_version":1,)", "", "format_version: is required"},
      {"format version 2", R"("format_version":1)", R"("format_version":2)", "format_version: must be 1"},
      {"instance not a string", R"("instance":"QROO")", R"("instance":["QROO"])", "instance: must be a string"},
      {"signing certificate not a string", R"("signing_certificates":[)", R"("signing_certificates":[5,)",
       "signing_certificates[0]: must be a string"},
      {"CRLF certificate", "-----BEGIN CERTIFICATE-----\\n", "-----BEGIN CERTIFICATE-----\\r\\n",
       "ca_certificate: is not a canonical PEM"},
      {"broken certificate", "-----BEGIN CERTIFICATE-----\\nMII", "-----BEGIN CERTIFICATE-----\\nXII",
       "ca_certificate:"},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    std::string text = row.to;
    if (!row.from.empty()) {
      text = good;
      const auto at = text.find(row.from);
      ASSERT_NE(at, std::string::npos) << row.from;
      text.replace(at, row.from.size(), row.to);
    }
    auto r = ConfigurationAnchor::from_json(text);
    ASSERT_FALSE(r.is_ok());
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
    EXPECT_NE(r.status().message().find(std::string("configuration anchor: ") + row.path), std::string::npos)
        << r.status().message();
  }
}

}  // namespace
}  // namespace xacbe::globalconf
