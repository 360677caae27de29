#include "estamp/batch_signer.hpp"

#include <gtest/gtest.h>

#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

#include "support/ocsp_answers.hpp"
#include "support/test_pki.hpp"
#include "xacbe/crypto/encoding.hpp"

namespace xacbe::ss {
namespace {

using namespace std::chrono_literals;

StampContent content(int i) {
  return {.kind = "request",
          .message_id = "msg-" + std::to_string(i),
          .client = "QROO/EST/FGE/SIS",
          .service = "QROO/EST/SEFIPLAN/SIIF/padron-v1",
          .request_hash = {},
          .parts = {{"body", crypto::sha256("body " + std::to_string(i))}}};
}

// A software signer whose first signature waits until the test opens the gate, so that the test
// knows exactly what is queued while the signing thread is busy (no sleeping, no races).
class GatedSigner final : public Signer {
 public:
  explicit GatedSigner(std::unique_ptr<SoftwareSigner> inner) : inner_(std::move(inner)) {}
  const crypto::Certificate& certificate() const override { return inner_->certificate(); }
  EVP_PKEY* private_key() const override {
    std::unique_lock lock(mu_);
    if (!entered_) {
      entered_ = true;
      cv_.notify_all();
      cv_.wait(lock, [this] { return open_; });
    }
    return inner_->private_key();
  }
  void wait_until_entered() const {
    std::unique_lock lock(mu_);
    ASSERT_TRUE(cv_.wait_for(lock, 30s, [this] { return entered_; }));
  }
  void open() const {
    std::lock_guard lock(mu_);
    open_ = true;
    cv_.notify_all();
  }

 private:
  std::unique_ptr<SoftwareSigner> inner_;
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  mutable bool entered_ = false;  // guarded by mu_
  mutable bool open_ = false;     // guarded by mu_
};

// Collects the results handed to `done`, by message number.
class Results {
 public:
  BatchSigner::Done done_for(int i) {
    return [this, i](Result<std::string> r) {
      std::lock_guard lock(mu_);
      results_.emplace(i, std::move(r));
      cv_.notify_all();
    };
  }
  bool wait_for(std::size_t n) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, 60s, [&] { return results_.size() >= n; });
  }
  std::map<int, Result<std::string>> take() {
    std::lock_guard lock(mu_);
    return std::move(results_);
  }
  std::size_t size() {
    std::lock_guard lock(mu_);
    return results_.size();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<int, Result<std::string>> results_;  // guarded by mu_
};

class BatchSignerTest : public ::testing::Test {
 protected:
  BatchSignerTest()
      : clock_(std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now())),
        pki_(clock_),
        responder_(pki_.issue(ca::Profile::kOcspResponder, "Test OCSP")),
        member_(pki_.issue(ca::Profile::kSigning, "QROO/EST/FGE")) {
    auto request = crypto::OcspRequest::create(member_.cert, pki_.root(), {.nonce_octets = 0});
    testing::OcspAnswer answer;
    answer.produced_at = answer.this_update = to_sys_seconds(clock_.now()) - 60s;
    answer.next_update = to_sys_seconds(clock_.now()) + 24h;
    ocsp_ = testing::make_ocsp_response(request->der(), responder_.cert, responder_.key, answer);
    auto key = crypto::PrivateKey::from_pem(member_.key.to_pem());
    signer_ = std::make_shared<GatedSigner>(SoftwareSigner::create(std::move(key).value(), member_.cert).value());
  }

  std::unique_ptr<BatchSigner> make(BatchSignerOptions options) {
    auto made = BatchSigner::create(signer_, options, clock_);
    EXPECT_TRUE(made.is_ok()) << made.status().to_string();
    return std::move(made).value();
  }

  // Message 0 first, held in the signer; then messages 1..n-1 from four threads at once.
  void submit_while_busy(BatchSigner& batch_signer, Results& results, int n) {
    batch_signer.submit(content(0), ocsp_, results.done_for(0));
    signer_->wait_until_entered();
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 1 + t; i < n; i += 4) batch_signer.submit(content(i), ocsp_, results.done_for(i));
      });
    }
    for (auto& thread : threads) thread.join();
  }

  void expect_all_verify(std::map<int, Result<std::string>> results, int n) {
    const EStampTrust trust{.ca = pki_.root(), .ocsp_responders = {responder_.cert}};
    ASSERT_EQ(results.size(), static_cast<std::size_t>(n));
    for (auto& [i, stamp] : results) {
      ASSERT_TRUE(stamp.is_ok()) << i << ": " << stamp.status().to_string();
      auto verified = verify_estamp(*stamp, trust, clock_);
      ASSERT_TRUE(verified.is_ok()) << i << ": " << verified.status().to_string();
      EXPECT_EQ(verified->content, content(i));
    }
  }

  ManualClock clock_;
  testing::TestPki pki_;
  testing::KeyAndCert responder_;
  testing::KeyAndCert member_;
  std::string ocsp_;
  std::shared_ptr<GatedSigner> signer_;
};

TEST_F(BatchSignerTest, BatchesWhatWaitsUnderOneSignature) {
  auto batch_signer = make({});
  Results results;
  submit_while_busy(*batch_signer, results, 40);
  signer_->open();
  ASSERT_TRUE(results.wait_for(40));
  expect_all_verify(results.take(), 40);
  const auto stats = batch_signer->stats();
  EXPECT_EQ(stats.messages_signed, 40u);
  EXPECT_EQ(stats.signatures, 2u);  // message 0 alone, then the 39 that waited
}

TEST_F(BatchSignerTest, SplitsAtMaxBatch) {
  auto batch_signer = make({.max_batch = 10});
  Results results;
  submit_while_busy(*batch_signer, results, 31);
  signer_->open();
  ASSERT_TRUE(results.wait_for(31));
  expect_all_verify(results.take(), 31);
  EXPECT_EQ(batch_signer->stats().signatures, 4u);  // 1, then 10 + 10 + 10
}

TEST_F(BatchSignerTest, SignsEachMessageAloneWithoutBatching) {
  auto batch_signer = make({.batching = false});
  Results results;
  submit_while_busy(*batch_signer, results, 12);
  signer_->open();
  ASSERT_TRUE(results.wait_for(12));
  auto stamps = results.take();
  for (auto& [i, stamp] : stamps) {
    ASSERT_TRUE(stamp.is_ok());
    EXPECT_EQ(stamp->find("<e:Batch"), std::string::npos) << i;
  }
  expect_all_verify(std::move(stamps), 12);
  EXPECT_EQ(batch_signer->stats().signatures, 12u);
  EXPECT_EQ(batch_signer->stats().messages_signed, 12u);
}

TEST_F(BatchSignerTest, RefusesAtOnceWhenTheQueueIsFullAndStopFailsQueuedWork) {
  auto batch_signer = make({.max_queued = 2});
  Results results;
  batch_signer->submit(content(0), ocsp_, results.done_for(0));
  signer_->wait_until_entered();  // message 0 is being signed; the queue is empty
  batch_signer->submit(content(1), ocsp_, results.done_for(1));
  batch_signer->submit(content(2), ocsp_, results.done_for(2));
  EXPECT_EQ(results.size(), 0u);
  batch_signer->submit(content(3), ocsp_, results.done_for(3));  // full
  ASSERT_EQ(results.size(), 1u);  // answered at once, on this thread

  std::thread stopper([&] { batch_signer->stop(); });
  ASSERT_TRUE(results.wait_for(3));  // stop() failed the two queued before joining
  signer_->open();
  stopper.join();
  ASSERT_TRUE(results.wait_for(4));
  auto all = results.take();
  EXPECT_TRUE(all.at(0).is_ok()) << all.at(0).status().to_string();  // the one in hand finished
  for (int i : {1, 2, 3}) EXPECT_EQ(all.at(i).status().code(), Code::kUnavailable) << i;

  Results after;
  batch_signer->submit(content(4), ocsp_, after.done_for(4));
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(after.take().at(4).status().code(), Code::kUnavailable);
}

TEST_F(BatchSignerTest, RefusesInvalidContentAtOnce) {
  auto batch_signer = make({});
  signer_->open();
  Results results;
  auto bad = content(0);
  bad.parts.clear();
  batch_signer->submit(bad, ocsp_, results.done_for(0));
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results.take().at(0).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(batch_signer->stats().signatures, 0u);
}

TEST_F(BatchSignerTest, CreateRefusesBadOptions) {
  EXPECT_FALSE(BatchSigner::create(nullptr, {}, clock_).is_ok());
  EXPECT_FALSE(BatchSigner::create(signer_, {.max_batch = 0}, clock_).is_ok());
  EXPECT_FALSE(BatchSigner::create(signer_, {.max_batch = kMaxBatchSize + 1}, clock_).is_ok());
  EXPECT_FALSE(BatchSigner::create(signer_, {.max_queued = 0}, clock_).is_ok());
}

}  // namespace
}  // namespace xacbe::ss
