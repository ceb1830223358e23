// api/ip_connection_counter: how many HTTP connections each client address holds, capped at
// api.max_connections_per_ip so one address cannot take every slot. A connection takes a Slot
// when it is accepted and gives it back when it is closed (RAII). Thread-safe.
#pragma once

#include <sys/socket.h>

#include <array>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string_view>
#include <unordered_map>

namespace acmezone::api {

// A client address as 16 bytes: IPv6 as is, IPv4 as ::ffff:a.b.c.d (so both families share
// one table and an IPv4-mapped peer counts as its IPv4 address).
struct IpKey {
    std::array<unsigned char, 16> bytes{};

    static std::optional<IpKey> from_sockaddr(const sockaddr_storage& addr) noexcept;
    static std::optional<IpKey> from_text(std::string_view text);  // "192.0.2.1", "2001:db8::1"
    bool operator==(const IpKey&) const = default;
};

struct IpKeyHash {
    std::size_t operator()(const IpKey& key) const noexcept;
};

class IpConnectionCounter {
public:
    explicit IpConnectionCounter(std::size_t max_per_ip);
    IpConnectionCounter(const IpConnectionCounter&) = delete;
    IpConnectionCounter& operator=(const IpConnectionCounter&) = delete;

    // One held connection of one address; releases its count when destroyed. Move-only; the
    // counter must outlive it.
    class Slot {
    public:
        Slot() = default;
        Slot(Slot&& other) noexcept;
        Slot& operator=(Slot&& other) noexcept;
        ~Slot();
        Slot(const Slot&) = delete;
        Slot& operator=(const Slot&) = delete;
        explicit operator bool() const noexcept { return counter_ != nullptr; }

    private:
        friend class IpConnectionCounter;
        Slot(IpConnectionCounter* counter, const IpKey& key) : counter_(counter), key_(key) {}
        void release() noexcept;
        IpConnectionCounter* counter_ = nullptr;
        IpKey key_;
    };

    // A slot, or nullopt when `key` already holds max_per_ip connections.
    std::optional<Slot> try_acquire(const IpKey& key);

    std::size_t count(const IpKey& key) const;
    std::size_t addresses() const;  // addresses holding at least one connection
    std::size_t max_per_ip() const noexcept { return max_per_ip_; }

private:
    void release(const IpKey& key) noexcept;

    const std::size_t max_per_ip_;
    mutable std::mutex mutex_;
    std::unordered_map<IpKey, std::size_t, IpKeyHash> counts_;  // no zero entries
};

}  // namespace acmezone::api
