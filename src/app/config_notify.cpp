#include "app/config_notify.hpp"

#include <cstring>
#include <sstream>
#include <string>

#include <netinet/in.h>

namespace acmezone::app {

using core::Errc;
using core::make_error;

namespace {

bool same_endpoint(const dns::Endpoint& a, const dns::Endpoint& b) {
    return a.len == b.len && std::memcmp(&a.addr, &b.addr, a.len) == 0;
}

// "127.0.0.1:5300" or "127.0.0.1:5300 key xfr.example." (NSD's also-notify spelling).
core::Status parse_target(const std::string& text, const std::string& where, const dns::TransferAcl& transfer,
                          dns::NotifyTarget& out) {
    std::istringstream words(text);
    std::string address, keyword, key_name, extra;
    words >> address >> keyword >> key_name >> extra;
    if (address.empty() || !extra.empty() || (!keyword.empty() && (keyword != "key" || key_name.empty())))
        return make_error(Errc::invalid_argument, where + " \"" + text + "\": expected \"address:port\" or \"address:port key NAME\"");
    auto endpoint = dns::parse_endpoint(address);
    if (!endpoint) return make_error(Errc::invalid_argument, where + " \"" + text + "\": " + endpoint.error().message);
    out.endpoint = std::move(endpoint).value();
    if (!key_name.empty()) {
        auto name = core::Name::from_text(key_name);
        const dns::TsigKeyMaterial* found = name ? transfer.find_key(*name) : nullptr;
        if (!found)
            return make_error(Errc::invalid_argument, where + " \"" + text + "\": key " + key_name +
                                                          " is not in dns.transfer.keys (define it in [[dns.transfer_keys]] and list it there)");
        out.key = *found;
    }
    return core::Ok{};
}

core::Status read_ms(const Section& s, std::string_view key, std::int64_t min, std::int64_t max, std::chrono::milliseconds& out) {
    std::uint32_t value = static_cast<std::uint32_t>(out.count());
    if (auto st = s.read_uint(key, min, max, value); !st) return st;
    out = std::chrono::milliseconds(value);
    return core::Ok{};
}

}  // namespace

core::Status read_dns_notify(const Section& dns_section, const dns::TransferAcl& transfer, dns::NotifyOptions& out) {
    auto notify = dns_section.sub_section("notify", {"targets", "retries", "initial_interval_ms", "max_interval_ms"});
    if (!notify) return std::move(notify).error();
    if (auto st = notify->check_unknown_keys(); !st) return st;
    std::vector<std::string> targets;
    if (auto st = notify->read_string_array("targets", "addresses", targets); !st) return st;
    for (std::size_t i = 0; i < targets.size(); ++i) {
        dns::NotifyTarget target;
        if (auto st = parse_target(targets[i], "dns.notify.targets[" + std::to_string(i) + "]", transfer, target); !st) return st;
        for (const auto& earlier : out.targets)
            if (same_endpoint(earlier.endpoint, target.endpoint))
                return make_error(Errc::invalid_argument, "dns.notify.targets[" + std::to_string(i) + "] \"" + targets[i] + "\": listed twice");
        out.targets.push_back(std::move(target));
    }
    if (auto st = notify->read_uint("retries", 0, 20, out.retries); !st) return st;
    if (auto st = read_ms(*notify, "initial_interval_ms", 10, 600000, out.initial_interval); !st) return st;
    if (auto st = read_ms(*notify, "max_interval_ms", 10, 3600000, out.max_interval); !st) return st;
    if (out.max_interval < out.initial_interval)
        return make_error(Errc::invalid_argument, "dns.notify.max_interval_ms must not be below dns.notify.initial_interval_ms");
    return core::Ok{};
}

core::Status read_propagation(const Section& section, const dns::NotifyOptions& notify, PropagationConfig& out) {
    if (auto st = section.check_unknown_keys(); !st) return st;
    for (const auto& target : notify.targets) out.nameservers.push_back(target.endpoint);
    std::vector<std::string> servers;
    if (auto st = section.read_string_array("nameservers", "addresses", servers); !st) return st;
    for (std::size_t i = 0; i < servers.size(); ++i) {
        auto endpoint = dns::parse_endpoint(servers[i]);
        if (!endpoint)
            return make_error(Errc::invalid_argument,
                              "propagation.nameservers[" + std::to_string(i) + "] \"" + servers[i] + "\": " + endpoint.error().message);
        bool seen = false;
        for (const auto& earlier : out.nameservers) seen = seen || same_endpoint(earlier, *endpoint);
        if (!seen) out.nameservers.push_back(std::move(endpoint).value());  // a NOTIFY target listed again is fine
    }
    if (auto st = section.read_uint("timeout_ms", 50, 60000, out.timeout_ms); !st) return st;
    if (auto st = section.read_uint("wait_timeout_ms", 0, 120000, out.wait_timeout_ms); !st) return st;
    if (auto st = section.read_bool("wait_by_default", out.wait_by_default); !st) return st;
    return core::Ok{};
}

}  // namespace acmezone::app
