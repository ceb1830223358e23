#include "core/scope.hpp"

#include <gtest/gtest.h>

#include "core/rr.hpp"

using namespace acmezone::core;

namespace {
Name n(const char* text) { return Name::from_text(text).value(); }

Zone test_zone() {
    ZoneSpec spec;
    spec.apex = n("acme.test");
    spec.nameservers = {n("ns1.example.net")};
    spec.hostmaster = n("hostmaster.example.net");
    spec.records.push_back({n("static.acme.test"), rrtype::TXT, rrclass::IN, 60, std::string("\1x", 2)});
    return Zone::build(spec).value();
}

Credential www_credential() {
    Credential c;
    c.username = "u1";
    c.labels = {Label{"com-example-www", "www.example.com", "reverse"}, Label{"static", "", ""}};
    return c;
}
}  // namespace

TEST(Scope, WritesOnlyTxtAtOwnLabels) {
    const Zone zone = test_zone();
    const Credential c = www_credential();
    EXPECT_TRUE(may_write(c, n("COM-example-www.acme.test"), rrtype::TXT, zone));
    EXPECT_FALSE(may_write(c, n("com-example-www.acme.test"), rrtype::A, zone));       // not TXT
    EXPECT_FALSE(may_write(c, n("com-example-other.acme.test"), rrtype::TXT, zone));   // another label
    EXPECT_FALSE(may_write(c, n("x.com-example-www.acme.test"), rrtype::TXT, zone));   // below its label
    EXPECT_FALSE(may_write(c, n("acme.test"), rrtype::TXT, zone));                     // the apex
    EXPECT_FALSE(may_write(c, n("static.acme.test"), rrtype::TXT, zone));              // a static owner, even if listed
    EXPECT_FALSE(may_write(c, n("com-example-www.other.test"), rrtype::TXT, zone));    // outside the zone
}

TEST(Scope, DisabledCredentialWritesNothing) {
    const Zone zone = test_zone();
    Credential c = www_credential();
    c.disabled = true;
    EXPECT_FALSE(may_write(c, n("com-example-www.acme.test"), rrtype::TXT, zone));
}

TEST(Scope, AliasMapsCustomerNamesToTheLabel) {
    const Zone zone = test_zone();
    const Credential c = www_credential();
    EXPECT_EQ(alias_owner(c, n("_acme-challenge.WWW.example.com"), zone), n("com-example-www.acme.test"));
    EXPECT_EQ(alias_owner(c, n("www.example.com"), zone), n("com-example-www.acme.test"));
    EXPECT_FALSE(alias_owner(c, n("_acme-challenge.example.com"), zone));
    EXPECT_FALSE(alias_owner(c, n("_acme-challenge.evil.test"), zone));
}
