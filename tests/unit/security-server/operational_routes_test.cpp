// The operational records' admin routes driven in process over a real OperationalLog: who reads
// which records, the filters, paging and usage summary, hostile text served as valid JSON, and a
// table of refused parameters.

#include "admin/operational_routes.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "support/temp_dir.hpp"
#include "xacbe/crypto/encoding.hpp"

namespace xacbe::ss {
namespace {

using namespace std::chrono_literals;
using Json = nlohmann::json;

const TimePoint kStart = from_unix_seconds(1796032800);  // 2026-11-30T10:00:00Z
const std::string kCaller = "MX/GOB/1001/SIS";
const std::string kService = "MX/GOB/2002/PLAT/consulta";

struct Reply {
  int status = 0;
  Json json;
  std::string code() const { return json.contains("error") ? json["error"].value("code", "") : ""; }
};

class OperationalRoutesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto log = OperationalLog::open(dir_.file("operational.db"), clock_);
    ASSERT_TRUE(log.is_ok()) << log.status().to_string();
    log_ = std::move(log).value();
    // luis reads the caller's records, rosa the provider's; ana, an administrator, is designated
    // for nothing.
    readers_ = {{"luis", {*id::MemberId::parse("MX/GOB/1001")}}, {"rosa", {*id::MemberId::parse("MX/GOB/2002")}}};
    std::vector<api::ApiUser> users;
    for (const auto& [name, role] : std::vector<std::pair<std::string, api::Role>>{
             {"luis", api::Role::kAuditor}, {"rosa", api::Role::kAuditor}, {"ana", api::Role::kAdministrator}}) {
      users.push_back({name, role, crypto::to_hex(crypto::sha256(name + "-token"))});
    }
    api_ = std::make_unique<api::AdminApi>(std::move(users));
    add_operational_routes(*api_, *log_, readers_);
  }

  // i odd: client side (luis's); i even: provider side (rosa's). i == 3 failed.
  void add(int i, TimePoint at) {
    OperationalRecord r;
    r.side = i % 2 == 0 ? RecordSide::kProvider : RecordSide::kClient;
    r.client = kCaller;
    r.service = kService;
    r.endpoint = "GET /personas/" + std::to_string(i);
    r.message_id = "msg-" + std::to_string(i);
    r.request_id = "req-" + std::to_string(i);
    r.time_in = at;
    r.time_out = at + 5ms;
    r.request_bytes = i;
    r.response_bytes = 10 * i;
    r.result = i == 3 ? "ACCESS_DENIED" : "ok";
    r.fault_side = i == 3 ? "provider-side" : "";
    r.client_server = "MX/GOB/1001/SS1";
    r.provider_server = "MX/GOB/2002/SS1";
    r.http_status = i == 3 ? 403 : 200;
    log_->record(std::move(r));
  }

  Reply get(const std::string& target, const std::string& user) {
    net::HttpRequest request;
    request.method = "GET";
    request.target = target;
    request.headers.emplace_back("Authorization", "Bearer " + user + "-token");
    const net::HttpResponse response = api_->handle(request);
    return {response.status, Json::parse(response.body, nullptr, false)};
  }

  std::vector<std::string> message_ids(const Reply& r) {
    std::vector<std::string> out;
    for (const Json& j : r.json.value("records", Json::array())) out.push_back(j["message_id"]);
    return out;
  }

  testing::TempDir dir_;
  ManualClock clock_{kStart};
  std::unique_ptr<OperationalLog> log_;
  RegisterReaders readers_;
  std::unique_ptr<api::AdminApi> api_;
};

TEST_F(OperationalRoutesTest, ADesignatedReaderListsItsMembersRecordsWithEveryField) {
  for (int i = 1; i <= 4; ++i) add(i, kStart + std::chrono::minutes(i));
  ASSERT_TRUE(log_->flush().is_ok());
  const Reply luis = get("/api/v1/operational-records", "luis");
  ASSERT_EQ(luis.status, 200) << luis.json.dump();
  EXPECT_EQ(message_ids(luis), (std::vector<std::string>{"msg-1", "msg-3"}));
  EXPECT_FALSE(luis.json["more"].get<bool>());
  const Json& failed = luis.json["records"][1];
  EXPECT_EQ(failed["side"], "client");
  EXPECT_EQ(failed["client"], kCaller);
  EXPECT_EQ(failed["service"], kService);
  EXPECT_EQ(failed["endpoint"], "GET /personas/3");
  EXPECT_EQ(failed["represented_party"], "");
  EXPECT_EQ(failed["request_id"], "req-3");
  EXPECT_EQ(failed["time_in"], "2026-11-30T10:03:00Z");
  EXPECT_EQ(failed["time_in_ms"], 1796032980000);
  EXPECT_EQ(failed["time_out_ms"], 1796032980005);
  EXPECT_EQ(failed["request_bytes"], 3);
  EXPECT_EQ(failed["response_bytes"], 30);
  EXPECT_EQ(failed["result"], "ACCESS_DENIED");
  EXPECT_EQ(failed["fault_side"], "provider-side");
  EXPECT_EQ(failed["client_server"], "MX/GOB/1001/SS1");
  EXPECT_EQ(failed["provider_server"], "MX/GOB/2002/SS1");
  EXPECT_EQ(failed["http_status"], 403);

  const Reply rosa = get("/api/v1/operational-records", "rosa");
  ASSERT_EQ(rosa.status, 200);
  EXPECT_EQ(message_ids(rosa), (std::vector<std::string>{"msg-2", "msg-4"}));
}

TEST_F(OperationalRoutesTest, UndesignatedUsersAdministratorsIncludedAreRefused) {
  add(1, kStart);
  ASSERT_TRUE(log_->flush().is_ok());
  for (const std::string target : {"/api/v1/operational-records", "/api/v1/usage?from=2026-11-30&to=2026-11-30"}) {
    const Reply r = get(target, "ana");
    EXPECT_EQ(r.status, 403) << target;
    EXPECT_FALSE(r.json.contains("records"));
    EXPECT_FALSE(r.json.contains("usage"));
  }
}

TEST_F(OperationalRoutesTest, FiltersAndPaging) {
  for (int i = 1; i <= 9; i += 2) add(i, kStart + std::chrono::minutes(i));  // luis's 1, 3, 5, 7, 9
  ASSERT_TRUE(log_->flush().is_ok());
  Reply r = get("/api/v1/operational-records?result=ACCESS_DENIED", "luis");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(message_ids(r), (std::vector<std::string>{"msg-3"}));
  r = get("/api/v1/operational-records?result=ok&from=2026-11-30T10:04:00Z&to=2026-11-30T10:08:00Z", "luis");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(message_ids(r), (std::vector<std::string>{"msg-5", "msg-7"}));
  r = get("/api/v1/operational-records?client=" + kCaller + "&service=" + kService + "&side=client&limit=2", "luis");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(message_ids(r), (std::vector<std::string>{"msg-1", "msg-3"}));
  ASSERT_TRUE(r.json["more"].get<bool>());
  r = get("/api/v1/operational-records?limit=2&after=" + std::to_string(r.json["next_after"].get<std::int64_t>()),
          "luis");
  EXPECT_EQ(message_ids(r), (std::vector<std::string>{"msg-5", "msg-7"}));
  r = get("/api/v1/operational-records?client=MX/GOB/3003/OTRO", "luis");
  ASSERT_EQ(r.status, 200);
  EXPECT_TRUE(message_ids(r).empty());
}

TEST_F(OperationalRoutesTest, UsageSumsTheReadersOwnRecordsPerDay) {
  add(1, kStart);
  add(3, kStart + 1h);
  add(5, kStart + 24h);
  add(2, kStart);  // rosa's
  ASSERT_TRUE(log_->flush().is_ok());
  const Reply r = get("/api/v1/usage?from=2026-11-30&to=2026-12-01", "luis");
  ASSERT_EQ(r.status, 200) << r.json.dump();
  const Json expected = Json::parse(R"([
    {"day":"2026-11-30","client":"MX/GOB/1001/SIS","service":"MX/GOB/2002/PLAT/consulta","side":"client",
     "ok":1,"failed":1,"request_bytes":4,"response_bytes":40},
    {"day":"2026-12-01","client":"MX/GOB/1001/SIS","service":"MX/GOB/2002/PLAT/consulta","side":"client",
     "ok":1,"failed":0,"request_bytes":5,"response_bytes":50}])");
  EXPECT_EQ(r.json["usage"], expected);
  EXPECT_FALSE(r.json["truncated"].get<bool>());
  const Reply one_day = get("/api/v1/usage?from=2026-12-01&to=2026-12-01", "luis");
  ASSERT_EQ(one_day.status, 200);
  EXPECT_EQ(one_day.json["usage"].size(), 1u);
}

TEST_F(OperationalRoutesTest, HostileTextIsServedAsValidJson) {
  OperationalRecord r;
  r.side = RecordSide::kClient;
  r.client = kCaller;
  r.service = kService;
  r.endpoint = std::string("GET /\"}\n\x01\xff<script>", 18) + std::string(3000, 'x');
  r.message_id = "m\"\\";
  r.result = "ok";
  r.time_in = r.time_out = kStart;
  log_->record(r);
  ASSERT_TRUE(log_->flush().is_ok());
  const Reply reply = get("/api/v1/operational-records", "luis");
  ASSERT_EQ(reply.status, 200);
  ASSERT_TRUE(reply.json.is_object());
  const std::string endpoint = reply.json["records"][0]["endpoint"];
  EXPECT_LE(endpoint.size(), kMaxEndpointBytes);
  EXPECT_EQ(endpoint.substr(0, 9), "GET /\"}\n\x01");
  EXPECT_EQ(reply.json["records"][0]["message_id"], "m\"\\");
}

TEST_F(OperationalRoutesTest, BadParametersAreRefused) {
  const std::vector<std::string> refused = {
      "/api/v1/operational-records?colour=red",
      "/api/v1/operational-records?limit=1&limit=2",
      "/api/v1/operational-records?client=",
      "/api/v1/operational-records?from=yesterday",
      "/api/v1/operational-records?to=2026-11-30",
      "/api/v1/operational-records?from=2026-11-30T10:00:00Z&to=2026-11-30T10:00:00Z",
      "/api/v1/operational-records?client=not%20an%20id",
      "/api/v1/operational-records?client=" + std::string(2000, 'A'),
      "/api/v1/operational-records?service=MX/GOB/1001",
      "/api/v1/operational-records?side=both",
      "/api/v1/operational-records?result=NOT_A_CODE",
      "/api/v1/operational-records?limit=0",
      "/api/v1/operational-records?limit=1001",
      "/api/v1/operational-records?after=-1",
      "/api/v1/usage",
      "/api/v1/usage?from=2026-11-30",
      "/api/v1/usage?from=2026-11-30&to=2026-11-3",
      "/api/v1/usage?from=2026-11-30T00:00:00Z&to=2026-12-01",
      "/api/v1/usage?from=2026-13-01&to=2026-13-02",
      "/api/v1/usage?from=2026-12-01&to=2026-11-30",
      "/api/v1/usage?from=2025-01-01&to=2026-11-30",
      "/api/v1/usage?from=2026-11-30&to=2026-11-30&client=x",
  };
  for (const std::string& target : refused) {
    const Reply r = get(target, "luis");
    EXPECT_EQ(r.status, 400) << target << " " << r.json.dump();
    EXPECT_EQ(r.code(), "INVALID_ARGUMENT") << target;
  }
}

}  // namespace
}  // namespace xacbe::ss
