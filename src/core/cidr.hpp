// core/cidr: acme-dns style address ranges ("10.0.0.0/8", "[2001:db8::]/32") for allowfrom
// lists and trusted proxies, and client addresses to match against them. Plain values; no I/O.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace acmezone::core {

// An IPv4 or IPv6 address. IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) are folded to IPv4 by
// parse_ip, so a peer on a dual-stack socket matches IPv4 ranges (as Go's net.IPNet does).
struct IpAddress {
    bool v6 = false;
    std::array<std::uint8_t, 16> bytes{};  // IPv4 uses the first 4

    std::string to_text() const;
    friend bool operator==(const IpAddress&, const IpAddress&) = default;
};

// Parses an address in presentation form (no brackets, no port, no zone). IPv4-mapped IPv6
// becomes IPv4.
std::optional<IpAddress> parse_ip(std::string_view text);

struct Cidr {
    std::string text;      // as written, brackets removed (what acme-dns stores and echoes)
    bool v6 = false;
    std::array<std::uint8_t, 16> network{};  // host bits cleared
    unsigned prefix = 0;

    bool contains(const IpAddress& address) const noexcept;
};

// acme-dns's rule: every '[' and ']' is removed first, then "IP/prefix" must parse; a bare IP
// is invalid, host bits are allowed (kept in `text`). An IPv6 range (even an IPv4-mapped one)
// never matches an IPv4 address, as in Go.
Result<Cidr> parse_cidr(std::string_view text);

// The bracket-stripping step alone.
std::string strip_brackets(std::string_view text);

}  // namespace acmezone::core
