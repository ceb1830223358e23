#include "core/scope.hpp"

#include "core/rr.hpp"

namespace acmezone::core {

const Label* owned_label(const Credential& credential, const Name& owner, const Zone& zone) noexcept {
    if (owner.label_count() != zone.apex().label_count() + 1 || !owner.is_at_or_below(zone.apex())) return nullptr;
    const std::string_view canonical = owner.canonical_wire();
    const std::string_view first(canonical.data() + 1, static_cast<std::uint8_t>(canonical[0]));
    return credential.find_label(first);
}

bool may_write(const Credential& credential, const Name& owner, std::uint16_t type, const Zone& zone) noexcept {
    if (credential.disabled || type != rrtype::TXT) return false;
    return owned_label(credential, owner, zone) != nullptr && !zone.is_reserved_owner(owner);
}

std::optional<Name> alias_owner(const Credential& credential, const Name& requested, const Zone& zone) {
    for (const auto& label : credential.labels) {
        if (label.domain.empty()) continue;
        auto domain = Name::from_text(label.domain);
        if (!domain) continue;
        auto challenge = domain->prepend("_acme-challenge");
        if (requested == *domain || (challenge && requested == *challenge)) {
            auto owner = zone.apex().prepend(label.name);
            if (owner) return std::move(owner.value());
        }
    }
    return std::nullopt;
}

}  // namespace acmezone::core
