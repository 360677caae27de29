#include "xacbe/id/identifiers.hpp"

#include <gtest/gtest.h>

#include <set>
#include <sstream>
#include <string>
#include <unordered_set>
#include <vector>

namespace xacbe::id {
namespace {

using namespace std::string_literals;

// ---- Valid forms --------------------------------------------------------------------------------

TEST(MemberIdTest, ParsesAndRoundTrips) {
  for (const std::string text : {"QROO/FED/PGJ", "QROO-TEST/EST/SEFIPLAN", "QROO/MUN/OPB-2024",
                                 "Q/M/0", "QROO/FED/a.b_c-d", "QROO/FED/_x", "QROO/FED/pgj"}) {
    auto id = MemberId::parse(text);
    ASSERT_TRUE(id) << text << ": " << id.status().to_string();
    EXPECT_EQ(id->to_string(), text);
    EXPECT_EQ(MemberId::parse(id->to_string()).value(), *id);
  }
  auto id = MemberId::parse("QROO-TEST/EST/SEFIPLAN").value();
  EXPECT_EQ(id.instance(), "QROO-TEST");
  EXPECT_EQ(id.member_class(), "EST");
  EXPECT_EQ(id.code(), "SEFIPLAN");
}

TEST(MemberIdTest, AcceptsPartsOfExactlyTheMaximumLength) {
  // Built by appending: GCC 12 -O2 warns falsely (-Wrestrict) on "literal" + std::string temporaries.
  std::string text = "Q";
  text.append(31, 'X').append("/C").append(15, '9').append("/").append(64, 'c');
  auto id = MemberId::parse(text);
  ASSERT_TRUE(id) << id.status().to_string();
  EXPECT_EQ(id->instance().size(), 32u);
  EXPECT_EQ(id->member_class().size(), 16u);
  EXPECT_EQ(id->code().size(), 64u);
  EXPECT_EQ(id->to_string(), text);
}

TEST(MemberIdTest, DoesNotNormaliseCase) {
  auto upper = MemberId::parse("QROO/FED/PGJ").value();
  auto lower = MemberId::parse("QROO/FED/pgj").value();
  EXPECT_NE(upper, lower);
  EXPECT_EQ(lower.code(), "pgj");
}

TEST(SubsystemIdTest, ParsesAndRoundTrips) {
  auto id = SubsystemId::parse("QROO/EST/SEFIPLAN/NOMINA");
  ASSERT_TRUE(id) << id.status().to_string();
  EXPECT_EQ(id->member(), MemberId::parse("QROO/EST/SEFIPLAN").value());
  EXPECT_EQ(id->subsystem(), "NOMINA");
  EXPECT_EQ(id->to_string(), "QROO/EST/SEFIPLAN/NOMINA");
  EXPECT_EQ(SubsystemId::parse(id->to_string()).value(), *id);
}

TEST(ServiceIdTest, ParsesWithAndWithoutVersion) {
  auto plain = ServiceId::parse("QROO/FED/PGJ/SIGI/consultaDenuncia");
  ASSERT_TRUE(plain) << plain.status().to_string();
  EXPECT_EQ(plain->subsystem(), SubsystemId::parse("QROO/FED/PGJ/SIGI").value());
  EXPECT_EQ(plain->service(), "consultaDenuncia");
  EXPECT_FALSE(plain->version().has_value());
  EXPECT_EQ(plain->to_string(), "QROO/FED/PGJ/SIGI/consultaDenuncia");

  auto versioned = ServiceId::parse("QROO/FED/PGJ/SIGI/consultaDenuncia/v1.2");
  ASSERT_TRUE(versioned) << versioned.status().to_string();
  ASSERT_TRUE(versioned->version().has_value());
  EXPECT_EQ(*versioned->version(), "v1.2");
  EXPECT_EQ(versioned->to_string(), "QROO/FED/PGJ/SIGI/consultaDenuncia/v1.2");
  EXPECT_EQ(ServiceId::parse(versioned->to_string()).value(), *versioned);
  EXPECT_NE(*plain, *versioned);
}

TEST(SecurityServerIdTest, ParsesAndRoundTrips) {
  auto id = SecurityServerId::parse("QROO/FED/PGJ/ss1.pgj");
  ASSERT_TRUE(id) << id.status().to_string();
  EXPECT_EQ(id->owner(), MemberId::parse("QROO/FED/PGJ").value());
  EXPECT_EQ(id->server_code(), "ss1.pgj");
  EXPECT_EQ(id->to_string(), "QROO/FED/PGJ/ss1.pgj");
  EXPECT_EQ(SecurityServerId::parse(id->to_string()).value(), *id);
}

TEST(ClientIdTest, IsAMemberOrASubsystem) {
  auto member = ClientId::parse("QROO/FED/PGJ");
  ASSERT_TRUE(member) << member.status().to_string();
  EXPECT_FALSE(member->is_subsystem());
  EXPECT_FALSE(member->subsystem().has_value());
  EXPECT_EQ(member->member(), MemberId::parse("QROO/FED/PGJ").value());
  EXPECT_EQ(member->to_string(), "QROO/FED/PGJ");

  auto subsystem = ClientId::parse("QROO/FED/PGJ/SIGI");
  ASSERT_TRUE(subsystem) << subsystem.status().to_string();
  EXPECT_TRUE(subsystem->is_subsystem());
  ASSERT_TRUE(subsystem->subsystem().has_value());
  EXPECT_EQ(*subsystem->subsystem(), SubsystemId::parse("QROO/FED/PGJ/SIGI").value());
  EXPECT_EQ(subsystem->member(), member->member());
  EXPECT_EQ(subsystem->to_string(), "QROO/FED/PGJ/SIGI");

  EXPECT_NE(*member, *subsystem);
  EXPECT_EQ(ClientId(MemberId::parse("QROO/FED/PGJ").value()), *member);
  EXPECT_EQ(ClientId(SubsystemId::parse("QROO/FED/PGJ/SIGI").value()), *subsystem);
}

TEST(IdentifiersTest, CreateBuildsTheSameValueAsParse) {
  auto member = MemberId::create("QROO", "FED", "PGJ");
  ASSERT_TRUE(member) << member.status().to_string();
  EXPECT_EQ(*member, MemberId::parse("QROO/FED/PGJ").value());
  auto subsystem = SubsystemId::create(*member, "SIGI");
  ASSERT_TRUE(subsystem) << subsystem.status().to_string();
  EXPECT_EQ(*subsystem, SubsystemId::parse("QROO/FED/PGJ/SIGI").value());
  auto service = ServiceId::create(*subsystem, "consulta", "v1");
  ASSERT_TRUE(service) << service.status().to_string();
  EXPECT_EQ(*service, ServiceId::parse("QROO/FED/PGJ/SIGI/consulta/v1").value());
  auto unversioned = ServiceId::create(*subsystem, "consulta");
  ASSERT_TRUE(unversioned) << unversioned.status().to_string();
  EXPECT_EQ(*unversioned, ServiceId::parse("QROO/FED/PGJ/SIGI/consulta").value());
  auto server = SecurityServerId::create(*member, "ss1");
  ASSERT_TRUE(server) << server.status().to_string();
  EXPECT_EQ(*server, SecurityServerId::parse("QROO/FED/PGJ/ss1").value());
}

TEST(IdentifiersTest, CreateRejectsBadPartsAndNamesThem) {
  const MemberId member = MemberId::parse("QROO/FED/PGJ").value();
  const SubsystemId subsystem = SubsystemId::parse("QROO/FED/PGJ/SIGI").value();
  struct Case {
    Status status;
    std::string names;
  };
  const std::vector<Case> cases = {
      {MemberId::create("qroo", "FED", "PGJ").status(), "invalid instance 'qroo'"},
      {MemberId::create("QROO", "fed", "PGJ").status(), "invalid member class 'fed'"},
      {MemberId::create("QROO", "FED", "a/b").status(), "invalid member code 'a/b'"},
      {MemberId::create("QROO", "FED", "").status(), "invalid member code ''"},
      {SubsystemId::create(member, "..").status(), "invalid subsystem code '..'"},
      {ServiceId::create(subsystem, "con sulta").status(), "invalid service code 'con sulta'"},
      {ServiceId::create(subsystem, "consulta", "").status(), "invalid service version ''"},
      {ServiceId::create(subsystem, "consulta", "v1/x").status(), "invalid service version 'v1/x'"},
      {SecurityServerId::create(member, "-ss1").status(), "invalid server code '-ss1'"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(c.status.code(), Code::kInvalidArgument) << c.names;
    EXPECT_NE(c.status.message().find(c.names), std::string::npos) << c.status.message();
    EXPECT_NE(c.status.message().find("expected"), std::string::npos) << c.status.message();
  }
}

// ---- Rejections ---------------------------------------------------------------------------------

enum class Kind { kMember, kSubsystem, kService, kServer, kClient };

Status parse_as(Kind kind, std::string_view text) {
  switch (kind) {
    case Kind::kMember: return MemberId::parse(text).status();
    case Kind::kSubsystem: return SubsystemId::parse(text).status();
    case Kind::kService: return ServiceId::parse(text).status();
    case Kind::kServer: return SecurityServerId::parse(text).status();
    case Kind::kClient: return ClientId::parse(text).status();
  }
  return Status::ok();
}

struct Rejection {
  const char* name;  // test name suffix
  Kind kind;
  std::string input;
  std::vector<std::string> message_contains;  // the part named, and what is wrong or expected
};

std::ostream& operator<<(std::ostream& out, const Rejection& r) { return out << r.name; }

class RejectionTest : public ::testing::TestWithParam<Rejection> {};

TEST_P(RejectionTest, IsInvalidArgumentNamingThePart) {
  const Rejection& r = GetParam();
  const Status status = parse_as(r.kind, r.input);
  ASSERT_FALSE(status.is_ok()) << "accepted: " << r.input;
  EXPECT_EQ(status.code(), Code::kInvalidArgument) << status.to_string();
  for (const auto& part : r.message_contains) {
    EXPECT_NE(status.message().find(part), std::string::npos)
        << "message does not contain \"" << part << "\": " << status.message();
  }
  // Bytes from the input are escaped, never copied raw into the message.
  for (unsigned char c : status.message()) {
    EXPECT_TRUE(c >= 0x20 && c < 0x7f) << "raw byte " << static_cast<int>(c) << " in " << status.message();
  }
}

const std::string k65(65, 'a');

INSTANTIATE_TEST_SUITE_P(
    Identifiers, RejectionTest,
    ::testing::Values(
        // Shape of the whole identifier.
        Rejection{"Empty", Kind::kMember, "", {"empty member identifier", "INSTANCE/CLASS/CODE"}},
        Rejection{"TooFewParts", Kind::kMember, "QROO/FED", {"2 parts", "INSTANCE/CLASS/CODE (3 parts)"}},
        Rejection{"TooManyParts", Kind::kMember, "QROO/FED/PGJ/X", {"4 parts", "INSTANCE/CLASS/CODE"}},
        Rejection{"TrailingSlash", Kind::kMember, "QROO/FED/PGJ/", {"trailing '/'", "'QROO/FED/PGJ/'"}},
        Rejection{"LeadingSlash", Kind::kMember, "/QROO/FED/PGJ", {"leading '/'", "'/QROO/FED/PGJ'"}},
        Rejection{"OnlySlashes", Kind::kMember, "//", {"leading '/'"}},
        Rejection{"EmptyClass", Kind::kMember, "QROO//PGJ", {"member class ''", "empty"}},
        Rejection{"EmptyInstance", Kind::kMember, "/FED/PGJ", {"leading '/'"}},
        // Whitespace and control characters, which are never trimmed.
        Rejection{"TrailingSpace", Kind::kMember, "QROO/FED/PGJ ", {"member code 'PGJ '", "whitespace"}},
        Rejection{"LeadingSpace", Kind::kMember, " QROO/FED/PGJ", {"instance ' QROO'", "whitespace"}},
        Rejection{"TabInside", Kind::kMember, "QROO/FED/PG\tJ", {"member code 'PG\\x09J'", "whitespace"}},
        Rejection{"Newline", Kind::kMember, "QROO/FED/PGJ\n", {"member code 'PGJ\\x0A'", "whitespace"}},
        Rejection{"NulInside", Kind::kMember, "QROO/FED/PG\0J"s, {"member code 'PG\\x00J'", "control character"}},
        Rejection{"Escape", Kind::kMember, "QROO/FED/P\x1bJ", {"member code 'P\\x1BJ'", "control character"}},
        Rejection{"NonAscii", Kind::kMember, "QROO/FED/PGJ\xc3\x91", {"member code", "non-ASCII"}},
        // Instance and member class.
        Rejection{"LowerCaseInstance", Kind::kMember, "qroo/FED/PGJ", {"invalid instance 'qroo'", "upper-case"}},
        Rejection{"InstanceStartsWithDigit", Kind::kMember, "1QROO/FED/PGJ", {"instance '1QROO'"}},
        Rejection{"InstanceStartsWithHyphen", Kind::kMember, "-QROO/FED/PGJ", {"instance '-QROO'"}},
        Rejection{"InstanceWithUnderscore", Kind::kMember, "QROO_TEST/FED/PGJ", {"instance 'QROO_TEST'"}},
        Rejection{"OverlongInstance", Kind::kMember, std::string(33, 'Q') + "/FED/PGJ", {"instance", "too long (33"}},
        Rejection{"LowerCaseClass",
                  Kind::kMember,
                  "QROO/fed/PGJ",
                  {"invalid member class 'fed' in 'QROO/fed/PGJ': expected upper-case letters and digits"}},
        Rejection{"ClassWithHyphen", Kind::kMember, "QROO/F-D/PGJ", {"member class 'F-D'"}},
        Rejection{"ClassStartsWithDigit", Kind::kMember, "QROO/9FED/PGJ", {"member class '9FED'"}},
        Rejection{"OverlongClass", Kind::kMember, "QROO/" + std::string(17, 'C') + "/PGJ", {"member class", "too long (17"}},
        // Codes.
        Rejection{"BadCharacterInCode", Kind::kMember, "QROO/FED/PG$J", {"member code 'PG$J'", "A-Z a-z 0-9 . _ -"}},
        Rejection{"DotDotCode", Kind::kMember, "QROO/FED/..", {"member code '..'", "not starting with '.'"}},
        Rejection{"DotCode", Kind::kMember, "QROO/FED/.", {"member code '.'"}},
        Rejection{"HiddenCode", Kind::kMember, "QROO/FED/.pgj", {"member code '.pgj'"}},
        Rejection{"HyphenFirstCode", Kind::kMember, "QROO/FED/-rf", {"member code '-rf'"}},
        Rejection{"BackslashCode", Kind::kMember, "QROO/FED/a\\b", {"member code 'a\\x5Cb'"}},
        Rejection{"OverlongCode", Kind::kMember, "QROO/FED/" + k65, {"member code", "too long (65"}},
        // Subsystems.
        Rejection{"SubsystemTooFew", Kind::kSubsystem, "QROO/FED/PGJ", {"3 parts", "INSTANCE/CLASS/CODE/SUBSYSTEM"}},
        Rejection{"SubsystemTooMany", Kind::kSubsystem, "QROO/FED/PGJ/SIGI/x", {"5 parts"}},
        Rejection{"SubsystemDotDot", Kind::kSubsystem, "QROO/FED/PGJ/..", {"subsystem code '..'"}},
        Rejection{"SubsystemEmpty", Kind::kSubsystem, "QROO/FED//SIGI", {"member code ''", "empty"}},
        Rejection{"SubsystemTrailingSlash", Kind::kSubsystem, "QROO/FED/PGJ/SIGI/", {"trailing '/'"}},
        Rejection{"SubsystemOverlong", Kind::kSubsystem, "QROO/FED/PGJ/" + k65, {"subsystem code", "too long"}},
        Rejection{"SubsystemLowerClass", Kind::kSubsystem, "QROO/est/PGJ/SIGI", {"member class 'est'"}},
        // Services.
        Rejection{"ServiceTooFew", Kind::kService, "QROO/FED/PGJ/SIGI", {"4 parts", "SUBSYSTEM/SERVICE[/VERSION]"}},
        Rejection{"ServiceTooMany", Kind::kService, "QROO/FED/PGJ/SIGI/consulta/v1/x", {"7 parts", "5 or 6 parts"}},
        Rejection{"ServiceWhitespace", Kind::kService, "QROO/FED/PGJ/SIGI/con sulta", {"service code 'con sulta'"}},
        Rejection{"ServiceTrailingSlash", Kind::kService, "QROO/FED/PGJ/SIGI/consulta/", {"trailing '/'"}},
        Rejection{"ServiceEmptyVersion", Kind::kService, "QROO/FED/PGJ/SIGI/consulta//", {"trailing '/'"}},
        Rejection{"VersionDotDot", Kind::kService, "QROO/FED/PGJ/SIGI/consulta/..", {"service version '..'"}},
        Rejection{"VersionOverlong", Kind::kService, "QROO/FED/PGJ/SIGI/consulta/" + k65, {"service version", "too long"}},
        Rejection{"ServiceEmptySubsystem", Kind::kService, "QROO/FED/PGJ//consulta", {"subsystem code ''"}},
        // Security servers.
        Rejection{"ServerTooFew", Kind::kServer, "QROO/FED/PGJ", {"security server identifier", "SERVERCODE"}},
        Rejection{"ServerCodeBad", Kind::kServer, "QROO/FED/PGJ/ss 1", {"server code 'ss 1'", "whitespace"}},
        Rejection{"ServerCodeHyphen", Kind::kServer, "QROO/FED/PGJ/-ss1", {"server code '-ss1'"}},
        Rejection{"ServerCodeNul", Kind::kServer, "QROO/FED/PGJ/ss1\0"s, {"server code 'ss1\\x00'"}},
        // Clients.
        Rejection{"ClientTooFew", Kind::kClient, "QROO/FED", {"2 parts", "3 or 4 parts"}},
        Rejection{"ClientTooMany", Kind::kClient, "QROO/FED/PGJ/SIGI/x", {"5 parts", "INSTANCE/CLASS/CODE[/SUBSYSTEM]"}},
        Rejection{"ClientTrailingSlash", Kind::kClient, "QROO/FED/PGJ/", {"trailing '/'"}},
        Rejection{"ClientBadSubsystem", Kind::kClient, "QROO/FED/PGJ/SIGI\r", {"subsystem code 'SIGI\\x0D'"}},
        Rejection{"ClientEmptyInput", Kind::kClient, "", {"empty client identifier"}}),
    [](const ::testing::TestParamInfo<Rejection>& info) { return std::string(info.param.name); });

TEST(IdentifiersTest, HugeInputGivesABoundedMessage) {
  std::string text = "QROO";
  for (int i = 0; i < 100000; ++i) text += "/A";
  const Status status = MemberId::parse(text).status();
  EXPECT_EQ(status.code(), Code::kInvalidArgument);
  EXPECT_NE(status.message().find("100001 parts"), std::string::npos) << status.message().substr(0, 300);
  EXPECT_LT(status.message().size(), 500u);

  const Status long_code = MemberId::parse("QROO/FED/" + std::string(10000, 'x')).status();
  EXPECT_EQ(long_code.code(), Code::kInvalidArgument);
  EXPECT_NE(long_code.message().find("too long (10000 bytes)"), std::string::npos);
  EXPECT_LT(long_code.message().size(), 600u);
}

// ---- Equality, ordering, hashing ----------------------------------------------------------------

TEST(IdentifiersTest, EqualIdsHashEqualAndDeduplicateInAnUnorderedSet) {
  std::unordered_set<MemberId> members;
  members.insert(MemberId::parse("QROO/FED/PGJ").value());
  members.insert(MemberId::parse("QROO/FED/PGJ").value());
  members.insert(MemberId::create("QROO", "FED", "PGJ").value());
  members.insert(MemberId::parse("QROO/FED/pgj").value());
  members.insert(MemberId::parse("QROO-TEST/FED/PGJ").value());
  members.insert(MemberId::parse("QROO/EST/PGJ").value());
  EXPECT_EQ(members.size(), 4u);
  EXPECT_EQ(members.count(MemberId::parse("QROO/FED/PGJ").value()), 1u);
  EXPECT_EQ(members.count(MemberId::parse("QROO/FED/SSP").value()), 0u);
  EXPECT_EQ(std::hash<MemberId>{}(MemberId::parse("QROO/FED/PGJ").value()),
            std::hash<MemberId>{}(MemberId::create("QROO", "FED", "PGJ").value()));

  std::unordered_set<SubsystemId> subsystems{SubsystemId::parse("QROO/FED/PGJ/A").value(),
                                             SubsystemId::parse("QROO/FED/PGJ/A").value(),
                                             SubsystemId::parse("QROO/FED/PGJ/B").value()};
  EXPECT_EQ(subsystems.size(), 2u);

  std::unordered_set<ServiceId> services{ServiceId::parse("QROO/FED/PGJ/A/s").value(),
                                         ServiceId::parse("QROO/FED/PGJ/A/s/v1").value(),
                                         ServiceId::parse("QROO/FED/PGJ/A/s/v1").value(),
                                         ServiceId::parse("QROO/FED/PGJ/A/s/v2").value()};
  EXPECT_EQ(services.size(), 3u);
  EXPECT_EQ(services.count(ServiceId::parse("QROO/FED/PGJ/A/s").value()), 1u);

  std::unordered_set<SecurityServerId> servers{SecurityServerId::parse("QROO/FED/PGJ/ss1").value(),
                                               SecurityServerId::parse("QROO/FED/PGJ/ss1").value(),
                                               SecurityServerId::parse("QROO/FED/SSP/ss1").value()};
  EXPECT_EQ(servers.size(), 2u);

  std::unordered_set<ClientId> clients{ClientId::parse("QROO/FED/PGJ").value(),
                                       ClientId::parse("QROO/FED/PGJ/A").value(),
                                       ClientId(SubsystemId::parse("QROO/FED/PGJ/A").value()),
                                       ClientId(MemberId::parse("QROO/FED/PGJ").value())};
  EXPECT_EQ(clients.size(), 2u);
}

TEST(IdentifiersTest, OrdersPartByPartWithMembersBeforeTheirSubsystems) {
  std::set<ClientId> clients{ClientId::parse("QROO/FED/PGJ/B").value(), ClientId::parse("QROO/FED/SSP").value(),
                             ClientId::parse("QROO/FED/PGJ").value(), ClientId::parse("QROO/FED/PGJ/A").value()};
  std::vector<std::string> order;
  for (const auto& c : clients) order.push_back(c.to_string());
  EXPECT_EQ(order, (std::vector<std::string>{"QROO/FED/PGJ", "QROO/FED/PGJ/A", "QROO/FED/PGJ/B", "QROO/FED/SSP"}));

  EXPECT_LT(ServiceId::parse("QROO/FED/PGJ/A/s").value(), ServiceId::parse("QROO/FED/PGJ/A/s/v1").value());
  EXPECT_LT(MemberId::parse("QROO/EST/Z").value(), MemberId::parse("QROO/FED/A").value());
  EXPECT_LT(SecurityServerId::parse("QROO/FED/PGJ/a").value(), SecurityServerId::parse("QROO/FED/PGJ/b").value());
}

TEST(IdentifiersTest, PrintsTheCanonicalForm) {
  std::ostringstream out;
  out << MemberId::parse("QROO/FED/PGJ").value() << ' ' << ServiceId::parse("QROO/FED/PGJ/A/s/v1").value() << ' '
      << ClientId::parse("QROO/FED/PGJ/A").value() << ' ' << SecurityServerId::parse("QROO/FED/PGJ/ss1").value()
      << ' ' << SubsystemId::parse("QROO/FED/PGJ/B").value();
  EXPECT_EQ(out.str(), "QROO/FED/PGJ QROO/FED/PGJ/A/s/v1 QROO/FED/PGJ/A QROO/FED/PGJ/ss1 QROO/FED/PGJ/B");
}

}  // namespace
}  // namespace xacbe::id
