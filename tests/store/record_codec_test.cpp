#include "store/record_codec.hpp"

#include <gtest/gtest.h>

#include "test_support.hpp"

using namespace acmezone;
using namespace acmezone::store;
using namespace acmezone::store::testing;

namespace {

std::string name_key(std::string_view name) {
    std::uint8_t buf[kMaxKeySize];
    return str({buf, encode_name_key(wire(n(name)), buf)});
}

}  // namespace

TEST(RecordCodec, KeyReversesLabelsLowerCasedThenTerminatorAndType) {
    std::uint8_t buf[kMaxKeySize];
    // The case-preserving wire form: the encoder folds case itself.
    const std::string w(n("_acme-challenge.WWW.Acme.test").wire());
    const std::size_t len = encode_record_key({reinterpret_cast<const std::uint8_t*>(w.data()), w.size()}, core::rrtype::TXT, buf);
    EXPECT_EQ(str({buf, len}), std::string("\x04test\x04" "acme\x03www\x0f_acme-challenge\x00\x00\x10", 33));

    std::string back;
    std::uint16_t type = 0;
    ASSERT_TRUE(decode_record_key({buf, len}, back, type));
    EXPECT_EQ(back, std::string(n("_acme-challenge.www.acme.test").canonical_wire()));
    EXPECT_EQ(type, core::rrtype::TXT);
}

TEST(RecordCodec, RootAndLongestNamesRoundTrip) {
    std::uint8_t buf[kMaxKeySize];
    std::size_t len = encode_record_key(wire(core::Name()), 65535, buf);
    EXPECT_EQ(str({buf, len}), std::string("\x00\xff\xff", 3));
    std::string back;
    std::uint16_t type = 0;
    ASSERT_TRUE(decode_record_key({buf, len}, back, type));
    EXPECT_EQ(back, std::string(1, '\0'));
    EXPECT_EQ(type, 65535);

    // 255 octets: three 63-octet labels and one 61-octet label.
    const std::string l63(63, 'a'), l61(61, 'b');
    const auto longest = n(l63 + "." + l63 + "." + l63 + "." + l61);
    ASSERT_EQ(longest.canonical_wire().size(), 255u);
    len = encode_record_key(wire(longest), core::rrtype::TXT, buf);
    EXPECT_EQ(len, 254u + 3u);
    ASSERT_TRUE(decode_record_key({buf, len}, back, type));
    EXPECT_EQ(back, std::string(longest.canonical_wire()));
}

TEST(RecordCodec, ParentKeyIsAPrefixOfChildKeysAndSiblingsAreNot) {
    const std::string parent = name_key("acme.test");
    const std::string child = name_key("x.acme.test");
    const std::string grandchild = name_key("a.b.acme.test");
    EXPECT_EQ(child.compare(0, parent.size(), parent), 0);
    EXPECT_EQ(grandchild.compare(0, parent.size(), parent), 0);
    EXPECT_EQ(grandchild.compare(0, name_key("b.acme.test").size(), name_key("b.acme.test")), 0);
    for (const char* sibling : {"xacme.test", "acmex.test", "acm.test"}) {
        const std::string key = name_key(sibling);
        EXPECT_FALSE(key.size() >= parent.size() && key.compare(0, parent.size(), parent) == 0) << sibling;
    }
}

TEST(RecordCodec, DecodeKeyRejectsMalformedKeys) {
    std::string w;
    std::uint16_t t = 0;
    auto bad = [&](std::string key) {
        return !decode_record_key({reinterpret_cast<const std::uint8_t*>(key.data()), key.size()}, w, t);
    };
    EXPECT_TRUE(bad(""));
    EXPECT_TRUE(bad(std::string("\x00\x10", 2)));                    // no terminator
    EXPECT_TRUE(bad(std::string("\x04test\x01\x00\x10", 9)));        // 0x01 where 0x00 must be
    EXPECT_TRUE(bad(std::string("\x05test\x00\x00\x10", 8)));        // label runs over the terminator
    EXPECT_TRUE(bad(std::string("\x00\x00\x00\x10", 4)));            // empty label
    EXPECT_TRUE(bad(std::string(1, '\x40') + std::string(64, 'a') + std::string("\x00\x00\x10", 3)));  // label > 63
    EXPECT_FALSE(bad(std::string("\x04test\x00\x00\x10", 8)));
}

TEST(RecordCodec, RRsetRoundTripsThroughEncodingAndView) {
    StoredRRset set;
    set.ttl = 120;
    set.rrs = {{1700000000, txt("first")}, {1700000005, txt("second")}, {1700000009, std::string()}};
    const std::string encoded = encode_rrset(set);
    const std::span<const std::uint8_t> bytes(reinterpret_cast<const std::uint8_t*>(encoded.data()), encoded.size());
    EXPECT_EQ(encoded[0], static_cast<char>(kRecordValueVersion));

    auto decoded = decode_rrset(bytes);
    ASSERT_TRUE(decoded) << decoded.error().message;
    EXPECT_EQ(decoded->ttl, 120u);
    ASSERT_EQ(decoded->rrs.size(), 3u);
    for (std::size_t i = 0; i < 3; ++i) {
        EXPECT_EQ(decoded->rrs[i].added_at, set.rrs[i].added_at);
        EXPECT_EQ(decoded->rrs[i].rdata, set.rrs[i].rdata);
    }

    RRsetView view(bytes);
    ASSERT_FALSE(view.empty());
    EXPECT_EQ(view.ttl(), 120u);
    EXPECT_EQ(view.count(), 3);
    std::size_t i = 0;
    for (const auto rr : view) {
        ASSERT_LT(i, 3u);
        EXPECT_EQ(rr.added_at, set.rrs[i].added_at);
        EXPECT_EQ(str(rr.rdata), set.rrs[i].rdata);
        ++i;
    }
    EXPECT_EQ(i, 3u);
}

TEST(RecordCodec, ViewRejectsTruncatedPaddedAndForeignValues) {
    StoredRRset set;
    set.ttl = 60;
    set.rrs = {{1, txt("aaaa")}, {2, txt("bbbbbbbb")}};
    const std::string encoded = encode_rrset(set);
    // Every proper prefix is malformed: the view is empty and decoding fails.
    for (std::size_t len = 0; len < encoded.size(); ++len) {
        const std::span<const std::uint8_t> cut(reinterpret_cast<const std::uint8_t*>(encoded.data()), len);
        EXPECT_TRUE(RRsetView(cut).empty()) << "length " << len;
        EXPECT_FALSE(decode_rrset(cut)) << "length " << len;
    }
    std::string padded = encoded + "x";
    EXPECT_TRUE(RRsetView({reinterpret_cast<const std::uint8_t*>(padded.data()), padded.size()}).empty());
    std::string other_version = encoded;
    other_version[0] = 2;
    EXPECT_TRUE(RRsetView({reinterpret_cast<const std::uint8_t*>(other_version.data()), other_version.size()}).empty());
    std::string bigger_count = encoded;
    bigger_count[6] = 3;  // claims three RRs, holds two
    EXPECT_TRUE(RRsetView({reinterpret_cast<const std::uint8_t*>(bigger_count.data()), bigger_count.size()}).empty());
    EXPECT_TRUE(RRsetView().empty());
}
