// app/config_rrl: the [dns.rrl] section (response rate limiting for UDP, dns/rrl) read with the
// checked Section reads of app/config; every error names its key ("dns.rrl.slip: ...").
// Used only by app/config.
#pragma once

#include "app/toml_section.hpp"
#include "core/result.hpp"
#include "dns/rrl.hpp"

namespace acmezone::app {

// Reads the [dns.rrl] table of the [dns] section into `out` (absent keys keep their defaults;
// an absent table leaves RRL off).
core::Status read_rrl(const Section& dns_section, dns::RrlOptions& out);

}  // namespace acmezone::app
