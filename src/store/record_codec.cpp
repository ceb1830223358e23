#include "store/record_codec.hpp"

#include <algorithm>
#include <array>
#include <cstring>

#include "core/name.hpp"
#include "store/big_endian.hpp"

namespace acmezone::store {

namespace {

constexpr std::size_t kHeaderSize = 1 + 4 + 2;  // version, TTL, count
constexpr std::size_t kRRHeaderSize = 8 + 2;    // added-at, RDATA length

// Checks the value's framing; on success sets ttl/count and the start of the RR area.
bool validate_value(std::span<const std::uint8_t> value, std::uint32_t& ttl, std::uint16_t& count,
                    const std::uint8_t*& rrs) noexcept {
    if (value.size() < kHeaderSize || value[0] != kRecordValueVersion) return false;
    ttl = get_u32(value.data() + 1);
    count = get_u16(value.data() + 5);
    std::size_t pos = kHeaderSize;
    for (std::uint16_t i = 0; i < count; ++i) {
        if (value.size() - pos < kRRHeaderSize) return false;
        const std::size_t len = get_u16(value.data() + pos + 8);
        pos += kRRHeaderSize;
        if (value.size() - pos < len) return false;
        pos += len;
    }
    if (pos != value.size()) return false;  // trailing bytes mean a different or broken layout
    rrs = value.data() + kHeaderSize;
    return true;
}

}  // namespace

std::size_t encode_name_key(std::span<const std::uint8_t> canonical_wire, std::uint8_t* out) noexcept {
    // Label offsets on the stack: a 255-octet name has at most 127 labels.
    std::array<std::uint8_t, 128> starts{};
    std::size_t labels = 0;
    std::size_t pos = 0;
    const std::size_t limit = std::min(canonical_wire.size(), core::kMaxNameWire);
    while (pos < limit && canonical_wire[pos] != 0 && labels < starts.size()) {
        const std::size_t len = canonical_wire[pos];
        if (pos + 1 + len > limit) break;  // truncated input: encode the labels that are whole
        starts[labels++] = static_cast<std::uint8_t>(pos);
        pos += 1 + len;
    }
    std::size_t n = 0;
    while (labels > 0) {
        const std::size_t start = starts[--labels];
        const std::size_t len = canonical_wire[start];
        out[n++] = static_cast<std::uint8_t>(len);
        for (std::size_t i = 1; i <= len; ++i) out[n++] = core::fold_case(canonical_wire[start + i]);
    }
    return n;
}

std::size_t encode_record_key(std::span<const std::uint8_t> canonical_wire, std::uint16_t type, std::uint8_t* out) noexcept {
    std::size_t n = encode_name_key(canonical_wire, out);
    out[n++] = 0;
    out[n++] = static_cast<std::uint8_t>(type >> 8);
    out[n++] = static_cast<std::uint8_t>(type);
    return n;
}

bool decode_record_key(std::span<const std::uint8_t> key, std::string& canonical_wire, std::uint16_t& type) {
    if (key.size() < 3 || key.size() > kMaxKeySize) return false;
    const std::size_t name_end = key.size() - 3;
    if (key[name_end] != 0) return false;
    std::array<std::uint8_t, 128> starts{};
    std::size_t labels = 0;
    std::size_t pos = 0;
    while (pos < name_end) {
        const std::size_t len = key[pos];
        if (len == 0 || len > core::kMaxLabel || pos + 1 + len > name_end || labels == starts.size()) return false;
        starts[labels++] = static_cast<std::uint8_t>(pos);
        pos += 1 + len;
    }
    if (name_end + 1 > core::kMaxNameWire) return false;
    canonical_wire.clear();
    canonical_wire.reserve(name_end + 1);
    while (labels > 0) {
        const std::size_t start = starts[--labels];
        canonical_wire.append(reinterpret_cast<const char*>(key.data() + start), 1 + key[start]);
    }
    canonical_wire.push_back('\0');
    type = get_u16(key.data() + name_end + 1);
    return true;
}

std::string encode_rrset(const StoredRRset& rrset) {
    std::size_t size = kHeaderSize;
    for (const auto& rr : rrset.rrs) size += kRRHeaderSize + rr.rdata.size();
    std::string out;
    out.reserve(size);
    out.push_back(static_cast<char>(kRecordValueVersion));
    put_u32(out, rrset.ttl);
    put_u16(out, static_cast<std::uint16_t>(rrset.rrs.size()));
    for (const auto& rr : rrset.rrs) {
        put_u64(out, rr.added_at);
        put_u16(out, static_cast<std::uint16_t>(rr.rdata.size()));
        out.append(rr.rdata);
    }
    return out;
}

core::Result<StoredRRset> decode_rrset(std::span<const std::uint8_t> value) {
    RRsetView view(value);
    if (view.empty())
        return core::make_error(core::Errc::store_error, "malformed record value (version " +
                                                             std::to_string(value.empty() ? 0 : value[0]) + ", " +
                                                             std::to_string(value.size()) + " bytes)");
    StoredRRset out;
    out.ttl = view.ttl();
    out.rrs.reserve(view.count());
    for (const auto rr : view)
        out.rrs.push_back(StoredRR{rr.added_at, std::string(reinterpret_cast<const char*>(rr.rdata.data()), rr.rdata.size())});
    return out;
}

RRsetView::RRsetView(std::span<const std::uint8_t> value) noexcept {
    std::uint32_t ttl = 0;
    std::uint16_t count = 0;
    const std::uint8_t* rrs = nullptr;
    // An RRset with no RRs is never stored; treat it like a malformed value (empty view).
    if (!validate_value(value, ttl, count, rrs) || count == 0) return;
    rrs_ = rrs;
    ttl_ = ttl;
    count_ = count;
}

RRsetView::RR RRsetView::Iterator::operator*() const noexcept {
    return RR{get_u64(p_), std::span<const std::uint8_t>(p_ + kRRHeaderSize, get_u16(p_ + 8))};
}

RRsetView::Iterator& RRsetView::Iterator::operator++() noexcept {
    p_ += kRRHeaderSize + get_u16(p_ + 8);
    --left_;
    return *this;
}

}  // namespace acmezone::store
