// core/random: secrets and identifiers from the OS CSPRNG (OpenSSL RAND_bytes). Thread-safe.
// A failure of the generator is a broken invariant: these throw std::runtime_error.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace acmezone::core {

// acme-dns's password alphabet: 64 URL-safe symbols, so 6 random bits pick one uniformly.
inline constexpr std::string_view kPasswordAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
inline constexpr std::size_t kPasswordLength = 40;  // ~240 bits

void random_bytes(std::uint8_t* out, std::size_t size);
// RFC 9562 §5.4 version 4 UUID, lower-case, hyphenated (36 characters).
std::string random_uuid_v4();
// kPasswordLength characters drawn uniformly from kPasswordAlphabet.
std::string random_password();
// `bytes` random bytes as unpadded base64url (for admin tokens).
std::string random_token(std::size_t bytes = 32);

// Lower-case hex of bytes.
std::string to_hex(const std::uint8_t* data, std::size_t size);

}  // namespace acmezone::core
