// "xacbe globalconf download" and "xacbe globalconf verify" against the real registry's published
// configuration: the verdict an operator reads, each refusal with its fault name
// (docs/protocol/global-configuration.md section 5) and exit code 1, nothing written by a refused
// download, and exit code 2 when nothing could be checked. The CLI's clock is moved with
// libfaketime, never waited for.

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/e2e/federation.hpp"
#include "support/smtp_server.hpp"
#include "xacbe/crypto/certificate.hpp"
#include "xacbe/crypto/encoding.hpp"
#include "xacbe/globalconf/signed_configuration.hpp"
#include "xacbe/utf8.hpp"

namespace xacbe::testing {
namespace {

using Json = nlohmann::json;

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
  if (!out) throw std::runtime_error("cannot write " + path);
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

template <typename T>
T must(Result<T> r) {
  if (!r) throw std::runtime_error(r.status().to_string());
  return std::move(r).value();
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// Nothing in `output` can drive a terminal: well-formed UTF-8, no control character but the line
// ends, no C1 control (U+0080..U+009F).
bool terminal_safe(const std::string& output) {
  if (!is_utf8(output)) return false;
  for (std::size_t i = 0; i < output.size(); ++i) {
    const auto byte = static_cast<unsigned char>(output[i]);
    if ((byte < 0x20 && byte != '\n') || byte == 0x7F) return false;
    if (byte == 0xC2 && i + 1 < output.size() && static_cast<unsigned char>(output[i + 1]) < 0xA0) return false;
  }
  return true;
}

// "accepted: instance QROO, version N, created T, expires T; members ..." as the CLI prints it.
const std::regex kAccepted(
    R"(^accepted: instance QROO, version (\d+), created \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ, )"
    R"(expires \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ; members 2, subsystems 2, security servers 1, global groups 0\n)");

class CliGlobalconfTest : public ::testing::Test {
 protected:
  void SetUp() override {
    federation_.admit("QROO/FED/PGJ", "Fiscalía General del Estado", {"CASOS"});
    federation_.admit("QROO/EST/SSP", "Secretaría de Seguridad Ciudadana", {"C5"});
    federation_.add_server("QROO/FED/PGJ/SS1");
    const auto exported = federation_.registry().get("/api/v1/configuration-anchor", RegistryProcess::As::kAuditor);
    ASSERT_EQ(exported.status, 200) << exported.http.body;
    anchor_json_ = exported.http.body;
    write_bytes(anchor_, anchor_json_);
  }

  std::string file(const std::string& name) { return federation_.services().dir().file(name); }
  std::string download_url() const { return Json::parse(anchor_json_).at("download_url").get<std::string>(); }

  // The CLI with `args`, its environment extended by `environment` (e.g. faketime_environment()).
  static CommandResult xacbe(const std::vector<std::string>& args, const std::vector<std::string>& environment = {}) {
    std::vector<std::string> argv = {"env"};
    argv.insert(argv.end(), environment.begin(), environment.end());
    argv.push_back(XACBE_CLI_BIN);
    argv.insert(argv.end(), args.begin(), args.end());
    return run_command(argv);
  }

  // Downloads the published configuration into `path`; returns its version.
  std::uint64_t download(const std::string& path) {
    const CommandResult r = xacbe({"globalconf", "download", "--anchor", anchor_, "-o", path});
    std::smatch m;
    if (r.exit_code != 0 || !std::regex_search(r.output, m, kAccepted)) {
      throw std::runtime_error("xacbe globalconf download: " + r.output);
    }
    return std::stoull(m[1]);
  }

  // An anchor file for `instance` pinning `signing` under `ca`, at the real download URL.
  std::string anchor_file(const std::string& name, const std::string& instance, const std::string& ca_pem,
                          const std::string& signing_pem) {
    const auto anchor =
        must(globalconf::ConfigurationAnchor::create(instance, download_url(), must(crypto::Certificate::load(ca_pem)),
                                                     {must(crypto::Certificate::load(signing_pem))}));
    write_bytes(file(name), anchor.to_json());
    return file(name);
  }

  // A second CA, made with `xacbe ca init` like the CEIQROO's, and a signing certificate it issued:
  // an anchor of another trust.
  std::string other_trust_anchor() {
    const std::string dir = file("other-ca"), key = file("other-signer.key"), csr = file("other-signer.csr");
    const std::string pem = file("other-signer.pem");
    for (const std::vector<std::string>& args :
         {std::vector<std::string>{"ca", "--dir", dir, "init", "--subject", "C=MX,O=Otra,CN=Other Root"},
          {"key", "generate", "--out", key},
          {"csr", "create", "--key", key, "--subject", "CN=other", "--out", csr},
          {"ca", "--dir", dir, "issue", "--profile", "sign", "--csr", csr, "--subject", "C=MX,O=Otra,CN=Other signer",
           "--out", pem}}) {
      const CommandResult r = xacbe(args);
      if (r.exit_code != 0) throw std::runtime_error("xacbe " + args.front() + ": " + r.output);
    }
    return anchor_file("anchor-other-ca.json", "QROO", dir + "/ca.pem", pem);
  }

  // The real anchor for another instance: same CA, same signing certificate.
  std::string other_instance_anchor() {
    Json anchor = Json::parse(anchor_json_);
    anchor["instance"] = "QROO-TEST";
    write_bytes(file("anchor-QROO-TEST.json"), anchor.dump());
    return file("anchor-QROO-TEST.json");
  }

  Federation federation_{
      {{XACBE_CLI_BIN, XACBE_TSA_BIN, XACBE_OCSP_BIN}, XACBE_REGISTRY_BIN, XACBE_SECURITY_SERVER_BIN}};
  std::string anchor_json_;
  std::string anchor_ = file("anchor-QROO.json");
};

TEST_F(CliGlobalconfTest, DownloadsThePublishedConfigurationAndVerifiesIt) {
  const std::string path = file("globalconf-QROO.json");
  const CommandResult downloaded = xacbe({"globalconf", "download", "--anchor", anchor_, "-o", path});
  ASSERT_EQ(downloaded.exit_code, 0) << downloaded.output;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(downloaded.output, m, kAccepted)) << downloaded.output;
  const std::string verdict = m[0];
  const std::string version = m[1];
  EXPECT_TRUE(contains(downloaded.output, "written to " + path)) << downloaded.output;
  // The file holds the signed form as the registry serves it, byte for byte (the same version is
  // served again while the content has not changed).
  const auto served = federation_.registry().get("/globalconf/QROO", RegistryProcess::As::kAnonymous);
  ASSERT_EQ(served.status, 200);
  EXPECT_EQ(read_bytes(path), served.http.body);

  const CommandResult verified = xacbe({"globalconf", "verify", "--anchor", anchor_, path});
  EXPECT_EQ(verified.exit_code, 0) << verified.output;
  EXPECT_EQ(verified.output, verdict);
  // The version in use is no rollback.
  const CommandResult same = xacbe({"globalconf", "verify", "--anchor", anchor_, "--min-version", version, path});
  EXPECT_EQ(same.exit_code, 0) << same.output;
  EXPECT_EQ(same.output, verdict);
}

struct Refusal {
  const char* name;
  std::vector<std::string> args;         // after "globalconf verify" or "globalconf download"
  std::vector<std::string> environment;  // e.g. the CLI's clock moved
  std::string fault;
};

void expect_refused(const CommandResult& r, const Refusal& row) {
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_EQ(r.output.rfind("refused (" + row.fault + "): ", 0), 0u) << r.output;
  EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << "one line: " << r.output;
  EXPECT_TRUE(terminal_safe(r.output)) << r.output;
}

TEST_F(CliGlobalconfTest, RefusesWhatASecurityServerWouldRefuseAndNamesTheFault) {
  const std::string path = file("globalconf-QROO.json");
  const std::uint64_t version = download(path);

  // One byte of the signed content changed, the signature left as it is.
  auto envelope = must(globalconf::SignedConfiguration::parse(read_bytes(path)));
  const std::size_t at = envelope.content.find("Fiscal");
  ASSERT_NE(at, std::string::npos);
  envelope.content[at] = 'f';
  const std::string tampered = file("tampered.json");
  write_bytes(tampered, envelope.to_json());

  const std::string html = file("maintenance.html");
  write_bytes(html, "<html>maintenance</html>\n");
  // Hostile bytes that the refusal's reason quotes: raw in a JSON key the parser stops in (a C1
  // CSI, then a byte that is not UTF-8), and as JSON escapes in a key the envelope check names
  // (clear screen, C1 CSI, bell).
  const std::string raw = file("hostile-raw.json");
  write_bytes(raw, "{\"conte\xc2\x9b\xff\x1b]0;owned\x07\":1}\n");
  const std::string key = file("hostile-key.json");
  write_bytes(key, R"({"\u001b[2J\u009b31m\u0007":"x","content":"eA==","signature":"eA=="})");
  const std::string escape = file("escape.bin");
  write_bytes(escape, "\x1b]0;owned\x07\x1b[2J\n");
  const std::string impostor = federation_.services().issue("sign", "impostor");

  const std::vector<Refusal> rows = {
      {"one byte of the content altered", {tampered}, {}, "TAMPERED"},
      {"signed by a certificate of another CA", {"--anchor", other_trust_anchor(), path}, {}, "UNTRUSTED_SIGNER"},
      {"anchor pinning another certificate of the same CA",
       {"--anchor", anchor_file("anchor-impostor.json", "QROO", federation_.services().root_pem(), impostor), path},
       {},
       "UNTRUSTED_SIGNER"},
      {"anchor of another instance", {"--anchor", other_instance_anchor(), path}, {}, "WRONG_INSTANCE"},
      {"older than the version in use", {"--min-version", std::to_string(version + 1), path}, {}, "ROLLBACK"},
      {"expired: the configuration is valid for 24 hours", {path}, faketime_environment("+2d"), "EXPIRED"},
      {"the signing certificate (two years) has expired", {path}, faketime_environment("+1000d"), "UNTRUSTED_SIGNER"},
      {"not a signed configuration", {html}, {}, "MALFORMED"},
      {"an anchor instead of a configuration", {anchor_}, {}, "MALFORMED"},
      {"terminal escapes", {escape}, {}, "MALFORMED"},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    std::vector<std::string> args = {"globalconf", "verify"};
    if (std::find(row.args.begin(), row.args.end(), "--anchor") == row.args.end()) {
      args.insert(args.end(), {"--anchor", anchor_});
    }
    args.insert(args.end(), row.args.begin(), row.args.end());
    expect_refused(xacbe(args, row.environment), row);
  }
  // The quoted bytes are shown escaped, not dropped.
  const std::pair<std::string, std::string> quoted[] = {{raw, R"(conte\xc2\x9b\xff)"},
                                                        {key, R"(\x1b[2J\xc2\x9b31m\x07)"}};
  for (const auto& [path_quoting, shown] : quoted) {
    SCOPED_TRACE(shown);
    const CommandResult r = xacbe({"globalconf", "verify", "--anchor", anchor_, path_quoting});
    expect_refused(r, {"hostile bytes quoted", {}, {}, "MALFORMED"});
    EXPECT_TRUE(contains(r.output, shown)) << r.output;
  }
}

TEST_F(CliGlobalconfTest, DownloadWritesNothingWhenRefused) {
  const std::uint64_t version = download(file("accepted.json"));
  const std::string registry = federation_.registry().url();
  const std::vector<Refusal> rows = {
      {"404: the path of another instance", {"--url", registry + "/globalconf/QROO-TEST"}, {}, "DOWNLOAD_FAILED"},
      {"nobody listening",
       {"--url", "http://127.0.0.1:" + std::to_string(free_port()) + "/globalconf/QROO"},
       {},
       "DOWNLOAD_FAILED"},
      {"older than --min-version", {"--min-version", std::to_string(version + 1)}, {}, "ROLLBACK"},
      {"anchor of another instance", {"--anchor", other_instance_anchor()}, {}, "WRONG_INSTANCE"},
      {"anchor of another CA", {"--anchor", other_trust_anchor()}, {}, "UNTRUSTED_SIGNER"},
      {"the downloader's clock past the expiry", {}, faketime_environment("+2d"), "EXPIRED"},
  };
  // Only these two: a refused download leaves no temporary file either.
  const std::string outputs = file("outputs");
  std::filesystem::create_directory(outputs);
  const std::string kept = outputs + "/kept.json", absent = outputs + "/absent.json";
  write_bytes(kept, "the copy in use\n");
  const auto entries = [&] {
    const std::filesystem::directory_iterator dir(outputs);
    return std::distance(begin(dir), end(dir));
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    for (const std::string& out : {kept, absent}) {
      std::vector<std::string> args = {"globalconf", "download", "-o", out};
      if (std::find(row.args.begin(), row.args.end(), "--anchor") == row.args.end()) {
        args.insert(args.end(), {"--anchor", anchor_});
      }
      args.insert(args.end(), row.args.begin(), row.args.end());
      const CommandResult r = xacbe(args, row.environment);
      expect_refused(r, row);
      if (row.name == std::string("404: the path of another instance")) {
        EXPECT_TRUE(contains(r.output, "HTTP 404")) << r.output;
      }
    }
    EXPECT_EQ(read_bytes(kept), "the copy in use\n");
    EXPECT_FALSE(std::filesystem::exists(absent));
  }
  EXPECT_EQ(entries(), 1);
}

TEST_F(CliGlobalconfTest, ExitsWithTwoWhenNothingCouldBeChecked) {
  const std::string path = file("globalconf-QROO.json");
  download(path);
  const std::string not_anchor = file("not-an-anchor.json");
  write_bytes(not_anchor, "{}");
  struct Case {
    const char* name;
    std::vector<std::string> args;  // after "globalconf"
    std::string message;
  };
  const std::vector<Case> cases = {
      {"anchor missing", {"verify", "--anchor", file("missing.json"), path}, "xacbe: NOT_FOUND: cannot open"},
      {"anchor not an anchor", {"verify", "--anchor", not_anchor, path}, "xacbe: INVALID_ARGUMENT: "},
      {"file missing", {"verify", "--anchor", anchor_, file("missing.json")}, "xacbe: NOT_FOUND: cannot open"},
      {"no file", {"verify", "--anchor", anchor_}, "file is required"},
      {"no anchor", {"verify", path}, "--anchor is required"},
      {"negative version", {"verify", "--anchor", anchor_, "--min-version", "-1", path}, "--min-version"},
      {"version past 2^64 - 1",
       {"verify", "--anchor", anchor_, "--min-version", "18446744073709551616", path},
       "--min-version"},
      {"version not a number", {"verify", "--anchor", anchor_, "--min-version", "new", path}, "--min-version"},
      {"download without -o", {"download", "--anchor", anchor_}, "--out is required"},
      {"URL the anchor format refuses",
       {"download", "--anchor", anchor_, "--url", "ftp://127.0.0.1/", "-o", path},
       "--url"},
      {"output cannot be written",
       {"download", "--anchor", anchor_, "-o", file("no-such-directory/globalconf.json")},
       "no-such-directory"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    std::vector<std::string> args = {"globalconf"};
    args.insert(args.end(), c.args.begin(), c.args.end());
    const CommandResult r = xacbe(args);
    EXPECT_EQ(r.exit_code, 2) << r.output;
    EXPECT_TRUE(contains(r.output, c.message)) << r.output;
    EXPECT_TRUE(terminal_safe(r.output)) << r.output;
  }
}

}  // namespace
}  // namespace xacbe::testing
