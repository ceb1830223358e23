// core/rr: resource records as plain data. RDATA is kept in uncompressed wire form, exactly
// as it goes on the wire (names inside RDATA keep their case). No I/O; safe to share.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/name.hpp"

namespace acmezone::core {

namespace rrtype {
inline constexpr std::uint16_t A = 1, NS = 2, CNAME = 5, SOA = 6, PTR = 12, HINFO = 13, MX = 15, TXT = 16,
                               AAAA = 28, SRV = 33, DNAME = 39, OPT = 41, DS = 43, RRSIG = 46, NSEC = 47,
                               DNSKEY = 48, NSEC3 = 50, TKEY = 249, TSIG = 250, IXFR = 251, AXFR = 252,
                               MAILB = 253, MAILA = 254, ANY = 255, CAA = 257;
// Meta and question-only types that never name stored data (RFC 6895 §3.1).
constexpr bool is_meta(std::uint16_t t) noexcept { return t == OPT || (t >= 128 && t <= 255); }
}  // namespace rrtype

namespace rrclass {
inline constexpr std::uint16_t IN = 1, CH = 3, NONE = 254, ANY = 255;
}

struct ResourceRecord {
    Name owner;
    std::uint16_t type = 0;
    std::uint16_t rrclass = rrclass::IN;
    std::uint32_t ttl = 0;
    std::string rdata;  // uncompressed wire RDATA
};

// All records of one owner and type share one TTL (RFC 2181 §5.2).
struct RRset {
    Name owner;
    std::uint16_t type = 0;
    std::uint32_t ttl = 0;
    std::vector<std::string> rdatas;
};

}  // namespace acmezone::core
