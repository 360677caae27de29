#include "xacbe/id/host_name.hpp"

#include <gtest/gtest.h>

#include <string>

namespace xacbe::id {
namespace {

TEST(HostNameTest, AcceptsRfc1123HostNames) {
  for (const char* good : {"a", "ss1", "ss1.fge.qroo.gob.mx", "A-1.b-2.C3", "registry.ceiqroo.example", "10.0.0.1",
                           "1x"}) {
    EXPECT_TRUE(is_host_name(good)) << good;
  }
  EXPECT_TRUE(is_host_name(std::string(63, 'a') + ".mx"));
  EXPECT_TRUE(is_host_name(std::string(63, 'a') + "." + std::string(63, 'b') + "." + std::string(63, 'c') + "." +
                           std::string(61, 'd')));  // 253 characters
}

TEST(HostNameTest, RefusesWhatIsNotAHostName) {
  for (const char* bad : {"", ".", "a.", ".a", "a..b", "-a", "a-", "a.-b", "a_b", "*.fge.mx", "a b", "a:80", "[::1]",
                          "ñandú.mx", "a\n"}) {
    EXPECT_FALSE(is_host_name(bad)) << bad;
  }
  EXPECT_FALSE(is_host_name(std::string(64, 'a') + ".mx"));
  EXPECT_FALSE(is_host_name(std::string(63, 'a') + "." + std::string(63, 'b') + "." + std::string(63, 'c') + "." +
                            std::string(62, 'd')));  // 254 characters
  EXPECT_FALSE(is_host_name(std::string("a\0b", 3)));
}

TEST(IpAddressTest, ParsesIpv4AndIpv6LiteralsToNetworkBytes) {
  EXPECT_EQ(parse_ip_address("10.0.0.1"), std::string("\x0a\x00\x00\x01", 4));
  EXPECT_EQ(parse_ip_address("255.255.255.255"), std::string(4, '\xff'));
  EXPECT_EQ(parse_ip_address("::1"), std::string(15, '\0') + '\x01');
  EXPECT_EQ(parse_ip_address("2001:DB8::1")->size(), 16u);
  EXPECT_EQ(parse_ip_address("::ffff:10.0.0.1")->substr(10), std::string("\xff\xff\x0a\x00\x00\x01", 6));
}

TEST(IpAddressTest, RefusesEverythingElse) {
  for (const char* bad : {"", "10.0.0", "10.0.0.1.2", "10.0.0.256", "010.0.0.1", "10.0.0.1 ", " 10.0.0.1", "0x0a.0.0.1",
                          "[::1]", "fe80::1%eth0", "2001:db8::g", "1:2:3:4:5:6:7:8:9", "localhost", "::1/128"}) {
    EXPECT_FALSE(parse_ip_address(bad)) << bad;
  }
  EXPECT_FALSE(parse_ip_address(std::string("10.0.0.1\0", 9)));
}

}  // namespace
}  // namespace xacbe::id
