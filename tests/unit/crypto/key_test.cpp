#include "xacbe/crypto/key.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sys/stat.h>

#include <functional>
#include <ostream>
#include <string>

#include "support/temp_dir.hpp"
#include "xacbe/file.hpp"

namespace xacbe::crypto {
namespace {

std::string pem_of(EVP_PKEY* key, bool traditional = false) {
  BIOPtr bio(BIO_new(BIO_s_mem()));
  if (traditional) {
    PEM_write_bio_PrivateKey_traditional(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
  } else {
    PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
  }
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

unsigned file_mode(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

struct KeyTypeCase {
  KeyType type;
  const char* name;         // parse_key_type spelling
  const char* description;  // describe_key
  const EVP_MD* (*digest)();
};

void PrintTo(const KeyTypeCase& c, std::ostream* os) {
  *os << c.name;
}

class KeyTypeTest : public ::testing::TestWithParam<KeyTypeCase> {};

TEST_P(KeyTypeTest, GeneratesStrongKeyThatRoundTripsThroughPem) {
  const auto& c = GetParam();
  auto key = PrivateKey::generate(c.type);
  ASSERT_TRUE(key) << key.status().to_string();
  EXPECT_EQ(describe_key(key->get()), c.description);
  EXPECT_TRUE(check_key_strength(key->get()).is_ok());
  EXPECT_EQ(signing_digest(key->get()), c.digest());

  const std::string pem = key->to_pem();
  EXPECT_NE(pem.find("-----BEGIN PRIVATE KEY-----"), std::string::npos) << "not PKCS#8";
  auto back = PrivateKey::from_pem(pem);
  ASSERT_TRUE(back) << back.status().to_string();
  EXPECT_EQ(EVP_PKEY_eq(key->get(), back->get()), 1);
  EXPECT_EQ(back->public_key_der(), key->public_key_der());
  EXPECT_FALSE(key->public_key_der().empty());
}

TEST_P(KeyTypeTest, ParsesKeyTypeName) {
  auto parsed = parse_key_type(GetParam().name);
  ASSERT_TRUE(parsed) << parsed.status().to_string();
  EXPECT_EQ(*parsed, GetParam().type);
}

INSTANTIATE_TEST_SUITE_P(AllTypes, KeyTypeTest,
                         ::testing::Values(KeyTypeCase{KeyType::kRsa2048, "rsa2048", "RSA 2048", EVP_sha256},
                                           KeyTypeCase{KeyType::kRsa3072, "rsa3072", "RSA 3072", EVP_sha256},
                                           KeyTypeCase{KeyType::kRsa4096, "rsa4096", "RSA 4096", EVP_sha256},
                                           KeyTypeCase{KeyType::kEcP256, "ec-p256", "EC P-256", EVP_sha256},
                                           KeyTypeCase{KeyType::kEcP384, "ec-p384", "EC P-384", EVP_sha384}));

TEST(KeyTypeNameTest, RefusesUnknownKeyTypeNames) {
  for (const char* name : {"", "rsa1024", "RSA2048", "ec-p521", "ecp256", "ed25519", "dsa"}) {
    auto parsed = parse_key_type(name);
    ASSERT_FALSE(parsed) << "accepted '" << name << "'";
    EXPECT_EQ(parsed.status().code(), Code::kInvalidArgument);
  }
}

TEST(KeyPemTest, AcceptsTraditionalRsaPem) {
  EVP_PKEYPtr raw(EVP_RSA_gen(2048));
  const std::string pem = pem_of(raw.get(), /*traditional=*/true);
  ASSERT_NE(pem.find("BEGIN RSA PRIVATE KEY"), std::string::npos);
  auto key = PrivateKey::from_pem(pem);
  ASSERT_TRUE(key) << key.status().to_string();
  EXPECT_EQ(EVP_PKEY_eq(key->get(), raw.get()), 1);
}

struct WeakKeyCase {
  const char* what;
  std::function<EVP_PKEY*()> make;
};

void PrintTo(const WeakKeyCase& c, std::ostream* os) {
  *os << c.what;
}

class WeakKeyTest : public ::testing::TestWithParam<WeakKeyCase> {};

TEST_P(WeakKeyTest, StrengthCheckRefusesWeakKey) {
  EVP_PKEYPtr key(GetParam().make());
  ASSERT_NE(key, nullptr) << GetParam().what;
  const Status st = check_key_strength(key.get());
  ASSERT_FALSE(st.is_ok()) << GetParam().what << " accepted";
  EXPECT_EQ(st.code(), Code::kPermissionDenied);
}

TEST_P(WeakKeyTest, FromPemRefusesWeakKey) {
  EVP_PKEYPtr key(GetParam().make());
  ASSERT_NE(key, nullptr);
  auto loaded = PrivateKey::from_pem(pem_of(key.get()));
  ASSERT_FALSE(loaded) << GetParam().what << " accepted";
  EXPECT_EQ(loaded.status().code(), Code::kPermissionDenied);
}

INSTANTIATE_TEST_SUITE_P(Weak, WeakKeyTest,
                         ::testing::Values(WeakKeyCase{"RSA 1024", [] { return EVP_RSA_gen(1024); }},
                                           WeakKeyCase{"RSA 2047", [] { return EVP_RSA_gen(2047); }},
                                           WeakKeyCase{"EC P-224", [] { return EVP_EC_gen("P-224"); }},
                                           WeakKeyCase{"EC P-521", [] { return EVP_EC_gen("P-521"); }},
                                           WeakKeyCase{"EC secp256k1", [] { return EVP_EC_gen("secp256k1"); }},
                                           WeakKeyCase{"Ed25519",
                                                       [] { return EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"); }}));

TEST(KeyStrengthTest, MessageNamesTheWeakKey) {
  EVP_PKEYPtr rsa(EVP_RSA_gen(1024));
  const Status rsa_status = check_key_strength(rsa.get());
  EXPECT_NE(rsa_status.message().find("RSA 1024"), std::string::npos) << rsa_status.message();
  EVP_PKEYPtr ec(EVP_EC_gen("secp256k1"));
  const Status ec_status = check_key_strength(ec.get());
  EXPECT_NE(ec_status.message().find("secp256k1"), std::string::npos) << ec_status.message();
}

TEST(KeyStrengthTest, RefusesMissingKey) {
  EXPECT_EQ(check_key_strength(nullptr).code(), Code::kInvalidArgument);
}

class GarbagePemTest : public ::testing::TestWithParam<std::string> {};

TEST_P(GarbagePemTest, FromPemRefusesGarbage) {
  auto key = PrivateKey::from_pem(GetParam());
  ASSERT_FALSE(key);
  EXPECT_EQ(key.status().code(), Code::kInvalidArgument);
}

INSTANTIATE_TEST_SUITE_P(BadInputs, GarbagePemTest,
                         ::testing::Values("", "not a key",
                                           "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
                                           "-----BEGIN PRIVATE KEY-----\n!!!!\n-----END PRIVATE KEY-----\n",
                                           "-----BEGIN PRIVATE KEY-----\nMIIB\n"));

TEST(KeyPemTest, FromPemRefusesCertificateOrPublicKey) {
  auto key = PrivateKey::generate(KeyType::kEcP256);
  ASSERT_TRUE(key);
  BIOPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PUBKEY(bio.get(), key->get());
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  auto loaded = PrivateKey::from_pem(std::string(data, static_cast<std::size_t>(n)));
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.status().code(), Code::kInvalidArgument);
}

TEST(KeyFileTest, SaveWritesOwnerOnlyFileThatLoadsBack) {
  testing::TempDir dir;
  const std::string path = dir.file("key.pem");
  auto key = PrivateKey::generate(KeyType::kEcP256);
  ASSERT_TRUE(key);
  ASSERT_TRUE(key->save(path).is_ok());
  EXPECT_EQ(file_mode(path), 0600u);
  auto loaded = PrivateKey::load(path);
  ASSERT_TRUE(loaded) << loaded.status().to_string();
  EXPECT_EQ(EVP_PKEY_eq(key->get(), loaded->get()), 1);
}

TEST(KeyFileTest, SaveOverAWorldReadableFileLeavesMode0600) {
  testing::TempDir dir;
  const std::string path = dir.file("key.pem");
  ASSERT_TRUE(write_file_atomic(path, "old", 0644).is_ok());
  ASSERT_EQ(file_mode(path), 0644u);
  auto key = PrivateKey::generate(KeyType::kEcP256);
  ASSERT_TRUE(key);
  ASSERT_TRUE(key->save(path).is_ok());
  EXPECT_EQ(file_mode(path), 0600u);
  auto content = read_file(path);
  ASSERT_TRUE(content);
  EXPECT_EQ(*content, key->to_pem());
}

TEST(KeyFileTest, LoadOfMissingFileFailsNamingThePath) {
  testing::TempDir dir;
  const std::string path = dir.file("absent.pem");
  auto loaded = PrivateKey::load(path);
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.status().code(), Code::kNotFound);
  EXPECT_NE(loaded.status().message().find(path), std::string::npos);
}

TEST(KeyFileTest, LoadRefusesWeakKeyFileNamingThePath) {
  testing::TempDir dir;
  const std::string path = dir.file("weak.pem");
  EVP_PKEYPtr weak(EVP_RSA_gen(1024));
  ASSERT_TRUE(write_file_atomic(path, pem_of(weak.get()), 0600).is_ok());
  auto loaded = PrivateKey::load(path);
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.status().code(), Code::kPermissionDenied);
  EXPECT_NE(loaded.status().message().find(path), std::string::npos);
}

}  // namespace
}  // namespace xacbe::crypto
