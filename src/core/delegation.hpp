// core/delegation: what a customer's `_acme-challenge.<name>` CNAME says about their delegation
// to us, as a rule apart from how the CNAME was looked up (dns/delegation_check does that with
// a resolver) and how the verdict is shown (CLI table, JSON for the CLI and the admin API).
// Pure functions; no I/O.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/name.hpp"

namespace acmezone::core {

enum class DelegationState {
    delegated,         // CNAME to the label issued for this name
    missing,           // no CNAME (NXDOMAIN or NODATA): the customer removed it or never set it
    elsewhere,         // CNAME to a name outside our zone
    other_credential,  // CNAME into our zone, but to a label of another credential or of none
    error,             // the lookup failed (timeout, SERVFAIL, network): says nothing about the CNAME
};

const char* to_string(DelegationState state) noexcept;

// What the lookup found, before judging it.
struct CnameLookup {
    enum class Kind { cname, no_cname, failed } kind = Kind::failed;
    std::string target;  // Kind::cname: the CNAME target, presentation form with trailing dot
    std::string detail;  // Kind::failed: why ("timeout", "SERVFAIL", ...); otherwise the rcode seen
};

struct DelegationResult {
    std::string domain;        // normalised customer name, no trailing dot
    std::string query;         // _acme-challenge.<domain>.
    std::string expected;      // <label>.<apex>. that the CNAME should point at
    std::string username;      // the credential the label belongs to
    DelegationState state = DelegationState::error;
    std::string target;        // the CNAME target found ("" when none)
    std::string target_owner;  // other_credential: the credential owning the target label ("" when none)
    std::string detail;        // one readable sentence
};

// The username owning a label directly below the apex (lower-case), or nullopt.
using LabelOwnerLookup = std::function<std::optional<std::string>(std::string_view label)>;

// Judges `lookup` for a name whose label `expected_label` belongs to `username`. A CNAME to
// another label of the same credential counts as delegated (that credential may write there;
// the detail says which label). Fills state, target, target_owner and detail of `result`.
void classify_delegation(const CnameLookup& lookup, const Name& apex, std::string_view expected_label,
                         std::string_view username, const LabelOwnerLookup& owner_of, DelegationResult& result);

}  // namespace acmezone::core
