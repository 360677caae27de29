// Evidence containers end to end in process: real e-stamps signed under a test CA, a real query
// register, real RFC 3161 tokens over Merkle batches and a real signed configuration; exported,
// checked offline, and refused for each kind of tampering with the check that must catch it.

#include "audit/evidence_container.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>

#include "evidence_fixture.hpp"

namespace xacbe::ss {
namespace {

using namespace std::chrono_literals;
using namespace evidence_testing;
using testing::TestPki;
using Json = nlohmann::json;

class EvidenceContainerTest : public EvidenceFixture {};

TEST_F(EvidenceContainerTest, ExportedExchangeVerifiesOfflineAfterTheRegisterIsGone) {
  exchange("msg-1");
  exchange("msg-2");
  clock_.advance(30s);
  ASSERT_TRUE(stamper_->run_once());
  const std::string zip = export_zip("msg-1");
  ASSERT_FALSE(zip.empty());
  stamper_.reset();
  reg_.reset();
  std::filesystem::remove_all(dir_.path());  // the security server's whole state

  clock_.advance(24h * 3650);  // years later: nothing is judged at today's time
  for (bool anchor : {false, true}) {
    const EvidenceReport report = verify(zip, anchor);
    EXPECT_TRUE(report.valid()) << format_report(report);
    EXPECT_EQ(report.seqs, (std::vector<std::int64_t>{1, 2}));
    for (const char* check : {"chain-link", "timestamp", "merkle-proof", "e-stamp", "content", "signer",
                              "configuration-in-force", "eight-hour-rule", "ocsp-at-signing"}) {
      for (const char* record : {"record 1", "record 2"}) {
        const EvidenceCheck* c = find_check(report, record, check);
        ASSERT_NE(c, nullptr) << record << " " << check;
        EXPECT_TRUE(c->ok) << c->detail;
      }
    }
    ASSERT_NE(find_check(report, "record 2", "request-binding"), nullptr);
    EXPECT_TRUE(find_check(report, "record 2", "request-binding")->ok);
    const EvidenceCheck* conf = find_check(report, "configuration/QROO-1.json", "configuration");
    ASSERT_NE(conf, nullptr);
    EXPECT_EQ(conf->detail.find("no anchor") == std::string::npos, anchor) << conf->detail;
  }
  const std::string text = format_report(verify(zip));
  EXPECT_NE(text.find("VALID: 2 record(s)"), std::string::npos) << text;
}

TEST_F(EvidenceContainerTest, ContainerIsAZipOtherToolsRead) {
  exchange("msg-1");
  ASSERT_TRUE(stamper_->run_once());
  const std::string path = dir_.file("exchange.zip");
  std::ofstream(path, std::ios::binary) << export_zip("msg-1");
  // Info-ZIP's unzip tests every entry's CRC and lists the layout of docs/protocol/evidence-container.md.
  EXPECT_EQ(std::system(("unzip -tq " + path + " > /dev/null").c_str()), 0);
  const std::string listing = dir_.file("listing.txt");
  ASSERT_EQ(std::system(("unzip -Z1 " + path + " > " + listing).c_str()), 0);
  std::ifstream in(listing);
  std::string first;
  std::getline(in, first);
  EXPECT_EQ(first, "mimetype");
  const std::string rest((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (const char* name : {"META-INF/manifest.json", "records/1/record.json", "records/1/head.json", "records/1/body",
                           "records/1/estamp.xml", "records/1/signer.pem", "records/1/ocsp.der",
                           "records/1/timestamp.tst", "records/1/proof.json", "configuration/QROO-1.json",
                           "certificates/ca.pem", "certificates/tsa.pem"}) {
    EXPECT_NE(rest.find(name), std::string::npos) << name;
  }
}

struct Tampering {
  const char* name;
  const char* entry;
  std::function<void(std::string&)> change;
  const char* subject;
  const char* check;  // the check that must fail
};

std::function<void(std::string&)> flip_byte_at(std::size_t from_end) {
  return [from_end](std::string& bytes) { bytes[bytes.size() - 1 - from_end] ^= 0x01; };
}

std::function<void(std::string&)> set_json(const std::string& key, const Json& value) {
  return [key, value](std::string& bytes) {
    Json j = Json::parse(bytes);
    j[key] = value;
    bytes = j.dump();
  };
}

TEST_F(EvidenceContainerTest, EachTamperingIsRefusedForItsReason) {
  exchange("msg-1");
  clock_.advance(10s);
  ASSERT_TRUE(stamper_->run_once());
  const std::string zip = export_zip("msg-1");
  ASSERT_TRUE(verify(zip).valid());

  const std::vector<Tampering> table = {
      {"a body byte", "records/1/body", flip_byte_at(3), "record 1", "chain-link"},
      {"a body byte (as stamped)", "records/1/body", flip_byte_at(3), "record 1", "content"},
      {"the e-stamp's message id", "records/1/estamp.xml",
       [](std::string& x) { x.replace(x.find("msg-1"), 5, "msg-9"); }, "record 1", "e-stamp"},
      {"the timestamp token", "records/1/timestamp.tst", flip_byte_at(10), "record 1", "timestamp"},
      {"the Merkle proof's leaf index", "records/1/proof.json", set_json("leaf_index", 1), "record 1", "merkle-proof"},
      {"the chain link", "records/1/record.json", set_json("prev_hash", std::string(64, 'a')), "record 1", "chain-link"},
      {"a recorded field", "records/1/record.json", set_json("user_id", "someone else"), "record 1", "chain-link"},
      {"the configuration snapshot", "configuration/QROO-1.json",
       [](std::string& s) {
         auto envelope = must(globalconf::SignedConfiguration::parse(s));
         envelope.content.replace(envelope.content.find("Fiscal"), 6, "fiscal");
         s = envelope.to_json();
       },
       "configuration/QROO-1.json", "configuration"},
      {"the response's request", "records/1/record.json", set_json("request_id", "req-other"), "record 2",
       "request-binding"},
  };
  for (const Tampering& t : table) {
    SCOPED_TRACE(t.name);
    const EvidenceReport report = verify(tampered(zip, t.entry, t.change));
    EXPECT_FALSE(report.valid());
    const EvidenceCheck* c = find_check(report, t.subject, t.check);
    ASSERT_NE(c, nullptr) << format_report(report);
    EXPECT_FALSE(c->ok) << format_report(report);
  }
  // A file taken out, or one slipped in, is named by the manifest check.
  auto entries = must(read_zip(zip));
  entries.push_back({"records/1/extra", "x"});
  const EvidenceReport extra = verify(must(write_zip(entries, now())));
  EXPECT_FALSE(find_check(extra, "container", "manifest")->ok);
  EXPECT_NE(find_check(extra, "container", "manifest")->detail.find("records/1/extra"), std::string::npos);
}

TEST_F(EvidenceContainerTest, TheEightHourRuleHoldsToTheSecond) {
  // Timestamped exactly eight hours after the OCSP response: still valid.
  exchange("on-time", 60s);
  clock_.advance(globalconf::kEightHours - 60s);
  ASSERT_TRUE(stamper_->run_once());
  EvidenceReport on_time = verify(export_zip("on-time"));
  EXPECT_TRUE(on_time.valid()) << format_report(on_time);

  // One second later: refused by the rule, and the e-stamp's OCSP response is stale at that time.
  ASSERT_TRUE(reg_->keep_configuration(configuration(2)));
  exchange("late", 60s);
  clock_.advance(globalconf::kEightHours - 60s + 1s);
  ASSERT_TRUE(stamper_->run_once());
  EvidenceReport late = verify(export_zip("late"));
  EXPECT_FALSE(late.valid());
  const EvidenceCheck* rule = find_check(late, "record 3", "eight-hour-rule");
  ASSERT_NE(rule, nullptr) << format_report(late);
  EXPECT_FALSE(rule->ok);
  EXPECT_NE(rule->detail.find("28801 s after"), std::string::npos) << rule->detail;
  EXPECT_FALSE(find_check(late, "record 3", "e-stamp")->ok);
}

TEST_F(EvidenceContainerTest, TheSignerMustHaveUsedAFreshOcspResponse) {
  // Signed with a response two hours old (the configuration's freshness is one hour): within the
  // eight-hour window, but not what a signer may sign with.
  exchange("stale", 2h);
  ASSERT_TRUE(stamper_->run_once());
  const EvidenceReport report = verify(export_zip("stale"));
  EXPECT_FALSE(report.valid());
  EXPECT_TRUE(find_check(report, "record 1", "e-stamp")->ok);
  EXPECT_TRUE(find_check(report, "record 1", "eight-hour-rule")->ok);
  const EvidenceCheck* at_signing = find_check(report, "record 1", "ocsp-at-signing");
  ASSERT_NE(at_signing, nullptr);
  EXPECT_FALSE(at_signing->ok);
  EXPECT_NE(at_signing->detail.find("7200 s old"), std::string::npos) << at_signing->detail;
}

TEST_F(EvidenceContainerTest, ARecordOlderThanEveryKeptConfigurationIsExportedAndJudgedHonestly) {
  // A register written before configurations were kept: its records get the first one kept after
  // them, and the check says the message was signed outside that configuration's validity.
  stamper_.reset();
  reg_.reset();
  reg_ = must(QueryRegister::open(dir_.file("older.db"), clock_));
  stamper_ = std::make_unique<Timestamper>(*reg_, clock_, [this](std::string_view root) { return stamp(root); });
  exchange("older");
  ASSERT_TRUE(stamper_->run_once());
  clock_.advance(10min);
  ASSERT_TRUE(reg_->keep_configuration(configuration(7)));
  const EvidenceReport report = verify(export_zip("older"));
  EXPECT_FALSE(report.valid());
  const EvidenceCheck* in_force = find_check(report, "record 1", "configuration-in-force");
  ASSERT_NE(in_force, nullptr) << format_report(report);
  EXPECT_FALSE(in_force->ok);
  EXPECT_NE(in_force->detail.find("outside version 7"), std::string::npos) << in_force->detail;
  for (const char* check : {"chain-link", "timestamp", "merkle-proof", "e-stamp", "content", "signer"}) {
    EXPECT_TRUE(find_check(report, "record 1", check)->ok) << check;
  }
}

TEST_F(EvidenceContainerTest, ExportRefusesWhatCannotBeProvedYet) {
  exchange("msg-1");
  auto early = export_exchange(*reg_, {kClient, "msg-1", "S", "u", {}}, clock_.now());
  EXPECT_EQ(early.status().code(), Code::kFailedPrecondition) << early.status().to_string();
  auto unknown = export_exchange(*reg_, {kClient, "msg-404", "S", "u", {}}, clock_.now());
  EXPECT_EQ(unknown.status().code(), Code::kNotFound);
}

TEST_F(EvidenceContainerTest, OtherCaAndDamagedBytesAreRefused) {
  exchange("msg-1");
  ASSERT_TRUE(stamper_->run_once());
  const std::string zip = export_zip("msg-1");
  TestPki other(clock_);
  auto report = verify_container(zip, {other.root(), std::nullopt});
  ASSERT_TRUE(report.is_ok());
  EXPECT_FALSE(report->valid());
  EXPECT_FALSE(find_check(*report, "configuration/QROO-1.json", "configuration")->ok);

  EXPECT_FALSE(verify_container("not a zip at all", {pki_.root(), std::nullopt}).is_ok());
  std::string cut = zip.substr(0, zip.size() / 2);
  EXPECT_FALSE(verify_container(cut, {pki_.root(), std::nullopt}).is_ok());
  EXPECT_FALSE(write_zip({{"../escape", "x"}}, now()).is_ok());
  EXPECT_FALSE(write_zip({{"a", "x"}, {"a", "y"}}, now()).is_ok());
}

}  // namespace
}  // namespace xacbe::ss
