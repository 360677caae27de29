// The query register's admin routes driven in process, over a real QueryRegister and a real
// RegisterAccessLog on temporary files: who reads which records, the filters and paging, the
// refusals, and the access entry every read leaves.

#include "admin/register_routes.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>

#include "register_test_records.hpp"
#include "support/temp_dir.hpp"
#include "xacbe/crypto/encoding.hpp"
#include "xacbe/store/database.hpp"

namespace xacbe::ss {
namespace {

using namespace std::chrono_literals;
using Json = nlohmann::json;
using testing::kStart;
using testing::make_record;

// make_record's client belongs to kCallerMember, its service to kProviderMember.
const std::string kCallerMember = "MX/GOB/1001";
const std::string kProviderMember = "MX/GOB/2002";
const std::string kPeer = "10.0.0.9:53124";

struct User {
  std::string name;
  api::Role role;
};
// luis reads the caller's records, rosa the provider's, marta (an administrator) both; ana (an
// administrator) and pedro (an auditor) are designated for nothing.
const User kLuis{"luis", api::Role::kAuditor}, kRosa{"rosa", api::Role::kAuditor},
    kMarta{"marta", api::Role::kAdministrator}, kAna{"ana", api::Role::kAdministrator},
    kPedro{"pedro", api::Role::kAuditor};

std::string token_of(const User& u) {
  return u.name + "-token";
}

struct Reply {
  int status = 0;
  Json json;
  std::size_t bytes = 0;
  std::string code() const { return json.contains("error") ? json["error"].value("code", "") : ""; }
  std::vector<std::int64_t> seqs() const {
    std::vector<std::int64_t> out;
    for (const Json& r : json.value("records", Json::array())) out.push_back(r["seq"].get<std::int64_t>());
    return out;
  }
};

std::string response_head(int status, int i) {
  return Json({{"status", status},
               {"headers", Json::array()},
               {"message_id", "msg-" + std::to_string(i)},
               {"request_id", "req-" + std::to_string(i)},
               {"request_hash", std::string(64, '0')}})
      .dump();
}

class RegisterRoutesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto reg = QueryRegister::open(dir_.file("register.db"), clock_);
    ASSERT_TRUE(reg.is_ok()) << reg.status().to_string();
    reg_ = std::move(reg).value();
    auto log = RegisterAccessLog::open(dir_.file("server.db"), clock_);
    ASSERT_TRUE(log.is_ok()) << log.status().to_string();
    log_ = std::move(log).value();
    readers_ = {{"luis", {*id::MemberId::parse(kCallerMember)}},
                {"rosa", {*id::MemberId::parse(kProviderMember)}},
                {"marta", {*id::MemberId::parse(kCallerMember), *id::MemberId::parse(kProviderMember)}}};
    std::vector<api::ApiUser> users;
    for (const User& u : {kLuis, kRosa, kMarta, kAna, kPedro}) {
      users.push_back({u.name, u.role, crypto::to_hex(crypto::sha256(token_of(u)))});
    }
    api_ = std::make_unique<api::AdminApi>(std::move(users));
    add_register_routes(*api_, *reg_, *log_, readers_);
  }

  // One exchange per row, a minute apart: seq i at kStart + (i - 1) minutes.
  //   1 client request  msg-1          2 client response msg-1, 200
  //   3 provider request msg-2         4 provider response msg-2, 500
  //   5 client request  msg-3 (never answered)
  //   6 client request  msg-4 user "otro"   7 client response msg-4 user "otro", 404
  void append_exchanges() {
    append(make_record(1, clock_.now()));
    append(response(1, 200, RecordSide::kClient));
    append(make_record(2, clock_.now(), RecordSide::kProvider));
    append(response(2, 500, RecordSide::kProvider));
    append(make_record(3, clock_.now()));
    RecordInput six = make_record(4, clock_.now());
    six.user_id = "otro";
    append(six);
    RecordInput seven = response(4, 404, RecordSide::kClient);
    seven.user_id = "otro";
    append(seven);
  }

  RecordInput response(int i, int status, RecordSide side) {
    RecordInput in = make_record(i, clock_.now(), side, RecordKind::kResponse);
    in.head = response_head(status, i);
    return in;
  }

  void append(RecordInput in) {
    Result<RecordRef> ref = reg_->append_blocking(std::move(in));
    ASSERT_TRUE(ref.is_ok()) << ref.status().to_string();
    clock_.advance(1min);
  }

  Reply get(const std::string& target, const User& user) {
    net::HttpRequest request;
    request.target = target;
    request.peer_address = kPeer;
    request.headers.emplace_back("Authorization", "Bearer " + token_of(user));
    const net::HttpResponse response = api_->handle(request);
    return {response.status, Json::parse(response.body, nullptr, false), response.body.size()};
  }

  std::vector<StoredRegisterAccess> accesses() {
    auto page = log_->list(0, 1000);
    EXPECT_TRUE(page.is_ok()) << page.status().to_string();
    return page.is_ok() ? page->entries : std::vector<StoredRegisterAccess>{};
  }

  // Raw SQL on the admin database from another connection, as someone with the file could.
  Status on_admin_database(const std::string& sql) {
    XACBE_ASSIGN_OR_RETURN(auto db, store::Database::open(dir_.file("server.db")));
    return db->exec(sql);
  }

  ManualClock clock_{kStart};
  xacbe::testing::TempDir dir_;
  std::unique_ptr<QueryRegister> reg_;
  std::unique_ptr<RegisterAccessLog> log_;
  RegisterReaders readers_;
  std::unique_ptr<api::AdminApi> api_;
};

using Seqs = std::vector<std::int64_t>;

TEST_F(RegisterRoutesTest, DesignatedReaderSeesOnlyItsMembersRecords) {
  append_exchanges();
  EXPECT_EQ(get("/api/v1/register/records", kLuis).seqs(), (Seqs{1, 2, 5, 6, 7}));
  EXPECT_EQ(get("/api/v1/register/records", kRosa).seqs(), (Seqs{3, 4}));
  EXPECT_EQ(get("/api/v1/register/records", kMarta).seqs(), (Seqs{1, 2, 3, 4, 5, 6, 7}));
  // A filter naming another member's records finds nothing rather than them.
  EXPECT_EQ(get("/api/v1/register/records?message_id=msg-2", kLuis).seqs(), Seqs{});

  const Reply own = get("/api/v1/register/records/3", kRosa);
  ASSERT_EQ(own.status, 200) << own.json.dump();
  EXPECT_EQ(own.json["seq"], 3);
  EXPECT_EQ(own.json["side"], "provider");
  EXPECT_EQ(own.json["body"], "{\"curp\":\"AAAA000101HQRXXX02\"}");
  EXPECT_EQ(own.json["body_encoding"], "utf-8");

  const Reply other = get("/api/v1/register/records/3", kLuis);
  const Reply absent = get("/api/v1/register/records/99", kLuis);
  EXPECT_EQ(other.status, 404);
  EXPECT_EQ(other.code(), "NOT_FOUND");
  EXPECT_FALSE(other.json.contains("body"));
  // Not a word that the record exists: the answer is the absent record's, but for the seq.
  EXPECT_EQ(other.json["error"]["message"], "no record 3 in the query register");
  EXPECT_EQ(absent.json["error"]["message"], "no record 99 in the query register");
}

TEST_F(RegisterRoutesTest, UndesignatedAdministratorAndAuditorAreRefused) {
  append_exchanges();
  for (const User& u : {kAna, kPedro}) {
    SCOPED_TRACE(u.name);
    for (const char* target : {"/api/v1/register/records", "/api/v1/register/records/1"}) {
      const Reply r = get(target, u);
      EXPECT_EQ(r.status, 403) << target;
      EXPECT_EQ(r.code(), "PERMISSION_DENIED");
      EXPECT_FALSE(r.json.contains("records"));
      EXPECT_FALSE(r.json.contains("body"));
    }
  }
  // The refusals are in the log too.
  const auto entries = accesses();
  ASSERT_EQ(entries.size(), 4u);
  for (const auto& e : entries) {
    EXPECT_EQ(e.access.outcome, "denied");
    EXPECT_EQ(e.record_count, 0);
  }
  // The access log: administrators read it, an undesignated auditor does not.
  EXPECT_EQ(get("/api/v1/register/accesses", kAna).status, 200);
  EXPECT_EQ(get("/api/v1/register/accesses", kPedro).status, 403);
}

TEST_F(RegisterRoutesTest, EachFilterNarrowsTheSearch) {
  append_exchanges();
  const struct {
    std::string query;
    Seqs seqs;
  } rows[] = {
      {"message_id=msg-1", {1, 2}},
      {"request_id=req-3", {5}},
      {"client=MX%2FGOB%2F1001%2Fpadron-cliente", {1, 2, 3, 4, 5, 6, 7}},
      {"service=MX/GOB/2002/registro-civil/consulta-curp/v1", {1, 2, 3, 4, 5, 6, 7}},
      {"service=MX/GOB/2002/registro-civil/otro", {}},
      {"user_id=otro", {6, 7}},
      {"side=provider", {3, 4}},
      {"side=client", {1, 2, 5, 6, 7}},
      {"kind=response", {2, 4, 7}},
      {"kind=request&side=client", {1, 5, 6}},
      {"result=success", {2}},
      {"result=failure", {4, 7}},
      {"result=unanswered", {5}},
      {"from=2027-01-15T08:02:00Z", {3, 4, 5, 6, 7}},
      {"until=2027-01-15T08:02:00Z", {1, 2}},
      {"from=2027-01-15T08:02:00Z&until=2027-01-15T08:04:00Z", {3, 4}},
      {"after=5", {6, 7}},
      {"user_id=otro&result=failure", {7}},
  };
  for (const auto& row : rows) {
    const Reply r = get("/api/v1/register/records?" + row.query, kMarta);
    ASSERT_EQ(r.status, 200) << row.query << ": " << r.json.dump();
    EXPECT_EQ(r.seqs(), row.seqs) << row.query;
    EXPECT_EQ(r.json["more"], false) << row.query;
  }
}

TEST_F(RegisterRoutesTest, SearchAnswersMetadataWithoutBodies) {
  append_exchanges();
  const Reply r = get("/api/v1/register/records?message_id=msg-1&kind=response", kLuis);
  ASSERT_EQ(r.status, 200);
  ASSERT_EQ(r.json["records"].size(), 1u);
  const Json& m = r.json["records"][0];
  const Result<Record> stored = reg_->get(2);
  ASSERT_TRUE(stored.is_ok());
  EXPECT_EQ(m["seq"], 2);
  EXPECT_EQ(m["created_at"], "2027-01-15T08:01:00Z");
  EXPECT_EQ(m["status"], 200);
  EXPECT_EQ(m["kind"], "response");
  EXPECT_EQ(m["body_sha256"], crypto::to_hex(stored->body_sha256));
  EXPECT_EQ(m["hash"], crypto::to_hex(stored->hash));
  EXPECT_EQ(m["timestamped"], false);
  EXPECT_TRUE(m["batch_id"].is_null());
  EXPECT_EQ(m["deadline_missed"], false);
  EXPECT_EQ(m["deadline"], to_iso8601_utc(stored->deadline));
  for (const char* content : {"body", "head", "estamp"}) EXPECT_FALSE(m.contains(content)) << content;

  const Reply one = get("/api/v1/register/records/2", kLuis);
  ASSERT_EQ(one.status, 200);
  EXPECT_EQ(one.json["head"], stored->head);
  EXPECT_EQ(one.json["estamp"], stored->estamp);
  EXPECT_EQ(one.json["status"], 200);
}

TEST_F(RegisterRoutesTest, BodyThatIsNotUtf8IsBase64AndADigestOnlyRecordHasNone) {
  RecordInput binary = make_record(1, clock_.now());
  binary.body = std::string("\x00\xff\xfe binary", 10);
  binary.body_sha256 = crypto::sha256(*binary.body);
  append(binary);
  RecordInput digest_only = make_record(2, clock_.now());
  digest_only.body.reset();
  append(digest_only);

  const Reply one = get("/api/v1/register/records/1", kLuis);
  ASSERT_EQ(one.status, 200);
  EXPECT_EQ(one.json["body_encoding"], "base64");
  EXPECT_EQ(crypto::base64_decode(one.json["body"].get<std::string>()).value(), *binary.body);
  const Reply two = get("/api/v1/register/records/2", kLuis);
  ASSERT_EQ(two.status, 200);
  EXPECT_TRUE(two.json["body"].is_null());
  EXPECT_TRUE(two.json["body_encoding"].is_null());
}

TEST_F(RegisterRoutesTest, PagesSayWhetherMoreFollow) {
  append_exchanges();
  Seqs seen;
  std::int64_t after = 0;
  int pages = 0;
  for (bool more = true; more; ++pages) {
    ASSERT_LT(pages, 10);
    const Reply r = get("/api/v1/register/records?limit=2&after=" + std::to_string(after), kLuis);
    ASSERT_EQ(r.status, 200) << r.json.dump();
    const Seqs page = r.seqs();
    EXPECT_LE(page.size(), 2u);
    seen.insert(seen.end(), page.begin(), page.end());
    more = r.json["more"].get<bool>();
    after = r.json["next_after"].get<std::int64_t>();
    if (!page.empty()) {
      EXPECT_EQ(after, page.back());
    }
  }
  EXPECT_EQ(seen, (Seqs{1, 2, 5, 6, 7}));
  EXPECT_EQ(pages, 3);
}

TEST_F(RegisterRoutesTest, APageStopsNearOneMebibyte) {
  // Records with identifiers at their bounds: about 3.5 KB of JSON each, so 400 exceed 1 MiB.
  for (int i = 1; i <= 400; ++i) {
    RecordInput in = make_record(i, clock_.now());
    in.client = kCallerMember + "/" + std::string(1000, 'c');
    in.service = kProviderMember + "/" + std::string(1000, 's');
    in.message_id = std::to_string(i) + std::string(250, 'm');
    in.request_id = std::to_string(i) + std::string(250, 'r');
    in.user_id = std::string(255, 'u');
    reg_->append(std::move(in), [](Result<RecordRef>) {});
  }
  ASSERT_TRUE(reg_->flush().is_ok());
  const Reply r = get("/api/v1/register/records?limit=1000", kLuis);
  ASSERT_EQ(r.status, 200);
  const Seqs page = r.seqs();
  EXPECT_GT(page.size(), 200u);
  EXPECT_LT(page.size(), 400u);
  EXPECT_LE(r.bytes, std::size_t{1100} * 1024);
  EXPECT_EQ(r.json["more"], true);
  EXPECT_EQ(r.json["next_after"], page.back());
  const Reply rest = get("/api/v1/register/records?limit=1000&after=" + std::to_string(page.back()), kLuis);
  EXPECT_EQ(page.size() + rest.seqs().size(), 400u);
  EXPECT_EQ(rest.json["more"], false);
}

TEST_F(RegisterRoutesTest, RefusesBadParameters) {
  append_exchanges();
  const std::string records = "/api/v1/register/records";
  const std::string rows[] = {
      records + "/x",
      records + "/-1",
      records + "/99999999999999999999",
      records + "?limit=0",
      records + "?limit=1001",
      records + "?limit=ten",
      records + "?after=-3",
      records + "?side=both",
      records + "?kind=reply",
      records + "?result=ok",
      records + "?from=yesterday",
      records + "?until=2027-13-01T00:00:00Z",
      records + "?from=2027-01-15T08:00:00",
      records + "?from=2027-01-15T09:00:00Z&until=2027-01-15T08:00:00Z",
      records + "?clinet=MX/GOB/1001/padron-cliente",
      records + "?side=client&side=provider",
      records + "?client=",
      records + "?client=MX/GOB",
      records + "?service=MX/GOB/2002",
      records + "?message_id=" + std::string(256, 'm'),
      "/api/v1/register/accesses?limit=0",
      "/api/v1/register/accesses?after=x",
      "/api/v1/register/accesses?user=luis",
  };
  for (const auto& target : rows) {
    const Reply r = get(target, kMarta);
    EXPECT_EQ(r.status, 400) << target << ": " << r.json.dump();
    EXPECT_EQ(r.code(), "INVALID_ARGUMENT") << target;
    EXPECT_TRUE(r.json["error"]["message"].is_string());
  }
  EXPECT_TRUE(accesses().empty()) << "a refused query reads nothing and is not an access";
}

TEST_F(RegisterRoutesTest, EverySearchAndReadLeavesAnAccessEntry) {
  append_exchanges();
  const TimePoint at = clock_.now();
  ASSERT_EQ(get("/api/v1/register/records?side=client&kind=request", kLuis).status, 200);
  clock_.advance(5s);
  ASSERT_EQ(get("/api/v1/register/records/2", kLuis).status, 200);
  ASSERT_EQ(get("/api/v1/register/records/3", kLuis).status, 404);
  ASSERT_EQ(get("/api/v1/register/records?message_id=msg-2", kRosa).status, 200);

  const auto entries = accesses();
  ASSERT_EQ(entries.size(), 4u);
  const StoredRegisterAccess& search = entries[0];
  EXPECT_EQ(search.access.user, "luis");
  EXPECT_EQ(search.access.role, "auditor");
  EXPECT_EQ(search.access.peer, kPeer);
  EXPECT_EQ(search.access.action, "register.search");
  EXPECT_EQ(search.access.detail, "side=client&kind=request");
  EXPECT_EQ(search.access.outcome, "ok");
  EXPECT_EQ(search.access.seqs, (Seqs{1, 5, 6}));
  EXPECT_EQ(search.record_count, 3);
  EXPECT_EQ(search.first_seq, 1);
  EXPECT_EQ(search.last_seq, 6);
  EXPECT_EQ(search.at, at);

  EXPECT_EQ(entries[1].access.action, "register.read");
  EXPECT_EQ(entries[1].access.detail, "seq 2");
  EXPECT_EQ(entries[1].access.seqs, Seqs{2});
  EXPECT_EQ(entries[1].at, at + 5s);
  // Another member's record: recorded as the attempt it was, with nothing served.
  EXPECT_EQ(entries[2].access.detail, "seq 3");
  EXPECT_EQ(entries[2].access.outcome, "not-found");
  EXPECT_TRUE(entries[2].access.seqs.empty());
  EXPECT_FALSE(entries[2].first_seq.has_value());
  EXPECT_EQ(entries[3].access.user, "rosa");
  EXPECT_EQ(entries[3].access.seqs, (Seqs{3, 4}));
}

TEST_F(RegisterRoutesTest, AReadThatCannotBeRecordedIsRefused) {
  append_exchanges();
  // The log's table refuses every new entry, as a full or failing disk would.
  ASSERT_TRUE(on_admin_database("CREATE TRIGGER refuse BEFORE INSERT ON register_accesses"
                                " BEGIN SELECT RAISE(ABORT, 'disk full'); END;")
                  .is_ok());
  for (const char* target : {"/api/v1/register/records", "/api/v1/register/records/1", "/api/v1/register/records/3"}) {
    const Reply r = get(target, kLuis);
    EXPECT_EQ(r.status, 503) << target;
    EXPECT_EQ(r.code(), "UNAVAILABLE") << target;
    EXPECT_FALSE(r.json.contains("records")) << target;
    EXPECT_FALSE(r.json.contains("body")) << target;
  }
  ASSERT_TRUE(on_admin_database("DROP TRIGGER refuse").is_ok());
  EXPECT_EQ(get("/api/v1/register/records/1", kLuis).status, 200);
  EXPECT_EQ(accesses().size(), 1u);
}

TEST_F(RegisterRoutesTest, TheAccessLogCannotBeChangedOrShortened) {
  append_exchanges();
  ASSERT_EQ(get("/api/v1/register/records/1", kLuis).status, 200);
  EXPECT_FALSE(on_admin_database("UPDATE register_accesses SET user = 'nadie'").is_ok());
  EXPECT_FALSE(on_admin_database("DELETE FROM register_accesses").is_ok());
  const auto entries = accesses();
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].access.user, "luis");
}

TEST_F(RegisterRoutesTest, AccessLogPagesAndAReaderSeesItsOwnEntries) {
  append_exchanges();
  ASSERT_EQ(get("/api/v1/register/records/1", kLuis).status, 200);
  ASSERT_EQ(get("/api/v1/register/records/3", kRosa).status, 200);
  ASSERT_EQ(get("/api/v1/register/records/2", kLuis).status, 200);

  const Reply own = get("/api/v1/register/accesses", kLuis);
  ASSERT_EQ(own.status, 200);
  ASSERT_EQ(own.json["accesses"].size(), 2u);
  for (const Json& e : own.json["accesses"]) EXPECT_EQ(e["user"], "luis");
  EXPECT_EQ(own.json["accesses"][1]["seqs"], Json({2}));

  const Reply first = get("/api/v1/register/accesses?limit=2", kAna);
  ASSERT_EQ(first.status, 200);
  ASSERT_EQ(first.json["accesses"].size(), 2u);
  EXPECT_EQ(first.json["more"], true);
  EXPECT_EQ(first.json["accesses"][1]["user"], "rosa");
  EXPECT_EQ(first.json["accesses"][1]["peer"], kPeer);
  const std::int64_t last = first.json["accesses"][1]["id"].get<std::int64_t>();
  const Reply rest = get("/api/v1/register/accesses?limit=2&after=" + std::to_string(last), kAna);
  ASSERT_EQ(rest.json["accesses"].size(), 1u);
  EXPECT_EQ(rest.json["more"], false);
  // Listing the log is not a register read: it adds no entry.
  EXPECT_EQ(accesses().size(), 3u);
}

TEST_F(RegisterRoutesTest, AccessEntryKeepsBoundedText) {
  RegisterAccess a;
  a.user = "luis";
  a.role = "auditor";
  a.peer = std::string(500, 'p');
  a.action = kRegisterExport;
  a.detail = std::string(5000, 'd') + "\xff";
  for (std::int64_t s = 1; s <= 250; ++s) a.seqs.push_back(s);
  ASSERT_TRUE(log_->record(a).is_ok());
  const auto entries = accesses();
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_LE(entries[0].access.detail.size(), kMaxAccessDetailBytes + 3);
  EXPECT_LE(entries[0].access.peer.size(), kMaxAccessPeerBytes + 3);
  EXPECT_EQ(entries[0].access.seqs.size(), kMaxListedSeqs);
  EXPECT_EQ(entries[0].record_count, 250);
  EXPECT_EQ(entries[0].last_seq, 250);
  EXPECT_EQ(entries[0].access.action, "register.export");
}

}  // namespace
}  // namespace xacbe::ss
