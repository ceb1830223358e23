#include "dns/delegation_check.hpp"

#include <sys/time.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <string>

#include <ldns/ldns.h>

#include "core/label_scheme.hpp"
#include "store/credentials.hpp"

namespace acmezone::dns {

namespace {

struct ResolverFree {
    void operator()(ldns_resolver* r) const noexcept { ldns_resolver_deep_free(r); }
};
struct RdfFree {
    void operator()(ldns_rdf* r) const noexcept { ldns_rdf_deep_free(r); }
};
struct PktFree {
    void operator()(ldns_pkt* p) const noexcept { ldns_pkt_free(p); }
};
struct CharFree {
    void operator()(char* p) const noexcept { std::free(p); }
};

core::CnameLookup failed(std::string detail) {
    core::CnameLookup out;
    out.kind = core::CnameLookup::Kind::failed;
    out.detail = std::move(detail);
    return out;
}

}  // namespace

core::CnameLookup lookup_cname(const ResolverOptions& options, const core::Name& name) {
    std::unique_ptr<ldns_resolver, ResolverFree> resolver(ldns_resolver_new());
    if (!resolver) return failed("cannot create a resolver (out of memory)");
    std::uint16_t port = 0;
    std::unique_ptr<ldns_rdf, RdfFree> address(ldns_sockaddr_storage2rdf(&options.resolver.addr, &port));
    if (!address || ldns_resolver_push_nameserver(resolver.get(), address.get()) != LDNS_STATUS_OK)
        return failed("bad resolver address " + options.resolver.text);
    ldns_resolver* r = resolver.get();
    ldns_resolver_set_port(r, port);
    ldns_resolver_set_recursive(r, true);  // RD=1: the resolver chases the customer's zone for us
    ldns_resolver_set_usevc(r, false);     // UDP first ...
    ldns_resolver_set_fallback(r, true);   // ... TCP when the answer is truncated
    ldns_resolver_set_igntc(r, false);
    ldns_resolver_set_dnssec(r, false);
    ldns_resolver_set_defnames(r, false);  // names are absolute: no search list
    ldns_resolver_set_dnsrch(r, false);
    ldns_resolver_set_random(r, false);
    timeval timeout{};
    timeout.tv_sec = static_cast<time_t>(options.timeout_ms / 1000);
    timeout.tv_usec = static_cast<suseconds_t>((options.timeout_ms % 1000) * 1000);
    ldns_resolver_set_timeout(r, timeout);
    ldns_resolver_set_retry(r, static_cast<std::uint8_t>(std::min<std::uint32_t>(options.retries + 1, 255)));
    ldns_resolver_set_retrans(r, 0);  // ldns sleeps this many seconds between rounds: none

    const std::string text = name.to_canonical_text();
    std::unique_ptr<ldns_rdf, RdfFree> qname(ldns_dname_new_frm_str(text.c_str()));
    if (!qname) return failed("cannot query " + text);

    ldns_pkt* raw = nullptr;
    const ldns_status status = ldns_resolver_query_status(&raw, r, qname.get(), LDNS_RR_TYPE_CNAME, LDNS_RR_CLASS_IN, LDNS_RD);
    std::unique_ptr<ldns_pkt, PktFree> reply(raw);
    if (status != LDNS_STATUS_OK || !reply)
        return failed("no answer from " + options.resolver.text + " (" + ldns_get_errorstr_by_id(status) + ")");

    const ldns_pkt_rcode rcode = ldns_pkt_get_rcode(reply.get());
    core::CnameLookup out;
    if (rcode == LDNS_RCODE_NXDOMAIN) {
        out.kind = core::CnameLookup::Kind::no_cname;
        out.detail = "NXDOMAIN";
        return out;
    }
    if (rcode != LDNS_RCODE_NOERROR) {
        const ldns_lookup_table* entry = ldns_lookup_by_id(ldns_rcodes, static_cast<int>(rcode));
        return failed(std::string(entry ? entry->name : "RCODE " + std::to_string(static_cast<int>(rcode))) + " from " +
                      options.resolver.text);
    }
    const ldns_rr_list* answer = ldns_pkt_answer(reply.get());
    for (std::size_t i = 0; answer != nullptr && i < ldns_rr_list_rr_count(answer); ++i) {
        const ldns_rr* rr = ldns_rr_list_rr(answer, i);
        if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_CNAME || ldns_rr_rd_count(rr) < 1) continue;
        if (ldns_dname_compare(ldns_rr_owner(rr), qname.get()) != 0) continue;
        std::unique_ptr<char, CharFree> target(ldns_rdf2str(ldns_rr_rdf(rr, 0)));
        if (!target) return failed("cannot read the CNAME target");
        out.kind = core::CnameLookup::Kind::cname;
        out.target = target.get();
        out.detail = "NOERROR";
        return out;
    }
    out.kind = core::CnameLookup::Kind::no_cname;
    out.detail = "NODATA";
    return out;
}

DelegationChecker::DelegationChecker(store::Store& store, std::shared_ptr<const core::Zone> zone, ResolverOptions options)
    : store_(store), zone_(std::move(zone)), options_(std::move(options)) {}

core::DelegationResult DelegationChecker::check_label(const core::Credential& credential, const core::Label& label,
                                                      std::string_view domain) const {
    const core::Name& apex = zone_->apex();
    core::DelegationResult result;
    result.domain = std::string(domain);
    result.query = "_acme-challenge." + result.domain + ".";
    result.expected = label.name + "." + apex.to_canonical_text();
    result.username = credential.username;

    auto qname = core::Name::from_text(result.query);
    if (!qname) {
        result.state = core::DelegationState::error;
        result.detail = "cannot query " + result.query + ": " + qname.error().message;
        return result;
    }
    // Follow a chain that leaves our zone (_acme-challenge.www -> _acme-challenge.example.com
    // -> <label>.<apex> is a common set-up); stop as soon as it reaches the zone or ends.
    core::CnameLookup lookup = lookup_cname(options_, *qname);
    std::string via;
    for (int hop = 0; hop < kMaxCnameHops && lookup.kind == core::CnameLookup::Kind::cname; ++hop) {
        auto target = core::Name::from_text(lookup.target);
        if (!target || target->is_at_or_below(apex)) break;
        core::CnameLookup next = lookup_cname(options_, *target);
        if (next.kind == core::CnameLookup::Kind::no_cname) break;
        via += (via.empty() ? "" : ", ") + target->to_canonical_text();
        lookup = std::move(next);
    }

    store::CredentialStore credentials(store_);
    const core::LabelOwnerLookup owner_of = [&](std::string_view name) -> std::optional<std::string> {
        auto owner = credentials.owner_of(name);
        return owner ? *owner : std::nullopt;
    };
    core::classify_delegation(lookup, apex, label.name, credential.username, owner_of, result);
    if (!via.empty()) result.detail += " (via " + via + ")";
    return result;
}

core::Result<core::DelegationResult> DelegationChecker::check(std::string_view domain, std::string_view label) const {
    auto normalised = core::normalise_customer_name(domain);
    if (!normalised) return std::move(normalised).error();
    store::CredentialStore credentials(store_);

    if (label.empty()) {
        // A scan: the labels database is keyed by label, not by customer name.
        auto all = credentials.list();
        if (!all) return std::move(all).error();
        for (const auto& credential : *all)
            for (const auto& owned : credential.labels)
                if (owned.domain == *normalised) return check_label(credential, owned, *normalised);
        return core::make_error(core::Errc::not_found, "no credential has a label for " + *normalised +
                                                           " (for an acme-dns style account, give its label)");
    }
    std::string lower(label);
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(core::fold_case(c)); });
    auto owner = credentials.owner_of(lower);
    if (!owner) return std::move(owner).error();
    if (!*owner) return core::make_error(core::Errc::not_found, "no credential owns the label " + lower);
    core::Credential credential;
    auto found = credentials.find(**owner, credential);
    if (!found) return std::move(found).error();
    const core::Label* owned = *found ? credential.find_label(lower) : nullptr;
    if (owned == nullptr) return core::make_error(core::Errc::not_found, "no credential owns the label " + lower);
    return check_label(credential, *owned, *normalised);
}

}  // namespace acmezone::dns
