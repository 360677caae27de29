#pragma once
// Records, a made-up TSA and register files for the query register's tests.

#include <openssl/pkcs7.h>
#include <openssl/ts.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>

#include "register/query_register.hpp"
#include "support/test_pki.hpp"
#include "support/tsa_answers.hpp"
#include "xacbe/crypto/encoding.hpp"
#include "xacbe/crypto/tsa_client.hpp"

namespace xacbe::ss::testing {

using namespace std::chrono_literals;

// 2027-01-15T08:00:00Z.
inline const TimePoint kStart{std::chrono::seconds(1'800'000'000)};

// Record `i` of an exchange, its OCSP response made ten minutes before `now`.
inline RecordInput make_record(int i, TimePoint now, RecordSide side = RecordSide::kClient,
                               RecordKind kind = RecordKind::kRequest) {
  RecordInput in;
  in.side = side;
  in.kind = kind;
  in.message_id = "msg-" + std::to_string(i);
  in.request_id = "req-" + std::to_string(i);
  in.client = "MX/GOB/1001/padron-cliente";
  in.service = "MX/GOB/2002/registro-civil/consulta-curp/v1";
  in.user_id = "MX-usuario-7";
  in.head = R"({"service":"consulta-curp","n":)" + std::to_string(i) + "}";
  in.body = "{\"curp\":\"AAAA000101HQRXXX0" + std::to_string(i % 10) + "\"}";
  in.body_sha256 = crypto::sha256(*in.body);
  in.estamp = "<ds:Signature>estamp " + std::to_string(i) + "</ds:Signature>";
  in.ocsp_produced_at = to_sys_seconds(now) - 10min;
  in.deadline = in.ocsp_produced_at + 8h;
  return in;
}

// The writer thread runs done callbacks, so one that waits holds the writer: what is appended
// meanwhile is written together in the next group.
class WriterGate {
 public:
  QueryRegister::AppendDone hold() {
    return [this](Result<RecordRef>) {
      std::unique_lock lock(mu_);
      held_ = true;
      cv_.notify_all();
      cv_.wait(lock, [&] { return open_; });
    };
  }
  void wait_until_held() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return held_; });
  }
  void open() {
    std::lock_guard lock(mu_);
    open_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool held_ = false, open_ = false;
};

// A TSA answering in-process with real RFC 3161 tokens, verified as the production client does.
class MadeUpTsa {
 public:
  explicit MadeUpTsa(const Clock& clock) : clock_(clock) {}

  Result<crypto::TimestampToken> operator()(std::string_view root) {
    ++calls_;
    if (failing_) return unavailable("TSA unreachable (test)");
    Result<crypto::TimestampRequest> request = crypto::TimestampRequest::create(crypto::ImprintHash::kSha256, root);
    if (!request) return request.status();
    xacbe::testing::TsaAnswer answer;
    answer.gen_time = to_sys_seconds(clock_.now());
    answer.serial = calls_;
    const std::string der =
        xacbe::testing::make_timestamp_response(request->der(), tsa_.cert, tsa_.key, {pki_.root()}, answer);
    return crypto::verify_timestamp_response(der, *request, tsa_.cert, {pki_.root()}, crypto::TimestampCheckOptions{},
                                             clock_);
  }

  // The TsaFunction for a Timestamper; this object must outlive it.
  std::function<Result<crypto::TimestampToken>(std::string_view)> function() {
    return [this](std::string_view root) { return (*this)(root); };
  }

  int calls() const { return calls_; }
  void set_failing(bool failing) { failing_ = failing; }

 private:
  const Clock& clock_;
  xacbe::testing::TestPki pki_{clock_};
  xacbe::testing::KeyAndCert tsa_ = pki_.issue(ca::Profile::kTimestamping, "tsa");
  std::atomic<int> calls_{0};
  std::atomic<bool> failing_{false};
};

// The SHA-256 message imprint of a TimeStampToken (ContentInfo with SignedData of TSTInfo).
inline std::string token_imprint(const std::string& token_der) {
  const auto* p = reinterpret_cast<const unsigned char*>(token_der.data());
  PKCS7* p7 = d2i_PKCS7(nullptr, &p, static_cast<long>(token_der.size()));
  if (p7 == nullptr) return {};
  TS_TST_INFO* info = PKCS7_to_TS_TST_INFO(p7);
  std::string out;
  if (info != nullptr) {
    const ASN1_OCTET_STRING* msg = TS_MSG_IMPRINT_get_msg(TS_TST_INFO_get_msg_imprint(info));
    out.assign(reinterpret_cast<const char*>(ASN1_STRING_get0_data(msg)),
               static_cast<std::size_t>(ASN1_STRING_length(msg)));
    TS_TST_INFO_free(info);
  }
  PKCS7_free(p7);
  return out;
}

}  // namespace xacbe::ss::testing
