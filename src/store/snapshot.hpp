// store/snapshot: a consistent read view of the records (one LMDB read transaction, MVCC:
// readers never block the writer or each other). One Snapshot per thread, reused: begin()
// renews the transaction, end() resets it; no heap allocation on either, nor on lookups,
// so it can sit on the query hot path. Views returned point into the map and stay valid
// until end(). Not thread-safe; opened with MDB_NOTLS so it may move between threads.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string_view>

#include "core/name.hpp"
#include "core/result.hpp"
#include "store/record_codec.hpp"
#include "store/store.hpp"

namespace acmezone::store {

class Snapshot {
public:
    explicit Snapshot(const Store& store);
    ~Snapshot();
    Snapshot(const Snapshot&) = delete;
    Snapshot& operator=(const Snapshot&) = delete;

    core::Status begin() noexcept;  // start (or renew) the read transaction
    void end() noexcept;            // reset it; views become invalid
    bool active() const noexcept { return active_; }

    std::uint32_t serial() const noexcept { return serial_; }  // SOA serial read at begin()

    // `canonical_wire` is a lower-case, uncompressed wire name (see core::Name::canonical_wire).
    RRsetView find(std::span<const std::uint8_t> canonical_wire, std::uint16_t type) const noexcept;
    bool has_any(std::span<const std::uint8_t> canonical_wire) const noexcept;          // some RRset at exactly this name
    bool has_descendants(std::span<const std::uint8_t> canonical_wire) const noexcept;  // some RRset strictly below

    // Visits every stored RRset in key order (names ordered by reversed labels). For CLI
    // listing and zone transfers; allocates, not for the hot path.
    void for_each(const std::function<void(const core::Name& owner, std::uint16_t type, const RRsetView& rrset)>& visit) const;

private:
    const Store& store_;
    MDB_txn* txn_ = nullptr;             // kept across end()/begin() (reset, then renewed)
    mutable MDB_cursor* cursor_ = nullptr;  // opened once, renewed per begin(): seeks allocate nothing
    bool active_ = false;
    std::uint32_t serial_ = 0;
};

}  // namespace acmezone::store
