// core/counter: an event counter written by ONE thread and read by any (metrics). The writer
// adds with a relaxed load and store instead of a locked read-modify-write, which keeps the
// per-query cost of counting on the DNS hot path to a plain memory increment. Readers see a
// recent value, never a torn one. Use std::atomic::fetch_add when several threads write.
#pragma once

#include <atomic>
#include <cstdint>

namespace acmezone::core {

class LocalCounter {
public:
    // Only the owning thread may call add().
    void add(std::uint64_t n = 1) noexcept { value_.store(value_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
    std::uint64_t load() const noexcept { return value_.load(std::memory_order_relaxed); }

private:
    std::atomic<std::uint64_t> value_{0};
};

}  // namespace acmezone::core
