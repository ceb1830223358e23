#include <gtest/gtest.h>

#include "dns/tcp_server.hpp"
#include "net_test_support.hpp"

namespace acmezone::dns {
namespace {

using namespace nettest;

TcpOptions quick_options() {
    TcpOptions o;
    o.idle_timeout = 10s;
    o.read_timeout = 5s;
    return o;
}

// A running server on an ephemeral loopback port.
struct Running {
    explicit Running(TcpOptions options = quick_options()) : server(*served.store, served.responder, options) {
        auto started = server.start({loopback(0)});
        if (!started) throw std::runtime_error(started.error().message);
        port = port_of(server.bound_endpoints().at(0));
    }
    Served served;
    TcpServer server;
    std::uint16_t port = 0;
};

void expect_soa_answer(const std::optional<Bytes>& message, std::uint16_t id) {
    ASSERT_TRUE(message.has_value()) << "no response for id " << id;
    const auto s = summarize(*message);
    ASSERT_TRUE(s.has_value());
    EXPECT_EQ(s->id, id);
    EXPECT_TRUE(s->qr);
    EXPECT_TRUE(s->aa);
    EXPECT_FALSE(s->tc);
    EXPECT_EQ(s->rcode, 0u);
    EXPECT_EQ(s->ancount, 1u);
    EXPECT_EQ(s->first_answer_type, core::rrtype::SOA);
}

TEST(TcpServer, AnswersPipelinedQueriesInOneWriteInOrder) {
    Running r;
    const Socket c = tcp_client(r.port);
    Bytes both = framed(make_query(11));
    const Bytes second = framed(make_query(12, "www.acme.test", core::rrtype::A));
    both.insert(both.end(), second.begin(), second.end());
    const auto deadline = Clock::now() + 5s;
    ASSERT_TRUE(send_all(c.fd(), both, deadline));
    expect_soa_answer(read_framed(c.fd(), deadline), 11);
    const auto a = read_framed(c.fd(), deadline);
    ASSERT_TRUE(a.has_value());
    const auto s = summarize(*a);
    ASSERT_TRUE(s.has_value());
    EXPECT_EQ(s->id, 12);
    EXPECT_EQ(s->first_answer_type, core::rrtype::A);
    EXPECT_EQ(r.server.stats().queries, 2u);
}

TEST(TcpServer, AnswersAQuerySentByteByByte) {
    Running r;
    const Socket c = tcp_client(r.port);
    const Bytes q = framed(make_query(21));
    const auto deadline = Clock::now() + 5s;
    for (std::uint8_t byte : q) ASSERT_TRUE(send_all(c.fd(), &byte, 1, deadline));
    expect_soa_answer(read_framed(c.fd(), deadline), 21);
    // The connection stays open for more.
    ASSERT_TRUE(send_all(c.fd(), framed(make_query(22)), deadline));
    expect_soa_answer(read_framed(c.fd(), deadline), 22);
}

TEST(TcpServer, ManyQueriesOnOneConnection) {
    Running r;
    const Socket c = tcp_client(r.port);
    Bytes all;
    for (std::uint16_t id = 0; id < 300; ++id) {
        const Bytes q = framed(make_query(id));
        all.insert(all.end(), q.begin(), q.end());
    }
    const auto deadline = Clock::now() + 10s;
    ASSERT_TRUE(send_all(c.fd(), all, deadline));
    for (std::uint16_t id = 0; id < 300; ++id) {
        const auto m = read_framed(c.fd(), deadline);
        ASSERT_TRUE(m.has_value()) << id;
        EXPECT_EQ(summarize(*m)->id, id);
    }
}

TEST(TcpServer, ClosesAnIdleConnectionAfterTheIdleTimeout) {
    TcpOptions o = quick_options();
    o.idle_timeout = 300ms;
    Running r(o);
    const Socket c = tcp_client(r.port);
    const auto deadline = Clock::now() + 5s;
    ASSERT_TRUE(send_all(c.fd(), framed(make_query(31)), deadline));
    expect_soa_answer(read_framed(c.fd(), deadline), 31);
    const auto answered = Clock::now();
    EXPECT_TRUE(closed_by_peer(c.fd(), deadline));
    EXPECT_GE(Clock::now() - answered, 250ms);  // not before the idle time-out
    EXPECT_TRUE(eventually([&] { return r.server.stats().timed_out == 1; }));
}

TEST(TcpServer, ClosesAConnectionThatStallsMidMessage) {
    TcpOptions o = quick_options();
    o.read_timeout = 300ms;  // idle stays at 10 s: only the read time-out can fire
    Running r(o);
    const Socket c = tcp_client(r.port);
    const Bytes q = framed(make_query(41));
    const auto deadline = Clock::now() + 5s;
    ASSERT_TRUE(send_all(c.fd(), q.data(), 5, deadline));  // the length and part of the header
    EXPECT_TRUE(closed_by_peer(c.fd(), deadline));
    EXPECT_EQ(r.server.stats().queries, 0u);
}

TEST(TcpServer, SilentAndStalledClientsDoNotBlockOthers) {
    Running r;
    const Socket silent = tcp_client(r.port);
    const Socket stalled = tcp_client(r.port);
    const auto deadline = Clock::now() + 5s;
    const Bytes partial = framed(make_query(1));
    ASSERT_TRUE(send_all(stalled.fd(), partial.data(), 3, deadline));
    const Socket c = tcp_client(r.port);
    ASSERT_TRUE(send_all(c.fd(), framed(make_query(51)), deadline));
    expect_soa_answer(read_framed(c.fd(), Clock::now() + 2s), 51);
}

TEST(TcpServer, EnforcesTheConnectionCapPerAddress) {
    TcpOptions o = quick_options();
    o.max_connections_per_ip = 2;
    Running r(o);
    const auto deadline = Clock::now() + 5s;
    std::optional<Socket> a(tcp_client(r.port));
    const Socket b = tcp_client(r.port);
    ASSERT_TRUE(send_all(a->fd(), framed(make_query(61)), deadline));
    expect_soa_answer(read_framed(a->fd(), deadline), 61);
    ASSERT_TRUE(send_all(b.fd(), framed(make_query(62)), deadline));
    expect_soa_answer(read_framed(b.fd(), deadline), 62);

    const Socket third = tcp_client(r.port);  // the kernel accepts; the server closes it at once
    EXPECT_TRUE(closed_by_peer(third.fd(), deadline));
    EXPECT_EQ(r.server.stats().rejected, 1u);

    a.reset();  // a slot frees up once the server has seen the close
    ASSERT_TRUE(eventually([&] {
        const Socket next = tcp_client(r.port);
        if (!send_all(next.fd(), framed(make_query(63)), Clock::now() + 1s)) return false;
        return read_framed(next.fd(), Clock::now() + 1s).has_value();
    }));
}

TEST(TcpServer, EnforcesTheTotalConnectionCap) {
    TcpOptions o = quick_options();
    o.max_connections = 1;
    Running r(o);
    const auto deadline = Clock::now() + 5s;
    const Socket a = tcp_client(r.port);
    ASSERT_TRUE(send_all(a.fd(), framed(make_query(71)), deadline));
    expect_soa_answer(read_framed(a.fd(), deadline), 71);
    const Socket b = tcp_client(r.port);
    EXPECT_TRUE(closed_by_peer(b.fd(), deadline));
    // The admitted client is unaffected.
    ASSERT_TRUE(send_all(a.fd(), framed(make_query(72)), deadline));
    expect_soa_answer(read_framed(a.fd(), deadline), 72);
}

TEST(TcpServer, ClosesAfterTheQueryLimitOnceAnswersAreOut) {
    TcpOptions o = quick_options();
    o.max_queries_per_connection = 2;
    Running r(o);
    const Socket c = tcp_client(r.port);
    Bytes three;
    for (std::uint16_t id : {81, 82, 83}) {
        const Bytes q = framed(make_query(id));
        three.insert(three.end(), q.begin(), q.end());
    }
    const auto deadline = Clock::now() + 5s;
    ASSERT_TRUE(send_all(c.fd(), three, deadline));
    expect_soa_answer(read_framed(c.fd(), deadline), 81);
    expect_soa_answer(read_framed(c.fd(), deadline), 82);
    EXPECT_TRUE(closed_by_peer(c.fd(), deadline));
}

TEST(TcpServer, ZeroLengthMessageClosesTheConnection) {
    Running r;
    const Socket c = tcp_client(r.port);
    Bytes message = framed(make_query(91));
    message.push_back(0);
    message.push_back(0);
    const auto deadline = Clock::now() + 5s;
    ASSERT_TRUE(send_all(c.fd(), message, deadline));
    expect_soa_answer(read_framed(c.fd(), deadline), 91);
    EXPECT_TRUE(closed_by_peer(c.fd(), deadline));
}

TEST(TcpServer, MessageWithoutAnswerKeepsTheConnectionOpen) {
    Running r;
    const Socket c = tcp_client(r.port);
    Bytes response_like = make_query(100);
    response_like[2] |= 0x80;  // QR=1: never answered (RFC 1035)
    Bytes both = framed(response_like);
    const Bytes q = framed(make_query(101));
    both.insert(both.end(), q.begin(), q.end());
    const auto deadline = Clock::now() + 5s;
    ASSERT_TRUE(send_all(c.fd(), both, deadline));
    expect_soa_answer(read_framed(c.fd(), deadline), 101);
    EXPECT_EQ(r.server.stats().queries, 2u);
    EXPECT_EQ(r.server.stats().responses, 1u);
}

TEST(TcpServer, HalfClosedClientStillGetsItsAnswers) {
    Running r;
    const Socket c = tcp_client(r.port);
    const auto deadline = Clock::now() + 5s;
    ASSERT_TRUE(send_all(c.fd(), framed(make_query(111)), deadline));
    ASSERT_EQ(::shutdown(c.fd(), SHUT_WR), 0);
    expect_soa_answer(read_framed(c.fd(), deadline), 111);
    EXPECT_TRUE(closed_by_peer(c.fd(), deadline));
}

TEST(TcpServer, StopClosesOpenConnectionsPromptly) {
    Running r;
    std::vector<Socket> clients;
    for (int i = 0; i < 3; ++i) clients.push_back(tcp_client(r.port));
    const auto deadline = Clock::now() + 5s;
    ASSERT_TRUE(send_all(clients[0].fd(), framed(make_query(121)), deadline));
    expect_soa_answer(read_framed(clients[0].fd(), deadline), 121);
    ASSERT_TRUE(send_all(clients[1].fd(), framed(make_query(122)).data(), 4, deadline));  // mid-message
    ASSERT_TRUE(eventually([&] { return r.server.stats().accepted == 3; }));

    const auto began = Clock::now();
    r.server.stop();
    EXPECT_LT(Clock::now() - began, 1s);
    for (const Socket& c : clients) EXPECT_TRUE(closed_by_peer(c.fd(), deadline));
    EXPECT_TRUE(r.server.bound_endpoints().empty());
    // Nobody listens any more.
    const Socket probe(::socket(AF_INET, SOCK_STREAM, 0));
    const sockaddr_in a = loopback_addr(r.port);
    EXPECT_NE(::connect(probe.fd(), reinterpret_cast<const sockaddr*>(&a), sizeof a), 0);
    r.server.stop();  // idempotent
}

TEST(TcpServer, ServesIpv6LoopbackBesideIpv4) {
    Served served;
    auto endpoint6 = loopback6(0);
    if (!endpoint6) GTEST_SKIP() << "no IPv6 loopback on this host";
    TcpServer server(*served.store, served.responder, quick_options());
    ASSERT_TRUE(server.start({loopback(0), *endpoint6}).ok());
    const auto bound = server.bound_endpoints();
    ASSERT_EQ(bound.size(), 2u);
    sockaddr_in6 a{};
    std::memcpy(&a, &bound[1].addr, sizeof a);
    EXPECT_EQ(bound[1].text, "[::1]:" + std::to_string(ntohs(a.sin6_port)));
    const Socket c(::socket(AF_INET6, SOCK_STREAM, 0));
    ASSERT_EQ(::connect(c.fd(), reinterpret_cast<const sockaddr*>(&a), sizeof a), 0);
    const auto deadline = Clock::now() + 5s;
    ASSERT_TRUE(send_all(c.fd(), framed(make_query(131)), deadline));
    expect_soa_answer(read_framed(c.fd(), deadline), 131);
    const Socket c4 = tcp_client(port_of(bound[0]));
    ASSERT_TRUE(send_all(c4.fd(), framed(make_query(132)), deadline));
    expect_soa_answer(read_framed(c4.fd(), deadline), 132);
}

TEST(TcpServer, BindErrorsNameTheAddress) {
    Served served;
    const Socket holder(::socket(AF_INET, SOCK_STREAM, 0));
    sockaddr_in a = loopback_addr(0);
    socklen_t len = sizeof a;
    ASSERT_EQ(::bind(holder.fd(), reinterpret_cast<const sockaddr*>(&a), sizeof a), 0);
    ASSERT_EQ(::getsockname(holder.fd(), reinterpret_cast<sockaddr*>(&a), &len), 0);
    ASSERT_EQ(::listen(holder.fd(), 1), 0);
    const std::uint16_t port = ntohs(a.sin_port);

    TcpServer server(*served.store, served.responder, quick_options());
    auto started = server.start({loopback(port)});
    ASSERT_FALSE(started.ok());
    EXPECT_EQ(started.error().message, "dns.listen 127.0.0.1:" + std::to_string(port) + ": bind: Address already in use");

    auto foreign = parse_endpoint("192.0.2.1:5353");
    ASSERT_TRUE(foreign.ok());
    started = server.start({*foreign});
    ASSERT_FALSE(started.ok());
    EXPECT_EQ(started.error().code, core::Errc::invalid_argument);
    EXPECT_NE(started.error().message.find("dns.listen 192.0.2.1:5353: bind: "), std::string::npos) << started.error().message;

    ASSERT_TRUE(server.start({loopback(0)}).ok());  // a failed start left nothing behind
    EXPECT_FALSE(server.start({loopback(0)}).ok());
}

}  // namespace
}  // namespace acmezone::dns
