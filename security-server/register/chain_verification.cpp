// QueryRegister::verify_chain: the auditor's check of docs/protocol/query-register.md "Hash chain",
// run over the live file.

#include "merkle.hpp"
#include "register/query_register.hpp"
#include "register/record_hash.hpp"
#include "register/record_row.hpp"
#include "register/register_schema.hpp"
#include "xacbe/crypto/encoding.hpp"
#include "xacbe/store/database.hpp"

namespace xacbe::ss {
namespace {

// What is wrong with one record on its own and as the successor of `prev_hash`; empty if nothing.
std::string check_record(const Record& r, const std::string& prev_hash, std::int64_t leaf_index,
                         const std::string& audit_path, const std::optional<std::string>& root,
                         std::int64_t batch_size) {
  if (r.prev_hash != prev_hash) return "its prev_hash is not the hash of the record before (reordered or replaced)";
  if (chain_hash(chain_fields(r)) != r.hash) return "its hash does not recompute (a field was altered)";
  if (crypto::sha256(r.head) != r.head_sha256) return "its head does not match head_sha256";
  if (crypto::sha256(r.estamp) != r.estamp_sha256) return "its e-stamp does not match estamp_sha256";
  if (r.body && crypto::sha256(*r.body) != r.body_sha256) return "its body does not match body_sha256";
  if (r.batch_id) {
    if (!root) return "it names a timestamp batch that is missing";
    if (audit_path.size() % 32 != 0 || leaf_index < 0 || batch_size <= 0) return "its timestamp proof is malformed";
    std::vector<std::string> path;
    for (std::size_t i = 0; i < audit_path.size(); i += 32) path.push_back(audit_path.substr(i, 32));
    Result<std::string> computed = merkle_root_from_path(merkle_leaf_hash(r.hash), static_cast<std::size_t>(leaf_index),
                                                         static_cast<std::size_t>(batch_size), path);
    if (!computed || *computed != *root) return "its audit path does not lead to its batch's timestamped root";
  }
  return {};
}

}  // namespace

Result<ChainReport> QueryRegister::verify_chain() const {
  // A connection of its own, so a long check holds up neither the writer nor other readers.
  store::OpenOptions options;
  options.read_only = true;
  options.create = false;
  XACBE_ASSIGN_OR_RETURN(std::unique_ptr<store::Database> db, store::Database::open(path_, options));
  // One read transaction: the check sees one committed state of the file.
  XACBE_RETURN_IF_ERROR(db->exec("BEGIN"));
  XACBE_ASSIGN_OR_RETURN(
      store::Statement query,
      db->prepare("SELECT " + record_columns("r.") +
                  ", s.leaf_index, s.audit_path, b.root, b.size FROM records r"
                  " LEFT JOIN record_stamps s ON s.seq = r.seq"
                  " LEFT JOIN timestamp_batches b ON b.id = s.batch_id ORDER BY r.seq"));
  ChainReport report;
  const auto bad = [&](std::int64_t seq, std::string problem) {
    report.ok = false;
    report.first_bad_seq = seq;
    report.problem = "record " + std::to_string(seq) + ": " + std::move(problem);
    return report;
  };
  // Records that left for an archive are checked there (verify_archive_directory); the live chain
  // starts after the last of them.
  XACBE_ASSIGN_OR_RETURN(ChainStart start, read_chain_start(*db));
  std::int64_t expected = start.seq;
  std::string prev_hash = start.prev_hash;
  for (;;) {
    XACBE_ASSIGN_OR_RETURN(bool row, query.step());
    if (!row) break;
    const std::int64_t seq = query.column_int64(0);
    if (seq != expected) return bad(expected, "missing (deleted): the chain jumps to " + std::to_string(seq));
    Result<Record> read = read_record(query);
    if (!read) return bad(seq, "its side or kind is not a known value");
    const Record& r = *read;
    constexpr int kProof = kRecordColumnCount;  // the columns after the record's
    const std::int64_t leaf_index = query.is_null(kProof) ? -1 : query.column_int64(kProof);
    const std::string audit_path = query.column_blob(kProof + 1);
    std::optional<std::string> root;
    if (!query.is_null(kProof + 2)) root = query.column_blob(kProof + 2);
    const std::int64_t batch_size = query.is_null(kProof + 3) ? 0 : query.column_int64(kProof + 3);
    if (std::string problem = check_record(r, prev_hash, leaf_index, audit_path, root, batch_size); !problem.empty()) {
      return bad(r.seq, std::move(problem));
    }
    prev_hash = r.hash;
    ++report.records;
    ++expected;
  }
  // The chain alone cannot show its last records cut off; a timestamp batch that covered them can.
  XACBE_ASSIGN_OR_RETURN(store::Statement batches, db->prepare("SELECT MAX(last_seq) FROM timestamp_batches"));
  XACBE_ASSIGN_OR_RETURN(bool has_batches, batches.step());
  if (has_batches && !batches.is_null(0) && batches.column_int64(0) >= expected) {
    return bad(expected,
               "missing (deleted): a timestamp batch covers records up to " + std::to_string(batches.column_int64(0)));
  }
  return report;
}

}  // namespace xacbe::ss
