#pragma once
// The security server's signing thread (ARCHITECTURE "The e-stamp"): everything waiting is signed
// at once, several messages under one signature over their Merkle root (sign_estamp_batch), a
// lone message directly (sign_estamp). This is how signing outruns one signature per message.

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "estamp/estamp.hpp"
#include "estamp/signer.hpp"
#include "xacbe/clock.hpp"
#include "xacbe/result.hpp"

namespace xacbe::ss {

struct BatchSignerOptions {
  std::size_t max_batch = 1000;    // most messages under one signature
  std::size_t max_queued = 10000;  // waiting messages beyond this are refused at once
  bool batching = true;            // false: every message gets its own signature
};

struct BatchSignerStats {
  std::uint64_t signatures = 0;       // signatures made (one per batch or lone message)
  std::uint64_t messages_signed = 0;  // e-stamps handed out
};

class BatchSigner {
 public:
  using Done = std::function<void(Result<std::string>)>;

  // kInvalidArgument for a null signer, max_batch of 0 or over kMaxBatchSize, max_queued of 0.
  // `clock` gives the signing time and must outlive the signer.
  static Result<std::unique_ptr<BatchSigner>> create(std::shared_ptr<const Signer> signer, BatchSignerOptions options,
                                                     const Clock& clock);
  ~BatchSigner();  // stop()
  BatchSigner(const BatchSigner&) = delete;
  BatchSigner& operator=(const BatchSigner&) = delete;

  // Queues `content` for signing with `ocsp_der` (the signer certificate's current OCSP
  // response). `done` gets the e-stamp or the error, called once from the signing thread; when
  // the queue is full or the signer stopped it is called at once, from this thread, with
  // kUnavailable (kInvalidArgument, also at once, for content validate_stamp_content refuses). Messages queued with different OCSP responses are never batched together.
  void submit(StampContent content, std::string ocsp_der, Done done);

  // Refuses new work, fails queued work with kUnavailable (from this thread), lets the batch in
  // hand finish and joins the thread. Idempotent.
  void stop();

  BatchSignerStats stats() const;

 private:
  struct Pending {
    StampContent content;
    std::string ocsp_der;
    Done done;
  };

  BatchSigner(std::shared_ptr<const Signer> signer, BatchSignerOptions options, const Clock& clock);
  void run();
  void sign(std::deque<Pending> batch);

  const std::shared_ptr<const Signer> signer_;
  const BatchSignerOptions options_;
  const Clock& clock_;

  mutable std::mutex mu_;
  std::condition_variable wake_;  // signalled on submit and stop
  std::deque<Pending> queue_;     // guarded by mu_
  bool stopping_ = false;         // guarded by mu_
  BatchSignerStats stats_;        // guarded by mu_

  std::mutex join_mu_;  // serialises stop() callers around the join
  std::thread thread_;
};

}  // namespace xacbe::ss
