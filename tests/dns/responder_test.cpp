// Responder lookups: what each question inside and outside the zone is answered with.
#include "dns/responder.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include "alloc_count.hpp"
#include "responder_fixture.hpp"

using namespace acmezone;
using namespace acmezone::dns;
using namespace acmezone::dns::test;

namespace {

struct Expect {
    ldns_pkt_rcode rcode = LDNS_RCODE_NOERROR;
    bool aa = true;
    bool tc = false;
    std::vector<std::string> answer;
    std::vector<std::string> authority;  // "SOA" stands for the zone SOA with the negative TTL
    bool question_echoed = true;
};

struct Case {
    const char* what;
    QuerySpec query;
    Expect expect;
    Transport transport = Transport::udp;
};

const std::vector<std::string> kSoa{"SOA"};
const ldns_pkt_rcode kNx = LDNS_RCODE_NXDOMAIN;

std::vector<Case> lookup_cases() {
    const std::string long_a = "\"" + value_of('L', 255) + "\" \"" + value_of('L', 45) + "\"";
    return {
        {"SOA at the apex", q("acme.test", 6), {LDNS_RCODE_NOERROR, true, false, {"SOA30"}, {}}},
        {"NS at the apex", q("acme.test", 2),
         {LDNS_RCODE_NOERROR, true, false, {"acme.test. 3600 NS ns1.acme.test.", "acme.test. 3600 NS ns2.acme.test."}, {}}},
        {"static A, owner from the question", q("ns1.acme.test", 1),
         {LDNS_RCODE_NOERROR, true, false, {"ns1.acme.test. 300 A 192.0.2.1"}, {}}},
        {"static CAA keeps its case", q("acme.test", 257),
         {LDNS_RCODE_NOERROR, true, false, {"acme.test. 300 CAA 0 issue \"LetsEncrypt.org\""}, {}}},
        {"dynamic TXT with two values", q("_acme-challenge.x.acme.test", 16),
         {LDNS_RCODE_NOERROR, true, false,
          {"_acme-challenge.x.acme.test. 60 TXT \"first-value\"", "_acme-challenge.x.acme.test. 60 TXT \"second-value\""}, {}}},
        {"long TXT split into strings", q("long.acme.test", 16),
         {LDNS_RCODE_NOERROR, true, false, {"long.acme.test. 60 TXT " + long_a}, {}}},
        {"NXDOMAIN", q("nope.acme.test", 16), {kNx, true, false, {}, kSoa}},
        {"NXDOMAIN below a data-holding name", q("x.ns1.acme.test", 1), {kNx, true, false, {}, kSoa}},
        {"NODATA for another type", q("ns1.acme.test", 16), {LDNS_RCODE_NOERROR, true, false, {}, kSoa}},
        {"NODATA for dynamic name, other type", q("long.acme.test", 1), {LDNS_RCODE_NOERROR, true, false, {}, kSoa}},
        {"empty non-terminal from static data", q("static.acme.test", 1), {LDNS_RCODE_NOERROR, true, false, {}, kSoa}},
        {"empty non-terminal from dynamic data", q("b.dyn.acme.test", 16), {LDNS_RCODE_NOERROR, true, false, {}, kSoa}},
        {"empty non-terminal two levels up", q("dyn.acme.test", 16), {LDNS_RCODE_NOERROR, true, false, {}, kSoa}},
        {"type 65000 NODATA", q("acme.test", 65000), {LDNS_RCODE_NOERROR, true, false, {}, kSoa}},
        {"outside the zone REFUSED", q("www.example.org", 1), {LDNS_RCODE_REFUSED, false, false, {}, {}}},
        {"parent of the apex REFUSED", q("test", 6), {LDNS_RCODE_REFUSED, false, false, {}, {}}},
        {"suffix that is not a label boundary REFUSED", q("xacme.test", 1), {LDNS_RCODE_REFUSED, false, false, {}, {}}},
        {"class CH REFUSED", q("acme.test", 6, kCH), {LDNS_RCODE_REFUSED, false, false, {}, {}}},
        {"class ANY served like IN", q("ns1.acme.test", 1, 255),
         {LDNS_RCODE_NOERROR, true, false, {"ns1.acme.test. 300 A 192.0.2.1"}, {}}},
        {"ANY prefers TXT", q("_acme-challenge.x.acme.test", 255),
         {LDNS_RCODE_NOERROR, true, false,
          {"_acme-challenge.x.acme.test. 60 TXT \"first-value\"", "_acme-challenge.x.acme.test. 60 TXT \"second-value\""}, {}}},
        {"ANY at the apex gives the SOA", q("acme.test", 255), {LDNS_RCODE_NOERROR, true, false, {"SOA30"}, {}}},
        {"ANY elsewhere gives one RRset", q("ns1.acme.test", 255),
         {LDNS_RCODE_NOERROR, true, false, {"ns1.acme.test. 300 A 192.0.2.1"}, {}}},
        {"ANY at a missing name", q("nope.acme.test", 255), {kNx, true, false, {}, kSoa}},
        {"ANY at an empty non-terminal", q("static.acme.test", 255), {LDNS_RCODE_NOERROR, true, false, {}, kSoa}},
        {"CNAME followed inside the zone", q("alias.acme.test", 1),
         {LDNS_RCODE_NOERROR, true, false, {"alias.acme.test. 300 CNAME Target.acme.test.", "Target.acme.test. 300 A 192.0.2.7"}, {}}},
        {"CNAME asked for itself", q("alias.acme.test", 5),
         {LDNS_RCODE_NOERROR, true, false, {"alias.acme.test. 300 CNAME Target.acme.test."}, {}}},
        {"CNAME to outside stops there", q("out.acme.test", 16),
         {LDNS_RCODE_NOERROR, true, false, {"out.acme.test. 300 CNAME www.example.org."}, {}}},
        {"CNAME to a missing name is NXDOMAIN", q("gone.acme.test", 16),
         {kNx, true, false, {"gone.acme.test. 300 CNAME missing.acme.test."}, kSoa}},
        {"CNAME to a name without the type is NODATA", q("empty.acme.test", 16),
         {LDNS_RCODE_NOERROR, true, false, {"empty.acme.test. 300 CNAME ns1.acme.test."}, kSoa}},
        {"CNAME loop stops at the chain limit", q("loop1.acme.test", 1),
         {LDNS_RCODE_NOERROR, true, false,
          {"loop1.acme.test. 300 CNAME loop2.acme.test.", "loop2.acme.test. 300 CNAME loop1.acme.test.",
           "loop1.acme.test. 300 CNAME loop2.acme.test.", "loop2.acme.test. 300 CNAME loop1.acme.test.",
           "loop1.acme.test. 300 CNAME loop2.acme.test.", "loop2.acme.test. 300 CNAME loop1.acme.test.",
           "loop1.acme.test. 300 CNAME loop2.acme.test.", "loop2.acme.test. 300 CNAME loop1.acme.test.",
           "loop1.acme.test. 300 CNAME loop2.acme.test."},
          {}}},
        {"qtype OPT FORMERR", q("acme.test", 41), {LDNS_RCODE_FORMERR, false, false, {}, {}}},
        {"qtype TSIG FORMERR", q("acme.test", 250), {LDNS_RCODE_FORMERR, false, false, {}, {}}},
        {"qtype TKEY FORMERR", q("acme.test", 249), {LDNS_RCODE_FORMERR, false, false, {}, {}}},
        {"meta qtype 128 FORMERR", q("acme.test", 128), {LDNS_RCODE_FORMERR, false, false, {}, {}}},
        {"AXFR over UDP FORMERR", q("acme.test", 252), {LDNS_RCODE_FORMERR, false, false, {}, {}}},
        {"AXFR over TCP NOTIMP", q("acme.test", 252), {LDNS_RCODE_NOTIMPL, false, false, {}, {}}, Transport::tcp},
        {"IXFR over TCP NOTIMP", q("acme.test", 251), {LDNS_RCODE_NOTIMPL, false, false, {}, {}}, Transport::tcp},
        {"IXFR over UDP gives the SOA", q("acme.test", 251), {LDNS_RCODE_NOERROR, true, false, {"SOA30"}, {}}},
        {"MAILA NOTIMP", q("acme.test", 254), {LDNS_RCODE_NOTIMPL, false, false, {}, {}}},
        {"MAILB NOTIMP", q("acme.test", 253), {LDNS_RCODE_NOTIMPL, false, false, {}, {}}},
        {"over TCP the same answer", q("_acme-challenge.x.acme.test", 16),
         {LDNS_RCODE_NOERROR, true, false,
          {"_acme-challenge.x.acme.test. 60 TXT \"first-value\"", "_acme-challenge.x.acme.test. 60 TXT \"second-value\""}, {}},
         Transport::tcp},
    };
}

}  // namespace

std::vector<Bytes> acmezone::dns::test::lookup_queries() {
    std::vector<Bytes> out;
    for (const auto& c : lookup_cases()) out.push_back(make_query(c.query));
    return out;
}

TEST_F(ResponderTest, LookupTable) {
    for (const auto& c : lookup_cases()) {
        SCOPED_TRACE(c.what);
        const Bytes query = make_query(c.query);
        const std::size_t size = respond(query, c.transport);
        ASSERT_GT(size, 12u);
        auto pkt = parse_response(out_.data(), size);
        ASSERT_NE(pkt, nullptr);
        EXPECT_EQ(ldns_pkt_id(pkt.get()), c.query.id);
        EXPECT_TRUE(ldns_pkt_qr(pkt.get()));
        EXPECT_TRUE(ldns_pkt_rd(pkt.get()));
        EXPECT_FALSE(ldns_pkt_ra(pkt.get()));
        EXPECT_FALSE(ldns_pkt_ad(pkt.get()));
        EXPECT_FALSE(ldns_pkt_cd(pkt.get()));
        EXPECT_EQ(ldns_pkt_get_rcode(pkt.get()), c.expect.rcode);
        EXPECT_EQ(ldns_pkt_aa(pkt.get()), c.expect.aa);
        EXPECT_EQ(ldns_pkt_tc(pkt.get()), c.expect.tc);
        std::vector<std::string> answer = c.expect.answer;
        for (auto& a : answer)
            if (a == "SOA30") a = soa(30);
        EXPECT_EQ(section_text(ldns_pkt_answer(pkt.get())), answer);
        EXPECT_EQ(section_text(ldns_pkt_authority(pkt.get())),
                  c.expect.authority.empty() ? std::vector<std::string>{} : std::vector<std::string>{soa(10)});
        EXPECT_EQ(ldns_pkt_arcount(pkt.get()), 0);  // minimal responses, no OPT without one in the query
        EXPECT_EQ(ldns_pkt_qdcount(pkt.get()), 1);
        EXPECT_TRUE(std::equal(query.begin() + 12, query.end(), out_.begin() + 12));
    }
}

TEST_F(ResponderTest, QuestionIsEchoedByteForByte) {
    const Bytes query = make_query(q("_ACME-Challenge.X.aCmE.TeSt", 16));
    const std::size_t size = respond(query);
    ASSERT_GT(size, query.size());
    EXPECT_TRUE(std::equal(query.begin() + 12, query.end(), out_.begin() + 12));
    auto pkt = parse_response(out_.data(), size);
    ASSERT_NE(pkt, nullptr);
    EXPECT_EQ(ldns_pkt_ancount(pkt.get()), 2);
    EXPECT_EQ(ldns_pkt_aa(pkt.get()), true);
    // Owners are compressed to the question, so they carry its case.
    EXPECT_EQ(section_text(ldns_pkt_answer(pkt.get())).front(), "_ACME-Challenge.X.aCmE.TeSt. 60 TXT \"first-value\"");
    EXPECT_EQ(out_[query.size()], 0xc0);
    EXPECT_EQ(out_[query.size() + 1], 0x0c);
}

TEST_F(ResponderTest, DropsShortMessagesAndResponses) {
    Bytes query = make_query(q("acme.test", 6));
    Bytes response = query;
    response[2] |= 0x80;  // QR
    EXPECT_EQ(respond(response), 0u);
    EXPECT_EQ(respond(Bytes(query.begin(), query.begin() + 11)), 0u);
    EXPECT_EQ(respond(Bytes{}), 0u);
}

TEST_F(ResponderTest, ClearsFlagsItMustNotSet) {
    QuerySpec spec = q("acme.test", 6);
    spec.flags = 0x0100 | 0x0400 | 0x0200 | 0x0080 | 0x0040 | 0x0020 | 0x0010;  // RD AA TC RA Z AD CD
    const std::size_t size = respond(make_query(spec));
    ASSERT_GT(size, 12u);
    EXPECT_EQ(out_[2], 0x85);  // QR, opcode 0, AA, RD
    EXPECT_EQ(out_[3], 0x00);  // RA, Z, AD, CD clear; NOERROR
    spec.flags = 0;
    ASSERT_GT(respond(make_query(spec)), 12u);
    EXPECT_EQ(out_[2], 0x84);  // RD not set when not asked
}
TEST_F(ResponderTest, UdpTruncationWithoutEdnsAndFitWithEdns) {
    QuerySpec spec = q("many.acme.test", 16);
    std::size_t size = respond(make_query(spec));
    ASSERT_LE(size, 512u);
    auto pkt = parse_response(out_.data(), size);
    ASSERT_NE(pkt, nullptr);
    EXPECT_TRUE(ldns_pkt_tc(pkt.get()));
    EXPECT_TRUE(ldns_pkt_aa(pkt.get()));
    EXPECT_EQ(ldns_pkt_get_rcode(pkt.get()), LDNS_RCODE_NOERROR);
    EXPECT_EQ(ldns_pkt_qdcount(pkt.get()), 1);
    EXPECT_EQ(ldns_pkt_ancount(pkt.get()), 0);  // never a partial RRset
    EXPECT_EQ(ldns_pkt_nscount(pkt.get()), 0);

    spec.edns = true;
    spec.payload = 1232;
    size = respond(make_query(spec));
    ASSERT_LE(size, 1232u);
    ASSERT_GT(size, 512u);
    pkt = parse_response(out_.data(), size);
    ASSERT_NE(pkt, nullptr);
    EXPECT_FALSE(ldns_pkt_tc(pkt.get()));
    EXPECT_EQ(ldns_pkt_ancount(pkt.get()), 20);

    spec.payload = 800;  // the client's smaller size counts
    size = respond(make_query(spec));
    ASSERT_LE(size, 800u);
    EXPECT_EQ(out_[2] & 0x02, 0x02);
    EXPECT_TRUE(opt_of(out_.data(), size).present);  // the OPT survives truncation
    EXPECT_EQ(out_[7], 0);

    spec.payload = 100;  // below 512 means 512 (RFC 6891 §6.2.5)
    size = respond(make_query(spec));
    EXPECT_EQ(out_[2] & 0x02, 0x02);
    EXPECT_GT(size, 12u);

    spec.edns = false;
    size = respond(make_query(spec), Transport::tcp);
    pkt = parse_response(out_.data(), size);
    ASSERT_NE(pkt, nullptr);
    EXPECT_FALSE(ldns_pkt_tc(pkt.get()));
    EXPECT_EQ(ldns_pkt_ancount(pkt.get()), 20);
}

TEST_F(ResponderTest, SmallOutputBufferTruncatesSafely) {
    std::array<std::uint8_t, 64> small{};
    const Responder responder(zone_);
    const Bytes query = make_query(q("_acme-challenge.x.acme.test", 16));
    const std::size_t size = responder.respond(query, small, Transport::udp, *snapshot_);
    ASSERT_EQ(size, query.size());
    EXPECT_EQ(small[2] & 0x02, 0x02);
}

TEST_F(ResponderTest, RespondAllocatesNothing) {
#ifdef ACMEZONE_SANITIZED
    GTEST_SKIP() << "allocation counting is off under sanitizers (they own the allocator)";
#endif
    std::vector<Bytes> queries = lookup_queries();
    for (auto& query : error_queries()) queries.push_back(std::move(query));
    QuerySpec spec = q("many.acme.test", 16);
    queries.push_back(make_query(spec));  // truncated
    spec.edns = true;
    queries.push_back(make_query(spec));
    const Responder responder(zone_);
    const std::size_t probe = allocations_on_this_thread();
    // A direct call, unlike a new-expression, may not be elided by the optimiser.
    void* volatile probe_block = ::operator new(16);
    ::operator delete(probe_block);
    ASSERT_GT(allocations_on_this_thread(), probe);  // the counter sees allocations
    const std::size_t before = allocations_on_this_thread();
    std::size_t total = 0;
    for (const auto& query : queries) {
        total += responder.respond(query, out_, Transport::udp, *snapshot_);
        total += responder.respond(query, out_, Transport::tcp, *snapshot_);
    }
    EXPECT_EQ(allocations_on_this_thread(), before);
    EXPECT_GT(total, 0u);
}

// Config reload: set_zone swaps the static records while other threads answer. Every answer
// comes from one zone or the other, and the zone() reference taken before stays readable.
TEST_F(ResponderTest, SetZoneSwapsStaticRecordsWhileAnswering) {
    auto spec = zone_->spec();
    for (auto& rr : spec.records)
        if (rr.type == core::rrtype::A && rr.owner == n("ns1.acme.test")) rr.rdata = std::string("\xc0\x00\x02\x63", 4);
    auto built = core::Zone::build(spec);
    ASSERT_TRUE(built) << built.error().message;
    const auto other = std::make_shared<const core::Zone>(std::move(built.value()));
    Responder responder(zone_);
    const core::Zone& first = responder.zone();
    const Bytes query = make_query(q("ns1.acme.test", 1));
    std::atomic<bool> stop{false};
    std::atomic<int> answers{0};
    std::vector<std::thread> threads;
    std::vector<std::string> unexpected;
    std::mutex unexpected_mutex;
    for (int t = 0; t < 2; ++t) {
        threads.emplace_back([&] {
            store::Snapshot snapshot(*store_);
            std::array<std::uint8_t, kMaxMessage> out{};
            while (!stop.load()) {
                if (!snapshot.begin()) break;
                const std::size_t size = responder.respond(query, out, Transport::udp, snapshot);
                snapshot.end();
                auto pkt = parse_response(out.data(), size);
                const auto answer = pkt ? section_text(ldns_pkt_answer(pkt.get())) : std::vector<std::string>{};
                if (answer != std::vector<std::string>{"ns1.acme.test. 300 A 192.0.2.1"} &&
                    answer != std::vector<std::string>{"ns1.acme.test. 300 A 192.0.2.99"}) {
                    std::lock_guard lock(unexpected_mutex);
                    unexpected.push_back(answer.empty() ? "(none)" : answer.front());
                }
                answers.fetch_add(1);
            }
        });
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    for (int i = 0; i < 200; ++i) {
        responder.set_zone(i % 2 == 0 ? other : zone_);
        while (answers.load() < i && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
    }
    responder.set_zone(other);
    stop = true;
    for (auto& thread : threads) thread.join();
    EXPECT_TRUE(unexpected.empty()) << unexpected.front();
    EXPECT_GE(answers.load(), 200);
    EXPECT_EQ(&first, zone_.get());
    EXPECT_EQ(first.spec().records.size(), zone_->spec().records.size());  // still alive and readable
    EXPECT_EQ(&responder.zone(), other.get());
    const std::size_t size = responder.respond(query, out_, Transport::udp, *snapshot_);
    auto pkt = parse_response(out_.data(), size);
    ASSERT_NE(pkt, nullptr);
    EXPECT_EQ(section_text(ldns_pkt_answer(pkt.get())), std::vector<std::string>{"ns1.acme.test. 300 A 192.0.2.99"});
}
