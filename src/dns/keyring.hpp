// dns/keyring: which TSIG key may write what. Keys come from config first (zone-wide or a list
// of names, for operators), then from the store (store::TsigKeyStore: key -> credential ->
// core::may_write, issued by `acmezone credential issue` / the admin API). The store is read
// with short read transactions on each lookup, so keys issued by another process work at once.
// Immutable after construction; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/credential.hpp"
#include "core/name.hpp"
#include "core/result.hpp"
#include "core/zone.hpp"
#include "dns/tsig.hpp"
#include "store/store.hpp"

namespace acmezone::dns {

// A key from [[dns.tsig_keys]]: zone-wide (TXT at any non-reserved owner of the zone) or a
// list of owners (absolute names inside the zone).
struct ConfigTsigKey {
    TsigKeyMaterial key;
    bool zone_wide = false;
    std::vector<core::Name> names;
};

// What a verified key may do.
struct Grant {
    enum class Kind { zone, names, credential, none };  // none: a zone-transfer key, signs queries only
    Kind kind = Kind::names;
    std::vector<core::Name> names;  // Kind::names
    core::Credential credential;    // Kind::credential
    std::string actor;              // for the audit log: "tsig:<key>" or the username

    // True when this grant may add/delete records of `type` at `owner` (TXT only, never a
    // reserved owner: the apex, static records).
    bool may_write(const core::Name& owner, std::uint16_t type, const core::Zone& zone) const noexcept;
    // Alias mode: the owner in our zone standing for a customer name of the credential.
    std::optional<core::Name> alias_owner(const core::Name& requested, const core::Zone& zone) const;
};

struct ResolvedKey {
    TsigKeyMaterial key;
    Grant grant;
};

class Keyring {
public:
    // `store` may be null (config keys only). hmac-md5 keys are unknown unless allowed.
    // `query_only_keys` ([[dns.transfer_keys]]) verify signed queries (a secondary's SOA
    // check) but write nothing: their grant is Kind::none, so an UPDATE signed with one is REFUSED.
    Keyring(std::vector<ConfigTsigKey> config_keys, store::Store* store, bool allow_hmac_md5,
            std::vector<TsigKeyMaterial> query_only_keys = {});

    // False when no usable key has this name (unknown, md5 not allowed, or a stored key whose
    // credential is gone): the caller answers BADKEY. Errors are store failures.
    core::Result<bool> find(const core::Name& name, ResolvedKey& out) const;

private:
    std::vector<ConfigTsigKey> config_keys_;
    std::vector<TsigKeyMaterial> query_only_keys_;
    store::Store* store_;
    bool allow_md5_;
};

}  // namespace acmezone::dns
