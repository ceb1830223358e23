#include "core/label_scheme.hpp"

#include <random>
#include <set>
#include <string>

#include <gtest/gtest.h>

namespace acmezone::core {
namespace {

TEST(LabelScheme, ParsesSchemeNames) {
    EXPECT_EQ(parse_label_scheme("uuid"), LabelScheme::uuid);
    EXPECT_EQ(parse_label_scheme("hash"), LabelScheme::hash);
    EXPECT_EQ(parse_label_scheme("reverse"), LabelScheme::reverse);
    EXPECT_FALSE(parse_label_scheme("Reverse"));
    EXPECT_FALSE(parse_label_scheme(""));
    EXPECT_STREQ(to_string(LabelScheme::reverse), "reverse");
}

TEST(LabelScheme, NormalisesNames) {
    EXPECT_EQ(normalise_customer_name("WWW.Example.COM.").value(), "www.example.com");
    EXPECT_EQ(normalise_customer_name("*.example.com").value(), "example.com");
    EXPECT_EQ(normalise_customer_name("xn--bcher-kva.example").value(), "xn--bcher-kva.example");
    // IDN: U-labels become A-labels (IDNA2008), upper case folded first.
    EXPECT_EQ(normalise_customer_name("bücher.example").value(), "xn--bcher-kva.example");
    EXPECT_EQ(normalise_customer_name("BÜCHER.example").value(), "xn--bcher-kva.example");
    EXPECT_EQ(normalise_customer_name("a-b.c").value(), "a-b.c");
}

TEST(LabelScheme, RejectsBadNamesWithAReason) {
    const auto message = [](std::string_view in) {
        auto r = normalise_customer_name(in);
        EXPECT_FALSE(r) << in;
        return r ? std::string() : r.error().message;
    };
    EXPECT_NE(message("").find("empty"), std::string::npos);
    EXPECT_NE(message("example").find("two labels"), std::string::npos);
    EXPECT_NE(message("a..example.com").find("empty label"), std::string::npos);
    EXPECT_NE(message("-a.example.com").find("start or end"), std::string::npos);
    EXPECT_NE(message("a-.example.com").find("start or end"), std::string::npos);
    EXPECT_NE(message("a_b.example.com").find("letters, digits"), std::string::npos);
    EXPECT_NE(message("www.*.example.com").find("wildcard"), std::string::npos);
    EXPECT_NE(message("a b.example.com").find("space"), std::string::npos);
    EXPECT_NE(message(std::string(64, 'a') + ".com").find("longer than 63"), std::string::npos);
    EXPECT_NE(message(std::string(200, 'a') + "." + std::string(60, 'b') + ".com").find("longer"), std::string::npos);
    EXPECT_FALSE(normalise_customer_name("\xff\xfe.example"));  // not UTF-8
}

TEST(LabelScheme, HashIsBase32OfTruncatedSha256) {
    // SHA-256("example.com") = a379a6f6eeafb9a55e378c118034e2751e682fab9f2d30ab13d2125586ce1947;
    // its first 20 bytes in base32 (RFC 4648, lower-case): computed independently with Python's
    // base64.b32encode(hashlib.sha256(b"example.com").digest()[:20]).lower().
    EXPECT_EQ(hash_label("example.com"), "un42n5xov642kxrxrqiyanhcoupgql5l");
    const std::string h = hash_label("www.example.com");
    EXPECT_EQ(h.size(), 32u);
    EXPECT_EQ(h.find_first_not_of("abcdefghijklmnopqrstuvwxyz234567"), std::string::npos);
    EXPECT_EQ(hash_label("www.example.com"), h);  // stable
}

TEST(LabelScheme, ReverseExamples) {
    EXPECT_EQ(reverse_encode("www.example.com"), "com-example-www");
    EXPECT_EQ(reverse_encode("example.com"), "com-example");
    EXPECT_EQ(reverse_encode("a-b.example.com"), "com-example-a--b");
    EXPECT_EQ(reverse_encode("xn--bcher-kva.example"), "example-xn----bcher--kva");
    // Two names a naive '-' join would merge stay apart.
    EXPECT_NE(reverse_encode("b.a-c.com"), reverse_encode("c.b.a.com"));
    EXPECT_EQ(reverse_decode("com-example-www").value(), "www.example.com");
    EXPECT_EQ(reverse_decode("example-xn----bcher--kva").value(), "xn--bcher-kva.example");
    EXPECT_FALSE(reverse_decode("com---www"));  // odd run
    EXPECT_FALSE(reverse_decode("com"));        // one label
    EXPECT_FALSE(reverse_decode("-com-x"));
    EXPECT_FALSE(reverse_decode("com-x_y"));
}

TEST(LabelScheme, MakeLabelFallsBackToHashWhenTooLong) {
    auto r = make_label("www.example.com", LabelScheme::reverse);
    EXPECT_EQ(r.label, "com-example-www");
    EXPECT_EQ(r.scheme, LabelScheme::reverse);
    EXPECT_FALSE(r.fell_back);
    const std::string long_name = std::string(40, 'a') + "." + std::string(30, 'b') + ".com";
    auto f = make_label(long_name, LabelScheme::reverse);
    EXPECT_TRUE(f.fell_back);
    EXPECT_EQ(f.scheme, LabelScheme::hash);
    EXPECT_EQ(f.label, hash_label(long_name));
    auto u = make_label("www.example.com", LabelScheme::uuid);
    EXPECT_EQ(u.label.size(), 36u);
    EXPECT_NE(u.label, make_label("www.example.com", LabelScheme::uuid).label);
}

// Random valid host names, biased towards the hard cases: '-' runs, short labels, xn--.
std::string random_name(std::mt19937_64& rng) {
    static constexpr std::string_view kAlnum = "abcdefghijklmnopqrstuvwxyz0123456789";
    std::uniform_int_distribution<int> labels_n(2, 5), len(1, 12), pick(0, 99), ch(0, static_cast<int>(kAlnum.size()) - 1);
    std::string name;
    const int n = labels_n(rng);
    for (int l = 0; l < n; ++l) {
        std::string label;
        const int size = len(rng);
        for (int i = 0; i < size; ++i) label.push_back(pick(rng) < 35 ? '-' : kAlnum[static_cast<std::size_t>(ch(rng))]);
        if (pick(rng) < 10) label = "xn--" + label;
        // Host name rule: no '-' at either end.
        while (!label.empty() && label.front() == '-') label.erase(0, 1);
        while (!label.empty() && label.back() == '-') label.pop_back();
        if (label.empty()) label = std::string(1, kAlnum[static_cast<std::size_t>(ch(rng))]);
        if (!name.empty()) name.push_back('.');
        name += label;
    }
    return name;
}

TEST(LabelScheme, ReverseRoundTripsAndNeverCollides) {
    std::mt19937_64 rng(20240601);
    std::set<std::string> names;
    std::set<std::string> encodings;
    for (int i = 0; i < 20000; ++i) {
        const std::string name = random_name(rng);
        ASSERT_TRUE(normalise_customer_name(name)) << name;
        const std::string encoded = reverse_encode(name);
        // A valid label body: [a-z0-9-], alnum at both ends.
        ASSERT_EQ(encoded.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-"), std::string::npos) << encoded;
        ASSERT_NE(encoded.front(), '-');
        ASSERT_NE(encoded.back(), '-');
        auto decoded = reverse_decode(encoded);
        ASSERT_TRUE(decoded) << name << " -> " << encoded;
        ASSERT_EQ(*decoded, name);
        if (names.insert(name).second) {
            // A new name must give a new encoding (injective).
            ASSERT_TRUE(encodings.insert(encoded).second) << "collision at " << name << " -> " << encoded;
        }
    }
    EXPECT_GT(names.size(), 15000u);
}

}  // namespace
}  // namespace acmezone::core
