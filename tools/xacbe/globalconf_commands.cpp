#include "globalconf_commands.hpp"

#include <CLI/CLI.hpp>
#include <charconv>
#include <cstdint>
#include <iostream>
#include <string>

#include "terminal.hpp"
#include "xacbe/clock.hpp"
#include "xacbe/file.hpp"
#include "xacbe/globalconf/downloader.hpp"
#include "xacbe/globalconf/signed_configuration.hpp"

namespace xacbe::tools {
namespace {

using globalconf::ConfigurationAnchor;
using globalconf::ConfigurationFault;
using globalconf::GlobalConfiguration;

const SystemClock kClock;

// The exit codes of globalconf_commands.hpp.
constexpr int kAccepted = 0;
constexpr int kRefused = 1;
constexpr int kNotChecked = 2;

int not_checked(const Status& st) {
  std::cerr << "xacbe: " << printable(st.to_string()) << "\n";
  return kNotChecked;
}

void print_accepted(const GlobalConfiguration& conf) {
  const auto& c = conf.content();
  std::cout << "accepted: instance " << c.instance << ", version " << c.version << ", created "
            << globalconf::format_time(c.created_at) << ", expires " << globalconf::format_time(c.expires_at)
            << "; members " << c.members.size() << ", subsystems " << c.subsystems.size() << ", security servers "
            << c.security_servers.size() << ", global groups " << c.global_groups.size() << "\n";
}

// verify()'s messages read "global configuration refused (FAULT): reason" (section 3.2 of the
// protocol document), the downloader's are the reason alone; the verdict names the fault once.
int print_refused(const Status& st, ConfigurationFault fault) {
  if (fault == ConfigurationFault::kNone) return not_checked(st);  // not a verdict
  const std::string name = globalconf::fault_name(fault);
  std::string reason = st.message();
  const std::string prefix = std::string("global configuration refused (").append(name).append("): ");
  if (reason.compare(0, prefix.size(), prefix) == 0) reason.erase(0, prefix.size());
  std::cout << "refused (" << name << "): " << printable(reason) << "\n";
  return kRefused;
}

// A version: decimal digits, at most 2^64 - 1. Checked here because CLI11's own conversion wraps
// "-1" round to 2^64 - 1 and lets a larger number through.
const CLI::Validator kVersion(
    [](const std::string& text) -> std::string {
      std::uint64_t version = 0;
      const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), version);
      if (text.empty() || error != std::errc() || end != text.data() + text.size()) {
        return "'" + printable(text) + "' is not a version (decimal digits, at most 18446744073709551615)";
      }
      return {};
    },
    "N");

// What CLI11 fills in; only one subcommand runs.
struct Arguments {
  std::string anchor, file, url, out;
  std::uint64_t min_version = 0;
};

int verify_file(const Arguments& a) {
  auto anchor = ConfigurationAnchor::load(a.anchor);
  if (!anchor) return not_checked(anchor.status());
  // No larger than a download may be (the HTTP client's body limit).
  auto bytes = read_file(a.file, net::ClientOptions{}.body_limit);
  if (!bytes) return not_checked(bytes.status());
  ConfigurationFault fault = ConfigurationFault::kNone;
  auto conf = globalconf::verify(*bytes, *anchor, kClock, a.min_version, &fault);
  if (!conf) return print_refused(conf.status(), fault);
  print_accepted(*conf);
  return kAccepted;
}

// The anchor, with --url in place of its download URL when given: the same trust, reached at
// another address (a mirror, or the registry seen from another network). --url must pass the
// anchor format's own rule for download_url.
Result<ConfigurationAnchor> download_anchor(const Arguments& a) {
  XACBE_ASSIGN_OR_RETURN(ConfigurationAnchor anchor, ConfigurationAnchor::load(a.anchor));
  if (a.url.empty()) return anchor;
  auto moved =
      ConfigurationAnchor::create(anchor.instance(), a.url, anchor.ca_certificate(), anchor.signing_certificates());
  if (!moved) return invalid_argument("--url: " + moved.status().message());
  return moved;
}

// As a security server refreshes (ConfigurationClient::refresh): download, verify, and only then
// write, atomically, so that FILE never holds a configuration that was refused.
int download_file(const Arguments& a) {
  auto anchor = download_anchor(a);
  if (!anchor) return not_checked(anchor.status());
  auto bytes = globalconf::download(*anchor);
  if (!bytes) return print_refused(bytes.status(), ConfigurationFault::kDownloadFailed);
  ConfigurationFault fault = ConfigurationFault::kNone;
  auto conf = globalconf::verify(*bytes, *anchor, kClock, a.min_version, &fault);
  if (!conf) return print_refused(conf.status(), fault);
  const Status written = write_file_atomic(a.out, *bytes, 0644);
  if (!written.is_ok()) return not_checked(written);
  print_accepted(*conf);
  std::cout << "written to " << printable(a.out) << "\n";
  return kAccepted;
}

}  // namespace

void add_globalconf_commands(CLI::App& app, int& exit_code) {
  static Arguments a;
  auto* globalconf = app.add_subcommand("globalconf", "check a global configuration against a configuration anchor")
                         ->require_subcommand(1);
  const auto command = [&](const std::string& name, const std::string& help) {
    auto* c = globalconf->add_subcommand(name, help);
    c->add_option("--anchor", a.anchor, "the configuration anchor (JSON, as the registry exports it)")->required();
    c->add_option("--min-version", a.min_version, "refuse a version below this one (ROLLBACK); 0 accepts any")
        ->capture_default_str()
        ->check(kVersion);
    return c;
  };

  auto* verify = command("verify", "verify a signed global configuration file as a security server does");
  verify->add_option("file", a.file, "the signed configuration, as downloaded")->required();
  verify->callback([&exit_code] { exit_code = verify_file(a); });

  auto* download = command("download",
                           "download the signed global configuration, verify it, and keep it only if "
                           "it is accepted");
  download->add_option("--url", a.url, "download from here instead of the anchor's download_url");
  download->add_option("-o,--out", a.out, "where to write the configuration (replaced atomically)")->required();
  download->callback([&exit_code] { exit_code = download_file(a); });
}

}  // namespace xacbe::tools
