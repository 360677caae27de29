#include "xacbe/crypto/ocsp_cache.hpp"

#include <algorithm>
#include <utility>

#include "xacbe/log/log.hpp"

namespace xacbe::crypto {
namespace {

using std::chrono::seconds;
using std::chrono::sys_seconds;

// The background thread re-reads the clock at least this often, so that a clock step (or a
// test's ManualClock) never leaves it asleep for a whole interval.
constexpr seconds kMaxSleep{60};

Status check_settings(const OcspCacheSettings& s) {
  if (s.responder_urls.empty()) return invalid_argument("OCSP cache: no responder URL");
  if (s.allowed_responders.empty()) return invalid_argument("OCSP cache: no allowed OCSP responder certificate");
  if (s.refresh_interval <= seconds(0)) return invalid_argument("OCSP cache: refresh interval must be positive");
  if (!(s.jitter >= 0.0 && s.jitter <= 0.5)) return invalid_argument("OCSP cache: jitter must be 0..0.5");
  if (s.retry_initial <= seconds(0) || s.retry_max < s.retry_initial) {
    return invalid_argument("OCSP cache: retry delays must be positive, the maximum not below the first");
  }
  if (s.client.check.freshness <= seconds(0) || s.client.check.max_clock_skew < seconds(0)) {
    return invalid_argument("OCSP cache: freshness must be positive and clock skew not negative");
  }
  return Status::ok();
}

}  // namespace

struct OcspCache::Entry {
  std::optional<OcspResponse> response;  // the last good one
  std::optional<sys_seconds> last_attempt;
  std::optional<sys_seconds> last_success;
  Status last_error;
  int consecutive_failures = 0;
  sys_seconds next_attempt{};
};

Result<std::unique_ptr<OcspCache>> OcspCache::create(std::vector<OwnCertificate> certificates,
                                                     OcspCacheSettings settings, const Clock& clock, Fetch fetch) {
  if (certificates.empty()) return invalid_argument("OCSP cache: no certificate to keep a response for");
  XACBE_RETURN_IF_ERROR(check_settings(settings));
  for (std::size_t i = 0; i < certificates.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (certificates[i].cert.der() == certificates[j].cert.der()) {
        return invalid_argument("OCSP cache: certificate " + certificates[i].cert.subject() + " is listed twice");
      }
    }
    // The same check the request makes, once, at start-up.
    XACBE_RETURN_IF_ERROR(OcspRequest::create(certificates[i].cert, certificates[i].issuer, {}).status());
  }
  return std::unique_ptr<OcspCache>(
      new OcspCache(std::move(certificates), std::move(settings), clock, std::move(fetch)));
}

OcspCache::OcspCache(std::vector<OwnCertificate> certificates, OcspCacheSettings settings, const Clock& clock,
                     Fetch fetch)
    : certificates_(std::move(certificates)),
      settings_(std::move(settings)),
      clock_(clock),
      client_(clock, settings_.client, std::move(fetch)),
      entries_(certificates_.size()),
      random_(std::random_device{}()) {
  const sys_seconds now = to_sys_seconds(clock_.now());
  for (Entry& entry : entries_) entry.next_attempt = now;
}

OcspCache::~OcspCache() {
  stop();
}

void OcspCache::start() {
  std::lock_guard start_lock(start_mu_);
  if (thread_.joinable()) return;
  {
    std::lock_guard lock(mu_);
    stopping_ = false;
  }
  thread_ = std::thread([this] { run(); });
}

void OcspCache::stop() {
  std::lock_guard start_lock(start_mu_);
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void OcspCache::run() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    lock.unlock();
    const sys_seconds next = refresh(/*from_thread=*/true);
    lock.lock();
    if (stopping_) break;
    const seconds until = std::clamp(next - to_sys_seconds(clock_.now()), seconds(0), kMaxSleep);
    if (until > seconds(0)) wake_.wait_for(lock, until, [this] { return stopping_; });
  }
}

Result<OcspResponse> OcspCache::fetch_one(const OwnCertificate& own) const {
  std::string errors;
  Status last;
  for (const std::string& url : settings_.responder_urls) {
    Result<OcspResponse> r = client_.query(url, own.cert, own.issuer, settings_.allowed_responders);
    if (r) return r;
    last = r.status();
    errors += (errors.empty() ? "" : "; ") + r.status().message();
  }
  return Status(last.code(), std::move(errors));
}

sys_seconds OcspCache::refresh_due() {
  return refresh(/*from_thread=*/false);
}

sys_seconds OcspCache::refresh(bool from_thread) {
  std::lock_guard refresh_lock(refresh_mu_);
  const sys_seconds now = to_sys_seconds(clock_.now());
  std::vector<std::size_t> due;
  {
    std::lock_guard lock(mu_);
    for (std::size_t i = 0; i < entries_.size(); ++i) {
      if (entries_[i].next_attempt <= now) due.push_back(i);
    }
  }
  for (std::size_t i : due) {
    if (from_thread) {
      std::lock_guard lock(mu_);
      if (stopping_) break;  // the destructor waits: start no further fetch
    }
    // The network call runs without mu_, so response_for() and state() never wait for it.
    Result<OcspResponse> result = fetch_one(certificates_[i]);
    const sys_seconds done = to_sys_seconds(clock_.now());
    std::lock_guard lock(mu_);
    record(i, std::move(result), done);
  }
  std::lock_guard lock(mu_);
  return earliest_attempt();
}

void OcspCache::record(std::size_t index, Result<OcspResponse> result, sys_seconds at) {
  Entry& entry = entries_[index];
  entry.last_attempt = at;
  const std::string subject = certificates_[index].cert.subject();
  if (!result) {
    entry.last_error = result.status();
    ++entry.consecutive_failures;
    // Bounded exponential backoff: 30 s, 60 s, 120 s, ... up to retry_max.
    seconds delay = settings_.retry_max;
    if (entry.consecutive_failures <= 16) {
      delay = std::min(settings_.retry_max,
                       settings_.retry_initial * (seconds::rep{1} << (entry.consecutive_failures - 1)));
    }
    entry.next_attempt = at + delay;
    log::warn("OCSP refresh for {} failed ({} in a row, next in {} s): {}", subject, entry.consecutive_failures,
              delay.count(), entry.last_error.to_string());
    return;
  }
  const OcspResponse& r = *result;
  entry.last_error = Status::ok();
  entry.consecutive_failures = 0;
  entry.last_success = at;
  // Refresh before the response can go stale, and when the responder says it has news.
  sys_seconds next = at + jittered_interval();
  next = std::min(next, r.produced_at + settings_.client.check.freshness / 2);
  if (r.next_update) next = std::min(next, *r.next_update);
  entry.next_attempt = std::max(next, at + settings_.retry_initial);
  entry.response = std::move(result).value();
  log::debug("OCSP response for {} refreshed, next in {} s", subject, (entry.next_attempt - at).count());
}

seconds OcspCache::jittered_interval() {
  const double spread = settings_.jitter * static_cast<double>(settings_.refresh_interval.count());
  std::uniform_real_distribution<double> offset(-spread, spread);
  const auto jittered =
      static_cast<seconds::rep>(static_cast<double>(settings_.refresh_interval.count()) + offset(random_));
  return seconds(std::max<seconds::rep>(1, jittered));
}

Status OcspCache::freshness_of(const Entry& entry, sys_seconds now) const {
  const auto& check = settings_.client.check;
  if (!entry.response) return unavailable("no OCSP response yet");
  const sys_seconds produced = entry.response->produced_at;
  if (produced > now + check.max_clock_skew) {
    return unavailable("the OCSP response held was produced in the future (" +
                       std::to_string((produced - now).count()) + " s ahead of the clock)");
  }
  if (now - produced > check.freshness) {
    return unavailable("the OCSP response held was produced " + std::to_string((now - produced).count()) +
                       " s ago, over the freshness limit of " + std::to_string(check.freshness.count()) + " s");
  }
  return Status::ok();
}

Result<OcspResponse> OcspCache::response_for(const Certificate& cert) const {
  const std::string der = cert.der();
  for (std::size_t i = 0; i < certificates_.size(); ++i) {
    if (certificates_[i].cert.der() != der) continue;
    const sys_seconds now = to_sys_seconds(clock_.now());
    std::lock_guard lock(mu_);
    const Entry& entry = entries_[i];
    Status fresh = freshness_of(entry, now);
    if (fresh) return *entry.response;
    std::string message = "no fresh OCSP response for " + cert.subject() + ": " + fresh.message();
    if (!entry.last_error.is_ok()) message += "; last attempt: " + entry.last_error.to_string();
    return unavailable(std::move(message));
  }
  return not_found("the OCSP cache keeps no response for " + cert.subject());
}

std::vector<OcspCacheEntryState> OcspCache::state() const {
  const sys_seconds now = to_sys_seconds(clock_.now());
  std::lock_guard lock(mu_);
  std::vector<OcspCacheEntryState> out;
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    const Entry& entry = entries_[i];
    OcspCacheEntryState s;
    s.subject = certificates_[i].cert.subject();
    s.serial_hex = certificates_[i].cert.serial_hex();
    if (entry.response) {
      s.status = entry.response->status;
      s.produced_at = entry.response->produced_at;
      s.response_age = now - entry.response->produced_at;
    }
    s.fresh = freshness_of(entry, now).is_ok();
    s.last_attempt = entry.last_attempt;
    s.last_success = entry.last_success;
    s.last_error = entry.last_error;
    s.consecutive_failures = entry.consecutive_failures;
    s.next_attempt = entry.next_attempt;
    out.push_back(std::move(s));
  }
  return out;
}

sys_seconds OcspCache::earliest_attempt() const {
  sys_seconds earliest = sys_seconds::max();
  for (const Entry& entry : entries_) earliest = std::min(earliest, entry.next_attempt);
  return earliest;
}

}  // namespace xacbe::crypto
