#include "dns/endpoint.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace acmezone::dns {
namespace {

core::Error endpoint_error(std::string_view text, const char* what) {
    return core::make_error(core::Errc::invalid_argument,
                            "listen address \"" + std::string(text) + "\": " + what +
                                " (expected \"127.0.0.1:5353\" or \"[::1]:5353\")");
}

// Splits "host:port" / "[v6]:port" into host and port text.
bool split_host_port(std::string_view text, std::string_view& host, std::string_view& port, bool& bracketed) {
    bracketed = !text.empty() && text.front() == '[';
    if (bracketed) {
        const auto close = text.find(']');
        if (close == std::string_view::npos) return false;
        host = text.substr(1, close - 1);
        const auto rest = text.substr(close + 1);
        if (rest.empty() || rest.front() != ':') return false;
        port = rest.substr(1);
        return true;
    }
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos || text.find(':') != colon) return false;  // none, or a bare IPv6 address
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    return true;
}

}  // namespace

core::Result<Endpoint> parse_endpoint(std::string_view text) {
    std::string_view host, port_text;
    bool bracketed = false;
    if (!split_host_port(text, host, port_text, bracketed))
        return endpoint_error(text, bracketed ? "expected \"]:port\" after the IPv6 address" : "missing port");
    if (port_text.empty()) return endpoint_error(text, "missing port");
    unsigned port = 0;
    const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc{} || end != port_text.data() + port_text.size() || port == 0 || port > 65535)
        return endpoint_error(text, "port must be a number from 1 to 65535");
    if (host.empty()) return endpoint_error(text, "missing address");

    Endpoint out;
    out.text = std::string(text);
    const std::string host_text(host);
    if (bracketed) {
        auto* sa = reinterpret_cast<sockaddr_in6*>(&out.addr);
        if (inet_pton(AF_INET6, host_text.c_str(), &sa->sin6_addr) != 1) return endpoint_error(text, "not an IPv6 address");
        sa->sin6_family = AF_INET6;
        sa->sin6_port = htons(static_cast<std::uint16_t>(port));
        out.len = sizeof(sockaddr_in6);
    } else {
        auto* sa = reinterpret_cast<sockaddr_in*>(&out.addr);
        if (inet_pton(AF_INET, host_text.c_str(), &sa->sin_addr) != 1)
            return endpoint_error(text, "not an IPv4 address (write IPv6 addresses in brackets)");
        sa->sin_family = AF_INET;
        sa->sin_port = htons(static_cast<std::uint16_t>(port));
        out.len = sizeof(sockaddr_in);
    }
    return out;
}

}  // namespace acmezone::dns
