// dns/query_stats: what the Responder answered, by question type and RCODE, plus truncations,
// for /metrics. Each UDP worker and the TCP thread owns one QueryCounters block (cache-line
// aligned, written only by its thread: no lock, no shared line, no allocation) and counts every
// response from the bytes the Responder just wrote: the header and the echoed question are
// already in cache. Readers sum the blocks into a plain QueryStats. UPDATEs and TSIG-signed
// messages are not counted here (dns/update_service has their stats).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "core/counter.hpp"
#include "core/rr.hpp"

namespace acmezone::dns {

// The question types worth a series of their own; everything else is "other".
enum class QtypeBucket : std::uint8_t { a, aaaa, txt, soa, ns, caa, cname, any, other };
inline constexpr std::size_t kQtypeBuckets = 9;
// Header RCODEs 0..15, and BADVERS (16, RFC 6891 §9), the one extended RCODE the Responder sends.
inline constexpr std::size_t kRcodeBuckets = 17;
inline constexpr std::size_t kBadversBucket = 16;

// Metric label values: "A", "AAAA", ..., "other"; "NOERROR", ..., "BADVERS" ("RCODE11" for an
// unassigned code).
constexpr const char* qtype_bucket_name(std::size_t bucket) noexcept {
    constexpr const char* kNames[kQtypeBuckets] = {"A", "AAAA", "TXT", "SOA", "NS", "CAA", "CNAME", "ANY", "other"};
    return bucket < kQtypeBuckets ? kNames[bucket] : "other";
}
constexpr const char* rcode_bucket_name(std::size_t bucket) noexcept {
    // RFC 1035 §4.1.1, RFC 2136 §2.2, RFC 6891 §9.
    constexpr const char* kNames[kRcodeBuckets] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP",  "REFUSED",
                                                   "YXDOMAIN", "YXRRSET", "NXRRSET",  "NOTAUTH",  "NOTZONE", "RCODE11",
                                                   "RCODE12",  "RCODE13", "RCODE14",  "RCODE15",  "BADVERS"};
    return bucket < kRcodeBuckets ? kNames[bucket] : "other";
}

constexpr QtypeBucket qtype_bucket(std::uint16_t qtype) noexcept {
    switch (qtype) {
    case core::rrtype::A: return QtypeBucket::a;
    case core::rrtype::AAAA: return QtypeBucket::aaaa;
    case core::rrtype::TXT: return QtypeBucket::txt;
    case core::rrtype::SOA: return QtypeBucket::soa;
    case core::rrtype::NS: return QtypeBucket::ns;
    case core::rrtype::CAA: return QtypeBucket::caa;
    case core::rrtype::CNAME: return QtypeBucket::cname;
    case core::rrtype::ANY: return QtypeBucket::any;
    default: return QtypeBucket::other;
    }
}

// Totals; plain data.
struct QueryStats {
    std::array<std::uint64_t, kQtypeBuckets> by_qtype{};  // responses by question type ("other": no readable question too)
    std::array<std::uint64_t, kRcodeBuckets> by_rcode{};  // the same responses by RCODE
    std::uint64_t truncated = 0;                          // responses with TC=1

    QueryStats& operator+=(const QueryStats& o) noexcept {
        for (std::size_t i = 0; i < kQtypeBuckets; ++i) by_qtype[i] += o.by_qtype[i];
        for (std::size_t i = 0; i < kRcodeBuckets; ++i) by_rcode[i] += o.by_rcode[i];
        truncated += o.truncated;
        return *this;
    }
    std::uint64_t responses() const noexcept {
        std::uint64_t n = 0;
        for (const auto c : by_rcode) n += c;
        return n;
    }
};

// The RCODE bucket and question-type bucket of a response the Responder wrote (header, at most
// one question, then sections; the question name is never compressed). Reads a few bytes:
// the header, the question name's length octets, and for a NOERROR without records the OPT.
struct ResponseKey {
    std::size_t qtype;
    std::size_t rcode;
    bool truncated;
};

constexpr ResponseKey classify_response(std::span<const std::uint8_t> m) noexcept {
    ResponseKey key{static_cast<std::size_t>(QtypeBucket::other), 0, false};
    const std::size_t len = m.size();
    if (len < 12) return key;
    key.rcode = m[3] & 0x0fu;
    key.truncated = (m[2] & 0x02u) != 0;
    const unsigned qd = (unsigned{m[4]} << 8) | m[5];
    const unsigned an = (unsigned{m[6]} << 8) | m[7];
    const unsigned ns = (unsigned{m[8]} << 8) | m[9];
    const unsigned ar = (unsigned{m[10]} << 8) | m[11];
    if (qd >= 1) {
        std::size_t pos = 12;
        bool ended = false;
        while (pos < len) {
            const std::uint8_t label = m[pos];
            if (label == 0) {
                ++pos;
                ended = true;
                break;
            }
            if ((label & 0xc0u) != 0) break;  // not what the Responder writes: leave it "other"
            pos += std::size_t{label} + 1;
        }
        if (ended && pos + 2 <= len) key.qtype = static_cast<std::size_t>(qtype_bucket(static_cast<std::uint16_t>((m[pos] << 8) | m[pos + 1])));
    }
    // RFC 6891 §6.1.3: the upper RCODE bits live in the OPT. BADVERS is the only extended code
    // the Responder sends, always as header RCODE 0 with an empty answer and authority and the
    // bare OPT last (11 octets: root owner, type 41, class, TTL = ext-rcode|version|flags, RDLEN 0).
    if (key.rcode == 0 && an == 0 && ns == 0 && ar == 1 && len >= 12 + 11) {
        const std::uint8_t* opt = m.data() + len - 11;
        if (opt[0] == 0 && opt[1] == 0 && opt[2] == core::rrtype::OPT && opt[9] == 0 && opt[10] == 0 && opt[5] == 1)
            key.rcode = kBadversBucket;
    }
    return key;
}

// Per-thread counters; add_to() may run on any thread.
class alignas(64) QueryCounters {
public:
    void count(std::span<const std::uint8_t> response) noexcept {
        const ResponseKey key = classify_response(response);
        by_qtype_[key.qtype].add();
        by_rcode_[key.rcode].add();
        if (key.truncated) truncated_.add();
    }
    void add_to(QueryStats& out) const noexcept {
        for (std::size_t i = 0; i < kQtypeBuckets; ++i) out.by_qtype[i] += by_qtype_[i].load();
        for (std::size_t i = 0; i < kRcodeBuckets; ++i) out.by_rcode[i] += by_rcode_[i].load();
        out.truncated += truncated_.load();
    }

private:
    std::array<core::LocalCounter, kQtypeBuckets> by_qtype_{};
    std::array<core::LocalCounter, kRcodeBuckets> by_rcode_{};
    core::LocalCounter truncated_;
};

}  // namespace acmezone::dns
