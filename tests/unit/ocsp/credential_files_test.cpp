// The responder's key and certificate files, read again while it runs: a renewed pair is taken,
// a pair that cannot be used is refused without touching the one in use, and the certificate's
// end is logged without flooding the log.

#include "credential_files.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdio>
#include <functional>
#include <sstream>

#include "support/temp_dir.hpp"
#include "support/test_pki.hpp"
#include "xacbe/file.hpp"
#include "xacbe/log/log.hpp"

namespace xacbe::ocsp {
namespace {

using std::chrono::hours;
using std::chrono::seconds;

class NoStatuses final : public crypto::CertStatusSource {
 public:
  Result<crypto::CertStatus> lookup(const std::string&) override { return crypto::CertStatus{}; }
};

class CredentialFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    log::init({.component = "ocsp", .level = log::Level::kInfo, .json = false, .file = log_});
    install(first_);
  }
  void TearDown() override { log::init(log::LogOptions{}); }

  void write(const std::string& path, const std::string& content) {
    ASSERT_TRUE(write_file_atomic(path, content).is_ok());
  }
  void install(const xacbe::testing::KeyAndCert& pair) {
    write(key_path_, pair.key.to_pem());
    write(cert_path_, pair.cert.pem());
  }

  std::unique_ptr<Responder> start(CredentialFiles& files) {
    auto credentials = files.load();
    EXPECT_TRUE(credentials) << credentials.status().to_string();
    auto responder = Responder::create(pki_.root(), credentials->certificate, std::move(credentials->key), {}, clock_,
                                       statuses_);
    EXPECT_TRUE(responder) << responder.status().to_string();
    return std::move(responder).value();
  }

  // The lines logged so far (re-initialising flushes the file logger).
  std::vector<std::string> log_lines() {
    log::init({.component = "ocsp", .level = log::Level::kInfo, .json = false, .file = log_});
    std::vector<std::string> out;
    auto content = read_file(log_);
    std::istringstream in(content ? *content : std::string());
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
  }
  int count_lines(const std::string& needle) {
    int n = 0;
    for (const auto& line : log_lines()) n += line.find(needle) != std::string::npos;
    return n;
  }

  ManualClock clock_{TimePoint(seconds(1'750'000'000))};
  xacbe::testing::TestPki pki_{clock_};
  xacbe::testing::KeyAndCert first_ = pki_.issue(ca::Profile::kOcspResponder, "OCSP 1");
  xacbe::testing::TempDir dir_;
  std::string key_path_ = dir_.file("ocsp.key"), cert_path_ = dir_.file("ocsp.pem"), log_ = dir_.file("ocsp.log");
  NoStatuses statuses_;
};

TEST_F(CredentialFilesTest, TakesARenewedPairAtTheNextPoll) {
  CredentialFiles files(key_path_, cert_path_, clock_, seconds(0));
  auto responder = start(files);
  const auto renewed = pki_.issue(ca::Profile::kOcspResponder, "OCSP 2");
  install(renewed);
  files.poll(*responder);
  EXPECT_EQ(responder->certificate().der(), renewed.cert.der());
  EXPECT_EQ(count_lines("responder key or certificate file changed: responder certificate"), 1);
  files.poll(*responder);  // unchanged files are not read again
  EXPECT_EQ(count_lines("loaded from"), 1);
}

TEST_F(CredentialFilesTest, LooksAtTheFilesAtMostOncePerCheckInterval) {
  CredentialFiles files(key_path_, cert_path_, clock_, seconds(60));
  auto responder = start(files);
  const auto renewed = pki_.issue(ca::Profile::kOcspResponder, "OCSP 2");
  install(renewed);
  files.poll(*responder);
  clock_.advance(seconds(59));
  files.poll(*responder);
  EXPECT_EQ(responder->certificate().der(), first_.cert.der());
  clock_.advance(seconds(1));
  files.poll(*responder);
  EXPECT_EQ(responder->certificate().der(), renewed.cert.der());
}

TEST_F(CredentialFilesTest, SighupReadsThePairWithoutWaitingForTheInterval) {
  CredentialFiles files(key_path_, cert_path_, clock_, seconds(3600));
  auto responder = start(files);
  const auto renewed = pki_.issue(ca::Profile::kOcspResponder, "OCSP 2");
  install(renewed);
  files.reload_now(*responder);
  EXPECT_EQ(responder->certificate().der(), renewed.cert.der());
  EXPECT_EQ(count_lines("SIGHUP: responder certificate"), 1);
}

// Whatever is found in place of the pair, the pair in use stays, the refusal is logged once (not
// at every request) and a good pair written afterwards is taken.
TEST_F(CredentialFilesTest, RefusesAPairItCannotUseAndKeepsThePairInUse) {
  xacbe::testing::TestPki foreign(clock_);
  const auto foreign_ocsp = foreign.issue(ca::Profile::kOcspResponder, "Foreign OCSP");
  const auto tsa = pki_.issue(ca::Profile::kTimestamping, "TSA");
  const auto renewed = pki_.issue(ca::Profile::kOcspResponder, "OCSP 2");
  struct Row {
    const char* name;
    std::function<void()> spoil;
    const char* expected;  // in the refusal
  };
  const std::vector<Row> rows = {
      {"certificate file removed", [&] { std::remove(cert_path_.c_str()); }, "cannot open"},
      {"certificate file empty", [&] { write(cert_path_, ""); }, cert_path_.c_str()},
      {"certificate file is not PEM", [&] { write(cert_path_, "not a certificate\n"); }, cert_path_.c_str()},
      {"certificate file larger than any certificate",
       [&] { write(cert_path_, std::string(kMaxCredentialFileBytes + 1, 'A')); }, "more than a key or certificate"},
      {"certificate path is a directory",
       [&] {
         std::remove(cert_path_.c_str());
         ASSERT_EQ(::mkdir(cert_path_.c_str(), 0700), 0);
       },
       "not a regular file"},
      {"certificate path is a FIFO",
       [&] {
         std::remove(cert_path_.c_str());
         ASSERT_EQ(::mkfifo(cert_path_.c_str(), 0600), 0);
       },
       "not a regular file"},
      {"key file is not PEM", [&] { write(key_path_, "-----BEGIN PRIVATE KEY-----\nAAAA\n"); }, key_path_.c_str()},
      {"a new key without its certificate", [&] { write(key_path_, renewed.key.to_pem()); }, "does not match"},
      {"a pair of another CA", [&] { install(foreign_ocsp); }, "is not issued by"},
      {"a pair without OCSPSigning", [&] { install(tsa); }, "OCSPSigning"},
  };
  CredentialFiles files(key_path_, cert_path_, clock_, seconds(0));
  auto responder = start(files);
  int refusals = 0;
  for (const Row& row : rows) {
    SCOPED_TRACE(row.name);
    row.spoil();
    files.poll(*responder);
    files.poll(*responder);
    EXPECT_EQ(responder->certificate().der(), first_.cert.der());
    ++refusals;
    EXPECT_EQ(count_lines("not reloaded, the previous ones stay"), refusals);
    std::vector<std::string> lines = log_lines();
    ASSERT_FALSE(lines.empty());
    EXPECT_NE(lines.back().find(row.expected), std::string::npos) << lines.back();
    ::rmdir(cert_path_.c_str());
    std::remove(cert_path_.c_str());
    install(first_);
    files.poll(*responder);
  }
  install(renewed);
  files.poll(*responder);
  EXPECT_EQ(responder->certificate().der(), renewed.cert.der());
}

TEST_F(CredentialFilesTest, RefusesToStartWithoutAUsablePair) {
  std::remove(key_path_.c_str());
  CredentialFiles missing(key_path_, cert_path_, clock_, seconds(60));
  auto refused = missing.load();
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.status().message().find(key_path_), std::string::npos) << refused.status().to_string();
  write(key_path_, std::string(kMaxCredentialFileBytes + 1, '-'));
  refused = missing.load();
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.status().message().find("more than a key or certificate"), std::string::npos);
}

TEST_F(CredentialFilesTest, WarnsOnceADayFromSevenDaysBeforeTheEnd) {
  CredentialFiles files(key_path_, cert_path_, clock_, seconds(0));
  auto responder = start(files);
  EXPECT_EQ(count_lines("expires at"), 0);
  clock_.set(TimePoint(first_.cert.not_after() - hours(24 * 7) - seconds(1)));
  files.poll(*responder);
  EXPECT_EQ(count_lines("expires at"), 0);
  clock_.advance(seconds(2));
  files.poll(*responder);
  files.poll(*responder);
  clock_.advance(hours(23));
  files.poll(*responder);
  EXPECT_EQ(count_lines("expires at"), 1);
  EXPECT_EQ(count_lines("in 167 hours"), 1);
  clock_.advance(hours(1));
  files.poll(*responder);
  EXPECT_EQ(count_lines("expires at"), 2);
}

TEST_F(CredentialFilesTest, SaysOnceAnHourThatTheCertificateIsOutsideItsValidity) {
  CredentialFiles files(key_path_, cert_path_, clock_, seconds(0));
  auto responder = start(files);
  clock_.set(TimePoint(first_.cert.not_after() + seconds(1)));
  files.poll(*responder);
  files.poll(*responder);
  EXPECT_EQ(count_lines("is outside its validity"), 1);
  clock_.advance(hours(1));
  files.poll(*responder);
  EXPECT_EQ(count_lines("is outside its validity"), 2);
  // A renewed pair ends it at once.
  const auto renewed = pki_.issue(ca::Profile::kOcspResponder, "OCSP 2");
  install(renewed);
  files.poll(*responder);
  EXPECT_EQ(responder->certificate().der(), renewed.cert.der());
  files.poll(*responder);
  EXPECT_EQ(count_lines("is outside its validity"), 2);
}

}  // namespace
}  // namespace xacbe::ocsp
