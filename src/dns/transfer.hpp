// dns/transfer: zone transfers to secondaries over TCP: AXFR (RFC 5936) from one consistent
// snapshot (static records from the core::Zone, dynamic TXT from the store), and IXFR
// (RFC 1995) from the store's journal, falling back to a full zone inside the IXFR reply when
// the journal does not cover the client's serial. Several messages of about 16 KiB, the same
// ID, the question in the first only; TSIG-signed per RFC 8945 §5.3.1 when the request was.
// Access: [dns.transfer] addresses and/or transfer keys (never update keys); deny by default.
// Plain functions; the caller brings its own Snapshot. Thread-safe otherwise.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "core/cidr.hpp"
#include "core/zone.hpp"
#include "dns/tsig.hpp"
#include "store/snapshot.hpp"
#include "store/store.hpp"

namespace acmezone::dns {

// Who may transfer. With both lists set, a request needs both a listed address and a listed
// key; with one, that one; with neither, nobody may (deny by default).
struct TransferAcl {
    std::vector<core::Cidr> allow;       // client address ranges
    std::vector<TsigKeyMaterial> keys;   // [[dns.transfer_keys]]: separate from update keys

    bool enabled() const noexcept { return !allow.empty() || !keys.empty(); }
    // `key` is the verified key of a signed request, null for an unsigned one.
    bool permits(const std::optional<core::IpAddress>& peer, const TsigKeyMaterial* key) const noexcept;
    const TsigKeyMaterial* find_key(const core::Name& name) const noexcept;
};

struct TransferOptions {
    TransferAcl acl;
    std::uint16_t fudge = 300;           // TSIG clock skew allowed (RFC 8945 §5.2.3)
    std::size_t message_size = 16384;    // soft cap per message (RFC 5936 §2.2: several messages)
};

enum class TransferKind {
    axfr,          // the whole zone
    ixfr_current,  // the client is current: our SOA alone
    ixfr_diff,     // per-step differences from the journal
    ixfr_full,     // the journal does not cover the client: the whole zone in the IXFR reply
    refused,       // not allowed (RCODE REFUSED)
    notauth,       // TSIG failed or not our zone (RCODE NOTAUTH)
    formerr,       // malformed request
    servfail,      // the store could not be read
    ignored,       // not a request (a response): send nothing
};

struct TransferAnswer {
    TransferKind kind = TransferKind::ignored;
    std::vector<std::vector<std::uint8_t>> messages;  // unframed, in order
    std::uint32_t serial = 0;                         // the zone serial transferred
    std::size_t records = 0;                          // RRs sent (SOAs included)
};

// True for an AXFR or IXFR query (QR=0, OPCODE QUERY, QTYPE 251/252): the TCP server hands
// these to the transfer service. No allocation.
bool is_transfer_query(std::span<const std::uint8_t> msg) noexcept;

// Answers one transfer request arriving over TCP from `peer`. `snapshot` must not be active;
// it is begun and ended here. `now` is unix seconds (TSIG).
TransferAnswer answer_transfer(std::span<const std::uint8_t> query, const std::optional<core::IpAddress>& peer,
                               const core::Zone& zone, const store::Store& store, store::Snapshot& snapshot,
                               const TransferOptions& options, std::uint64_t now);

const char* transfer_kind_text(TransferKind kind) noexcept;

}  // namespace acmezone::dns
