// Checking archive files offline (docs/protocol/query-register.md "Checking an archive directory"):
// each file on its own (zip, manifest, entry digests, content), as the successor of the one before
// (the SHA-256 of its stored bytes, the seq and hash where the records continue), and its token.
// Everything read is hostile until checked; details never quote more than a bounded excerpt.

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "audit/archive.hpp"
#include "audit/archive_check.hpp"
#include "audit/evidence_layout.hpp"
#include "register/register_time.hpp"
#include "xacbe/crypto/cms.hpp"
#include "xacbe/crypto/encoding.hpp"
#include "xacbe/crypto/tsa_client.hpp"
#include "xacbe/file.hpp"
#include "xacbe/utf8.hpp"

namespace xacbe::ss {
namespace {

using Json = nlohmann::json;

constexpr std::size_t kMaxArchiveBytes = std::size_t{4} << 30;  // far above the writer's bound
// Requests kept for binding responses in later files: a response's request is rarely far behind.
constexpr std::size_t kRequestWindow = 100000;

ZipLimits archive_limits() {
  ZipLimits limits;
  limits.max_entries = 1000000;
  limits.max_entry_bytes = std::size_t{1} << 30;
  limits.max_total_bytes = kMaxArchiveBytes;
  return limits;
}

std::optional<std::string> hex32(const Json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || !j[key].is_string()) return std::nullopt;
  auto raw = crypto::from_hex(j[key].get<std::string>());
  if (!raw.is_ok() || raw->size() != 32) return std::nullopt;
  return std::move(raw).value();
}

std::optional<std::int64_t> integer(const Json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || !j[key].is_number_integer()) return std::nullopt;
  return j[key].get<std::int64_t>();
}

std::string short_hex(std::string_view raw) { return crypto::to_hex(raw).substr(0, 16) + "…"; }

class FileCheck {
 public:
  FileCheck(const std::string& name, const ArchiveLink& link, const EvidenceTrust& trust,
            const ArchiveCheckOptions& options, EvidenceReport& report)
      : name_(name), link_(link), trust_(trust), options_(options), report_(report) {}

  ArchiveFacts run(std::string_view stored) {
    auto entries = read_zip(stored, archive_limits());
    if (!entries.is_ok()) {
      add("zip", false, "not a readable zip file: " + entries.status().message());
      return facts_;
    }
    const std::optional<Json> manifest = check_layout(*entries, "manifest");
    if (!manifest) return facts_;
    facts_.readable = true;
    check_link(*manifest);
    if (!manifest->contains("encryption")) {
      check_content(*entries, *manifest);
      return facts_;
    }
    facts_.encrypted = true;
    std::string content;
    if (options_.known_content != nullptr) {
      content = *options_.known_content;
    } else if (options_.decrypt != nullptr && *options_.decrypt) {
      const ZipEntry* sealed = find_entry(*entries, archive::kContentFile);
      auto opened = sealed == nullptr ? Result<std::string>(not_found(std::string(archive::kContentFile) + " is missing"))
                                      : crypto::cms_decrypt(sealed->bytes, (*options_.decrypt)->key,
                                                            (*options_.decrypt)->certificate);
      if (!add("decryption", opened.is_ok(),
               opened.is_ok() ? "content opened with the given key" : opened.status().message())) {
        return facts_;
      }
      content = std::move(opened).value();
    } else {
      add("content", true, "NOT CHECKED: the content is encrypted and no key was given; chain and token checked");
      return facts_;
    }
    auto inner = read_zip(content, archive_limits());
    if (!inner.is_ok()) {
      add("content", false, "the decrypted content is not a readable zip file: " + inner.status().message());
      return facts_;
    }
    const std::optional<Json> inner_manifest = check_layout(*inner, "content-manifest");
    if (!inner_manifest) return facts_;
    bool same = true;
    for (const char* key : {"format", "index", "previous_sha256", "records", "decisions"}) {
      same = same && inner_manifest->contains(key) && (*inner_manifest)[key] == (*manifest)[key];
    }
    add("content-manifest", same,
        same ? "the content's manifest names the same index, predecessor, records and decisions"
             : "the content's manifest does not agree with the file's (content of another archive)");
    check_content(*inner, *inner_manifest);
    return facts_;
  }

 private:
  bool add(const std::string& check, bool ok, const std::string& detail) { return add_for(name_, check, ok, detail); }
  bool add_for(const std::string& subject, const std::string& check, bool ok, const std::string& detail) {
    report_.checks.push_back({subject, check, ok, excerpt(detail, 300)});
    return ok;
  }

  // mimetype first, then a manifest of this format whose list is every other entry with its SHA-256.
  std::optional<Json> check_layout(const std::vector<ZipEntry>& entries, const char* check) {
    const bool mimetype = !entries.empty() && entries.front().name == evidence::kMimetypeFile &&
                          entries.front().bytes == kArchiveMediaType;
    add("mimetype", mimetype, std::string("the first entry is 'mimetype' holding ") + kArchiveMediaType);
    const ZipEntry* file = find_entry(entries, evidence::kManifestFile);
    Json m = file == nullptr ? Json() : Json::parse(file->bytes, nullptr, false);
    if (!m.is_object() || !m.contains("format") || m["format"] != kArchiveFormat || !integer(m, "index") ||
        !hex32(m, "previous_sha256") || !m.contains("files") || !m["files"].is_array()) {
      add(check, false, std::string("no manifest of format ") + kArchiveFormat);
      return std::nullopt;
    }
    std::set<std::string> listed;
    std::vector<std::string> problems;
    for (const Json& f : m["files"]) {
      const auto digest = hex32(f, "sha256");
      if (!f.contains("name") || !f["name"].is_string() || !digest) {
        problems.push_back("a file entry without name and sha256");
        continue;
      }
      const std::string name = f["name"].get<std::string>();
      listed.insert(name);
      const ZipEntry* e = find_entry(entries, name);
      if (e == nullptr) {
        problems.push_back(excerpt(name, 80) + " is listed but missing");
      } else if (crypto::sha256(e->bytes) != *digest) {
        problems.push_back(excerpt(name, 80) + " does not have the listed SHA-256");
      }
    }
    for (const ZipEntry& e : entries) {
      if (e.name != evidence::kMimetypeFile && e.name != evidence::kManifestFile && !listed.count(e.name)) {
        problems.push_back(excerpt(e.name, 80) + " is not listed");
      }
    }
    std::string detail = problems.empty() ? std::to_string(listed.size()) + " entries listed, each with its SHA-256"
                                          : problems.front();
    if (problems.size() > 1) detail += " (and " + std::to_string(problems.size() - 1) + " more)";
    add(check, problems.empty(), detail);
    return m;
  }

  // Its place in the chain: the index its name says, the predecessor's digest, and where its
  // records continue.
  void check_link(const Json& m) {
    const std::int64_t index = *integer(m, "index");
    add("index", index == link_.index,
        index == link_.index ? "holds archive " + std::to_string(index)
                             : "holds archive " + std::to_string(index) + ", not " + std::to_string(link_.index) +
                                   " as its name says (renamed or swapped)");
    const std::string previous = *hex32(m, "previous_sha256");
    if (link_.previous_sha256.empty()) {
      add("chain-link", false, "cannot be checked: archive " + std::to_string(link_.index - 1) + " is missing");
    } else {
      const bool linked = previous == link_.previous_sha256;
      add("chain-link", linked,
          linked ? (link_.index == 1 ? std::string("the first archive (previous digest all zeros)")
                                     : "names the SHA-256 " + short_hex(previous) + " of archive " +
                                           std::to_string(link_.index - 1) + " as stored")
                 : "names " + short_hex(previous) + " as archive " + std::to_string(link_.index - 1) +
                       "'s SHA-256, but that file's is " + short_hex(link_.previous_sha256) +
                       " (a file was replaced, reordered or altered)");
    }
    const Json& records = m.contains("records") ? m["records"] : Json();
    if (records.is_null()) return;
    const auto first = integer(records, "first_seq"), last = integer(records, "last_seq"),
               count = integer(records, "count");
    const auto first_prev = hex32(records, "first_prev_hash"), last_hash = hex32(records, "last_hash");
    if (!first || !last || !count || !first_prev || !last_hash || *first < 1 || *last < *first ||
        *count != *last - *first + 1) {
      add("records", false, "the manifest's record range is malformed");
      return;
    }
    facts_.first_seq = first;
    facts_.last_seq = last;
    facts_.last_hash = *last_hash;
    first_prev_hash_ = *first_prev;
    if (!link_.next_seq) {
      add("seq-continuity", false, "cannot be checked: the records before are unknown");
      return;
    }
    const bool continues = *first == *link_.next_seq && *first_prev == link_.next_prev_hash;
    add("seq-continuity", continues,
        continues ? "records " + std::to_string(*first) + ".." + std::to_string(*last) + " continue the chain after " +
                        short_hex(*first_prev)
                  : "its records start at " + std::to_string(*first) + " after " + short_hex(*first_prev) +
                        "; the chain continues at " + std::to_string(*link_.next_seq) + " after " +
                        short_hex(link_.next_prev_hash) + " (records missing or reordered)");
  }

  // The records and decisions of a readable content, against its manifest.
  void check_content(const std::vector<ZipEntry>& entries, const Json& m) {
    facts_.content_checked = true;
    std::map<std::int64_t, Json> records;
    for (const ZipEntry& e : entries) {
      if (e.name.rfind("records/", 0) != 0) continue;
      const auto slash = e.name.find('/', 8);
      const std::string file = slash == std::string::npos ? "" : e.name.substr(slash + 1);
      if (file != evidence::kRecordFile) continue;
      Json j = Json::parse(e.bytes, nullptr, false);
      if (const auto seq = integer(j, "seq")) records[*seq] = std::move(j);
    }
    if (facts_.first_seq) {
      std::string problem;
      std::int64_t expected = *facts_.first_seq;
      std::string prev = first_prev_hash_;
      for (const auto& [seq, j] : records) {
        if (seq != expected) {
          problem = "record " + std::to_string(expected) + " is missing";
          break;
        }
        if (hex32(j, "prev_hash") != prev) {
          problem = "record " + std::to_string(seq) + "'s prev_hash is not the hash of the record before";
          break;
        }
        prev = hex32(j, "hash").value_or("");
        ++expected;
      }
      if (problem.empty() && expected != *facts_.last_seq + 1) {
        problem = "the records end at " + std::to_string(expected - 1) + ", not at " + std::to_string(*facts_.last_seq);
      }
      if (problem.empty() && prev != facts_.last_hash) problem = "the last record's hash is not the manifest's";
      add("records", problem.empty(),
          problem.empty() ? std::to_string(records.size()) + " records, each linked to the one before" : problem);
    } else if (!records.empty()) {
      add("records", false, "holds records its manifest does not name");
    }
    check_decisions(entries, m);
    if (records.empty()) return;
    EvidenceOptions evidence;
    evidence.container_files = false;
    evidence.earlier_requests = options_.earlier_requests;
    evidence.requests_may_precede = options_.requests_may_precede;
    EvidenceReport inner = verify_evidence(entries, trust_, evidence);
    for (EvidenceCheck& c : inner.checks) {
      c.subject = name_ + " " + c.subject;
      report_.checks.push_back(std::move(c));
    }
    report_.seqs.insert(report_.seqs.end(), inner.seqs.begin(), inner.seqs.end());
    report_.requests.insert(report_.requests.end(), inner.requests.begin(), inner.requests.end());
  }

  void check_decisions(const std::vector<ZipEntry>& entries, const Json& m) {
    const ZipEntry* file = find_entry(entries, archive::kDecisionsFile);
    const Json& listed = m.contains("decisions") ? m["decisions"] : Json();
    if (listed.is_null()) {
      if (file != nullptr) add("decisions", false, "holds decisions its manifest does not name");
      return;
    }
    const auto count = integer(listed, "count"), first = integer(listed, "first_id"), last = integer(listed, "last_id");
    if (file == nullptr || !count || !first || !last) {
      add("decisions", false, "decisions.jsonl or the manifest's account of it is missing");
      return;
    }
    std::int64_t lines = 0, previous = 0;
    std::string problem;
    std::size_t from = 0;
    while (problem.empty() && from < file->bytes.size()) {
      const std::size_t end = file->bytes.find('\n', from);
      if (end == std::string::npos) {
        problem = "the last line is not terminated";
        break;
      }
      const Json d = Json::parse(file->bytes.substr(from, end - from), nullptr, false);
      const auto id = integer(d, "id");
      if (!id || !integer(d, "at_ms") || !d.contains("allowed") || !d["allowed"].is_boolean()) {
        problem = "line " + std::to_string(lines + 1) + " is not a decision";
      } else if (*id <= previous || (lines == 0 && *id != *first)) {
        problem = "line " + std::to_string(lines + 1) + " is out of order";
      }
      previous = id.value_or(0);
      ++lines;
      from = end + 1;
    }
    if (problem.empty() && (lines != *count || previous != *last)) {
      problem = std::to_string(lines) + " decisions, not the " + std::to_string(*count) + " the manifest names";
    }
    add("decisions", problem.empty(),
        problem.empty() ? std::to_string(lines) + " decisions, ids " + std::to_string(*first) + ".." + std::to_string(*last)
                        : problem);
  }

  const std::string& name_;
  const ArchiveLink& link_;
  const EvidenceTrust& trust_;
  const ArchiveCheckOptions& options_;
  EvidenceReport& report_;
  ArchiveFacts facts_;
  std::string first_prev_hash_;
};

}  // namespace

ArchiveFacts check_archive_file(const std::string& name, std::string_view stored, const ArchiveLink& link,
                                const EvidenceTrust& trust, const ArchiveCheckOptions& options,
                                EvidenceReport& report) {
  return FileCheck(name, link, trust, options, report).run(stored);
}

bool archives_valid(const EvidenceReport& report) {
  if (report.checks.empty()) return false;
  for (const EvidenceCheck& c : report.checks) {
    if (!c.ok) return false;
  }
  return true;
}

Result<EvidenceReport> verify_archive_directory(const std::string& dir, const EvidenceTrust& trust,
                                                const ArchiveVerifyOptions& options) {
  std::map<std::int64_t, std::string> files;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (auto index = archive::index_of(name)) files[*index] = name;
  }
  if (ec) return invalid_argument("cannot list the archive directory " + excerpt(dir, 200) + ": " + ec.message());
  EvidenceReport report;
  if (files.empty()) {
    report.checks.push_back({"directory", "archives", false, "no archive file (archive-NNNNNN.zip) in the directory"});
    return report;
  }
  const std::int64_t head = files.rbegin()->first;
  ArchiveLink link;
  link.previous_sha256 = std::string(32, '\0');
  link.next_seq = 1;
  link.next_prev_hash = std::string(32, '\0');
  std::optional<std::chrono::sys_seconds> previous_time;
  std::vector<VerifiedRequest> requests;
  for (std::int64_t index = 1; index <= head; ++index) {
    const std::string name = archive::file_name(index);
    link.index = index;
    if (!files.count(index)) {
      report.checks.push_back({name, "present", false, "missing: the chain has a gap (a file was deleted or renamed)"});
      link.previous_sha256.clear();
      link.next_seq.reset();
      continue;
    }
    auto stored = read_file((std::filesystem::path(dir) / name).string(), kMaxArchiveBytes);
    if (!stored.is_ok()) {
      report.checks.push_back({name, "present", false, stored.status().message()});
      link.previous_sha256.clear();
      link.next_seq.reset();
      continue;
    }
    const std::string digest = crypto::sha256(*stored);
    ArchiveCheckOptions check;
    check.decrypt = &options.decrypt;
    check.earlier_requests = &requests;
    const std::size_t before = report.requests.size();
    const ArchiveFacts facts = check_archive_file(name, *stored, link, trust, check, report);
    requests.insert(requests.end(), report.requests.begin() + static_cast<std::ptrdiff_t>(before), report.requests.end());
    if (requests.size() > kRequestWindow) requests.erase(requests.begin(), requests.end() - kRequestWindow / 2);

    // The token over the stored bytes: a rewritten file no longer matches it.
    const std::string token_name = archive::token_name(index);
    auto token = read_file((std::filesystem::path(dir) / token_name).string(), 1 << 20);
    if (!token.is_ok()) {
      report.checks.push_back(
          {name, "token",  false,
           index == head ? token_name + " is missing: the head's token has not been obtained yet (the TSA was unreachable"
                                        " when it was written; the archiver's next run asks again), or it was removed"
                         : token_name + " is missing (removed): nothing fixes this file's bytes in time"});
    } else {
      auto tsa = crypto::timestamp_token_certificate(*token);
      auto stamped = tsa.is_ok() ? crypto::verify_timestamp_token(*token, digest, *tsa, {trust.ca})
                                 : Result<crypto::TimestampToken>(tsa.status());
      bool ok = stamped.is_ok();
      std::string detail = ok ? "RFC 3161 token of " + tsa->subject() + " over the file's SHA-256, genTime " +
                                    to_iso8601_utc(stamped->gen_time)
                              : token_name + ": " + stamped.status().message();
      if (ok && previous_time && stamped->gen_time < *previous_time) {
        ok = false;
        detail += ", earlier than archive " + std::to_string(index - 1) + "'s token (files reordered)";
      }
      if (ok) previous_time = stamped->gen_time;
      report.checks.push_back({name, "token", ok, excerpt(detail, 300)});
    }

    link.previous_sha256 = digest;
    if (!facts.readable) {
      link.next_seq.reset();
    } else if (facts.last_seq) {
      link.next_seq = *facts.last_seq + 1;
      link.next_prev_hash = facts.last_hash;
    }
  }
  return report;
}

}  // namespace xacbe::ss
