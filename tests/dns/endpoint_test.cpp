#include "dns/endpoint.hpp"

#include <arpa/inet.h>

#include <gtest/gtest.h>

using namespace acmezone::dns;

TEST(Endpoint, ParsesIpv4AndIpv6) {
    auto v4 = parse_endpoint("127.0.0.1:5353");
    ASSERT_TRUE(v4) << v4.error().message;
    EXPECT_EQ(v4->addr.ss_family, AF_INET);
    EXPECT_EQ(v4->len, sizeof(sockaddr_in));
    const auto* sin = reinterpret_cast<const sockaddr_in*>(&v4->addr);
    EXPECT_EQ(ntohs(sin->sin_port), 5353);
    EXPECT_EQ(ntohl(sin->sin_addr.s_addr), 0x7f000001u);
    EXPECT_EQ(v4->text, "127.0.0.1:5353");

    auto v6 = parse_endpoint("[::1]:53");
    ASSERT_TRUE(v6) << v6.error().message;
    EXPECT_EQ(v6->addr.ss_family, AF_INET6);
    EXPECT_EQ(v6->len, sizeof(sockaddr_in6));
    const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(&v6->addr);
    EXPECT_EQ(ntohs(sin6->sin6_port), 53);
    EXPECT_TRUE(IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr));

    auto max = parse_endpoint("0.0.0.0:65535");
    ASSERT_TRUE(max);
}

TEST(Endpoint, ErrorsSayWhatIsWrong) {
    struct Case {
        const char* text;
        const char* says;
    } cases[] = {
        {"::1", "missing port"},
        {"127.0.0.1", "missing port"},
        {"127.0.0.1:", "missing port"},
        {"[::1]", "]:port"},
        {"[::1]:", "missing port"},
        {"127.0.0.1:0", "1 to 65535"},
        {"127.0.0.1:65536", "1 to 65535"},
        {"127.0.0.1:53x", "1 to 65535"},
        {"127.0.0.1:-1", "1 to 65535"},
        {"localhost:53", "not an IPv4 address"},
        {"[127.0.0.1]:53", "not an IPv6 address"},
        {":53", "missing address"},
        {"", "missing port"},
    };
    for (const auto& c : cases) {
        auto r = parse_endpoint(c.text);
        ASSERT_FALSE(r) << c.text;
        EXPECT_NE(r.error().message.find(c.says), std::string::npos) << c.text << " -> " << r.error().message;
        EXPECT_NE(r.error().message.find(std::string("\"") + c.text + "\""), std::string::npos) << r.error().message;
    }
}
