// The per-address connection cap (api.max_connections_per_ip): counting, release on close,
// one table for both families.
#include "api/ip_connection_counter.hpp"

#include <netinet/in.h>

#include <cstring>
#include <vector>

#include <gtest/gtest.h>

namespace acmezone::api {
namespace {

IpKey key(const char* text) {
    auto k = IpKey::from_text(text);
    EXPECT_TRUE(k.has_value()) << text;
    return k.value_or(IpKey{});
}

TEST(IpConnectionCounter, CapsEachAddressSeparately) {
    IpConnectionCounter counter(2);
    auto a1 = counter.try_acquire(key("192.0.2.1"));
    auto a2 = counter.try_acquire(key("192.0.2.1"));
    ASSERT_TRUE(a1 && a2);
    EXPECT_FALSE(counter.try_acquire(key("192.0.2.1")));  // third from the same address
    auto b1 = counter.try_acquire(key("192.0.2.2"));      // another address is not affected
    EXPECT_TRUE(b1);
    EXPECT_EQ(counter.count(key("192.0.2.1")), 2u);
    EXPECT_EQ(counter.count(key("192.0.2.2")), 1u);
    EXPECT_EQ(counter.addresses(), 2u);
}

TEST(IpConnectionCounter, ASlotGivesItsPlaceBackWhenDestroyed) {
    IpConnectionCounter counter(1);
    {
        auto slot = counter.try_acquire(key("2001:db8::1"));
        ASSERT_TRUE(slot);
        EXPECT_FALSE(counter.try_acquire(key("2001:db8::1")));
    }
    EXPECT_EQ(counter.count(key("2001:db8::1")), 0u);
    EXPECT_EQ(counter.addresses(), 0u);  // no entries left behind
    EXPECT_TRUE(counter.try_acquire(key("2001:db8::1")));
}

TEST(IpConnectionCounter, MovedSlotsReleaseOnce) {
    IpConnectionCounter counter(3);
    std::vector<IpConnectionCounter::Slot> held;
    for (int i = 0; i < 3; ++i) {
        auto slot = counter.try_acquire(key("198.51.100.7"));
        ASSERT_TRUE(slot);
        held.push_back(std::move(*slot));  // moved-from optional's slot must not release
    }
    EXPECT_EQ(counter.count(key("198.51.100.7")), 3u);
    IpConnectionCounter::Slot moved = std::move(held[0]);
    moved = std::move(held[1]);  // assignment releases what `moved` held
    EXPECT_EQ(counter.count(key("198.51.100.7")), 2u);
    held.clear();
    EXPECT_EQ(counter.count(key("198.51.100.7")), 1u);
}

TEST(IpConnectionCounter, Ipv4AndItsMappedIpv6FormAreOneAddress) {
    EXPECT_EQ(key("192.0.2.9"), key("::ffff:192.0.2.9"));
    EXPECT_NE(key("192.0.2.9"), key("192.0.2.10"));
    EXPECT_FALSE(IpKey::from_text("not an address"));

    sockaddr_storage v4{};
    auto& sin = reinterpret_cast<sockaddr_in&>(v4);
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(0xC0000209);  // 192.0.2.9
    EXPECT_EQ(IpKey::from_sockaddr(v4), key("192.0.2.9"));

    sockaddr_storage v6{};
    auto& sin6 = reinterpret_cast<sockaddr_in6&>(v6);
    sin6.sin6_family = AF_INET6;
    sin6.sin6_addr.s6_addr[15] = 1;  // ::1
    EXPECT_EQ(IpKey::from_sockaddr(v6), key("::1"));

    sockaddr_storage unix_addr{};
    unix_addr.ss_family = AF_UNIX;
    EXPECT_FALSE(IpKey::from_sockaddr(unix_addr));
}

TEST(IpConnectionCounter, AZeroCapStillAllowsOne) {
    IpConnectionCounter counter(0);
    EXPECT_EQ(counter.max_per_ip(), 1u);
    auto slot = counter.try_acquire(key("127.0.0.1"));
    EXPECT_TRUE(slot);
    EXPECT_FALSE(counter.try_acquire(key("127.0.0.1")));
}

}  // namespace
}  // namespace acmezone::api
