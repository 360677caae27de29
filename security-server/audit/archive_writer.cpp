// Building one archive file (docs/protocol/query-register.md "Retention and archives", "Archive
// file layout"): the due decisions, then the oldest live records while the file stays under its
// bound, with the manifest that links it to its predecessor; encrypted to the auditors when set.

#include <cstdio>
#include <nlohmann/json.hpp>
#include <set>

#include "audit/archive.hpp"
#include "audit/archive_writer.hpp"
#include "audit/evidence_layout.hpp"
#include "register/register_time.hpp"
#include "xacbe/crypto/cms.hpp"
#include "xacbe/crypto/encoding.hpp"

namespace xacbe::ss {

namespace archive {

std::string file_name(std::int64_t index) {
  char name[48];
  std::snprintf(name, sizeof name, "archive-%06lld.zip", static_cast<long long>(index));
  return name;
}

std::string token_name(std::int64_t index) {
  char name[48];
  std::snprintf(name, sizeof name, "archive-%06lld.tst", static_cast<long long>(index));
  return name;
}

std::optional<std::int64_t> index_of(const std::string& name) {
  constexpr std::string_view prefix = "archive-", suffix = ".zip";
  if (name.size() < prefix.size() + 6 + suffix.size() || name.rfind(prefix, 0) != 0 ||
      name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0) {
    return std::nullopt;
  }
  const std::string digits = name.substr(prefix.size(), name.size() - prefix.size() - suffix.size());
  if (digits.size() > 15 || digits.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
  const std::int64_t index = std::stoll(digits);
  if (index < 1 || file_name(index) != name) return std::nullopt;  // one spelling per index
  return index;
}

}  // namespace archive

namespace {

using Json = nlohmann::ordered_json;

Json decision_line(const StoredDecision& s) {
  const Decision& d = s.decision;
  return {{"id", s.id},         {"at_ms", to_unix_millis(s.at)}, {"side", side_name(d.side)},
          {"client", d.client}, {"service", d.service},          {"message_id", d.message_id},
          {"peer", d.peer},     {"allowed", d.allowed},          {"rule", d.rule},
          {"reason", d.reason}, {"represented_party", d.represented_party}};
}

Json listing(const std::vector<ZipEntry>& files) {
  Json out = Json::array();
  for (const ZipEntry& e : files) out.push_back({{"name", e.name}, {"sha256", crypto::to_hex(crypto::sha256(e.bytes))}});
  return out;
}

}  // namespace

Result<std::optional<BuiltArchive>> build_archive(const QueryRegister& reg, const ArchiveOptions& options,
                                                  std::int64_t index, const std::string& previous_sha256,
                                                  TimePoint now) {
  const TimePoint cutoff = now - options.retention;
  const TimePoint decision_cutoff = now - options.decision_retention;
  BuiltArchive out;
  out.entry.index = index;
  out.entry.file = archive::file_name(index);
  std::vector<ZipEntry> files;
  std::set<std::string> names;
  std::size_t bytes = 0;

  // The decisions past their term, oldest first, up to the first one still inside it: a
  // contiguous run of ids, so that the register can take out exactly "id <= last" later.
  std::string jsonl;
  std::int64_t first_decision = 0;
  bool more = true;
  for (std::int64_t after = 0; more;) {
    XACBE_ASSIGN_OR_RETURN(std::vector<StoredDecision> page, reg.decisions(after, 1000));
    for (const StoredDecision& d : page) {
      const std::string line = decision_line(d).dump() + "\n";
      if (d.at >= decision_cutoff || (out.entry.decisions > 0 && bytes + line.size() > options.max_file_bytes)) {
        more = false;
        break;
      }
      jsonl += line;
      bytes += line.size();
      if (out.entry.decisions++ == 0) first_decision = d.id;
      out.entry.decisions_through = d.id;
      after = d.id;
    }
    if (page.size() < 1000) more = false;
  }
  if (out.entry.decisions > 0) {
    files.push_back({archive::kDecisionsFile, std::move(jsonl)});
    names.insert(archive::kDecisionsFile);
  }

  // The records past their term and timestamped, from where the live chain starts, in seq order.
  XACBE_ASSIGN_OR_RETURN(ChainStart start, reg.chain_start());
  out.first_prev_hash = start.prev_hash;
  std::int64_t count = 0;
  more = true;
  for (std::int64_t after = start.seq - 1; more;) {
    RecordFilter filter;
    filter.after_seq = after;
    filter.limit = 100;
    filter.with_bodies = true;
    XACBE_ASSIGN_OR_RETURN(std::vector<Record> page, reg.find(filter));
    for (const Record& r : page) {
      if (r.created_at >= cutoff || !r.batch_id) {
        more = false;
        break;
      }
      const std::int64_t expected = count == 0 ? start.seq : *out.entry.last_seq + 1;
      const std::string& prev = count == 0 ? start.prev_hash : out.entry.last_hash;
      if (r.seq != expected || r.prev_hash != prev) {
        return Status(Code::kCorrupt, "the live chain does not continue at record " + std::to_string(expected) +
                                          ": nothing more is archived until verify_chain passes");
      }
      XACBE_ASSIGN_OR_RETURN(std::vector<ZipEntry> evidence, record_evidence(reg, r));
      std::size_t size = 0;
      for (const ZipEntry& e : evidence) size += names.count(e.name) ? 0 : e.bytes.size();
      if (count > 0 && bytes + size > options.max_file_bytes) {
        more = false;
        break;
      }
      for (ZipEntry& e : evidence) {
        if (names.insert(e.name).second) files.push_back(std::move(e));  // a configuration once per file
      }
      bytes += size;
      if (count++ == 0) out.entry.first_seq = r.seq;
      out.entry.last_seq = r.seq;
      out.entry.last_hash = r.hash;
      after = r.seq;
    }
    if (page.size() < static_cast<std::size_t>(filter.limit)) more = false;
  }
  if (count == 0 && out.entry.decisions == 0) return std::optional<BuiltArchive>();

  Json manifest = {{"format", kArchiveFormat},
                   {"index", index},
                   {"previous_sha256", crypto::to_hex(previous_sha256)},
                   {"server", options.server},
                   {"created_at", to_iso8601_utc(now)}};
  manifest["records"] = count == 0 ? Json(nullptr)
                                   : Json{{"count", count},
                                          {"first_seq", *out.entry.first_seq},
                                          {"last_seq", *out.entry.last_seq},
                                          {"first_prev_hash", crypto::to_hex(start.prev_hash)},
                                          {"last_hash", crypto::to_hex(out.entry.last_hash)}};
  manifest["decisions"] = out.entry.decisions == 0 ? Json(nullptr)
                                                   : Json{{"count", out.entry.decisions},
                                                          {"first_id", first_decision},
                                                          {"last_id", out.entry.decisions_through}};
  const auto mtime = to_sys_seconds(now);
  Json content_manifest = manifest;
  content_manifest["files"] = listing(files);
  std::vector<ZipEntry> content{{evidence::kMimetypeFile, kArchiveMediaType},
                                {evidence::kManifestFile, content_manifest.dump(2) + "\n"}};
  for (ZipEntry& e : files) content.push_back(std::move(e));
  XACBE_ASSIGN_OR_RETURN(out.content_zip, write_zip(content, mtime));
  if (options.encrypt_to.empty()) {
    out.bytes = out.content_zip;
  } else {
    // The chain and the token cover the stored bytes: anyone can check them without a key.
    XACBE_ASSIGN_OR_RETURN(std::string sealed, crypto::cms_encrypt(out.content_zip, options.encrypt_to));
    Json recipients = Json::array();
    for (const crypto::Certificate& c : options.encrypt_to) recipients.push_back(c.sha256_fingerprint());
    std::vector<ZipEntry> outer_files{{archive::kContentFile, std::move(sealed)}};
    Json outer = manifest;
    outer["encryption"] = {{"scheme", "cms-auth-enveloped-aes-256-gcm"}, {"recipients", std::move(recipients)}};
    outer["files"] = listing(outer_files);
    std::vector<ZipEntry> stored{{evidence::kMimetypeFile, kArchiveMediaType},
                                 {evidence::kManifestFile, outer.dump(2) + "\n"},
                                 std::move(outer_files.front())};
    XACBE_ASSIGN_OR_RETURN(out.bytes, write_zip(stored, mtime));
  }
  out.entry.sha256 = crypto::sha256(out.bytes);
  out.entry.written_at = now;
  return std::optional<BuiltArchive>(std::move(out));
}

}  // namespace xacbe::ss
