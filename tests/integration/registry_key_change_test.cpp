// Integration: a change of the configuration-signing key on the real xacbe-central-registry, in the
// operator's steps (docs/operator-guide.md, "Changing the configuration-signing key"): announce the
// next key, switch to it, drop the old certificate. At every step `xacbe globalconf download`
// plays a security server holding the anchor of the step before.

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <functional>

#include "support/e2e/registry_process.hpp"
#include "support/e2e/trust_services.hpp"
#include "xacbe/crypto/certificate.hpp"
#include "xacbe/file.hpp"
#include "xacbe/globalconf/signed_configuration.hpp"

namespace xacbe::testing {
namespace {

Executables executables() { return {XACBE_CLI_BIN, XACBE_TSA_BIN, XACBE_OCSP_BIN}; }

class RegistryKeyChangeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    registry_.publish_globalconf();
    registry_.start();
  }

  nlohmann::json& globalconf() { return registry_.config()["registry"]["globalconf"]; }

  // The anchor the registry exports now, kept in a file as an administrator receives it.
  std::string export_anchor(const std::string& name) {
    const auto reply = registry_.get("/api/v1/configuration-anchor", RegistryProcess::As::kAuditor);
    EXPECT_EQ(reply.status, 200) << reply.http.body;
    const std::string path = services_.dir().file(name);
    EXPECT_TRUE(write_file_atomic(path, reply.http.body).is_ok());
    return path;
  }

  std::vector<std::string> signing_serials(const std::string& anchor_path) {
    std::vector<std::string> out;
    const auto anchor = globalconf::ConfigurationAnchor::load(anchor_path).value();
    for (const auto& c : anchor.signing_certificates()) {
      out.push_back(c.serial_hex());
    }
    return out;
  }

  // A security server holding `anchor_path` downloads the configuration the registry serves now.
  CommandResult download_with(const std::string& anchor_path) {
    return run_command({XACBE_CLI_BIN, "globalconf", "download", "--anchor", anchor_path, "--url",
                        registry_.url() + "/globalconf/QROO", "-o", services_.dir().file("downloaded.json")});
  }

  // The serial of the certificate that signed the configuration served now.
  std::string served_signer() {
    const auto reply = registry_.get("/globalconf/QROO", RegistryProcess::As::kAnonymous);
    EXPECT_EQ(reply.status, 200);
    return globalconf::embedded_signer(reply.http.body).value().serial_hex();
  }

  std::string serial_at(const std::string& name) { return serial_of(services_.dir().file(name)); }

  TrustServices services_{executables()};
  RegistryProcess registry_{services_, XACBE_REGISTRY_BIN};
};

TEST_F(RegistryKeyChangeTest, AnnounceSwitchAndDropKeepEveryServerThatFollowsTheStepsAccepting) {
  const std::string old_anchor = export_anchor("anchor-1.json");
  const std::string old_serial = serial_at("globalconf-signing.pem");
  ASSERT_EQ(signing_serials(old_anchor), std::vector<std::string>{old_serial});
  ASSERT_EQ(download_with(old_anchor).exit_code, 0);

  // 1. Announce: the registry makes the next pair; the anchor lists both; the old key still signs.
  globalconf()["next_signing_key"] = "globalconf-signing-2.key";
  globalconf()["next_signing_certificate"] = "globalconf-signing-2.pem";
  registry_.restart();
  EXPECT_NE(registry_.log().find("is announced in the anchor"), std::string::npos) << registry_.log();
  const std::string new_serial = serial_at("globalconf-signing-2.pem");
  const std::string both_anchor = export_anchor("anchor-2.json");
  EXPECT_EQ(signing_serials(both_anchor), (std::vector<std::string>{old_serial, new_serial}));
  EXPECT_EQ(served_signer(), old_serial);
  const CommandResult old_holder = download_with(old_anchor);
  EXPECT_EQ(old_holder.exit_code, 0) << old_holder.output;  // not installed the new anchor yet: still fine
  EXPECT_EQ(download_with(both_anchor).exit_code, 0);

  // 2. Switch: the next key signs; the anchor is the same file; the old key may be destroyed.
  ASSERT_EQ(std::remove(services_.dir().file("globalconf-signing.key").c_str()), 0);
  globalconf()["active_signing_key"] = "next";
  registry_.restart();
  EXPECT_EQ(read_file(export_anchor("anchor-3.json")).value(), read_file(both_anchor).value());
  EXPECT_EQ(served_signer(), new_serial);
  const CommandResult installed = download_with(both_anchor);
  EXPECT_EQ(installed.exit_code, 0) << installed.output;
  const CommandResult late = download_with(old_anchor);  // a server that skipped the new anchor
  EXPECT_EQ(late.exit_code, 1) << late.output;
  EXPECT_NE(late.output.find("UNTRUSTED_SIGNER"), std::string::npos) << late.output;
  EXPECT_FALSE(std::filesystem::exists(services_.dir().file("globalconf-signing.key")))
      << "the retired key is never made again";

  // 3. Drop the old certificate: the next key's files become the signing files.
  globalconf()["signing_key"] = "globalconf-signing-2.key";
  globalconf()["signing_certificate"] = "globalconf-signing-2.pem";
  globalconf().erase("next_signing_key");
  globalconf().erase("next_signing_certificate");
  globalconf().erase("active_signing_key");
  registry_.restart();
  const std::string new_anchor = export_anchor("anchor-4.json");
  EXPECT_EQ(signing_serials(new_anchor), std::vector<std::string>{new_serial});
  EXPECT_EQ(served_signer(), new_serial);
  EXPECT_EQ(download_with(new_anchor).exit_code, 0);
  EXPECT_EQ(download_with(both_anchor).exit_code, 0);  // servers may install the last anchor at leisure
}

TEST_F(RegistryKeyChangeTest, RefusesToStartOnAKeyChangeThatCannotWork) {
  registry_.stop();
  struct Case {
    const char* name;
    std::function<void(nlohmann::json&)> spoil;
    const char* message;
  };
  const std::vector<Case> cases = {
      {"switch without a next key", [](nlohmann::json& g) { g["active_signing_key"] = "next"; },
       "'registry.globalconf.active_signing_key' is \"next\" but there is no 'next_signing_key'"},
      {"an unknown switch value", [](nlohmann::json& g) { g["active_signing_key"] = "new"; },
       "must be \"current\" or \"next\""},
      {"a next key without its certificate", [](nlohmann::json& g) { g["next_signing_key"] = "next.key"; },
       "'registry.globalconf.next_signing_certificate' is required"},
      {"the next files are the current ones",
       [](nlohmann::json& g) {
         g["next_signing_key"] = "globalconf-signing.key";
         g["next_signing_certificate"] = "globalconf-signing.pem";
       },
       "must be files of their own"},
      {"a certificate whose key is gone",
       [](nlohmann::json& g) {
         g["signing_key"] = "gone.key";
       },
       "exists but its key"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    nlohmann::json config = registry_.config();
    c.spoil(config["registry"]["globalconf"]);
    const std::string path = services_.dir().file("bad-registry.json");
    ASSERT_TRUE(write_file_atomic(path, config.dump(2)).is_ok());
    const CommandResult r = run_command({XACBE_REGISTRY_BIN, "--config", path}, {}, std::chrono::seconds(10));
    EXPECT_EQ(r.exit_code, 2) << r.output;
    EXPECT_NE(r.output.find(c.message), std::string::npos) << r.output;
    EXPECT_FALSE(std::filesystem::exists(services_.dir().file("gone.key")));
  }
}

}  // namespace
}  // namespace xacbe::testing
