// The archiver's run (docs/protocol/query-register.md "Retention and archives", "Deletion and
// crash safety").
//
// Why a crash at any point loses nothing. The steps of one archive n are, in this order:
//   1. write archive-n.zip (temporary file, fsync, rename, fsync of the directory);
//   2. read it back and verify it (entries, chain link, seq continuity, each record's evidence);
//   3. remember it in the register (archives row n, with its SHA-256), one transaction;
//   4. ask for its token (archive-n.tst); a failure is retried by later runs;
//   5. hand it to the transfer command, when set, and remember that it was taken;
//   6. delete its records, at most delete_batch per transaction, lowest seq first, each
//      transaction moving the live chain's start with them; then its decisions, and mark it done.
// A record leaves only in step 6, and only when row n exists, which step 3 writes only after the
// file was durable and verified; step 6 refuses unless the file still has the recorded digest.
// A crash before 3 leaves a file no row names: the next run removes it and writes archive n
// again from the records, all still live (no duplicate, and it was never handed over). A crash
// after 3 leaves row n not done: the next run checks the file against the row, then resumes at
// 4, 5 or 6; nothing new is archived before it is done, so archive n+1 continues from n.

#include "audit/archive.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <set>
#include <thread>

#include "audit/archive_check.hpp"
#include "audit/archive_writer.hpp"
#include "xacbe/crypto/encoding.hpp"
#include "xacbe/file.hpp"
#include "xacbe/log/log.hpp"

extern char** environ;

namespace xacbe::ss {
namespace {

constexpr std::size_t kMaxStoredBytes = std::size_t{4} << 30;

}  // namespace

Result<std::unique_ptr<Archiver>> Archiver::create(QueryRegister& reg, const Clock& clock, TsaFunction tsa,
                                                   EvidenceTrust trust, ArchiveOptions options) {
  if (options.directory.empty()) return invalid_argument("the archive directory is not set");
  if (options.retention <= std::chrono::seconds(0) || options.decision_retention <= std::chrono::seconds(0)) {
    return invalid_argument("retention terms must be positive");
  }
  if (options.max_file_bytes == 0 || options.delete_batch == 0) {
    return invalid_argument("the archive file bound and the deletion batch must be positive");
  }
  std::error_code ec;
  std::filesystem::create_directories(options.directory, ec);
  if (ec) return invalid_argument("cannot create the archive directory " + options.directory + ": " + ec.message());
  return std::unique_ptr<Archiver>(new Archiver(reg, clock, std::move(tsa), std::move(trust), std::move(options)));
}

std::string Archiver::path(const std::string& name) const {
  return (std::filesystem::path(options_.directory) / name).string();
}

Result<ArchiveRun> Archiver::run_once() {
  std::lock_guard lock(run_mu_);
  ArchiveRun run;
  XACBE_ASSIGN_OR_RETURN(std::vector<ArchiveEntry> pending, reg_.pending_archives());
  for (const ArchiveEntry& a : pending) {
    XACBE_ASSIGN_OR_RETURN(bool finished, finish(a, run));
    if (!finished) return run;  // the transfer failed: its records stay live, and later files wait
  }
  XACBE_ASSIGN_OR_RETURN(std::optional<ArchiveEntry> last, reg_.last_archive());
  XACBE_RETURN_IF_ERROR(remove_orphans(last ? last->index : 0));
  if (last && !std::filesystem::exists(path(archive::token_name(last->index)))) {
    XACBE_RETURN_IF_ERROR(check_stored(*last));  // a token fixes only what the register recorded
    stamp(last->index, last->sha256, run);
  }
  while (!stop_requested_) {
    XACBE_ASSIGN_OR_RETURN(bool more, archive_next(run));
    if (!more) break;
  }
  return run;
}

Status Archiver::check_stored(const ArchiveEntry& a) const {
  auto stored = read_file(path(a.file), kMaxStoredBytes);
  if (!stored.is_ok()) {
    return Status(Code::kCorrupt, a.file + ", which the register recorded, cannot be read (" +
                                      stored.status().message() + "): its records stay live");
  }
  if (crypto::sha256(*stored) != a.sha256) {
    return Status(Code::kCorrupt, a.file + " no longer has the SHA-256 the register recorded when it was written:"
                                           " the archive directory was altered; its records stay live");
  }
  return Status::ok();
}

// Steps 4 to 6 of archive `a` (the comment at the top); false when the transfer failed or a stop
// was requested.
Result<bool> Archiver::finish(const ArchiveEntry& a, ArchiveRun& run) {
  XACBE_RETURN_IF_ERROR(check_stored(a));
  if (!std::filesystem::exists(path(archive::token_name(a.index)))) stamp(a.index, a.sha256, run);
  if (!options_.transfer_command.empty() && !a.transferred) {
    if (Status taken = transfer(path(a.file)); !taken.is_ok()) {
      run.deferred.push_back(a.file + ": not handed over, its records stay live until it is: " + taken.message());
      log::warn("archive: {} was not handed over: {}", a.file, taken.message());
      return false;
    }
    XACBE_RETURN_IF_ERROR(reg_.mark_archive_transferred(a.index));
  }
  for (;;) {
    // A stop leaves the rest of the deletion to the next run, which finishes it first.
    if (stop_requested_) return false;
    XACBE_ASSIGN_OR_RETURN(std::int64_t removed, reg_.delete_archived(a.index, options_.delete_batch));
    if (removed == 0) break;
    run.records_deleted += removed;
  }
  return true;
}

// Files no row names were written by a run that stopped before step 3: never handed over, and
// their records are all live. They go, so that the next archive takes their index.
Status Archiver::remove_orphans(std::int64_t last_index) {
  std::error_code ec;
  std::vector<std::filesystem::path> doomed;
  for (std::filesystem::directory_iterator it(options_.directory, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    const bool temporary = name.rfind("archive-", 0) == 0 && name.size() > 4 && name.ends_with(".tmp");
    std::string stem = name;
    if (stem.ends_with(".tst")) stem = stem.substr(0, stem.size() - 4) + ".zip";
    const auto index = archive::index_of(stem);
    if (temporary || (index && *index > last_index)) doomed.push_back(it->path());
  }
  if (ec) return unavailable("cannot list the archive directory " + options_.directory + ": " + ec.message());
  for (const auto& p : doomed) {
    log::warn("archive: removing {}, left by an interrupted run (its records are still live)", p.filename().string());
    std::filesystem::remove(p, ec);
    if (ec) return unavailable("cannot remove " + p.string() + ": " + ec.message());
  }
  return Status::ok();
}

void Archiver::stamp(std::int64_t index, const std::string& sha256, ArchiveRun& run) {
  const std::string name = archive::token_name(index);
  auto token = tsa_(sha256);
  Status stored = token.is_ok() ? write_file_atomic(path(name), token->token_der, 0640) : token.status();
  if (!stored.is_ok()) {
    run.deferred.push_back(name + ": no token yet (" + stored.message() + "); asked for again at the next run");
    log::warn("archive: no token for {} yet: {}", archive::file_name(index), stored.message());
    return;
  }
  run.stamped.push_back(name);
}

namespace {

// The checks that judge the evidence itself, not whether the file holds the register faithfully: a
// record the register holds as it is (timestamped after its deadline, signed with a stale OCSP
// response) is archived as it is, and the auditor's check reports it. Every other check (the
// file's chain, manifest and seq continuity, each record's chain link, token, Merkle proof,
// configuration and content) must pass before a record may leave.
bool judges_evidence(const std::string& check) {
  static const std::set<std::string> kJudgements = {"e-stamp", "eight-hour-rule", "ocsp-at-signing", "signer",
                                                    "configuration-in-force", "request-binding"};
  return kJudgements.count(check) > 0;
}

// Whether the read-back report shows the file holds the register faithfully; the judgements that
// failed go to `judged`.
bool faithful(const EvidenceReport& report, std::vector<const EvidenceCheck*>& judged) {
  if (report.checks.empty()) return false;
  for (const EvidenceCheck& c : report.checks) {
    if (c.ok) continue;
    if (!judges_evidence(c.check)) return false;
    judged.push_back(&c);
  }
  return true;
}

}  // namespace

// Steps 1 to 6 for the next archive; false when nothing is due (or a transfer failed).
Result<bool> Archiver::archive_next(ArchiveRun& run) {
  XACBE_ASSIGN_OR_RETURN(std::optional<ArchiveEntry> last, reg_.last_archive());
  const std::int64_t index = last ? last->index + 1 : 1;
  const std::string previous = last ? last->sha256 : std::string(32, '\0');
  XACBE_ASSIGN_OR_RETURN(ChainStart start, reg_.chain_start());
  XACBE_ASSIGN_OR_RETURN(std::optional<BuiltArchive> built,
                         build_archive(reg_, options_, index, previous, clock_.now()));
  if (!built) return false;
  const std::string name = built->entry.file;
  XACBE_RETURN_IF_ERROR(write_file_atomic(path(name), built->bytes, 0640));

  // Read back what the disk holds, and check it as an auditor would before anything leaves.
  auto stored = read_file(path(name), kMaxStoredBytes);
  EvidenceReport report;
  if (stored.is_ok()) {
    ArchiveLink link{index, previous, start.seq, start.prev_hash};
    ArchiveCheckOptions check;
    check.known_content = options_.encrypt_to.empty() ? nullptr : &built->content_zip;
    check.requests_may_precede = true;  // bound across files by verify_archive_directory
    check_archive_file(name, *stored, link, trust_, check, report);
  }
  std::vector<const EvidenceCheck*> judged;
  if (!stored.is_ok() || *stored != built->bytes || !faithful(report, judged)) {
    std::error_code ec;
    std::filesystem::remove(path(name), ec);
    std::string why = stored.is_ok() ? "it reads back other than written" : stored.status().message();
    for (const EvidenceCheck& c : report.checks) {
      if (!c.ok) {
        why = c.subject + " " + c.check + ": " + c.detail;
        break;
      }
    }
    return failed_precondition(name + " did not verify after writing, so no record left the live store: " + why);
  }
  for (const EvidenceCheck* c : judged) {
    log::warn("archive: {} keeps {} as the register holds it, whose {} check fails: {}", name, c->subject, c->check,
              c->detail);
  }
  XACBE_RETURN_IF_ERROR(reg_.add_archive(built->entry));
  run.written.push_back(name);
  if (built->entry.last_seq) run.records_archived += *built->entry.last_seq - *built->entry.first_seq + 1;
  run.decisions_archived += built->entry.decisions;
  log::info("archive: wrote {} ({} bytes): records {}, {} decisions", name, built->bytes.size(),
            built->entry.first_seq ? std::to_string(*built->entry.first_seq) + ".." + std::to_string(*built->entry.last_seq)
                                   : std::string("none"),
            built->entry.decisions);
  return finish(built->entry, run);  // its token, the transfer and the deletion
}

// The transfer command with the file's path as its last argument, no shell; exit status 0 only.
Status Archiver::transfer(const std::string& file) const {
  std::vector<std::string> args = options_.transfer_command;
  args.push_back(file);
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  // In a process group of its own, so that a stop reaches whatever the command started.
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attributes, 0);
  pid_t pid = 0;
  const int spawned = posix_spawnp(&pid, argv[0], nullptr, &attributes, argv.data(), environ);
  posix_spawnattr_destroy(&attributes);
  if (const int rc = spawned; rc != 0) {
    return unavailable("cannot start the transfer command " + args.front() + ": " + std::strerror(rc));
  }
  // A command that hangs must not hold the archive thread: past the timeout it is killed, and the
  // hand-over is tried again at the next run. Real time: the child runs in the real world.
  const auto give_up = std::chrono::steady_clock::now() + options_.transfer_timeout;
  int status = 0;
  bool killed = false;
  for (;;) {
    const pid_t done = waitpid(pid, &status, killed ? 0 : WNOHANG);
    if (done == pid) break;
    if (done < 0 && errno != EINTR) {
      return unavailable(std::string("cannot wait for the transfer command: ") + std::strerror(errno));
    }
    if (done == 0 && !killed) {
      if (std::chrono::steady_clock::now() >= give_up) {
        kill(-pid, SIGKILL);
        killed = true;
      } else {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    }
  }
  if (killed) {
    return unavailable("the transfer command " + args.front() + " did not finish within " +
                       std::to_string(options_.transfer_timeout.count()) + " s and was stopped");
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return Status::ok();
  return unavailable("the transfer command " + args.front() +
                     (WIFEXITED(status) ? " exited with status " + std::to_string(WEXITSTATUS(status))
                                        : std::string(" was killed by a signal")));
}

}  // namespace xacbe::ss
