// api/api_stats: what the REST and admin API answered, for /metrics: writes by front door and
// outcome, failed authentications, and requests refused by a rate limit. Counted once per
// request in api/routes (dispatch), from the route and the reply's HTTP status, so that no
// handler needs to know about metrics. Thread-safe (relaxed atomics; not on the DNS hot path).
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace acmezone::api {

// Who wrote: POST /update (acme-dns REST), POST /register, or an admin API write.
enum class FrontDoor : std::uint8_t { rest, register_account, admin };
inline constexpr std::size_t kFrontDoors = 3;

// How a request ended, from its HTTP status.
enum class Outcome : std::uint8_t { ok, bad_request, forbidden, not_found, conflict, rate_limited, error };
inline constexpr std::size_t kOutcomes = 7;

constexpr std::string_view front_door_name(FrontDoor f) noexcept {
    switch (f) {
    case FrontDoor::rest: return "rest";
    case FrontDoor::register_account: return "register";
    case FrontDoor::admin: return "admin";
    }
    return "rest";
}

constexpr std::string_view outcome_name(Outcome o) noexcept {
    switch (o) {
    case Outcome::ok: return "ok";
    case Outcome::bad_request: return "bad_request";
    case Outcome::forbidden: return "forbidden";
    case Outcome::not_found: return "not_found";
    case Outcome::conflict: return "conflict";
    case Outcome::rate_limited: return "rate_limited";
    case Outcome::error: return "error";
    }
    return "error";
}

// 2xx ok, 401/403 forbidden, 404 not_found, 409 conflict, 429 rate_limited, other 4xx
// bad_request, anything else error.
constexpr Outcome outcome_for_status(int status) noexcept {
    if (status >= 200 && status < 300) return Outcome::ok;
    if (status == 401 || status == 403) return Outcome::forbidden;
    if (status == 404) return Outcome::not_found;
    if (status == 409) return Outcome::conflict;
    if (status == 429) return Outcome::rate_limited;
    if (status >= 400 && status < 500) return Outcome::bad_request;
    return Outcome::error;
}

// A copy of the counters.
struct ApiStatsSnapshot {
    std::array<std::array<std::uint64_t, kOutcomes>, kFrontDoors> writes{};  // [front door][outcome]
    std::array<std::uint64_t, kFrontDoors> auth_failures{};                  // answered 401
    std::array<std::uint64_t, kFrontDoors> rate_limited{};                   // answered 429
};

class ApiStats {
public:
    // One request at `door` answered with `status`; `write` says whether it was meant to change
    // something (counted under writes) or only to read.
    void record(FrontDoor door, bool write, int status) noexcept {
        const auto d = static_cast<std::size_t>(door);
        const Outcome outcome = outcome_for_status(status);
        if (write) writes_[d][static_cast<std::size_t>(outcome)].fetch_add(1, std::memory_order_relaxed);
        if (status == 401) auth_failures_[d].fetch_add(1, std::memory_order_relaxed);
        if (outcome == Outcome::rate_limited) rate_limited_[d].fetch_add(1, std::memory_order_relaxed);
    }

    ApiStatsSnapshot snapshot() const noexcept {
        ApiStatsSnapshot s;
        for (std::size_t d = 0; d < kFrontDoors; ++d) {
            for (std::size_t o = 0; o < kOutcomes; ++o) s.writes[d][o] = writes_[d][o].load(std::memory_order_relaxed);
            s.auth_failures[d] = auth_failures_[d].load(std::memory_order_relaxed);
            s.rate_limited[d] = rate_limited_[d].load(std::memory_order_relaxed);
        }
        return s;
    }

private:
    std::array<std::array<std::atomic<std::uint64_t>, kOutcomes>, kFrontDoors> writes_{};
    std::array<std::atomic<std::uint64_t>, kFrontDoors> auth_failures_{};
    std::array<std::atomic<std::uint64_t>, kFrontDoors> rate_limited_{};
};

}  // namespace acmezone::api
