// dns/update: RFC 2136 UPDATE messages. parse_update reads the zone, prerequisite and update
// sections (names decompressed, RDATA copied raw); prepare_update runs the checks that need no
// data (zone section §3.1, prerequisite forms §3.2, pre-scan §3.4.1, the key's scope) and turns
// the message into a core::ChangeSet; the store's writer then checks the prerequisites and
// applies it in one transaction. commit_rcode maps the writer's result to the RCODE. Pure
// functions; thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/change_set.hpp"
#include "core/name.hpp"
#include "core/result.hpp"
#include "core/zone.hpp"
#include "dns/keyring.hpp"
#include "dns/wire_reader.hpp"

namespace acmezone::dns {

namespace rcode {  // RFC 2136 §2.2
inline constexpr std::uint16_t YXDOMAIN = 6, YXRRSET = 7, NXRRSET = 8, NOTZONE = 10;
}

struct UpdateRR {
    core::Name owner;
    std::uint16_t type = 0;
    std::uint16_t rrclass = 0;
    std::uint32_t ttl = 0;
    std::string rdata;  // as received (TXT has no names inside, so no decompression is needed)
};

struct UpdateMessage {
    Header header;
    std::size_t zone_end = 0;  // offset past the first zone-section entry (for echoing it)
    core::Name zone;
    std::uint16_t zone_type = 0;
    std::uint16_t zone_class = 0;
    std::vector<UpdateRR> prerequisites;  // RFC 2136 §2.4 (the answer section)
    std::vector<UpdateRR> updates;        // §2.5 (the authority section)
};

// `msg` is the message without its TSIG; `additional` is how many additional RRs remain in it.
// Returns NOERROR, or FORMERR for anything unreadable (ZOCOUNT 0 included).
std::uint16_t parse_update(std::span<const std::uint8_t> msg, unsigned additional, UpdateMessage& out);

struct PreparedUpdate {
    std::uint16_t rcode = rcode::NOERROR;  // NOERROR: submit `change`
    std::string detail;                    // why, for the log (never a secret)
    core::ChangeSet change;
};

// `alias_mode`: a zone name that is one of the credential's customer names is accepted and
// its _acme-challenge name mapped to the credential's label (core::alias_owner).
PreparedUpdate prepare_update(const UpdateMessage& message, const core::Zone& zone, const Grant& grant, bool alias_mode);

// NOERROR after a commit; YXDOMAIN/YXRRSET/NXDOMAIN/NXRRSET for a failed prerequisite,
// NOTZONE, REFUSED for scope and caps, SERVFAIL for storage failures.
std::uint16_t commit_rcode(const core::Result<core::CommitResult>& result) noexcept;

}  // namespace acmezone::dns
