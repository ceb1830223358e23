// Counts heap allocations made by this thread, to prove the query path allocates nothing.
// Replaces the global operator new/delete of the test binary (alloc_count.cpp).
#pragma once

#include <cstddef>

namespace acmezone::dns::test {
std::size_t allocations_on_this_thread() noexcept;
}
