#include "core/zone.hpp"

#include <gtest/gtest.h>

using namespace acmezone::core;

namespace {
Name n(const char* text) { return Name::from_text(text).value(); }

ZoneSpec base_spec() {
    ZoneSpec spec;
    spec.apex = n("acme.test");
    spec.nameservers = {n("ns1.acme.test")};
    spec.hostmaster = n("hostmaster.example.test");
    return spec;
}
}  // namespace

TEST(Zone, IndexesStaticRecordsAndInteriorNames) {
    auto spec = base_spec();
    spec.records.push_back({n("Deep.Sub.acme.test"), rrtype::A, rrclass::IN, 300, std::string("\x7f\0\0\1", 4)});
    auto zone = Zone::build(spec);
    ASSERT_TRUE(zone) << zone.error().message;
    EXPECT_NE(zone->find(n("deep.sub.acme.test").canonical_wire()), nullptr);
    EXPECT_EQ(zone->find(n("deep.sub.acme.test").canonical_wire())->owner.to_text(), "Deep.Sub.acme.test.");
    EXPECT_TRUE(zone->has_static_descendant(n("sub.acme.test").canonical_wire()));
    EXPECT_TRUE(zone->has_static_descendant(n("acme.test").canonical_wire()));
    EXPECT_FALSE(zone->has_static_descendant(n("deep.sub.acme.test").canonical_wire()));
    ASSERT_NE(zone->find(n("acme.test").canonical_wire()), nullptr);
    EXPECT_NE(zone->find(n("acme.test").canonical_wire())->find(rrtype::NS), nullptr);
}

TEST(Zone, RejectsRecordsThatBreakTheRules) {
    auto outside = base_spec();
    outside.records.push_back({n("www.other.test"), rrtype::A, rrclass::IN, 300, std::string(4, '\1')});
    EXPECT_FALSE(Zone::build(outside));

    auto apex_cname = base_spec();
    apex_cname.records.push_back({n("acme.test"), rrtype::CNAME, rrclass::IN, 300, std::string(n("x.test").wire())});
    EXPECT_FALSE(Zone::build(apex_cname));

    auto cname_beside = base_spec();
    cname_beside.records.push_back({n("a.acme.test"), rrtype::CNAME, rrclass::IN, 300, std::string(n("x.test").wire())});
    cname_beside.records.push_back({n("a.acme.test"), rrtype::TXT, rrclass::IN, 300, std::string("\1x", 2)});
    EXPECT_FALSE(Zone::build(cname_beside));

    auto ttl_mismatch = base_spec();
    ttl_mismatch.records.push_back({n("a.acme.test"), rrtype::TXT, rrclass::IN, 300, std::string("\1x", 2)});
    ttl_mismatch.records.push_back({n("a.acme.test"), rrtype::TXT, rrclass::IN, 60, std::string("\1y", 2)});
    EXPECT_FALSE(Zone::build(ttl_mismatch));

    auto delegation = base_spec();
    delegation.records.push_back({n("sub.acme.test"), rrtype::NS, rrclass::IN, 300, std::string(n("x.test").wire())});
    EXPECT_FALSE(Zone::build(delegation));
}

TEST(Zone, SoaRdataAndNegativeTtl) {
    auto spec = base_spec();
    spec.soa.ttl = 30;
    spec.soa.minimum = 10;
    auto zone = Zone::build(spec).value();
    std::string rdata = zone.soa_rdata(2026112501);
    std::string names = std::string(n("ns1.acme.test").wire()) + std::string(n("hostmaster.example.test").wire());
    ASSERT_EQ(rdata.size(), names.size() + 20);
    EXPECT_EQ(rdata.substr(0, names.size()), names);
    EXPECT_EQ(static_cast<unsigned char>(rdata[names.size() + 3]), 2026112501u & 0xff);
    EXPECT_EQ(zone.negative_ttl(), 10u);
    EXPECT_TRUE(zone.is_reserved_owner(n("acme.test")));
}
