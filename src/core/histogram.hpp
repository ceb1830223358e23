// core/histogram: a fixed-bucket histogram for metrics (Prometheus style: a value lands in the
// first bucket whose upper bound is >= the value, plus an implied +Inf bucket). Buckets are
// chosen at construction; observe() is lock-free (relaxed atomics) and callable from any thread;
// snapshot() copies the counts for rendering. Header-only, no I/O.
#pragma once

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <vector>

namespace acmezone::core {

// A copy of a histogram at one moment.
struct HistogramSnapshot {
    std::vector<double> bounds;         // upper bounds, strictly ascending and finite
    std::vector<std::uint64_t> counts;  // per bucket, NOT cumulative: bounds.size() + 1 entries, the last above every bound
    double sum = 0;                     // of every observed value

    std::uint64_t count() const noexcept {
        std::uint64_t total = 0;
        for (const auto c : counts) total += c;
        return total;
    }
};

class Histogram {
public:
    // Throws std::invalid_argument unless `bounds` is non-empty, finite and strictly ascending
    // (a programming error: bucket layouts are constants).
    explicit Histogram(std::vector<double> bounds) : bounds_(std::move(bounds)) {
        if (bounds_.empty()) throw std::invalid_argument("histogram: no buckets");
        for (std::size_t i = 0; i < bounds_.size(); ++i) {
            if (!std::isfinite(bounds_[i]) || (i > 0 && !(bounds_[i - 1] < bounds_[i])))
                throw std::invalid_argument("histogram: bounds must be finite and strictly ascending");
        }
        counts_ = std::make_unique<std::atomic<std::uint64_t>[]>(bounds_.size() + 1);
    }
    Histogram(const Histogram&) = delete;
    Histogram& operator=(const Histogram&) = delete;

    // A NaN is ignored (it belongs to no bucket and would poison the sum).
    void observe(double value) noexcept {
        if (std::isnan(value)) return;
        const auto bucket = static_cast<std::size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin());
        counts_[bucket].fetch_add(1, std::memory_order_relaxed);
        sum_.fetch_add(value, std::memory_order_relaxed);
    }

    // Counts are read one by one: a snapshot taken during observe() calls may miss the newest
    // of them, or hold a count whose value is not yet in the sum. Never a torn number.
    HistogramSnapshot snapshot() const {
        HistogramSnapshot out;
        out.bounds = bounds_;
        out.counts.resize(bounds_.size() + 1);
        for (std::size_t i = 0; i <= bounds_.size(); ++i) out.counts[i] = counts_[i].load(std::memory_order_relaxed);
        out.sum = sum_.load(std::memory_order_relaxed);
        return out;
    }

    const std::vector<double>& bounds() const noexcept { return bounds_; }

private:
    std::vector<double> bounds_;
    std::unique_ptr<std::atomic<std::uint64_t>[]> counts_;
    std::atomic<double> sum_{0};
};

// `count` bounds: start, start*factor, start*factor^2, ... (start > 0, factor > 1).
inline std::vector<double> exponential_buckets(double start, double factor, std::size_t count) {
    if (!(start > 0) || !(factor > 1) || count == 0) throw std::invalid_argument("exponential_buckets: start > 0, factor > 1, count > 0");
    std::vector<double> out;
    out.reserve(count);
    double bound = start;
    for (std::size_t i = 0; i < count; ++i, bound *= factor) out.push_back(bound);
    return out;
}

}  // namespace acmezone::core
