// The UDP query path must not allocate (DESIGN.md: the hot path). This binary replaces
// malloc/calloc/realloc with counting wrappers around glibc's own allocator; operator new
// goes through malloc, so it is counted too. During a burst of queries, after every worker
// has answered once (its read transaction exists from then on), the only threads that run
// are the UDP workers and this test thread, which itself sends and receives with raw
// syscalls into fixed buffers. Any allocation counted is therefore the workers'.
#include <gtest/gtest.h>

#include <atomic>
#include <cstddef>

#include "dns/udp_workers.hpp"
#include "net_test_support.hpp"

// Sanitizers bring their own allocator: there the hook would bypass it, so the test skips.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__) || defined(ACMEZONE_SANITIZED)
#define ACMEZONE_ALLOC_HOOK 0
#else
#define ACMEZONE_ALLOC_HOOK 1
#endif

namespace {
std::atomic<bool> g_counting{false};
std::atomic<std::uint64_t> g_allocations{0};
[[maybe_unused]] inline void count_one() {
    if (g_counting.load(std::memory_order_relaxed)) g_allocations.fetch_add(1, std::memory_order_relaxed);
}
}  // namespace

#if ACMEZONE_ALLOC_HOOK
extern "C" {
void* __libc_malloc(std::size_t size);
void* __libc_calloc(std::size_t count, std::size_t size);
void* __libc_realloc(void* pointer, std::size_t size);
}

extern "C" {
void* malloc(std::size_t size) {
    count_one();
    return __libc_malloc(size);
}
void* calloc(std::size_t count, std::size_t size) {
    count_one();
    return __libc_calloc(count, size);
}
void* realloc(void* pointer, std::size_t size) {
    count_one();
    return __libc_realloc(pointer, size);
}
}
#endif

namespace acmezone::dns {
namespace {

using namespace nettest;

TEST(UdpAllocation, CountingHookSeesAllocations) {
    if (!ACMEZONE_ALLOC_HOOK) GTEST_SKIP() << "allocation hook disabled under sanitizers";
    // Guards the test below against a hook that counts nothing.
    g_allocations = 0;
    g_counting = true;
    auto* p = new std::vector<int>(100);
    g_counting = false;
    delete p;
    EXPECT_GE(g_allocations.load(), 2u);
}

TEST(UdpAllocation, QueryBurstAllocatesNothing) {
    if (!ACMEZONE_ALLOC_HOOK) GTEST_SKIP() << "allocation hook disabled under sanitizers";
    Served served;
    UdpOptions options;
    options.workers = 4;
    options.batch_size = 32;
    UdpWorkers workers(*served.store, served.responder, options);
    std::uint16_t port = 0;
    for (int attempt = 0; attempt < 10 && port == 0; ++attempt) {
        const std::uint16_t candidate = free_port(SOCK_DGRAM);
        if (workers.start({loopback(candidate)})) port = candidate;
    }
    ASSERT_NE(port, 0);

    // The kernel maps each client's 4-tuple to one worker, the same one every time: warming
    // up with the same clients warms every worker the burst will reach.
    constexpr unsigned kClients = 16;
    constexpr unsigned kPerClient = 50;
    std::vector<Socket> clients;
    for (unsigned c = 0; c < kClients; ++c) clients.push_back(udp_client(port));
    std::uint8_t query[512];
    std::uint8_t answer[4096];
    const std::size_t query_size = write_query(query, 0, "acme.test", core::rrtype::SOA);

    const auto exchange = [&](unsigned per_client) {
        unsigned answered = 0;
        for (unsigned c = 0; c < kClients; ++c) {
            for (unsigned i = 0; i < per_client; ++i) {
                query[0] = static_cast<std::uint8_t>(c);
                query[1] = static_cast<std::uint8_t>(i);
                if (::send(clients[c].fd(), query, query_size, 0) != static_cast<ssize_t>(query_size)) return answered;
            }
        }
        const auto deadline = Clock::now() + 5s;
        for (unsigned c = 0; c < kClients; ++c) {
            for (unsigned got = 0; got < per_client && wait_for(clients[c].fd(), POLLIN, deadline);) {
                const ssize_t n = ::recv(clients[c].fd(), answer, sizeof answer, 0);
                if (n >= 12 && answer[0] == c && (answer[2] & 0x80) != 0) {
                    ++got;
                    ++answered;
                }
            }
        }
        return answered;
    };

    ASSERT_EQ(exchange(2), kClients * 2);
    g_allocations = 0;
    g_counting = true;
    const unsigned answered = exchange(kPerClient);
    g_counting = false;
    EXPECT_EQ(answered, kClients * kPerClient);
    EXPECT_EQ(g_allocations.load(), 0u) << "allocations during " << kClients * kPerClient << " queries";
}

}  // namespace
}  // namespace acmezone::dns
