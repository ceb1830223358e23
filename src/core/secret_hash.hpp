// core/secret_hash: how credential secrets are stored and checked. Generated secrets carry
// ~240 bits, so a keyed fast hash is enough: "hmac-sha256$<64 hex>" = HMAC-SHA-256(server key,
// secret). bcrypt hashes ($2a$/$2b$/$2y$, imported from acme-dns) are verified with libcrypt
// and should be re-hashed after a successful check (needs_rehash). Comparisons are constant
// time. Thread-safe (no shared state).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace acmezone::core {

inline constexpr std::string_view kHmacPrefix = "hmac-sha256$";
inline constexpr std::size_t kHashKeySize = 32;

class SecretHasher {
public:
    // `key` is the server's hash key (kHashKeySize bytes from the store).
    explicit SecretHasher(std::span<const std::uint8_t> key);

    // The stored form of a new secret.
    std::string hash(std::string_view secret) const;

    // True when `secret` matches `stored` (HMAC or bcrypt). Unknown formats never match.
    bool verify(std::string_view secret, std::string_view stored) const;

    // The path for an unknown username: computes the same HMAC as a real check and compares
    // it with a fixed value, so the time spent does not tell whether the user exists.
    // Always false.
    bool verify_unknown(std::string_view secret) const;

private:
    std::string key_;
};

// True when `stored` is not in the current (HMAC) scheme.
bool needs_rehash(std::string_view stored) noexcept;
bool is_bcrypt_hash(std::string_view stored) noexcept;

// bcrypt check alone (libcrypt crypt_rn); constant-time comparison of the result.
bool verify_bcrypt(std::string_view secret, std::string_view stored);

// Lower-case hex SHA-256 of data (admin tokens are high-entropy, so a plain digest is enough).
std::string sha256_hex(std::string_view data);
// Constant-time equality of two strings (length may leak, content does not).
bool constant_time_equal(std::string_view a, std::string_view b) noexcept;

}  // namespace acmezone::core
