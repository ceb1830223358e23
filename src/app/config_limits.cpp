#include "app/config_limits.hpp"

#include <algorithm>
#include <set>
#include <string>

namespace acmezone::app {

using core::Errc;
using core::make_error;

core::Status read_check(const Section& section, dns::ResolverOptions& out) {
    std::string resolver = "127.0.0.1:53";
    if (auto st = section.read_string("resolver", resolver); !st) return st;
    auto endpoint = dns::parse_endpoint(resolver);
    if (!endpoint) return make_error(Errc::invalid_argument, section.key_path("resolver") + ": " + endpoint.error().message);
    out.resolver = std::move(endpoint.value());
    for (auto st : {section.read_uint("timeout_ms", 1, 60000, out.timeout_ms), section.read_uint("retries", 0, 10, out.retries)})
        if (!st) return st;
    return core::Ok{};
}

core::Status read_limits(const Section& section, const std::vector<Section>& overrides, api::RateLimitOptions& out) {
    constexpr std::int64_t kMaxRate = 1000000;
    for (auto st : {section.read_uint("update_rate", 0, kMaxRate, out.update_rate),
                    section.read_uint("update_burst", 1, kMaxRate, out.update_burst),
                    section.read_uint("auth_failures_per_minute", 0, kMaxRate, out.auth_failures_per_minute)})
        if (!st) return st;
    std::set<std::string> seen;
    for (const auto& entry : overrides) {
        if (auto st = entry.check_unknown_keys(); !st) return st;
        api::RateOverride o;
        o.rate = out.update_rate;
        o.burst = out.update_burst;
        if (auto st = entry.read_string("username", o.username, true); !st) return st;
        std::transform(o.username.begin(), o.username.end(), o.username.begin(),
                       [](unsigned char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c); });
        if (o.username.empty()) return make_error(Errc::invalid_argument, entry.key_path("username") + ": must not be empty");
        if (!seen.insert(o.username).second)
            return make_error(Errc::invalid_argument, entry.key_path("username") + ": \"" + o.username + "\" has an earlier override");
        for (auto st : {entry.read_uint("rate", 0, kMaxRate, o.rate), entry.read_uint("burst", 1, kMaxRate, o.burst)})
            if (!st) return st;
        out.overrides.push_back(std::move(o));
    }
    return core::Ok{};
}

}  // namespace acmezone::app
