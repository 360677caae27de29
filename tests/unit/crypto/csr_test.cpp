#include "xacbe/crypto/csr.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include <ostream>
#include <string>

namespace xacbe::crypto {
namespace {

const DistinguishedName kSubject = {{"C", "MX"}, {"O", "PGJ"}, {"CN", "SS1"}};

PrivateKey generate(KeyType type) {
  auto key = PrivateKey::generate(type);
  EXPECT_TRUE(key) << key.status().to_string();
  return std::move(key).value();
}

// A CSR that CertificateRequest::create would never make: signed with a key the policy refuses.
std::string csr_der_with_raw_key(EVP_PKEY* key) {
  X509_REQPtr req(X509_REQ_new());
  auto name = make_name({{"CN", "weak"}});
  EXPECT_TRUE(name);
  EXPECT_EQ(X509_REQ_set_subject_name(req.get(), name->get()), 1);
  EXPECT_EQ(X509_REQ_set_pubkey(req.get(), key), 1);
  EXPECT_GT(X509_REQ_sign(req.get(), key, EVP_sha256()), 0);
  unsigned char* der = nullptr;
  const int n = i2d_X509_REQ(req.get(), &der);
  std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(n));
  OPENSSL_free(der);
  return out;
}

class CsrKeyTypeTest : public ::testing::TestWithParam<KeyType> {};

TEST_P(CsrKeyTypeTest, CreatedRequestVerifiesAndCarriesSubjectAndKey) {
  const PrivateKey key = generate(GetParam());
  auto csr = CertificateRequest::create(key, kSubject);
  ASSERT_TRUE(csr) << csr.status().to_string();
  const Status st = csr->verify();
  EXPECT_TRUE(st.is_ok()) << st.to_string();
  EXPECT_EQ(csr->subject(), "CN=SS1,O=PGJ,C=MX");
  EVP_PKEYPtr public_key = csr->public_key();
  ASSERT_NE(public_key, nullptr);
  EXPECT_EQ(EVP_PKEY_eq(public_key.get(), key.get()), 1);
}

INSTANTIATE_TEST_SUITE_P(KeyTypes, CsrKeyTypeTest,
                         ::testing::Values(KeyType::kRsa2048, KeyType::kEcP256, KeyType::kEcP384));

class CsrTest : public ::testing::Test {
 protected:
  PrivateKey key_ = generate(KeyType::kEcP256);
  CertificateRequest csr_ = CertificateRequest::create(key_, kSubject).value();
};

TEST_F(CsrTest, ParsesPemAndDer) {
  const std::string pem = csr_.pem();
  EXPECT_NE(pem.find("-----BEGIN CERTIFICATE REQUEST-----"), std::string::npos);
  auto from_pem = CertificateRequest::parse(pem);
  ASSERT_TRUE(from_pem) << from_pem.status().to_string();
  EXPECT_EQ(from_pem->der(), csr_.der());
  auto from_der = CertificateRequest::parse(csr_.der());
  ASSERT_TRUE(from_der) << from_der.status().to_string();
  EXPECT_EQ(from_der->der(), csr_.der());
  EXPECT_TRUE(from_der->verify().is_ok());
  auto direct = CertificateRequest::from_der(csr_.der());
  ASSERT_TRUE(direct);
  EXPECT_EQ(direct->subject(), csr_.subject());
}

TEST_F(CsrTest, RefusesTamperedSignature) {
  std::string der = csr_.der();
  der[der.size() - 1] ^= 0x01;  // last byte of the signature value
  auto tampered = CertificateRequest::from_der(der);
  ASSERT_TRUE(tampered) << tampered.status().to_string();
  const Status st = tampered->verify();
  ASSERT_FALSE(st.is_ok());
  EXPECT_EQ(st.code(), Code::kPermissionDenied);
}

TEST_F(CsrTest, RefusesTamperedSubject) {
  std::string der = csr_.der();
  const std::size_t at = der.find("SS1");
  ASSERT_NE(at, std::string::npos);
  der[at + 2] = '2';  // "SS2": the signed content no longer matches its signature
  auto tampered = CertificateRequest::from_der(der);
  ASSERT_TRUE(tampered) << tampered.status().to_string();
  EXPECT_EQ(tampered->subject(), "CN=SS2,O=PGJ,C=MX");
  EXPECT_EQ(tampered->verify().code(), Code::kPermissionDenied);
}

TEST_F(CsrTest, RefusesRequestSignedByAnotherKey) {
  const PrivateKey other = generate(KeyType::kEcP256);
  X509_REQPtr req(X509_REQ_dup(csr_.get()));
  ASSERT_GT(X509_REQ_sign(req.get(), other.get(), EVP_sha256()), 0);  // public key stays key_'s
  unsigned char* der = nullptr;
  const int n = i2d_X509_REQ(req.get(), &der);
  const std::string bytes(reinterpret_cast<char*>(der), static_cast<std::size_t>(n));
  OPENSSL_free(der);
  auto parsed = CertificateRequest::from_der(bytes);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->verify().code(), Code::kPermissionDenied);
}

TEST(CsrWeakKeyTest, RefusesCsrWithRsa1024Key) {
  EVP_PKEYPtr weak(EVP_RSA_gen(1024));
  auto csr = CertificateRequest::from_der(csr_der_with_raw_key(weak.get()));
  ASSERT_TRUE(csr) << csr.status().to_string();
  const Status st = csr->verify();
  ASSERT_FALSE(st.is_ok());
  EXPECT_EQ(st.code(), Code::kPermissionDenied);
  EXPECT_NE(st.message().find("RSA 1024"), std::string::npos) << st.message();
}

TEST(CsrWeakKeyTest, RefusesCsrWithP521Key) {
  EVP_PKEYPtr weak(EVP_EC_gen("P-521"));
  auto csr = CertificateRequest::from_der(csr_der_with_raw_key(weak.get()));
  ASSERT_TRUE(csr) << csr.status().to_string();
  EXPECT_EQ(csr->verify().code(), Code::kPermissionDenied);
}

struct GarbageCase {
  const char* what;
  std::string text;
};

void PrintTo(const GarbageCase& c, std::ostream* os) {
  *os << c.what;
}

class CsrGarbageTest : public ::testing::TestWithParam<GarbageCase> {};

TEST_P(CsrGarbageTest, ParseRefusesGarbage) {
  auto csr = CertificateRequest::parse(GetParam().text);
  ASSERT_FALSE(csr) << GetParam().what;
  EXPECT_EQ(csr.status().code(), Code::kInvalidArgument);
}

INSTANTIATE_TEST_SUITE_P(
    BadInputs, CsrGarbageTest,
    ::testing::Values(
        GarbageCase{"empty", ""}, GarbageCase{"text", "please sign me"},
        GarbageCase{"bad PEM body", "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n"},
        GarbageCase{"PEM of another type", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"},
        GarbageCase{"DER SEQUENCE header only", std::string("\x30\x82\x01\x00", 4)}));

TEST_F(CsrTest, FromDerRefusesTrailingBytes) {
  auto csr = CertificateRequest::from_der(csr_.der() + "x");
  ASSERT_FALSE(csr);
  EXPECT_EQ(csr.status().code(), Code::kInvalidArgument);
}

TEST(MakeNameTest, KeepsAttributeOrderAndUtf8Values) {
  auto name = make_name({{"C", "MX"}, {"ST", "Quintana Roo"}, {"O", "Fiscalía"}, {"2.5.4.3", "SS1"}});
  ASSERT_TRUE(name) << name.status().to_string();
  ASSERT_EQ(X509_NAME_entry_count(name->get()), 4);
  EXPECT_EQ(OBJ_obj2nid(X509_NAME_ENTRY_get_object(X509_NAME_get_entry(name->get(), 0))), NID_countryName);
  EXPECT_EQ(OBJ_obj2nid(X509_NAME_ENTRY_get_object(X509_NAME_get_entry(name->get(), 3))), NID_commonName);
  unsigned char* utf8 = nullptr;
  const int len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name->get(), 2)));
  ASSERT_GT(len, 0);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(utf8), static_cast<std::size_t>(len)), "Fiscalía");
  OPENSSL_free(utf8);
}

TEST(MakeNameTest, EmptyNameHasNoEntries) {
  auto name = make_name({});
  ASSERT_TRUE(name);
  EXPECT_EQ(X509_NAME_entry_count(name->get()), 0);
}

struct BadSubject {
  const char* what;
  DistinguishedName dn;
};

void PrintTo(const BadSubject& c, std::ostream* os) {
  *os << c.what;
}

class BadSubjectTest : public ::testing::TestWithParam<BadSubject> {};

TEST_P(BadSubjectTest, MakeNameRefusesBadSubject) {
  auto name = make_name(GetParam().dn);
  ASSERT_FALSE(name) << GetParam().what << " accepted";
  EXPECT_EQ(name.status().code(), Code::kInvalidArgument);
}

TEST_P(BadSubjectTest, CreateRefusesBadSubject) {
  const PrivateKey key = generate(KeyType::kEcP256);
  auto csr = CertificateRequest::create(key, GetParam().dn);
  ASSERT_FALSE(csr) << GetParam().what << " accepted";
  EXPECT_EQ(csr.status().code(), Code::kInvalidArgument);
}

INSTANTIATE_TEST_SUITE_P(BadSubjects, BadSubjectTest,
                         ::testing::Values(BadSubject{"empty value", {{"CN", ""}}},
                                           BadSubject{"unknown attribute", {{"XX", "value"}}},
                                           BadSubject{"empty attribute", {{"", "value"}}},
                                           BadSubject{"attribute with a space", {{"C N", "value"}}},
                                           BadSubject{"country of three letters", {{"C", "MEX"}}},
                                           BadSubject{"good then bad", {{"C", "MX"}, {"O", ""}}}));

}  // namespace
}  // namespace xacbe::crypto
