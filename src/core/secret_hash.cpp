#include "core/secret_hash.hpp"

#include <crypt.h>

#include <array>
#include <cstring>
#include <memory>
#include <stdexcept>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "core/random.hpp"

namespace acmezone::core {

namespace {

using Digest = std::array<std::uint8_t, 32>;

Digest hmac_sha256(std::string_view key, std::string_view data) {
    Digest out{};
    unsigned int len = 0;
    if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
             data.size(), out.data(), &len) == nullptr ||
        len != out.size())
        throw std::runtime_error("HMAC-SHA-256 failed");
    return out;
}

int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// Decodes "hmac-sha256$<64 hex>"; false when malformed.
bool decode_hmac_hash(std::string_view stored, Digest& out) noexcept {
    if (!stored.starts_with(kHmacPrefix)) return false;
    const std::string_view hex = stored.substr(kHmacPrefix.size());
    if (hex.size() != out.size() * 2) return false;
    for (std::size_t i = 0; i < out.size(); ++i) {
        const int hi = hex_value(hex[2 * i]);
        const int lo = hex_value(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) return false;
        out[i] = static_cast<std::uint8_t>(hi << 4 | lo);
    }
    return true;
}

}  // namespace

bool constant_time_equal(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string sha256_hex(std::string_view data) {
    std::uint8_t digest[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
    return to_hex(digest, sizeof digest);
}

bool is_bcrypt_hash(std::string_view stored) noexcept {
    return stored.size() == 60 && (stored.starts_with("$2a$") || stored.starts_with("$2b$") || stored.starts_with("$2y$"));
}

bool needs_rehash(std::string_view stored) noexcept { return !stored.starts_with(kHmacPrefix); }

bool verify_bcrypt(std::string_view secret, std::string_view stored) {
    if (!is_bcrypt_hash(stored)) return false;
    // crypt needs NUL-terminated input: a secret with an embedded NUL cannot be the real one.
    if (secret.find('\0') != std::string_view::npos) return false;
    const std::string secret_z(secret);
    const std::string setting_z(stored);
    // struct crypt_data is ~32 KiB: on the heap, not on a server thread's stack.
    auto data = std::make_unique<crypt_data>();
    std::memset(data.get(), 0, sizeof(crypt_data));
    const char* out = crypt_rn(secret_z.c_str(), setting_z.c_str(), data.get(), sizeof(crypt_data));
    if (out == nullptr || out[0] == '*') return false;
    return constant_time_equal(std::string_view(out), stored);
}

SecretHasher::SecretHasher(std::span<const std::uint8_t> key)
    : key_(reinterpret_cast<const char*>(key.data()), key.size()) {
    if (key.size() < 16) throw std::invalid_argument("secret hash key too short");
}

std::string SecretHasher::hash(std::string_view secret) const {
    const Digest d = hmac_sha256(key_, secret);
    return std::string(kHmacPrefix) + to_hex(d.data(), d.size());
}

bool SecretHasher::verify(std::string_view secret, std::string_view stored) const {
    if (stored.starts_with(kHmacPrefix)) {
        Digest expected{};
        const Digest actual = hmac_sha256(key_, secret);
        if (!decode_hmac_hash(stored, expected)) return false;
        return CRYPTO_memcmp(expected.data(), actual.data(), expected.size()) == 0;
    }
    return verify_bcrypt(secret, stored);
}

bool SecretHasher::verify_unknown(std::string_view secret) const {
    static const Digest kDummy{};  // no HMAC output is all zeros in practice
    const Digest actual = hmac_sha256(key_, secret);
    volatile bool same = CRYPTO_memcmp(kDummy.data(), actual.data(), actual.size()) == 0;
    (void)same;
    return false;
}

}  // namespace acmezone::core
