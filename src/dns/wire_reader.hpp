// dns/wire_reader: reads a DNS message in place (RFC 1035 §4.1): the header, the question
// and every RR of the other sections, noting the OPT RR (RFC 6891 §6.1). Never trusts a
// count or a length; names may be compressed but a pointer must point backwards, so loops
// cannot happen. No heap allocation; plain functions, thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "core/name.hpp"

namespace acmezone::dns {

inline constexpr std::size_t kHeaderSize = 12;

namespace opcode {
inline constexpr std::uint8_t QUERY = 0, IQUERY = 1, STATUS = 2, NOTIFY = 4, UPDATE = 5, DSO = 6;
}
namespace rcode {
inline constexpr std::uint16_t NOERROR = 0, FORMERR = 1, SERVFAIL = 2, NXDOMAIN = 3, NOTIMP = 4, REFUSED = 5,
                               NOTAUTH = 9, BADVERS = 16;  // BADVERS is extended (RFC 6891 §9)
}

// Flag bits of the header's second 16-bit word.
namespace flag {
inline constexpr std::uint16_t QR = 0x8000, AA = 0x0400, TC = 0x0200, RD = 0x0100, RA = 0x0080, AD = 0x0020,
                               CD = 0x0010;
}

struct Header {
    std::uint16_t id = 0;
    std::uint16_t flags = 0;
    std::uint16_t qdcount = 0, ancount = 0, nscount = 0, arcount = 0;

    bool qr() const noexcept { return (flags & flag::QR) != 0; }
    std::uint8_t opcode() const noexcept { return static_cast<std::uint8_t>((flags >> 11) & 0x0f); }
};

// False when the message is shorter than a header.
bool read_header(std::span<const std::uint8_t> msg, Header& out) noexcept;
// The OPCODE of a message, or -1 when it has no complete header; lets a caller route UPDATE
// (RFC 2136) elsewhere before any further parsing.
int peek_opcode(std::span<const std::uint8_t> msg) noexcept;

enum class NameError { none, truncated, bad_label, too_long, bad_pointer };

// A name read from a message, decompressed, in wire form as written and canonical (lower-case).
struct WireName {
    std::uint8_t wire[core::kMaxNameWire];
    std::uint8_t canonical[core::kMaxNameWire];
    std::size_t size = 0;

    std::span<const std::uint8_t> wire_span() const noexcept { return {wire, size}; }
    std::span<const std::uint8_t> canonical_span() const noexcept { return {canonical, size}; }
    bool is_root() const noexcept { return size == 1; }
};

// Reads the name at `pos`. On success `pos` moves past the name's bytes at that position (a
// pointer ends it). Pointers must target an earlier position and not the header (RFC 1035
// §4.1.4 "prior occurrence"); labels above 63 octets, the reserved label types 01/10 and
// names above 255 octets are errors.
NameError read_name(std::span<const std::uint8_t> msg, std::size_t& pos, WireName& out) noexcept;

// What the EDNS OPT RR of a query said (RFC 6891 §6.1.3).
struct Edns {
    bool present = false;
    std::uint16_t payload = 0;  // requestor's UDP payload size (CLASS field)
    std::uint8_t version = 0;
    bool do_bit = false;  // RFC 3225
};

enum class ParseError {
    none,
    bad_question,      // the first question is unreadable: nothing can be echoed
    bad_section,       // an RR after the question is unreadable (bad name, short RDATA)
    trailing_data,     // bytes after the last counted RR
    opt_not_root,      // RFC 6891 §6.1.1
    duplicate_opt,     // RFC 6891 §6.1.1: more than one OPT is FORMERR
    opt_not_additional,// an OPT in the answer or authority section
};

struct Query {
    Header header;
    bool has_question = false;     // the first question parsed
    std::size_t question_end = 0;  // offset just past the first question (QNAME..QCLASS)
    WireName qname;                // decompressed; the echo uses the original bytes
    std::uint16_t qtype = 0;
    std::uint16_t qclass = 0;
    Edns edns;
    bool has_tsig = false;  // a TSIG RR was seen (RFC 8945; verified by a later component)
};

// Parses the whole message: header, QDCOUNT questions (the first is kept), then ANCOUNT,
// NSCOUNT and ARCOUNT RRs. `msg` must hold at least a header. Fields in `out` that were
// read before an error stay filled (the question, the OPT), so errors can still echo them.
ParseError parse_query(std::span<const std::uint8_t> msg, Query& out) noexcept;

}  // namespace acmezone::dns
