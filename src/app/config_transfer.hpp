// app/config_transfer: zone transfers and the journal: [dns.transfer] (who may AXFR/IXFR),
// [[dns.transfer_keys]] (TSIG keys for secondaries, never usable for updates), [zone.journal]
// (IXFR history bounds) and [zone.soa] serial_policy. Used only while loading config.
#pragma once

#include <vector>

#include "app/config_update.hpp"
#include "app/toml_section.hpp"
#include "core/result.hpp"
#include "dns/transfer.hpp"
#include "store/journal.hpp"
#include "store/writer.hpp"

namespace acmezone::app {

// Reads dns.transfer and dns.transfer_keys from the [dns] section. A transfer key may not
// share its name with an update key (dns.tsig_keys), so one can never stand for the other.
core::Status read_dns_transfer(const Section& dns_section, const DnsUpdateConfig& update, dns::TransferAcl& out);

// Reads zone.journal (a sub-table of [zone]) and zone.soa.serial_policy.
core::Status read_journal_and_serial(const Section& zone_section, const Section& soa_section, store::JournalLimits& journal,
                                     store::SerialPolicy& policy);

}  // namespace acmezone::app
