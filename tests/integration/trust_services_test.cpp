// Integration: the real xacbe-tsa and xacbe-ocsp executables on 127.0.0.1, driven over HTTP:
// the HTTP contract, the GET form of OCSP, malformed DER from several clients at once, a kill -9
// in the middle of time-stamping, and start-up refusals of bad configuration.

#include <gtest/gtest.h>
#include <openssl/ocsp.h>
#include <openssl/ts.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "support/e2e/trust_services.hpp"
#include "support/test_pki.hpp"
#include "xacbe/clock.hpp"
#include "xacbe/crypto/certificate.hpp"
#include "xacbe/crypto/encoding.hpp"
#include "xacbe/file.hpp"
#include "xacbe/net/http_client.hpp"

namespace xacbe::testing {
namespace {

Executables executables() { return {XACBE_CLI_BIN, XACBE_TSA_BIN, XACBE_OCSP_BIN}; }

Result<net::HttpResponse> post(const std::string& url, const std::string& type, std::string body) {
  net::HttpRequest request;
  request.method = "POST";
  request.headers = {{"Content-Type", type}};
  request.body = std::move(body);
  return net::http_request(url, std::move(request));
}

Result<net::HttpResponse> get(const std::string& url) { return net::http_request(url, net::HttpRequest{}); }

// A TimeStampReq for SHA-256 of `text`, made by the openssl tool in `dir` (as q.tsq).
std::string timestamp_query(const TempDir& dir, const std::string& text) {
  const std::string data = dir.file("q.txt"), query = dir.file("q.tsq");
  EXPECT_TRUE(write_file_atomic(data, text).is_ok());
  auto r = run_command({"openssl", "ts", "-query", "-data", data, "-sha256", "-cert", "-out", query});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  return read_file(query).value();
}

std::string timestamp_query(const TrustServices& services, const std::string& text) {
  return timestamp_query(services.dir(), text);
}

// An OCSPRequest for `cert_pem` under our root, made by the openssl tool.
std::string ocsp_query(const TrustServices& services, const std::string& cert_pem) {
  const std::string out = services.dir().file("q.ocsp");
  auto r = run_command({"openssl", "ocsp", "-issuer", services.root_pem(), "-cert", cert_pem, "-reqout", out});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  return read_file(out).value();
}

struct TimestampReply {
  int status = -1;              // PKIStatus, -1 when the bytes are no TimeStampResp
  std::uint64_t serial = 0;     // of the token when granted
  std::int64_t gen_time = 0;    // of the token when granted, Unix seconds
};

TimestampReply parse_timestamp_reply(const std::string& der) {
  TimestampReply out;
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  TS_RESP* resp = d2i_TS_RESP(nullptr, &p, static_cast<long>(der.size()));
  if (!resp) return out;
  out.status = static_cast<int>(ASN1_INTEGER_get(TS_STATUS_INFO_get0_status(TS_RESP_get_status_info(resp))));
  if (TS_TST_INFO* info = TS_RESP_get_tst_info(resp)) {
    ASN1_INTEGER_get_uint64(&out.serial, TS_TST_INFO_get_serial(info));
    tm t{};
    if (ASN1_TIME_to_tm(TS_TST_INFO_get_time(info), &t) == 1) out.gen_time = timegm(&t);
  }
  TS_RESP_free(resp);
  return out;
}

// OCSPResponseStatus, or -1 when the bytes are no OCSPResponse.
int ocsp_response_status(const std::string& der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  OCSP_RESPONSE* resp = d2i_OCSP_RESPONSE(nullptr, &p, static_cast<long>(der.size()));
  if (!resp) return -1;
  int status = OCSP_response_status(resp);
  OCSP_RESPONSE_free(resp);
  return status;
}

// V_OCSP_CERTSTATUS_* of the first SingleResponse of a successful response, or -1.
int ocsp_cert_status(const std::string& der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  OCSP_RESPONSE* resp = d2i_OCSP_RESPONSE(nullptr, &p, static_cast<long>(der.size()));
  if (!resp) return -1;
  int status = -1;
  if (OCSP_BASICRESP* basic = OCSP_response_get1_basic(resp)) {
    if (OCSP_SINGLERESP* single = OCSP_resp_get0(basic, 0)) {
      int reason = 0;
      status = OCSP_single_get0_status(single, &reason, nullptr, nullptr, nullptr);
    }
    OCSP_BASICRESP_free(basic);
  }
  OCSP_RESPONSE_free(resp);
  return status;
}

class TrustServicesTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    services_ = new TrustServices(executables());
    services_->start_tsa();
    services_->start_ocsp();
  }
  static void TearDownTestSuite() {
    delete services_;
    services_ = nullptr;
  }
  static TrustServices* services_;
};

TrustServices* TrustServicesTest::services_ = nullptr;

struct HttpCase {
  const char* name;
  bool tsa;  // which service
  const char* method;
  const char* target;
  const char* content_type;
  std::size_t body_bytes;
  int expected_status;
};

TEST_F(TrustServicesTest, AnswersTheHttpContract) {
  const HttpCase cases[] = {
      {"tsa health", true, "GET", "/health", "", 0, 200},
      {"tsa GET of the query path", true, "GET", "/", "", 0, 405},
      {"tsa unknown path", true, "POST", "/other", "application/timestamp-query", 10, 404},
      {"tsa wrong content type", true, "POST", "/", "application/octet-stream", 10, 415},
      {"tsa body over the limit", true, "POST", "/", "application/timestamp-query", 70000, 413},
      {"tsa garbage still gets a TimeStampResp", true, "POST", "/", "application/timestamp-query", 10, 200},
      {"ocsp health", false, "GET", "/health", "", 0, 200},
      {"ocsp PUT", false, "PUT", "/", "application/ocsp-request", 10, 405},
      {"ocsp wrong content type", false, "POST", "/", "text/plain", 10, 415},
      {"ocsp body over the limit", false, "POST", "/", "application/ocsp-request", 70000, 413},
      {"ocsp garbage still gets an OCSPResponse", false, "POST", "/", "application/ocsp-request", 10, 200},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    net::HttpRequest request;
    request.method = c.method;
    request.target = c.target;
    if (*c.content_type) request.headers = {{"Content-Type", c.content_type}};
    request.body.assign(c.body_bytes, 'x');
    const std::string base = "http://127.0.0.1:" + std::to_string(c.tsa ? services_->tsa_port() : services_->ocsp_port());
    auto response = net::http_request(base + c.target, request);
    ASSERT_TRUE(response.is_ok()) << response.status().to_string();
    EXPECT_EQ(response->status, c.expected_status);
  }
}

TEST_F(TrustServicesTest, AnswersGarbageWithProtocolRejections) {
  auto tsa = post(services_->tsa_url(), "application/timestamp-query", "not DER at all");
  ASSERT_TRUE(tsa.is_ok());
  EXPECT_EQ(tsa->header("Content-Type"), "application/timestamp-reply");
  EXPECT_EQ(parse_timestamp_reply(tsa->body).status, TS_STATUS_REJECTION);
  auto ocsp = post(services_->ocsp_url(), "application/ocsp-request", "not DER at all");
  ASSERT_TRUE(ocsp.is_ok());
  EXPECT_EQ(ocsp->header("Content-Type"), "application/ocsp-response");
  EXPECT_EQ(ocsp_response_status(ocsp->body), OCSP_RESPONSE_STATUS_MALFORMEDREQUEST);
}

TEST_F(TrustServicesTest, AnswersOcspGetRequests) {
  const auto cert = services_->issue("sign", "member-get");
  std::string path;
  for (char c : crypto::base64_encode(ocsp_query(*services_, cert))) {
    // RFC 6960 appendix A.1: the base64 is URL-encoded.
    if (c == '+') path += "%2B";
    else if (c == '/') path += "%2F";
    else if (c == '=') path += "%3D";
    else path += c;
  }
  auto response = get(services_->ocsp_url() + path);
  ASSERT_TRUE(response.is_ok()) << response.status().to_string();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(ocsp_response_status(response->body), OCSP_RESPONSE_STATUS_SUCCESSFUL);
  EXPECT_EQ(ocsp_cert_status(response->body), V_OCSP_CERTSTATUS_GOOD);

  auto bad = get(services_->ocsp_url() + "%%%not-base64");
  ASSERT_TRUE(bad.is_ok());
  EXPECT_EQ(ocsp_response_status(bad->body), OCSP_RESPONSE_STATUS_MALFORMEDREQUEST);
}

TEST_F(TrustServicesTest, SurvivesMalformedDerFromSeveralClients) {
  const auto cert = services_->issue("sign", "member-fuzz");
  const std::string tsq = timestamp_query(*services_, "fuzz");
  const std::string ocspq = ocsp_query(*services_, cert);
  constexpr int kClients = 4, kRequestsPerClient = 150;
  std::atomic<int> transport_errors{0}, non_protocol_answers{0};
  std::vector<std::thread> clients;
  for (int id = 0; id < kClients; ++id) {
    clients.emplace_back([&, id] {
      std::mt19937 rng(1234 + id);
      for (int i = 0; i < kRequestsPerClient; ++i) {
        const bool to_tsa = (i + id) % 2 == 0;
        std::string body = to_tsa ? tsq : ocspq;
        switch (i % 3) {
          case 0:  // flip a few bits
            for (int k = 0; k < 3; ++k) body[rng() % body.size()] ^= static_cast<char>(1u << (rng() % 8));
            break;
          case 1:  // truncate
            body.resize(rng() % body.size());
            break;
          default:  // random bytes
            body.resize(rng() % 600);
            for (auto& b : body) b = static_cast<char>(rng());
        }
        auto r = to_tsa ? post(services_->tsa_url(), "application/timestamp-query", body)
                        : post(services_->ocsp_url(), "application/ocsp-request", body);
        if (!r || r->status != 200) {
          ++transport_errors;
          continue;
        }
        const bool parsed = to_tsa ? parse_timestamp_reply(r->body).status >= 0 : ocsp_response_status(r->body) >= 0;
        if (!parsed) ++non_protocol_answers;
      }
    });
  }
  for (auto& t : clients) t.join();
  EXPECT_EQ(transport_errors.load(), 0);
  EXPECT_EQ(non_protocol_answers.load(), 0);
  EXPECT_TRUE(services_->tsa_process().running());
  EXPECT_TRUE(services_->ocsp_process().running());
  // And both still do their job.
  auto good = post(services_->tsa_url(), "application/timestamp-query", tsq);
  ASSERT_TRUE(good.is_ok());
  EXPECT_EQ(parse_timestamp_reply(good->body).status, TS_STATUS_GRANTED);
  auto ocsp = post(services_->ocsp_url(), "application/ocsp-request", ocspq);
  ASSERT_TRUE(ocsp.is_ok());
  EXPECT_EQ(ocsp_cert_status(ocsp->body), V_OCSP_CERTSTATUS_GOOD);
}

TEST(TsaCrashTest, SerialsAreNeverReusedAfterKill9MidLoad) {
  TrustServices services(executables());
  services.start_tsa();
  const std::string query = timestamp_query(services, "crash");
  std::mutex mu;
  std::set<std::uint64_t> seen;  // guarded by mu
  std::atomic<bool> stop{false};
  std::atomic<int> granted{0};
  const std::string url = services.tsa_url();
  std::vector<std::thread> load;
  for (int i = 0; i < 2; ++i) {
    load.emplace_back([&] {
      for (int n = 0; n < 2000 && !stop; ++n) {  // bounded; ends early when the service dies
        auto r = post(url, "application/timestamp-query", query);
        if (!r) continue;
        auto reply = parse_timestamp_reply(r->body);
        if (reply.status != TS_STATUS_GRANTED) continue;
        std::lock_guard lock(mu);
        EXPECT_TRUE(seen.insert(reply.serial).second) << "duplicate serial " << reply.serial;
        ++granted;
      }
    });
  }
  for (int i = 0; i < 500 && granted < 50; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_GE(granted.load(), 50) << services.tsa_process().log();
  services.tsa_process().stop(SIGKILL);
  stop = true;
  for (auto& t : load) t.join();

  services.start_tsa();  // same serial database, new process
  std::uint64_t max_before = 0;
  {
    std::lock_guard lock(mu);
    max_before = *seen.rbegin();
  }
  for (int i = 0; i < 20; ++i) {
    auto r = post(services.tsa_url(), "application/timestamp-query", query);
    ASSERT_TRUE(r.is_ok());
    auto reply = parse_timestamp_reply(r->body);
    ASSERT_EQ(reply.status, TS_STATUS_GRANTED);
    EXPECT_GT(reply.serial, max_before);
    EXPECT_TRUE(seen.insert(reply.serial).second);
  }
}

// RFC 5280 lets a certificate be valid until GeneralizedTime 99991231235959Z, past the year 2262
// where a nanosecond clock value ends. The real xacbe-tsa starts with such a certificate (root and
// TSA certificate both valid until 9999-12-31T23:59:59Z) and grants a token `openssl ts -verify`
// accepts.
TEST(TsaValidityTest, StartsWithACertificateValidUntil9999AndGrantsAVerifiableToken) {
  const SystemClock clock;
  TestPki pki(clock, crypto::KeyType::kEcP256, kLastX509Second);
  const KeyAndCert tsa = pki.issue(ca::Profile::kTimestamping, "TSA 9999", crypto::KeyType::kEcP256, kLastX509Second);
  ASSERT_EQ(tsa.cert.not_after(), kLastX509Second);
  TempDir dir;
  ASSERT_TRUE(tsa.key.save(dir.file("tsa.key")).is_ok());
  ASSERT_TRUE(write_file_atomic(dir.file("tsa.pem"), tsa.cert.pem()).is_ok());
  ASSERT_TRUE(write_file_atomic(dir.file("root.pem"), pki.root().pem()).is_ok());
  ASSERT_TRUE(write_file_atomic(dir.file("tsa.json"), R"({
  "listen": {"address": "127.0.0.1", "port": 0, "threads": 1, "body_limit": 65536, "idle_timeout_ms": 5000},
  "log": {"level": "info"},
  "tsa": {"key": "tsa.key", "certificate": "tsa.pem", "chain": "root.pem", "serial_db": "tsa-serial.db"}
}
)").is_ok());
  ChildProcess process({XACBE_TSA_BIN, "--config", dir.file("tsa.json")}, dir.file("tsa.log"));
  const auto port = process.wait_for_port();
  ASSERT_TRUE(port.has_value()) << process.log();

  const std::string query = timestamp_query(dir, "sealed until the end of X.509 time");
  auto response = post("http://127.0.0.1:" + std::to_string(*port) + "/", "application/timestamp-query", query);
  ASSERT_TRUE(response.is_ok()) << response.status().to_string();
  ASSERT_EQ(response->status, 200);
  EXPECT_EQ(parse_timestamp_reply(response->body).status, TS_STATUS_GRANTED) << process.log();
  ASSERT_TRUE(write_file_atomic(dir.file("reply.tsr"), response->body).is_ok());
  const auto verified = run_command({"openssl", "ts", "-verify", "-queryfile", dir.file("q.tsq"), "-in",
                                     dir.file("reply.tsr"), "-CAfile", dir.file("root.pem")});
  EXPECT_EQ(verified.exit_code, 0) << verified.output;
  EXPECT_NE(verified.output.find("Verification: OK"), std::string::npos) << verified.output;
  EXPECT_TRUE(process.running());
}

struct ConfigCase {
  const char* name;
  const char* config;
  const char* expected_message;
};

// The test hook that moves a real service's clock (libfaketime): the OCSP responder, whose own
// certificate lives 30 days, answers tryLater 31 days on; the TSA stamps the moved time.
TEST(TrustServicesClockTest, ServicesRunOnAMovedClock) {
  TrustServices services(executables());
  services.move_clock("+31d");
  services.start_ocsp();
  services.start_tsa();
  auto ocsp = post(services.ocsp_url(), "application/ocsp-request", ocsp_query(services, services.tsa_cert()));
  ASSERT_TRUE(ocsp) << ocsp.status().to_string();
  EXPECT_EQ(ocsp_response_status(ocsp->body), OCSP_RESPONSE_STATUS_TRYLATER);

  auto tsa = post(services.tsa_url(), "application/timestamp-query", timestamp_query(services, "later"));
  ASSERT_TRUE(tsa) << tsa.status().to_string();
  const TimestampReply reply = parse_timestamp_reply(tsa->body);
  ASSERT_EQ(reply.status, 0);
  const std::int64_t expected = to_unix_seconds(std::chrono::system_clock::now()) + 31 * 86400;
  EXPECT_NEAR(static_cast<double>(reply.gen_time), static_cast<double>(expected), 120.0);
}

// ca.db belongs to the ca.pem it was made with: pointed at the database of another CA, the real
// xacbe-ocsp refuses to start (exit 2) and `xacbe ca` refuses to act (exit 1), both naming the two
// certificates' fingerprints, rather than answer with the other CA's serials and statuses.
TEST(CaDatabaseOwnerTest, ResponderAndCliRefuseTheDatabaseOfAnotherCa) {
  TrustServices ours(executables()), theirs(executables());
  const std::string our_root = crypto::Certificate::load(ours.root_pem()).value().sha256_fingerprint();
  const std::string their_root = crypto::Certificate::load(theirs.root_pem()).value().sha256_fingerprint();
  const std::string their_db = theirs.ca_dir() + "/ca.db";

  const std::string config = ours.dir().file("ocsp-other-db.json");
  ASSERT_TRUE(write_file_atomic(config, R"({
  "listen": {"address": "127.0.0.1", "port": 0},
  "ocsp": {"ca_certificate": "ca/ca.pem", "ca_database": ")" + their_db + R"(", "key": "ocsp.key",
           "certificate": "ocsp.pem"}
}
)").is_ok());
  const CommandResult responder = run_command({XACBE_OCSP_BIN, "--config", config});
  EXPECT_EQ(responder.exit_code, 2) << responder.output;
  EXPECT_NE(responder.output.find(our_root), std::string::npos) << responder.output;
  EXPECT_NE(responder.output.find(their_root), std::string::npos) << responder.output;
  EXPECT_EQ(responder.output.find("listening"), std::string::npos) << responder.output;

  // A CA directory whose ca.db was swapped for the other CA's.
  const std::string mixed = ours.dir().file("mixed-ca");
  std::filesystem::create_directory(mixed);
  for (const char* name : {"ca.key", "ca.pem", "ca.json"}) {
    std::filesystem::copy_file(ours.ca_dir() + "/" + name, mixed + "/" + name);
  }
  std::filesystem::copy_file(their_db, mixed + "/ca.db");
  const CommandResult cli = run_command({XACBE_CLI_BIN, "ca", "--dir", mixed, "list"});
  EXPECT_EQ(cli.exit_code, 1) << cli.output;
  EXPECT_NE(cli.output.find("do not belong together"), std::string::npos) << cli.output;
  EXPECT_NE(cli.output.find(our_root), std::string::npos) << cli.output;
  EXPECT_NE(cli.output.find(their_root), std::string::npos) << cli.output;
  // Neither refusal changed the other CA's database: its own CA still works with it.
  EXPECT_EQ(theirs.cli({"ca", "list"}).exit_code, 0);

  // Nor does `ca init` make a new CA beside a database left in the directory.
  const std::string leftover = ours.dir().file("leftover-db");
  std::filesystem::create_directory(leftover);
  std::filesystem::copy_file(their_db, leftover + "/ca.db");
  const CommandResult init = run_command({XACBE_CLI_BIN, "ca", "--dir", leftover, "init"});
  EXPECT_EQ(init.exit_code, 1) << init.output;
  EXPECT_NE(init.output.find("already holds a CA database"), std::string::npos) << init.output;
  EXPECT_FALSE(std::filesystem::exists(leftover + "/ca.key"));
}

TEST(ServiceConfigTest, RefusesBadConfigurationWithAClearMessage) {
  TempDir dir;
  const ConfigCase cases[] = {
      {"not JSON", "{ listen", "parse"},
      {"missing tsa section", R"({"listen": {"port": 0}})", "tsa"},
      {"unknown key", R"({"listen": {"port": 0, "colour": "red"}, "tsa": {"key": "k", "certificate": "c",
        "chain": "c", "serial_db": "s"}})", "colour"},
      {"missing required key", R"({"listen": {"port": 0}, "tsa": {}})", "'tsa.key' is required"},
      {"port out of range", R"({"listen": {"port": 70000}, "tsa": {}})", "port"},
      {"missing key file", R"({"listen": {"port": 0}, "tsa": {"key": "none.key", "certificate": "c.pem",
        "chain": "c.pem", "serial_db": "s.db"}})", "none.key"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string config = dir.file("tsa.json");
    ASSERT_TRUE(write_file_atomic(config, c.config).is_ok());
    auto r = run_command({XACBE_TSA_BIN, "--config", config});
    EXPECT_EQ(r.exit_code, 2) << r.output;
    EXPECT_NE(r.output.find(c.expected_message), std::string::npos) << r.output;
  }
}

}  // namespace
}  // namespace xacbe::testing
