#include "core/cidr.hpp"

#include <gtest/gtest.h>

namespace acmezone::core {
namespace {

IpAddress ip(std::string_view text) { return parse_ip(text).value(); }

TEST(Cidr, ParsesIpv4AndIpv6AsWritten) {
    auto v4 = parse_cidr("192.168.100.1/24");
    ASSERT_TRUE(v4.ok()) << v4.error().message;
    EXPECT_EQ(v4->text, "192.168.100.1/24");  // host bits kept in the text
    EXPECT_FALSE(v4->v6);
    EXPECT_EQ(v4->prefix, 24u);
    EXPECT_TRUE(v4->contains(ip("192.168.100.200")));
    EXPECT_FALSE(v4->contains(ip("192.168.101.1")));

    auto v6 = parse_cidr("2001:db8::/32");
    ASSERT_TRUE(v6.ok());
    EXPECT_TRUE(v6->v6);
    EXPECT_TRUE(v6->contains(ip("2001:db8:ffff::1")));
    EXPECT_FALSE(v6->contains(ip("2001:db9::1")));
}

TEST(Cidr, BracketsAreRemovedEverywhere) {
    auto c = parse_cidr("[::1]/128");
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(c->text, "::1/128");
    EXPECT_TRUE(c->contains(ip("::1")));
    EXPECT_EQ(parse_cidr("[[10.0.0.0]/8]")->text, "10.0.0.0/8");
}

TEST(Cidr, RejectsWhatGoRejects) {
    for (const char* bad : {"", "10.0.0.1", "10.0.0.0/", "10.0.0.0/33", "::/129", "10.0.0.0/-1", "10.0.0.0/+8",
                            "10.0.0.0/8 ", " 10.0.0.0/8", "10.0.0/8", "fe80::1%eth0/64", "example.com/8", "10.0.0.0/8/8",
                            "010.0.0.0/8", "/8", "10.0.0.0/1234"}) {
        EXPECT_FALSE(parse_cidr(bad).ok()) << bad;
    }
}

TEST(Cidr, EdgePrefixes) {
    EXPECT_TRUE(parse_cidr("0.0.0.0/0")->contains(ip("203.0.113.9")));
    EXPECT_FALSE(parse_cidr("0.0.0.0/0")->contains(ip("::1")));  // families never mix
    EXPECT_TRUE(parse_cidr("::/0")->contains(ip("2001:db8::1")));
    EXPECT_TRUE(parse_cidr("10.1.2.3/32")->contains(ip("10.1.2.3")));
    EXPECT_FALSE(parse_cidr("10.1.2.3/32")->contains(ip("10.1.2.4")));
    EXPECT_TRUE(parse_cidr("10.0.0.0/08").ok());  // leading zeros in the length, as Go's dtoi
    EXPECT_TRUE(parse_cidr("10.128.0.0/9")->contains(ip("10.255.1.1")));
    EXPECT_FALSE(parse_cidr("10.128.0.0/9")->contains(ip("10.127.1.1")));
}

TEST(Cidr, MappedPeersMatchIpv4Ranges) {
    auto peer = parse_ip("::ffff:127.0.0.1");
    ASSERT_TRUE(peer.has_value());
    EXPECT_FALSE(peer->v6);
    EXPECT_EQ(peer->to_text(), "127.0.0.1");
    EXPECT_TRUE(parse_cidr("127.0.0.0/8")->contains(*peer));
    // An IPv4-mapped range stays IPv6 (Go keeps it 16 bytes), so it never matches an IPv4 peer.
    EXPECT_FALSE(parse_cidr("::ffff:127.0.0.0/104")->contains(*peer));
}

TEST(Cidr, ParseIp) {
    EXPECT_FALSE(parse_ip("").has_value());
    EXPECT_FALSE(parse_ip("[::1]").has_value());
    EXPECT_FALSE(parse_ip("1.2.3.4:80").has_value());
    EXPECT_FALSE(parse_ip(std::string(100, '1')).has_value());
    EXPECT_EQ(parse_ip("2001:DB8::1")->to_text(), "2001:db8::1");
}

}  // namespace
}  // namespace acmezone::core
