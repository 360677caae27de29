#pragma once
// The evidence container (docs/protocol/evidence-container.md): one exchange as the query register
// holds it, in a zip file in the spirit of ASiC-E, with everything needed to check it offline years
// later given only the CEIQROO CA certificate (or the configuration anchor): the message parts, the
// e-stamps with their certificates and OCSP responses, each record's hash-chain link, its
// timestamp token and Merkle proof, and the signed global configuration in force when it was
// signed. The verdict never depends on today's configuration, today's clock or a running service.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "audit/zip_file.hpp"
#include "register/query_register.hpp"
#include "xacbe/crypto/certificate.hpp"
#include "xacbe/globalconf/signed_configuration.hpp"
#include "xacbe/id/identifiers.hpp"

namespace xacbe::ss {

inline constexpr const char* kEvidenceMediaType = "application/vnd.xacbe.evidence+zip";
inline constexpr const char* kEvidenceFormat = "xacbe-evidence/1";

// What an export names: the client's message id identifies an exchange (both sides of it, when
// this register holds both).
struct ExportRequest {
  std::string client;
  std::string message_id;
  std::string server;       // this security server's id, for the manifest
  std::string exported_by;  // the user, for the manifest
  // Only the records of these members (record_belongs_to); empty: every record.
  std::vector<id::MemberId> members;
};

// The records of the exchange in the container, in seq order. kNotFound when the register holds
// none (or more than kMaxContainerRecords); kFailedPrecondition while one is not yet timestamped
// or no configuration in use at its time was kept.
inline constexpr std::size_t kMaxContainerRecords = 16;
struct ExportedContainer {
  std::string zip;
  std::vector<std::int64_t> seqs;
};
Result<ExportedContainer> export_exchange(const QueryRegister& reg, const ExportRequest& request,
                                          TimePoint exported_at);

// The entries of one record's evidence, for the archives that hold many (audit/archive.hpp):
// records/<seq>/… and the configuration it names.
Result<std::vector<ZipEntry>> record_evidence(const QueryRegister& reg, const Record& record);

// What the verifier trusts: the CA, and optionally the anchor that pins the registry's
// configuration-signing certificates. Without an anchor a configuration signed by any certificate
// the CA issued is accepted, and the report says so.
struct EvidenceTrust {
  crypto::Certificate ca;
  std::optional<globalconf::ConfigurationAnchor> anchor;
};

// One line of the verifier's report: which record (or "container"), which check, and why.
struct EvidenceCheck {
  std::string subject;  // "container" or "record 12"
  std::string check;    // stable name, docs/protocol/evidence-container.md "Verification"
  bool ok = false;
  std::string detail;
};

// A request record the verifier read, so that a response in other entries (a later archive of the
// same directory) can be bound to it.
struct VerifiedRequest {
  std::int64_t seq = 0;
  RecordSide side = RecordSide::kClient;
  std::string request_id, client, message_id, service;
  std::string estamp_sha256;  // raw 32 bytes, covered by the record's chain link
};

struct EvidenceReport {
  std::vector<EvidenceCheck> checks;
  std::vector<std::int64_t> seqs;         // the records found in the container
  std::vector<VerifiedRequest> requests;  // the request records among them whose e-stamp parsed
  bool valid() const;                     // every check passed, and there was at least one record
};

struct EvidenceOptions {
  // The evidence container's own mimetype and manifest. An archive has its own, checked by
  // verify_archive_directory (audit/archive.hpp), and passes false.
  bool container_files = true;
  // Requests read before these entries (the earlier archives of a directory), which a response
  // here may answer.
  const std::vector<VerifiedRequest>* earlier_requests = nullptr;
  // A response whose request is in neither is not failed for it: its request lies before these
  // entries, in an earlier archive, and is bound where both are seen (the archiver's own check of
  // the file it has just written, whose predecessor may no longer be readable to it).
  bool requests_may_precede = false;
};

// Every check of docs/protocol/evidence-container.md "Verification", each reported; nothing stops
// at the first failure unless what follows cannot be read. Fails (kInvalidArgument) only when
// the bytes are not a zip file of this format at all.
Result<EvidenceReport> verify_container(std::string_view zip, const EvidenceTrust& trust);
// The same over entries already read (an archive's).
EvidenceReport verify_evidence(const std::vector<ZipEntry>& entries, const EvidenceTrust& trust,
                               const EvidenceOptions& options = {});

// One line per check and the verdict, as `xacbe verify` prints it.
std::string format_report(const EvidenceReport& report);

}  // namespace xacbe::ss
