// core/scope: what a credential may write, checked the same way by every front door (REST,
// RFC 2136, CLI on behalf of a credential). A credential may write TXT records only at
// <label>.<apex> for the labels it owns, and nothing at all while disabled. Pure functions.
#pragma once

#include <cstdint>
#include <optional>

#include "core/credential.hpp"
#include "core/name.hpp"
#include "core/zone.hpp"

namespace acmezone::core {

// The label owned by `credential` that `owner` is (owner == <label>.<apex>), or nullptr.
const Label* owned_label(const Credential& credential, const Name& owner, const Zone& zone) noexcept;

// True when `credential` may add or delete records of `type` at `owner`.
bool may_write(const Credential& credential, const Name& owner, std::uint16_t type, const Zone& zone) noexcept;

// Alias mode (for clients that do not follow the customer's CNAME, e.g. certbot-dns-rfc2136):
// when `requested` is one of the credential's customer names or its _acme-challenge name,
// the owner in our zone that stands for it (<label>.<apex>); nullopt otherwise.
std::optional<Name> alias_owner(const Credential& credential, const Name& requested, const Zone& zone);

}  // namespace acmezone::core
