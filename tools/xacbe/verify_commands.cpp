#include "verify_commands.hpp"

#include <CLI/CLI.hpp>
#include <iostream>

#include "archive_commands.hpp"
#include "audit/evidence_container.hpp"
#include "xacbe/file.hpp"

namespace xacbe::tools {
namespace {

struct VerifyOptions {
  std::string ca, anchor, container;
  std::string archive, decrypt_key, decrypt_cert;  // verify --archive DIR
};

Result<ss::EvidenceTrust> load_trust(const VerifyOptions& o) {
  if (!o.anchor.empty()) {
    XACBE_ASSIGN_OR_RETURN(globalconf::ConfigurationAnchor anchor, globalconf::ConfigurationAnchor::load(o.anchor));
    crypto::Certificate ca = anchor.ca_certificate();
    return ss::EvidenceTrust{std::move(ca), std::move(anchor)};
  }
  XACBE_ASSIGN_OR_RETURN(crypto::Certificate ca, crypto::Certificate::load(o.ca));
  if (!ca.is_ca()) return invalid_argument(o.ca + " is not a CA certificate");
  return ss::EvidenceTrust{std::move(ca), std::nullopt};
}

int verify_container(const VerifyOptions& o) {
  auto trust = load_trust(o);
  if (!trust.is_ok()) {
    std::cerr << "xacbe: " << trust.status().to_string() << "\n";
    return 2;
  }
  auto bytes = read_file(o.container);
  auto report = bytes.is_ok() ? ss::verify_container(*bytes, *trust) : Result<ss::EvidenceReport>(bytes.status());
  if (!report.is_ok()) {
    std::cerr << "xacbe: " << report.status().to_string() << "\n";
    return 2;
  }
  std::cout << ss::format_report(*report);
  return report->valid() ? 0 : 1;
}

int verify_archive(const VerifyOptions& o) {
  auto trust = load_trust(o);
  auto key = trust.is_ok() ? load_archive_key(o.decrypt_key, o.decrypt_cert)
                           : Result<std::optional<ss::ArchiveKey>>(trust.status());
  if (!key.is_ok()) {
    std::cerr << "xacbe: " << key.status().to_string() << "\n";
    return 2;
  }
  return verify_archive_command(o.archive, *trust, std::move(key).value(), std::cout, std::cerr);
}

}  // namespace

void add_verify_commands(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<VerifyOptions>();
  auto* verify = app.add_subcommand(
      "verify", "check an exported exchange (evidence container) or an archive directory (--archive DIR) offline");
  auto* ca = verify->add_option("--ca", options->ca, "the CEIQROO CA certificate (PEM)");
  auto* anchor = verify->add_option("--anchor", options->anchor,
                                    "the configuration anchor: also pins the registry's configuration-signing keys");
  ca->excludes(anchor);
  auto* container = verify->add_option("container", options->container, "the evidence container (.zip)");
  auto* archive = verify->add_option("--archive", options->archive,
                                     "a security server's archive directory: the chain of archive files, each checked");
  container->excludes(archive);
  auto* key = verify->add_option("--decrypt-key", options->decrypt_key, "--archive: an auditor's key (PEM) for encrypted archives");
  auto* cert = verify->add_option("--decrypt-cert", options->decrypt_cert, "--archive: that auditor's certificate (PEM)");
  key->needs(archive)->needs(cert);
  cert->needs(archive)->needs(key);
  verify->callback([options, &exit_code] {
    if (options->ca.empty() && options->anchor.empty()) throw CLI::RequiredError("--ca or --anchor");
    if (options->container.empty() && options->archive.empty()) throw CLI::RequiredError("CONTAINER or --archive DIR");
    exit_code = options->archive.empty() ? verify_container(*options) : verify_archive(*options);
  });
}

}  // namespace xacbe::tools
