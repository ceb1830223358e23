#include "core/name.hpp"

#include <gtest/gtest.h>

using acmezone::core::Name;

TEST(Name, ParsesTextWithAndWithoutTrailingDot) {
    auto a = Name::from_text("Acme.Example.TEST");
    auto b = Name::from_text("acme.example.test.");
    ASSERT_TRUE(a && b);
    EXPECT_EQ(*a, *b);
    EXPECT_EQ(a->to_text(), "Acme.Example.TEST.");
    EXPECT_EQ(a->to_canonical_text(), "acme.example.test.");
    EXPECT_EQ(a->label_count(), 3u);
}

TEST(Name, RelativeToOrigin) {
    auto zone = Name::from_text("acme.example.test").value();
    EXPECT_EQ(Name::from_text("@", zone)->to_text(), "acme.example.test.");
    EXPECT_EQ(Name::from_text("ns1", zone)->to_text(), "ns1.acme.example.test.");
    EXPECT_EQ(Name::from_text("ns1.example.net.", zone)->to_text(), "ns1.example.net.");
    EXPECT_EQ(Name::from_text("a.b", zone)->relative_text(zone), "a.b");
}

TEST(Name, RejectsBadNames) {
    EXPECT_FALSE(Name::from_text(""));
    EXPECT_FALSE(Name::from_text("a..b"));
    EXPECT_FALSE(Name::from_text(std::string(64, 'a') + ".test"));
    EXPECT_FALSE(Name::from_text("sp ace.test"));
    std::string long_name;
    for (int i = 0; i < 5; ++i) long_name += std::string(60, 'x') + ".";
    EXPECT_FALSE(Name::from_text(long_name));
    EXPECT_FALSE(Name::from_text("bad\\2"));
    EXPECT_FALSE(Name::from_text("bad\\999"));
}

TEST(Name, EscapesRoundTrip) {
    auto n = Name::from_text("a\\.b.c\\032d.test").value();
    EXPECT_EQ(n.label_count(), 3u);
    EXPECT_EQ(n.labels()[0], "a.b");
    EXPECT_EQ(n.labels()[1], "c d");
    EXPECT_EQ(Name::from_text(n.to_text()).value(), n);
}

TEST(Name, SubdomainOnLabelBoundaries) {
    auto zone = Name::from_text("acme.test").value();
    EXPECT_TRUE(Name::from_text("x.ACME.test")->is_at_or_below(zone));
    EXPECT_TRUE(zone.is_at_or_below(zone));
    EXPECT_FALSE(Name::from_text("xacme.test")->is_at_or_below(zone));
    EXPECT_FALSE(Name::from_text("test")->is_at_or_below(zone));
}

TEST(Name, FromWireValidates) {
    const std::uint8_t good[] = {3, 'F', 'o', 'o', 0};
    const std::uint8_t bad[] = {3, 'f', 'o', 0};
    auto n = Name::from_wire(good);
    ASSERT_TRUE(n);
    EXPECT_EQ(n->canonical_wire(), std::string_view("\3foo", 5));
    EXPECT_FALSE(Name::from_wire(bad));
}
