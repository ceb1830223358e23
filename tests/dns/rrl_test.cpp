// dns/rrl: the bucket arithmetic with an injected clock (burst, refill, window), the slip
// pattern, how clients, kinds and names map to buckets, exemptions, a table too small for its
// keys, the slip reply's bytes, and that a decision allocates nothing.
#include "dns/rrl.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <array>
#include <chrono>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "alloc_count.hpp"
#include "dns/wire_reader.hpp"
#include "responder_fixture.hpp"
#include "test_wire.hpp"

namespace acmezone::dns::test {
namespace {

using namespace std::chrono_literals;
using Clock = Rrl::Clock;

// Rates of 8 per second make 1/rate (125 ms) exact in the limiter's 2^-20 s units.
constexpr std::uint32_t kRate = 8;
const Clock::time_point t0 = Clock::time_point{} + 1000h;
// A fixed hash key: which keys meet in a bucket group is then the same on every run.
constexpr std::uint64_t kSeed = 42;

core::IpAddress ip(const char* text) { return core::parse_ip(text).value(); }

// A response as the Responder writes it: `flags` holds AA and RCODE (QR is added), `answers`
// A records after the question, and an OPT when asked.
Bytes response(const std::string& qname, std::uint16_t flags, std::uint16_t answers = 0, bool opt = false,
               std::uint16_t authority = 0) {
    Bytes b = header(0x1234, static_cast<std::uint16_t>(0x8000 | flags), 1, answers, authority, opt ? 1 : 0);
    put_bytes(b, wire(qname));
    put16(b, 1);
    put16(b, 1);
    for (std::uint16_t i = 0; i < answers + authority; ++i) {
        put16(b, 0xc00c);
        put16(b, 1);
        put16(b, 1);
        put32(b, 300);
        put16(b, 4);
        put32(b, 0xc0000200u + i);
    }
    if (opt) put_opt(b, 1232, 0, true);
    return b;
}
constexpr std::uint16_t kAA = 0x0400;
Bytes positive(const std::string& qname) { return response(qname, kAA, 1); }
Bytes nodata(const std::string& qname) { return response(qname, kAA); }
Bytes nxdomain(const std::string& qname) { return response(qname, kAA | 3); }
Bytes refused(const std::string& qname) { return response(qname, 5); }

RrlOptions options(std::uint32_t slip = 0, std::uint32_t window = 3) {
    RrlOptions o;
    o.enabled = true;
    o.responses_per_second = kRate;
    o.slip = slip;
    o.window_seconds = window;
    o.table_size = 4096;
    return o;
}

// Sends `count` copies at `now`; returns how many were sent, dropped and slipped.
struct Tally {
    int sent = 0, dropped = 0, slipped = 0;
};
Tally run(Rrl& rrl, const core::IpAddress& client, const Bytes& resp, int count, Clock::time_point now) {
    Tally t;
    for (int i = 0; i < count; ++i) {
        switch (rrl.check(client, resp, now)) {
        case RrlAction::send: ++t.sent; break;
        case RrlAction::drop: ++t.dropped; break;
        case RrlAction::slip: ++t.slipped; break;
        }
    }
    return t;
}

TEST(Rrl, KindComesFromTheResponseHeader) {
    EXPECT_EQ(rrl_kind(positive("a.acme.test")), RrlKind::positive);
    EXPECT_EQ(rrl_kind(nodata("a.acme.test")), RrlKind::nodata);
    EXPECT_EQ(rrl_kind(nxdomain("a.acme.test")), RrlKind::nxdomain);
    EXPECT_EQ(rrl_kind(refused("a.example.org")), RrlKind::error);
    EXPECT_EQ(rrl_kind(response("a.acme.test", 1)), RrlKind::error);                 // FORMERR
    EXPECT_EQ(rrl_kind(response("a.acme.test", 0, 0, true)), RrlKind::error);        // BADVERS: NOERROR, AA=0
    EXPECT_EQ(rrl_kind(response("a.acme.test", kAA | 0x0200)), RrlKind::positive);   // truncated answer
    EXPECT_EQ(rrl_kind(Bytes{0x12, 0x34}), RrlKind::error);
}

TEST(Rrl, BurstOfOneSecondThenRefillAtTheRate) {
    Rrl rrl(options(), kSeed);
    const auto client = ip("192.0.2.1");
    const Bytes resp = positive("x.acme.test");
    EXPECT_EQ(run(rrl, client, resp, kRate, t0).sent, int(kRate));  // a full bucket: one second's worth
    // 1/rate later exactly one more token is there.
    const Tally later = run(rrl, client, resp, 2, t0 + 125ms);
    EXPECT_EQ(later.sent, 1);
    EXPECT_EQ(later.dropped, 1);
    // Quiet for longer than window + 1 s: the bucket is full again.
    EXPECT_EQ(run(rrl, client, resp, 3 * kRate, t0 + 10s).sent, int(kRate));
}

TEST(Rrl, FloodStaysLimitedForAboutTheWindow) {
    Rrl rrl(options(0, 3), kSeed);
    const auto client = ip("192.0.2.1");
    const Bytes resp = positive("x.acme.test");
    const Tally flood = run(rrl, client, resp, 1000, t0);
    EXPECT_EQ(flood.sent, int(kRate));
    EXPECT_EQ(flood.dropped, 1000 - int(kRate));
    // The debt is capped at 1 s + window (3 s): at +2.8 s still limited (and charged 125 ms),
    // at +3.4 s answered again however long the flood was.
    EXPECT_EQ(rrl.check(client, resp, t0 + 2800ms), RrlAction::drop);
    EXPECT_EQ(rrl.check(client, resp, t0 + 3400ms), RrlAction::send);

    // Window 1: back much sooner after the same flood.
    Rrl short_window(options(0, 1), kSeed);
    run(short_window, client, resp, 1000, t0);
    EXPECT_EQ(short_window.check(client, resp, t0 + 800ms), RrlAction::drop);
    EXPECT_EQ(short_window.check(client, resp, t0 + 1400ms), RrlAction::send);
}

TEST(Rrl, SlipIsExactlyEveryNthLimitedResponse) {
    const auto client = ip("192.0.2.1");
    const Bytes resp = positive("x.acme.test");
    for (std::uint32_t slip : {0u, 1u, 2u, 3u, 10u}) {
        Rrl rrl(options(slip), kSeed);
        ASSERT_EQ(run(rrl, client, resp, kRate, t0).sent, int(kRate));
        for (int i = 1; i <= 40; ++i) {
            const bool expect_slip = slip != 0 && i % int(slip) == 0;
            EXPECT_EQ(rrl.check(client, resp, t0), expect_slip ? RrlAction::slip : RrlAction::drop)
                << "slip " << slip << ", limited response " << i;
        }
    }
}

TEST(Rrl, Ipv4ClientsShareTheirSlash24) {
    Rrl rrl(options(), kSeed);
    const Bytes resp = positive("x.acme.test");
    ASSERT_EQ(run(rrl, ip("192.0.2.1"), resp, kRate, t0).sent, int(kRate));
    EXPECT_EQ(rrl.check(ip("192.0.2.200"), resp, t0), RrlAction::drop);  // same /24, same bucket
    EXPECT_EQ(run(rrl, ip("192.0.3.1"), resp, kRate, t0).sent, int(kRate));  // the next /24: its own

    RrlOptions per_host = options();
    per_host.ipv4_prefix_length = 32;
    Rrl exact(per_host, kSeed);
    ASSERT_EQ(run(exact, ip("192.0.2.1"), resp, kRate, t0).sent, int(kRate));
    EXPECT_EQ(exact.check(ip("192.0.2.200"), resp, t0), RrlAction::send);
}

TEST(Rrl, Ipv6ClientsShareTheirSlash56) {
    Rrl rrl(options(), kSeed);
    const Bytes resp = positive("x.acme.test");
    ASSERT_EQ(run(rrl, ip("2001:db8:0:1::1"), resp, kRate, t0).sent, int(kRate));
    EXPECT_EQ(rrl.check(ip("2001:db8:0:ff::2"), resp, t0), RrlAction::drop);  // 2001:db8:0:0000-00ff::/56
    EXPECT_EQ(run(rrl, ip("2001:db8:0:100::1"), resp, kRate, t0).sent, int(kRate));
    // An IPv4 client whose bytes match the start of an IPv6 prefix is still another client.
    EXPECT_EQ(run(rrl, ip("32.1.13.184"), resp, kRate, t0).sent, int(kRate));
}

TEST(Rrl, ClientAddressFoldsIpv4MappedIpv6) {
    sockaddr_storage storage{};
    auto& in6 = reinterpret_cast<sockaddr_in6&>(storage);
    in6.sin6_family = AF_INET6;
    ASSERT_EQ(::inet_pton(AF_INET6, "::ffff:192.0.2.9", &in6.sin6_addr), 1);
    EXPECT_EQ(client_address(storage), ip("192.0.2.9"));
    ASSERT_EQ(::inet_pton(AF_INET6, "2001:db8::9", &in6.sin6_addr), 1);
    EXPECT_EQ(client_address(storage), ip("2001:db8::9"));
    sockaddr_storage v4{};
    auto& in = reinterpret_cast<sockaddr_in&>(v4);
    in.sin_family = AF_INET;
    ASSERT_EQ(::inet_pton(AF_INET, "198.51.100.4", &in.sin_addr), 1);
    EXPECT_EQ(client_address(v4), ip("198.51.100.4"));
}

TEST(Rrl, ExemptRangesAreNeverLimited) {
    RrlOptions o = options(2);
    o.exempt.push_back(core::parse_cidr("192.0.2.7/32").value());
    o.exempt.push_back(core::parse_cidr("2001:db8:aa::/48").value());
    Rrl rrl(o, kSeed);
    const Bytes resp = positive("x.acme.test");
    EXPECT_EQ(run(rrl, ip("192.0.2.7"), resp, 1000, t0).sent, 1000);
    EXPECT_EQ(run(rrl, ip("2001:db8:aa:1::5"), resp, 1000, t0).sent, 1000);
    EXPECT_TRUE(rrl.exempt(ip("192.0.2.7")));
    EXPECT_FALSE(rrl.exempt(ip("192.0.2.8")));
    // Its neighbour in the same /24 is limited, and the exempt traffic did not count there.
    EXPECT_EQ(run(rrl, ip("192.0.2.8"), resp, 100, t0).sent, int(kRate));
}

TEST(Rrl, KindsAndNamesHaveTheirOwnBuckets) {
    Rrl rrl(options(), kSeed);
    const auto client = ip("192.0.2.1");
    ASSERT_EQ(run(rrl, client, positive("a.acme.test"), 100, t0).sent, int(kRate));
    // Another name, NODATA at the same name, NXDOMAIN and errors: each its own budget.
    EXPECT_EQ(run(rrl, client, positive("b.acme.test"), 100, t0).sent, int(kRate));
    EXPECT_EQ(run(rrl, client, nodata("a.acme.test"), 100, t0).sent, int(kRate));
    EXPECT_EQ(run(rrl, client, nxdomain("gone.acme.test"), 100, t0).sent, int(kRate));
    EXPECT_EQ(run(rrl, client, refused("www.example.org"), 100, t0).sent, int(kRate));
    // The name's case does not make a new key (0x20 randomisation).
    EXPECT_EQ(rrl.check(client, positive("A.ACME.test"), t0), RrlAction::drop);
    // NXDOMAIN and errors are counted per prefix, not per name: random names gain nothing.
    EXPECT_EQ(rrl.check(client, nxdomain("random1.acme.test"), t0), RrlAction::drop);
    EXPECT_EQ(rrl.check(client, refused("random2.example.org"), t0), RrlAction::drop);
}

TEST(Rrl, NxdomainAndErrorRatesAreSeparate) {
    RrlOptions o = options();
    o.nxdomains_per_second = 2;
    o.errors_per_second = 0;  // not limited
    Rrl rrl(o, kSeed);
    const auto client = ip("192.0.2.1");
    EXPECT_EQ(run(rrl, client, nxdomain("gone.acme.test"), 100, t0).sent, 2);
    EXPECT_EQ(run(rrl, client, refused("www.example.org"), 1000, t0).sent, 1000);
    EXPECT_EQ(run(rrl, client, positive("a.acme.test"), 100, t0).sent, int(kRate));

    RrlOptions off = options();
    off.responses_per_second = 0;  // and nothing else set: nothing is limited
    Rrl unlimited(off, kSeed);
    EXPECT_EQ(run(unlimited, client, positive("a.acme.test"), 1000, t0).sent, 1000);
    EXPECT_EQ(run(unlimited, client, nxdomain("a.acme.test"), 1000, t0).sent, 1000);
}

TEST(Rrl, TableTooSmallMakesKeysShareButNeverLoosens) {
    RrlOptions o = options();
    o.table_size = 8;  // one group of 8 buckets for 40 clients
    Rrl rrl(o, kSeed);
    ASSERT_EQ(rrl.buckets(), 8u);
    const Bytes resp = positive("x.acme.test");
    int total = 0;
    for (int c = 0; c < 40; ++c) {
        const std::string address = "10.0." + std::to_string(c) + ".1";
        const int sent = run(rrl, ip(address.c_str()), resp, 3 * kRate, t0).sent;
        EXPECT_LE(sent, int(kRate)) << address;  // never more than one key's own budget
        total += sent;
    }
    // 8 buckets hold at most 8 budgets: keys beyond them share a bucket in debt instead of
    // evicting it (only a tag collision among the first 8 could lower this).
    EXPECT_LE(total, 8 * int(kRate));
    EXPECT_GE(total, 6 * int(kRate));
    // Once buckets refill completely they are reused, so new keys are served normally again.
    EXPECT_EQ(run(rrl, ip("10.1.0.1"), resp, 3 * kRate, t0 + 10s).sent, int(kRate));
    EXPECT_EQ(run(rrl, ip("10.1.1.1"), resp, 3 * kRate, t0 + 10s).sent, int(kRate));
}

// Workers share the table: one compare-and-swap per decision keeps the count exact however
// many threads answer the same client at the same instant.
TEST(Rrl, ConcurrentWorkersShareOneExactBudget) {
    Rrl rrl(options(2), kSeed);
    const auto client = ip("192.0.2.1");
    const Bytes resp = positive("x.acme.test");
    constexpr int kThreads = 4, kEach = 20000;
    std::vector<Tally> tallies(kThreads);
    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; ++i)
        threads.emplace_back([&, i] { tallies[i] = run(rrl, client, resp, kEach, t0); });
    for (auto& thread : threads) thread.join();
    Tally total;
    for (const Tally& t : tallies) {
        total.sent += t.sent;
        total.dropped += t.dropped;
        total.slipped += t.slipped;
    }
    EXPECT_EQ(total.sent, int(kRate));
    EXPECT_EQ(total.slipped, (kThreads * kEach - int(kRate)) / 2);
    EXPECT_EQ(total.sent + total.dropped + total.slipped, kThreads * kEach);
}

TEST(Rrl, TableSizeIsRoundedUpToAPowerOfTwo) {
    RrlOptions o = options();
    o.table_size = 1000;
    EXPECT_EQ(Rrl(o, kSeed).buckets(), 1024u);
    o.table_size = 0;
    EXPECT_EQ(Rrl(o, kSeed).buckets(), 8u);
    o.table_size = 65536;
    EXPECT_EQ(Rrl(o, kSeed).buckets(), 65536u);
}

TEST(Rrl, DecisionsAllocateNothing) {
#ifdef ACMEZONE_SANITIZED
    GTEST_SKIP() << "the allocation counter is off under sanitizers";
#endif
    Rrl rrl(options(2), kSeed);
    const auto client = ip("192.0.2.1");
    const Bytes resp = positive("x.acme.test");
    const Bytes nx = nxdomain("y.acme.test");
    run(rrl, client, resp, 2 * kRate, t0);  // the first limited response writes the summary log line
    const std::size_t before = allocations_on_this_thread();
    const Tally a = run(rrl, client, resp, 1000, t0 + 1s);  // limited again: no second line yet
    const Tally b = run(rrl, ip("198.51.100.1"), nx, 1000, t0 + 1s);
    EXPECT_EQ(allocations_on_this_thread(), before);
    EXPECT_GT(a.slipped + b.slipped, 0);
    EXPECT_GT(b.sent, 0);
}

TEST(Rrl, SlipKeepsHeaderQuestionAndOpt) {
    const std::string qname = "_acme-challenge.Example.acme.test";
    Bytes resp = response(qname, kAA, 3, true, 1);
    const std::size_t question_size = wire(qname).size() + 4;
    const std::size_t length = write_slip(resp, resp.size());
    ASSERT_EQ(length, kHeaderSize + question_size + 11);
    resp.resize(length);
    EXPECT_EQ(resp[0], 0x12);
    EXPECT_EQ(resp[1], 0x34);
    EXPECT_EQ(resp[2], 0x80 | 0x04 | 0x02);  // QR, AA kept; TC set
    EXPECT_EQ(resp[3], 0x00);                // RCODE kept
    const Bytes counts(resp.begin() + 4, resp.begin() + 12);
    EXPECT_EQ(counts, (Bytes{0, 1, 0, 0, 0, 0, 0, 1}));
    EXPECT_EQ(std::string(resp.begin() + 12, resp.begin() + 12 + long(question_size) - 4), wire(qname));
    const OptSeen opt = opt_of(resp.data(), resp.size());
    EXPECT_TRUE(opt.present);
    EXPECT_TRUE(opt.do_bit);
    EXPECT_EQ(opt.payload, 1232);
    auto parsed = parse_response(resp.data(), resp.size());
    ASSERT_TRUE(parsed);
    EXPECT_TRUE(ldns_pkt_tc(parsed.get()));
    EXPECT_EQ(ldns_pkt_ancount(parsed.get()), 0);
}

TEST(Rrl, SlipWithoutOptAndOfUnreadableMessages) {
    Bytes plain = nxdomain("gone.acme.test");
    const std::size_t length = write_slip(plain, plain.size());
    EXPECT_EQ(length, kHeaderSize + wire("gone.acme.test").size() + 4);
    EXPECT_EQ(plain[3] & 0x0f, 3);  // NXDOMAIN stays NXDOMAIN
    EXPECT_EQ(plain[11], 0);

    // A question count the bytes do not hold: the header alone, with TC and zero counts.
    Bytes broken = header(7, 0x8000, 3, 0, 0, 0);
    put_bytes(broken, "\x03" "abc");
    EXPECT_EQ(write_slip(broken, broken.size()), kHeaderSize);
    EXPECT_EQ(broken[2] & 0x02, 0x02);
    EXPECT_EQ(broken[5], 0);
    Bytes tiny{1, 2, 3};
    EXPECT_EQ(write_slip(tiny, tiny.size()), 0u);
}

using RrlSlipResponder = ResponderTest;

// A real, large answer (20 TXT values, truncated or not) becomes a reply no bigger than the query.
TEST_F(RrlSlipResponder, SlipOfARealAnswerIsNoBiggerThanTheQuery) {
    QuerySpec spec = q("many.acme.test", 16);
    spec.edns = true;
    const Bytes query = make_query(spec);
    const std::size_t full = respond(query);
    ASSERT_GT(full, 2 * query.size());
    const std::size_t slip = write_slip(out_, full);
    EXPECT_EQ(slip, query.size());  // header + question + an OPT without options, as the query
    auto parsed = parse_response(out_.data(), slip);
    ASSERT_TRUE(parsed);
    EXPECT_TRUE(ldns_pkt_tc(parsed.get()));
    EXPECT_TRUE(ldns_pkt_aa(parsed.get()));
    EXPECT_EQ(ldns_pkt_get_rcode(parsed.get()), LDNS_RCODE_NOERROR);
    EXPECT_EQ(ldns_pkt_id(parsed.get()), spec.id);
    EXPECT_EQ(ldns_pkt_qdcount(parsed.get()), 1);
    EXPECT_EQ(ldns_pkt_ancount(parsed.get()) + ldns_pkt_nscount(parsed.get()), 0);
    EXPECT_EQ(ldns_pkt_edns_udp_size(parsed.get()), kMaxUdpPayload);
}

}  // namespace
}  // namespace acmezone::dns::test
