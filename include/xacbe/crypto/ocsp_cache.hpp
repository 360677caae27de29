#pragma once
// A server's OCSP responses for its own certificates, kept fresh in the background so that
// signing never waits for the responder (docs/protocol/ocsp.md "Client side"). Each certificate
// is refreshed at an interval with jitter, sooner after a failure (bounded backoff); a failed
// refresh keeps the last good response, and a response older than the freshness limit is never
// handed out. Every decision reads the injected Clock: tests drive refresh_due() with a
// ManualClock and never start the background thread or sleep.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "xacbe/clock.hpp"
#include "xacbe/crypto/certificate.hpp"
#include "xacbe/crypto/fetch.hpp"
#include "xacbe/crypto/ocsp_client.hpp"
#include "xacbe/result.hpp"

namespace xacbe::crypto {

// A certificate of ours and the CA certificate that issued it.
struct OwnCertificate {
  Certificate cert;
  Certificate issuer;
};

struct OcspCacheSettings {
  // Tried in order until one gives an acceptable answer (the global configuration's OCSP URLs).
  std::vector<std::string> responder_urls;
  // Who may sign the answers (the global configuration's OCSP responder certificates).
  std::vector<Certificate> allowed_responders;
  // Request and check options; client.check.freshness is the global configuration's
  // ocsp_freshness_seconds and also bounds what the cache hands out.
  OcspClientOptions client;
  // After a success: the next refresh in refresh_interval +- jitter (a fraction, 0..0.5), but
  // never later than nextUpdate or half the freshness limit after producedAt.
  std::chrono::seconds refresh_interval{1200};
  double jitter = 0.1;
  // After the n-th failure in a row: retry_initial * 2^(n-1), at most retry_max.
  std::chrono::seconds retry_initial{30};
  std::chrono::seconds retry_max{300};
};

// What an operator sees for one certificate (OcspCache::state()).
struct OcspCacheEntryState {
  std::string subject;
  std::string serial_hex;
  std::optional<CertStatus::Kind> status;               // of the response held
  std::optional<std::chrono::sys_seconds> produced_at;  // of the response held
  std::optional<std::chrono::seconds> response_age;     // now - producedAt
  bool fresh = false;                                   // response_for() would hand it out now
  std::optional<std::chrono::sys_seconds> last_attempt;
  std::optional<std::chrono::sys_seconds> last_success;
  Status last_error;  // of the last attempt; OK after a success or before any attempt
  int consecutive_failures = 0;
  std::chrono::sys_seconds next_attempt{};
};

class OcspCache {
 public:
  // kInvalidArgument for no certificate or URL, a certificate listed twice or not issued by its
  // issuer, or settings out of range. `clock` must outlive the cache. Nothing is fetched until
  // refresh_due() or start(); every certificate is due at once.
  static Result<std::unique_ptr<OcspCache>> create(std::vector<OwnCertificate> certificates, OcspCacheSettings settings,
                                                   const Clock& clock, Fetch fetch = http_fetch());
  // Stops the background thread (stop()).
  ~OcspCache();
  OcspCache(const OcspCache&) = delete;
  OcspCache& operator=(const OcspCache&) = delete;

  // Starts the background thread: it runs refresh_due() and sleeps until the next attempt is
  // due (re-reading the clock at least every minute). Idempotent.
  void start();
  // Wakes and joins the background thread. A fetch in progress is not interrupted: stopping
  // waits for it (at most the Fetch's timeout); no further fetch starts.
  void stop();

  // Fetches every certificate whose next attempt is due at clock.now(), one after the other,
  // and returns the time of the earliest next attempt. Thread-safe; concurrent calls run one
  // after the other.
  std::chrono::sys_seconds refresh_due();

  // The response held for `cert` (matched by its DER). kNotFound for a certificate the cache
  // does not keep; kUnavailable when it holds none, or only one whose producedAt is older than
  // the freshness limit or ahead of the clock by more than the skew (the message then carries
  // the last error). A held response may be "revoked": that is the caller's decision.
  Result<OcspResponse> response_for(const Certificate& cert) const;

  std::vector<OcspCacheEntryState> state() const;

 private:
  struct Entry;
  OcspCache(std::vector<OwnCertificate> certificates, OcspCacheSettings settings, const Clock& clock, Fetch fetch);

  // refresh_due(); the background thread's run stops early once stop() is called.
  std::chrono::sys_seconds refresh(bool from_thread);
  Result<OcspResponse> fetch_one(const OwnCertificate& own) const;
  // These need mu_ held.
  void record(std::size_t index, Result<OcspResponse> result, std::chrono::sys_seconds at);
  std::chrono::seconds jittered_interval();
  Status freshness_of(const Entry& entry, std::chrono::sys_seconds now) const;
  std::chrono::sys_seconds earliest_attempt() const;
  void run();

  const std::vector<OwnCertificate> certificates_;
  const OcspCacheSettings settings_;
  const Clock& clock_;
  const OcspClient client_;

  std::mutex refresh_mu_;  // held by refresh_due() for its whole run

  mutable std::mutex mu_;
  std::vector<Entry> entries_;  // guarded by mu_; entries_[i] belongs to certificates_[i]
  std::mt19937_64 random_;      // guarded by mu_
  bool stopping_ = false;       // guarded by mu_
  std::condition_variable wake_;
  std::mutex start_mu_;
  std::thread thread_;  // guarded by start_mu_
};

}  // namespace xacbe::crypto
