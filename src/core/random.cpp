#include "core/random.hpp"

#include <stdexcept>

#include <openssl/rand.h>

namespace acmezone::core {

void random_bytes(std::uint8_t* out, std::size_t size) {
    if (size == 0) return;
    if (RAND_bytes(out, static_cast<int>(size)) != 1) throw std::runtime_error("RAND_bytes failed: the OS random generator is unavailable");
}

std::string to_hex(const std::uint8_t* data, std::size_t size) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out;
    out.reserve(size * 2);
    for (std::size_t i = 0; i < size; ++i) {
        out.push_back(kDigits[data[i] >> 4]);
        out.push_back(kDigits[data[i] & 0x0f]);
    }
    return out;
}

std::string random_uuid_v4() {
    std::uint8_t b[16];
    random_bytes(b, sizeof b);
    b[6] = static_cast<std::uint8_t>((b[6] & 0x0f) | 0x40);  // version 4
    b[8] = static_cast<std::uint8_t>((b[8] & 0x3f) | 0x80);  // variant 10xx (RFC 9562 §4.1)
    const std::string hex = to_hex(b, sizeof b);
    return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" + hex.substr(16, 4) + "-" + hex.substr(20);
}

std::string random_password() {
    static_assert(kPasswordAlphabet.size() == 64, "6-bit masking needs exactly 64 symbols");
    std::uint8_t b[kPasswordLength];
    random_bytes(b, sizeof b);
    std::string out(kPasswordLength, '\0');
    // 64 symbols: the low 6 bits of a uniform byte are uniform, so no rejection is needed.
    for (std::size_t i = 0; i < kPasswordLength; ++i) out[i] = kPasswordAlphabet[b[i] & 0x3f];
    return out;
}

std::string random_token(std::size_t bytes) {
    static constexpr char kB64Url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string raw(bytes, '\0');
    random_bytes(reinterpret_cast<std::uint8_t*>(raw.data()), raw.size());
    std::string out;
    std::uint32_t acc = 0;
    int bits = 0;
    for (unsigned char c : raw) {
        acc = (acc << 8) | c;
        bits += 8;
        while (bits >= 6) {
            bits -= 6;
            out.push_back(kB64Url[(acc >> bits) & 0x3f]);
        }
    }
    if (bits > 0) out.push_back(kB64Url[(acc << (6 - bits)) & 0x3f]);
    return out;
}

}  // namespace acmezone::core
