// store/store: the LMDB environment (one folder, created 0700) with its named databases and
// schema version. Open once per process; the CLI opens the same folder as a second process
// (LMDB is multi-process safe). A Store is thread-safe; transactions on it are not shared.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>

#include <lmdb.h>

#include "core/result.hpp"

namespace acmezone::store {

inline constexpr std::uint32_t kSchemaVersion = 1;

struct StoreOptions {
    std::filesystem::path path = "data";
    std::size_t map_size = std::size_t{1} << 30;  // bytes; LMDB's upper bound on the data file
    unsigned max_readers = 512;                    // reader-table slots (UDP workers, TCP, API, CLI)
    bool read_only = false;                        // for listing tools; opens no writer
};

class Store {
public:
    // Creates the folder (0700) and the databases on first use, checks the schema version.
    static core::Result<std::unique_ptr<Store>> open(const StoreOptions& options);
    ~Store();
    Store(const Store&) = delete;
    Store& operator=(const Store&) = delete;

    MDB_env* env() const noexcept { return env_; }
    MDB_dbi records_db() const noexcept { return records_; }
    MDB_dbi meta_db() const noexcept { return meta_; }
    MDB_dbi credentials_db() const noexcept { return credentials_; }  // username -> credential (store/credentials)
    MDB_dbi labels_db() const noexcept { return labels_; }            // lower-case label -> username
    MDB_dbi tsig_keys_db() const noexcept { return tsig_keys_; }      // canonical key name -> key (store/tsig_keys)
    MDB_dbi audit_db() const noexcept { return audit_; }              // time-ordered audit events (store/audit)
    MDB_dbi journal_db() const noexcept { return journal_; }          // commit-ordered serial steps for IXFR (store/journal); 0 if absent (read-only open)
    // False only for a read-only open of a store written before credentials existed.
    bool has_credentials() const noexcept { return credentials_ != 0 && labels_ != 0; }
    // The server's key for hashing credential secrets (core/secret_hash), created with the
    // store. Empty only for a read-only open of a store that has none yet.
    std::span<const std::uint8_t> hash_key() const noexcept { return {hash_key_.data(), hash_key_size_}; }
    const StoreOptions& options() const noexcept { return options_; }

    // Size of the data file in bytes (for metrics and health).
    std::size_t data_size() const noexcept;

private:
    Store() = default;
    static core::Status load_hash_key(MDB_txn* txn, Store& store, bool read_only);
    StoreOptions options_;
    MDB_env* env_ = nullptr;
    MDB_dbi records_ = 0;
    MDB_dbi meta_ = 0;
    MDB_dbi credentials_ = 0;
    MDB_dbi labels_ = 0;
    MDB_dbi tsig_keys_ = 0;
    MDB_dbi audit_ = 0;
    MDB_dbi journal_ = 0;
    std::array<std::uint8_t, 32> hash_key_{};
    std::size_t hash_key_size_ = 0;
};

}  // namespace acmezone::store
