// Checking an evidence container offline (docs/protocol/evidence-container.md "Verification").
// Everything in the container is hostile until a check has passed: sizes are bounded by the zip
// reader, JSON is read strictly, and a detail never quotes more than a bounded excerpt.

#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "audit/evidence_container.hpp"
#include "audit/evidence_layout.hpp"
#include "estamp/estamp.hpp"
#include "estamp/estamp_xml.hpp"
#include "merkle.hpp"
#include "register/record_hash.hpp"
#include "register/register_time.hpp"
#include "xacbe/crypto/encoding.hpp"
#include "xacbe/crypto/tsa_client.hpp"
#include "xacbe/id/identifiers.hpp"
#include "xacbe/utf8.hpp"

namespace xacbe::ss {
namespace {

using Json = nlohmann::json;
using std::chrono::sys_seconds;

// Tolerated difference between the clocks of the signer, the OCSP responder and the TSA.
constexpr std::chrono::seconds kClockSkew{60};
constexpr std::size_t kMaxDetail = 300;

// A URL the anchor's rule accepts; a container checked against the CA alone downloads nothing.
constexpr const char* kNoDownload = "https://evidence.invalid/globalconf";

// A detail on one line: control characters (a hostile field's line break) become '?'.
std::string one_line(std::string text) {
  for (char& c : text) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  }
  return text;
}

std::string short_hex(std::string_view raw) { return crypto::to_hex(raw).substr(0, 16) + "…"; }

class Report {
 public:
  explicit Report(EvidenceReport& out) : out_(out) {}
  bool add(const std::string& subject, const std::string& check, bool ok, const std::string& detail) {
    out_.checks.push_back({subject, check, ok, excerpt(detail, kMaxDetail)});
    return ok;
  }
  bool fail(const std::string& subject, const std::string& check, const std::string& detail) {
    return add(subject, check, false, detail);
  }

 private:
  EvidenceReport& out_;
};

Result<Json> strict_json(const ZipEntry* entry, const char* what) {
  if (entry == nullptr) return not_found(std::string(what) + " is missing");
  Json j = Json::parse(entry->bytes, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return invalid_argument(std::string(what) + " is not a JSON object");
  return j;
}

Result<std::string> hex_field(const Json& j, const char* key, std::size_t bytes) {
  if (!j.contains(key) || !j[key].is_string()) return invalid_argument(std::string("'") + key + "' is missing");
  auto raw = crypto::from_hex(j[key].get<std::string>());
  if (!raw.is_ok() || raw->size() != bytes) {
    return invalid_argument(std::string("'") + key + "' is not " + std::to_string(bytes) + " bytes of hex");
  }
  return std::move(raw).value();
}

Result<std::string> text_field(const Json& j, const char* key) {
  if (!j.contains(key) || !j[key].is_string()) return invalid_argument(std::string("'") + key + "' is missing");
  return j[key].get<std::string>();
}

Result<std::int64_t> int_field(const Json& j, const char* key) {
  if (!j.contains(key) || !j[key].is_number_integer()) return invalid_argument(std::string("'") + key + "' is missing");
  return j[key].get<std::int64_t>();
}

Result<bool> bool_field(const Json& j, const char* key) {
  if (!j.contains(key) || !j[key].is_boolean()) return invalid_argument(std::string("'") + key + "' is missing");
  return j[key].get<bool>();
}

// record.json as the record it describes (heads, bodies and e-stamps come from their files).
struct RecordFile {
  Record record;
  bool body_logged = false;
  std::string configuration;
};

Result<RecordFile> read_record(const Json& j) {
  static const std::set<std::string> keys = {
      "seq",         "created_at_ms", "side",          "kind",         "message_id",       "request_id", "client",
      "service",     "user_id",       "head_sha256",   "body_sha256",  "body_logged",      "estamp_sha256",
      "ocsp_produced_at", "deadline", "prev_hash",     "hash",         "deadline_missed",  "configuration"};
  for (const auto& [key, value] : j.items()) {
    if (!keys.count(key)) return invalid_argument("unknown field '" + excerpt(key, 32) + "'");
  }
  RecordFile f;
  Record& r = f.record;
  XACBE_ASSIGN_OR_RETURN(r.seq, int_field(j, "seq"));
  XACBE_ASSIGN_OR_RETURN(std::int64_t created, int_field(j, "created_at_ms"));
  r.created_at = from_unix_millis(created);
  XACBE_ASSIGN_OR_RETURN(std::string side, text_field(j, "side"));
  XACBE_ASSIGN_OR_RETURN(r.side, parse_side(side));
  XACBE_ASSIGN_OR_RETURN(std::string kind, text_field(j, "kind"));
  XACBE_ASSIGN_OR_RETURN(r.kind, parse_kind(kind));
  XACBE_ASSIGN_OR_RETURN(r.message_id, text_field(j, "message_id"));
  XACBE_ASSIGN_OR_RETURN(r.request_id, text_field(j, "request_id"));
  XACBE_ASSIGN_OR_RETURN(r.client, text_field(j, "client"));
  XACBE_ASSIGN_OR_RETURN(r.service, text_field(j, "service"));
  XACBE_ASSIGN_OR_RETURN(r.user_id, text_field(j, "user_id"));
  XACBE_ASSIGN_OR_RETURN(r.head_sha256, hex_field(j, "head_sha256", 32));
  XACBE_ASSIGN_OR_RETURN(r.body_sha256, hex_field(j, "body_sha256", 32));
  XACBE_ASSIGN_OR_RETURN(f.body_logged, bool_field(j, "body_logged"));
  XACBE_ASSIGN_OR_RETURN(r.estamp_sha256, hex_field(j, "estamp_sha256", 32));
  XACBE_ASSIGN_OR_RETURN(std::int64_t produced, int_field(j, "ocsp_produced_at"));
  r.ocsp_produced_at = sys_seconds(std::chrono::seconds(produced));
  XACBE_ASSIGN_OR_RETURN(std::int64_t deadline, int_field(j, "deadline"));
  r.deadline = sys_seconds(std::chrono::seconds(deadline));
  XACBE_ASSIGN_OR_RETURN(r.prev_hash, hex_field(j, "prev_hash", 32));
  XACBE_ASSIGN_OR_RETURN(r.hash, hex_field(j, "hash", 32));
  XACBE_ASSIGN_OR_RETURN(r.deadline_missed, bool_field(j, "deadline_missed"));
  XACBE_ASSIGN_OR_RETURN(f.configuration, text_field(j, "configuration"));
  return f;
}

struct ProofFile {
  std::int64_t leaf_index = 0, batch_size = 0;
  std::vector<std::string> path;
  std::string root;
};

Result<ProofFile> read_proof(const Json& j) {
  ProofFile p;
  XACBE_ASSIGN_OR_RETURN(p.leaf_index, int_field(j, "leaf_index"));
  XACBE_ASSIGN_OR_RETURN(p.batch_size, int_field(j, "batch_size"));
  XACBE_ASSIGN_OR_RETURN(p.root, hex_field(j, "root", 32));
  if (!j.contains("path") || !j["path"].is_array() || j["path"].size() > 64) {
    return invalid_argument("'path' is not a list of at most 64 hashes");
  }
  for (const Json& h : j["path"]) {
    if (!h.is_string()) return invalid_argument("'path' holds something other than hex hashes");
    auto raw = crypto::from_hex(h.get<std::string>());
    if (!raw.is_ok() || raw->size() != 32) return invalid_argument("'path' holds something other than 32-byte hashes");
    p.path.push_back(std::move(raw).value());
  }
  return p;
}

// The member whose key signs the message: the client's for a request, the provider's for a
// response (docs/protocol/e-stamp.md).
std::optional<std::string> signing_member(const Record& r) {
  if (r.kind == RecordKind::kRequest) {
    auto client = id::ClientId::parse(r.client);
    if (!client.is_ok()) return std::nullopt;
    return client->member().to_string();
  }
  auto service = id::ServiceId::parse(r.service);
  if (!service.is_ok()) return std::nullopt;
  return service->subsystem().member().to_string();
}

class Verifier {
 public:
  Verifier(const std::vector<ZipEntry>& entries, const EvidenceTrust& trust, const EvidenceOptions& options,
           EvidenceReport& out)
      : entries_(entries), trust_(trust), options_(options), out_(out), report_(out) {}

  void run() {
    if (options_.container_files) check_manifest();
    std::set<std::int64_t> seqs;
    for (const ZipEntry& e : entries_) {
      if (e.name.rfind("records/", 0) != 0) continue;
      const std::string rest = e.name.substr(8);
      const auto slash = rest.find('/');
      if (slash == std::string::npos || slash == 0 || slash > 18) continue;
      try {
        std::size_t used = 0;
        const long long seq = std::stoll(rest.substr(0, slash), &used);
        if (used == slash && seq > 0 && std::to_string(seq) == rest.substr(0, slash)) seqs.insert(seq);
      } catch (const std::exception&) {
      }
    }
    if (seqs.empty()) report_.fail("container", "records", "the container holds no record");
    for (std::int64_t seq : seqs) {
      out_.seqs.push_back(seq);
      check_record(seq);
    }
    check_bindings();
  }

 private:
  struct Checked {
    Record record;
    std::optional<StampContent> content;  // what the e-stamp says (its signature is checked apart)
  };

  const ZipEntry* entry(const std::string& name) const { return find_entry(entries_, name); }

  void check_manifest() {
    const ZipEntry* mimetype = entries_.empty() ? nullptr : &entries_.front();
    report_.add("container", "mimetype",
                mimetype != nullptr && mimetype->name == evidence::kMimetypeFile && mimetype->bytes == kEvidenceMediaType,
                std::string("the first entry is 'mimetype' holding ") + kEvidenceMediaType);
    auto manifest = strict_json(entry(evidence::kManifestFile), evidence::kManifestFile);
    if (!manifest.is_ok()) {
      report_.fail("container", "manifest", manifest.status().message());
      return;
    }
    const Json& m = *manifest;
    if (!m.contains("format") || m["format"] != kEvidenceFormat || !m.contains("files") || !m["files"].is_array()) {
      report_.fail("container", "manifest", std::string("not a manifest of format ") + kEvidenceFormat);
      return;
    }
    std::set<std::string> listed;
    std::vector<std::string> problems;
    for (const Json& f : m["files"]) {
      auto name = f.is_object() ? text_field(f, "name") : Result<std::string>(invalid_argument("bad entry"));
      auto digest = f.is_object() ? hex_field(f, "sha256", 32) : Result<std::string>(invalid_argument("bad entry"));
      if (!name.is_ok() || !digest.is_ok()) {
        problems.push_back("a file entry without name and sha256");
        continue;
      }
      listed.insert(*name);
      const ZipEntry* e = entry(*name);
      if (e == nullptr) {
        problems.push_back(excerpt(*name, 80) + " is listed but missing");
      } else if (crypto::sha256(e->bytes) != *digest) {
        problems.push_back(excerpt(*name, 80) + " does not have the listed SHA-256");
      }
    }
    for (const ZipEntry& e : entries_) {
      if (e.name != evidence::kMimetypeFile && e.name != evidence::kManifestFile && !listed.count(e.name)) {
        problems.push_back(e.name + " is not listed");
      }
    }
    std::string detail = problems.empty() ? std::to_string(listed.size()) + " files listed, each present with its SHA-256"
                                          : problems.front();
    if (problems.size() > 1) detail += " (and " + std::to_string(problems.size() - 1) + " more)";
    report_.add("container", "manifest", problems.empty(), detail);
  }

  // The configuration named by a record, verified once.
  const globalconf::GlobalConfiguration* configuration(const std::string& name) {
    if (auto it = configurations_.find(name); it != configurations_.end()) return it->second ? &*it->second : nullptr;
    auto& slot = configurations_[name];
    const std::string subject = excerpt(name, 96);
    const ZipEntry* e = entry(name);
    if (e == nullptr || name.rfind("configuration/", 0) != 0) {
      report_.fail(subject, "configuration", "the configuration the record names is not in the container");
      return nullptr;
    }
    auto envelope = globalconf::SignedConfiguration::parse(e->bytes);
    auto document = envelope.is_ok() ? globalconf::GlobalConfiguration::from_json(envelope->content)
                                     : Result<globalconf::GlobalConfiguration>(envelope.status());
    if (!document.is_ok()) {
      report_.fail(subject, "configuration", "MALFORMED: " + document.status().message());
      return nullptr;
    }
    // Judged at its own creation: the verdict must not depend on today's clock.
    ManualClock at(document->created_at());
    std::optional<globalconf::ConfigurationAnchor> anchor = trust_.anchor;
    std::string pinned = "signed by a certificate the anchor pins";
    if (!anchor) {
      auto signer = globalconf::embedded_signer(e->bytes);
      auto made = signer.is_ok() ? globalconf::ConfigurationAnchor::create(document->instance(), kNoDownload, trust_.ca,
                                                                          {*signer})
                                 : Result<globalconf::ConfigurationAnchor>(signer.status());
      if (!made.is_ok()) {
        report_.fail(subject, "configuration", "UNTRUSTED_SIGNER: " + made.status().message());
        return nullptr;
      }
      anchor = std::move(made).value();
      pinned = "signed by a certificate the CA issued (no anchor given to pin the registry's)";
    }
    if (anchor->ca_certificate().der() != trust_.ca.der()) {
      report_.fail(subject, "configuration", "the anchor's CA is not the CA given");
      return nullptr;
    }
    globalconf::ConfigurationFault fault = globalconf::ConfigurationFault::kNone;
    auto verified = globalconf::verify(e->bytes, *anchor, at, 0, &fault);
    if (!verified.is_ok()) {
      report_.fail(subject, "configuration", std::string(globalconf::fault_name(fault)) + ": " + verified.status().message());
      return nullptr;
    }
    if (verified->content().ca.certificate.der() != trust_.ca.der()) {
      report_.fail(subject, "configuration", "the configuration names another CA than the one given");
      return nullptr;
    }
    report_.add(subject, "configuration", true,
                "instance " + verified->instance() + " version " + std::to_string(verified->version()) + ", " + pinned +
                    ", valid " + to_iso8601_utc(verified->created_at()) + " to " + to_iso8601_utc(verified->expires_at()));
    slot = std::make_shared<globalconf::GlobalConfiguration>(std::move(verified).value());
    return &*slot;
  }

  void check_record(std::int64_t seq) {
    const std::string dir = evidence::record_dir(seq);
    const std::string subject = "record " + std::to_string(seq);
    auto json = strict_json(entry(dir + evidence::kRecordFile), "record.json");
    auto file = json.is_ok() ? read_record(*json) : Result<RecordFile>(json.status());
    if (!file.is_ok() || file->record.seq != seq) {
      report_.fail(subject, "record", file.is_ok() ? "record.json names another seq" : file.status().message());
      return;
    }
    Record r = std::move(file->record);
    const ZipEntry* head = entry(dir + evidence::kHeadFile);
    const ZipEntry* body = entry(dir + evidence::kBodyFile);
    const ZipEntry* estamp = entry(dir + evidence::kEStampFile);
    if (head == nullptr || estamp == nullptr || (file->body_logged != (body != nullptr))) {
      report_.fail(subject, "record", "head.json, estamp.xml or the logged body is missing");
      return;
    }

    // 1. The chain link: the record's hash recomputes from its fields, the digests of its files and
    //    its predecessor's hash.
    bool files_match = crypto::sha256(head->bytes) == r.head_sha256 && crypto::sha256(estamp->bytes) == r.estamp_sha256 &&
                       (body == nullptr || crypto::sha256(body->bytes) == r.body_sha256);
    const bool link = files_match && chain_hash(chain_fields(r)) == r.hash;
    report_.add(subject, "chain-link", link,
                link ? "hash " + short_hex(r.hash) + " recomputes from the record, its files and the previous hash " +
                           short_hex(r.prev_hash)
                     : (files_match ? "the record's hash does not recompute from its fields"
                                    : "a file's SHA-256 is not the one the record's hash covers"));

    const globalconf::GlobalConfiguration* conf = configuration(file->configuration);
    if (conf == nullptr) {
      report_.fail(subject, "configuration", "no valid configuration in force: nothing below can be judged");
      checked_.push_back({r, std::nullopt});
      return;
    }

    // 2. The timestamp token and the Merkle proof from the record's hash to its imprint.
    std::optional<sys_seconds> gen_time;
    auto proof_json = strict_json(entry(dir + evidence::kProofFile), "proof.json");
    auto proof = proof_json.is_ok() ? read_proof(*proof_json) : Result<ProofFile>(proof_json.status());
    const ZipEntry* token = entry(dir + evidence::kTokenFile);
    if (!proof.is_ok() || token == nullptr) {
      report_.fail(subject, "timestamp", proof.is_ok() ? "timestamp.tst is missing" : proof.status().message());
    } else {
      auto stamped = crypto::verify_timestamp_token(token->bytes, proof->root, conf->content().tsa.certificate, {trust_.ca});
      if (stamped.is_ok()) gen_time = stamped->gen_time;
      report_.add(subject, "timestamp", stamped.is_ok(),
                  stamped.is_ok() ? "RFC 3161 token of " + conf->content().tsa.certificate.subject() + ", genTime " +
                                        to_iso8601_utc(stamped->gen_time) + ", serial " + stamped->serial_hex
                                  : stamped.status().message());
      auto root = proof->leaf_index >= 0 && proof->batch_size > 0
                      ? merkle_root_from_path(merkle_leaf_hash(r.hash), static_cast<std::size_t>(proof->leaf_index),
                                              static_cast<std::size_t>(proof->batch_size), proof->path)
                      : Result<std::string>(invalid_argument("bad leaf index or batch size"));
      const bool leads = root.is_ok() && *root == proof->root;
      report_.add(subject, "merkle-proof", leads,
                  leads ? "leaf " + std::to_string(proof->leaf_index) + " of " + std::to_string(proof->batch_size) +
                              " leads to the token's imprint " + short_hex(proof->root)
                        : (root.is_ok() ? "the audit path does not lead to the token's imprint" : root.status().message()));
    }

    // 3. The eight-hour rule, from the OCSP producedAt the chain link covers (the content check
    //    below ties it to the e-stamp's response).
    if (gen_time) check_eight_hours(subject, *conf, r.ocsp_produced_at, *gen_time, r);

    // 4. The e-stamp, judged at the timestamp's time: signature, certificate chain, OCSP status,
    //    and an OCSP response at most the configuration's e-stamp window older.
    // Read once for what the checks below compare; verify_estamp judges the document itself.
    std::optional<StampContent> content;
    std::optional<std::string> carried_ocsp;
    if (auto parsed = estamp_xml::parse_estamp(estamp->bytes); parsed.is_ok()) {
      content = parsed->content;
      carried_ocsp = std::move(parsed->ocsp_der);
    }
    if (!gen_time) {
      report_.fail(subject, "e-stamp", "cannot be judged without a valid timestamp");
    } else {
      const auto& ca = conf->content().ca;
      EStampTrust trust{trust_.ca, ca.ocsp_responder_certificates, conf->settings().estamp_window, kClockSkew};
      ManualClock at(*gen_time);
      EStampFault fault = EStampFault::kMalformed;
      auto verified = verify_estamp(estamp->bytes, trust, at, &fault);
      if (!verified.is_ok()) {
        report_.fail(subject, "e-stamp", std::string(estamp_fault_name(fault)) + ": " + verified.status().message());
      } else {
        report_.add(subject, "e-stamp", true,
                    "signed " + to_iso8601_utc(verified->signing_time) + " by " + verified->signer.subject() +
                        ", OCSP good, produced " + to_iso8601_utc(verified->ocsp.produced_at) +
                        (verified->batch_size > 1 ? ", batch of " + std::to_string(verified->batch_size) : ""));
        check_estamp_matches(subject, r, *verified, head->bytes, carried_ocsp, dir);
        check_in_force(subject, *conf, verified->signing_time);
        check_ocsp_at_signing(subject, *conf, *verified);
        const auto member = signing_member(r);
        const bool own = member && signer_member_matches(verified->signer, *member);
        report_.add(subject, "signer", own,
                    own ? "the signer is " + *member + ", whose key signs a " + kind_name(r.kind)
                        : "the signer is not the member whose key must sign this " + std::string(kind_name(r.kind)));
      }
    }
    checked_.push_back({r, content});
  }

  void check_estamp_matches(const std::string& subject, const Record& r, const VerifiedEStamp& v,
                            const std::string& head, const std::optional<std::string>& carried_ocsp,
                            const std::string& dir) {
    const StampContent& c = v.content;
    const ZipEntry* body = entry(dir + evidence::kBodyFile);
    const std::vector<StampedPart> parts = {{"head", crypto::sha256(head)},
                                            {"body", body != nullptr ? crypto::sha256(body->bytes) : r.body_sha256}};
    std::string problem;
    if (c.kind != kind_name(r.kind) || c.message_id != r.message_id || c.client != r.client || c.service != r.service) {
      problem = "the e-stamp names another kind, message id, client or service than the record";
    } else if (c.parts != parts) {
      problem = "the e-stamp's part digests are not those of the head and body";
    } else if (v.ocsp.produced_at != r.ocsp_produced_at) {
      problem = "the record's OCSP producedAt is not the e-stamp's";
    }
    if (problem.empty()) {
      // The readable copies must be what the e-stamp carries.
      const ZipEntry* signer = entry(dir + evidence::kSignerFile);
      const ZipEntry* ocsp = entry(dir + evidence::kOcspFile);
      if (signer != nullptr && signer->bytes != v.signer.pem()) problem = "signer.pem is not the e-stamp's certificate";
      if (ocsp != nullptr && carried_ocsp && ocsp->bytes != *carried_ocsp) problem = "ocsp.der is not the e-stamp's OCSP response";
    }
    report_.add(subject, "content", problem.empty(),
                problem.empty() ? std::string(kind_name(r.kind)) + " " + excerpt(r.message_id, 64) + " of " +
                                      excerpt(r.client, 96) + " to " + excerpt(r.service, 128) +
                                      ", head and body digests as stamped"
                                : problem);
  }

  void check_in_force(const std::string& subject, const globalconf::GlobalConfiguration& conf, sys_seconds signed_at) {
    const bool in_force = signed_at + kClockSkew >= conf.created_at() && signed_at < conf.expires_at();
    report_.add(subject, "configuration-in-force", in_force,
                "signed " + to_iso8601_utc(signed_at) + (in_force ? ", within " : ", outside ") + "version " +
                    std::to_string(conf.version()) + "'s validity");
  }

  // The signer's own rule: it signed with an OCSP response at most the configuration's
  // ocsp_freshness old (docs/protocol/e-stamp.md).
  void check_ocsp_at_signing(const std::string& subject, const globalconf::GlobalConfiguration& conf,
                             const VerifiedEStamp& v) {
    const auto age = v.signing_time - v.ocsp.produced_at;
    const auto limit = conf.settings().ocsp_freshness;
    const bool ok = age <= limit + kClockSkew && age >= -kClockSkew;
    report_.add(subject, "ocsp-at-signing", ok,
                "the OCSP response was " + std::to_string(age.count()) + " s old when the message was signed (limit " +
                    std::to_string(limit.count()) + " s)");
  }

  void check_eight_hours(const std::string& subject, const globalconf::GlobalConfiguration& conf, sys_seconds produced,
                         sys_seconds gen_time, const Record& r) {
    const auto window = conf.settings().estamp_window;
    const auto gap = gen_time - produced;
    const bool ok = gap <= window && gap >= -kClockSkew && !r.deadline_missed;
    report_.add(subject, "eight-hour-rule", ok,
                "timestamped " + std::to_string(gap.count()) + " s after the OCSP response was produced (window " +
                    std::to_string(window.count()) + " s" + (r.deadline_missed ? ", the register marks the deadline missed" : "") +
                    ")");
  }

  // Each response is bound to its request: the response's e-stamp names the SHA-256 of the
  // request's e-stamp, and both records are of one exchange on one side.
  void check_bindings() {
    for (const Checked& response : checked_) {
      if (response.record.kind != RecordKind::kResponse) continue;
      const std::string subject = "record " + std::to_string(response.record.seq);
      const Checked* request = nullptr;
      for (const Checked& c : checked_) {
        if (c.record.kind == RecordKind::kRequest && c.record.side == response.record.side &&
            c.record.request_id == response.record.request_id) {
          request = &c;
        }
      }
      std::optional<VerifiedRequest> found;
      if (request != nullptr && request->content) found = as_request(request->record);
      if (request == nullptr && options_.earlier_requests != nullptr) {
        for (const VerifiedRequest& r : *options_.earlier_requests) {
          if (r.side == response.record.side && r.request_id == response.record.request_id) found = r;
        }
      }
      if (request == nullptr && !found) {
        if (options_.requests_may_precede) {
          report_.add(subject, "request-binding", true,
                      "its request lies before these records; it is bound where both are read");
        } else {
          report_.fail(subject, "request-binding", "the request of this response is not in the container");
        }
        continue;
      }
      const bool same = found && found->client == response.record.client &&
                        found->message_id == response.record.message_id && found->service == response.record.service;
      const bool bound = same && response.content && response.content->request_hash == found->estamp_sha256;
      report_.add(subject, "request-binding", bound,
                  bound ? "answers record " + std::to_string(found->seq) + ": its e-stamp names that request's e-stamp " +
                              short_hex(found->estamp_sha256)
                        : "the response's e-stamp does not name the request's e-stamp");
    }
    for (const Checked& c : checked_) {
      if (c.record.kind == RecordKind::kRequest && c.content) out_.requests.push_back(as_request(c.record));
    }
  }

  static VerifiedRequest as_request(const Record& r) {
    return {r.seq, r.side, r.request_id, r.client, r.message_id, r.service, r.estamp_sha256};
  }

  const std::vector<ZipEntry>& entries_;
  const EvidenceTrust& trust_;
  const EvidenceOptions& options_;
  EvidenceReport& out_;
  Report report_;
  std::map<std::string, std::shared_ptr<globalconf::GlobalConfiguration>> configurations_;
  std::vector<Checked> checked_;
};

}  // namespace

bool EvidenceReport::valid() const {
  if (seqs.empty() || checks.empty()) return false;
  for (const EvidenceCheck& c : checks) {
    if (!c.ok) return false;
  }
  return true;
}

EvidenceReport verify_evidence(const std::vector<ZipEntry>& entries, const EvidenceTrust& trust,
                               const EvidenceOptions& options) {
  EvidenceReport out;
  Verifier(entries, trust, options, out).run();
  return out;
}

Result<EvidenceReport> verify_container(std::string_view zip, const EvidenceTrust& trust) {
  ZipLimits limits;
  limits.max_entries = 1000;
  limits.max_total_bytes = std::size_t{512} << 20;
  XACBE_ASSIGN_OR_RETURN(std::vector<ZipEntry> entries, read_zip(zip, limits));
  return verify_evidence(entries, trust);
}

std::string format_report(const EvidenceReport& report) {
  std::string out;
  std::size_t failed = 0;
  for (const EvidenceCheck& c : report.checks) {
    if (!c.ok) ++failed;
    out += c.ok ? "ok    " : "FAIL  ";
    out += c.subject + "  " + c.check + ": " + one_line(c.detail) + "\n";
  }
  if (report.valid()) {
    out += "VALID: " + std::to_string(report.seqs.size()) + " record(s), " + std::to_string(report.checks.size()) +
           " checks passed\n";
  } else {
    out += "INVALID: " + std::to_string(failed) + " of " + std::to_string(report.checks.size()) + " checks failed\n";
  }
  return out;
}

}  // namespace xacbe::ss
