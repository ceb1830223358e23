#include "dns/zone_text.hpp"

#include <gtest/gtest.h>
#include <ldns/ldns.h>

using namespace acmezone;
using namespace acmezone::dns;

namespace {
core::Name n(std::string_view text) { return core::Name::from_text(text).value(); }
const core::Name kOrigin = n("acme.test");
}  // namespace

TEST(ZoneText, RelativeAndAbsoluteOwners) {
    struct Case {
        const char* line;
        const char* owner;
    } cases[] = {
        {"www A 192.0.2.1", "www.acme.test."},
        {"Www.Sub A 192.0.2.1", "Www.Sub.acme.test."},  // case kept
        {"@ A 192.0.2.1", "acme.test."},
        {"host.acme.test. A 192.0.2.1", "host.acme.test."},
        {"other.example. A 192.0.2.1", "other.example."},  // absolute: not rebased (the zone rejects it later)
    };
    for (const auto& c : cases) {
        auto rr = parse_record_line(c.line, kOrigin, 300);
        ASSERT_TRUE(rr) << c.line << ": " << rr.error().message;
        EXPECT_EQ(rr->owner.to_text(), c.owner) << c.line;
        EXPECT_EQ(rr->type, core::rrtype::A);
        EXPECT_EQ(rr->rrclass, core::rrclass::IN);
        EXPECT_EQ(rr->rdata, std::string("\xc0\x00\x02\x01", 4));
    }
}

TEST(ZoneText, TtlDefaultAndExplicit) {
    auto rr = parse_record_line("www A 192.0.2.1", kOrigin, 123);
    ASSERT_TRUE(rr);
    EXPECT_EQ(rr->ttl, 123u);
    rr = parse_record_line("www 60 IN A 192.0.2.1", kOrigin, 123);
    ASSERT_TRUE(rr);
    EXPECT_EQ(rr->ttl, 60u);
}

TEST(ZoneText, CaaKeepsCase) {
    auto rr = parse_record_line("@ CAA 0 issue \"LetsEncrypt.org\"", kOrigin, 300);
    ASSERT_TRUE(rr) << rr.error().message;
    EXPECT_EQ(rr->type, core::rrtype::CAA);
    EXPECT_EQ(rr->rdata, std::string("\x00\x05issueLetsEncrypt.org", 22));
    EXPECT_EQ(rdata_to_text(rr->type, rr->rdata), "0 issue \"LetsEncrypt.org\"");
}

TEST(ZoneText, NamesInRdataUncompressedWithCase) {
    auto rr = parse_record_line("alias CNAME Target", kOrigin, 300);
    ASSERT_TRUE(rr) << rr.error().message;
    EXPECT_EQ(rr->rdata, std::string(n("Target.acme.test").wire()));
    rr = parse_record_line("@ MX 10 Mail.Example.", kOrigin, 300);
    ASSERT_TRUE(rr) << rr.error().message;
    EXPECT_EQ(rr->rdata, std::string("\x00\x0a", 2) + std::string(n("Mail.Example.").wire()));
}

TEST(ZoneText, TxtWithSeveralStrings) {
    auto rr = parse_record_line("t TXT \"ab\" \"c d\"", kOrigin, 300);
    ASSERT_TRUE(rr) << rr.error().message;
    EXPECT_EQ(rr->rdata, std::string("\x02" "ab\x03" "c d", 7));
    EXPECT_EQ(rdata_to_text(core::rrtype::TXT, rr->rdata), "\"ab\" \"c d\"");
}

TEST(ZoneText, BadRecordNamesTheLineAndTheProblem) {
    const char* bad[] = {"www A 999.1.1.1", "www NOTATYPE 1", "www A", "www CAA 0 issue"};
    for (const char* line : bad) {
        auto rr = parse_record_line(line, kOrigin, 300);
        ASSERT_FALSE(rr) << line;
        EXPECT_EQ(rr.error().code, core::Errc::invalid_argument);
        EXPECT_NE(rr.error().message.find(line), std::string::npos) << rr.error().message;
        EXPECT_GT(rr.error().message.size(), std::string(line).size() + 12) << rr.error().message;
    }
    auto rr = parse_record_line("www A 999.1.1.1", kOrigin, 300);
    ASSERT_FALSE(rr);
    // ldns's own status text follows the record text.
    EXPECT_EQ(rr.error().message,
              std::string("record \"www A 999.1.1.1\": ") + ldns_get_errorstr_by_id(LDNS_STATUS_SYNTAX_RDATA_ERR));
}

TEST(ZoneText, TypeAndRdataText) {
    EXPECT_EQ(type_to_text(core::rrtype::TXT), "TXT");
    EXPECT_EQ(type_to_text(core::rrtype::CAA), "CAA");
    EXPECT_EQ(type_to_text(65000), "TYPE65000");
    EXPECT_EQ(rdata_to_text(core::rrtype::A, std::string("\xc0\x00\x02\x01", 4)), "192.0.2.1");
    EXPECT_EQ(rdata_to_text(65000, std::string("\xab\xcd", 2)), "\\# 2 abcd");
    EXPECT_EQ(rdata_to_text(core::rrtype::A, std::string("\x01", 1)), "\\# 1 01");  // malformed: generic form
}
