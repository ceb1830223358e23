// core/histogram and core/counter: bucket placement (le semantics), the +Inf bucket, the sum,
// bad layouts, and concurrent observers losing nothing.
#include "core/histogram.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <thread>
#include <vector>

#include "core/counter.hpp"

using namespace acmezone::core;

TEST(Histogram, ValuesLandInTheFirstBucketWhoseBoundIsNotBelow) {
    Histogram h({1, 2, 5});
    for (double v : {0.0, 1.0, 1.5, 2.0, 4.9, 5.0, 5.1, 1000.0, -3.0}) h.observe(v);
    const HistogramSnapshot s = h.snapshot();
    ASSERT_EQ(s.bounds, (std::vector<double>{1, 2, 5}));
    // <=1: 0, 1, -3 | (1,2]: 1.5, 2 | (2,5]: 4.9, 5 | above: 5.1, 1000
    EXPECT_EQ(s.counts, (std::vector<std::uint64_t>{3, 2, 2, 2}));
    EXPECT_EQ(s.count(), 9u);
    EXPECT_DOUBLE_EQ(s.sum, 0 + 1 + 1.5 + 2 + 4.9 + 5 + 5.1 + 1000 - 3);
}

TEST(Histogram, NanIsIgnoredAndInfinityGoesAboveEveryBound) {
    Histogram h({1});
    h.observe(std::numeric_limits<double>::quiet_NaN());
    EXPECT_EQ(h.snapshot().count(), 0u);
    h.observe(std::numeric_limits<double>::infinity());
    const auto s = h.snapshot();
    EXPECT_EQ(s.counts, (std::vector<std::uint64_t>{0, 1}));
    EXPECT_TRUE(std::isinf(s.sum));
}

TEST(Histogram, RejectsBadLayouts) {
    EXPECT_THROW(Histogram({}), std::invalid_argument);
    EXPECT_THROW(Histogram({1, 1}), std::invalid_argument);
    EXPECT_THROW(Histogram({2, 1}), std::invalid_argument);
    EXPECT_THROW(Histogram({1, std::numeric_limits<double>::infinity()}), std::invalid_argument);
    EXPECT_THROW(Histogram({std::numeric_limits<double>::quiet_NaN()}), std::invalid_argument);
    EXPECT_THROW(exponential_buckets(0, 2, 3), std::invalid_argument);
    EXPECT_THROW(exponential_buckets(1, 1, 3), std::invalid_argument);
    EXPECT_THROW(exponential_buckets(1, 2, 0), std::invalid_argument);
}

TEST(Histogram, ExponentialBuckets) {
    EXPECT_EQ(exponential_buckets(1, 2, 5), (std::vector<double>{1, 2, 4, 8, 16}));
    EXPECT_EQ(exponential_buckets(0.5, 10, 3), (std::vector<double>{0.5, 5, 50}));
}

TEST(Histogram, ConcurrentObserversLoseNothing) {
    Histogram h(exponential_buckets(1, 2, 8));
    constexpr int kThreads = 4;
    constexpr int kEach = 20000;
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([&h, t] {
            for (int i = 0; i < kEach; ++i) h.observe(static_cast<double>((i + t) % 300));
        });
    for (auto& t : threads) t.join();
    const auto s = h.snapshot();
    EXPECT_EQ(s.count(), std::uint64_t{kThreads} * kEach);
    double expected_sum = 0;
    for (int t = 0; t < kThreads; ++t)
        for (int i = 0; i < kEach; ++i) expected_sum += (i + t) % 300;
    EXPECT_DOUBLE_EQ(s.sum, expected_sum);  // whole numbers well below 2^53: exact in any order
}

TEST(LocalCounter, AddsAndReadsFromAnotherThread) {
    LocalCounter c;
    EXPECT_EQ(c.load(), 0u);
    std::thread writer([&c] {
        for (int i = 0; i < 100000; ++i) c.add();
        c.add(5);
    });
    writer.join();
    EXPECT_EQ(c.load(), 100005u);
}
