#pragma once
// Retention and archives of the query register (docs/protocol/query-register.md "Retention and
// archives"). Records older than the retention term, once timestamped, are written into archive
// zip files of bounded size, each holding its records' evidence (record_evidence) and the
// configurations they name; decisions older than their own term go along as decisions.jsonl.
// The files form a chain: archive n's manifest names the SHA-256 of archive n-1 as stored, and an
// RFC 3161 token over archive n (archive-<n>.tst) fixes the head, so a rewritten file no longer
// matches its token or its successor's manifest. Only once a file is written, read back, verified
// and (when so set) handed to the transfer command do its records leave the live store.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "audit/evidence_container.hpp"
#include "register/query_register.hpp"
#include "register/timestamper.hpp"
#include "xacbe/clock.hpp"
#include "xacbe/crypto/certificate.hpp"
#include "xacbe/crypto/key.hpp"
#include "xacbe/result.hpp"

namespace xacbe::ss {

inline constexpr const char* kArchiveMediaType = "application/vnd.xacbe.archive+zip";
inline constexpr const char* kArchiveFormat = "xacbe-archive/1";

namespace archive {
inline constexpr const char* kDecisionsFile = "decisions.jsonl";
// An encrypted archive holds its content, a zip of the same layout, in this CMS entry.
inline constexpr const char* kContentFile = "content.p7m";
// archive-000001.zip, and its token archive-000001.tst.
std::string file_name(std::int64_t index);
std::string token_name(std::int64_t index);
// The index of an archive file's name; nullopt for any other name.
std::optional<std::int64_t> index_of(const std::string& name);
}  // namespace archive

struct ArchiveOptions {
  std::string directory;
  std::chrono::seconds retention = std::chrono::hours(24 * 30);
  std::chrono::seconds decision_retention = std::chrono::hours(24 * 180);
  // The bytes of the entries of one file; a file holds at least one record however large.
  std::size_t max_file_bytes = std::size_t{64} << 20;
  // Run with the file's path as its one further argument, no shell; exit status 0 = handed over.
  std::vector<std::string> transfer_command;
  // A transfer that has not finished after this long is stopped (SIGKILL) and tried again next run.
  std::chrono::seconds transfer_timeout{600};
  // Auditors' certificates: when given, each file's content is encrypted to them.
  std::vector<crypto::Certificate> encrypt_to;
  std::size_t delete_batch = 500;  // records per deletion transaction
  std::string server;              // this server's id, for the manifest
};

// What one run did, for the log.
struct ArchiveRun {
  std::vector<std::string> written;  // file names, in index order
  std::int64_t records_archived = 0;
  std::int64_t decisions_archived = 0;
  std::int64_t records_deleted = 0;
  std::vector<std::string> stamped;   // tokens obtained
  std::vector<std::string> deferred;  // what waits for the next run (TSA down, transfer failed), with why
};

class Archiver {
 public:
  // `reg` and `clock` must outlive the archiver. `trust` is what the archiver checks each file it
  // wrote against before any record leaves (the CA of the configuration anchor).
  static Result<std::unique_ptr<Archiver>> create(QueryRegister& reg, const Clock& clock, TsaFunction tsa,
                                                  EvidenceTrust trust, ArchiveOptions options);

  // Finishes what an earlier run left (a token, a transfer, deletions), then archives everything
  // due, file after file. Returns the first failure; what was done before it stays done, and
  // nothing that is not in a verified archive has left the live store. Serialised.
  Result<ArchiveRun> run_once();

  const ArchiveOptions& options() const { return options_; }

  // Asks a run in progress, and every later one, to stop at the next file or deletion batch: what
  // is done stays done, and the next start resumes from there (the steps are resumable). For a
  // server that is stopping.
  void request_stop() { stop_requested_ = true; }

 private:
  Archiver(QueryRegister& reg, const Clock& clock, TsaFunction tsa, EvidenceTrust trust, ArchiveOptions options)
      : reg_(reg), clock_(clock), tsa_(std::move(tsa)), trust_(std::move(trust)), options_(std::move(options)) {}

  Result<bool> finish(const ArchiveEntry& entry, ArchiveRun& run);
  Status remove_orphans(std::int64_t last_index);
  Status check_stored(const ArchiveEntry& entry) const;
  void stamp(std::int64_t index, const std::string& sha256, ArchiveRun& run);
  Result<bool> archive_next(ArchiveRun& run);
  Status transfer(const std::string& path) const;
  std::string path(const std::string& name) const;

  QueryRegister& reg_;
  const Clock& clock_;
  const TsaFunction tsa_;
  const EvidenceTrust trust_;
  const ArchiveOptions options_;
  std::mutex run_mu_;  // held by a run
  std::atomic<bool> stop_requested_{false};
};

// --- the auditor's check (xacbe verify --archive) ---

// The key of one auditor the content of encrypted archives was encrypted to.
struct ArchiveKey {
  crypto::PrivateKey key;
  crypto::Certificate certificate;
};

struct ArchiveVerifyOptions {
  std::optional<ArchiveKey> decrypt;  // without it, the content of encrypted files is reported unchecked
};

// Every archive file of `dir` in index order: no gap in the indexes, each file's manifest and
// entry digests, its link to its predecessor (the SHA-256 of the stored bytes), its token (a head
// without one fails with its reason), seq continuity across files, and each record's evidence
// (verify_evidence, a response bound to its request in an earlier file). Each check names its
// file as subject. kInvalidArgument only when `dir` cannot be listed.
Result<EvidenceReport> verify_archive_directory(const std::string& dir, const EvidenceTrust& trust,
                                                const ArchiveVerifyOptions& options = {});

// Every check of an archive report passed (an archive may hold decisions only, so unlike
// EvidenceReport::valid() no record is needed).
bool archives_valid(const EvidenceReport& report);

}  // namespace xacbe::ss
