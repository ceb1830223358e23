#include "core/random.hpp"

#include <gtest/gtest.h>

#include <array>
#include <regex>
#include <set>

namespace acmezone::core {
namespace {

TEST(Random, UuidV4Format) {
    const std::regex form("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
    std::set<std::string> seen;
    for (int i = 0; i < 200; ++i) {
        const std::string u = random_uuid_v4();
        EXPECT_TRUE(std::regex_match(u, form)) << u;
        seen.insert(u);
    }
    EXPECT_EQ(seen.size(), 200u);
}

TEST(Random, PasswordLengthAndAlphabet) {
    std::array<int, 64> counts{};
    const int rounds = 2000;
    for (int i = 0; i < rounds; ++i) {
        const std::string p = random_password();
        ASSERT_EQ(p.size(), kPasswordLength);
        for (char c : p) {
            const auto at = kPasswordAlphabet.find(c);
            ASSERT_NE(at, std::string_view::npos) << c;
            ++counts[at];
        }
    }
    // 80000 draws over 64 symbols: 1250 expected each; every symbol must show up in a sane
    // band (a broken mask would leave symbols unused or doubled).
    for (std::size_t i = 0; i < counts.size(); ++i) {
        EXPECT_GT(counts[i], 1000) << kPasswordAlphabet[i];
        EXPECT_LT(counts[i], 1500) << kPasswordAlphabet[i];
    }
}

TEST(Random, TokenIsBase64Url) {
    const std::string t = random_token(32);
    EXPECT_EQ(t.size(), 43u);
    EXPECT_TRUE(std::regex_match(t, std::regex("^[A-Za-z0-9_-]+$")));
    EXPECT_NE(t, random_token(32));
}

TEST(Random, Hex) {
    const std::uint8_t b[] = {0x00, 0xab, 0xff};
    EXPECT_EQ(to_hex(b, sizeof b), "00abff");
}

}  // namespace
}  // namespace acmezone::core
