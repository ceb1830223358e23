#include "api/client_address.hpp"

namespace acmezone::api {

namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

// Hops in order, left to right, from every header value.
std::vector<std::string_view> split_hops(const std::vector<std::string>& forwarded) {
    std::vector<std::string_view> hops;
    for (const auto& value : forwarded) {
        std::string_view rest = value;
        for (;;) {
            const auto comma = rest.find(',');
            hops.push_back(trim(rest.substr(0, comma)));
            if (comma == std::string_view::npos) break;
            rest.remove_prefix(comma + 1);
        }
    }
    return hops;
}

ClientAddress known(const core::IpAddress& ip) { return {ip, ip.to_text()}; }

}  // namespace

bool is_trusted(const std::vector<core::Cidr>& proxies, const core::IpAddress& address) noexcept {
    for (const auto& cidr : proxies)
        if (cidr.contains(address)) return true;
    return false;
}

ClientAddress client_address(std::string_view peer, const std::vector<std::string>& forwarded,
                             const std::vector<core::Cidr>& trusted_proxies) {
    const auto peer_ip = core::parse_ip(peer);
    if (!peer_ip) return {std::nullopt, "invalid"};
    if (forwarded.empty() || !is_trusted(trusted_proxies, *peer_ip)) return known(*peer_ip);

    const auto hops = split_hops(forwarded);
    core::IpAddress client = *peer_ip;
    for (auto it = hops.rbegin(); it != hops.rend(); ++it) {
        if (it->empty()) continue;  // "a, , b": an empty element carries nothing
        const auto hop = core::parse_ip(*it);
        // Written by a proxy we trust about its own peer: garbage there means we cannot know.
        if (!hop) return {std::nullopt, "invalid"};
        client = *hop;
        if (!is_trusted(trusted_proxies, *hop)) break;
    }
    return known(client);
}

bool allowed_from(const std::vector<std::string>& allowfrom, const ClientAddress& client) {
    bool any_valid = false;
    for (const auto& entry : allowfrom) {
        auto cidr = core::parse_cidr(entry);
        if (!cidr) continue;
        any_valid = true;
        if (client.ip && cidr->contains(*client.ip)) return true;
    }
    return !any_valid;
}

}  // namespace acmezone::api
