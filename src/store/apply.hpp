// store/apply: one change set against the records database, inside the writer's nested
// transaction: rules first (the whole change set is refused, nothing evaluated), then the
// prerequisites (RFC 2136 §3.2), then the operations in order (RFC 2136 §3.4.2). Any
// failure leaves the caller to abort the nested transaction, so nothing is half-applied.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <lmdb.h>

#include "core/change_set.hpp"
#include "core/result.hpp"
#include "core/zone.hpp"
#include "store/journal.hpp"

namespace acmezone::store {

// What one change set did to the records database, for the journal: per record key touched,
// the encoded value before the change set (first touch) and after it (last touch); nullopt
// for "absent".
struct ChangeDiff {
    struct Values {
        std::optional<std::string> before;
        std::optional<std::string> after;
    };
    std::map<std::string, Values> keys;
    void note(std::string key, const std::optional<std::string>& before, std::optional<std::string> after);
    // The RRs removed and the RRs added, RR by RR (RFC 1995 §4 form). An RRset whose TTL
    // changed is removed whole and added whole with the new TTL.
    core::Status to_journal(std::vector<JournalRR>& deleted, std::vector<JournalRR>& added) const;
};

// True when stored data changed (the caller then bumps the serial). Prerequisite failures
// are Errc::prerequisite_failed with a message starting with the RFC 2136 RCODE name
// ("YXDOMAIN", "YXRRSET", "NXDOMAIN", "NXRRSET"), then ": " and the detail.
// `diff`, when given, collects what changed (for the journal).
core::Result<bool> apply_change_set(MDB_txn* txn, MDB_dbi records, const core::Zone& zone, const core::ChangeSet& change,
                                    std::uint64_t now, ChangeDiff* diff = nullptr);

}  // namespace acmezone::store
