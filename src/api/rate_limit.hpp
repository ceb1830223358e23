// api/rate_limit: token buckets keyed by a string (a credential's username for /update, a source
// address for failed authentications). A bucket holds up to `burst` tokens and refills at
// `rate` tokens per second; a request takes one. Buckets live in a sharded map (one mutex per
// shard, held for a few arithmetic operations), and memory is bounded: a bucket idle long
// enough to be full again is the same as no bucket and is dropped when a shard fills, and a
// shard at its cap evicts its least recently used bucket. The clock is injected for tests.
// Thread-safe.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace acmezone::api {

struct BucketParams {
    double rate = 0;   // tokens per second; <= 0: unlimited
    double burst = 1;  // capacity (>= 1)
};

struct Bucket {
    double tokens = 0;
    std::int64_t last_ns = 0;  // clock time of the last refill
};

// Refills `bucket` to `now_ns`, capped at the burst (a new bucket starts full).
void refill(Bucket& bucket, const BucketParams& params, std::int64_t now_ns) noexcept;
// Seconds until one token is available (whole seconds, rounded up, at least 1); 0 when one is.
std::uint32_t retry_after_seconds(const Bucket& bucket, const BucketParams& params) noexcept;

struct LimitDecision {
    bool allowed = true;
    std::uint32_t retry_after = 0;  // seconds, when not allowed
};

class KeyedLimiter {
public:
    using Clock = std::function<std::int64_t()>;  // monotonic nanoseconds

    // `max_keys`: the bound on buckets kept (spread over the shards).
    explicit KeyedLimiter(std::size_t max_keys = 65536, Clock clock = steady_now_ns);

    // Takes one token from `key`'s bucket if there is one.
    LimitDecision take(std::string_view key, const BucketParams& params);
    // Whether `key` has a token, without taking it (for "blocked until" checks).
    LimitDecision peek(std::string_view key, const BucketParams& params);

    std::size_t size() const;  // buckets held (for tests and metrics)

    static std::int64_t steady_now_ns() noexcept;

private:
    static constexpr std::size_t kShards = 16;
    struct Shard {
        mutable std::mutex mutex;
        struct Entry {
            Bucket bucket;
            BucketParams params;  // as last used: judges when this bucket is full again
        };
        std::unordered_map<std::string, Entry> buckets;
    };
    LimitDecision run(std::string_view key, const BucketParams& params, bool consume);
    void make_room(Shard& shard, std::int64_t now_ns);

    std::size_t max_per_shard_;
    Clock clock_;
    std::array<Shard, kShards> shards_;
};

// Per-credential override of the /update bucket.
struct RateOverride {
    std::string username;  // lower-case
    std::uint32_t rate = 0;
    std::uint32_t burst = 1;
};

// [limits] in the config.
struct RateLimitOptions {
    std::uint32_t update_rate = 10;               // /update requests per second per credential; 0: unlimited
    std::uint32_t update_burst = 20;              // bucket size
    std::uint32_t auth_failures_per_minute = 30;  // failed authentications per source address; 0: unlimited
    std::vector<RateOverride> overrides;
};

// The API's two limiters with their settings.
class ApiLimits {
public:
    explicit ApiLimits(RateLimitOptions options, KeyedLimiter::Clock clock = KeyedLimiter::steady_now_ns);

    // One /update by an authenticated credential.
    LimitDecision take_update(std::string_view username);
    // Whether a source address may still try to authenticate (failures not yet exhausted).
    LimitDecision auth_allowed(std::string_view address);
    // A failed authentication from this address.
    void auth_failed(std::string_view address);

private:
    BucketParams update_params(std::string_view username) const;

    BucketParams update_default_;
    std::unordered_map<std::string, BucketParams> update_overrides_;
    BucketParams auth_params_;
    KeyedLimiter updates_;
    KeyedLimiter auth_failures_;
};

}  // namespace acmezone::api
