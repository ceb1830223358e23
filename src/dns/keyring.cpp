#include "dns/keyring.hpp"

#include "core/rr.hpp"
#include "core/scope.hpp"
#include "store/credentials.hpp"
#include "store/tsig_keys.hpp"

namespace acmezone::dns {

bool Grant::may_write(const core::Name& owner, std::uint16_t type, const core::Zone& zone) const noexcept {
    switch (kind) {
    case Kind::credential: return core::may_write(credential, owner, type, zone);
    case Kind::none: return false;
    case Kind::zone:
        return type == core::rrtype::TXT && owner.is_at_or_below(zone.apex()) && !zone.is_reserved_owner(owner);
    case Kind::names:
        if (type != core::rrtype::TXT || zone.is_reserved_owner(owner)) return false;
        for (const auto& name : names)
            if (name == owner) return true;
        return false;
    }
    return false;
}

std::optional<core::Name> Grant::alias_owner(const core::Name& requested, const core::Zone& zone) const {
    // Config keys name owners in our zone directly; only credentials carry customer names.
    if (kind != Kind::credential || credential.disabled) return std::nullopt;
    return core::alias_owner(credential, requested, zone);
}

Keyring::Keyring(std::vector<ConfigTsigKey> config_keys, store::Store* store, bool allow_hmac_md5,
                 std::vector<TsigKeyMaterial> query_only_keys)
    : config_keys_(std::move(config_keys)), query_only_keys_(std::move(query_only_keys)), store_(store), allow_md5_(allow_hmac_md5) {}

core::Result<bool> Keyring::find(const core::Name& name, ResolvedKey& out) const {
    for (const auto& configured : config_keys_) {
        if (!(configured.key.name == name)) continue;
        if (configured.key.algorithm == TsigAlgorithm::hmac_md5 && !allow_md5_) return false;
        out.key = configured.key;
        out.grant = Grant{};
        out.grant.kind = configured.zone_wide ? Grant::Kind::zone : Grant::Kind::names;
        out.grant.names = configured.names;
        out.grant.actor = "tsig:" + name.to_canonical_text();
        return true;
    }
    for (const auto& key : query_only_keys_) {
        if (!(key.name == name)) continue;
        out.key = key;
        out.grant = Grant{};
        out.grant.kind = Grant::Kind::none;
        out.grant.actor = "xfr:" + name.to_canonical_text();
        return true;
    }
    if (store_ == nullptr) return false;
    store::TsigKey stored;
    auto found = store::TsigKeyStore(*store_).find(name, stored);
    if (!found) return std::move(found).error();
    if (!*found) return false;
    const auto algorithm = tsig_algorithm_from_text(stored.algorithm);
    if (!algorithm || (*algorithm == TsigAlgorithm::hmac_md5 && !allow_md5_)) return false;
    core::Credential credential;
    auto owner = store::CredentialStore(*store_).find(stored.username, credential);
    if (!owner) return std::move(owner).error();
    if (!*owner) return false;  // a key left behind by a removed credential opens nothing
    out.key = TsigKeyMaterial{std::move(stored.name), *algorithm, std::move(stored.secret)};
    out.grant = Grant{};
    out.grant.kind = Grant::Kind::credential;
    out.grant.credential = std::move(credential);
    out.grant.actor = stored.username;
    return true;
}

}  // namespace acmezone::dns
