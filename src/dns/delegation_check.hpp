// dns/delegation_check: is a customer's `_acme-challenge.<name>` still CNAMEd to the label we
// issued for it? Asks a configured recursive resolver ([check] resolver) with ldns (RD=1, UDP,
// TCP when truncated), follows a short CNAME chain, and judges the result with
// core::classify_delegation. Used by `acmezone check` and, injected by the app as a function,
// by the admin API's GET /admin/check (api never includes dns). Lookups block for at most
// (retries + 1) * timeout per hop. Thread-safe: every call builds its own ldns resolver.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

#include "core/credential.hpp"
#include "core/delegation.hpp"
#include "core/name.hpp"
#include "core/result.hpp"
#include "core/zone.hpp"
#include "dns/endpoint.hpp"
#include "store/store.hpp"

namespace acmezone::dns {

struct ResolverOptions {
    Endpoint resolver;             // address and port of a recursive resolver
    std::uint32_t timeout_ms = 2000;  // per attempt
    std::uint32_t retries = 1;        // further attempts after the first
};

inline constexpr int kMaxCnameHops = 8;

// One CNAME query for `name` (RD=1; TCP on a truncated UDP answer). NOERROR without a CNAME
// and NXDOMAIN are no_cname; timeouts, network errors and any other RCODE are failed.
core::CnameLookup lookup_cname(const ResolverOptions& options, const core::Name& name);

class DelegationChecker {
public:
    DelegationChecker(store::Store& store, std::shared_ptr<const core::Zone> zone, ResolverOptions options);

    // Checks `domain` (a customer name, normalised here). With an empty `label` the credential
    // is the one with a label naming `domain` (found by scanning every credential: fine for
    // thousands, an index would be needed for millions); with a label, that label's owner.
    // Errors: invalid_argument (bad name), not_found (no credential for it), store failures.
    // A failed lookup is a result with state error, not an error.
    core::Result<core::DelegationResult> check(std::string_view domain, std::string_view label = {}) const;

    // Checks one label of a known credential for the customer name `domain` (already normalised).
    core::DelegationResult check_label(const core::Credential& credential, const core::Label& label,
                                       std::string_view domain) const;

    const core::Zone& zone() const noexcept { return *zone_; }

private:
    store::Store& store_;
    std::shared_ptr<const core::Zone> zone_;
    ResolverOptions options_;
};

}  // namespace acmezone::dns
