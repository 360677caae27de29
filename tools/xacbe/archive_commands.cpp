#include "archive_commands.hpp"

#include <ostream>

namespace xacbe::tools {

Result<std::optional<ss::ArchiveKey>> load_archive_key(const std::string& key_file, const std::string& cert_file) {
  if (key_file.empty() && cert_file.empty()) return std::optional<ss::ArchiveKey>();
  if (key_file.empty() || cert_file.empty()) return invalid_argument("--decrypt-key and --decrypt-cert go together");
  XACBE_ASSIGN_OR_RETURN(crypto::PrivateKey key, crypto::PrivateKey::load(key_file));
  XACBE_ASSIGN_OR_RETURN(crypto::Certificate cert, crypto::Certificate::load(cert_file));
  return std::optional<ss::ArchiveKey>(ss::ArchiveKey{std::move(key), std::move(cert)});
}

int verify_archive_command(const std::string& dir, const ss::EvidenceTrust& trust,
                           std::optional<ss::ArchiveKey> key, std::ostream& out, std::ostream& err) {
  ss::ArchiveVerifyOptions options;
  options.decrypt = std::move(key);
  auto report = ss::verify_archive_directory(dir, trust, options);
  if (!report.is_ok()) {
    err << "xacbe: " << code_name(report.status().code()) << ": " << report.status().message() << "\n";
    return 2;
  }
  // format_report's lines; the verdict is the archive's (a directory may hold decisions only).
  std::string text = ss::format_report(*report);
  text.erase(text.rfind('\n', text.size() - 2) + 1);
  out << text;
  std::size_t failed = 0, unchecked = 0;
  for (const ss::EvidenceCheck& c : report->checks) {
    failed += c.ok ? 0 : 1;
    unchecked += c.ok && c.check == "content" && c.detail.rfind("NOT CHECKED", 0) == 0 ? 1 : 0;
  }
  if (ss::archives_valid(*report)) {
    out << "VALID: " << report->seqs.size() << " record(s) in the chain of archives, " << report->checks.size()
        << " checks passed";
    if (unchecked > 0) out << "; the content of " << unchecked << " encrypted file(s) was not checked (no key given)";
    out << "\n";
    return 0;
  }
  out << "INVALID: " << failed << " of " << report->checks.size() << " checks failed\n";
  return 1;
}

}  // namespace xacbe::tools
