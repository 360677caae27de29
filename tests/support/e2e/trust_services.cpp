#include "support/e2e/trust_services.hpp"

#include <fstream>
#include <stdexcept>

#include "xacbe/crypto/certificate.hpp"

namespace xacbe::testing {
namespace {

void write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + path);
}

void require(const CommandResult& r, const std::string& what) {
  if (r.exit_code != 0) throw std::runtime_error(what + " failed: " + r.output);
}

unsigned start_service(std::unique_ptr<ChildProcess>& child, const std::string& binary,
                       const std::string& config, const std::string& log, const std::string& clock_offset) {
  child.reset();  // a restart: the old process goes first, so that its port is free again
  child = std::make_unique<ChildProcess>(std::vector<std::string>{binary, "--config", config}, log,
                                         clock_offset.empty() ? std::vector<std::string>{}
                                                              : faketime_environment(clock_offset));
  auto port = child->wait_for_port();
  if (!port) throw std::runtime_error(binary + " did not start: " + child->log());
  return *port;
}

}  // namespace

TrustServices::TrustServices(Executables bin) : bin_(std::move(bin)) {
  require(cli({"ca", "init", "--subject", "C=MX,O=CEIQROO,CN=CEIQROO Test Root"}), "ca init");
  issue("tsa", "tsa");
  issue("ocsp", "ocsp");
}

CommandResult TrustServices::cli(std::vector<std::string> args) const {
  if (!args.empty() && args.front() == "ca") args.insert(args.begin() + 1, {"--dir", ca_dir()});
  args.insert(args.begin(), bin_.cli);
  return run_command(args);
}

std::string TrustServices::issue(const std::string& profile, const std::string& name,
                                 std::vector<std::string> extra) const {
  const std::string key = dir_.file(name + ".key"), csr = dir_.file(name + ".csr"), pem = dir_.file(name + ".pem");
  const std::string subject = "C=MX,O=CEIQROO Test,CN=" + name;
  require(cli({"key", "generate", "--type", "ec-p256", "--out", key}), "key generate");
  require(cli({"csr", "create", "--key", key, "--subject", subject, "--out", csr}), "csr create");
  std::vector<std::string> args = {"ca", "issue", "--profile", profile, "--csr", csr, "--subject", subject, "--out", pem};
  args.insert(args.end(), extra.begin(), extra.end());
  require(cli(std::move(args)), "ca issue");
  return pem;
}

std::string TrustServices::listen_json(unsigned port) const {
  std::string tls;
  if (!tls_name_.empty()) {
    tls = R"(, "tls": {"certificate": ")" + tls_name_ + R"(.pem", "key": ")" + tls_name_ + R"(.key"})";
  }
  return R"(  "listen": {"address": "127.0.0.1", "port": )" + std::to_string(port) +
         R"(, "threads": 2, "body_limit": 65536, "idle_timeout_ms": 5000)" + tls + "}";
}

void TrustServices::start_tsa(const std::string& extra) {
  const std::string config = dir_.file("tsa.json");
  write_text(config, "{\n" + listen_json(tsa_port_) + R"(,
  "log": {"level": "info"},
  "tsa": {"key": "tsa.key", "certificate": "tsa.pem", "chain": "ca/ca.pem", "serial_db": "tsa-serial.db")" +
                         (extra.empty() ? "" : ", " + extra) + "}\n}\n");
  tsa_port_ = start_service(tsa_, bin_.tsa, config, dir_.file("tsa.log"), clock_offset_);
}

void TrustServices::start_ocsp(const std::string& extra) {
  const std::string config = dir_.file("ocsp.json");
  write_text(config, "{\n" + listen_json(ocsp_port_) + R"(,
  "log": {"level": "info"},
  "ocsp": {"ca_certificate": "ca/ca.pem", "ca_database": "ca/ca.db", "key": "ocsp.key", "certificate": "ocsp.pem")" +
                         (extra.empty() ? "" : ", " + extra) + "}\n}\n");
  ocsp_port_ = start_service(ocsp_, bin_.ocsp, config, dir_.file("ocsp.log"), clock_offset_);
}

std::string TrustServices::tsa_url() const {
  return std::string(tls_name_.empty() ? "http" : "https") + "://127.0.0.1:" + std::to_string(tsa_port_) + "/";
}
std::string TrustServices::ocsp_url() const {
  return std::string(tls_name_.empty() ? "http" : "https") + "://127.0.0.1:" + std::to_string(ocsp_port_) + "/";
}

std::string serial_of(const std::string& pem_path) {
  auto cert = crypto::Certificate::load(pem_path);
  if (!cert) throw std::runtime_error(cert.status().to_string());
  return cert->serial_hex();
}

}  // namespace xacbe::testing
