// store/txt_expiry: optional expiry of TXT values (zone.txt_max_age_seconds). ACME challenge
// values are needed for minutes; acme-dns keeps them forever. This finds the TXT RRs added
// before a cutoff (each RR keeps its added-at time, see store/record_codec) and turns them into
// one ChangeSet of delete_rr operations for the writer, so expiry follows the one write path
// (serial bump, journal, audit). Reads one snapshot; thread-safe like Snapshot per call.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/change_set.hpp"
#include "core/result.hpp"
#include "core/zone.hpp"
#include "store/store.hpp"

namespace acmezone::store {

// A change set deleting at most `max_ops` TXT RRs whose added-at time is before `cutoff` (Unix
// seconds), oldest names first in key order; no operations when nothing is that old. A value
// re-added between this read and the commit is deleted too if its RDATA is equal: the window is
// one sweep, and a client re-posting an expired value posts it again on its next attempt.
// Owners `zone` reserves (apex, static records: the writer refuses changes there) are skipped,
// so one stray record left from an older configuration cannot block every sweep.
core::Result<core::ChangeSet> expired_txt_changes(const Store& store, const core::Zone& zone, std::uint64_t cutoff,
                                                  std::size_t max_ops = 10000);

}  // namespace acmezone::store
