// api/client_address: which address an /update comes from, for allowfrom checks and logs. The
// TCP peer, unless the peer is a configured trusted proxy: then X-Forwarded-For is read from the
// right, skipping trusted proxies, and the first untrusted hop is the client. (acme-dns accepts
// any listed address, so a client could prepend an allowed one; entries left of the first
// untrusted hop are never looked at here.) Pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/cidr.hpp"

namespace acmezone::api {

struct ClientAddress {
    std::optional<core::IpAddress> ip;  // nullopt: unknown (a malformed forwarded hop)
    std::string text;                   // for logs: the address, or "invalid"
};

bool is_trusted(const std::vector<core::Cidr>& proxies, const core::IpAddress& address) noexcept;

// `peer` as the HTTP layer reports it; `forwarded` holds every X-Forwarded-For header value in
// order (a request may carry several).
ClientAddress client_address(std::string_view peer, const std::vector<std::string>& forwarded,
                             const std::vector<core::Cidr>& trusted_proxies);

// True when allowfrom lets the client in: no valid entry (anywhere, as acme-dns), or one that
// contains the client's address. Invalid stored entries are ignored, as acme-dns does.
bool allowed_from(const std::vector<std::string>& allowfrom, const ClientAddress& client);

}  // namespace acmezone::api
