// Responder errors and EDNS: malformed and unsupported queries, BADVERS, OPT handling, and
// robustness against mutated input.
#include "dns/responder.hpp"

#include <gtest/gtest.h>

#include "responder_fixture.hpp"

using namespace acmezone;
using namespace acmezone::dns;
using namespace acmezone::dns::test;

namespace {

struct ErrorCase {
    const char* what;
    Bytes query;
    std::uint8_t rcode;
    bool question_echoed;
    bool opt;
};

Bytes question_bytes(const char* name, std::uint16_t type = 1) {
    Bytes b;
    put_bytes(b, wire(name));
    put16(b, type);
    put16(b, 1);
    return b;
}

Bytes concat(Bytes a, const Bytes& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

std::vector<ErrorCase> error_cases() {
    std::vector<ErrorCase> cases;
    cases.push_back({"QDCOUNT 0", header(9, 0x0100, 0, 0, 0, 0), 1, false, false});
    cases.push_back({"QDCOUNT 2", concat(concat(header(9, 0x0100, 2, 0, 0, 0), question_bytes("acme.test")), question_bytes("acme.test")),
                     1, false, false});
    cases.push_back({"opcode STATUS", concat(header(9, 0x1000, 1, 0, 0, 0), question_bytes("acme.test")), 4, true, false});
    cases.push_back({"opcode IQUERY", concat(header(9, 0x0800, 1, 0, 0, 0), question_bytes("acme.test")), 4, true, false});
    cases.push_back({"opcode UPDATE (not yet served)", concat(header(9, 0x2800, 1, 0, 0, 0), question_bytes("acme.test", 6)), 4, true, false});
    cases.push_back({"opcode DSO with QDCOUNT 0", header(9, 0x3000, 0, 0, 0, 0), 4, false, false});
    {
        Bytes b = header(9, 0x0100, 1, 0, 0, 0);
        put_bytes(b, std::string_view("\x01" "a\xc0\x0c\x00\x01\x00\x01", 8));
        cases.push_back({"compression loop in the question", b, 1, false, false});
    }
    {
        Bytes b = header(9, 0x0100, 1, 0, 0, 0);
        put_bytes(b, std::string_view("\x04" "acme", 5));
        cases.push_back({"truncated question", b, 1, false, false});
    }
    {
        Bytes b = concat(header(9, 0x0100, 1, 0, 0, 1), question_bytes("acme.test"));
        put_opt(b, 1232);
        b.push_back(0xff);
        cases.push_back({"trailing garbage", b, 1, true, true});
    }
    {
        Bytes b = concat(header(9, 0x0100, 1, 0, 0, 2), question_bytes("acme.test"));
        put_opt(b, 1232);
        put_opt(b, 1232);
        cases.push_back({"two OPT RRs", b, 1, true, false});
    }
    {
        Bytes b = concat(header(9, 0x0100, 1, 0, 0, 1), question_bytes("acme.test"));
        put_opt(b, 1232, 0, false, {}, "\xc0\x0c");
        cases.push_back({"OPT not owned by the root", b, 1, true, false});
    }
    {
        Bytes b = concat(header(9, 0x0100, 1, 0, 0, 1), question_bytes("acme.test"));
        put_bytes(b, std::string_view("\xc0\x0c\x00\x10\x00\x01\x00\x00\x00\x00\x00\x30", 12));  // RDLENGTH 48, no RDATA
        cases.push_back({"bad RDLENGTH in additional", b, 1, true, false});
    }
    {
        Bytes b = concat(header(9, 0x0100, 2, 0, 0, 1), concat(question_bytes("acme.test"), question_bytes("acme.test")));
        put_opt(b, 1232);
        cases.push_back({"QDCOUNT 2 with EDNS keeps the OPT", b, 1, false, true});
    }
    return cases;
}

}  // namespace

std::vector<Bytes> acmezone::dns::test::error_queries() {
    std::vector<Bytes> out;
    for (const auto& c : error_cases()) out.push_back(c.query);
    return out;
}

TEST_F(ResponderTest, ErrorTable) {
    for (const auto& c : error_cases()) {
        SCOPED_TRACE(c.what);
        const std::size_t size = respond(c.query);
        ASSERT_GE(size, 12u);
        EXPECT_EQ(out_[0], 0);
        EXPECT_EQ(out_[1], 9);                                    // ID copied
        EXPECT_EQ(out_[2] & 0x80, 0x80);                          // QR
        EXPECT_EQ(out_[2] & 0x78, c.query[2] & 0x78);             // opcode copied
        EXPECT_EQ(out_[2] & 0x04, 0);                             // AA clear on errors
        EXPECT_EQ(out_[3] & 0x0f, c.rcode);
        EXPECT_EQ(out_[5], c.question_echoed ? 1 : 0);            // QDCOUNT
        EXPECT_EQ(out_[6] | out_[7] | out_[8] | out_[9], 0);      // no answer, no authority
        const OptSeen opt = opt_of(out_.data(), size);
        EXPECT_EQ(opt.present, c.opt);
        std::size_t expected = 12 + (c.opt ? 11 : 0);
        if (c.question_echoed) expected += wire("acme.test").size() + 4;
        EXPECT_EQ(size, expected);
    }
}

TEST_F(ResponderTest, EdnsBadVersion) {
    QuerySpec spec = q("acme.test", 6);
    spec.edns = true;
    spec.version = 1;
    const std::size_t size = respond(make_query(spec));
    ASSERT_GT(size, 12u);
    auto pkt = parse_response(out_.data(), size);
    ASSERT_NE(pkt, nullptr);
    EXPECT_EQ(out_[3] & 0x0f, 0);  // BADVERS is 16: header RCODE 0 ...
    const OptSeen opt = opt_of(out_.data(), size);
    ASSERT_TRUE(opt.present);
    EXPECT_EQ(opt.ext_rcode, 1);  // ... and 1 in the OPT's upper bits (RFC 6891 §6.1.3)
    EXPECT_EQ(opt.version, 0);
    EXPECT_EQ(opt.payload, kMaxUdpPayload);
    EXPECT_EQ(ldns_pkt_ancount(pkt.get()), 0);
    EXPECT_EQ(ldns_pkt_nscount(pkt.get()), 0);
    EXPECT_FALSE(ldns_pkt_aa(pkt.get()));
}

TEST_F(ResponderTest, EdnsDoCopiedAndUnknownOptionNotEchoed) {
    QuerySpec spec = q("_acme-challenge.x.acme.test", 16);
    spec.edns = true;
    spec.payload = 4096;
    spec.do_bit = true;
    spec.options = std::string("\xfd\xe9\x00\x04" "abcd", 8);  // option 65001, 4 octets
    std::size_t size = respond(make_query(spec));
    OptSeen opt = opt_of(out_.data(), size);
    ASSERT_TRUE(opt.present);
    EXPECT_TRUE(opt.do_bit);
    EXPECT_EQ(opt.rdlength, 0);
    EXPECT_EQ(opt.payload, 1232);
    EXPECT_EQ(opt.ext_rcode, 0);
    EXPECT_EQ(out_[11], 1);  // ARCOUNT: just the OPT

    spec.do_bit = false;
    size = respond(make_query(spec));
    opt = opt_of(out_.data(), size);
    ASSERT_TRUE(opt.present);
    EXPECT_FALSE(opt.do_bit);
}

TEST_F(ResponderTest, EdnsOnNegativeAndErrorAnswers) {
    QuerySpec spec = q("nope.acme.test", 16);
    spec.edns = true;
    std::size_t size = respond(make_query(spec));
    EXPECT_EQ(out_[3] & 0x0f, 3);
    EXPECT_TRUE(opt_of(out_.data(), size).present);
    EXPECT_EQ(out_[9], 1);  // NSCOUNT: the SOA

    spec = q("www.example.org", 1);
    spec.edns = true;
    size = respond(make_query(spec));
    EXPECT_EQ(out_[3] & 0x0f, 5);
    EXPECT_TRUE(opt_of(out_.data(), size).present);
}

TEST_F(ResponderTest, MutatedQueriesNeverBreakIt) {
    // Deterministic byte flips, cuts and count changes over a query with EDNS and an extra RR.
    QuerySpec spec = q("_acme-challenge.x.acme.test", 16);
    spec.edns = true;
    spec.do_bit = true;
    const Bytes base = make_query(spec);
    std::uint32_t state = 12345;
    const auto next = [&state] {
        state = state * 1103515245u + 12345u;
        return state >> 16;
    };
    const Responder responder(zone_);
    for (int i = 0; i < 20000; ++i) {
        Bytes msg = base;
        const unsigned flips = 1 + next() % 4;
        for (unsigned f = 0; f < flips; ++f) msg[next() % msg.size()] = static_cast<std::uint8_t>(next());
        if (next() % 4 == 0) msg.resize(next() % msg.size());
        const std::size_t size = responder.respond(msg, out_, Transport::udp, *snapshot_);
        if (size == 0) continue;
        ASSERT_GE(size, 12u);
        ASSERT_LE(size, kMaxUdpPayload);
        ASSERT_NE(parse_response(out_.data(), size), nullptr) << "iteration " << i;
    }
}
