#include "dns/wire_reader.hpp"

#include "core/rr.hpp"

namespace acmezone::dns {
namespace {

std::uint16_t get_u16(std::span<const std::uint8_t> msg, std::size_t pos) noexcept {
    return static_cast<std::uint16_t>((msg[pos] << 8) | msg[pos + 1]);
}

std::uint32_t get_u32(std::span<const std::uint8_t> msg, std::size_t pos) noexcept {
    return (std::uint32_t{msg[pos]} << 24) | (std::uint32_t{msg[pos + 1]} << 16) | (std::uint32_t{msg[pos + 2]} << 8) |
           std::uint32_t{msg[pos + 3]};
}

// Fixed part of an RR after its owner: TYPE, CLASS, TTL, RDLENGTH.
constexpr std::size_t kRRFixed = 10;

struct RRHead {
    WireName owner;
    std::uint16_t type = 0;
    std::uint16_t rrclass = 0;
    std::uint32_t ttl = 0;
};

// Reads one RR and moves `pos` past its RDATA.
bool read_rr(std::span<const std::uint8_t> msg, std::size_t& pos, RRHead& rr) noexcept {
    if (read_name(msg, pos, rr.owner) != NameError::none) return false;
    if (msg.size() - pos < kRRFixed) return false;
    rr.type = get_u16(msg, pos);
    rr.rrclass = get_u16(msg, pos + 2);
    rr.ttl = get_u32(msg, pos + 4);
    const std::size_t rdlength = get_u16(msg, pos + 8);
    pos += kRRFixed;
    if (msg.size() - pos < rdlength) return false;
    pos += rdlength;
    return true;
}

// RFC 6891 §6.1.3: CLASS is the payload size, TTL holds extended RCODE, VERSION and DO.
ParseError note_opt(const RRHead& rr, Edns& edns) noexcept {
    if (edns.present) return ParseError::duplicate_opt;
    if (!rr.owner.is_root()) return ParseError::opt_not_root;
    edns.present = true;
    edns.payload = rr.rrclass;
    edns.version = static_cast<std::uint8_t>(rr.ttl >> 16);
    edns.do_bit = (rr.ttl & 0x8000) != 0;
    return ParseError::none;
}

ParseError read_question(std::span<const std::uint8_t> msg, std::size_t& pos, Query& out, bool first) noexcept {
    WireName scratch;
    WireName& name = first ? out.qname : scratch;
    if (read_name(msg, pos, name) != NameError::none) return first ? ParseError::bad_question : ParseError::bad_section;
    if (msg.size() - pos < 4) return first ? ParseError::bad_question : ParseError::bad_section;
    if (first) {
        out.qtype = get_u16(msg, pos);
        out.qclass = get_u16(msg, pos + 2);
        out.question_end = pos + 4;
        out.has_question = true;
    }
    pos += 4;
    return ParseError::none;
}

ParseError read_records(std::span<const std::uint8_t> msg, std::size_t& pos, unsigned count, bool additional,
                        Query& out) noexcept {
    RRHead rr;
    for (unsigned i = 0; i < count; ++i) {
        if (!read_rr(msg, pos, rr)) return ParseError::bad_section;
        if (rr.type == core::rrtype::OPT) {
            if (!additional) return ParseError::opt_not_additional;
            if (auto err = note_opt(rr, out.edns); err != ParseError::none) return err;
        } else if (rr.type == core::rrtype::TSIG && additional) {
            out.has_tsig = true;
        }
    }
    return ParseError::none;
}

}  // namespace

bool read_header(std::span<const std::uint8_t> msg, Header& out) noexcept {
    if (msg.size() < kHeaderSize) return false;
    out.id = get_u16(msg, 0);
    out.flags = get_u16(msg, 2);
    out.qdcount = get_u16(msg, 4);
    out.ancount = get_u16(msg, 6);
    out.nscount = get_u16(msg, 8);
    out.arcount = get_u16(msg, 10);
    return true;
}

int peek_opcode(std::span<const std::uint8_t> msg) noexcept {
    if (msg.size() < kHeaderSize) return -1;
    return (msg[2] >> 3) & 0x0f;
}

NameError read_name(std::span<const std::uint8_t> msg, std::size_t& pos, WireName& out) noexcept {
    std::size_t cursor = pos;
    std::size_t limit = pos;  // a pointer must target strictly before this (RFC 1035 §4.1.4)
    bool jumped = false;
    out.size = 0;
    for (;;) {
        if (cursor >= msg.size()) return NameError::truncated;
        const std::uint8_t len = msg[cursor];
        if ((len & 0xc0) == 0xc0) {
            if (cursor + 1 >= msg.size()) return NameError::truncated;
            const std::size_t target = static_cast<std::size_t>(((len & 0x3f) << 8) | msg[cursor + 1]);
            if (target >= limit || target < kHeaderSize) return NameError::bad_pointer;
            if (!jumped) pos = cursor + 2;
            jumped = true;
            limit = target;
            cursor = target;
            continue;
        }
        if (len > core::kMaxLabel) return NameError::bad_label;  // 01 and 10 label types are reserved
        if (out.size + 1 + len > core::kMaxNameWire) return NameError::too_long;
        if (cursor + 1 + len > msg.size()) return NameError::truncated;
        for (std::size_t i = 0; i <= len; ++i) {
            const std::uint8_t c = msg[cursor + i];
            out.wire[out.size + i] = c;
            out.canonical[out.size + i] = core::fold_case(c);  // length octets are < 64: unchanged
        }
        out.size += 1 + len;
        cursor += 1 + len;
        if (len == 0) break;
    }
    if (!jumped) pos = cursor;
    return NameError::none;
}

ParseError parse_query(std::span<const std::uint8_t> msg, Query& out) noexcept {
    out = Query{};
    if (!read_header(msg, out.header)) return ParseError::bad_question;
    std::size_t pos = kHeaderSize;
    for (unsigned i = 0; i < out.header.qdcount; ++i)
        if (auto err = read_question(msg, pos, out, i == 0); err != ParseError::none) return err;
    if (auto err = read_records(msg, pos, out.header.ancount, false, out); err != ParseError::none) return err;
    if (auto err = read_records(msg, pos, out.header.nscount, false, out); err != ParseError::none) return err;
    if (auto err = read_records(msg, pos, out.header.arcount, true, out); err != ParseError::none) return err;
    return pos == msg.size() ? ParseError::none : ParseError::trailing_data;
}

}  // namespace acmezone::dns
