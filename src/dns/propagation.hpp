// dns/propagation: "has every nameserver got it yet?" (dns-standards §4.6). For each configured
// nameserver (the NOTIFY targets plus [propagation] nameservers) it asks, with RD=0 and a
// bounded time-out (UDP, TCP when truncated), for the zone's SOA and the TXT RRset at a label's
// owner, and compares with the primary's own snapshot: serial caught up (RFC 1982: theirs >=
// ours) and the same TXT values. Servers are asked in parallel. Thread-safe (const methods).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/name.hpp"
#include "core/result.hpp"
#include "core/zone.hpp"
#include "dns/endpoint.hpp"
#include "store/store.hpp"

namespace acmezone::dns {

struct PropagationOptions {
    std::vector<Endpoint> nameservers;         // deduplicated by the app
    std::chrono::milliseconds timeout{2000};   // per query
};

struct NameserverStatus {
    std::string address;                  // as configured
    std::optional<std::uint32_t> serial;  // none when the SOA query failed
    bool caught_up = false;               // serial >= the primary's (RFC 1982)
    std::vector<std::string> txt;         // values served at the owner (sorted)
    bool matches = false;                 // same values as the primary (as a set)
    std::optional<std::string> error;     // what went wrong, when something did
};

struct PropagationReport {
    std::uint32_t serial = 0;               // the primary's serial
    std::string label;                      // the owner asked about (absolute, text); empty when none
    std::vector<std::string> txt;           // the primary's values (sorted)
    std::vector<NameserverStatus> nameservers;
    bool all_caught_up = false;             // every server caught up (and matching, when a label was given)
};

// RFC 1982 §3.2: `a` is at or after `b`.
bool serial_at_or_after(std::uint32_t a, std::uint32_t b) noexcept;

class PropagationChecker {
public:
    using ZoneSource = std::function<const core::Zone&()>;
    PropagationChecker(const store::Store& store, ZoneSource zone, PropagationOptions options);

    bool configured() const noexcept { return !options_.nameservers.empty(); }

    // `label`: a label under the apex ("abc" or "abc.acme.example.net.") or empty for the SOA
    // alone. invalid_argument for a name outside the zone; store errors as they come.
    core::Result<PropagationReport> check(std::string_view label) const;

    // Polls until every nameserver serves a serial at or after `serial`, at most `timeout`.
    bool wait_caught_up(std::uint32_t serial, std::chrono::milliseconds timeout) const;

    // One server, no store: (serial, TXT values at `owner` if given) as the server answers now.
    NameserverStatus ask(const Endpoint& server, const core::Name& apex, const std::optional<core::Name>& owner) const;

private:
    const store::Store& store_;
    ZoneSource zone_;
    PropagationOptions options_;
};

// The owner a label names inside `apex` (see check()).
core::Result<core::Name> propagation_owner(std::string_view label, const core::Name& apex);

}  // namespace acmezone::dns
