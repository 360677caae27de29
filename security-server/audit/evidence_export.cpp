// Writing an evidence container from the query register (docs/protocol/evidence-container.md
// "Layout").

#include <nlohmann/json.hpp>

#include "audit/evidence_container.hpp"
#include "audit/evidence_layout.hpp"
#include "estamp/estamp_xml.hpp"
#include "register/register_time.hpp"
#include "xacbe/crypto/encoding.hpp"

namespace xacbe::ss {
namespace {

using Json = nlohmann::ordered_json;

Json hex_list(const std::vector<std::string>& hashes) {
  Json list = Json::array();
  for (const auto& h : hashes) list.push_back(crypto::to_hex(h));
  return list;
}

}  // namespace

Result<std::vector<ZipEntry>> record_evidence(const QueryRegister& reg, const Record& r) {
  auto proof = reg.proof(r.seq);
  if (!proof.is_ok()) {
    if (proof.status().code() == Code::kFailedPrecondition) {
      return failed_precondition("record " + std::to_string(r.seq) +
                                 " is not timestamped yet; export it after the next timestamping round");
    }
    return proof.status();
  }
  // A record written before the register kept configurations carries the first one kept after it:
  // the verifier then judges it against a configuration that came later, and says so.
  auto conf = reg.configuration_at(r.created_at, /*or_first_after=*/true);
  if (!conf.is_ok()) {
    return failed_precondition("record " + std::to_string(r.seq) + ": " + conf.status().message());
  }
  if (!r.body && r.body_sha256.empty()) return internal_error("record " + std::to_string(r.seq) + " read without its body");
  const std::string dir = evidence::record_dir(r.seq);
  const std::string conf_name = evidence::configuration_name(conf->instance, conf->version);

  Json record = {{"seq", r.seq},
                 {"created_at_ms", to_unix_millis(r.created_at)},
                 {"side", side_name(r.side)},
                 {"kind", kind_name(r.kind)},
                 {"message_id", r.message_id},
                 {"request_id", r.request_id},
                 {"client", r.client},
                 {"service", r.service},
                 {"user_id", r.user_id},
                 {"head_sha256", crypto::to_hex(r.head_sha256)},
                 {"body_sha256", crypto::to_hex(r.body_sha256)},
                 {"body_logged", r.body.has_value()},
                 {"estamp_sha256", crypto::to_hex(r.estamp_sha256)},
                 {"ocsp_produced_at", r.ocsp_produced_at.time_since_epoch().count()},
                 {"deadline", r.deadline.time_since_epoch().count()},
                 {"prev_hash", crypto::to_hex(r.prev_hash)},
                 {"hash", crypto::to_hex(r.hash)},
                 {"deadline_missed", r.deadline_missed},
                 {"configuration", conf_name}};
  Json proof_json = {{"batch_id", proof->batch_id},
                     {"leaf_index", proof->leaf_index},
                     {"batch_size", proof->batch_size},
                     {"path", hex_list(proof->path)},
                     {"root", crypto::to_hex(proof->root)},
                     {"gen_time", to_iso8601_utc(proof->gen_time)}};

  std::vector<ZipEntry> out;
  out.push_back({dir + evidence::kRecordFile, record.dump(2) + "\n"});
  out.push_back({dir + evidence::kHeadFile, r.head});
  if (r.body) out.push_back({dir + evidence::kBodyFile, *r.body});
  out.push_back({dir + evidence::kEStampFile, r.estamp});
  // Copies of what the e-stamp carries, for tools that read files; the verifier compares them.
  if (auto parsed = estamp_xml::parse_estamp(r.estamp); parsed.is_ok()) {
    if (auto cert = crypto::Certificate::from_der(parsed->certificate_der); cert.is_ok()) {
      out.push_back({dir + evidence::kSignerFile, cert->pem()});
    }
    out.push_back({dir + evidence::kOcspFile, parsed->ocsp_der});
  }
  out.push_back({dir + evidence::kTokenFile, proof->token_der});
  out.push_back({dir + evidence::kProofFile, proof_json.dump(2) + "\n"});
  out.push_back({conf_name, conf->signed_bytes});
  return out;
}

Result<ExportedContainer> export_exchange(const QueryRegister& reg, const ExportRequest& request,
                                          TimePoint exported_at) {
  RecordFilter filter;
  filter.client = request.client;
  filter.message_id = request.message_id;
  filter.limit = static_cast<int>(kMaxContainerRecords) + 1;
  filter.with_bodies = true;
  if (!request.members.empty()) filter.members = request.members;
  XACBE_ASSIGN_OR_RETURN(std::vector<Record> records, reg.find(filter));
  if (records.empty()) return not_found("the query register holds no record of that exchange");
  if (records.size() > kMaxContainerRecords) {
    return failed_precondition("the exchange has more than " + std::to_string(kMaxContainerRecords) + " records");
  }

  std::vector<ZipEntry> files;
  ExportedContainer out;
  for (const Record& r : records) {
    XACBE_ASSIGN_OR_RETURN(std::vector<ZipEntry> entries, record_evidence(reg, r));
    for (ZipEntry& e : entries) {
      if (find_entry(files, e.name) == nullptr) files.push_back(std::move(e));  // a configuration once
    }
    out.seqs.push_back(r.seq);
  }
  // The CA and TSA certificates of the newest configuration, as readable copies.
  XACBE_ASSIGN_OR_RETURN(StoredConfiguration last, reg.configuration_at(records.back().created_at, true));
  XACBE_ASSIGN_OR_RETURN(globalconf::SignedConfiguration envelope, globalconf::SignedConfiguration::parse(last.signed_bytes));
  XACBE_ASSIGN_OR_RETURN(globalconf::GlobalConfiguration conf, globalconf::GlobalConfiguration::from_json(envelope.content));
  files.push_back({evidence::kCaCopy, conf.content().ca.certificate.pem()});
  files.push_back({evidence::kTsaCopy, conf.content().tsa.certificate.pem()});

  Json listed = Json::array();
  for (const ZipEntry& e : files) listed.push_back({{"name", e.name}, {"sha256", crypto::to_hex(crypto::sha256(e.bytes))}});
  Json manifest = {{"format", kEvidenceFormat},
                   {"server", request.server},
                   {"exported_at", to_iso8601_utc(exported_at)},
                   {"exported_by", request.exported_by},
                   {"client", request.client},
                   {"message_id", request.message_id},
                   {"records", out.seqs},
                   {"files", std::move(listed)}};
  std::vector<ZipEntry> entries{{evidence::kMimetypeFile, kEvidenceMediaType},
                                {evidence::kManifestFile, manifest.dump(2) + "\n"}};
  for (ZipEntry& e : files) entries.push_back(std::move(e));
  XACBE_ASSIGN_OR_RETURN(out.zip, write_zip(entries, to_sys_seconds(exported_at)));
  return out;
}

}  // namespace xacbe::ss
