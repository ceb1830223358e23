// store/credentials: credentials (core::Credential) and the labels they own, in the
// "credentials" (username -> versioned record) and "labels" (lower-case label -> username)
// databases. Writes are rare (registration, re-hash) and use their own short write
// transactions; TXT changes never go through here but through store::Writer. Reads use a short
// read transaction each. Thread-safe (LMDB serialises writers, readers never block).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/credential.hpp"
#include "core/result.hpp"
#include "store/store.hpp"

namespace acmezone::store {

inline constexpr std::uint8_t kCredentialFormat = 1;

// The stored value: version byte, flags, created_at, then length-prefixed fields, then
// last_used_at (optional on read: older records end before it).
std::string encode_credential(const core::Credential& credential);
// Fails (invalid_argument) on an unknown version or malformed data; `out` is overwritten.
core::Status decode_credential(std::span<const std::uint8_t> data, core::Credential& out);

// Reads one credential inside an open transaction into `out`; false when absent. For store
// code that reads and writes credentials in one transaction (credential_admin).
core::Result<bool> read_credential(MDB_txn* txn, const Store& store, std::string_view username, core::Credential& out);
// Every credential, ordered by username, read inside an open transaction.
core::Result<std::vector<core::Credential>> read_all_credentials(MDB_txn* txn, const Store& store);

class CredentialStore {
public:
    explicit CredentialStore(Store& store) : store_(store) {}

    // Adds a credential and its labels (lower-cased) in one transaction. Errc::conflict when
    // the username or any label exists already; nothing is written then.
    core::Status insert(const core::Credential& credential);

    // Reads the credential into `out` (reused by callers on the hot path); false when absent.
    core::Result<bool> find(std::string_view username, core::Credential& out) const;

    // The username owning a label (compared lower-case); nullopt when none.
    core::Result<std::optional<std::string>> owner_of(std::string_view label) const;

    // Replaces the stored secret hash, only if it still equals `expected` (another process may
    // have changed it meanwhile): true when replaced.
    core::Result<bool> update_secret_hash(std::string_view username, std::string_view expected, std::string_view new_hash);

    // Records a use at `now` (Unix seconds) unless the stored last use is less than `min_age`
    // seconds old: the hot path pays one write per credential per min_age at most. True when
    // written.
    core::Result<bool> touch(std::string_view username, std::int64_t now, std::int64_t min_age);

    // Every credential, ordered by username.
    core::Result<std::vector<core::Credential>> list() const;

private:
    Store& store_;
};

}  // namespace acmezone::store
