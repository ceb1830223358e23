// Helpers for the dns tests: build query messages byte by byte (so malformed ones are easy)
// and read responses with ldns, a parser independent of the code under test.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <ldns/ldns.h>

#include "core/name.hpp"

namespace acmezone::dns::test {

using Bytes = std::vector<std::uint8_t>;

inline void put16(Bytes& b, std::uint16_t v) {
    b.push_back(static_cast<std::uint8_t>(v >> 8));
    b.push_back(static_cast<std::uint8_t>(v));
}

inline void put32(Bytes& b, std::uint32_t v) {
    put16(b, static_cast<std::uint16_t>(v >> 16));
    put16(b, static_cast<std::uint16_t>(v));
}

inline void put_bytes(Bytes& b, std::string_view s) { b.insert(b.end(), s.begin(), s.end()); }

// Uncompressed wire form of a presentation name, case kept.
inline std::string wire(std::string_view text) { return std::string(core::Name::from_text(text).value().wire()); }

inline Bytes header(std::uint16_t id, std::uint16_t flags, std::uint16_t qd, std::uint16_t an, std::uint16_t ns,
                    std::uint16_t ar) {
    Bytes b;
    put16(b, id);
    put16(b, flags);
    put16(b, qd);
    put16(b, an);
    put16(b, ns);
    put16(b, ar);
    return b;
}

// An OPT RR (RFC 6891 §6.1.2) with optional raw option bytes.
inline void put_opt(Bytes& b, std::uint16_t payload, std::uint8_t version = 0, bool do_bit = false,
                    std::string_view options = {}, std::string_view owner = std::string_view("\0", 1)) {
    put_bytes(b, owner);
    put16(b, 41);
    put16(b, payload);
    put32(b, (std::uint32_t{version} << 16) | (do_bit ? 0x8000u : 0u));
    put16(b, static_cast<std::uint16_t>(options.size()));
    put_bytes(b, options);
}

struct QuerySpec {
    std::string qname = "acme.test";
    std::uint16_t qtype = 1;
    std::uint16_t qclass = 1;
    std::uint16_t id = 0x4242;
    std::uint16_t flags = 0x0100;  // RD, as stub resolvers send it
    bool edns = false;
    std::uint16_t payload = 1232;
    std::uint8_t version = 0;
    bool do_bit = false;
    std::string options;  // raw EDNS options
};

inline Bytes make_query(const QuerySpec& q) {
    Bytes b = header(q.id, q.flags, 1, 0, 0, q.edns ? 1 : 0);
    put_bytes(b, wire(q.qname));
    put16(b, q.qtype);
    put16(b, q.qclass);
    if (q.edns) put_opt(b, q.payload, q.version, q.do_bit, q.options);
    return b;
}

struct PktFree {
    void operator()(ldns_pkt* p) const noexcept { ldns_pkt_free(p); }
};
using PktPtr = std::unique_ptr<ldns_pkt, PktFree>;

inline PktPtr parse_response(const std::uint8_t* data, std::size_t size) {
    ldns_pkt* pkt = nullptr;
    if (ldns_wire2pkt(&pkt, data, size) != LDNS_STATUS_OK) return nullptr;
    return PktPtr(pkt);
}

inline std::string rdf_text(const ldns_rdf* rdf) {
    char* s = ldns_rdf2str(rdf);
    std::string out = s ? s : "";
    std::free(s);
    return out;
}

// "owner TTL TYPE rdata" of one RR, owner exactly as on the wire (case kept).
inline std::string rr_text(const ldns_rr* rr) {
    std::string out = rdf_text(ldns_rr_owner(rr)) + " " + std::to_string(ldns_rr_ttl(rr)) + " ";
    char* type = ldns_rr_type2str(ldns_rr_get_type(rr));
    out += type;
    std::free(type);
    for (std::size_t i = 0; i < ldns_rr_rd_count(rr); ++i) out += " " + rdf_text(ldns_rr_rdf(rr, i));
    return out;
}

inline std::vector<std::string> section_text(const ldns_rr_list* list) {
    std::vector<std::string> out;
    for (std::size_t i = 0; list && i < ldns_rr_list_rr_count(list); ++i) out.push_back(rr_text(ldns_rr_list_rr(list, i)));
    return out;
}

}  // namespace acmezone::dns::test
