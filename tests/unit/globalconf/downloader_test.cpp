#include "xacbe/globalconf/downloader.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>

#include "support/test_pki.hpp"
#include "xacbe/file.hpp"
#include "xacbe/net/http_server.hpp"
#include "xacbe/net/tls_context.hpp"

namespace xacbe::globalconf {
namespace {

using std::chrono::hours;
using std::chrono::seconds;
using xacbe::testing::KeyAndCert;
using xacbe::testing::TestPki;

template <typename T>
T must(Result<T> r) {
  if (!r) throw std::runtime_error(r.status().to_string());
  return std::move(r).value();
}

constexpr std::int64_t kNow = 1'800'000'000;  // 2027-01-15T08:00:00Z

// A registry stand-in: serves whatever the test last published at /globalconf.
class FakeRegistry {
 public:
  // With `tls`, the registry serves HTTPS with that identity.
  explicit FakeRegistry(std::optional<KeyAndCert> tls = std::nullopt) : tls_(tls.has_value()) {
    net::ServerOptions options;
    options.threads = 1;
    if (tls) {
      net::TlsOptions identity;
      identity.certificate = tls->cert;
      identity.key = std::make_shared<const crypto::PrivateKey>(std::move(tls->key));
      options.tls = must(net::TlsContext::create_server(std::move(identity)));
    }
    server_ = must(net::HttpServer::start(options, [this](const net::HttpRequest& request) {
      std::lock_guard lock(mu_);
      if (request.method != "GET" || request.target != "/globalconf") {
        return net::HttpResponse::make(404, "text/plain", "not found\n");
      }
      return net::HttpResponse::make(status_, "application/json", body_);
    }));
  }
  void publish(std::string body, int status = 200) {
    std::lock_guard lock(mu_);
    body_ = std::move(body);
    status_ = status;
  }
  std::string url() const {
    return (tls_ ? "https" : "http") + std::string("://127.0.0.1:") + std::to_string(server_->port()) + "/globalconf";
  }
  void stop() { server_->stop(); }

 private:
  std::mutex mu_;
  std::string body_;  // guarded by mu_
  int status_ = 404;  // guarded by mu_
  bool tls_;
  std::unique_ptr<net::HttpServer> server_;
};

class DownloaderTest : public ::testing::Test {
 protected:
  // A signed configuration of `version`, valid from now - 1 h for `valid_for` from now.
  std::string signed_config(std::uint64_t version, hours valid_for = hours(24)) {
    return signed_config_of(clock_, pki_, signer_, ocsp_, tsa_, version, valid_for);
  }
  static std::string signed_config_of(const Clock& clock, TestPki& pki, const KeyAndCert& signer,
                                      const KeyAndCert& ocsp, const KeyAndCert& tsa, std::uint64_t version,
                                      hours valid_for = hours(24)) {
    const std::chrono::sys_seconds now = std::chrono::floor<seconds>(clock.now());
    auto conf = must(GlobalConfiguration::create(ConfigurationContent{
        .instance = "QROO",
        .version = version,
        .created_at = now - hours(1),
        .expires_at = now + valid_for,
        .members = {{must(id::MemberId::parse("QROO/FED/PGJ")), "Fiscalía General del Estado"}},
        .subsystems = {},
        .security_servers = {},
        .ca = {pki.root(), {"http://ocsp.ceiqroo.example/"}, {ocsp.cert}},
        .tsa = {"http://tsa.ceiqroo.example/", tsa.cert},
        .global_groups = {},
        .settings = {},
    }));
    return must(sign_configuration(conf, signer.key, signer.cert));
  }
  std::string tampered(const std::string& signed_bytes) {
    auto envelope = must(SignedConfiguration::parse(signed_bytes));
    envelope.content[envelope.content.find("Fiscal")] = 'f';
    return envelope.to_json();
  }
  std::unique_ptr<ConfigurationClient> open_client() { return must(ConfigurationClient::open(anchor_, path_, clock_)); }
  static std::uint64_t version_in_use(const ConfigurationClient& client) {
    auto current = client.current();
    if (!current) throw std::runtime_error(current.status().to_string());
    return (*current)->version();
  }

  ManualClock clock_{TimePoint(seconds(kNow))};
  TestPki pki_{clock_};
  KeyAndCert signer_ = pki_.issue(ca::Profile::kSigning, "CEIQROO configuration signing");
  KeyAndCert ocsp_ = pki_.issue(ca::Profile::kOcspResponder, "CEIQROO OCSP");
  KeyAndCert tsa_ = pki_.issue(ca::Profile::kTimestamping, "CEIQROO TSA");
  FakeRegistry registry_;
  ConfigurationAnchor anchor_ = must(ConfigurationAnchor::create("QROO", registry_.url(), pki_.root(), {signer_.cert}));
  std::string path_ = pki_.dir().file("globalconf.json");
};

TEST_F(DownloaderTest, FetchDownloadsAndVerifies) {
  registry_.publish(signed_config(3));
  ConfigurationFault fault = ConfigurationFault::kExpired;
  auto conf = fetch(anchor_, clock_, 0, {}, &fault);
  ASSERT_TRUE(conf.is_ok()) << conf.status().to_string();
  EXPECT_EQ(conf->version(), 3u);
  EXPECT_EQ(fault, ConfigurationFault::kNone);
}

// download() is only the transport: what the registry serves comes back byte for byte, checked
// by nobody yet, and an answer other than 200 is no configuration at all.
TEST_F(DownloaderTest, DownloadReturnsTheServedBytesUnverified) {
  const std::string bytes = tampered(signed_config(3));
  registry_.publish(bytes);
  auto served = download(anchor_);
  ASSERT_TRUE(served.is_ok()) << served.status().to_string();
  EXPECT_EQ(*served, bytes);
  registry_.publish(bytes, 404);
  auto missing = download(anchor_);
  ASSERT_FALSE(missing.is_ok());
  EXPECT_EQ(missing.status().code(), Code::kUnavailable) << missing.status().to_string();
  EXPECT_NE(missing.status().message().find("HTTP 404"), std::string::npos) << missing.status().to_string();
}

// An https download URL trusts the anchor's CA: a registry certificate the CEIQROO CA issued for
// the host is accepted, one of another CA is refused in the handshake.
TEST_F(DownloaderTest, DownloadsOverHttpsTrustingTheAnchorsCa) {
  // The TLS handshake checks validity on the system clock: certificates issued now.
  SystemClock now;
  TestPki pki(now);
  const KeyAndCert signer = pki.issue(ca::Profile::kSigning, "CEIQROO configuration signing");
  const KeyAndCert ocsp = pki.issue(ca::Profile::kOcspResponder, "CEIQROO OCSP");
  const KeyAndCert tsa = pki.issue(ca::Profile::kTimestamping, "CEIQROO TSA");
  FakeRegistry https(pki.issue_tls_server("registro.ceiqroo.example", {}, {"127.0.0.1"}));
  https.publish(signed_config_of(now, pki, signer, ocsp, tsa, 4));
  const auto anchor = must(ConfigurationAnchor::create("QROO", https.url(), pki.root(), {signer.cert}));
  ASSERT_EQ(anchor.download_url().rfind("https://", 0), 0u);
  auto conf = fetch(anchor, now, 0);
  ASSERT_TRUE(conf.is_ok()) << conf.status().to_string();
  EXPECT_EQ(conf->version(), 4u);

  // The same document behind a TLS certificate of another CA.
  TestPki other(now);
  FakeRegistry impostor(other.issue_tls_server("registro.ceiqroo.example", {}, {"127.0.0.1"}));
  impostor.publish(signed_config_of(now, pki, signer, ocsp, tsa, 4));
  const auto anchor2 = must(ConfigurationAnchor::create("QROO", impostor.url(), pki.root(), {signer.cert}));
  ConfigurationFault fault = ConfigurationFault::kNone;
  auto refused = fetch(anchor2, now, 0, {}, &fault);
  ASSERT_FALSE(refused.is_ok());
  EXPECT_EQ(fault, ConfigurationFault::kDownloadFailed);
  EXPECT_NE(refused.status().message().find("TLS"), std::string::npos) << refused.status().to_string();
}

TEST_F(DownloaderTest, FetchRefusesWhatDoesNotVerifyOrCannotBeDownloaded) {
  struct Row {
    const char* name;
    std::string body;
    int status;
    std::uint64_t min_version;
    ConfigurationFault fault;
    Code code;
  };
  const std::vector<Row> rows = {
      {"tampered", tampered(signed_config(3)), 200, 0, ConfigurationFault::kTampered, Code::kCorrupt},
      {"rollback", signed_config(3), 200, 4, ConfigurationFault::kRollback, Code::kFailedPrecondition},
      {"expired", signed_config(3, hours(0)), 200, 0, ConfigurationFault::kExpired, Code::kFailedPrecondition},
      {"not a configuration", "<html>maintenance</html>", 200, 0, ConfigurationFault::kMalformed,
       Code::kInvalidArgument},
      {"HTTP 503", signed_config(3), 503, 0, ConfigurationFault::kDownloadFailed, Code::kUnavailable},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    registry_.publish(row.body, row.status);
    ConfigurationFault fault = ConfigurationFault::kNone;
    auto r = fetch(anchor_, clock_, row.min_version, {}, &fault);
    ASSERT_FALSE(r.is_ok());
    EXPECT_EQ(fault, row.fault) << r.status().to_string();
    EXPECT_EQ(r.status().code(), row.code) << r.status().to_string();
  }
}

TEST_F(DownloaderTest, FetchReportsAnUnreachableRegistry) {
  registry_.stop();
  net::ClientOptions options;
  options.timeout = std::chrono::seconds(5);
  ConfigurationFault fault = ConfigurationFault::kNone;
  auto r = fetch(anchor_, clock_, 0, options, &fault);
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(fault, ConfigurationFault::kDownloadFailed);
  EXPECT_EQ(r.status().code(), Code::kUnavailable) << r.status().to_string();
}

TEST_F(DownloaderTest, RefreshStoresTheCopyAndPutsItInUse) {
  auto client = open_client();
  EXPECT_TRUE(client->stored_copy_status().is_ok());
  auto none = client->current();
  ASSERT_FALSE(none.is_ok());
  EXPECT_EQ(none.status().code(), Code::kFailedPrecondition);

  const std::string v5 = signed_config(5);
  registry_.publish(v5);
  ASSERT_TRUE(client->refresh().is_ok());
  EXPECT_EQ(version_in_use(*client), 5u);
  EXPECT_EQ(must(read_file(path_)), v5);
}

TEST_F(DownloaderTest, KeepsTheLastValidCopyWhenANewerDownloadFails) {
  auto client = open_client();
  const std::string v5 = signed_config(5);
  registry_.publish(v5);
  ASSERT_TRUE(client->refresh().is_ok());

  struct Row {
    const char* name;
    std::string body;
    int status;
    ConfigurationFault fault;
  };
  const std::vector<Row> rows = {
      {"tampered newer version", tampered(signed_config(6)), 200, ConfigurationFault::kTampered},
      {"older version", signed_config(4), 200, ConfigurationFault::kRollback},
      {"garbage", "{}", 200, ConfigurationFault::kMalformed},
      {"registry error", "", 500, ConfigurationFault::kDownloadFailed},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    registry_.publish(row.body, row.status);
    ConfigurationFault fault = ConfigurationFault::kNone;
    EXPECT_FALSE(client->refresh(&fault).is_ok());
    EXPECT_EQ(fault, row.fault);
    EXPECT_EQ(version_in_use(*client), 5u);
    EXPECT_EQ(must(read_file(path_)), v5);
  }

  const std::string v6 = signed_config(6);
  registry_.publish(v6);
  ASSERT_TRUE(client->refresh().is_ok());
  EXPECT_EQ(version_in_use(*client), 6u);
  EXPECT_EQ(must(read_file(path_)), v6);
}

TEST_F(DownloaderTest, KeepsTheCopyInUseWhenTheSameVersionIsServedAgain) {
  auto client = open_client();
  const std::string first = signed_config(5);
  registry_.publish(first);
  ASSERT_TRUE(client->refresh().is_ok());
  clock_.advance(seconds(1));
  const std::string again = signed_config(5);  // signed again: other bytes
  ASSERT_NE(again, first);
  registry_.publish(again);
  ASSERT_TRUE(client->refresh().is_ok());
  EXPECT_EQ(must(read_file(path_)), first);
  EXPECT_EQ(version_in_use(*client), 5u);
}

TEST_F(DownloaderTest, UsesTheStoredCopyAfterARestartWithoutTheRegistry) {
  registry_.publish(signed_config(5));
  ASSERT_TRUE(open_client()->refresh().is_ok());
  registry_.stop();
  auto restarted = open_client();
  EXPECT_TRUE(restarted->stored_copy_status().is_ok()) << restarted->stored_copy_status().to_string();
  EXPECT_EQ(version_in_use(*restarted), 5u);
}

TEST_F(DownloaderTest, StopsUsingTheCopyOnceItExpires) {
  auto client = open_client();
  registry_.publish(signed_config(5, hours(2)));
  ASSERT_TRUE(client->refresh().is_ok());
  clock_.advance(hours(2) - seconds(1));
  EXPECT_EQ(version_in_use(*client), 5u);
  clock_.advance(seconds(1));  // now == expires_at
  auto expired = client->current();
  ASSERT_FALSE(expired.is_ok());
  EXPECT_EQ(expired.status().code(), Code::kFailedPrecondition);

  // The registry still serves the expired copy: refused, and nothing is in use.
  ConfigurationFault fault = ConfigurationFault::kNone;
  EXPECT_FALSE(client->refresh(&fault).is_ok());
  EXPECT_EQ(fault, ConfigurationFault::kExpired);
  EXPECT_FALSE(client->current().is_ok());

  registry_.publish(signed_config(6));
  ASSERT_TRUE(client->refresh().is_ok());
  EXPECT_EQ(version_in_use(*client), 6u);
}

TEST_F(DownloaderTest, AnExpiredStoredCopyStillForbidsARollbackAfterARestart) {
  registry_.publish(signed_config(5, hours(2)));
  ASSERT_TRUE(open_client()->refresh().is_ok());
  clock_.advance(hours(3));

  auto restarted = open_client();
  EXPECT_EQ(restarted->stored_copy_status().code(), Code::kFailedPrecondition);
  EXPECT_FALSE(restarted->current().is_ok());
  registry_.publish(signed_config(4));  // older, but not expired
  ConfigurationFault fault = ConfigurationFault::kNone;
  EXPECT_FALSE(restarted->refresh(&fault).is_ok());
  EXPECT_EQ(fault, ConfigurationFault::kRollback);

  registry_.publish(signed_config(6));
  ASSERT_TRUE(restarted->refresh().is_ok());
  EXPECT_EQ(version_in_use(*restarted), 6u);
}

TEST_F(DownloaderTest, IgnoresADamagedStoredCopy) {
  ASSERT_TRUE(write_file_atomic(path_, tampered(signed_config(5))).is_ok());
  auto client = open_client();
  EXPECT_EQ(client->stored_copy_status().code(), Code::kCorrupt) << client->stored_copy_status().to_string();
  EXPECT_FALSE(client->current().is_ok());
  registry_.publish(signed_config(5));
  ASSERT_TRUE(client->refresh().is_ok());
  EXPECT_EQ(version_in_use(*client), 5u);
}

TEST_F(DownloaderTest, DoesNotUseACopyItCouldNotStore) {
  ASSERT_TRUE(write_file_atomic(pki_.dir().file("plain-file"), "x").is_ok());
  auto client = must(ConfigurationClient::open(anchor_, pki_.dir().file("plain-file/globalconf.json"), clock_));
  registry_.publish(signed_config(5));
  auto r = client->refresh();
  EXPECT_EQ(r.code(), Code::kUnavailable) << r.to_string();
  EXPECT_FALSE(client->current().is_ok());
}

TEST_F(DownloaderTest, ANewVersionIsHandedOverBeforeItIsUsed) {
  auto client = open_client();
  registry_.publish(signed_config(5));
  ASSERT_TRUE(client->refresh().is_ok());
  std::vector<std::string> handed;
  client->set_before_use([&](const std::string& bytes) {
    handed.push_back(bytes);
    // Not yet in use while the hook runs.
    EXPECT_EQ(version_in_use(*client), 5u);
    return handed.size() == 1 ? unavailable("the evidence store is full (test)") : Status::ok();
  });
  const std::string v6 = signed_config(6);
  registry_.publish(v6);
  // Refused by the hook: the version in use and the file stay.
  EXPECT_EQ(client->refresh().code(), Code::kUnavailable);
  EXPECT_EQ(version_in_use(*client), 5u);
  EXPECT_NE(must(read_file(path_)), v6);
  // Accepted: then written and used; the same version again is not handed over twice.
  ASSERT_TRUE(client->refresh().is_ok());
  EXPECT_EQ(version_in_use(*client), 6u);
  EXPECT_EQ(*client->current_signed(), v6);
  ASSERT_TRUE(client->refresh().is_ok());
  EXPECT_EQ(handed, (std::vector<std::string>{v6, v6}));
}

}  // namespace
}  // namespace xacbe::globalconf
