#include "api/client_address.hpp"

#include <gtest/gtest.h>

namespace acmezone::api {
namespace {

std::vector<core::Cidr> cidrs(std::initializer_list<const char*> texts) {
    std::vector<core::Cidr> out;
    for (const char* t : texts) out.push_back(core::parse_cidr(t).value());
    return out;
}

TEST(ClientAddress, PeerWhenNoProxyIsTrusted) {
    // A client cannot claim another address: the header is ignored from untrusted peers.
    auto c = client_address("203.0.113.7", {"10.0.0.1"}, {});
    EXPECT_EQ(c.text, "203.0.113.7");
    c = client_address("203.0.113.7", {"10.0.0.1"}, cidrs({"192.0.2.0/24"}));
    EXPECT_EQ(c.text, "203.0.113.7");
    c = client_address("::ffff:127.0.0.1", {}, {});
    EXPECT_EQ(c.text, "127.0.0.1");
    EXPECT_FALSE(c.ip->v6);
}

TEST(ClientAddress, RightMostUntrustedHop) {
    const auto trusted = cidrs({"192.0.2.0/24", "198.51.100.0/24"});
    // The client put an allowed address first; the proxy appended the real one.
    auto c = client_address("192.0.2.1", {"10.0.0.1, 203.0.113.9"}, trusted);
    EXPECT_EQ(c.text, "203.0.113.9");
    // Two trusted proxies in a row are skipped.
    c = client_address("192.0.2.1", {"10.0.0.1, 203.0.113.9, 198.51.100.4"}, trusted);
    EXPECT_EQ(c.text, "203.0.113.9");
    // Several header lines count as one list, in order.
    c = client_address("192.0.2.1", {"10.0.0.1", "203.0.113.10 ,198.51.100.4"}, trusted);
    EXPECT_EQ(c.text, "203.0.113.10");
    // Every hop trusted: the left-most is the client.
    c = client_address("192.0.2.1", {"198.51.100.7, 192.0.2.9"}, trusted);
    EXPECT_EQ(c.text, "198.51.100.7");
    // No header from a trusted proxy: the proxy itself.
    c = client_address("192.0.2.1", {}, trusted);
    EXPECT_EQ(c.text, "192.0.2.1");
    // IPv6 hop.
    c = client_address("192.0.2.1", {"2001:db8::5"}, trusted);
    EXPECT_EQ(c.text, "2001:db8::5");
}

TEST(ClientAddress, GarbageFromATrustedChainIsUnknown) {
    const auto trusted = cidrs({"192.0.2.0/24"});
    auto c = client_address("192.0.2.1", {"10.0.0.1, not-an-ip"}, trusted);
    EXPECT_FALSE(c.ip.has_value());
    EXPECT_EQ(c.text, "invalid");
    c = client_address("192.0.2.1", {"10.0.0.1:443"}, trusted);
    EXPECT_FALSE(c.ip.has_value());
    // Empty elements carry nothing and are skipped.
    c = client_address("192.0.2.1", {"203.0.113.9, ,"}, trusted);
    EXPECT_EQ(c.text, "203.0.113.9");
}

TEST(AllowedFrom, AcmeDnsRules) {
    const ClientAddress local = client_address("127.0.0.1", {}, {});
    EXPECT_TRUE(allowed_from({}, local));
    EXPECT_TRUE(allowed_from({"127.0.0.0/8"}, local));
    EXPECT_FALSE(allowed_from({"10.0.0.0/8"}, local));
    EXPECT_TRUE(allowed_from({"10.0.0.0/8", "127.0.0.1/32"}, local));
    // Only invalid stored entries: as if none (anywhere), as acme-dns's ValidEntries.
    EXPECT_TRUE(allowed_from({"garbage"}, local));
    EXPECT_FALSE(allowed_from({"garbage", "10.0.0.0/8"}, local));
    const ClientAddress unknown{std::nullopt, "invalid"};
    EXPECT_FALSE(allowed_from({"0.0.0.0/0"}, unknown));
    EXPECT_TRUE(allowed_from({}, unknown));
    EXPECT_TRUE(allowed_from({"::1/128"}, client_address("::1", {}, {})));
    EXPECT_FALSE(allowed_from({"::1/128"}, local));
}

}  // namespace
}  // namespace acmezone::api
