#include "dns/wire_reader.hpp"

#include <gtest/gtest.h>

#include "test_wire.hpp"

using namespace acmezone::dns;
using namespace acmezone::dns::test;

namespace {

Bytes with_question(Bytes b, std::string_view name_bytes, std::uint16_t type = 1) {
    put_bytes(b, name_bytes);
    put16(b, type);
    put16(b, 1);
    return b;
}

std::string label_of(std::size_t n) { return std::string(1, static_cast<char>(n)) + std::string(n, 'a'); }

// A name of exactly `size` wire octets (labels of 63, then the rest).
std::string name_of_size(std::size_t size) {
    std::string out;
    std::size_t left = size - 1;
    while (left > 0) {
        const std::size_t label = std::min<std::size_t>(63, left - 1);
        out += label_of(label);
        left -= label + 1;
    }
    return out + std::string(1, '\0');
}

const std::string kQname = wire("Www.Acme.test");

Bytes good_query() {
    Bytes b = with_question(header(0x1234, 0x0100, 1, 0, 0, 1), kQname, 16);
    put_opt(b, 4096, 0, true);
    return b;
}

struct ParseCase {
    const char* what;
    Bytes msg;
    ParseError expected;
    bool has_question;
};

std::vector<ParseCase> parse_cases() {
    std::vector<ParseCase> cases;
    cases.push_back({"good query", good_query(), ParseError::none, true});
    {
        Bytes b = header(1, 0, 1, 0, 0, 0);
        put_bytes(b, std::string_view("\x04" "acme", 5));  // no terminating label
        cases.push_back({"truncated question name", b, ParseError::bad_question, false});
    }
    {
        Bytes b = header(1, 0, 1, 0, 0, 0);
        put_bytes(b, kQname);
        put16(b, 1);  // QCLASS missing
        cases.push_back({"truncated question fixed part", b, ParseError::bad_question, false});
    }
    cases.push_back({"compression loop in question",
                     with_question(header(1, 0, 1, 0, 0, 0), std::string_view("\x01" "a\xc0\x0c", 4)),
                     ParseError::bad_question, false});
    cases.push_back({"forward pointer in question",
                     with_question(header(1, 0, 1, 0, 0, 0), std::string_view("\xc0\x20", 2)), ParseError::bad_question,
                     false});
    cases.push_back({"pointer into the header",
                     with_question(header(1, 0, 1, 0, 0, 0), std::string_view("\xc0\x02", 2)), ParseError::bad_question,
                     false});
    cases.push_back({"label of 64 octets", with_question(header(1, 0, 1, 0, 0, 0), label_of(64) + std::string(1, '\0')),
                     ParseError::bad_question, false});
    cases.push_back({"extended label type 01",
                     with_question(header(1, 0, 1, 0, 0, 0), std::string_view("\x41\x00", 2)), ParseError::bad_question,
                     false});
    cases.push_back({"name of 255 octets", with_question(header(1, 0, 1, 0, 0, 0), name_of_size(255)), ParseError::none,
                     true});
    cases.push_back({"name of 256 octets", with_question(header(1, 0, 1, 0, 0, 0), name_of_size(256)),
                     ParseError::bad_question, false});
    {
        Bytes b = with_question(header(1, 0, 1, 0, 0, 2), kQname);
        put_opt(b, 1232);
        put_opt(b, 1232);
        cases.push_back({"two OPT RRs", b, ParseError::duplicate_opt, true});
    }
    {
        Bytes b = with_question(header(1, 0, 1, 0, 0, 1), kQname);
        put_opt(b, 1232, 0, false, {}, "\xc0\x0c");  // owned by the question name
        cases.push_back({"OPT not owned by the root", b, ParseError::opt_not_root, true});
    }
    {
        Bytes b = with_question(header(1, 0, 1, 1, 0, 0), kQname);
        put_opt(b, 1232);
        cases.push_back({"OPT in the answer section", b, ParseError::opt_not_additional, true});
    }
    {
        Bytes b = with_question(header(1, 0, 1, 0, 0, 1), kQname);
        put_bytes(b, std::string_view("\xc0\x0c", 2));
        put16(b, 16);
        put16(b, 1);
        put32(b, 60);
        put16(b, 40);  // RDLENGTH 40, only 3 octets follow
        put_bytes(b, "abc");
        cases.push_back({"RDLENGTH past the end in additional", b, ParseError::bad_section, true});
    }
    {
        Bytes b = with_question(header(1, 0, 1, 0, 0, 1), kQname);
        const std::size_t at = b.size();
        b.push_back(static_cast<std::uint8_t>(0xc0 | (at >> 8)));
        b.push_back(static_cast<std::uint8_t>(at));  // points at itself
        put16(b, 1);
        put16(b, 1);
        put32(b, 0);
        put16(b, 0);
        cases.push_back({"compression loop in additional", b, ParseError::bad_section, true});
    }
    {
        Bytes b = good_query();
        b.push_back(0);
        cases.push_back({"trailing bytes", b, ParseError::trailing_data, true});
    }
    {
        Bytes b = with_question(header(1, 0, 1, 0, 0, 0), kQname);
        b.resize(b.size() - 1);
        cases.push_back({"one octet short", b, ParseError::bad_question, false});
    }
    {
        Bytes b = with_question(header(1, 0, 1, 0, 0, 2), kQname);
        // An RR whose owner is compressed to the question, then the OPT: both skipped correctly.
        put_bytes(b, std::string_view("\x03" "sub\xc0\x0c", 6));
        put16(b, 1);
        put16(b, 1);
        put32(b, 60);
        put16(b, 4);
        put_bytes(b, std::string_view("\x7f\x00\x00\x01", 4));
        put_opt(b, 512);
        cases.push_back({"compressed owner in additional, then OPT", b, ParseError::none, true});
    }
    cases.push_back({"counts larger than the message", with_question(header(1, 0, 1, 0, 0, 5), kQname),
                     ParseError::bad_section, true});
    return cases;
}

}  // namespace

TEST(WireReader, ParseTable) {
    for (const auto& c : parse_cases()) {
        Query q;
        EXPECT_EQ(parse_query(c.msg, q), c.expected) << c.what;
        EXPECT_EQ(q.has_question, c.has_question) << c.what;
    }
}

TEST(WireReader, GoodQueryFields) {
    const Bytes msg = good_query();
    Query q;
    ASSERT_EQ(parse_query(msg, q), ParseError::none);
    EXPECT_EQ(q.header.id, 0x1234);
    EXPECT_EQ(q.header.opcode(), opcode::QUERY);
    EXPECT_FALSE(q.header.qr());
    EXPECT_EQ(q.qtype, 16);
    EXPECT_EQ(q.qclass, 1);
    EXPECT_EQ(q.question_end, 12 + kQname.size() + 4);
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(q.qname.wire), q.qname.size), kQname);
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(q.qname.canonical), q.qname.size), wire("www.acme.test"));
    EXPECT_TRUE(q.edns.present);
    EXPECT_EQ(q.edns.payload, 4096);
    EXPECT_EQ(q.edns.version, 0);
    EXPECT_TRUE(q.edns.do_bit);
}

TEST(WireReader, EdnsVersionAndTsigAreNoted) {
    Bytes b = with_question(header(1, 0, 1, 0, 0, 2), kQname);
    put_opt(b, 1232, 1);
    put_bytes(b, wire("key.example"));
    put16(b, 250);  // TSIG
    put16(b, 255);
    put32(b, 0);
    put16(b, 2);
    put_bytes(b, "xy");
    Query q;
    ASSERT_EQ(parse_query(b, q), ParseError::none);
    EXPECT_EQ(q.edns.version, 1);
    EXPECT_TRUE(q.has_tsig);
}

TEST(WireReader, HeaderAndOpcode) {
    Bytes b = header(7, 0x2800 | 0x8000, 0, 0, 0, 0);  // QR, opcode 5 (UPDATE)
    Header h;
    ASSERT_TRUE(read_header(b, h));
    EXPECT_TRUE(h.qr());
    EXPECT_EQ(h.opcode(), opcode::UPDATE);
    EXPECT_EQ(peek_opcode(b), opcode::UPDATE);
    b.resize(11);
    EXPECT_FALSE(read_header(b, h));
    EXPECT_EQ(peek_opcode(b), -1);
}

TEST(WireReader, ReadNameFollowsBackwardPointers) {
    Bytes b = with_question(header(1, 0, 1, 0, 0, 0), kQname);
    const std::size_t at = b.size();
    put_bytes(b, std::string_view("\x01" "x\xc0\x0c", 4));
    b.push_back(0xee);  // a following byte the reader must not consume
    std::size_t pos = at;
    WireName name;
    ASSERT_EQ(read_name(b, pos, name), NameError::none);
    EXPECT_EQ(pos, at + 4);
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(name.wire), name.size), wire("x.Www.Acme.test"));
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(name.canonical), name.size), wire("x.www.acme.test"));

    std::size_t past = b.size();
    EXPECT_EQ(read_name(b, past, name), NameError::truncated);
}

TEST(WireReader, NameErrorsAreSpecific) {
    const Bytes base = header(1, 0, 1, 0, 0, 0);
    struct Case {
        std::string name_bytes;
        NameError expected;
    } cases[] = {
        {std::string("\xc0\x0c", 2), NameError::bad_pointer},
        {label_of(64) + std::string(1, '\0'), NameError::bad_label},
        {name_of_size(256), NameError::too_long},
        {std::string("\x03" "ab", 3), NameError::truncated},
        {std::string("\xc0", 1), NameError::truncated},
    };
    for (const auto& c : cases) {
        Bytes b = base;
        put_bytes(b, c.name_bytes);
        std::size_t pos = kHeaderSize;
        WireName name;
        EXPECT_EQ(read_name(b, pos, name), c.expected) << c.name_bytes.size();
    }
}
