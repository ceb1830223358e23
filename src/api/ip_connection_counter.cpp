#include "api/ip_connection_counter.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstring>
#include <string>

namespace acmezone::api {

namespace {

IpKey mapped_v4(const in_addr& addr) {
    IpKey key;
    key.bytes[10] = 0xff;
    key.bytes[11] = 0xff;
    std::memcpy(key.bytes.data() + 12, &addr, 4);
    return key;
}

}  // namespace

std::optional<IpKey> IpKey::from_sockaddr(const sockaddr_storage& addr) noexcept {
    if (addr.ss_family == AF_INET) return mapped_v4(reinterpret_cast<const sockaddr_in&>(addr).sin_addr);
    if (addr.ss_family == AF_INET6) {
        IpKey key;
        std::memcpy(key.bytes.data(), &reinterpret_cast<const sockaddr_in6&>(addr).sin6_addr, 16);
        return key;
    }
    return std::nullopt;
}

std::optional<IpKey> IpKey::from_text(std::string_view text) {
    const std::string s(text);
    in_addr v4{};
    if (::inet_pton(AF_INET, s.c_str(), &v4) == 1) return mapped_v4(v4);
    IpKey key;
    if (::inet_pton(AF_INET6, s.c_str(), key.bytes.data()) == 1) return key;
    return std::nullopt;
}

std::size_t IpKeyHash::operator()(const IpKey& key) const noexcept {
    // FNV-1a: the table holds at most max_connections entries, a simple spread is enough.
    std::size_t h = 1469598103934665603ULL;
    for (unsigned char b : key.bytes) h = (h ^ b) * 1099511628211ULL;
    return h;
}

IpConnectionCounter::IpConnectionCounter(std::size_t max_per_ip) : max_per_ip_(std::max<std::size_t>(max_per_ip, 1)) {}

std::optional<IpConnectionCounter::Slot> IpConnectionCounter::try_acquire(const IpKey& key) {
    std::lock_guard lock(mutex_);
    std::size_t& n = counts_[key];
    if (n >= max_per_ip_) return std::nullopt;
    ++n;
    return Slot(this, key);
}

void IpConnectionCounter::release(const IpKey& key) noexcept {
    std::lock_guard lock(mutex_);
    const auto it = counts_.find(key);
    if (it == counts_.end()) return;
    if (--it->second == 0) counts_.erase(it);
}

std::size_t IpConnectionCounter::count(const IpKey& key) const {
    std::lock_guard lock(mutex_);
    const auto it = counts_.find(key);
    return it == counts_.end() ? 0 : it->second;
}

std::size_t IpConnectionCounter::addresses() const {
    std::lock_guard lock(mutex_);
    return counts_.size();
}

IpConnectionCounter::Slot::Slot(Slot&& other) noexcept : counter_(other.counter_), key_(other.key_) { other.counter_ = nullptr; }

IpConnectionCounter::Slot& IpConnectionCounter::Slot::operator=(Slot&& other) noexcept {
    if (this != &other) {
        release();
        counter_ = other.counter_;
        key_ = other.key_;
        other.counter_ = nullptr;
    }
    return *this;
}

IpConnectionCounter::Slot::~Slot() { release(); }

void IpConnectionCounter::Slot::release() noexcept {
    if (counter_) counter_->release(key_);
    counter_ = nullptr;
}

}  // namespace acmezone::api
