#include "dns/message_writer.hpp"

#include <array>

#include <gtest/gtest.h>

#include "test_wire.hpp"

using namespace acmezone::dns;
using namespace acmezone::dns::test;

namespace {
const std::string kQuestion = wire("acme.test") + std::string("\x00\x10\x00\x01", 4);
std::span<const std::uint8_t> bytes(std::string_view s) { return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()}; }
}  // namespace

TEST(MessageWriter, WritesHeaderQuestionRRsAndOpt) {
    std::array<std::uint8_t, 512> buf{};
    MessageWriter w(buf, buf.size());
    w.reserve(kOptSize);
    ASSERT_TRUE(w.start(0xbeef, 0x8500, bytes(kQuestion)));
    ASSERT_TRUE(w.add_rr(Section::answer, Owner{kQuestionPointer, {}}, 16, 1, 60, bytes("\x02hi")));
    const std::string owner = wire("Other.acme.test");
    ASSERT_TRUE(w.add_rr(Section::authority, Owner{0, bytes(owner)}, 1, 1, 300, bytes(std::string_view("\x7f\x00\x00\x01", 4))));
    ASSERT_TRUE(w.add_opt(1232, 1, true));
    const std::size_t n = w.finish();
    ASSERT_EQ(n, 12 + kQuestion.size() + (2 + 10 + 3) + (owner.size() + 10 + 4) + kOptSize);

    auto pkt = parse_response(buf.data(), n);
    ASSERT_NE(pkt, nullptr);
    EXPECT_EQ(ldns_pkt_id(pkt.get()), 0xbeef);
    EXPECT_TRUE(ldns_pkt_qr(pkt.get()));
    EXPECT_TRUE(ldns_pkt_aa(pkt.get()));
    EXPECT_EQ(section_text(ldns_pkt_answer(pkt.get())), std::vector<std::string>{"acme.test. 60 TXT \"hi\""});
    EXPECT_EQ(section_text(ldns_pkt_authority(pkt.get())), std::vector<std::string>{"Other.acme.test. 300 A 127.0.0.1"});
    // OPT: root, type 41, payload, extended RCODE 1, version 0, DO, no options.
    const std::uint8_t opt[] = {0, 0, 41, 0x04, 0xd0, 1, 0, 0x80, 0, 0, 0};
    EXPECT_TRUE(std::equal(std::begin(opt), std::end(opt), buf.begin() + static_cast<std::ptrdiff_t>(n - kOptSize)));
}

TEST(MessageWriter, LimitKeepsRoomForOptAndRollsBackWholeRRsets) {
    std::array<std::uint8_t, 512> buf{};
    const std::size_t limit = 12 + kQuestion.size() + 2 * 15 + kOptSize;  // room for two 15-octet RRs + OPT
    MessageWriter w(buf, limit);
    w.reserve(kOptSize);
    ASSERT_TRUE(w.start(1, 0x8000, bytes(kQuestion)));
    const auto m = w.mark();
    EXPECT_TRUE(w.add_rr(Section::answer, Owner{kQuestionPointer, {}}, 16, 1, 1, bytes("\x02" "ab")));
    EXPECT_TRUE(w.add_rr(Section::answer, Owner{kQuestionPointer, {}}, 16, 1, 1, bytes("\x02" "cd")));
    EXPECT_FALSE(w.add_rr(Section::answer, Owner{kQuestionPointer, {}}, 16, 1, 1, bytes("\x02" "ef")));
    w.rollback(m);
    EXPECT_TRUE(w.add_opt(1232, 0, false));
    const std::size_t n = w.finish();
    EXPECT_EQ(n, 12 + kQuestion.size() + kOptSize);
    EXPECT_EQ(buf[7], 0);  // ANCOUNT 0 after the rollback
    EXPECT_EQ(buf[11], 1);  // ARCOUNT 1: the OPT
}

TEST(MessageWriter, TruncateDropsRecordsAndSetsTc) {
    std::array<std::uint8_t, 512> buf{};
    MessageWriter w(buf, buf.size());
    ASSERT_TRUE(w.start(1, 0x8400, bytes(kQuestion)));
    ASSERT_TRUE(w.add_rr(Section::answer, Owner{kQuestionPointer, {}}, 16, 1, 1, bytes("\x02" "ab")));
    w.truncate();
    const std::size_t n = w.finish();
    EXPECT_EQ(n, 12 + kQuestion.size());
    EXPECT_EQ(buf[2] & 0x02, 0x02);  // TC
    EXPECT_EQ(buf[5], 1);            // the question stays
    EXPECT_EQ(buf[7], 0);
}

TEST(MessageWriter, BufferSmallerThanQuestionFails) {
    std::array<std::uint8_t, 16> buf{};
    MessageWriter w(buf, 512);  // the limit is clamped to the buffer
    EXPECT_FALSE(w.start(1, 0x8000, bytes(kQuestion)));
}
