#include "estamp/batch_signer.hpp"

#include <map>
#include <vector>

namespace xacbe::ss {

Result<std::unique_ptr<BatchSigner>> BatchSigner::create(std::shared_ptr<const Signer> signer,
                                                         BatchSignerOptions options, const Clock& clock) {
  if (!signer) return invalid_argument("batch signer needs a signer");
  if (options.max_batch == 0 || options.max_batch > kMaxBatchSize) {
    return invalid_argument("max_batch must be 1.." + std::to_string(kMaxBatchSize));
  }
  if (options.max_queued == 0) return invalid_argument("max_queued must be at least 1");
  return std::unique_ptr<BatchSigner>(new BatchSigner(std::move(signer), options, clock));
}

BatchSigner::BatchSigner(std::shared_ptr<const Signer> signer, BatchSignerOptions options, const Clock& clock)
    : signer_(std::move(signer)), options_(options), clock_(clock), thread_([this] { run(); }) {}

BatchSigner::~BatchSigner() { stop(); }

void BatchSigner::submit(StampContent content, std::string ocsp_der, Done done) {
  // A bad message must not sink the batch it would have joined.
  if (Status valid = validate_stamp_content(content); !valid) {
    done(valid);
    return;
  }
  {
    std::lock_guard lock(mu_);
    if (!stopping_ && queue_.size() < options_.max_queued) {
      queue_.push_back({std::move(content), std::move(ocsp_der), std::move(done)});
      wake_.notify_one();
      return;
    }
  }
  done(unavailable("the e-stamp signer is stopped or its queue is full"));
}

void BatchSigner::stop() {
  std::deque<Pending> abandoned;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    abandoned.swap(queue_);
    wake_.notify_all();
  }
  for (auto& pending : abandoned) pending.done(unavailable("the e-stamp signer stopped"));
  std::lock_guard join_lock(join_mu_);
  if (thread_.joinable()) thread_.join();
}

BatchSignerStats BatchSigner::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

void BatchSigner::run() {
  for (;;) {
    std::deque<Pending> batch;
    {
      std::unique_lock lock(mu_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      const std::size_t take = options_.batching ? std::min(options_.max_batch, queue_.size()) : 1;
      for (std::size_t i = 0; i < take; ++i) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    sign(std::move(batch));
  }
}

// One signature per distinct OCSP response among the messages taken (in practice one): a batch
// document carries exactly one response.
void BatchSigner::sign(std::deque<Pending> batch) {
  std::map<std::string_view, std::vector<Pending*>> by_ocsp;
  for (auto& pending : batch) by_ocsp[pending.ocsp_der].push_back(&pending);
  const auto signing_time = to_sys_seconds(clock_.now());
  for (auto& [ocsp_der, group] : by_ocsp) {
    std::uint64_t signed_now = 0;
    if (group.size() == 1) {
      auto stamp = sign_estamp(group[0]->content, *signer_, ocsp_der, signing_time);
      signed_now = stamp.is_ok() ? 1 : 0;
      {
        std::lock_guard lock(mu_);
        stats_.signatures += signed_now;
        stats_.messages_signed += signed_now;
      }
      group[0]->done(std::move(stamp));
      continue;
    }
    std::vector<StampContent> contents;
    contents.reserve(group.size());
    for (Pending* pending : group) contents.push_back(pending->content);
    auto stamps = sign_estamp_batch(contents, *signer_, ocsp_der, signing_time);
    if (stamps) {
      std::lock_guard lock(mu_);
      stats_.signatures += 1;
      stats_.messages_signed += group.size();
    }
    for (std::size_t i = 0; i < group.size(); ++i) {
      if (stamps) {
        group[i]->done(std::move(stamps.value()[i]));
      } else {
        group[i]->done(stamps.status());
      }
    }
  }
}

}  // namespace xacbe::ss
