// store/meta: the meta database's keys and their u32 big-endian values (schema version,
// SOA serial). Shared by Store (open), Snapshot (serial at begin) and Writer (serial bump).
#pragma once

#include <cstdint>
#include <string_view>

#include <lmdb.h>

namespace acmezone::store {

inline constexpr std::string_view kMetaSchemaVersion = "schema_version";
inline constexpr std::string_view kMetaSerial = "serial";
inline constexpr std::string_view kMetaHashKey = "hash_key";  // 32 random bytes: key of core::SecretHasher

// 0 and the value, MDB_NOTFOUND, or MDB_INCOMPATIBLE when the stored value is not 4 bytes.
inline int read_meta_u32(MDB_txn* txn, MDB_dbi dbi, std::string_view key, std::uint32_t& out) noexcept {
    MDB_val k{key.size(), const_cast<char*>(key.data())};
    MDB_val v{};
    if (int rc = mdb_get(txn, dbi, &k, &v); rc != 0) return rc;
    if (v.mv_size != 4) return MDB_INCOMPATIBLE;
    const auto* p = static_cast<const std::uint8_t*>(v.mv_data);
    out = (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
    return 0;
}

inline int write_meta_u32(MDB_txn* txn, MDB_dbi dbi, std::string_view key, std::uint32_t value) noexcept {
    std::uint8_t buf[4] = {static_cast<std::uint8_t>(value >> 24), static_cast<std::uint8_t>(value >> 16),
                           static_cast<std::uint8_t>(value >> 8), static_cast<std::uint8_t>(value)};
    MDB_val k{key.size(), const_cast<char*>(key.data())};
    MDB_val v{sizeof buf, buf};
    return mdb_put(txn, dbi, &k, &v, 0);
}

}  // namespace acmezone::store
