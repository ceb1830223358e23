// dns/rrl: see the header. The algorithm, per bucket: a "theoretical arrival time" (TAT, the
// GCRA form of a token bucket, one timestamp instead of a balance and a timestamp). Each
// response moves TAT forward by 1/rate, starting from now when TAT lies in the past. A response
// is sent while TAT - now stays within one second (the burst: `rate` responses at once, then
// `rate` per second). Limited responses still move TAT forward, up to now + 1 s + window, so a
// flood keeps its source in the penalty box until it stops (BIND's window semantics).
//
// A bucket word: bits 0..47 TAT in 2^-20 s units (wraps after 8.5 years; compared modulo
// 2^48), bits 48..51 the slip counter, bits 52..63 a tag from the key's hash. Buckets come in
// groups of 8 filling one cache line; a key probes only its group.
#include "dns/rrl.hpp"

#include <algorithm>
#include <bit>
#include <cstring>
#include <random>
#include <string>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "dns/log.hpp"
#include "dns/wire_reader.hpp"

namespace acmezone::dns {

namespace {

constexpr unsigned kFracBits = 20;
constexpr std::uint64_t kSecond = std::uint64_t{1} << kFracBits;
constexpr unsigned kTimeBits = 48;
constexpr std::uint64_t kTimeMask = (std::uint64_t{1} << kTimeBits) - 1;
constexpr unsigned kSlipShift = 48;
constexpr std::uint64_t kSlipMask = 0xf;
constexpr unsigned kTagShift = 52;
constexpr unsigned kGroupSlots = 8;
constexpr int kMaxAttempts = 64;  // CAS attempts on one bucket before giving up (dropping)
constexpr std::uint64_t kLogInterval = 5 * kSecond;  // one summary line at most this often
constexpr std::uint64_t kLogSet = std::uint64_t{1} << 63;
constexpr std::uint16_t kOpt = 41;

std::uint64_t tat_of(std::uint64_t word) noexcept { return word & kTimeMask; }
std::uint64_t slip_of(std::uint64_t word) noexcept { return (word >> kSlipShift) & kSlipMask; }
std::uint64_t tag_of(std::uint64_t word) noexcept { return word >> kTagShift; }
std::uint64_t pack(std::uint64_t tag, std::uint64_t slip, std::uint64_t tat) noexcept {
    return (tag << kTagShift) | ((slip & kSlipMask) << kSlipShift) | (tat & kTimeMask);
}

// a - b for two times modulo 2^48, as a signed distance.
std::int64_t distance(std::uint64_t a, std::uint64_t b) noexcept {
    return static_cast<std::int64_t>(((a - b) & kTimeMask) << (64 - kTimeBits)) >> (64 - kTimeBits);
}

// A steady-clock time in 2^-20 s units, modulo 2^48.
std::uint64_t to_units(Rrl::Clock::time_point t) noexcept {
    const std::int64_t ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
    std::int64_t seconds = ns / 1'000'000'000;
    std::int64_t rest = ns % 1'000'000'000;
    if (rest < 0) {
        rest += 1'000'000'000;
        --seconds;
    }
    const auto whole = static_cast<std::uint64_t>(seconds) << kFracBits;
    const auto frac = (static_cast<std::uint64_t>(rest) << kFracBits) / 1'000'000'000u;
    return (whole + frac) & kTimeMask;
}

std::uint16_t get_u16(const std::uint8_t* p) noexcept { return static_cast<std::uint16_t>((p[0] << 8) | p[1]); }
void put_u16(std::uint8_t* p, std::uint16_t v) noexcept {
    p[0] = static_cast<std::uint8_t>(v >> 8);
    p[1] = static_cast<std::uint8_t>(v);
}

// A keyed 64-bit hash (multiply-rotate over 8-byte words, Murmur3's finaliser). Not meant to
// resist a determined attacker: a collision only makes two keys share a bucket (stricter).
class Hasher {
public:
    explicit Hasher(std::uint64_t seed) noexcept : h_(seed) {}
    void add(const std::uint8_t* data, std::size_t size) noexcept {
        while (size >= 8) {
            std::uint64_t word;
            std::memcpy(&word, data, 8);
            mix(word);
            data += 8;
            size -= 8;
        }
        std::uint64_t tail = 0;
        for (std::size_t i = 0; i < size; ++i) tail |= std::uint64_t{data[i]} << (8 * i);
        mix(tail ^ (std::uint64_t{size} << 56));
    }
    std::uint64_t finish() const noexcept {
        std::uint64_t x = h_;
        x ^= x >> 33;
        x *= 0xff51afd7ed558ccdULL;
        x ^= x >> 33;
        x *= 0xc4ceb9fe1a85ec53ULL;
        x ^= x >> 33;
        return x;
    }

private:
    void mix(std::uint64_t word) noexcept {
        h_ ^= word * 0x87c37b91114253d5ULL;
        h_ = std::rotl(h_, 31) * 0x4cf5ad432745937fULL + 0x52dce729;
    }
    std::uint64_t h_;
};

// The client's network: the address with the host bits cleared.
core::IpAddress mask_prefix(const core::IpAddress& address, unsigned prefix) noexcept {
    core::IpAddress out = address;
    const unsigned total = address.v6 ? 16 : 4;
    for (unsigned i = 0; i < 16; ++i) {
        const unsigned start = i * 8;
        if (i >= total || start >= prefix) out.bytes[i] = 0;
        else if (prefix - start < 8) out.bytes[i] &= static_cast<std::uint8_t>(0xff << (8 - (prefix - start)));
    }
    return out;
}

bool keyed_by_name(RrlKind kind) noexcept { return kind == RrlKind::positive || kind == RrlKind::nodata; }

const char* kind_text(RrlKind kind) noexcept {
    switch (kind) {
    case RrlKind::positive: return "positive";
    case RrlKind::nodata: return "nodata";
    case RrlKind::nxdomain: return "nxdomain";
    case RrlKind::error: return "error";
    }
    return "?";
}

std::uint64_t random_seed() noexcept {
    try {
        std::random_device device;
        return (std::uint64_t{device()} << 32) ^ device();
    } catch (...) {
        return static_cast<std::uint64_t>(Rrl::Clock::now().time_since_epoch().count()) * 0x9e3779b97f4a7c15ULL;
    }
}

}  // namespace

struct alignas(64) Rrl::Group {
    std::atomic<std::uint64_t> slot[kGroupSlots];
};

RrlKind rrl_kind(std::span<const std::uint8_t> response) noexcept {
    if (response.size() < kHeaderSize) return RrlKind::error;
    const std::uint16_t flags = get_u16(response.data() + 2);
    const std::uint16_t ancount = get_u16(response.data() + 6);
    switch (flags & 0x0f) {
    case rcode::NOERROR:
        if (ancount > 0 || (flags & flag::TC) != 0) return RrlKind::positive;
        return (flags & flag::AA) != 0 ? RrlKind::nodata : RrlKind::error;
    case rcode::NXDOMAIN: return RrlKind::nxdomain;
    default: return RrlKind::error;
    }
}

std::size_t write_slip(std::span<std::uint8_t> message, std::size_t length) noexcept {
    if (length < kHeaderSize || length > message.size()) return 0;
    const std::span<const std::uint8_t> msg(message.data(), length);
    std::uint8_t* p = message.data();
    const unsigned qdcount = get_u16(p + 4);
    const unsigned rrs = unsigned{get_u16(p + 6)} + get_u16(p + 8) + get_u16(p + 10);
    const unsigned additional_from = unsigned{get_u16(p + 6)} + get_u16(p + 8);

    WireName scratch;
    std::size_t pos = kHeaderSize;
    bool readable = true;
    for (unsigned i = 0; i < qdcount && readable; ++i) {
        readable = read_name(msg, pos, scratch) == NameError::none && length - pos >= 4;
        if (readable) pos += 4;
    }
    const std::size_t question_end = readable ? pos : kHeaderSize;
    std::size_t opt_start = 0, opt_size = 0;
    for (unsigned i = 0; i < rrs && readable; ++i) {
        const std::size_t start = pos;
        readable = read_name(msg, pos, scratch) == NameError::none && length - pos >= 10;
        if (!readable) break;
        const std::size_t end = pos + 10 + get_u16(p + pos + 8);
        if (end > length) break;
        if (i >= additional_from && get_u16(p + pos) == kOpt) {
            opt_start = start;
            opt_size = end - start;
            break;
        }
        pos = end;
    }

    put_u16(p + 2, static_cast<std::uint16_t>(get_u16(p + 2) | flag::TC));
    put_u16(p + 4, static_cast<std::uint16_t>(question_end > kHeaderSize ? qdcount : 0));
    put_u16(p + 6, 0);
    put_u16(p + 8, 0);
    put_u16(p + 10, opt_size > 0 ? 1 : 0);
    if (opt_size > 0) std::memmove(p + question_end, p + opt_start, opt_size);  // the OPT lies after the question
    return question_end + opt_size;
}

core::IpAddress client_address(const sockaddr_storage& peer) noexcept {
    core::IpAddress out;
    if (peer.ss_family == AF_INET) {
        const auto& in = reinterpret_cast<const sockaddr_in&>(peer);
        std::memcpy(out.bytes.data(), &in.sin_addr, 4);
        return out;
    }
    if (peer.ss_family == AF_INET6) {
        const auto& in6 = reinterpret_cast<const sockaddr_in6&>(peer);
        if (IN6_IS_ADDR_V4MAPPED(&in6.sin6_addr)) {
            std::memcpy(out.bytes.data(), in6.sin6_addr.s6_addr + 12, 4);
            return out;
        }
        out.v6 = true;
        std::memcpy(out.bytes.data(), in6.sin6_addr.s6_addr, 16);
    }
    return out;
}

Rrl::Rrl(RrlOptions options, std::optional<std::uint64_t> seed)
    : options_(std::move(options)), seed_(seed ? *seed : random_seed()) {
    const std::uint32_t by_kind[4] = {
        options_.responses_per_second,
        options_.responses_per_second,
        options_.nxdomains_per_second.value_or(options_.responses_per_second),
        options_.errors_per_second.value_or(options_.responses_per_second),
    };
    const std::uint64_t window = std::uint64_t{std::min(options_.window_seconds, kRrlMaxWindow)} * kSecond;
    for (std::size_t k = 0; k < 4; ++k) {
        const std::uint64_t rate = std::min(by_kind[k], kRrlMaxRate);
        if (rate == 0) continue;
        Rate& r = rates_[k];
        r.interval = (kSecond + rate / 2) / rate;  // rounded: 2^20 / 10000 still errs < 0.5 %
        r.burst = rate * r.interval;
        r.cap = r.burst + window;
        stale_after_ = std::max(stale_after_, r.cap);
    }
    options_.slip = std::min(options_.slip, kRrlMaxSlip);
    const std::uint64_t wanted = std::max<std::uint64_t>(options_.table_size, kGroupSlots);
    const std::uint64_t groups = std::bit_ceil(wanted) / kGroupSlots;
    group_mask_ = groups - 1;
    groups_ = std::make_unique<Group[]>(groups);  // value-initialised: every word 0 (an idle bucket)
}

Rrl::~Rrl() = default;

std::size_t Rrl::buckets() const noexcept { return (group_mask_ + 1) * kGroupSlots; }

bool Rrl::exempt(const core::IpAddress& client) const noexcept {
    return std::any_of(options_.exempt.begin(), options_.exempt.end(),
                       [&](const core::Cidr& cidr) { return cidr.contains(client); });
}

RrlAction Rrl::check(const core::IpAddress& client, std::span<const std::uint8_t> response,
                     Clock::time_point now) noexcept {
    const RrlKind kind = rrl_kind(response);
    const Rate& rate = rates_[static_cast<std::size_t>(kind)];
    if (rate.interval == 0 || exempt(client)) return RrlAction::send;

    const core::IpAddress prefix =
        mask_prefix(client, client.v6 ? options_.ipv6_prefix_length : options_.ipv4_prefix_length);
    Hasher hasher(seed_);
    const std::uint8_t head[2] = {static_cast<std::uint8_t>(kind), static_cast<std::uint8_t>(prefix.v6 ? 6 : 4)};
    hasher.add(head, sizeof head);
    hasher.add(prefix.bytes.data(), prefix.v6 ? 16 : 4);
    if (keyed_by_name(kind) && get_u16(response.data() + 4) > 0) {
        // The canonical (lower-case) name: 0x20 case randomisation does not make new keys.
        WireName qname;
        std::size_t pos = kHeaderSize;
        if (read_name(response, pos, qname) == NameError::none) hasher.add(qname.canonical, qname.size);
    }
    const std::uint64_t hash = hasher.finish();

    const std::uint64_t t = to_units(now);
    const RrlAction action = take(groups_[hash & group_mask_], hash >> kTagShift, rate, t);
    if (action != RrlAction::send) note_limited(client, kind, action, t);
    return action;
}

RrlAction Rrl::take(Group& group, std::uint64_t tag, const Rate& rate, std::uint64_t now) noexcept {
    const auto idle = [&](std::uint64_t word) {
        const std::int64_t ahead = distance(tat_of(word), now);
        return ahead <= 0 || static_cast<std::uint64_t>(ahead) > stale_after_;
    };
    for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
        std::uint64_t words[kGroupSlots];
        for (unsigned i = 0; i < kGroupSlots; ++i) words[i] = group.slot[i].load(std::memory_order_relaxed);

        // Our own bucket; else one that has refilled completely (the same as a new one); else
        // share the one least in debt, keeping its tag.
        unsigned slot = kGroupSlots;
        for (unsigned i = 0; i < kGroupSlots && slot == kGroupSlots; ++i)
            if (tag_of(words[i]) == tag) slot = i;
        for (unsigned i = 0; i < kGroupSlots && slot == kGroupSlots; ++i)
            if (idle(words[i])) slot = i;
        std::uint64_t owner = tag;
        if (slot == kGroupSlots) {
            slot = 0;
            for (unsigned i = 1; i < kGroupSlots; ++i)
                if (distance(tat_of(words[i]), now) < distance(tat_of(words[slot]), now)) slot = i;
            owner = tag_of(words[slot]);
        }

        const std::uint64_t old = words[slot];
        const bool fresh = idle(old) || tag_of(old) != owner;
        std::uint64_t slip = fresh ? 0 : slip_of(old);
        std::uint64_t tat = (fresh ? now : tat_of(old)) + rate.interval;
        RrlAction action = RrlAction::send;
        if (static_cast<std::uint64_t>(distance(tat, now)) > rate.burst) {
            if (static_cast<std::uint64_t>(distance(tat, now)) > rate.cap) tat = now + rate.cap;
            if (options_.slip == 0) {
                action = RrlAction::drop;
            } else {
                slip = (slip + 1) % options_.slip;
                action = slip == 0 ? RrlAction::slip : RrlAction::drop;
            }
        }
        std::uint64_t expected = old;
        if (group.slot[slot].compare_exchange_weak(expected, pack(owner, slip, tat), std::memory_order_relaxed))
            return action;
    }
    // Every failed attempt means another worker's succeeded on this very bucket: it is being
    // hammered from several workers at once, i.e. flooded. Dropping keeps the count exact-or-under.
    return RrlAction::drop;
}

void Rrl::note_limited(const core::IpAddress& client, RrlKind kind, RrlAction action, std::uint64_t now) noexcept {
    limited_since_log_.fetch_add(1, std::memory_order_relaxed);
    if (action == RrlAction::slip) slipped_since_log_.fetch_add(1, std::memory_order_relaxed);
    std::uint64_t next = next_log_.load(std::memory_order_relaxed);
    if ((next & kLogSet) != 0 && distance(now, next & kTimeMask) < 0) return;
    if (!next_log_.compare_exchange_strong(next, kLogSet | ((now + kLogInterval) & kTimeMask), std::memory_order_relaxed))
        return;  // another worker writes this line
    const std::uint64_t limited = limited_since_log_.exchange(0, std::memory_order_relaxed);
    const std::uint64_t slipped = slipped_since_log_.exchange(0, std::memory_order_relaxed);
    const unsigned bits = client.v6 ? options_.ipv6_prefix_length : options_.ipv4_prefix_length;
    const core::IpAddress prefix = mask_prefix(client, bits);
    char host[INET6_ADDRSTRLEN] = {};
    ::inet_ntop(prefix.v6 ? AF_INET6 : AF_INET, prefix.bytes.data(), host, sizeof host);
    try {
        logger()->warn("event=rrl_limiting prefix={}/{} kind={} limited_since_last={} slipped_since_last={} every_s={}",
                       host, bits, kind_text(kind), limited, slipped, kLogInterval / kSecond);
    } catch (...) {
        // Logging must never take the worker down.
    }
}

}  // namespace acmezone::dns
