#include "api/rate_limit.hpp"

#include <cstdint>

#include <gtest/gtest.h>

using namespace acmezone::api;

namespace {

constexpr std::int64_t kSecond = 1'000'000'000;

// A clock the test moves by hand.
struct FakeClock {
    std::int64_t now = 1000 * kSecond;
    KeyedLimiter::Clock fn() {
        return [this] { return now; };
    }
};

TEST(TokenBucket, RefillIsLinearAndCappedAtBurst) {
    const BucketParams p{2.0, 5.0};
    Bucket b{0.0, 0};
    refill(b, p, kSecond / 2);  // 0.5 s at 2/s
    EXPECT_DOUBLE_EQ(b.tokens, 1.0);
    refill(b, p, 10 * kSecond);
    EXPECT_DOUBLE_EQ(b.tokens, 5.0);
    refill(b, p, 5 * kSecond);  // the clock never runs backwards for a bucket
    EXPECT_DOUBLE_EQ(b.tokens, 5.0);
    EXPECT_EQ(b.last_ns, 10 * kSecond);
}

TEST(TokenBucket, RetryAfterRoundsUpToWholeSeconds) {
    EXPECT_EQ(retry_after_seconds(Bucket{1.0, 0}, BucketParams{1, 1}), 0u);
    EXPECT_EQ(retry_after_seconds(Bucket{0.0, 0}, BucketParams{10, 20}), 1u);  // 0.1 s -> 1
    EXPECT_EQ(retry_after_seconds(Bucket{0.0, 0}, BucketParams{0.5, 30}), 2u);
    EXPECT_EQ(retry_after_seconds(Bucket{0.25, 0}, BucketParams{30.0 / 60, 30}), 2u);  // 1.5 s -> 2
    EXPECT_EQ(retry_after_seconds(Bucket{0.0, 0}, BucketParams{1.0 / 60, 1}), 60u);
}

TEST(KeyedLimiter, BurstThenRefusedThenRefilled) {
    FakeClock clock;
    KeyedLimiter limiter(1024, clock.fn());
    const BucketParams p{1.0, 3.0};
    for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.take("a", p).allowed) << i;
    auto refused = limiter.take("a", p);
    EXPECT_FALSE(refused.allowed);
    EXPECT_EQ(refused.retry_after, 1u);
    EXPECT_TRUE(limiter.take("b", p).allowed);  // another key has its own bucket
    clock.now += kSecond / 2;
    EXPECT_FALSE(limiter.take("a", p).allowed);
    clock.now += kSecond / 2;
    EXPECT_TRUE(limiter.take("a", p).allowed);
    EXPECT_FALSE(limiter.take("a", p).allowed);
}

TEST(KeyedLimiter, PeekNeitherTakesNorCreates) {
    FakeClock clock;
    KeyedLimiter limiter(1024, clock.fn());
    const BucketParams p{1.0, 1.0};
    EXPECT_TRUE(limiter.peek("x", p).allowed);
    EXPECT_EQ(limiter.size(), 0u);
    EXPECT_TRUE(limiter.take("x", p).allowed);
    EXPECT_FALSE(limiter.peek("x", p).allowed);
    EXPECT_FALSE(limiter.peek("x", p).allowed);
}

TEST(KeyedLimiter, ZeroRateMeansUnlimited) {
    FakeClock clock;
    KeyedLimiter limiter(1024, clock.fn());
    for (int i = 0; i < 1000; ++i) ASSERT_TRUE(limiter.take("k", BucketParams{0, 1}).allowed);
    EXPECT_EQ(limiter.size(), 0u);
}

TEST(KeyedLimiter, MemoryIsBounded) {
    FakeClock clock;
    KeyedLimiter limiter(16 * 4, clock.fn());  // 4 per shard
    const BucketParams p{1.0, 2.0};
    for (int i = 0; i < 10000; ++i) (void)limiter.take("key" + std::to_string(i), p);
    EXPECT_LE(limiter.size(), 16u * 4u);
    // Keys forgotten under pressure come back full: at worst a fresh burst, never a lock-out.
    EXPECT_TRUE(limiter.take("key0", p).allowed);
}

TEST(ApiLimits, OverridesAndAuthFailures) {
    FakeClock clock;
    RateLimitOptions options;
    options.update_rate = 1;
    options.update_burst = 2;
    options.auth_failures_per_minute = 3;
    options.overrides.push_back({"vip", 100, 50});
    ApiLimits limits(options, clock.fn());
    EXPECT_TRUE(limits.take_update("u").allowed);
    EXPECT_TRUE(limits.take_update("u").allowed);
    EXPECT_FALSE(limits.take_update("u").allowed);
    for (int i = 0; i < 50; ++i) EXPECT_TRUE(limits.take_update("vip").allowed) << i;
    EXPECT_FALSE(limits.take_update("vip").allowed);

    for (int i = 0; i < 3; ++i) {
        EXPECT_TRUE(limits.auth_allowed("192.0.2.1").allowed);
        limits.auth_failed("192.0.2.1");
    }
    const auto blocked = limits.auth_allowed("192.0.2.1");
    EXPECT_FALSE(blocked.allowed);
    EXPECT_EQ(blocked.retry_after, 20u);  // 3 per minute: one every 20 s
    EXPECT_TRUE(limits.auth_allowed("192.0.2.2").allowed);
    clock.now += 20 * kSecond;
    EXPECT_TRUE(limits.auth_allowed("192.0.2.1").allowed);
}

TEST(ApiLimits, UnlimitedWhenZero) {
    RateLimitOptions options;
    options.update_rate = 0;
    options.auth_failures_per_minute = 0;
    ApiLimits limits(options);
    for (int i = 0; i < 100; ++i) {
        ASSERT_TRUE(limits.take_update("u").allowed);
        limits.auth_failed("a");
        ASSERT_TRUE(limits.auth_allowed("a").allowed);
    }
}

}  // namespace
