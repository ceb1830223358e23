#include <gtest/gtest.h>

#include <map>
#include <set>

#include "core/change_set.hpp"
#include "core/txt.hpp"
#include "dns/udp_workers.hpp"
#include "net_test_support.hpp"
#include "store/writer.hpp"

namespace acmezone::dns {
namespace {

using namespace nettest;

// Starts the workers on a free loopback port (another process may take a probed port
// between probe and bind: try again then).
std::uint16_t start_on_free_port(UdpWorkers& workers) {
    std::string last;
    for (int attempt = 0; attempt < 10; ++attempt) {
        const std::uint16_t port = free_port(SOCK_DGRAM);
        auto started = workers.start({loopback(port)});
        if (started) return port;
        last = started.error().message;
    }
    throw std::runtime_error("could not start UDP workers: " + last);
}

// Sends `count` SOA queries from `client` with IDs base..base+count-1 and collects the
// answers by ID until all arrived or the deadline passed.
std::map<std::uint16_t, Summary> ask(const Socket& client, std::uint16_t base, unsigned count,
                                     std::string_view name = "acme.test", std::uint16_t type = core::rrtype::SOA) {
    for (unsigned i = 0; i < count; ++i) {
        const Bytes q = make_query(static_cast<std::uint16_t>(base + i), name, type);
        EXPECT_EQ(::send(client.fd(), q.data(), q.size(), 0), static_cast<ssize_t>(q.size()));
    }
    std::map<std::uint16_t, Summary> answers;
    const auto deadline = Clock::now() + 5s;
    while (answers.size() < count && wait_for(client.fd(), POLLIN, deadline)) {
        std::uint8_t buffer[4096];
        const ssize_t got = ::recv(client.fd(), buffer, sizeof buffer, 0);
        if (got <= 0) continue;
        if (auto s = summarize(buffer, static_cast<std::size_t>(got))) answers[s->id] = *s;
    }
    return answers;
}

TEST(UdpWorkers, SeveralWorkersAnswerEveryQuery) {
    Served served;
    UdpOptions options;
    options.workers = 4;
    options.batch_size = 16;
    UdpWorkers workers(*served.store, served.responder, options);
    const std::uint16_t port = start_on_free_port(workers);

    // Many source ports spread the queries over the SO_REUSEPORT group.
    constexpr unsigned kClients = 32;
    constexpr unsigned kPerClient = 20;
    std::vector<Socket> clients;
    for (unsigned c = 0; c < kClients; ++c) clients.push_back(udp_client(port));
    for (unsigned c = 0; c < kClients; ++c) {
        const auto base = static_cast<std::uint16_t>(c * 1000);
        const auto answers = ask(clients[c], base, kPerClient);
        ASSERT_EQ(answers.size(), kPerClient) << "client " << c;
        for (const auto& [id, s] : answers) {
            EXPECT_GE(id, base);
            EXPECT_LT(id, base + kPerClient);
            EXPECT_TRUE(s.qr);
            EXPECT_TRUE(s.aa);
            EXPECT_EQ(s.rcode, 0u);
            EXPECT_EQ(s.ancount, 1u);
            EXPECT_EQ(s.first_answer_type, core::rrtype::SOA);
        }
    }
    EXPECT_TRUE(eventually([&] { return workers.stats().sent == kClients * kPerClient; }));
    const UdpStats stats = workers.stats();
    EXPECT_EQ(stats.received, kClients * kPerClient);
    EXPECT_EQ(stats.dropped, 0u);
}

TEST(UdpWorkers, UnanswerableAndOversizedDatagramsAreDroppedAndCounted) {
    Served served;
    UdpOptions options;
    options.workers = 1;
    UdpWorkers workers(*served.store, served.responder, options);
    const std::uint16_t port = start_on_free_port(workers);
    const Socket client = udp_client(port);

    const std::uint8_t garbage[5] = {1, 2, 3, 4, 5};  // shorter than a header: no answer
    ASSERT_EQ(::send(client.fd(), garbage, sizeof garbage, 0), 5);
    Bytes oversized = make_query(7);
    oversized.resize(5000, 0);  // larger than any receive slot: arrives truncated
    ASSERT_EQ(::send(client.fd(), oversized.data(), oversized.size(), 0), 5000);
    EXPECT_TRUE(eventually([&] { return workers.stats().dropped == 2; }));

    // The worker is still serving, and the only answer is to the valid query.
    const auto answers = ask(client, 99, 1);
    ASSERT_EQ(answers.size(), 1u);
    EXPECT_EQ(answers.begin()->first, 99);
    std::uint8_t buffer[4096];
    EXPECT_LT(::recv(client.fd(), buffer, sizeof buffer, 0), 0);  // nothing else came
    EXPECT_TRUE(eventually([&] { return workers.stats().sent == 1; }));
    EXPECT_EQ(workers.stats().received, 3u);
}

TEST(UdpWorkers, SeesCommitsMadeWhileRunning) {
    Served served;
    store::Writer writer(*served.store, served.zone);
    UdpOptions options;
    options.workers = 2;
    UdpWorkers workers(*served.store, served.responder, options);
    const std::uint16_t port = start_on_free_port(workers);
    const Socket client = udp_client(port);

    auto before = ask(client, 1, 1, "_acme-challenge.shop.acme.test", core::rrtype::TXT);
    ASSERT_EQ(before.size(), 1u);
    EXPECT_EQ(before.begin()->second.rcode, 3u);  // NXDOMAIN

    core::ChangeSet change;
    change.operations.push_back(core::Operation{core::OpKind::add_rr, n("_acme-challenge.shop.acme.test"), core::rrtype::TXT, 60,
                                                core::txt_rdata_from_value(std::string(43, 'a')).value(), 0});
    change.actor = "test";
    change.source = "unit";
    auto committed = writer.submit(std::move(change));
    ASSERT_EQ(committed.wait_for(30s), std::future_status::ready);
    ASSERT_TRUE(committed.get().ok());

    auto after = ask(client, 2, 1, "_acme-challenge.shop.acme.test", core::rrtype::TXT);
    ASSERT_EQ(after.size(), 1u);
    EXPECT_EQ(after.begin()->second.rcode, 0u);
    EXPECT_EQ(after.begin()->second.first_answer_type, core::rrtype::TXT);
}

TEST(UdpWorkers, BindErrorsNameTheAddress) {
    Served served;
    // A socket without SO_REUSEPORT holds the port.
    const Socket holder(::socket(AF_INET, SOCK_DGRAM, 0));
    sockaddr_in a = loopback_addr(0);
    socklen_t len = sizeof a;
    ASSERT_EQ(::bind(holder.fd(), reinterpret_cast<const sockaddr*>(&a), sizeof a), 0);
    ASSERT_EQ(::getsockname(holder.fd(), reinterpret_cast<sockaddr*>(&a), &len), 0);
    const std::uint16_t port = ntohs(a.sin_port);

    UdpOptions options;
    options.workers = 2;
    UdpWorkers workers(*served.store, served.responder, options);
    auto started = workers.start({loopback(port)});
    ASSERT_FALSE(started.ok());
    EXPECT_EQ(started.error().message, "dns.listen 127.0.0.1:" + std::to_string(port) + ": bind: Address already in use");
    EXPECT_EQ(started.error().code, core::Errc::internal);

    // TEST-NET-1 is on no interface here.
    auto foreign = parse_endpoint("192.0.2.1:5353");
    ASSERT_TRUE(foreign.ok());
    started = workers.start({*foreign});
    ASSERT_FALSE(started.ok());
    EXPECT_EQ(started.error().code, core::Errc::invalid_argument);
    EXPECT_NE(started.error().message.find("dns.listen 192.0.2.1:5353: bind: "), std::string::npos) << started.error().message;

    // A failed start leaves nothing running: a later start works.
    const std::uint16_t fresh = start_on_free_port(workers);
    EXPECT_NE(fresh, 0);
    auto twice = workers.start({loopback(fresh)});
    EXPECT_FALSE(twice.ok());
}

TEST(UdpWorkers, PortZeroIsSharedByAllWorkers) {
    Served served;
    UdpOptions options;
    options.workers = 3;
    UdpWorkers workers(*served.store, served.responder, options);
    ASSERT_TRUE(workers.start({loopback(0)}).ok());
    const auto bound = workers.bound_endpoints();
    ASSERT_EQ(bound.size(), 1u);
    const std::uint16_t port = port_of(bound[0]);
    ASSERT_NE(port, 0);
    EXPECT_EQ(bound[0].text, "127.0.0.1:" + std::to_string(port));
    std::vector<Socket> clients;
    for (unsigned c = 0; c < 16; ++c) clients.push_back(udp_client(port));
    for (unsigned c = 0; c < 16; ++c) EXPECT_EQ(ask(clients[c], static_cast<std::uint16_t>(c * 10), 5).size(), 5u);
}

TEST(UdpWorkers, ServesIpv6Loopback) {
    Served served;
    auto endpoint = loopback6(0);
    if (!endpoint) GTEST_SKIP() << "no IPv6 loopback on this host";
    UdpOptions options;
    options.workers = 2;
    UdpWorkers workers(*served.store, served.responder, options);
    ASSERT_TRUE(workers.start({*endpoint}).ok());
    const auto bound = workers.bound_endpoints();
    ASSERT_EQ(bound.size(), 1u);
    sockaddr_in6 server{};
    std::memcpy(&server, &bound[0].addr, sizeof server);
    ASSERT_NE(server.sin6_port, 0);
    const Socket client(::socket(AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK, 0));
    ASSERT_EQ(::connect(client.fd(), reinterpret_cast<const sockaddr*>(&server), sizeof server), 0);
    const auto answers = ask(client, 5, 3);
    EXPECT_EQ(answers.size(), 3u);
}

TEST(UdpWorkers, StopWakesIdleWorkersPromptlyAndReleasesThePort) {
    Served served;
    UdpOptions options;
    options.workers = 4;
    UdpWorkers workers(*served.store, served.responder, options);
    const std::uint16_t port = start_on_free_port(workers);
    const Socket client = udp_client(port);
    ASSERT_EQ(ask(client, 1, 1).size(), 1u);  // running, then idle in poll

    const auto began = Clock::now();
    workers.stop();
    EXPECT_LT(Clock::now() - began, 1s);
    EXPECT_TRUE(workers.bound_endpoints().empty());
    EXPECT_EQ(workers.stats().received, 1u);  // totals survive stop()

    // Every socket is closed: the port binds without SO_REUSEPORT.
    const Socket again(::socket(AF_INET, SOCK_DGRAM, 0));
    const sockaddr_in a = loopback_addr(port);
    EXPECT_EQ(::bind(again.fd(), reinterpret_cast<const sockaddr*>(&a), sizeof a), 0);
    workers.stop();  // idempotent
}

}  // namespace
}  // namespace acmezone::dns
