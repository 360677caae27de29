#include "ca_commands.hpp"

#include <sys/stat.h>

#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "xacbe/ca/ca_directory.hpp"
#include "xacbe/clock.hpp"
#include "xacbe/config/config.hpp"
#include "xacbe/file.hpp"
#include "xacbe/store/database.hpp"

namespace xacbe::tools {
namespace {

const SystemClock kClock;


Result<std::unique_ptr<ca::CertificateAuthority>> open_ca(const std::string& dir) {
  return ca::open_ca_directory(dir, kClock);
}

Status ca_init(const std::string& dir, const std::string& key_type, const std::string& subject,
               const std::string& ocsp_url, int validity_days) {
  if (std::filesystem::exists(dir + "/ca.key")) return failed_precondition(dir + " already holds a CA");
  // A ca.db left there belongs to another CA (docs/protocol/certificates.md): it would be refused
  // after the new key and certificate were written, so nothing is written at all.
  if (std::filesystem::exists(dir + "/ca.db")) {
    return failed_precondition(dir + " already holds a CA database (ca.db) but no ca.key: restore the CA's files, or "
                               "init another directory");
  }
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return unavailable("cannot create " + dir + ": " + ec.message());
  ::chmod(dir.c_str(), 0700);
  XACBE_ASSIGN_OR_RETURN(crypto::KeyType type, crypto::parse_key_type(key_type));
  XACBE_ASSIGN_OR_RETURN(crypto::DistinguishedName dn, parse_subject(subject));
  XACBE_ASSIGN_OR_RETURN(ca::RootMaterial root, ca::create_root(type, dn, std::chrono::hours(24 * validity_days), kClock));
  XACBE_RETURN_IF_ERROR(root.key.save(dir + "/ca.key"));
  XACBE_RETURN_IF_ERROR(write_file_atomic(dir + "/ca.pem", root.cert.pem()));
  nlohmann::json settings = {{"ocsp_url", ocsp_url}};
  XACBE_RETURN_IF_ERROR(write_file_atomic(dir + "/ca.json", settings.dump(2) + "\n"));
  XACBE_ASSIGN_OR_RETURN(auto db, store::Database::open(dir + "/ca.db"));
  XACBE_ASSIGN_OR_RETURN(auto ca, ca::CertificateAuthority::open(std::move(db), std::move(root.key), root.cert,
                                                                 ca::CaSettings{}, kClock));
  std::cout << "root " << root.cert.subject() << " serial " << root.cert.serial_hex() << " sha256 "
            << root.cert.sha256_fingerprint() << "\n";
  return Status::ok();
}

Status ca_issue(const std::string& dir, const std::string& profile_name, const std::string& csr_path,
                const std::string& subject, const ca::SubjectAltNames& alt_names, const std::string& out) {
  XACBE_ASSIGN_OR_RETURN(ca::Profile profile, ca::parse_profile(profile_name));
  XACBE_ASSIGN_OR_RETURN(crypto::DistinguishedName dn, parse_subject(subject));
  XACBE_ASSIGN_OR_RETURN(std::string csr_text, read_file(csr_path));
  XACBE_ASSIGN_OR_RETURN(crypto::CertificateRequest csr, crypto::CertificateRequest::parse(csr_text));
  XACBE_ASSIGN_OR_RETURN(auto ca, open_ca(dir));
  XACBE_ASSIGN_OR_RETURN(crypto::Certificate cert, ca->issue(csr, profile, dn, alt_names));
  XACBE_RETURN_IF_ERROR(write_file_atomic(out, cert.pem()));
  std::cout << "issued " << profile_name << " serial " << cert.serial_hex() << " for " << cert.subject() << "\n";
  return Status::ok();
}

Status ca_status(const std::string& dir, const std::string& serial) {
  XACBE_ASSIGN_OR_RETURN(auto ca, open_ca(dir));
  XACBE_ASSIGN_OR_RETURN(crypto::CertStatus st, ca->status(serial));
  switch (st.kind) {
    case crypto::CertStatus::Kind::kGood: std::cout << serial << " good\n"; break;
    case crypto::CertStatus::Kind::kUnknown: return not_found("no certificate with serial " + serial);
    case crypto::CertStatus::Kind::kRevoked:
      std::cout << serial << " revoked " << to_iso8601_utc(st.revoked_at) << " " << crypto::reason_name(st.reason) << "\n";
      break;
  }
  return Status::ok();
}

Status ca_list(const std::string& dir) {
  XACBE_ASSIGN_OR_RETURN(auto ca, open_ca(dir));
  XACBE_ASSIGN_OR_RETURN(auto certs, ca->list());
  for (const auto& c : certs) {
    std::cout << c.serial_hex << "\t" << ca::profile_name(c.profile) << "\t" << to_iso8601_utc(c.not_after) << "\t"
              << (c.status.kind == crypto::CertStatus::Kind::kGood ? "good" : crypto::reason_name(c.status.reason))
              << "\t" << c.subject << "\n";
  }
  return Status::ok();
}

// Serial numbers are stored as upper-case hex without leading zeros (as Certificate::serial_hex
// prints them); accept what openssl prints too ("serial=0A1B", "0x0a1b") and normalise it.
const CLI::Validator kSerial(
    [](std::string& text) -> std::string {
      std::string hex = text;
      if (hex.rfind("serial=", 0) == 0) hex.erase(0, 7);
      if (hex.rfind("0x", 0) == 0 || hex.rfind("0X", 0) == 0) hex.erase(0, 2);
      if (hex.empty() || hex.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos) {
        return "serial '" + text + "' is not a hexadecimal number";
      }
      for (auto& c : hex) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      const std::size_t first = std::min(hex.find_first_not_of('0'), hex.size() - 1);
      text = hex.substr(first);
      return {};
    },
    "HEX");

}  // namespace

Result<crypto::DistinguishedName> parse_subject(const std::string& text) {
  crypto::DistinguishedName dn;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t end = std::min(text.find(',', start), text.size());
    const std::string part = text.substr(start, end - start);
    const std::size_t eq = part.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == part.size() || part.find('=', eq + 1) != std::string::npos) {
      return invalid_argument("bad subject part '" + part + "' in '" + text + "' (expected ATTR=value,ATTR=value)");
    }
    dn.emplace_back(part.substr(0, eq), part.substr(eq + 1));
    start = end + 1;
  }
  return dn;
}

void add_ca_commands(CLI::App& app, Status& result) {
  auto* ca = app.add_subcommand("ca", "the CEIQROO certificate authority")->require_subcommand(1);
  static std::string dir, key_type = "ec-p256", subject = "C=MX,O=CEIQROO,CN=CEIQROO Root CA", ocsp_url;
  static std::string profile, csr, out, serial, reason = "unspecified";
  static ca::SubjectAltNames alt_names;
  static int validity_days = 3650;
  ca->add_option("--dir", dir, "CA directory (ca.key, ca.pem, ca.db, ca.json)")->required();

  auto* init = ca->add_subcommand("init", "create the root key and certificate");
  init->add_option("--key-type", key_type, "root key type")->capture_default_str();
  init->add_option("--subject", subject, "root subject")->capture_default_str();
  init->add_option("--ocsp-url", ocsp_url, "OCSP URL written into issued certificates");
  init->add_option("--validity-days", validity_days, "root validity")->capture_default_str()->check(CLI::Range(1, 36500));
  init->callback([&] { result = ca_init(dir, key_type, subject, ocsp_url, validity_days); });

  auto* issue = ca->add_subcommand("issue", "issue a certificate from a CSR");
  issue->add_option("--profile", profile, "auth, sign, ocsp, tsa or service")->required();
  issue->add_option("--csr", csr, "CSR file (PEM or DER)")->required();
  issue->add_option("--subject", subject, "subject of the certificate")->required();
  issue->add_option("--out", out, "certificate output (PEM)")->required();
  issue->add_option("--dns", alt_names.dns, "service profile: a DNS name clients reach the service by (repeatable)")
      ->take_all();
  issue->add_option("--ip", alt_names.ip, "service profile: an IPv4 or IPv6 address clients reach it by (repeatable)")
      ->take_all();
  issue->callback([&] { result = ca_issue(dir, profile, csr, subject, alt_names, out); });

  auto* revoke = ca->add_subcommand("revoke", "revoke a certificate (reason certificateHold puts it on hold)");
  revoke->add_option("--serial", serial, "serial number (hex)")->required()->transform(kSerial);
  revoke->add_option("--reason", reason, "RFC 5280 reason name")->capture_default_str();
  revoke->callback([&] {
    auto r = crypto::parse_reason(reason);
    if (!r) {
      result = r.status();
      return;
    }
    auto opened = open_ca(dir);
    result = opened ? (*opened)->revoke(serial, *r) : opened.status();
  });

  auto* release = ca->add_subcommand("release", "lift a certificateHold");
  release->add_option("--serial", serial, "serial number (hex)")->required()->transform(kSerial);
  release->callback([&] {
    auto opened = open_ca(dir);
    result = opened ? (*opened)->release_hold(serial) : opened.status();
  });

  auto* status = ca->add_subcommand("status", "show a certificate's status");
  status->add_option("--serial", serial, "serial number (hex)")->required()->transform(kSerial);
  status->callback([&] { result = ca_status(dir, serial); });

  ca->add_subcommand("list", "list issued certificates")->callback([&] { result = ca_list(dir); });
}

}  // namespace xacbe::tools
