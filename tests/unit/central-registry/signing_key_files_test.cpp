// The files of the configuration-signing keys at each stage of a key change: what is made, what
// is loaded, and what is refused before anything is signed or listed in an anchor.

#include "signing_key_files.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <functional>

#include "support/test_pki.hpp"
#include "xacbe/file.hpp"

namespace xacbe::registry {
namespace {

using namespace std::chrono;

class SigningKeyFilesTest : public ::testing::Test {
 protected:
  xacbe::testing::TempDir dir_;  // first: the paths below are in it
  SigningKeyPaths current_{dir_.file("signing.key"), dir_.file("signing.pem")};
  SigningKeyPaths next_{dir_.file("signing-next.key"), dir_.file("signing-next.pem")};

  Result<SigningKeys> open(bool with_next, bool sign_with_next = false) {
    SigningKeyFiles files{current_, std::nullopt, sign_with_next};
    if (with_next) files.next = next_;
    return open_signing_keys(files, "QROO", pki_.ca());
  }
  SigningKeys must_open(bool with_next, bool sign_with_next = false) {
    auto keys = open(with_next, sign_with_next);
    EXPECT_TRUE(keys) << keys.status().to_string();
    if (!keys) throw std::runtime_error(keys.status().to_string());
    return std::move(keys).value();
  }
  static std::string pem_of(const std::string& path) { return read_file(path).value(); }

  ManualClock clock_{sys_days{year{2026} / November / 23} + hours(15)};
  xacbe::testing::TestPki pki_{clock_};
};

TEST_F(SigningKeyFilesTest, MakesThePairOnFirstStartAndLoadsItAfterwards) {
  const SigningKeys made = must_open(false);
  EXPECT_FALSE(made.next);
  EXPECT_FALSE(made.previous);
  struct stat st {};
  ASSERT_EQ(::stat(current_.key.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(made.active.certificate.pem(), pem_of(current_.certificate));
  EXPECT_EQ(made.active.certificate.issuer(), pki_.root().subject());
  EXPECT_EQ(must_open(false).active.certificate.der(), made.active.certificate.der());
}

TEST_F(SigningKeyFilesTest, AnnouncingMakesTheNextPairWhileTheCurrentOneSigns) {
  const SigningKeys before = must_open(false);
  const SigningKeys announced = must_open(true);
  EXPECT_EQ(announced.active.certificate.der(), before.active.certificate.der());
  ASSERT_TRUE(announced.next);
  EXPECT_EQ(announced.next->certificate.pem(), pem_of(next_.certificate));
  EXPECT_NE(announced.next->certificate.der(), before.active.certificate.der());
  EXPECT_FALSE(announced.previous);
  // The next start loads the same next pair.
  EXPECT_EQ(must_open(true).next->certificate.der(), announced.next->certificate.der());
}

TEST_F(SigningKeyFilesTest, AfterTheSwitchTheNextKeySignsAndTheOldKeyMayBeGone) {
  const SigningKeys announced = must_open(true);
  ASSERT_EQ(std::remove(current_.key.c_str()), 0);  // the retired key destroyed
  const SigningKeys switched = must_open(true, true);
  EXPECT_EQ(switched.active.certificate.der(), announced.next->certificate.der());
  ASSERT_TRUE(switched.previous);
  EXPECT_EQ(switched.previous->der(), announced.active.certificate.der());
  EXPECT_FALSE(switched.next);
  EXPECT_FALSE(std::filesystem::exists(current_.key)) << "a retired key is never made again";
}

TEST_F(SigningKeyFilesTest, RefusesFilesThatCouldNotSign) {
  struct Case {
    const char* name;
    std::function<void()> prepare;
    bool with_next, sign_with_next;
    const char* message;
  };
  const std::vector<Case> cases = {
      {"a certificate whose key is gone", [&] { std::remove(current_.key.c_str()); }, false, false,
       "exists but its key"},
      {"a key that is not the certificate's",
       [&] { ASSERT_TRUE(crypto::PrivateKey::generate(crypto::KeyType::kEcP256)->save(current_.key).is_ok()); },
       false, false, "does not match its certificate"},
      {"a key file that is not a key", [&] { ASSERT_TRUE(write_file_atomic(current_.key, "garbage").is_ok()); },
       false, false, current_.key.c_str()},
      {"the next files are the current ones", [&] { next_ = current_; }, true, false, "must be files of their own"},
      {"the next key is the current key",
       [&] {
         std::remove(next_.key.c_str());
         std::filesystem::copy_file(current_.key, next_.key);
         std::remove(next_.certificate.c_str());
       },
       true, false, "a key change needs a new key"},
      {"signing with the next key without one", [] {}, false, true, "needs a next key"},
      {"the retired certificate is gone", [&] { std::remove(current_.certificate.c_str()); }, true, true,
       "previous configuration-signing certificate"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    // A fresh start: both pairs made, then spoiled.
    for (const auto& path : {current_.key, current_.certificate, next_.key, next_.certificate}) {
      std::remove(path.c_str());
    }
    next_ = {dir_.file("signing-next.key"), dir_.file("signing-next.pem")};
    must_open(true);
    c.prepare();
    auto refused = open(c.with_next, c.sign_with_next);
    ASSERT_FALSE(refused);
    EXPECT_NE(refused.status().message().find(c.message), std::string::npos) << refused.status().to_string();
  }
}

}  // namespace
}  // namespace xacbe::registry
