// dns/rrl: response rate limiting for UDP (the idea of BIND's rate-limit and Knot's mod-rrl,
// written from their documentation), so the server cannot be used to reflect and amplify
// traffic at a spoofed victim. The decision looks only at the response the Responder already
// wrote (RCODE, AA, TC, ANCOUNT, the question's name) and the client's address; TCP is never
// limited. One Rrl is shared by every UDP worker; check() is thread-safe, lock-free and
// allocation-free.
//
// Why one shared lock-free table rather than one table per worker with rate/N: SO_REUSEPORT
// spreads packets over workers by a hash of the 4-tuple, so one client port always lands on
// one worker and would get only rate/N, while several listen addresses would multiply the
// tables. A shared table enforces exactly the configured rate and is allocated once. Each
// bucket is a single 64-bit atomic word updated with one compare-and-swap (relaxed order: the
// word is self-contained and publishes nothing else); workers only touch the same cache line
// when they answer the same (prefix, kind, name), i.e. during the floods RRL exists for.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include <sys/socket.h>

#include "core/cidr.hpp"

namespace acmezone::dns {

inline constexpr std::uint32_t kRrlMaxRate = 10000;         // responses per second per bucket
inline constexpr std::uint32_t kRrlMaxSlip = 10;            // as BIND
inline constexpr std::uint32_t kRrlMaxWindow = 3600;        // seconds, as BIND
inline constexpr std::uint32_t kRrlMinTableSize = 1024;     // buckets (config bounds)
inline constexpr std::uint32_t kRrlMaxTableSize = 1u << 24;  // 16 Mi buckets = 128 MiB

struct RrlOptions {
    bool enabled = false;
    // Token-bucket refill per second. Positive answers and NODATA are counted per (client
    // prefix, kind, qname); NXDOMAIN and errors per (client prefix, kind) only, so random
    // names cannot multiply the budget. 0 = that kind is not limited.
    std::uint32_t responses_per_second = 20;
    std::optional<std::uint32_t> nxdomains_per_second;  // unset: responses_per_second
    std::optional<std::uint32_t> errors_per_second;     // REFUSED, FORMERR, NOTIMP, ...; unset: responses_per_second
    // Of the limited responses, every slip-th goes out as a bare TC=1 reply (the client
    // retries over TCP, RFC 7766; a spoofed victim gets no more bytes than the query had); the
    // others are dropped. 0 = drop all, 1 = truncate all.
    std::uint32_t slip = 2;
    // BIND's window: a bucket holds one second of responses (the burst) and can run into debt
    // down to window_seconds of responses, so a source that flooded stays limited until it has
    // been quiet for about window_seconds.
    std::uint32_t window_seconds = 15;
    std::uint32_t ipv4_prefix_length = 24;  // clients in one /24 share buckets
    std::uint32_t ipv6_prefix_length = 56;
    std::vector<core::Cidr> exempt;  // never limited
    // Buckets, rounded up to a power of two (8 bytes each). When full, a new key reuses a
    // bucket that has refilled completely (nothing is lost); with none, it shares one with
    // another key, so both are limited together: table pressure makes RRL stricter, never looser.
    std::uint32_t table_size = 65536;
};

// How a response is counted; "referral" does not exist for a single authoritative zone.
enum class RrlKind : std::uint8_t { positive, nodata, nxdomain, error };
enum class RrlAction : std::uint8_t { send, drop, slip };

// The kind of one of our responses: NOERROR with answers (or truncated) is positive; NOERROR
// without answers is NODATA when authoritative (AA=1) and an error otherwise (e.g. BADVERS,
// whose RCODE lives in the OPT); RCODE 3 is NXDOMAIN; any other RCODE is an error.
RrlKind rrl_kind(std::span<const std::uint8_t> response) noexcept;

// Rewrites the `length`-byte response in `message` in place into the slip reply: the same
// header with TC=1 and no answer or authority, the question, and the OPT RR if it had one
// (RFC 6891 §7). Never longer than the response (nor than the query it answers). Returns the
// new length (the header alone when the message cannot be read).
std::size_t write_slip(std::span<std::uint8_t> message, std::size_t length) noexcept;

// The client address of a datagram (IPv4-mapped IPv6 folded to IPv4, as core::parse_ip does).
core::IpAddress client_address(const sockaddr_storage& peer) noexcept;

class Rrl {
public:
    using Clock = std::chrono::steady_clock;

    // Allocates the whole table (throws std::bad_alloc); options are taken as given (the
    // config validates ranges; table_size is rounded up to a power of two, at least 8). The
    // hash key is random unless `seed` is given (tests that must place keys reproducibly).
    explicit Rrl(RrlOptions options, std::optional<std::uint64_t> seed = std::nullopt);
    ~Rrl();
    Rrl(const Rrl&) = delete;
    Rrl& operator=(const Rrl&) = delete;

    // Counts `response` against its bucket at time `now` and says what to do with it. At most
    // one summary log line per few seconds names a limited prefix; nothing else is logged.
    RrlAction check(const core::IpAddress& client, std::span<const std::uint8_t> response,
                    Clock::time_point now) noexcept;

    bool exempt(const core::IpAddress& client) const noexcept;
    const RrlOptions& options() const noexcept { return options_; }
    std::size_t buckets() const noexcept;

private:
    struct Group;
    struct Rate {
        std::uint64_t interval = 0;  // time units per response; 0 = not limited
        std::uint64_t burst = 0;     // rate * interval: one second of responses
        std::uint64_t cap = 0;       // burst + window: the deepest debt
    };

    RrlAction take(Group& group, std::uint64_t tag, const Rate& rate, std::uint64_t now) noexcept;
    void note_limited(const core::IpAddress& client, RrlKind kind, RrlAction action, std::uint64_t now) noexcept;

    RrlOptions options_;
    Rate rates_[4];
    std::uint64_t stale_after_ = 0;  // a bucket further ahead than any cap is garbage (clock wrap)
    std::uint64_t seed_ = 0;
    std::uint64_t group_mask_ = 0;
    std::unique_ptr<Group[]> groups_;
    // The summary log line: when the next may be written, and what happened since the last.
    alignas(64) std::atomic<std::uint64_t> next_log_{0};
    std::atomic<std::uint64_t> limited_since_log_{0};
    std::atomic<std::uint64_t> slipped_since_log_{0};
};

}  // namespace acmezone::dns
