#pragma once
// Batch timestamping of the query register (docs/protocol/query-register.md "Timestamping"): the
// oldest untimestamped records, up to max_batch at a time, become the leaves of an RFC 6962 Merkle
// tree (leaf i = merkle_leaf_hash(hash of record i)); one RFC 3161 token is asked for over the
// root, stored once, and each record keeps its leaf index and audit path.
//
// Its own thread runs every `interval` (the global configuration's timestamping interval), or at
// once when a record asks for it, and after a failure retries with a backoff. All of that is
// measured on the injected Clock: the thread only looks at the clock every `poll`, so a test moves
// the clock, or calls run_once() itself, and never sleeps for an interval.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "register/query_register.hpp"
#include "xacbe/clock.hpp"
#include "xacbe/crypto/certificate.hpp"
#include "xacbe/crypto/tsa_client.hpp"
#include "xacbe/result.hpp"

namespace xacbe::ss {

// Asks a TSA for a verified token whose imprint is SHA-256 `root_sha256` (raw 32 bytes).
using TsaFunction = std::function<Result<crypto::TimestampToken>(std::string_view root_sha256)>;

// Where the current global configuration says to ask: read at every call, so a new configuration
// takes effect at the next batch.
struct TsaTarget {
  std::string url;
  crypto::Certificate certificate;
  std::vector<crypto::Certificate> roots;
};
// The production TsaFunction: TsaClient::stamp against `target()`. `client` must outlive it.
TsaFunction tsa_client_function(const crypto::TsaClient& client, std::function<Result<TsaTarget>()> target);

struct TimestamperOptions {
  std::chrono::seconds interval{60};
  std::size_t max_batch = 10000;
  std::chrono::seconds first_retry{5};  // after a failure; doubles up to max_retry
  std::chrono::seconds max_retry{60};
  std::chrono::milliseconds poll{1000};  // how often the thread reads the clock (real time)
};

class Timestamper {
 public:
  // `reg` and `clock` must outlive the Timestamper.
  Timestamper(QueryRegister& reg, const Clock& clock, TsaFunction tsa, TimestamperOptions options = {});
  ~Timestamper();  // stop()
  Timestamper(const Timestamper&) = delete;
  Timestamper& operator=(const Timestamper&) = delete;

  // Starts the thread and has the register wake it for timestamp_at_once records. start() and stop()
  // are called by the owner, from one thread.
  void start();
  // Stops the thread; a batch in flight completes first. Idempotent.
  void stop();
  // Run as soon as the thread looks, unless a failure's backoff is running.
  void wake();
  // The global configuration's interval changed.
  void set_interval(std::chrono::seconds interval);

  // Timestamps the backlog now, batch after batch, until a batch comes out smaller than max_batch;
  // stops at the first failure, which it records (stats().last_timestamp_error) and returns, and
  // which starts the backoff. Serialised with the thread's own runs.
  Status run_once();

  // When the thread will next run without being woken.
  TimePoint next_attempt() const;
  std::size_t batches_stamped() const;

 private:
  Status stamp_batch(std::size_t& stamped);
  void loop();

  QueryRegister& reg_;
  const Clock& clock_;
  const TsaFunction tsa_;
  const TimestamperOptions options_;

  std::mutex run_mu_;  // held by a run: one batch at a time

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;            // guarded by mu_
  bool woken_ = false;               // guarded by mu_
  std::chrono::seconds interval_;    // guarded by mu_
  std::chrono::seconds backoff_{0};  // guarded by mu_; 0 while the TSA answers
  TimePoint next_attempt_{};         // guarded by mu_
  std::size_t batches_stamped_ = 0;  // guarded by mu_
  std::thread thread_;
};

}  // namespace xacbe::ss
