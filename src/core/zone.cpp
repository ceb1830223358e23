#include "core/zone.hpp"

#include <algorithm>
#include <cstring>

namespace acmezone::core {

const RRset* StaticNode::find(std::uint16_t type) const noexcept {
    for (const auto& set : rrsets)
        if (set.type == type) return &set;
    return nullptr;
}

namespace {

Status add_record(std::map<std::string, StaticNode, std::less<>>& nodes, const Name& owner, std::uint16_t type,
                  std::uint32_t ttl, std::string rdata) {
    auto [it, inserted] = nodes.try_emplace(std::string(owner.canonical_wire()));
    if (inserted) it->second.owner = owner;
    auto& node = it->second;
    for (auto& set : node.rrsets) {
        if (set.type != type) continue;
        if (set.ttl != ttl)
            return make_error(Errc::invalid_argument, "records of " + owner.to_text() + " with one type must share one TTL (RFC 2181 §5.2)");
        if (std::find(set.rdatas.begin(), set.rdatas.end(), rdata) == set.rdatas.end()) set.rdatas.push_back(std::move(rdata));
        return Ok{};
    }
    node.rrsets.push_back(RRset{owner, type, ttl, {std::move(rdata)}});
    return Ok{};
}

std::string mailbox_wire(const Name& hostmaster) { return std::string(hostmaster.wire()); }

void put_u32(std::uint8_t* p, std::uint32_t v) {
    p[0] = static_cast<std::uint8_t>(v >> 24);
    p[1] = static_cast<std::uint8_t>(v >> 16);
    p[2] = static_cast<std::uint8_t>(v >> 8);
    p[3] = static_cast<std::uint8_t>(v);
}

}  // namespace

Result<Zone> Zone::build(ZoneSpec spec) {
    Zone zone;
    if (spec.apex.is_root()) return make_error(Errc::invalid_argument, "zone.name: the root cannot be served");
    if (spec.nameservers.empty()) return make_error(Errc::invalid_argument, "zone.nameservers: at least one name server is needed");
    for (const auto& ns : spec.nameservers) {
        if (auto st = add_record(zone.nodes_, spec.apex, rrtype::NS, spec.ns_ttl, std::string(ns.wire())); !st)
            return std::move(st).error();
    }
    for (const auto& rr : spec.records) {
        const std::string where = "zone.records: " + rr.owner.to_text() + ": ";
        if (!rr.owner.is_at_or_below(spec.apex)) return make_error(Errc::invalid_argument, where + "owner is outside the zone");
        if (rr.rrclass != rrclass::IN) return make_error(Errc::invalid_argument, where + "only class IN is served");
        if (rr.type == rrtype::SOA) return make_error(Errc::invalid_argument, where + "the SOA is built from [zone] settings");
        if (rr.type == rrtype::NS)
            return make_error(Errc::invalid_argument, where + (rr.owner == spec.apex ? "apex NS come from zone.nameservers" : "delegations are not supported"));
        if (rr.type == rrtype::DNAME || rrtype::is_meta(rr.type))
            return make_error(Errc::invalid_argument, where + "type not allowed in this zone");
        if (!rr.owner.labels().empty() && rr.owner.labels().front() == "*")
            return make_error(Errc::invalid_argument, where + "wildcards are not supported");
        if (rr.type == rrtype::CNAME && rr.owner == spec.apex)
            return make_error(Errc::invalid_argument, where + "CNAME at the apex is not allowed (RFC 1034 §3.6.2)");
        if (auto st = add_record(zone.nodes_, rr.owner, rr.type, rr.ttl, rr.rdata); !st) return std::move(st).error();
    }
    for (const auto& [key, node] : zone.nodes_) {
        if (node.find(rrtype::CNAME) && node.rrsets.size() > 1)
            return make_error(Errc::invalid_argument, "zone.records: " + node.owner.to_text() + ": CNAME cannot share a name with other data (RFC 2181 §10.1)");
        if (node.find(rrtype::CNAME) && node.find(rrtype::CNAME)->rdatas.size() > 1)
            return make_error(Errc::invalid_argument, "zone.records: " + node.owner.to_text() + ": only one CNAME per name");
        // Record every proper ancestor down to the apex so empty non-terminals are known.
        std::string_view wire = key;
        while (wire.size() > spec.apex.canonical_wire().size()) {
            wire.remove_prefix(1 + static_cast<std::uint8_t>(wire[0]));
            zone.interior_.emplace(wire);
        }
    }
    zone.soa_names_ = std::string(spec.nameservers.front().wire()) + mailbox_wire(spec.hostmaster);
    zone.spec_ = std::move(spec);
    return zone;
}

const StaticNode* Zone::find(std::string_view canonical_wire) const noexcept {
    auto it = nodes_.find(canonical_wire);
    return it == nodes_.end() ? nullptr : &it->second;
}

bool Zone::has_static_descendant(std::string_view canonical_wire) const noexcept {
    return interior_.find(canonical_wire) != interior_.end();
}

bool Zone::is_reserved_owner(const Name& owner) const noexcept {
    return owner == spec_.apex || find(owner.canonical_wire()) != nullptr;
}

std::size_t Zone::write_soa_rdata(std::uint32_t serial, std::uint8_t* out, std::size_t cap) const noexcept {
    const std::size_t len = soa_names_.size() + 20;
    if (cap < len) return 0;
    std::memcpy(out, soa_names_.data(), soa_names_.size());
    std::uint8_t* p = out + soa_names_.size();
    put_u32(p, serial);
    put_u32(p + 4, spec_.soa.refresh);
    put_u32(p + 8, spec_.soa.retry);
    put_u32(p + 12, spec_.soa.expire);
    put_u32(p + 16, spec_.soa.minimum);
    return len;
}

std::string Zone::soa_rdata(std::uint32_t serial) const {
    std::string out(soa_names_.size() + 20, '\0');
    write_soa_rdata(serial, reinterpret_cast<std::uint8_t*>(out.data()), out.size());
    return out;
}

std::vector<const RRset*> Zone::all_rrsets() const {
    std::vector<const RRset*> out;
    for (const auto& [key, node] : nodes_)
        for (const auto& set : node.rrsets) out.push_back(&set);
    return out;
}

}  // namespace acmezone::core
