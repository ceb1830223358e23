// dns/answer: the lookup half of the responder. Given a question inside the zone it finds
// what exists (static data in core::Zone first, then dynamic data in the store::Snapshot)
// and classifies it as an AnswerKind, with references to the RRsets to write; nothing is
// copied. No heap allocation; thread-safe as long as each thread brings its own Snapshot.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "core/rr.hpp"
#include "core/zone.hpp"
#include "dns/message_writer.hpp"
#include "store/record_codec.hpp"
#include "store/snapshot.hpp"

namespace acmezone::dns {

// RFC 1034 §4.3.2 outcomes for a name inside the zone (refused: outside it).
enum class AnswerKind { found, cname, nodata, nxdomain, refused };

// Where one RRset's RDATA comes from.
struct RRsetRef {
    enum class Source { fixed, dynamic, soa };
    Source source = Source::fixed;
    std::uint16_t type = 0;
    std::uint32_t ttl = 0;
    const core::RRset* fixed = nullptr;  // Source::fixed: a static RRset of the zone
    store::RRsetView dynamic{};          // Source::dynamic: a stored RRset
};

inline constexpr std::size_t kMaxCnameChain = 8;  // CNAMEs followed inside the zone at most

struct Answer {
    AnswerKind kind = AnswerKind::nxdomain;
    // For kind cname: how the chain ended. found also covers a target outside the zone
    // (or the chain limit): the CNAMEs alone are the answer.
    AnswerKind tail = AnswerKind::found;
    struct Entry {
        Owner owner;
        RRsetRef rrset;
    };
    Entry entries[kMaxCnameChain + 1];
    std::size_t count = 0;
};

// True when `name` equals `ancestor` or lies below it; both canonical uncompressed wire.
bool wire_is_at_or_below(std::span<const std::uint8_t> name, std::span<const std::uint8_t> ancestor) noexcept;

// Answers (qname, qtype) for a qname at or below the apex (the caller checks that). The first
// entry's owner is the question name (a pointer to offset 12). ANY follows RFC 8482.
void find_answer(const core::Zone& zone, const store::Snapshot& snapshot, std::span<const std::uint8_t> canonical_qname,
                 std::uint16_t qtype, Answer& out) noexcept;

}  // namespace acmezone::dns
