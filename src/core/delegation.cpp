#include "core/delegation.hpp"

namespace acmezone::core {

const char* to_string(DelegationState state) noexcept {
    switch (state) {
        case DelegationState::delegated: return "delegated";
        case DelegationState::missing: return "missing";
        case DelegationState::elsewhere: return "elsewhere";
        case DelegationState::other_credential: return "other_credential";
        case DelegationState::error: return "error";
    }
    return "error";
}

void classify_delegation(const CnameLookup& lookup, const Name& apex, std::string_view expected_label,
                         std::string_view username, const LabelOwnerLookup& owner_of, DelegationResult& result) {
    result.target.clear();
    result.target_owner.clear();
    switch (lookup.kind) {
        case CnameLookup::Kind::failed:
            // Never "missing": a resolver that cannot answer tells us nothing about the CNAME.
            result.state = DelegationState::error;
            result.detail = "lookup failed: " + lookup.detail;
            return;
        case CnameLookup::Kind::no_cname:
            result.state = DelegationState::missing;
            result.detail = "no CNAME at " + result.query + " (" + lookup.detail + ")";
            return;
        case CnameLookup::Kind::cname: break;
    }
    result.target = lookup.target;
    auto target = Name::from_text(lookup.target);
    if (!target || !target->is_at_or_below(apex)) {
        result.state = DelegationState::elsewhere;
        result.detail = "CNAME points outside " + apex.to_canonical_text();
        return;
    }
    // In our zone: only a name exactly one label below the apex is a credential's label.
    std::string label;
    if (target->label_count() == apex.label_count() + 1) {
        label = target->to_canonical_text();
        label.resize(label.size() - apex.to_canonical_text().size() - 1);
    }
    if (!label.empty() && label == expected_label) {
        result.state = DelegationState::delegated;
        result.detail = "CNAME points at the label issued for this name";
        return;
    }
    const std::optional<std::string> owner = label.empty() ? std::nullopt : owner_of(label);
    if (owner && *owner == username) {
        result.state = DelegationState::delegated;
        result.detail = "CNAME points at label " + label + " of the same credential (not the one issued for this name)";
        return;
    }
    result.state = DelegationState::other_credential;
    if (owner) {
        result.target_owner = *owner;
        result.detail = "CNAME points at label " + label + " of another credential";
    } else {
        result.detail = "CNAME points into the zone at a name no credential owns";
    }
}

}  // namespace acmezone::core
