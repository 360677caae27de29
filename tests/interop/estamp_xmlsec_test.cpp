// Interop: e-stamps made by our signer checked by the stock `xmlsec1 --verify` given only the CA
// certificate (the command line of docs/protocol/e-stamp.md "Checking with xmlsec1"), and the
// part digests they list checked with `sha256sum`.

#include <gtest/gtest.h>

#include <fstream>

#include "estamp/estamp.hpp"
#include "support/ocsp_answers.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "support/test_pki.hpp"
#include "xacbe/crypto/encoding.hpp"

namespace xacbe::ss {
namespace {

using namespace std::chrono_literals;

void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out << bytes;
  ASSERT_TRUE(out.good()) << path;
}

class EStampXmlsecTest : public ::testing::Test {
 protected:
  // xmlsec1 checks certificate validity against the real time, so the test clock is the real time.
  EStampXmlsecTest()
      : clock_(std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now())),
        pki_(clock_),
        responder_(pki_.issue(ca::Profile::kOcspResponder, "Test OCSP")),
        member_(pki_.issue(ca::Profile::kSigning, "QROO/EST/FGE", crypto::KeyType::kRsa2048)) {
    auto request = crypto::OcspRequest::create(member_.cert, pki_.root(), {.nonce_octets = 0});
    testing::OcspAnswer answer;
    answer.produced_at = answer.this_update = to_sys_seconds(clock_.now()) - 60s;
    answer.next_update = to_sys_seconds(clock_.now()) + 24h;
    ocsp_ = testing::make_ocsp_response(request->der(), responder_.cert, responder_.key, answer);
    auto key = crypto::PrivateKey::from_pem(member_.key.to_pem());
    signer_ = SoftwareSigner::create(std::move(key).value(), member_.cert).value();
    ca_pem_ = dir_.file("ca.pem");
    write_file(ca_pem_, pki_.root().pem());
  }

  static StampContent content(int i) {
    return {.kind = "request",
            .message_id = "msg-" + std::to_string(i),
            .client = "QROO/EST/FGE/SIS",
            .service = "QROO/EST/SEFIPLAN/SIIF/padron-v1",
            .request_hash = {},
            .parts = {{"head", crypto::sha256(head(i))}, {"body", crypto::sha256(body(i))}}};
  }
  static std::string head(int i) { return "<header id=\"" + std::to_string(i) + "\"/>"; }
  static std::string body(int i) { return "body bytes of message " + std::to_string(i) + "\n"; }

  // The documented command line.
  testing::CommandResult xmlsec_verify(const std::string& file, const std::string& ca_pem) {
    return testing::run_command({"xmlsec1", "--verify", "--trusted-pem", ca_pem, "--id-attr:Id",
                                 "urn:xacbe:estamp:1:Message", "--id-attr:Id", "urn:xacbe:estamp:1:Batch", file});
  }

  static void expect_ok(const testing::CommandResult& r) {
    EXPECT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("OK"), std::string::npos) << r.output;
    EXPECT_EQ(r.output.find("FAIL"), std::string::npos) << r.output;
  }
  static void expect_fail(const testing::CommandResult& r) {
    EXPECT_NE(r.exit_code, 0) << r.output;
    EXPECT_EQ(r.output.find("OK\n"), std::string::npos) << r.output;
  }

  ManualClock clock_;
  testing::TestPki pki_;
  testing::KeyAndCert responder_;
  testing::KeyAndCert member_;
  std::string ocsp_;
  std::unique_ptr<SoftwareSigner> signer_;
  testing::TempDir dir_;
  std::string ca_pem_;
};

TEST_F(EStampXmlsecTest, StockXmlsecVerifiesASingleMessageStamp) {
  auto stamp = sign_estamp(content(1), *signer_, ocsp_, to_sys_seconds(clock_.now()));
  ASSERT_TRUE(stamp.is_ok()) << stamp.status().to_string();
  write_file(dir_.file("single.xml"), *stamp);
  expect_ok(xmlsec_verify(dir_.file("single.xml"), ca_pem_));
}

TEST_F(EStampXmlsecTest, StockXmlsecVerifiesEveryStampOfABatch) {
  auto stamps = sign_estamp_batch({content(0), content(1), content(2)}, *signer_, ocsp_, to_sys_seconds(clock_.now()));
  ASSERT_TRUE(stamps.is_ok()) << stamps.status().to_string();
  for (std::size_t i = 0; i < stamps->size(); ++i) {
    const std::string file = dir_.file("batch-" + std::to_string(i) + ".xml");
    write_file(file, (*stamps)[i]);
    expect_ok(xmlsec_verify(file, ca_pem_));
  }
}

TEST_F(EStampXmlsecTest, StockXmlsecRefusesATamperedStampAndAnotherCa) {
  auto stamp = sign_estamp(content(1), *signer_, ocsp_, to_sys_seconds(clock_.now()));
  ASSERT_TRUE(stamp.is_ok()) << stamp.status().to_string();
  std::string tampered = *stamp;
  const auto at = tampered.find(">msg-1<");
  ASSERT_NE(at, std::string::npos);
  tampered.replace(at, 7, ">msg-2<");
  write_file(dir_.file("tampered.xml"), tampered);
  expect_fail(xmlsec_verify(dir_.file("tampered.xml"), ca_pem_));

  // Signed properties are covered too: move the signing time by one second.
  std::string retimed = *stamp;
  const std::string time = "<e:SigningTime>" + to_iso8601_utc(to_sys_seconds(clock_.now())) + "<";
  const auto time_at = retimed.find(time);
  ASSERT_NE(time_at, std::string::npos);
  retimed.replace(time_at, time.size(), "<e:SigningTime>" + to_iso8601_utc(to_sys_seconds(clock_.now()) - 1s) + "<");
  write_file(dir_.file("retimed.xml"), retimed);
  expect_fail(xmlsec_verify(dir_.file("retimed.xml"), ca_pem_));

  // The untouched stamp against another CA.
  testing::TestPki other(clock_);
  write_file(dir_.file("other-ca.pem"), other.root().pem());
  write_file(dir_.file("single.xml"), *stamp);
  expect_fail(xmlsec_verify(dir_.file("single.xml"), dir_.file("other-ca.pem")));
}

TEST_F(EStampXmlsecTest, ListedPartDigestsMatchSha256sumOfTheParts) {
  auto stamp = sign_estamp(content(7), *signer_, ocsp_, to_sys_seconds(clock_.now()));
  ASSERT_TRUE(stamp.is_ok()) << stamp.status().to_string();
  const std::vector<std::pair<std::string, std::string>> parts = {{"head", head(7)}, {"body", body(7)}};
  for (const auto& [name, bytes] : parts) {
    const std::string file = dir_.file(name + ".part");
    write_file(file, bytes);
    auto r = testing::run_command({"sha256sum", file});
    ASSERT_EQ(r.exit_code, 0) << r.output;
    const std::string hex = r.output.substr(0, 64);
    EXPECT_NE(stamp->find("<e:Part name=\"" + name + "\">" + hex + "</e:Part>"), std::string::npos)
        << name << " " << hex << "\n" << *stamp;
  }
}

}  // namespace
}  // namespace xacbe::ss
