#include "register/timestamper.hpp"

#include <algorithm>
#include <utility>

#include "merkle.hpp"
#include "xacbe/log/log.hpp"

namespace xacbe::ss {

TsaFunction tsa_client_function(const crypto::TsaClient& client, std::function<Result<TsaTarget>()> target) {
  return [&client, target = std::move(target)](std::string_view root) -> Result<crypto::TimestampToken> {
    XACBE_ASSIGN_OR_RETURN(TsaTarget t, target());
    return client.stamp(t.url, crypto::ImprintHash::kSha256, root, t.certificate, t.roots);
  };
}

Timestamper::Timestamper(QueryRegister& reg, const Clock& clock, TsaFunction tsa, TimestamperOptions options)
    : reg_(reg), clock_(clock), tsa_(std::move(tsa)), options_(options), interval_(options.interval) {}

Timestamper::~Timestamper() {
  stop();
}

void Timestamper::start() {
  {
    std::lock_guard lock(mu_);
    if (thread_.joinable() || stopping_) return;
    next_attempt_ = clock_.now();  // a backlog left by the last run is stamped at once
  }
  reg_.set_timestamp_wanted([this] { wake(); });
  thread_ = std::thread([this] { loop(); });
}

void Timestamper::stop() {
  // Only a started Timestamper registered itself; another one's callback is not ours to remove.
  if (thread_.joinable()) reg_.set_timestamp_wanted(nullptr);
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Timestamper::wake() {
  {
    std::lock_guard lock(mu_);
    woken_ = true;
  }
  cv_.notify_all();
}

void Timestamper::set_interval(std::chrono::seconds interval) {
  std::lock_guard lock(mu_);
  if (backoff_.count() == 0) next_attempt_ = std::min(next_attempt_, clock_.now() + interval);
  interval_ = interval;
}

TimePoint Timestamper::next_attempt() const {
  std::lock_guard lock(mu_);
  return next_attempt_;
}

std::size_t Timestamper::batches_stamped() const {
  std::lock_guard lock(mu_);
  return batches_stamped_;
}

void Timestamper::loop() {
  for (;;) {
    {
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, options_.poll, [&] { return stopping_ || woken_; });
      if (stopping_) return;
      // A wake during a backoff waits for it: records asking for an immediate timestamp must not
      // hammer a TSA that is failing.
      const bool due = clock_.now() >= next_attempt_ || (woken_ && backoff_.count() == 0);
      woken_ = false;
      if (!due) continue;
    }
    (void)run_once();  // its outcome is recorded in the register's stats and logged
  }
}

Status Timestamper::run_once() {
  std::lock_guard run(run_mu_);
  Status outcome;
  for (;;) {
    std::size_t stamped = 0;
    outcome = stamp_batch(stamped);
    if (!outcome || stamped < options_.max_batch) break;
  }
  reg_.note_timestamping(outcome);
  std::lock_guard lock(mu_);
  if (outcome) {
    backoff_ = std::chrono::seconds(0);
    next_attempt_ = clock_.now() + interval_;
  } else {
    backoff_ = backoff_.count() == 0 ? options_.first_retry : std::min(backoff_ * 2, options_.max_retry);
    next_attempt_ = clock_.now() + backoff_;
    log::warn("query register: timestamping failed, retrying in {} s: {}", backoff_.count(), outcome.to_string());
  }
  return outcome;
}

// One Merkle batch of the oldest untimestamped records; `stamped` is how many it held.
Status Timestamper::stamp_batch(std::size_t& stamped) {
  XACBE_ASSIGN_OR_RETURN(std::vector<QueryRegister::Unstamped> records, reg_.unstamped(options_.max_batch));
  if (records.empty()) return Status::ok();
  std::vector<std::string> leaves;
  leaves.reserve(records.size());
  for (const QueryRegister::Unstamped& r : records) leaves.push_back(merkle_leaf_hash(r.hash));
  QueryRegister::StampedBatch batch;
  XACBE_ASSIGN_OR_RETURN(batch.root, merkle_root(leaves));
  XACBE_ASSIGN_OR_RETURN(batch.paths, merkle_audit_paths(leaves));
  Result<crypto::TimestampToken> token = tsa_(batch.root);
  if (!token) return Status(token.status().code(), "the TSA gave no timestamp: " + token.status().message());
  batch.token_der = std::move(token->token_der);
  batch.gen_time = token->gen_time;
  batch.records = std::move(records);
  XACBE_ASSIGN_OR_RETURN(std::int64_t missed, reg_.store_batch(batch));
  stamped = batch.records.size();
  if (missed > 0) {
    // Never silently valid: each such record is marked deadline_missed and counted in stats().
    log::error(
        "query register: {} of the records {}..{} were timestamped at {}, after their eight-hour deadline;"
        " their e-stamps are not valid",
        missed, batch.records.front().seq, batch.records.back().seq, to_iso8601_utc(batch.gen_time));
  }
  log::debug("query register: timestamped records {}..{}", batch.records.front().seq, batch.records.back().seq);
  std::lock_guard lock(mu_);
  ++batches_stamped_;
  return Status::ok();
}

}  // namespace xacbe::ss
