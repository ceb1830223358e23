// core/zone: the served zone's fixed part: apex, SOA settings, NS and static records from
// config, indexed for lookups by canonical wire name. Built once (and again on reload) and
// then read-only: safe to share between threads without locks. The SOA serial and the
// dynamic TXT records live in the store, not here.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/name.hpp"
#include "core/result.hpp"
#include "core/rr.hpp"

namespace acmezone::core {

// Defaults fit ACME: challenges change by the second, so negative answers and TXT values
// must not be cached long (tens of seconds at most).
struct SoaSettings {
    std::uint32_t ttl = 30;
    std::uint32_t refresh = 300;
    std::uint32_t retry = 60;
    std::uint32_t expire = 1209600;
    std::uint32_t minimum = 10;  // negative-caching TTL (RFC 2308 §4)
};

struct ZoneSpec {
    Name apex;
    std::vector<Name> nameservers;  // NS RRset at the apex; the first is the SOA MNAME
    Name hostmaster;                // SOA RNAME, e.g. hostmaster.example.test.
    SoaSettings soa;
    std::uint32_t ns_ttl = 3600;
    std::uint32_t txt_ttl = 1;          // TTL of dynamic TXT records (acme-dns uses 1)
    std::uint32_t max_txt_per_name = 8; // hard cap on dynamic TXT values per name (bounds answer size)
    std::vector<ResourceRecord> records;  // static records, owners absolute and inside apex
};

struct StaticNode {
    Name owner;                 // as written in config (case kept)
    std::vector<RRset> rrsets;  // at most one per type
    const RRset* find(std::uint16_t type) const noexcept;
};

class Zone {
public:
    // Validates the spec: records inside the apex, no SOA or NS among static records, no
    // CNAME at the apex or beside other data, no DNAME or wildcard owners, one TTL per RRset.
    static Result<Zone> build(ZoneSpec spec);

    const Name& apex() const noexcept { return spec_.apex; }
    const ZoneSpec& spec() const noexcept { return spec_; }

    // Static data at an owner given as canonical (lower-case) wire; nullptr when none.
    const StaticNode* find(std::string_view canonical_wire) const noexcept;
    // True when some static owner lies strictly below the name (it is then an empty
    // non-terminal if it holds no data itself).
    bool has_static_descendant(std::string_view canonical_wire) const noexcept;
    // True when dynamic TXT may not live at this owner: it holds static data or is the apex.
    bool is_reserved_owner(const Name& owner) const noexcept;

    // SOA RDATA for a serial, written into out; returns its length, 0 if cap is too small.
    std::size_t write_soa_rdata(std::uint32_t serial, std::uint8_t* out, std::size_t cap) const noexcept;
    std::string soa_rdata(std::uint32_t serial) const;
    // TTL of the SOA in negative answers: min(SOA TTL, SOA MINIMUM) (RFC 2308 §5).
    std::uint32_t negative_ttl() const noexcept { return std::min(spec_.soa.ttl, spec_.soa.minimum); }

    // Every static RRset including the apex NS, in canonical order (for listing and AXFR).
    std::vector<const RRset*> all_rrsets() const;

private:
    ZoneSpec spec_;
    std::map<std::string, StaticNode, std::less<>> nodes_;  // key: canonical wire
    std::set<std::string, std::less<>> interior_;            // canonical wire of every proper ancestor of a static owner, inside the zone
    std::string soa_names_;                                  // MNAME + RNAME, wire
};

}  // namespace acmezone::core
