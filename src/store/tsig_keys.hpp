// store/tsig_keys: TSIG keys (RFC 8945) in the "tsig_keys" database, keyed by the key's
// canonical name. A key is bound to the credential (username) whose labels it may update;
// keys defined in config are not stored here. The secret must be kept usable (HMAC needs it),
// so it is stored as is: the store folder is 0700 and the secret is never logged or listed.
// Writes use short write transactions of their own; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/name.hpp"
#include "core/result.hpp"
#include "store/store.hpp"

namespace acmezone::store {

struct TsigKey {
    core::Name name;        // e.g. com-example-www.acme.example.net. (case kept)
    std::string algorithm;  // "hmac-sha256", "hmac-sha1", "hmac-sha224", "hmac-sha384", "hmac-sha512", "hmac-md5"
    std::string secret;     // raw key bytes (not base64)
    std::string username;   // the credential it acts for

    friend bool operator==(const TsigKey&, const TsigKey&) = default;
};

class TsigKeyStore {
public:
    explicit TsigKeyStore(Store& store) : store_(store) {}

    // Errc::conflict when a key with that name exists; nothing is written then.
    core::Status insert(const TsigKey& key);
    // Reads the key into `out` (reused by callers on the update path); false when absent.
    core::Result<bool> find(const core::Name& name, TsigKey& out) const;
    // Removes one key; false when there was none.
    core::Result<bool> remove(const core::Name& name);
    // Removes every key bound to `username` (revoking a credential); the number removed.
    core::Result<std::size_t> remove_for(std::string_view username);
    // Every key bound to `username`.
    core::Result<std::vector<TsigKey>> list_for(std::string_view username) const;

private:
    Store& store_;
};

}  // namespace acmezone::store
