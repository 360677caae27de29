#pragma once
// The CEIQROO trust services as an operator runs them, for integration and interop tests: a CA
// made with the real `xacbe` CLI in a temporary directory, TSA and OCSP certificates issued from
// CSRs, and the real xacbe-tsa and xacbe-ocsp executables started on free 127.0.0.1 ports.
// Compiled into each integration/interop test, which passes the paths of the executables.

#include <memory>
#include <string>
#include <vector>

#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace xacbe::testing {

struct Executables {
  std::string cli, tsa, ocsp;
};

class TrustServices {
 public:
  // Creates the CA and certificates; starts nothing yet. Throws on failure.
  explicit TrustServices(Executables bin);

  // Services started from now on run with their clock moved by `offset` (libfaketime, see
  // faketime_environment()); empty: the real clock.
  void move_clock(std::string offset) { clock_offset_ = std::move(offset); }
  // Services started from now on serve HTTPS with NAME.pem and NAME.key of the directory.
  void serve_tls(std::string name) { tls_name_ = std::move(name); }

  // Extra JSON members for the "tsa"/"ocsp" sections, e.g. R"("other_policies": ["1.2.3"])".
  // Starting a running service again restarts it on the same port.
  void start_tsa(const std::string& extra_tsa_settings = {});
  void start_ocsp(const std::string& extra_ocsp_settings = {});

  // Runs the CLI with `args`; the CA directory option is added for "ca" commands.
  CommandResult cli(std::vector<std::string> args) const;
  // Generates a key and has the CA issue a certificate of `profile`; returns the PEM path.
  // `extra`: more `ca issue` options, e.g. {"--ip", "127.0.0.1"} for the service profile.
  std::string issue(const std::string& profile, const std::string& name, std::vector<std::string> extra = {}) const;

  std::string tsa_url() const;
  std::string ocsp_url() const;
  unsigned tsa_port() const { return tsa_port_; }
  unsigned ocsp_port() const { return ocsp_port_; }
  std::string root_pem() const { return dir_.file("ca/ca.pem"); }
  std::string tsa_cert() const { return dir_.file("tsa.pem"); }
  std::string ocsp_cert() const { return dir_.file("ocsp.pem"); }
  std::string ca_dir() const { return dir_.file("ca"); }
  const TempDir& dir() const { return dir_; }
  ChildProcess& tsa_process() { return *tsa_; }
  ChildProcess& ocsp_process() { return *ocsp_; }

 private:
  Executables bin_;
  TempDir dir_;
  std::unique_ptr<ChildProcess> tsa_, ocsp_;
  unsigned tsa_port_ = 0, ocsp_port_ = 0;
  std::string clock_offset_;
  std::string tls_name_;
  // A restarted service keeps its first port, so that URLs handed out stay true.
  std::string listen_json(unsigned port) const;
};

// Serial number (upper-case hex, as `xacbe ca` prints it) of a PEM certificate file.
std::string serial_of(const std::string& pem_path);

}  // namespace xacbe::testing
