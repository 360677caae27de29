#include "xacbe/globalconf/downloader.hpp"

#include <filesystem>
#include <system_error>
#include <utility>

#include "xacbe/file.hpp"
#include "xacbe/net/tls_context.hpp"

namespace xacbe::globalconf {

namespace {

// An https download URL is reached trusting the anchor's CA unless the caller brings its own TLS
// context: the registry's TLS certificate is then one the CEIQROO CA issued for the download host.
Result<net::ClientOptions> options_for(const ConfigurationAnchor& anchor, net::ClientOptions options) {
  if (options.tls || anchor.download_url().rfind("https://", 0) != 0) return options;
  net::TlsOptions tls;
  tls.trusted = {anchor.ca_certificate()};
  XACBE_ASSIGN_OR_RETURN(options.tls, net::TlsContext::create_client(std::move(tls)));
  return options;
}

}  // namespace

Result<std::string> download(const ConfigurationAnchor& anchor, const net::ClientOptions& given) {
  net::HttpRequest request;
  request.method = "GET";
  request.headers.emplace_back("Accept", "application/json");
  XACBE_ASSIGN_OR_RETURN(net::ClientOptions options, options_for(anchor, given));
  auto response = net::http_request(anchor.download_url(), std::move(request), options);
  if (!response) {
    return Status(response.status().code(), "cannot download the global configuration from " + anchor.download_url() +
                                                ": " + response.status().message());
  }
  if (response->status != 200) {
    return unavailable("cannot download the global configuration from " + anchor.download_url() + ": HTTP " +
                       std::to_string(response->status));
  }
  return std::move(response->body);
}

Result<GlobalConfiguration> fetch(const ConfigurationAnchor& anchor, const Clock& clock, std::uint64_t min_version,
                                  const net::ClientOptions& options, ConfigurationFault* fault) {
  ConfigurationFault unused = ConfigurationFault::kNone;
  ConfigurationFault& why = fault != nullptr ? *fault : unused;
  why = ConfigurationFault::kNone;
  auto bytes = download(anchor, options);
  if (!bytes) {
    why = ConfigurationFault::kDownloadFailed;
    return bytes.status();
  }
  return verify(*bytes, anchor, clock, min_version, &why);
}

ConfigurationClient::ConfigurationClient(ConfigurationAnchor anchor, std::string path, const Clock& clock,
                                         net::ClientOptions options)
    : anchor_(std::move(anchor)), path_(std::move(path)), clock_(clock), options_(std::move(options)) {}

Result<std::unique_ptr<ConfigurationClient>> ConfigurationClient::open(ConfigurationAnchor anchor, std::string path,
                                                                       const Clock& clock, net::ClientOptions options) {
  std::unique_ptr<ConfigurationClient> client(
      new ConfigurationClient(std::move(anchor), std::move(path), clock, std::move(options)));
  std::error_code ec;
  if (!std::filesystem::exists(client->path_, ec)) {
    if (ec) return unavailable("cannot inspect " + client->path_ + ": " + ec.message());
    return client;
  }
  XACBE_ASSIGN_OR_RETURN(std::string bytes, read_file(client->path_));
  ConfigurationFault fault = ConfigurationFault::kNone;
  auto stored = verify(bytes, client->anchor_, clock, 0, &fault);
  if (stored) {
    client->min_version_ = stored->version();
    client->current_ = std::make_shared<const GlobalConfiguration>(std::move(stored).value());
    client->current_signed_ = std::make_shared<const std::string>(std::move(bytes));
    return client;
  }
  client->stored_copy_status_ = Status(stored.status().code(), client->path_ + ": " + stored.status().message());
  if (fault == ConfigurationFault::kExpired) {
    // Every check before the expiry passed, so the content is authentic: its version still
    // bounds what a later download may be (no rollback across a restart after an expiry).
    auto envelope = SignedConfiguration::parse(bytes);
    auto conf =
        envelope ? GlobalConfiguration::from_json(envelope->content) : Result<GlobalConfiguration>(envelope.status());
    if (conf) client->min_version_ = conf->version();
  }
  return client;
}

Status ConfigurationClient::refresh(ConfigurationFault* fault) {
  ConfigurationFault unused = ConfigurationFault::kNone;
  ConfigurationFault& why = fault != nullptr ? *fault : unused;
  why = ConfigurationFault::kNone;
  std::lock_guard refreshing(refresh_mu_);
  std::uint64_t min_version = 0;
  {
    std::lock_guard lock(mu_);
    min_version = min_version_;
  }
  auto bytes = download(anchor_, options_);
  if (!bytes) {
    why = ConfigurationFault::kDownloadFailed;
    return bytes.status();
  }
  auto fresh = verify(*bytes, anchor_, clock_, min_version, &why);
  if (!fresh) return fresh.status();
  {
    std::lock_guard lock(mu_);
    // The same version again: keep the copy in use (a new publication has a new version).
    if (current_ && fresh->version() == current_->version()) return Status::ok();
  }
  if (before_use_) XACBE_RETURN_IF_ERROR(before_use_(*bytes));
  // Written before it is used, so the file always holds the configuration in use.
  XACBE_RETURN_IF_ERROR(write_file_atomic(path_, *bytes, 0644));
  std::lock_guard lock(mu_);
  min_version_ = fresh->version();
  current_ = std::make_shared<const GlobalConfiguration>(std::move(fresh).value());
  current_signed_ = std::make_shared<const std::string>(std::move(bytes).value());
  return Status::ok();
}

Result<std::shared_ptr<const GlobalConfiguration>> ConfigurationClient::current() const {
  std::lock_guard lock(mu_);
  if (!current_) return failed_precondition("no valid global configuration for instance " + anchor_.instance());
  // In whole seconds: expires_at may lie past 2262, beyond a nanosecond TimePoint.
  if (std::chrono::floor<std::chrono::seconds>(clock_.now()) >= current_->expires_at()) {
    return failed_precondition("the global configuration (version " + std::to_string(current_->version()) +
                               ") expired at " + format_time(current_->expires_at()));
  }
  return current_;
}

}  // namespace xacbe::globalconf
