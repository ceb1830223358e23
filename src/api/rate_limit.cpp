#include "api/rate_limit.hpp"

#include <algorithm>
#include <cmath>
#include <functional>

namespace acmezone::api {

void refill(Bucket& bucket, const BucketParams& params, std::int64_t now_ns) noexcept {
    if (now_ns > bucket.last_ns) {
        const double elapsed = static_cast<double>(now_ns - bucket.last_ns) / 1e9;
        bucket.tokens = std::min(params.burst, bucket.tokens + elapsed * params.rate);
        bucket.last_ns = now_ns;
    }
    // A clock that went backwards (it should not: steady) just refills nothing.
}

std::uint32_t retry_after_seconds(const Bucket& bucket, const BucketParams& params) noexcept {
    if (bucket.tokens >= 1.0) return 0;
    if (params.rate <= 0) return 1;
    const double seconds = std::ceil((1.0 - bucket.tokens) / params.rate);
    return static_cast<std::uint32_t>(std::clamp(seconds, 1.0, 86400.0));
}

KeyedLimiter::KeyedLimiter(std::size_t max_keys, Clock clock)
    : max_per_shard_(std::max<std::size_t>(1, max_keys / kShards)), clock_(std::move(clock)) {}

std::int64_t KeyedLimiter::steady_now_ns() noexcept {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

LimitDecision KeyedLimiter::take(std::string_view key, const BucketParams& params) { return run(key, params, true); }
LimitDecision KeyedLimiter::peek(std::string_view key, const BucketParams& params) { return run(key, params, false); }

std::size_t KeyedLimiter::size() const {
    std::size_t total = 0;
    for (const auto& shard : shards_) {
        std::lock_guard lock(shard.mutex);
        total += shard.buckets.size();
    }
    return total;
}

LimitDecision KeyedLimiter::run(std::string_view key, const BucketParams& params, bool consume) {
    if (params.rate <= 0) return {};
    Shard& shard = shards_[std::hash<std::string_view>{}(key) % kShards];
    const std::int64_t now = clock_();
    std::lock_guard lock(shard.mutex);
    auto it = shard.buckets.find(std::string(key));
    if (it == shard.buckets.end()) {
        // No bucket means a full one; a peek need not create it.
        if (!consume) return {};
        if (shard.buckets.size() >= max_per_shard_) make_room(shard, now);
        it = shard.buckets.emplace(std::string(key), Shard::Entry{Bucket{params.burst, now}, params}).first;
    }
    it->second.params = params;
    Bucket& bucket = it->second.bucket;
    refill(bucket, params, now);
    if (bucket.tokens < 1.0) return {false, retry_after_seconds(bucket, params)};
    if (consume) bucket.tokens -= 1.0;
    return {};
}

void KeyedLimiter::make_room(Shard& shard, std::int64_t now_ns) {
    // Full-again buckets carry no state worth keeping.
    std::erase_if(shard.buckets, [&](const auto& entry) {
        Bucket copy = entry.second.bucket;
        refill(copy, entry.second.params, now_ns);
        return copy.tokens >= entry.second.params.burst;
    });
    if (shard.buckets.size() < max_per_shard_) return;
    // Still full of busy keys: forget the least recently used (it may get a fresh burst, the
    // price of a memory bound).
    auto oldest = std::min_element(shard.buckets.begin(), shard.buckets.end(),
                                   [](const auto& a, const auto& b) { return a.second.bucket.last_ns < b.second.bucket.last_ns; });
    shard.buckets.erase(oldest);
}

ApiLimits::ApiLimits(RateLimitOptions options, KeyedLimiter::Clock clock)
    : update_default_{static_cast<double>(options.update_rate), static_cast<double>(std::max<std::uint32_t>(1, options.update_burst))},
      auth_params_{static_cast<double>(options.auth_failures_per_minute) / 60.0,
                   static_cast<double>(std::max<std::uint32_t>(1, options.auth_failures_per_minute))},
      updates_(65536, clock),
      auth_failures_(65536, std::move(clock)) {
    for (const auto& o : options.overrides)
        update_overrides_[o.username] = BucketParams{static_cast<double>(o.rate), static_cast<double>(std::max<std::uint32_t>(1, o.burst))};
}

BucketParams ApiLimits::update_params(std::string_view username) const {
    auto it = update_overrides_.find(std::string(username));
    return it == update_overrides_.end() ? update_default_ : it->second;
}

LimitDecision ApiLimits::take_update(std::string_view username) { return updates_.take(username, update_params(username)); }
LimitDecision ApiLimits::auth_allowed(std::string_view address) { return auth_failures_.peek(address, auth_params_); }
void ApiLimits::auth_failed(std::string_view address) { (void)auth_failures_.take(address, auth_params_); }

}  // namespace acmezone::api
