#pragma once
// Getting the global configuration onto a security server (ARCHITECTURE "Global configuration"):
// download it from the anchor's URL, verify it against the anchor, keep the last valid copy on
// disk, use that copy until it expires, and use nothing once it has.

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "xacbe/clock.hpp"
#include "xacbe/globalconf/global_configuration.hpp"
#include "xacbe/globalconf/signed_configuration.hpp"
#include "xacbe/net/http_client.hpp"
#include "xacbe/result.hpp"

namespace xacbe::globalconf {

// GETs anchor.download_url() and returns the signed bytes as served, not yet verified: for a
// caller that keeps them once verify() accepts them (ConfigurationClient, the CLI's download).
// A failure here is fault kDownloadFailed: a transport error keeps the HTTP client's code and an
// answer other than 200 is kUnavailable. An https URL is reached trusting the anchor's CA
// certificate (the registry's TLS certificate must chain to it and name the URL's host), unless
// `options.tls` brings another TLS client context.
Result<std::string> download(const ConfigurationAnchor& anchor, const net::ClientOptions& options = {});

// download(), then verify() (signed_configuration.hpp) on the answer. Download failures are as
// download() says; verification failures keep verify()'s code and fault.
Result<GlobalConfiguration> fetch(const ConfigurationAnchor& anchor, const Clock& clock, std::uint64_t min_version,
                                  const net::ClientOptions& options = {}, ConfigurationFault* fault = nullptr);

// The configuration a security server works with. refresh() is called on a schedule (by one
// thread at a time or several: refreshes are serialised); current() from any thread.
class ConfigurationClient {
 public:
  // Uses the copy stored at `path` if it still verifies against `anchor`. A missing file is not
  // an error; neither is an unusable one (expired, other anchor, damaged): the client then starts
  // without a configuration and stored_copy_status() says why. An expired but authentic copy
  // still sets the lowest version a download may have. Fails only when the file cannot be read.
  // `clock` must outlive the client.
  static Result<std::unique_ptr<ConfigurationClient>> open(ConfigurationAnchor anchor, std::string path,
                                                           const Clock& clock, net::ClientOptions options = {});

  // Downloads and verifies with min_version = the version in use (or the floor above). A newer
  // configuration is written to the file (atomically) and then put in use; the same version is
  // left as it is. On any failure, including the file write, the copy in use and the file stay
  // unchanged and the failure is returned (with `*fault` set when given).
  Status refresh(ConfigurationFault* fault = nullptr);

  // The configuration in use, while it has not expired (clock.now() < expires_at). Otherwise
  // kFailedPrecondition: a security server exchanges with nobody without a valid configuration.
  Result<std::shared_ptr<const GlobalConfiguration>> current() const;

  // Called by refresh() with the signed form of a newly verified version before it is written and
  // put in use; a failure leaves the version in use as it is and is refresh()'s answer. A security
  // server keeps there the evidence of every configuration it will sign under. Set it before the
  // first refresh().
  using BeforeUse = std::function<Status(const std::string& signed_bytes)>;
  void set_before_use(BeforeUse hook) {
    std::lock_guard lock(refresh_mu_);
    before_use_ = std::move(hook);
  }

  // The signed form of the configuration in use, as verified (also once it has expired); null when
  // there is none. What a security server keeps as evidence of the configuration it used.
  std::shared_ptr<const std::string> current_signed() const {
    std::lock_guard lock(mu_);
    return current_signed_;
  }

  // Why the stored copy was not used at open(); ok when it was used or there was none.
  const Status& stored_copy_status() const { return stored_copy_status_; }
  const ConfigurationAnchor& anchor() const { return anchor_; }

 private:
  ConfigurationClient(ConfigurationAnchor anchor, std::string path, const Clock& clock, net::ClientOptions options);

  const ConfigurationAnchor anchor_;
  const std::string path_;
  const Clock& clock_;
  const net::ClientOptions options_;
  Status stored_copy_status_;  // set once by open()

  std::mutex refresh_mu_;  // held for a whole refresh(), so that two never interleave
  BeforeUse before_use_;   // guarded by refresh_mu_
  mutable std::mutex mu_;
  std::shared_ptr<const GlobalConfiguration> current_;  // guarded by mu_
  std::shared_ptr<const std::string> current_signed_;   // guarded by mu_; the bytes of current_
  std::uint64_t min_version_ = 0;                       // guarded by mu_
};

}  // namespace xacbe::globalconf
