#include "core/secret_hash.hpp"

#include <gtest/gtest.h>

#include <array>

#include "core/random.hpp"

namespace acmezone::core {
namespace {

// Made with python3 crypt (libcrypt), salt 20gsaNqb/vVtD0fp9DmSdO, for this 40-char password.
constexpr std::string_view kPassword = "Pa55word-of-forty-characters_01234567890";
constexpr std::string_view kBcrypt2a = "$2a$10$20gsaNqb/vVtD0fp9DmSdOoU5k0adgkdlyE1Nq8BfZZY2oGY96Hq6";
constexpr std::string_view kBcrypt2b = "$2b$04$20gsaNqb/vVtD0fp9DmSdOGva25epL/E6KY6M.72YsYXuQcDoM3/S";
constexpr std::string_view kBcrypt2y = "$2y$04$20gsaNqb/vVtD0fp9DmSdOGva25epL/E6KY6M.72YsYXuQcDoM3/S";

std::array<std::uint8_t, 32> key(std::uint8_t fill) {
    std::array<std::uint8_t, 32> k{};
    k.fill(fill);
    return k;
}

TEST(SecretHash, HmacRoundTrip) {
    const auto k = key(7);
    SecretHasher hasher(k);
    const std::string stored = hasher.hash(kPassword);
    EXPECT_TRUE(stored.starts_with("hmac-sha256$"));
    EXPECT_EQ(stored.size(), 12u + 64u);
    EXPECT_TRUE(hasher.verify(kPassword, stored));
    EXPECT_FALSE(hasher.verify("Pa55word-of-forty-characters_01234567891", stored));
    EXPECT_FALSE(hasher.verify("", stored));
    EXPECT_FALSE(needs_rehash(stored));
    // Keyed: another server key gives another hash, and the old one no longer verifies.
    const auto k2 = key(8);
    SecretHasher other(k2);
    EXPECT_NE(other.hash(kPassword), stored);
    EXPECT_FALSE(other.verify(kPassword, stored));
}

TEST(SecretHash, KnownHmacVector) {
    // Checked with: echo -n "what do ya want for nothing?" | openssl dgst -sha256 -hmac JefeJefeJefeJefe
    SecretHasher hasher(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>("JefeJefeJefeJefe"), 16));
    EXPECT_EQ(hasher.hash("what do ya want for nothing?"),
              "hmac-sha256$2ccd85dfc8d18cb5d84fef4b198554699fece6e8692c9147b0da983f5b7bd413");
}

TEST(SecretHash, MalformedStoredHashesNeverVerify) {
    const auto k = key(1);
    SecretHasher hasher(k);
    const std::string good = hasher.hash(kPassword);
    EXPECT_FALSE(hasher.verify(kPassword, good.substr(0, good.size() - 1)));
    EXPECT_FALSE(hasher.verify(kPassword, good + "0"));
    EXPECT_FALSE(hasher.verify(kPassword, "hmac-sha256$" + std::string(64, 'z')));
    EXPECT_FALSE(hasher.verify(kPassword, ""));
    EXPECT_FALSE(hasher.verify(kPassword, kPassword));  // plaintext is not a hash
    EXPECT_FALSE(hasher.verify(kPassword, "$1$abc$def"));
}

TEST(SecretHash, BcryptFromAcmeDns) {
    const auto k = key(2);
    SecretHasher hasher(k);
    for (auto stored : {kBcrypt2a, kBcrypt2b, kBcrypt2y}) {
        EXPECT_TRUE(is_bcrypt_hash(stored));
        EXPECT_TRUE(needs_rehash(stored));
        EXPECT_TRUE(hasher.verify(kPassword, stored)) << stored;
        EXPECT_FALSE(hasher.verify("Pa55word-of-forty-characters_01234567891", stored)) << stored;
        EXPECT_FALSE(hasher.verify(std::string(kPassword) + std::string(1, '\0'), stored));
    }
    std::string truncated(kBcrypt2a.substr(0, 59));
    EXPECT_FALSE(hasher.verify(kPassword, truncated));
}

TEST(SecretHash, UnknownUserPathIsAlwaysFalse) {
    const auto k = key(3);
    SecretHasher hasher(k);
    EXPECT_FALSE(hasher.verify_unknown(kPassword));
    EXPECT_FALSE(hasher.verify_unknown(""));
}

TEST(SecretHash, Sha256AndConstantTimeEqual) {
    EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_TRUE(constant_time_equal("abc", "abc"));
    EXPECT_FALSE(constant_time_equal("abc", "abd"));
    EXPECT_FALSE(constant_time_equal("abc", "abcd"));
    EXPECT_TRUE(constant_time_equal("", ""));
}

TEST(SecretHash, ShortKeyRejected) {
    const std::uint8_t k[4] = {};
    EXPECT_THROW(SecretHasher{std::span<const std::uint8_t>(k, 4)}, std::invalid_argument);
}

}  // namespace
}  // namespace acmezone::core
