#include "store/snapshot.hpp"

#include <cstring>
#include <string>

#include "store/meta.hpp"
#include "store/lmdb_error.hpp"
#include "store/txn.hpp"

namespace acmezone::store {

namespace {

// True when the key the cursor landed on starts with prefix[0..len).
bool starts_with(const MDB_val& key, const std::uint8_t* prefix, std::size_t len) noexcept {
    return key.mv_size >= len && std::memcmp(key.mv_data, prefix, len) == 0;
}

}  // namespace

Snapshot::Snapshot(const Store& store) : store_(store) {}

Snapshot::~Snapshot() {
    // A read-only transaction's cursor must be closed explicitly, before or after its txn.
    if (cursor_) mdb_cursor_close(cursor_);
    if (txn_) mdb_txn_abort(txn_);
}

core::Status Snapshot::begin() noexcept {
    if (active_) end();
    int rc = 0;
    if (txn_ == nullptr) {
        rc = mdb_txn_begin(store_.env(), nullptr, MDB_RDONLY, &txn_);
        if (rc != 0) txn_ = nullptr;
    } else {
        rc = mdb_txn_renew(txn_);
    }
    if (rc != 0) {
        try {
            return lmdb_error(rc, "starting a read transaction");
        } catch (...) {
            return core::make_error(core::Errc::store_error, {});
        }
    }
    rc = cursor_ ? mdb_cursor_renew(txn_, cursor_) : mdb_cursor_open(txn_, store_.records_db(), &cursor_);
    if (rc != 0) {
        mdb_txn_reset(txn_);
        try {
            return lmdb_error(rc, "positioning a read cursor");
        } catch (...) {
            return core::make_error(core::Errc::store_error, {});
        }
    }
    active_ = true;
    // A store always has a serial (written at creation); 0 only if meta was tampered with.
    serial_ = 0;
    std::uint32_t serial = 0;
    if (read_meta_u32(txn_, store_.meta_db(), kMetaSerial, serial) == 0) serial_ = serial;
    return core::Ok{};
}

void Snapshot::end() noexcept {
    if (!active_) return;
    mdb_txn_reset(txn_);
    active_ = false;
}

RRsetView Snapshot::find(std::span<const std::uint8_t> canonical_wire, std::uint16_t type) const noexcept {
    if (!active_ || !core::is_valid_uncompressed_wire(canonical_wire)) return {};
    std::uint8_t key[kMaxKeySize];
    MDB_val k{encode_record_key(canonical_wire, type, key), key};
    MDB_val v{};
    if (mdb_get(txn_, store_.records_db(), &k, &v) != 0) return {};
    return RRsetView(std::span<const std::uint8_t>(static_cast<const std::uint8_t*>(v.mv_data), v.mv_size));
}

bool Snapshot::has_any(std::span<const std::uint8_t> canonical_wire) const noexcept {
    if (!active_ || !core::is_valid_uncompressed_wire(canonical_wire)) return false;
    // Every RRset at the name has the key name_key + 0x00 + type; the first key at or after
    // name_key + 0x00 tells whether one exists.
    std::uint8_t key[kMaxKeySize];
    std::size_t n = encode_name_key(canonical_wire, key);
    key[n++] = 0x00;
    MDB_val k{n, key};
    MDB_val v{};
    if (mdb_cursor_get(cursor_, &k, &v, MDB_SET_RANGE) != 0) return false;
    return starts_with(k, key, n);
}

bool Snapshot::has_descendants(std::span<const std::uint8_t> canonical_wire) const noexcept {
    if (!active_ || !core::is_valid_uncompressed_wire(canonical_wire)) return false;
    // A descendant's key is name_key followed by a label length (>= 1), so the descendants
    // are exactly the keys from name_key + 0x01 that still start with name_key.
    std::uint8_t key[kMaxKeySize];
    const std::size_t n = encode_name_key(canonical_wire, key);
    key[n] = 0x01;
    MDB_val k{n + 1, key};
    MDB_val v{};
    if (mdb_cursor_get(cursor_, &k, &v, MDB_SET_RANGE) != 0) return false;
    return starts_with(k, key, n);
}

void Snapshot::for_each(const std::function<void(const core::Name&, std::uint16_t, const RRsetView&)>& visit) const {
    if (!active_) return;
    // Its own cursor, so a visitor may call has_any()/has_descendants() meanwhile.
    auto cursor = Cursor::open(txn_, store_.records_db());
    if (!cursor) return;
    MDB_val k{};
    MDB_val v{};
    std::string wire;
    for (int rc = mdb_cursor_get(cursor->get(), &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cursor->get(), &k, &v, MDB_NEXT)) {
        std::uint16_t type = 0;
        if (!decode_record_key(std::span<const std::uint8_t>(static_cast<const std::uint8_t*>(k.mv_data), k.mv_size), wire, type))
            continue;  // not a record key; nothing we wrote
        auto owner = core::Name::from_wire(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(wire.data()), wire.size()));
        if (!owner) continue;
        RRsetView view(std::span<const std::uint8_t>(static_cast<const std::uint8_t*>(v.mv_data), v.mv_size));
        if (view.empty()) continue;
        visit(*owner, type, view);
    }
}

}  // namespace acmezone::store
