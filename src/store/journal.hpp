// store/journal: the zone's change history for IXFR (RFC 1995). The writer appends one entry
// per serial step, inside the write transaction of the change itself, so the journal and the
// data never disagree. Entries are keyed by a commit sequence number (u64, big-endian), not
// by serial: serials wrap (RFC 1982), commit order does not. Bounded by count, bytes and age,
// trimmed from the oldest end in small budgets. Plain functions on caller-owned transactions.
//
// Value: version octet (1), serial_from (u32), serial_to (u32), committed-at unix seconds
//        (u64), deleted count (u32), added count (u32), then per RR: owner (canonical wire,
//        uncompressed), type (u16), TTL (u32), RDATA length (u16), RDATA. Big-endian.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <lmdb.h>

#include "core/result.hpp"

namespace acmezone::store {

inline constexpr std::uint8_t kJournalValueVersion = 1;

struct JournalRR {
    std::string owner;  // canonical (lower-case) uncompressed wire name
    std::uint16_t type = 0;
    std::uint32_t ttl = 0;
    std::string rdata;  // uncompressed wire RDATA
    friend bool operator==(const JournalRR&, const JournalRR&) = default;
};

// One serial step: the RRs that left the zone and those that entered it.
struct JournalEntry {
    std::uint32_t serial_from = 0;
    std::uint32_t serial_to = 0;
    std::uint64_t committed_at = 0;  // unix seconds
    std::vector<JournalRR> deleted;
    std::vector<JournalRR> added;
};

// Bounds; 0 means "no bound" for that dimension. max_entries = 0 together with the others
// at 0 keeps everything; to switch journaling off set `enabled` false.
struct JournalLimits {
    bool enabled = true;
    std::uint32_t max_entries = 10000;
    std::uint64_t max_bytes = std::uint64_t{64} << 20;
    std::uint32_t max_age_seconds = 7 * 24 * 3600;
};

std::string encode_journal_entry(const JournalEntry& entry);
core::Result<JournalEntry> decode_journal_entry(std::span<const std::uint8_t> value);

// Appends `entry` after the newest one and counts its size in meta.
core::Status append_journal(MDB_txn* txn, MDB_dbi journal, MDB_dbi meta, const JournalEntry& entry);

// Deletes the oldest entries while a bound is exceeded, at most `budget` of them; returns
// how many were deleted.
core::Result<std::size_t> trim_journal(MDB_txn* txn, MDB_dbi journal, MDB_dbi meta, const JournalLimits& limits,
                                       std::uint64_t now, std::size_t budget);

// The entries leading from `from` to `to` in commit order, when the journal holds an unbroken
// chain of steps from `from` ending at `to`; nullopt when it does not (the client then needs
// a full transfer). `from == to` gives an empty list.
core::Result<std::optional<std::vector<JournalEntry>>> journal_range(MDB_txn* txn, MDB_dbi journal, std::uint32_t from,
                                                                     std::uint32_t to);

struct JournalInfo {
    std::size_t entries = 0;
    std::uint64_t bytes = 0;
};
core::Result<JournalInfo> journal_info(MDB_txn* txn, MDB_dbi journal, MDB_dbi meta);

}  // namespace acmezone::store
