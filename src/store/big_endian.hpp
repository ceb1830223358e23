// store/big_endian: the fixed-width big-endian integers of the store's value encodings
// (records, journal): appended to a std::string, read from raw bytes the caller has
// bounds-checked. Big-endian keeps keys sortable with memcmp.
#pragma once

#include <cstdint>
#include <string>

namespace acmezone::store {

inline void put_u16(std::string& out, std::uint16_t v) {
    out.push_back(static_cast<char>(v >> 8));
    out.push_back(static_cast<char>(v));
}
inline void put_u32(std::string& out, std::uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>(v >> shift));
}
inline void put_u64(std::string& out, std::uint64_t v) {
    for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>(v >> shift));
}
inline std::uint16_t get_u16(const std::uint8_t* p) noexcept { return static_cast<std::uint16_t>((p[0] << 8) | p[1]); }
inline std::uint32_t get_u32(const std::uint8_t* p) noexcept {
    return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
}
inline std::uint64_t get_u64(const std::uint8_t* p) noexcept { return (std::uint64_t{get_u32(p)} << 32) | get_u32(p + 4); }

}  // namespace acmezone::store
