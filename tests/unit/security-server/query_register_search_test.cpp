// QueryRegister::find_page: the filters the auditors' search adds (members, side, kind, user,
// result) and the bound on what a search that no index narrows examines.

#include <gtest/gtest.h>

#include "register/query_register.hpp"
#include "register_test_records.hpp"
#include "support/temp_dir.hpp"

namespace xacbe::ss {
namespace {

using namespace std::chrono_literals;
using testing::kStart;
using testing::make_record;
using Seqs = std::vector<std::int64_t>;

id::MemberId member(const char* text) {
  return *id::MemberId::parse(text);
}

class QueryRegisterSearchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = QueryRegister::open(dir_.file("register.db"), clock_);
    ASSERT_TRUE(opened) << opened.status().to_string();
    reg_ = std::move(opened).value();
  }

  void append(RecordInput in) {
    Result<RecordRef> ref = reg_->append_blocking(std::move(in));
    ASSERT_TRUE(ref) << ref.status().to_string();
  }

  Seqs seqs(const RecordFilter& filter, RecordPage* page_out = nullptr) {
    Result<RecordPage> page = reg_->find_page(filter);
    EXPECT_TRUE(page) << page.status().to_string();
    if (!page) return {};
    Seqs out;
    for (const Record& r : page->records) out.push_back(r.seq);
    if (page_out != nullptr) *page_out = *page;
    return out;
  }

  ManualClock clock_{kStart};
  xacbe::testing::TempDir dir_;
  std::unique_ptr<QueryRegister> reg_;
};

TEST(RecordOwner, IsTheClientsMemberOnTheClientSideAndTheServicesOnTheProviderSide) {
  const std::string client = "MX/GOB/1001/padron", service = "MX/GOB/2002/civil/curp/v1";
  EXPECT_TRUE(record_belongs_to(RecordSide::kClient, client, service, member("MX/GOB/1001")));
  EXPECT_FALSE(record_belongs_to(RecordSide::kClient, client, service, member("MX/GOB/2002")));
  EXPECT_TRUE(record_belongs_to(RecordSide::kProvider, client, service, member("MX/GOB/2002")));
  EXPECT_FALSE(record_belongs_to(RecordSide::kProvider, client, service, member("MX/GOB/1001")));
  EXPECT_TRUE(record_belongs_to(RecordSide::kClient, "MX/GOB/1001", service, member("MX/GOB/1001")));
  // A member code that is the start of another's is not that member.
  EXPECT_FALSE(record_belongs_to(RecordSide::kClient, client, service, member("MX/GOB/100")));
  EXPECT_FALSE(record_belongs_to(RecordSide::kProvider, client, service, member("MX/GOB/200")));
}

TEST_F(QueryRegisterSearchTest, MembersFilterAppliesTheOwnerRule) {
  append(make_record(1, clock_.now()));                         // client side: MX/GOB/1001
  append(make_record(2, clock_.now(), RecordSide::kProvider));  // provider side: MX/GOB/2002
  RecordInput member_client = make_record(3, clock_.now());
  member_client.client = "MX/GOB/1001";  // the member itself as the client
  append(member_client);
  RecordInput longer = make_record(4, clock_.now());
  longer.client = "MX/GOB/10010/padron";  // another member, same start
  append(longer);
  RecordInput provider_longer = make_record(5, clock_.now(), RecordSide::kProvider);
  provider_longer.service = "MX/GOB/20020/civil/curp";
  append(provider_longer);

  RecordFilter f;
  f.members = std::vector<id::MemberId>{member("MX/GOB/1001")};
  EXPECT_EQ(seqs(f), (Seqs{1, 3}));
  f.members = std::vector<id::MemberId>{member("MX/GOB/2002")};
  EXPECT_EQ(seqs(f), Seqs{2});
  f.members = std::vector<id::MemberId>{member("MX/GOB/100"), member("MX/GOB/200")};
  EXPECT_EQ(seqs(f), Seqs{});
  f.members = std::vector<id::MemberId>{member("MX/GOB/1001"), member("MX/GOB/20020")};
  EXPECT_EQ(seqs(f), (Seqs{1, 3, 5}));
  f.members = std::vector<id::MemberId>{};
  EXPECT_EQ(seqs(f), Seqs{});
  // The SQL rule and record_belongs_to agree on every record.
  for (std::int64_t seq = 1; seq <= 5; ++seq) {
    Result<Record> r = reg_->get(seq);
    ASSERT_TRUE(r);
    RecordFilter one;
    one.after_seq = seq - 1;
    one.limit = 1;
    one.members = std::vector<id::MemberId>{member("MX/GOB/1001")};
    const Seqs found = seqs(one);
    EXPECT_EQ(!found.empty() && found[0] == seq, record_belongs_to(*r, member("MX/GOB/1001"))) << seq;
  }
}

TEST_F(QueryRegisterSearchTest, ResultTellsSuccessFailureAndUnansweredApart) {
  append(make_record(1, clock_.now()));
  RecordInput ok = make_record(1, clock_.now(), RecordSide::kClient, RecordKind::kResponse);
  ok.head = R"({"status":302,"headers":[]})";
  append(ok);
  append(make_record(2, clock_.now()));
  RecordInput bad = make_record(2, clock_.now(), RecordSide::kClient, RecordKind::kResponse);
  bad.head = R"({"status":503,"headers":[]})";
  append(bad);
  RecordInput no_status = make_record(3, clock_.now(), RecordSide::kClient, RecordKind::kResponse);
  no_status.head = "not json";
  append(no_status);
  append(make_record(4, clock_.now()));                         // never answered
  append(make_record(4, clock_.now(), RecordSide::kProvider));  // the same request id on the other side

  RecordFilter f;
  f.result = RecordResult::kSuccess;
  EXPECT_EQ(seqs(f), Seqs{2});
  f.result = RecordResult::kFailure;
  EXPECT_EQ(seqs(f), (Seqs{4, 5}));
  f.result = RecordResult::kUnanswered;
  EXPECT_EQ(seqs(f), (Seqs{6, 7}));
  f.side = RecordSide::kProvider;
  EXPECT_EQ(seqs(f), Seqs{7});
}

TEST_F(QueryRegisterSearchTest, FindsTheRequestsMadeOnBehalfOfAParty) {
  for (int i = 1; i <= 6; ++i) {
    RecordInput in = make_record(i, clock_.now());
    if (i == 2 || i == 5) in.head = R"({"n":)" + std::to_string(i) + R"(,"represented_party":"MX/GOB/3003"})";
    if (i == 3) in.head = R"({"represented_party":"MX/GOB/4004"})";
    if (i == 4) in.head = "not json";  // never matches, never fails the search
    append(in);
  }
  RecordInput answer = make_record(7, clock_.now());
  answer.kind = RecordKind::kResponse;
  answer.head = R"({"represented_party":"MX/GOB/3003"})";  // only requests name the party
  append(answer);
  RecordFilter f;
  f.represented_party = "MX/GOB/3003";
  EXPECT_EQ(seqs(f), (Seqs{2, 5}));
  f.represented_party = "MX/GOB/3003' OR '1'='1";
  EXPECT_EQ(seqs(f), Seqs{});
}

TEST_F(QueryRegisterSearchTest, AnUnindexedSearchExaminesABoundedWindow) {
  for (int i = 1; i <= 10; ++i) {
    RecordInput in = make_record(i, clock_.now());
    if (i == 2 || i == 9) in.user_id = "buscado";
    append(in);
  }
  RecordFilter f;
  f.user_id = "buscado";
  f.max_examined = 4;
  RecordPage page;
  EXPECT_EQ(seqs(f, &page), Seqs{2});
  EXPECT_TRUE(page.more);
  EXPECT_EQ(page.next_after, 4);
  f.after_seq = page.next_after;
  EXPECT_EQ(seqs(f, &page), Seqs{});
  EXPECT_TRUE(page.more) << "an empty window still says where to go on";
  EXPECT_EQ(page.next_after, 8);
  f.after_seq = page.next_after;
  EXPECT_EQ(seqs(f, &page), Seqs{9});
  EXPECT_FALSE(page.more);
  EXPECT_EQ(page.next_after, 9);

  // An indexed filter is not windowed: the index bounds it.
  RecordFilter by_id;
  by_id.message_id = "msg-9";
  by_id.max_examined = 1;
  EXPECT_EQ(seqs(by_id), Seqs{9});

  // A full page says so, and where it ended.
  RecordFilter all;
  all.limit = 3;
  EXPECT_EQ(seqs(all, &page), (Seqs{1, 2, 3}));
  EXPECT_TRUE(page.more);
  EXPECT_EQ(page.next_after, 3);
  all.after_seq = 9;
  EXPECT_EQ(seqs(all, &page), Seqs{10});
  EXPECT_FALSE(page.more);

  RecordFilter bad;
  bad.max_examined = 0;
  EXPECT_EQ(reg_->find_page(bad).status().code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace xacbe::ss
