// NOTIFY sender (dns/notify) against a local UDP socket acting as the secondary: one NOTIFY per
// burst of commits, resends until a matching answer, answers from elsewhere or with another ID
// ignored, giving up after the retries, TSIG-signed NOTIFYs that verify, and for those only
// answers signed with the same key over the request's MAC count.
#include <gtest/gtest.h>

#include "dns/notify.hpp"
#include "dns/tsig.hpp"
#include "dns/wire_reader.hpp"
#include "dns_net/net_test_support.hpp"

namespace acmezone::dns::nettest {
namespace {

// A UDP socket on 127.0.0.1 standing in for a secondary.
struct FakeSecondary {
    FakeSecondary() : sock(::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0)) {
        sockaddr_in a = loopback_addr(0);
        socklen_t len = sizeof a;
        if (sock.fd() < 0 || ::bind(sock.fd(), reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0 ||
            ::getsockname(sock.fd(), reinterpret_cast<sockaddr*>(&a), &len) != 0)
            throw std::runtime_error("bind failed");
        port = ntohs(a.sin_port);
    }
    struct Received {
        Bytes msg;
        sockaddr_storage from{};
        socklen_t from_len = 0;
    };
    std::optional<Received> receive(std::chrono::milliseconds within) {
        const auto deadline = Clock::now() + within;
        while (wait_for(sock.fd(), POLLIN, deadline)) {
            Received r;
            r.msg.resize(4096);
            r.from_len = sizeof r.from;
            const ssize_t got = ::recvfrom(sock.fd(), r.msg.data(), r.msg.size(), 0, reinterpret_cast<sockaddr*>(&r.from), &r.from_len);
            if (got < 0) continue;
            r.msg.resize(static_cast<std::size_t>(got));
            return r;
        }
        return std::nullopt;
    }
    Socket sock;
    std::uint16_t port = 0;
};

// A NOTIFY response (RFC 1996 §4.7): the header with QR set and the question, no records.
Bytes response_to(const Bytes& request, std::optional<std::uint16_t> id = std::nullopt) {
    std::size_t pos = kHeaderSize;
    WireName name;
    EXPECT_EQ(read_name(request, pos, name), NameError::none);
    Bytes out(request.begin(), request.begin() + static_cast<std::ptrdiff_t>(pos + 4));
    out[2] |= 0x80;                       // QR
    out[6] = out[7] = out[8] = out[9] = out[10] = out[11] = 0;  // AN, NS, AR counts
    if (id) {
        out[0] = static_cast<std::uint8_t>(*id >> 8);
        out[1] = static_cast<std::uint8_t>(*id);
    }
    return out;
}

void send_from(int fd, const Bytes& msg, const FakeSecondary::Received& to) {
    ASSERT_GE(::sendto(fd, msg.data(), msg.size(), 0, reinterpret_cast<const sockaddr*>(&to.from), to.from_len), 0);
}

std::uint16_t id_of(const Bytes& m) { return static_cast<std::uint16_t>((m[0] << 8) | m[1]); }

// Checks the NOTIFY's shape and returns the serial of the SOA in its answer section.
std::uint32_t notify_serial(const Bytes& m) {
    Header h;
    EXPECT_TRUE(read_header(m, h));
    EXPECT_FALSE(h.qr());
    EXPECT_EQ(h.opcode(), opcode::NOTIFY);
    EXPECT_TRUE(h.flags & flag::AA);
    EXPECT_EQ(h.qdcount, 1);
    EXPECT_EQ(h.ancount, 1);
    std::size_t pos = kHeaderSize;
    WireName name;
    EXPECT_EQ(read_name(m, pos, name), NameError::none);
    EXPECT_EQ(n("acme.test").canonical_wire(),
              std::string_view(reinterpret_cast<const char*>(name.canonical), name.size));
    EXPECT_EQ((m[pos] << 8) | m[pos + 1], core::rrtype::SOA);
    pos += 4;
    EXPECT_EQ(read_name(m, pos, name), NameError::none);  // the answer's owner
    EXPECT_EQ((m[pos] << 8) | m[pos + 1], core::rrtype::SOA);
    pos += 10;
    EXPECT_EQ(read_name(m, pos, name), NameError::none);  // MNAME
    EXPECT_EQ(read_name(m, pos, name), NameError::none);  // RNAME
    return static_cast<std::uint32_t>(m[pos]) << 24 | static_cast<std::uint32_t>(m[pos + 1]) << 16 |
           static_cast<std::uint32_t>(m[pos + 2]) << 8 | m[pos + 3];
}

struct NotifyFixture : ::testing::Test {
    std::shared_ptr<const core::Zone> zone = make_zone();
    FakeSecondary secondary;

    std::unique_ptr<NotifySender> make(std::uint32_t retries, std::chrono::milliseconds interval,
                                       std::optional<TsigKeyMaterial> key = std::nullopt) {
        NotifyOptions options;
        options.targets.push_back(NotifyTarget{loopback(secondary.port), std::move(key)});
        options.retries = retries;
        options.initial_interval = interval;
        options.max_interval = interval * 4;
        auto sender = std::make_unique<NotifySender>([z = zone]() -> const core::Zone& { return *z; }, std::move(options));
        EXPECT_TRUE(sender->start());
        return sender;
    }

    template <class Pred>
    bool eventually(Pred pred) {
        const auto deadline = Clock::now() + 5s;
        while (Clock::now() < deadline) {
            if (pred()) return true;
            std::this_thread::yield();
        }
        return pred();
    }
};

TEST(NotifyRetryInterval, DoublesUpToTheCap) {
    EXPECT_EQ(notify_retry_interval(1, 1000ms, 60000ms), 1000ms);
    EXPECT_EQ(notify_retry_interval(2, 1000ms, 60000ms), 2000ms);
    EXPECT_EQ(notify_retry_interval(5, 1000ms, 60000ms), 16000ms);
    EXPECT_EQ(notify_retry_interval(7, 1000ms, 60000ms), 60000ms);
    EXPECT_EQ(notify_retry_interval(40, 1000ms, 60000ms), 60000ms);
}

TEST_F(NotifyFixture, NothingIsSentBeforeACommit) {
    auto sender = make(5, 50ms);
    EXPECT_FALSE(secondary.receive(200ms));
    EXPECT_EQ(sender->stats().sent, 0u);
}

TEST_F(NotifyFixture, ABurstOfCommitsSendsOneNotifyForTheNewestSerial) {
    auto sender = make(5, 3000ms);  // long interval: no resend during the test
    sender->notify(1);
    auto first = secondary.receive(5s);
    ASSERT_TRUE(first);
    EXPECT_EQ(notify_serial(first->msg), 1u);
    for (std::uint32_t serial = 2; serial <= 100; ++serial) sender->notify(serial);  // while 1 is in flight
    EXPECT_FALSE(secondary.receive(200ms)) << "a NOTIFY per commit instead of one per burst";
    send_from(secondary.sock.fd(), response_to(first->msg), *first);
    auto second = secondary.receive(5s);
    ASSERT_TRUE(second);
    EXPECT_EQ(notify_serial(second->msg), 100u);
    EXPECT_NE(id_of(second->msg), id_of(first->msg));
    send_from(secondary.sock.fd(), response_to(second->msg), *second);
    EXPECT_FALSE(secondary.receive(300ms));
    EXPECT_TRUE(eventually([&] { return sender->stats().acked == 2; }));
    const auto stats = sender->stats();
    EXPECT_EQ(stats.sent, 2u);
    EXPECT_EQ(stats.retried, 0u);
    EXPECT_EQ(stats.failed, 0u);
}

TEST_F(NotifyFixture, ResendsUntilAnswered) {
    auto sender = make(5, 40ms);
    sender->notify(7);
    auto a = secondary.receive(5s);
    auto b = secondary.receive(5s);
    auto c = secondary.receive(5s);
    ASSERT_TRUE(a && b && c);
    EXPECT_EQ(notify_serial(c->msg), 7u);
    EXPECT_EQ(id_of(a->msg), id_of(c->msg));  // a resend of the same NOTIFY
    send_from(secondary.sock.fd(), response_to(c->msg), *c);
    EXPECT_TRUE(eventually([&] { return sender->stats().acked == 1; }));
    EXPECT_FALSE(secondary.receive(300ms));  // answered: no more resends
    const auto stats = sender->stats();
    EXPECT_EQ(stats.sent, 3u);
    EXPECT_EQ(stats.retried, 2u);
    EXPECT_EQ(stats.failed, 0u);
}

TEST_F(NotifyFixture, IgnoresAnswersFromAnotherAddressOrWithAnotherId) {
    auto sender = make(5, 150ms);
    sender->notify(9);
    auto first = secondary.receive(5s);
    ASSERT_TRUE(first);
    FakeSecondary impostor;  // another port on the same address
    send_from(impostor.sock.fd(), response_to(first->msg), *first);
    send_from(secondary.sock.fd(), response_to(first->msg, static_cast<std::uint16_t>(id_of(first->msg) + 1)), *first);
    Bytes not_a_response = first->msg;  // QR=0: a request, not an answer
    send_from(secondary.sock.fd(), not_a_response, *first);
    auto resend = secondary.receive(5s);
    ASSERT_TRUE(resend) << "a wrong answer was taken as the acknowledgement";
    EXPECT_EQ(sender->stats().acked, 0u);
    send_from(secondary.sock.fd(), response_to(resend->msg), *resend);
    EXPECT_TRUE(eventually([&] { return sender->stats().acked == 1; }));
    EXPECT_GE(sender->stats().retried, 1u);
}

TEST_F(NotifyFixture, GivesUpAfterTheRetries) {
    auto sender = make(2, 20ms);
    sender->notify(3);
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(secondary.receive(5s)) << "attempt " << i;
    EXPECT_TRUE(eventually([&] { return sender->stats().failed == 1; }));
    EXPECT_FALSE(secondary.receive(200ms));
    EXPECT_EQ(sender->stats().sent, 3u);
    // A newer commit starts again.
    sender->notify(4);
    auto next = secondary.receive(5s);
    ASSERT_TRUE(next);
    EXPECT_EQ(notify_serial(next->msg), 4u);
}

TEST_F(NotifyFixture, SignsWithTheTargetsKey) {
    TsigKeyMaterial key{n("xfr.key"), TsigAlgorithm::hmac_sha256, std::string("0123456789abcdef0123456789abcdef")};
    auto sender = make(5, 3000ms, key);
    sender->notify(42);
    auto got = secondary.receive(5s);
    ASSERT_TRUE(got);
    TsigRecord rec;
    ASSERT_EQ(find_tsig(got->msg, rec), TsigFind::found);
    const auto now = static_cast<std::uint64_t>(std::time(nullptr));
    EXPECT_EQ(verify_tsig(got->msg, rec, key, now, TsigPolicy{}), TsigCheck::ok);
    TsigKeyMaterial wrong = key;
    wrong.secret = "another secret, another MAC.....";
    EXPECT_EQ(verify_tsig(got->msg, rec, wrong, now, TsigPolicy{}), TsigCheck::badsig);
    // The signed message is still a NOTIFY for serial 42 (TSIG comes after the answer).
    Header h;
    ASSERT_TRUE(read_header(got->msg, h));
    EXPECT_EQ(h.arcount, 1);
    EXPECT_EQ(notify_serial(got->msg), 42u);
}

// The secondary's answer to `request`, signed with `key` over the request's MAC (RFC 8945 §5.3).
Bytes signed_response_to(const Bytes& request, const TsigKeyMaterial& key) {
    TsigRecord rec;
    EXPECT_EQ(find_tsig(request, rec), TsigFind::found);
    Bytes out = response_to(request);
    const std::size_t length = out.size();
    out.resize(length + 256);
    const TsigVariables vars{static_cast<std::uint64_t>(std::time(nullptr)), 300, 0, {}};
    out.resize(sign_response(out, length, key, rec.mac, vars));
    EXPECT_GT(out.size(), length);
    return out;
}

TEST_F(NotifyFixture, ASignedNotifyIsAcknowledgedOnlyByAnAnswerSignedWithItsKey) {
    TsigKeyMaterial key{n("xfr.key"), TsigAlgorithm::hmac_sha256, std::string("0123456789abcdef0123456789abcdef")};
    TsigKeyMaterial other = key;
    other.secret = "another secret, another MAC.....";
    auto sender = make(10, 100ms, key);
    sender->notify(11);
    auto first = secondary.receive(5s);
    ASSERT_TRUE(first);
    send_from(secondary.sock.fd(), response_to(first->msg), *first);                 // unsigned
    send_from(secondary.sock.fd(), signed_response_to(first->msg, other), *first);   // wrong secret
    TsigKeyMaterial renamed = key;
    renamed.name = n("other.key");
    send_from(secondary.sock.fd(), signed_response_to(first->msg, renamed), *first);  // another key's name
    auto resend = secondary.receive(5s);
    ASSERT_TRUE(resend) << "an answer not signed with the target's key was taken as the acknowledgement";
    EXPECT_EQ(sender->stats().acked, 0u);
    send_from(secondary.sock.fd(), signed_response_to(resend->msg, key), *resend);
    EXPECT_TRUE(eventually([&] { return sender->stats().acked == 1; }));
    const auto sent = sender->stats().sent;
    std::this_thread::sleep_for(500ms);  // longer than the longest resend interval (400 ms)
    EXPECT_EQ(sender->stats().sent, sent) << "still resending after a verified answer";
}

TEST_F(NotifyFixture, StopsPromptlyWithANotifyInFlight) {
    auto sender = make(5, 60000ms);
    sender->notify(5);
    ASSERT_TRUE(secondary.receive(5s));
    const auto t0 = Clock::now();
    sender->stop();
    EXPECT_LT(Clock::now() - t0, 2s);
}

}  // namespace
}  // namespace acmezone::dns::nettest
