#include "xacbe/crypto/ocsp_cache.hpp"

#include <gtest/gtest.h>

#include <condition_variable>
#include <functional>
#include <mutex>
#include <set>
#include <thread>

#include "support/ocsp_answers.hpp"
#include "support/test_pki.hpp"

namespace xacbe::crypto {
namespace {

using namespace std::chrono_literals;
using std::chrono::sys_seconds;
using xacbe::testing::KeyAndCert;
using xacbe::testing::OcspAnswer;
using xacbe::testing::TestPki;

const TimePoint kStart{std::chrono::seconds(1'800'000'000)};
const std::string kUrl = "http://127.0.0.1:9/";

// A responder behind a Fetch: answers from the test's clock, or fails while told to. Thread-safe,
// as the background thread may call it.
class FakeResponder {
 public:
  FakeResponder(const Clock& clock, const KeyAndCert& signer) : clock_(clock), signer_(signer) {}

  Fetch fetch() {
    return [this](const std::string& url, net::HttpRequest request) -> Result<net::HttpResponse> {
      std::lock_guard lock(mu_);
      ++calls_;
      urls_.push_back(url.substr(0, url.find('/', 8) + 1));
      answered_.notify_all();
      if (failing_ || url.rfind(kUrl, 0) != 0) return unavailable("connect: Connection refused");
      OcspAnswer answer;
      answer.produced_at = answer.this_update = to_sys_seconds(clock_.now());
      if (next_update_) answer.next_update = answer.this_update + *next_update_;
      return net::HttpResponse::make(200, "application/ocsp-response",
                                     xacbe::testing::make_ocsp_response(xacbe::testing::ocsp_request_of(url, request),
                                                                        signer_.cert, signer_.key, answer));
    };
  }
  void set_failing(bool failing) {
    std::lock_guard lock(mu_);
    failing_ = failing;
  }
  void set_next_update(std::optional<std::chrono::seconds> after) {
    std::lock_guard lock(mu_);
    next_update_ = after;
  }
  int calls() {
    std::lock_guard lock(mu_);
    return calls_;
  }
  std::vector<std::string> urls() {
    std::lock_guard lock(mu_);
    return urls_;
  }
  // Waits for an event of another thread, not for time to pass.
  bool wait_for_calls(int n) {
    std::unique_lock lock(mu_);
    return answered_.wait_for(lock, 20s, [&] { return calls_ >= n; });
  }

 private:
  const Clock& clock_;
  const KeyAndCert& signer_;
  std::mutex mu_;
  std::condition_variable answered_;
  bool failing_ = false;                             // guarded by mu_
  std::optional<std::chrono::seconds> next_update_;  // guarded by mu_
  int calls_ = 0;                                    // guarded by mu_
  std::vector<std::string> urls_;                    // guarded by mu_
};

class OcspCacheTest : public ::testing::Test {
 protected:
  sys_seconds now() const { return to_sys_seconds(clock_.now()); }

  OcspCacheSettings settings(double jitter = 0.0) {
    OcspCacheSettings s;
    s.responder_urls = {kUrl};
    s.allowed_responders = {responder_.cert};
    s.jitter = jitter;
    return s;
  }

  std::unique_ptr<OcspCache> make(OcspCacheSettings s, std::vector<OwnCertificate> certs = {}) {
    if (certs.empty()) certs = {{auth_.cert, pki_.root()}, {sign_.cert, pki_.root()}};
    auto cache = OcspCache::create(std::move(certs), std::move(s), clock_, fake_.fetch());
    EXPECT_TRUE(cache) << cache.status().to_string();
    return cache ? std::move(cache).value() : nullptr;
  }

  ManualClock clock_{kStart};
  TestPki pki_{clock_};
  KeyAndCert responder_ = pki_.issue(ca::Profile::kOcspResponder, "ocsp");
  KeyAndCert auth_ = pki_.issue(ca::Profile::kAuthentication, "QROO/EST/SSP/SS1");
  KeyAndCert sign_ = pki_.issue(ca::Profile::kSigning, "QROO/EST/SSP");
  FakeResponder fake_{clock_, responder_};
};

TEST_F(OcspCacheTest, FetchesEveryCertificateAtTheFirstRefresh) {
  auto cache = make(settings());
  auto before = cache->response_for(auth_.cert);
  ASSERT_FALSE(before);
  EXPECT_EQ(before.status().code(), Code::kUnavailable);
  EXPECT_NE(before.status().message().find("no OCSP response yet"), std::string::npos);
  EXPECT_EQ(fake_.calls(), 0);  // nothing happens until asked

  EXPECT_EQ(cache->refresh_due(), now() + 1200s);
  EXPECT_EQ(fake_.calls(), 2);
  for (const Certificate* cert : {&auth_.cert, &sign_.cert}) {
    auto r = cache->response_for(*cert);
    ASSERT_TRUE(r) << r.status().to_string();
    EXPECT_EQ(r->status, CertStatus::Kind::kGood);
    EXPECT_EQ(r->produced_at, now());
  }
  const auto state = cache->state();
  ASSERT_EQ(state.size(), 2u);
  EXPECT_EQ(state[0].serial_hex, auth_.cert.serial_hex());
  EXPECT_EQ(state[0].status, CertStatus::Kind::kGood);
  EXPECT_EQ(state[0].response_age, 0s);
  EXPECT_TRUE(state[0].fresh);
  EXPECT_EQ(state[0].last_attempt, now());
  EXPECT_EQ(state[0].last_success, now());
  EXPECT_TRUE(state[0].last_error.is_ok());
  EXPECT_EQ(state[0].next_attempt, now() + 1200s);
}

TEST_F(OcspCacheTest, FetchesAgainOnlyWhenTheIntervalHasPassed) {
  auto cache = make(settings());
  cache->refresh_due();
  clock_.advance(1199s);
  cache->refresh_due();
  EXPECT_EQ(fake_.calls(), 2);
  clock_.advance(1s);
  cache->refresh_due();
  EXPECT_EQ(fake_.calls(), 4);
  EXPECT_EQ(cache->response_for(sign_.cert)->produced_at, now());
}

TEST_F(OcspCacheTest, SpreadsRefreshesByTenPercentJitter) {
  std::vector<OwnCertificate> certs;
  std::vector<KeyAndCert> issued;
  for (int i = 0; i < 6; ++i) issued.push_back(pki_.issue(ca::Profile::kAuthentication, "SS" + std::to_string(i)));
  for (const auto& k : issued) certs.push_back({k.cert, pki_.root()});
  auto cache = make(settings(0.1), certs);
  cache->refresh_due();
  std::set<sys_seconds> distinct;
  for (const auto& s : cache->state()) {
    EXPECT_GE(s.next_attempt, now() + 1080s);
    EXPECT_LE(s.next_attempt, now() + 1320s);
    distinct.insert(s.next_attempt);
  }
  EXPECT_GT(distinct.size(), 1u);  // six equal draws out of 481 values: practically never
}

TEST_F(OcspCacheTest, RefreshesByNextUpdateAndWithinHalfTheFreshness) {
  fake_.set_next_update(600s);
  auto cache = make(settings());
  EXPECT_EQ(cache->refresh_due(), now() + 600s);

  fake_.set_next_update(std::nullopt);
  OcspCacheSettings short_freshness = settings();
  short_freshness.client.check.freshness = 900s;
  auto other = make(short_freshness);
  EXPECT_EQ(other->refresh_due(), now() + 450s);
}

TEST_F(OcspCacheTest, RetriesSoonerAfterFailuresWithBoundedBackoff) {
  fake_.set_failing(true);
  auto cache = make(settings(), {{auth_.cert, pki_.root()}});
  for (auto expected : {30s, 60s, 120s, 240s, 300s, 300s}) {
    const sys_seconds next = cache->refresh_due();
    EXPECT_EQ(next, now() + expected);
    clock_.set(TimePoint(next.time_since_epoch()));
  }
  const auto state = cache->state().front();
  EXPECT_EQ(state.consecutive_failures, 6);
  EXPECT_EQ(state.last_error.code(), Code::kUnavailable);
  EXPECT_NE(state.last_error.message().find("Connection refused"), std::string::npos);
  EXPECT_FALSE(state.last_success.has_value());

  fake_.set_failing(false);
  EXPECT_EQ(cache->refresh_due(), now() + 1200s);
  EXPECT_EQ(cache->state().front().consecutive_failures, 0);
  EXPECT_TRUE(cache->state().front().last_error.is_ok());
}

TEST_F(OcspCacheTest, KeepsTheLastGoodResponseWhenARefreshFails) {
  auto cache = make(settings());
  cache->refresh_due();
  const sys_seconds produced = now();
  fake_.set_failing(true);
  clock_.advance(1200s);
  cache->refresh_due();
  auto r = cache->response_for(auth_.cert);
  ASSERT_TRUE(r) << r.status().to_string();
  EXPECT_EQ(r->produced_at, produced);
  const auto state = cache->state().front();
  EXPECT_EQ(state.response_age, 1200s);
  EXPECT_EQ(state.last_attempt, now());
  EXPECT_EQ(state.last_success, produced);
  EXPECT_FALSE(state.last_error.is_ok());
  EXPECT_EQ(state.consecutive_failures, 1);
}

TEST_F(OcspCacheTest, NeverHandsOutAResponseOlderThanTheFreshnessLimit) {
  auto cache = make(settings());
  cache->refresh_due();
  fake_.set_failing(true);
  clock_.advance(3600s);
  cache->refresh_due();
  EXPECT_TRUE(cache->response_for(auth_.cert)) << "exactly at the limit is still fresh";
  clock_.advance(1s);
  auto r = cache->response_for(auth_.cert);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().code(), Code::kUnavailable);
  EXPECT_NE(r.status().message().find("over the freshness limit of 3600 s"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("Connection refused"), std::string::npos) << r.status().message();
  EXPECT_FALSE(cache->state().front().fresh);

  fake_.set_failing(false);
  clock_.advance(300s);
  cache->refresh_due();
  EXPECT_TRUE(cache->response_for(auth_.cert));
}

TEST_F(OcspCacheTest, TriesTheNextResponderWhenOneFails) {
  OcspCacheSettings s = settings();
  s.responder_urls = {"http://127.0.0.2:9/", kUrl};
  auto cache = make(s, {{auth_.cert, pki_.root()}});
  cache->refresh_due();
  EXPECT_TRUE(cache->response_for(auth_.cert));
  EXPECT_EQ(fake_.urls(), (std::vector<std::string>{"http://127.0.0.2:9/", kUrl}));
}

TEST_F(OcspCacheTest, RecordsARefusedAnswerAsTheLastError) {
  OcspCacheSettings s = settings();
  s.allowed_responders = {pki_.issue(ca::Profile::kOcspResponder, "other").cert};
  auto cache = make(s, {{auth_.cert, pki_.root()}});
  EXPECT_EQ(cache->refresh_due(), now() + 30s);
  const auto state = cache->state().front();
  EXPECT_EQ(state.last_error.code(), Code::kPermissionDenied);
  EXPECT_FALSE(cache->response_for(auth_.cert));
}

TEST_F(OcspCacheTest, DoesNotKnowOtherCertificates) {
  auto cache = make(settings());
  auto r = cache->response_for(responder_.cert);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().code(), Code::kNotFound);
}

TEST_F(OcspCacheTest, RefusesBadSetUps) {
  TestPki other(clock_);
  const std::vector<std::pair<const char*, std::function<void(std::vector<OwnCertificate>&, OcspCacheSettings&)>>>
      rows = {
          {"no certificate", [](auto& c, auto&) { c.clear(); }},
          {"no URL", [](auto&, auto& s) { s.responder_urls.clear(); }},
          {"no responder", [](auto&, auto& s) { s.allowed_responders.clear(); }},
          {"twice", [&](auto& c, auto&) { c.push_back(c.front()); }},
          {"wrong issuer", [&](auto& c, auto&) { c.front().issuer = other.root(); }},
          {"jitter", [](auto&, auto& s) { s.jitter = 0.7; }},
          {"retry", [](auto&, auto& s) { s.retry_max = 10s; }},
          {"interval", [](auto&, auto& s) { s.refresh_interval = 0s; }},
      };
  for (const auto& [name, arrange] : rows) {
    std::vector<OwnCertificate> certs = {{auth_.cert, pki_.root()}};
    OcspCacheSettings s = settings();
    arrange(certs, s);
    auto cache = OcspCache::create(certs, s, clock_, fake_.fetch());
    ASSERT_FALSE(cache) << name;
    EXPECT_EQ(cache.status().code(), Code::kInvalidArgument) << name;
  }
}

TEST_F(OcspCacheTest, BackgroundThreadFetchesAtOnceAndStopsPromptly) {
  auto cache = make(settings());
  cache->start();
  cache->start();  // idempotent
  ASSERT_TRUE(fake_.wait_for_calls(2));
  // Runs after the thread's own run has recorded both answers (one run at a time); nothing is
  // due any more, so this fetches nothing.
  cache->refresh_due();
  EXPECT_TRUE(cache->response_for(auth_.cert));
  EXPECT_TRUE(cache->response_for(sign_.cert));
  // The thread now waits for the next attempt, a (real) minute away at most; destruction wakes it.
  const auto before = std::chrono::steady_clock::now();
  cache.reset();
  EXPECT_LT(std::chrono::steady_clock::now() - before, 5s);
  EXPECT_EQ(fake_.calls(), 2);
}

}  // namespace
}  // namespace xacbe::crypto
