// store/record_codec: the on-disk encoding of the records database, owned here alone.
//
// Key:   owner name with its labels reversed, each as <len><lower-case bytes>, then a 0x00
//        octet and the 2-octet type. A name's key is a byte prefix of every descendant's
//        key, so a subtree is one key range and "has descendants" is one cursor seek.
// Value: version octet (1), TTL (u32), count (u16), then per RR: added-at unix seconds
//        (u64), RDATA length (u16), RDATA. RRs are kept oldest first. All integers big-endian.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/result.hpp"

namespace acmezone::store {

inline constexpr std::size_t kMaxKeySize = 256 + 3;  // 255-octet name, reordered, + 0x00 + type
inline constexpr std::uint8_t kRecordValueVersion = 1;

// Writes the name part of a key (no terminator); returns its length. `canonical_wire` must be a
// valid uncompressed wire name (<= 255 octets); out must hold kMaxKeySize bytes.
std::size_t encode_name_key(std::span<const std::uint8_t> canonical_wire, std::uint8_t* out) noexcept;
// Name part + 0x00 + type.
std::size_t encode_record_key(std::span<const std::uint8_t> canonical_wire, std::uint16_t type, std::uint8_t* out) noexcept;
// Inverse of encode_record_key: canonical wire name and type. False when malformed.
bool decode_record_key(std::span<const std::uint8_t> key, std::string& canonical_wire, std::uint16_t& type);

struct StoredRR {
    std::uint64_t added_at = 0;
    std::string rdata;
};

struct StoredRRset {
    std::uint32_t ttl = 0;
    std::vector<StoredRR> rrs;  // oldest first
};

std::string encode_rrset(const StoredRRset& rrset);
core::Result<StoredRRset> decode_rrset(std::span<const std::uint8_t> value);

// A zero-copy view of an encoded RRset (points into the LMDB map). Empty when not found or
// malformed. Iteration yields each RR's RDATA and added-at time.
class RRsetView {
public:
    RRsetView() = default;
    explicit RRsetView(std::span<const std::uint8_t> value) noexcept;  // validates once

    bool empty() const noexcept { return count_ == 0; }
    std::uint32_t ttl() const noexcept { return ttl_; }
    std::uint16_t count() const noexcept { return count_; }

    struct RR {
        std::uint64_t added_at;
        std::span<const std::uint8_t> rdata;
    };
    class Iterator {
    public:
        Iterator(const std::uint8_t* p, std::uint16_t left) noexcept : p_(p), left_(left) {}
        RR operator*() const noexcept;
        Iterator& operator++() noexcept;
        bool operator!=(const Iterator& o) const noexcept { return left_ != o.left_; }
    private:
        const std::uint8_t* p_;
        std::uint16_t left_;
    };
    Iterator begin() const noexcept { return {rrs_, count_}; }
    Iterator end() const noexcept { return {nullptr, 0}; }

private:
    const std::uint8_t* rrs_ = nullptr;
    std::uint32_t ttl_ = 0;
    std::uint16_t count_ = 0;
};

}  // namespace acmezone::store
