// dns/zone_text: zone-file syntax for the static records in config ("ns1 A 127.0.0.1",
// "@ CAA 0 issue \"letsencrypt.org\""), parsed with ldns into core::ResourceRecord with
// uncompressed wire RDATA. Owner names are relative to the zone unless they end with a dot;
// case is kept. Thread-safe (no shared state).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/name.hpp"
#include "core/result.hpp"
#include "core/rr.hpp"

namespace acmezone::dns {

// "<owner> [ttl] [class] <type> <rdata...>"; the error message names what is wrong.
core::Result<core::ResourceRecord> parse_record_line(std::string_view line, const core::Name& origin,
                                                     std::uint32_t default_ttl);

// Presentation text of one RR's RDATA ("0 issue \"letsencrypt.org\""), for listings.
std::string rdata_to_text(std::uint16_t type, std::string_view rdata);
// Mnemonic of a type ("TXT", "TYPE65000").
std::string type_to_text(std::uint16_t type);

}  // namespace acmezone::dns
