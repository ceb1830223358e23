// core/change_set: what a writer is asked to do, independent of the front door (REST,
// RFC 2136, CLI). Prerequisites are checked and operations applied by the store's writer
// inside one write transaction: all or nothing. Plain data; no I/O.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/name.hpp"

namespace acmezone::core {

// RFC 2136 §2.4 prerequisite forms.
enum class PrereqKind {
    rrset_exists,           // §2.4.1 class ANY, type T: some RRset of T at name
    rrset_exists_exactly,   // §2.4.2 class IN: RRset of T at name equals `rdatas` (as a set)
    rrset_absent,           // §2.4.3 class NONE, type T
    name_in_use,            // §2.4.4 class ANY, type ANY
    name_not_in_use,        // §2.4.5 class NONE, type ANY
};

struct Prerequisite {
    PrereqKind kind;
    Name name;
    std::uint16_t type = 0;
    std::vector<std::string> rdatas;  // only for rrset_exists_exactly
};

// RFC 2136 §2.5 update forms, restricted to what the store holds (dynamic RRsets).
enum class OpKind {
    add_rr,         // §2.5.1 add one RR (an equal RDATA only refreshes the TTL)
    delete_rrset,   // §2.5.2 delete the RRset of `type` at name
    delete_name,    // §2.5.3 delete all RRsets at name
    delete_rr,      // §2.5.4 delete the RR with `rdata`
};

struct Operation {
    OpKind kind;
    Name name;
    std::uint16_t type = 0;
    std::uint32_t ttl = 0;     // add_rr: the TTL, applied to the whole RRset (RFC 2181 §5.2)
    std::string rdata;         // add_rr, delete_rr: uncompressed wire RDATA
    std::uint32_t keep_newest = 0;  // add_rr: after adding, keep only this many newest values (0: no limit beyond the store's cap)
};

struct ChangeSet {
    std::vector<Prerequisite> prerequisites;
    std::vector<Operation> operations;
    // For the audit log: who asked and from where. Never a secret.
    std::string actor;
    std::string source;
};

struct CommitResult {
    std::uint32_t serial = 0;  // the zone serial after this change set
    bool changed = false;      // false when the operations were no-ops (serial not bumped)
};

}  // namespace acmezone::core
