#include "dns/update.hpp"

#include <algorithm>
#include <map>
#include <utility>

#include "core/rr.hpp"
#include "core/txt.hpp"

namespace acmezone::dns {

namespace {

std::uint16_t get_u16(std::span<const std::uint8_t> m, std::size_t at) noexcept {
    return static_cast<std::uint16_t>((m[at] << 8) | m[at + 1]);
}

bool read_owner(std::span<const std::uint8_t> msg, std::size_t& pos, core::Name& out) {
    WireName name;
    if (read_name(msg, pos, name) != NameError::none) return false;
    auto parsed = core::Name::from_wire(name.wire_span());
    if (!parsed) return false;
    out = std::move(parsed).value();
    return true;
}

bool read_rr(std::span<const std::uint8_t> msg, std::size_t& pos, UpdateRR& out) {
    if (!read_owner(msg, pos, out.owner) || pos + 10 > msg.size()) return false;
    out.type = get_u16(msg, pos);
    out.rrclass = get_u16(msg, pos + 2);
    out.ttl = (std::uint32_t{get_u16(msg, pos + 4)} << 16) | get_u16(msg, pos + 6);
    const std::size_t rdlength = get_u16(msg, pos + 8);
    pos += 10;
    if (pos + rdlength > msg.size()) return false;
    out.rdata.assign(reinterpret_cast<const char*>(msg.data() + pos), rdlength);
    pos += rdlength;
    return true;
}

bool is_dnssec(std::uint16_t type) noexcept {
    using namespace core::rrtype;
    return type == DS || type == RRSIG || type == NSEC || type == DNSKEY || type == NSEC3 || type == 51 /*NSEC3PARAM*/;
}

bool is_xfr_or_mail(std::uint16_t type) noexcept {
    using namespace core::rrtype;
    return type == AXFR || type == IXFR || type == MAILA || type == MAILB;
}

PreparedUpdate fail(std::uint16_t rc, std::string detail) {
    PreparedUpdate p;
    p.rcode = rc;
    p.detail = std::move(detail);
    return p;
}

// Where a name of the message lands in our zone: itself (normal mode) or, in alias mode, the
// credential's label standing for the customer name.
struct OwnerMap {
    const core::Zone& zone;
    const Grant& grant;
    const core::Name& zone_name;
    bool alias;

    bool in_zone(const core::Name& owner) const noexcept { return owner.is_at_or_below(zone_name); }
    std::optional<core::Name> map(const core::Name& owner) const {
        if (!alias) return owner;
        return grant.alias_owner(owner, zone);
    }
};

}  // namespace

std::uint16_t parse_update(std::span<const std::uint8_t> msg, unsigned additional, UpdateMessage& out) {
    if (!read_header(msg, out.header)) return rcode::FORMERR;
    // RFC 2136 §3.1.1: exactly one zone.
    if (out.header.qdcount != 1) return rcode::FORMERR;
    std::size_t pos = kHeaderSize;
    if (!read_owner(msg, pos, out.zone) || pos + 4 > msg.size()) return rcode::FORMERR;
    out.zone_type = get_u16(msg, pos);
    out.zone_class = get_u16(msg, pos + 2);
    pos += 4;
    out.zone_end = pos;
    try {
        out.prerequisites.resize(out.header.ancount);
        for (auto& rr : out.prerequisites)
            if (!read_rr(msg, pos, rr)) return rcode::FORMERR;
        out.updates.resize(out.header.nscount);
        for (auto& rr : out.updates)
            if (!read_rr(msg, pos, rr)) return rcode::FORMERR;
        UpdateRR extra;
        for (unsigned i = 0; i < additional; ++i)
            if (!read_rr(msg, pos, extra)) return rcode::FORMERR;
    } catch (const std::bad_alloc&) {
        return rcode::SERVFAIL;
    }
    return pos == msg.size() ? rcode::NOERROR : rcode::FORMERR;
}

PreparedUpdate prepare_update(const UpdateMessage& m, const core::Zone& zone, const Grant& grant, bool alias_mode) {
    using namespace core;
    // RFC 2136 §3.1: the zone section.
    if (m.zone_type != rrtype::SOA) return fail(rcode::FORMERR, "zone section type is not SOA");
    bool alias = false;
    if (!(m.zone == zone.apex()) || m.zone_class != rrclass::IN) {
        alias = alias_mode && m.zone_class == rrclass::IN && grant.alias_owner(m.zone, zone).has_value();
        if (!alias) return fail(rcode::NOTAUTH, "not authoritative for " + m.zone.to_text());
    }
    // Coarse permission before anything that could reveal data (dns-standards §2.1 step 4).
    if (grant.kind == Grant::Kind::credential && grant.credential.disabled)
        return fail(rcode::REFUSED, "credential " + grant.credential.username + " is disabled");
    const OwnerMap owners{zone, grant, m.zone, alias};

    PreparedUpdate out;
    // §3.2: prerequisites. Value-dependent ones are grouped by (name, type) into one set.
    std::map<std::pair<std::string, std::uint16_t>, std::size_t> exact;
    for (const auto& rr : m.prerequisites) {
        if (rr.ttl != 0) return fail(rcode::FORMERR, "prerequisite with TTL " + std::to_string(rr.ttl));
        if (!owners.in_zone(rr.owner)) return fail(rcode::NOTZONE, rr.owner.to_text() + " is outside the zone");
        Prerequisite p{PrereqKind::rrset_exists, rr.owner, rr.type, {}};
        if (rr.rrclass == rrclass::ANY || rr.rrclass == rrclass::NONE) {
            if (!rr.rdata.empty()) return fail(rcode::FORMERR, "prerequisite of class ANY/NONE with RDATA");
            const bool any = rr.rrclass == rrclass::ANY;
            if (rr.type == rrtype::ANY)
                p.kind = any ? PrereqKind::name_in_use : PrereqKind::name_not_in_use;
            else
                p.kind = any ? PrereqKind::rrset_exists : PrereqKind::rrset_absent;
        } else if (rr.rrclass == m.zone_class) {
            if (rrtype::is_meta(rr.type)) return fail(rcode::FORMERR, "prerequisite of a meta type with RDATA");
            p.kind = PrereqKind::rrset_exists_exactly;
        } else {
            return fail(rcode::FORMERR, "prerequisite of class " + std::to_string(rr.rrclass));
        }
        // A key sees only its own names: prerequisites elsewhere would let it probe the zone.
        auto mapped = owners.map(rr.owner);
        if (!mapped || !grant.may_write(*mapped, rrtype::TXT, zone))
            return fail(rcode::REFUSED, "prerequisite on " + rr.owner.to_text() + " is outside the key's scope");
        p.name = std::move(*mapped);
        if (p.kind == PrereqKind::rrset_exists_exactly) {
            const auto key = std::make_pair(std::string(p.name.canonical_wire()), p.type);
            const auto it = exact.find(key);
            if (it != exact.end()) {
                auto& rdatas = out.change.prerequisites[it->second].rdatas;
                if (std::find(rdatas.begin(), rdatas.end(), rr.rdata) == rdatas.end()) rdatas.push_back(rr.rdata);
                continue;
            }
            p.rdatas.push_back(rr.rdata);
            exact.emplace(key, out.change.prerequisites.size());
        }
        out.change.prerequisites.push_back(std::move(p));
    }

    // §3.4.1: pre-scan every update RR before anything changes.
    for (const auto& rr : m.updates) {
        if (!owners.in_zone(rr.owner)) return fail(rcode::NOTZONE, rr.owner.to_text() + " is outside the zone");
        if (rr.rrclass == m.zone_class) {
            if (rrtype::is_meta(rr.type)) return fail(rcode::FORMERR, "cannot add a meta type");
        } else if (rr.rrclass == rrclass::ANY) {
            if (rr.ttl != 0 || !rr.rdata.empty() || is_xfr_or_mail(rr.type))
                return fail(rcode::FORMERR, "class ANY delete with TTL, RDATA or a transfer type");
            if (rrtype::is_meta(rr.type) && rr.type != rrtype::ANY) return fail(rcode::FORMERR, "class ANY delete of a meta type");
        } else if (rr.rrclass == rrclass::NONE) {
            if (rr.ttl != 0 || rr.type == rrtype::ANY || rrtype::is_meta(rr.type))
                return fail(rcode::FORMERR, "class NONE delete with TTL or a meta type");
        } else {
            return fail(rcode::FORMERR, "update of class " + std::to_string(rr.rrclass));
        }
        if (rr.type == rrtype::TXT && !rr.rdata.empty() && !is_valid_txt_rdata(rr.rdata))
            return fail(rcode::FORMERR, "malformed TXT RDATA at " + rr.owner.to_text());
    }

    // The key's scope: every RR, or nothing (REFUSED, nothing changed).
    for (const auto& rr : m.updates) {
        const bool delete_name = rr.rrclass == rrclass::ANY && rr.type == rrtype::ANY;
        const std::uint16_t type = delete_name ? rrtype::TXT : rr.type;  // only TXT is ever dynamic
        auto mapped = owners.map(rr.owner);
        if (is_dnssec(rr.type) || !mapped || !grant.may_write(*mapped, type, zone))
            return fail(rcode::REFUSED, "the key may not change " + std::to_string(rr.type) + " at " + rr.owner.to_text());
        Operation op{OpKind::add_rr, std::move(*mapped), rr.type, 0, {}, 0};
        if (rr.rrclass == rrclass::ANY) {
            op.kind = delete_name ? OpKind::delete_name : OpKind::delete_rrset;
        } else if (rr.rrclass == rrclass::NONE) {
            op.kind = OpKind::delete_rr;
            op.rdata = rr.rdata;
        } else {
            op.ttl = rr.ttl;
            op.rdata = rr.rdata;
        }
        out.change.operations.push_back(std::move(op));
    }
    out.change.actor = grant.actor;
    return out;
}

std::uint16_t commit_rcode(const core::Result<core::CommitResult>& result) noexcept {
    if (result) return rcode::NOERROR;
    const auto& e = result.error();
    const auto starts = [&e](std::string_view prefix) { return std::string_view(e.message).substr(0, prefix.size()) == prefix; };
    switch (e.code) {
    case core::Errc::prerequisite_failed:
        if (starts("YXDOMAIN")) return rcode::YXDOMAIN;
        if (starts("YXRRSET")) return rcode::YXRRSET;
        if (starts("NXDOMAIN")) return rcode::NXDOMAIN;
        if (starts("NXRRSET")) return rcode::NXRRSET;
        return rcode::SERVFAIL;
    case core::Errc::invalid_argument: return starts("NOTZONE") ? rcode::NOTZONE : rcode::REFUSED;
    case core::Errc::forbidden:
    case core::Errc::conflict: return rcode::REFUSED;
    default: return rcode::SERVFAIL;
    }
}

}  // namespace acmezone::dns
