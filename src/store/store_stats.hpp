// store/store_stats: the size of the store and how many credentials it holds, for /metrics.
// Cheap at any size: LMDB's environment info and per-database statistics (page counts and
// entry counts kept in each B-tree's root), one short read transaction, no scan. Thread-safe.
#pragma once

#include <cstdint>

#include "core/result.hpp"
#include "store/store.hpp"

namespace acmezone::store {

struct StoreStats {
    std::uint64_t file_bytes = 0;  // the data file's size on disk
    std::uint64_t map_bytes = 0;   // the map size (store.map_size_mb): the most the file may grow to
    std::uint64_t used_bytes = 0;  // pages in use up to the high-water mark (free pages inside included)
    std::uint64_t readers = 0;     // reader-table slots in use (all processes)
    std::uint64_t max_readers = 0;
    std::uint64_t records = 0;      // record entries (one per owner name and type)
    std::uint64_t credentials = 0;  // issued credentials (disabled ones included)
    std::uint64_t labels = 0;       // labels owned by credentials
    std::uint64_t tsig_keys = 0;    // TSIG keys bound to credentials
};

// Errors: store_error when LMDB refuses (e.g. no reader slot left).
core::Result<StoreStats> read_store_stats(const Store& store);

}  // namespace acmezone::store
