#include "alloc_count.hpp"

#include <cstdlib>
#include <new>

namespace {
thread_local std::size_t t_allocations = 0;
}  // namespace

std::size_t acmezone::dns::test::allocations_on_this_thread() noexcept { return t_allocations; }

// Under sanitizers (ACMEZONE_SANITIZED) the sanitizer's own operator new stays in place, so
// new/delete mismatches are still caught; the counting test skips there.
#ifndef ACMEZONE_SANITIZED
namespace {
void* counted_alloc(std::size_t size) {
    ++t_allocations;
    if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
    throw std::bad_alloc();
}
}  // namespace

void* operator new(std::size_t size) { return counted_alloc(size); }
void* operator new[](std::size_t size) { return counted_alloc(size); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
#endif
