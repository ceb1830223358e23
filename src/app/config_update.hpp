// app/config_update: the [dns.update] and [[dns.tsig_keys]] sections (RFC 2136 updates with
// TSIG): switches, clock fudge, and operator-defined keys (zone-wide or for a list of names).
// Keys issued per credential live in the store, not here. Used only while loading config.
#pragma once

#include <cstdint>
#include <vector>

#include "app/toml_section.hpp"
#include "core/result.hpp"
#include "core/zone.hpp"
#include "dns/keyring.hpp"

namespace acmezone::app {

struct DnsUpdateConfig {
    bool enabled = true;           // false: every UPDATE is REFUSED
    bool alias_mode = true;        // answer signed requests for a credential's customer names
    bool allow_hmac_md5 = false;   // RFC 8945 §6: MUST NOT be used; opt-in for legacy clients
    std::uint32_t fudge_seconds = 300;
    std::vector<dns::ConfigTsigKey> tsig_keys;
};

// Reads dns.update and dns.tsig_keys from the [dns] section (unknown keys are errors).
core::Status read_dns_update(const Section& dns_section, const core::Zone& zone, DnsUpdateConfig& out);

}  // namespace acmezone::app
