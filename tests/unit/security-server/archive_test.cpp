// Retention and archives of the query register end to end in process: real e-stamped records
// spread over weeks of a ManualClock, archived into chained, timestamped files that an auditor's
// check accepts, the live store shrinking by exactly those records, and every kind of tampering
// with the archive directory refused with the file named.

#include "audit/archive.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "audit/archive_writer.hpp"
#include "evidence_fixture.hpp"
#include "xacbe/file.hpp"

namespace xacbe::ss {
namespace {

using namespace std::chrono_literals;
using namespace evidence_testing;
using Json = nlohmann::json;
namespace fs = std::filesystem;

constexpr auto kDay = std::chrono::hours(24);

class ArchiveTest : public EvidenceFixture {
 protected:
  ArchiveTest() { configuration_validity_ = kDay * 400; }

  ArchiveOptions options() {
    ArchiveOptions o;
    o.directory = dir_.file("archives");
    o.server = "QROO/EST/FGE/SS1";
    return o;
  }

  EvidenceTrust trust() const { return {pki_.root(), std::nullopt}; }

  std::unique_ptr<Archiver> archiver(ArchiveOptions o) {
    return must(Archiver::create(*reg_, clock_, [this](std::string_view root) -> Result<crypto::TimestampToken> {
      if (tsa_down_) return unavailable("the TSA does not answer");
      return stamp(root);
    }, trust(), std::move(o)));
  }

  // One exchange a day for `days` days, each timestamped an hour after it.
  void spread(int days, const std::string& prefix = "msg") {
    for (int d = 0; d < days; ++d) {
      exchange(prefix + "-" + std::to_string(d));
      clock_.advance(1h);
      ASSERT_TRUE(stamper_->run_once());
      clock_.advance(23h);
    }
  }

  std::vector<std::string> files(const std::string& dir) const {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
  }

  EvidenceReport verify_dir(const std::string& dir, const ArchiveVerifyOptions& o = {}) {
    auto report = verify_archive_directory(dir, trust(), o);
    EXPECT_TRUE(report.is_ok()) << report.status().to_string();
    return report.is_ok() ? *report : EvidenceReport{};
  }

  // A record without a real e-stamp, as a busy exchange path appends it (never archived here).
  RecordInput plain_record(int i) {
    RecordInput in;
    in.message_id = "live-" + std::to_string(i);
    in.request_id = "req-live-" + std::to_string(i);
    in.client = kClient;
    in.service = kService;
    in.head = "{}";
    in.body = "{}";
    in.body_sha256 = crypto::sha256("{}");
    in.estamp = "<estamp/>";
    in.ocsp_produced_at = now();
    in.deadline = now() + globalconf::kEightHours;
    return in;
  }

  bool tsa_down_ = false;
};

bool failed(const EvidenceReport& report, const std::string& subject, const std::string& check) {
  const EvidenceCheck* c = find_check(report, subject, check);
  return c != nullptr && !c->ok;
}

TEST_F(ArchiveTest, RecordsPastRetentionLeaveForAVerifiedArchiveWhileAppendsGoOn) {
  spread(36);  // 72 records, two a day, created on days 0..35
  ASSERT_TRUE(reg_->flush());
  const std::int64_t before = reg_->stats().records;
  ASSERT_EQ(before, 72);

  // Appends from another thread while the archiver runs: all succeed.
  std::atomic<bool> stop{false};
  std::atomic<int> appended{0}, refused{0};
  std::thread exchanges([&] {
    for (int i = 0; !stop || i < 20; ++i) {
      if (reg_->append_blocking(plain_record(i)).is_ok()) {
        ++appended;
      } else {
        ++refused;
      }
    }
  });
  ArchiveOptions o = options();
  o.delete_batch = 5;  // several deletion transactions for appends to interleave with
  auto run = archiver(o)->run_once();
  stop = true;
  exchanges.join();
  ASSERT_TRUE(run.is_ok()) << run.status().to_string();
  EXPECT_EQ(refused, 0);

  // Now is day 36: records of days 0..5 (seq 1..12) are over 30 days old.
  EXPECT_EQ(run->written, std::vector<std::string>{"archive-000001.zip"});
  EXPECT_EQ(run->records_archived, 12);
  EXPECT_EQ(run->records_deleted, 12);
  EXPECT_EQ(run->stamped, std::vector<std::string>{"archive-000001.tst"});
  ASSERT_TRUE(reg_->flush());
  EXPECT_EQ(reg_->stats().records, before - 12 + appended);
  EXPECT_EQ(reg_->get(12).status().code(), Code::kNotFound);
  EXPECT_TRUE(reg_->get(13).is_ok());
  auto chain = reg_->verify_chain();
  ASSERT_TRUE(chain.is_ok());
  EXPECT_TRUE(chain->ok) << chain->problem;
  EXPECT_EQ(chain->records, before - 12 + appended);

  EvidenceReport report = verify_dir(o.directory);
  EXPECT_TRUE(archives_valid(report)) << format_report(report);
  EXPECT_EQ(report.seqs.size(), 12u);
  EXPECT_EQ(report.seqs.front(), 1);
  EXPECT_EQ(report.seqs.back(), 12);

  // Three days on, the next archive continues the chain, across a restart of the register.
  stamper_.reset();
  reg_.reset();
  reg_ = must(QueryRegister::open(dir_.file("register.db"), clock_));
  stamper_ = std::make_unique<Timestamper>(*reg_, clock_, [this](std::string_view root) { return stamp(root); });
  ASSERT_TRUE(stamper_->run_once());  // the records appended above
  clock_.advance(kDay * 3);
  auto second = archiver(o)->run_once();
  ASSERT_TRUE(second.is_ok()) << second.status().to_string();
  EXPECT_EQ(second->written, std::vector<std::string>{"archive-000002.zip"});
  EXPECT_EQ(second->records_archived, 6);  // days 6, 7 and 8
  report = verify_dir(o.directory);
  EXPECT_TRUE(archives_valid(report)) << format_report(report);
  EXPECT_EQ(report.seqs.size(), 18u);
  chain = reg_->verify_chain();
  ASSERT_TRUE(chain.is_ok());
  EXPECT_TRUE(chain->ok) << chain->problem;
  // Appends go on after the archived chain.
  auto next = reg_->append_blocking(plain_record(1000));
  ASSERT_TRUE(next.is_ok());
  EXPECT_EQ(next->seq, 72 + appended + 1);
}

TEST_F(ArchiveTest, AllRecordsArchivedTheChainGoesOnAfterARestart) {
  spread(3);
  clock_.advance(kDay * 31);
  ASSERT_TRUE(archiver(options())->run_once().is_ok());
  EXPECT_EQ(reg_->stats().records, 0);
  stamper_.reset();
  reg_.reset();
  reg_ = must(QueryRegister::open(dir_.file("register.db"), clock_));
  auto next = reg_->append_blocking(plain_record(1));
  ASSERT_TRUE(next.is_ok());
  EXPECT_EQ(next->seq, 7);
  auto chain = reg_->verify_chain();
  ASSERT_TRUE(chain.is_ok());
  EXPECT_TRUE(chain->ok) << chain->problem;
}

TEST_F(ArchiveTest, ARecordTimestampedLateIsArchivedAsHeldAndReportedByTheCheck) {
  // Timestamped one second after its eight-hour deadline: the register marks it, keeps it, and so
  // does the archive; the auditor's check says what is wrong with it and nothing else.
  exchange("late", 60s);
  clock_.advance(globalconf::kEightHours + 1s);
  ASSERT_TRUE(stamper_->run_once());
  spread(2, "after");
  clock_.advance(kDay * 31);
  auto run = archiver(options())->run_once();
  ASSERT_TRUE(run.is_ok()) << run.status().to_string();
  EXPECT_EQ(reg_->stats().records, 0);
  const EvidenceReport report = verify_dir(dir_.file("archives"));
  EXPECT_TRUE(failed(report, "archive-000001.zip record 1", "eight-hour-rule")) << format_report(report);
  for (const EvidenceCheck& c : report.checks) {
    const bool about_late = c.subject.find("record 1") != std::string::npos || c.subject.find("record 2") != std::string::npos;
    if (!c.ok) {
      EXPECT_TRUE(about_late) << c.subject << " " << c.check << ": " << c.detail;
    }
  }
}

TEST_F(ArchiveTest, AStopEndsARunBetweenStepsAndTheNextRunResumes) {
  spread(3);
  clock_.advance(kDay * 31);
  ArchiveOptions o = options();
  o.max_file_bytes = 1;  // one record per file
  auto stopped = archiver(o);
  stopped->request_stop();
  auto run = stopped->run_once();
  ASSERT_TRUE(run.is_ok()) << run.status().to_string();
  // At most the file in hand when the stop came is written; no record has left for an unfinished one.
  EXPECT_LE(run->written.size(), 1u);
  EXPECT_EQ(run->records_deleted, 0);
  EXPECT_EQ(reg_->stats().records, 6);
  // A new start finishes what was begun and archives the rest, continuing the chain.
  auto resumed = archiver(o)->run_once();
  ASSERT_TRUE(resumed.is_ok()) << resumed.status().to_string();
  EXPECT_EQ(reg_->stats().records, 0);
  const EvidenceReport report = verify_dir(o.directory);
  EXPECT_TRUE(archives_valid(report)) << format_report(report);
}

TEST_F(ArchiveTest, SizeBoundGivesSeveralFilesAndResponsesBindAcrossThem) {
  spread(3);  // 6 records
  clock_.advance(kDay * 31);
  ArchiveOptions o = options();
  o.max_file_bytes = 1;  // one record per file
  auto run = archiver(o)->run_once();
  ASSERT_TRUE(run.is_ok()) << run.status().to_string();
  EXPECT_EQ(run->written.size(), 6u);
  EXPECT_EQ(files(o.directory).size(), 12u);  // six files, six tokens
  const EvidenceReport report = verify_dir(o.directory);
  EXPECT_TRUE(archives_valid(report)) << format_report(report);
  // The response in archive 2 is bound to its request in archive 1.
  const EvidenceCheck* binding = find_check(report, "archive-000002.zip record 2", "request-binding");
  ASSERT_NE(binding, nullptr) << format_report(report);
  EXPECT_TRUE(binding->ok);
  EXPECT_NE(binding->detail.find("answers record 1"), std::string::npos) << binding->detail;
}

struct DirectoryTampering {
  const char* name;
  std::function<void(const std::string& dir)> change;
  const char* subject;
  const char* check;
};

std::function<void(std::string&)> flip_last_byte() {
  return [](std::string& bytes) { bytes.back() ^= 0x01; };
}

TEST_F(ArchiveTest, EachTamperingOfTheDirectoryIsRefusedNamingTheFile) {
  spread(2);  // 4 records
  clock_.advance(kDay * 31);
  ArchiveOptions o = options();
  o.max_file_bytes = 1;
  ASSERT_TRUE(archiver(o)->run_once().is_ok());
  ASSERT_TRUE(archives_valid(verify_dir(o.directory)));

  const auto path = [](const std::string& dir, const char* name) { return (fs::path(dir) / name).string(); };
  const auto rewrite_entry = [this, path](const std::string& dir, const char* file, const std::string& entry) {
    const std::string zip = must(read_file(path(dir, file), std::size_t{1} << 30));
    ASSERT_TRUE(write_file_atomic(path(dir, file), tampered(zip, entry, flip_last_byte())));
  };
  const std::vector<DirectoryTampering> table = {
      {"a file deleted", [&](const std::string& d) { fs::remove(path(d, "archive-000002.zip")); },
       "archive-000002.zip", "present"},
      {"a file deleted, its successor's link",
       [&](const std::string& d) { fs::remove(path(d, "archive-000002.zip")); }, "archive-000003.zip", "chain-link"},
      {"two files swapped",
       [&](const std::string& d) {
         fs::rename(path(d, "archive-000002.zip"), path(d, "swap"));
         fs::rename(path(d, "archive-000003.zip"), path(d, "archive-000002.zip"));
         fs::rename(path(d, "swap"), path(d, "archive-000003.zip"));
       },
       "archive-000002.zip", "index"},
      {"two files swapped with their tokens",
       [&](const std::string& d) {
         for (const char* ext : {".zip", ".tst"}) {
           fs::rename(path(d, ("archive-000002" + std::string(ext)).c_str()), path(d, "swap"));
           fs::rename(path(d, ("archive-000003" + std::string(ext)).c_str()),
                      path(d, ("archive-000002" + std::string(ext)).c_str()));
           fs::rename(path(d, "swap"), path(d, ("archive-000003" + std::string(ext)).c_str()));
         }
       },
       "archive-000002.zip", "chain-link"},
      {"a byte of an entry, its manifest digest recomputed: the token",
       [&](const std::string& d) { rewrite_entry(d, "archive-000002.zip", "records/2/head.json"); },
       "archive-000002.zip", "token"},
      {"a byte of an entry, its manifest digest recomputed: the successor",
       [&](const std::string& d) { rewrite_entry(d, "archive-000002.zip", "records/2/head.json"); },
       "archive-000003.zip", "chain-link"},
      {"a byte of an entry, its manifest digest recomputed: the record",
       [&](const std::string& d) { rewrite_entry(d, "archive-000002.zip", "records/2/head.json"); },
       "archive-000002.zip record 2", "chain-link"},
      {"a token removed", [&](const std::string& d) { fs::remove(path(d, "archive-000002.tst")); },
       "archive-000002.zip", "token"},
      {"a token altered",
       [&](const std::string& d) {
         std::string token = must(read_file(path(d, "archive-000003.tst")));
         token[token.size() - 20] ^= 0x01;
         ASSERT_TRUE(write_file_atomic(path(d, "archive-000003.tst"), token));
       },
       "archive-000003.zip", "token"},
      {"the head's token removed", [&](const std::string& d) { fs::remove(path(d, "archive-000004.tst")); },
       "archive-000004.zip", "token"},
  };
  int n = 0;
  for (const DirectoryTampering& t : table) {
    SCOPED_TRACE(t.name);
    const std::string copy = dir_.file("tampered-" + std::to_string(++n));
    fs::copy(o.directory, copy, fs::copy_options::recursive);
    t.change(copy);
    const EvidenceReport report = verify_dir(copy);
    EXPECT_FALSE(archives_valid(report));
    EXPECT_TRUE(failed(report, t.subject, t.check)) << format_report(report);
  }
}

TEST_F(ArchiveTest, WithoutTheTsaTheArchiveIsWrittenAndItsTokenFetchedNextRun) {
  spread(2);
  clock_.advance(kDay * 31);
  tsa_down_ = true;
  auto run = archiver(options())->run_once();
  ASSERT_TRUE(run.is_ok()) << run.status().to_string();
  EXPECT_EQ(run->written.size(), 1u);
  EXPECT_EQ(run->deferred.size(), 1u);
  EvidenceReport report = verify_dir(options().directory);
  ASSERT_TRUE(failed(report, "archive-000001.zip", "token"));
  EXPECT_NE(find_check(report, "archive-000001.zip", "token")->detail.find("not been obtained yet"), std::string::npos);

  tsa_down_ = false;
  run = archiver(options())->run_once();
  ASSERT_TRUE(run.is_ok()) << run.status().to_string();
  EXPECT_EQ(run->stamped, std::vector<std::string>{"archive-000001.tst"});
  report = verify_dir(options().directory);
  EXPECT_TRUE(archives_valid(report)) << format_report(report);
}

TEST_F(ArchiveTest, ACrashBeforeDeletionIsFinishedWithoutADuplicateAndTheChainContinues) {
  spread(4);  // 8 records
  clock_.advance(kDay * 31);
  ArchiveOptions o = options();
  // The state a crash after the archive was recorded leaves: written, verified, remembered, no
  // record gone yet (a transfer that fails stops at exactly that point).
  o.transfer_command = {"false"};
  ASSERT_TRUE(archiver(o)->run_once().is_ok());
  ASSERT_EQ(reg_->stats().records, 8);
  // ... and a crash in the middle of the deletions: one batch of three went.
  ASSERT_EQ(*reg_->delete_archived(1, 3), 3);

  // A restart: the register opens, its live chain starts after record 3.
  stamper_.reset();
  reg_.reset();
  reg_ = must(QueryRegister::open(dir_.file("register.db"), clock_));
  stamper_ = std::make_unique<Timestamper>(*reg_, clock_, [this](std::string_view root) { return stamp(root); });
  auto chain = reg_->verify_chain();
  ASSERT_TRUE(chain.is_ok());
  EXPECT_TRUE(chain->ok) << chain->problem;
  EXPECT_EQ(chain->records, 5);

  o.transfer_command.clear();
  auto run = archiver(o)->run_once();
  ASSERT_TRUE(run.is_ok()) << run.status().to_string();
  EXPECT_TRUE(run->written.empty());  // no duplicate of archive 1
  EXPECT_EQ(run->records_deleted, 5);
  EXPECT_EQ(reg_->stats().records, 0);
  EXPECT_EQ(files(o.directory), (std::vector<std::string>{"archive-000001.tst", "archive-000001.zip"}));

  // A crash after writing the next file but before it was recorded: the file is an orphan. (The
  // OCSP responder's certificate lasts 30 days: a new one, in a new configuration.)
  responder_ = pki_.issue(ca::Profile::kOcspResponder, "CEIQROO OCSP 2");
  ASSERT_TRUE(reg_->keep_configuration(configuration(2)));
  spread(2, "later");
  clock_.advance(kDay * 31);
  auto orphan = must(build_archive(*reg_, o, 2, std::string(32, '\0'), clock_.now()));
  ASSERT_TRUE(orphan.has_value());
  ASSERT_TRUE(write_file_atomic((fs::path(o.directory) / "archive-000002.zip").string(), orphan->bytes));
  run = archiver(o)->run_once();
  ASSERT_TRUE(run.is_ok()) << run.status().to_string();
  EXPECT_EQ(run->written, std::vector<std::string>{"archive-000002.zip"});
  EXPECT_EQ(run->records_deleted, 4);
  const EvidenceReport report = verify_dir(o.directory);
  EXPECT_TRUE(archives_valid(report)) << format_report(report);
  EXPECT_EQ(report.seqs.size(), 12u);
}

TEST_F(ArchiveTest, AFailingTransferKeepsTheRecordsLiveAndIsRetried) {
  spread(2);
  clock_.advance(kDay * 31);
  ArchiveOptions o = options();
  o.transfer_command = {"false"};
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto run = archiver(o)->run_once();
    ASSERT_TRUE(run.is_ok()) << run.status().to_string();
    EXPECT_EQ(run->records_deleted, 0);
    EXPECT_EQ(run->deferred.size(), 1u);
    EXPECT_EQ(reg_->stats().records, 4);
  }
  EXPECT_EQ(files(o.directory).size(), 2u);  // one archive and its token, not one per attempt

  // A transfer that hangs is stopped after its timeout (real time: a child process), and retried.
  o.transfer_command = {"sh", "-c", "sleep 30", "sh"};  // the file's path becomes $1
  o.transfer_timeout = std::chrono::seconds(1);
  const auto started = std::chrono::steady_clock::now();
  auto hung = archiver(o)->run_once();
  ASSERT_TRUE(hung.is_ok()) << hung.status().to_string();
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(20));
  ASSERT_EQ(hung->deferred.size(), 1u);
  EXPECT_NE(hung->deferred[0].find("did not finish within 1 s"), std::string::npos) << hung->deferred[0];
  EXPECT_EQ(reg_->stats().records, 4);

  const std::string taken = dir_.file("auditor");
  fs::create_directories(taken);
  o.transfer_command = {"cp", "-t", taken};
  auto run = archiver(o)->run_once();
  ASSERT_TRUE(run.is_ok()) << run.status().to_string();
  EXPECT_EQ(run->records_deleted, 4);
  EXPECT_EQ(reg_->stats().records, 0);
  EXPECT_EQ(files(taken), std::vector<std::string>{"archive-000001.zip"});
}

TEST_F(ArchiveTest, DecisionsFollowTheirOwnTerm) {
  for (int i = 0; i < 3; ++i) reg_->record_decision({RecordSide::kProvider, kClient, kService, "m" + std::to_string(i),
                                                      "QROO/MUN/BJ/SS1", false, "acl", "no access right"});
  ASSERT_TRUE(reg_->flush());
  clock_.advance(kDay * 10);
  for (int i = 0; i < 2; ++i) reg_->record_decision({RecordSide::kProvider, kClient, kService, "n" + std::to_string(i),
                                                      "QROO/MUN/BJ/SS1", true, "acl", "granted"});
  ASSERT_TRUE(reg_->flush());
  clock_.advance(kDay * 175);  // the first three are 185 days old, the others 175
  ArchiveOptions o = options();
  auto run = archiver(o)->run_once();
  ASSERT_TRUE(run.is_ok()) << run.status().to_string();
  EXPECT_EQ(run->decisions_archived, 3);
  auto left = reg_->decisions(0, 100);
  ASSERT_TRUE(left.is_ok());
  ASSERT_EQ(left->size(), 2u);
  EXPECT_EQ(left->front().decision.message_id, "n0");

  const auto entries = must(read_zip(must(read_file((fs::path(o.directory) / "archive-000001.zip").string()))));
  const ZipEntry* jsonl = find_entry(entries, "decisions.jsonl");
  ASSERT_NE(jsonl, nullptr);
  std::istringstream lines(jsonl->bytes);
  std::vector<Json> decisions;
  for (std::string line; std::getline(lines, line);) decisions.push_back(Json::parse(line));
  ASSERT_EQ(decisions.size(), 3u);
  EXPECT_EQ(decisions[0]["message_id"], "m0");
  EXPECT_EQ(decisions[2]["id"], 3);
  EXPECT_EQ(decisions[1]["allowed"], false);
  EXPECT_EQ(decisions[1]["rule"], "acl");
  const EvidenceReport report = verify_dir(o.directory);
  EXPECT_TRUE(archives_valid(report)) << format_report(report);
  EXPECT_TRUE(find_check(report, "archive-000001.zip", "decisions")->ok);
}

TEST_F(ArchiveTest, EncryptedArchivesChainWithoutTheKeyAndOpenOnlyWithIt) {
  const testing::KeyAndCert auditor = pki_.issue(ca::Profile::kSigning, "Auditoría Interna");
  const testing::KeyAndCert other = pki_.issue(ca::Profile::kSigning, "Otra Persona");
  spread(3);
  clock_.advance(kDay * 31);
  ArchiveOptions o = options();
  o.encrypt_to = {auditor.cert};
  o.max_file_bytes = 1;
  ASSERT_TRUE(archiver(o)->run_once().is_ok());
  const auto stored = must(read_zip(must(read_file((fs::path(o.directory) / "archive-000001.zip").string()))));
  ASSERT_EQ(stored.size(), 3u);  // mimetype, manifest, content.p7m: nothing of a record in the clear
  EXPECT_EQ(stored[2].name, "content.p7m");

  EvidenceReport without_key = verify_dir(o.directory);
  EXPECT_TRUE(archives_valid(without_key)) << format_report(without_key);
  EXPECT_TRUE(without_key.seqs.empty());
  EXPECT_NE(find_check(without_key, "archive-000001.zip", "content")->detail.find("NOT CHECKED"), std::string::npos);

  ArchiveVerifyOptions with_key;
  with_key.decrypt = ArchiveKey{must(crypto::PrivateKey::from_pem(auditor.key.to_pem())), auditor.cert};
  EvidenceReport opened = verify_dir(o.directory, with_key);
  EXPECT_TRUE(archives_valid(opened)) << format_report(opened);
  EXPECT_EQ(opened.seqs.size(), 6u);
  EXPECT_TRUE(find_check(opened, "archive-000002.zip record 2", "request-binding")->ok);

  ArchiveVerifyOptions wrong;
  wrong.decrypt = ArchiveKey{must(crypto::PrivateKey::from_pem(other.key.to_pem())), other.cert};
  EvidenceReport refused = verify_dir(o.directory, wrong);
  EXPECT_FALSE(archives_valid(refused));
  EXPECT_TRUE(failed(refused, "archive-000001.zip", "decryption")) << format_report(refused);
}

}  // namespace
}  // namespace xacbe::ss
