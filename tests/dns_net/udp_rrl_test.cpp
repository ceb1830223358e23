// UDP workers with response rate limiting on: a burst from one client gets its bucket's worth
// of answers, the limited rest is dropped or slipped as TC=1 (every 2nd), and UdpStats counts
// both; the same burst with RRL off is answered in full.
#include <gtest/gtest.h>

#include "dns/udp_workers.hpp"
#include "net_test_support.hpp"

namespace acmezone::dns {
namespace {

using namespace nettest;

constexpr unsigned kBurst = 200;
constexpr std::uint32_t kRate = 5;

struct Outcome {
    unsigned full = 0;
    unsigned truncated = 0;
    bool marker = false;
};

// Sends kBurst SOA queries from one socket, then an NXDOMAIN marker (its own bucket): one
// socket is served by one worker in order, so after the marker every reply is in.
Outcome burst(std::uint16_t port) {
    Socket client = udp_client(port);
    std::uint8_t query[512];
    for (unsigned i = 0; i < kBurst; ++i) {
        const std::size_t size = write_query(query, static_cast<std::uint16_t>(i), "acme.test", core::rrtype::SOA);
        if (::send(client.fd(), query, size, 0) != static_cast<ssize_t>(size)) return {};
    }
    const std::size_t size = write_query(query, 0xffff, "marker.acme.test", core::rrtype::A);
    if (::send(client.fd(), query, size, 0) != static_cast<ssize_t>(size)) return {};
    Outcome out;
    std::uint8_t reply[4096];
    const auto deadline = Clock::now() + 10s;
    while (!out.marker && wait_for(client.fd(), POLLIN, deadline)) {
        const ssize_t n = ::recv(client.fd(), reply, sizeof reply, 0);
        const auto s = summarize(reply, n > 0 ? static_cast<std::size_t>(n) : 0);
        if (!s) continue;
        if (s->id == 0xffff) out.marker = true;
        else if (s->tc) ++out.truncated;
        else if (s->ancount > 0) ++out.full;
    }
    return out;
}

UdpOptions options(bool rrl) {
    UdpOptions o;
    o.workers = 2;
    o.rrl.enabled = rrl;
    o.rrl.responses_per_second = kRate;
    o.rrl.nxdomains_per_second = 1000;
    o.rrl.slip = 2;
    return o;
}

std::uint16_t start(UdpWorkers& workers) {
    for (int attempt = 0; attempt < 10; ++attempt) {
        const std::uint16_t candidate = free_port(SOCK_DGRAM);
        if (workers.start({loopback(candidate)})) return candidate;
    }
    return 0;
}

TEST(UdpRrl, BurstIsLimitedAndCounted) {
    Served served;
    UdpWorkers workers(*served.store, served.responder, options(true));
    const std::uint16_t port = start(workers);
    ASSERT_NE(port, 0);
    const Outcome out = burst(port);
    ASSERT_TRUE(out.marker);
    EXPECT_GE(out.full, 1u);
    EXPECT_LE(out.full, kRate + 2);  // one second's worth: the burst takes milliseconds
    const unsigned limited = kBurst - out.full;
    EXPECT_EQ(out.truncated, limited / 2);  // every 2nd limited response, none lost on loopback

    // The marker's stats land after its reply is sent: wait for them.
    UdpStats stats;
    ASSERT_TRUE(eventually([&] {
        stats = workers.stats();
        return stats.sent == out.full + out.truncated + 1;
    }));
    EXPECT_EQ(stats.received, kBurst + 1);
    EXPECT_EQ(stats.slipped, out.truncated);
    EXPECT_EQ(stats.rate_limited, limited - out.truncated);
    EXPECT_EQ(stats.dropped, stats.rate_limited);
    workers.stop();
}

TEST(UdpRrl, OffMeansEveryQueryIsAnswered) {
    Served served;
    UdpWorkers workers(*served.store, served.responder, options(false));
    const std::uint16_t port = start(workers);
    ASSERT_NE(port, 0);
    const Outcome out = burst(port);
    ASSERT_TRUE(out.marker);
    EXPECT_EQ(out.full, kBurst);
    EXPECT_EQ(out.truncated, 0u);
    EXPECT_EQ(workers.stats().rate_limited, 0u);
    EXPECT_EQ(workers.stats().slipped, 0u);
    workers.stop();
}

}  // namespace
}  // namespace acmezone::dns
