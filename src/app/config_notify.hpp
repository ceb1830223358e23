// app/config_notify: [dns.notify] (the NOTIFY sender's targets, retries and intervals) and
// [propagation] (the nameservers the propagation check asks, its time-outs, and whether admin
// updates wait for propagation by default). Used only while loading config.
#pragma once

#include <cstdint>
#include <vector>

#include "app/toml_section.hpp"
#include "core/result.hpp"
#include "dns/endpoint.hpp"
#include "dns/notify.hpp"
#include "dns/transfer.hpp"

namespace acmezone::app {

struct PropagationConfig {
    std::vector<dns::Endpoint> nameservers;  // [dns.notify] targets, then [propagation] nameservers, no duplicates
    std::uint32_t timeout_ms = 2000;         // per SOA/TXT query
    std::uint32_t wait_timeout_ms = 10000;   // bound on ?wait_propagation=1
    bool wait_by_default = false;            // admin TXT updates wait without being asked
};

// Reads dns.notify (a sub-table of [dns]). Target keys name keys of dns.transfer_keys that are
// listed in dns.transfer.keys (the keys the secondaries transfer with).
core::Status read_dns_notify(const Section& dns_section, const dns::TransferAcl& transfer, dns::NotifyOptions& out);

// Reads [propagation] (absent -> defaults); the NOTIFY targets come first in the list.
core::Status read_propagation(const Section& section, const dns::NotifyOptions& notify, PropagationConfig& out);

}  // namespace acmezone::app
