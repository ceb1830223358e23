// app/config_limits: the config sections for operations rather than serving: [check] (the
// resolver the delegation check asks) and [limits] (rate limits on the REST API), read with the
// same checked Section reads as the rest of app/config. Used only by app/config.
#pragma once

#include <vector>

#include "api/rate_limit.hpp"
#include "app/toml_section.hpp"
#include "core/result.hpp"
#include "dns/delegation_check.hpp"

namespace acmezone::app {

inline constexpr std::uint32_t kMaxTxtAgeSeconds = 10U * 365 * 86400;  // ten years; 0 = keep forever

// [check]: resolver ("host:port", default "127.0.0.1:53"), timeout_ms, retries.
core::Status read_check(const Section& section, dns::ResolverOptions& out);

// [limits]: update_rate, update_burst, auth_failures_per_minute, and [[limits.override]]
// entries (username, rate, burst).
core::Status read_limits(const Section& section, const std::vector<Section>& overrides, api::RateLimitOptions& out);

}  // namespace acmezone::app
