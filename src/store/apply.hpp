// store/apply: one change set against the records database, inside the writer's nested
// transaction: rules first (the whole change set is refused, nothing evaluated), then the
// prerequisites (RFC 2136 §3.2), then the operations in order (RFC 2136 §3.4.2). Any
// failure leaves the caller to abort the nested transaction, so nothing is half-applied.
#pragma once

#include <cstdint>

#include <lmdb.h>

#include "core/change_set.hpp"
#include "core/result.hpp"
#include "core/zone.hpp"

namespace acmezone::store {

// True when stored data changed (the caller then bumps the serial). Prerequisite failures
// are Errc::prerequisite_failed with a message starting with the RFC 2136 RCODE name
// ("YXDOMAIN", "YXRRSET", "NXDOMAIN", "NXRRSET"), then ": " and the detail.
core::Result<bool> apply_change_set(MDB_txn* txn, MDB_dbi records, const core::Zone& zone, const core::ChangeSet& change,
                                    std::uint64_t now);

}  // namespace acmezone::store
