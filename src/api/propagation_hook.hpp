// api/propagation_hook: how the admin API reaches the propagation check (dns/propagation, which
// asks every configured nameserver over DNS; api must not include dns). The app wires both
// functions in (ApiServer::set_propagation). `check`: the report for a label (empty: SOA only);
// errors invalid_argument (a label outside the zone) and store failures. `wait`: polls until
// every nameserver serves at least `serial`, at most the configured time; true when they do.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace acmezone::api {

struct NameserverPropagation {
    std::string address;
    std::optional<std::uint32_t> serial;
    bool caught_up = false;
    std::vector<std::string> txt;
    bool matches = false;
    std::optional<std::string> error;
};

struct PropagationResult {
    std::uint32_t serial = 0;
    std::string label;
    std::vector<std::string> txt;  // the primary's values
    std::vector<NameserverPropagation> nameservers;
    bool all_caught_up = false;
};

struct PropagationHook {
    std::function<core::Result<PropagationResult>(std::string_view label)> check;
    std::function<bool(std::uint32_t serial)> wait;
    bool wait_by_default = false;  // [propagation] wait_by_default
    explicit operator bool() const noexcept { return static_cast<bool>(check); }
};

}  // namespace acmezone::api
