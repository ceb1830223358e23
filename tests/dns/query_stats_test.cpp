// dns/query_stats: responses the real Responder writes are classified by question type and
// RCODE (BADVERS included), truncation is seen, and per-thread counters sum correctly.
#include "dns/query_stats.hpp"

#include <gtest/gtest.h>

#include <string>

#include "responder_fixture.hpp"

using namespace acmezone;
using namespace acmezone::dns;
using namespace acmezone::dns::test;

namespace {

std::size_t b(QtypeBucket q) { return static_cast<std::size_t>(q); }

struct ClassifyCase {
    const char* what;
    QuerySpec query;
    Transport transport;
    std::size_t qtype;
    std::size_t rcode;
    bool truncated;
};

QuerySpec with_edns(QuerySpec s, std::uint8_t version = 0) {
    s.edns = true;
    s.version = version;
    return s;
}

class QueryStatsTest : public ResponderTest {};

TEST_F(QueryStatsTest, ClassifiesWhatTheResponderWrote) {
    const ClassifyCase cases[] = {
        {"TXT found", q("_acme-challenge.x.acme.test", 16), Transport::udp, b(QtypeBucket::txt), 0, false},
        {"TXT nxdomain", q("nothing.acme.test", 16), Transport::udp, b(QtypeBucket::txt), 3, false},
        {"A nodata", q("_acme-challenge.x.acme.test", 1), Transport::udp, b(QtypeBucket::a), 0, false},
        {"AAAA", q("ns1.acme.test", 28), Transport::tcp, b(QtypeBucket::aaaa), 0, false},
        {"SOA with EDNS", with_edns(q("acme.test", 6)), Transport::udp, b(QtypeBucket::soa), 0, false},
        {"NS", q("acme.test", 2), Transport::udp, b(QtypeBucket::ns), 0, false},
        {"CAA", q("acme.test", 257), Transport::udp, b(QtypeBucket::caa), 0, false},
        {"CNAME", q("alias.acme.test", 5), Transport::udp, b(QtypeBucket::cname), 0, false},
        {"ANY", q("acme.test", 255), Transport::udp, b(QtypeBucket::any), 0, false},
        {"MX is other", q("acme.test", 15), Transport::udp, b(QtypeBucket::other), 0, false},
        {"out of zone: REFUSED", q("example.org", 1), Transport::udp, b(QtypeBucket::a), 5, false},
        {"MAILA: NOTIMP", q("acme.test", 254), Transport::udp, b(QtypeBucket::other), 4, false},
        {"EDNS version 1: BADVERS", with_edns(q("acme.test", 6), 1), Transport::udp, b(QtypeBucket::soa), kBadversBucket, false},
        {"20 TXT over plain UDP: truncated", q("many.acme.test", 16), Transport::udp, b(QtypeBucket::txt), 0, true},
        {"20 TXT over TCP: whole", q("many.acme.test", 16), Transport::tcp, b(QtypeBucket::txt), 0, false},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.what);
        const std::size_t len = respond(make_query(c.query), c.transport);
        ASSERT_GT(len, 0u);
        const ResponseKey key = classify_response(std::span<const std::uint8_t>(out_.data(), len));
        EXPECT_EQ(key.qtype, c.qtype);
        EXPECT_EQ(key.rcode, c.rcode);
        EXPECT_EQ(key.truncated, c.truncated);
    }
}

TEST_F(QueryStatsTest, NoQuestionIsOtherAndFormerr) {
    const Bytes query = header(7, 0x0100, 0, 0, 0, 0);  // QDCOUNT 0: FORMERR without a question
    const std::size_t len = respond(query);
    ASSERT_GT(len, 0u);
    const ResponseKey key = classify_response(std::span<const std::uint8_t>(out_.data(), len));
    EXPECT_EQ(key.qtype, b(QtypeBucket::other));
    EXPECT_EQ(key.rcode, 1u);
}

TEST(QueryStats, MalformedBytesNeverReadPastTheEnd) {
    // Shorter than a header: nothing but "other"/NOERROR; a name that runs off the end, or a
    // compression pointer where the Responder never writes one, leaves the type "other".
    EXPECT_EQ(classify_response({}).qtype, b(QtypeBucket::other));
    const std::uint8_t short_msg[] = {0, 1, 0x81, 0x83};
    EXPECT_EQ(classify_response(short_msg).rcode, 0u);
    const std::uint8_t runs_off[] = {0, 1, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0, 40, 'a', 'b'};
    auto key = classify_response(runs_off);
    EXPECT_EQ(key.qtype, b(QtypeBucket::other));
    EXPECT_EQ(key.rcode, 0u);
    const std::uint8_t pointer[] = {0, 1, 0x81, 0x83, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 0x0c, 0, 16, 0, 1};
    key = classify_response(pointer);
    EXPECT_EQ(key.qtype, b(QtypeBucket::other));
    EXPECT_EQ(key.rcode, 3u);
    const std::uint8_t no_type[] = {0, 1, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0, 1, 'a', 0, 0};
    EXPECT_EQ(classify_response(no_type).qtype, b(QtypeBucket::other));
}

TEST(QueryStats, CountersSumPerThreadBlocks) {
    // Two blocks (two workers) counted into one total.
    const std::uint8_t txt_ok[] = {0, 1, 0x84, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 1, 'a', 0, 0, 16, 0, 1};
    const std::uint8_t a_nx_tc[] = {0, 1, 0x86, 0x03, 0, 1, 0, 0, 0, 0, 0, 0, 1, 'a', 0, 0, 1, 0, 1};
    QueryCounters one;
    QueryCounters two;
    one.count(txt_ok);
    one.count(txt_ok);
    two.count(a_nx_tc);
    QueryStats total;
    one.add_to(total);
    two.add_to(total);
    EXPECT_EQ(total.by_qtype[b(QtypeBucket::txt)], 2u);
    EXPECT_EQ(total.by_qtype[b(QtypeBucket::a)], 1u);
    EXPECT_EQ(total.by_rcode[0], 2u);
    EXPECT_EQ(total.by_rcode[3], 1u);
    EXPECT_EQ(total.truncated, 1u);
    EXPECT_EQ(total.responses(), 3u);
    QueryStats doubled = total;
    doubled += total;
    EXPECT_EQ(doubled.responses(), 6u);
    EXPECT_EQ(doubled.truncated, 2u);
}

TEST(QueryStats, LabelNames) {
    EXPECT_STREQ(qtype_bucket_name(b(QtypeBucket::aaaa)), "AAAA");
    EXPECT_STREQ(qtype_bucket_name(b(QtypeBucket::other)), "other");
    EXPECT_STREQ(rcode_bucket_name(0), "NOERROR");
    EXPECT_STREQ(rcode_bucket_name(3), "NXDOMAIN");
    EXPECT_STREQ(rcode_bucket_name(9), "NOTAUTH");
    EXPECT_STREQ(rcode_bucket_name(12), "RCODE12");
    EXPECT_STREQ(rcode_bucket_name(kBadversBucket), "BADVERS");
    EXPECT_EQ(qtype_bucket(257), QtypeBucket::caa);
    EXPECT_EQ(qtype_bucket(99), QtypeBucket::other);
}

}  // namespace
