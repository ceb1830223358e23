#include "dns/message_writer.hpp"

#include <algorithm>
#include <cstring>

#include "core/rr.hpp"

namespace acmezone::dns {

MessageWriter::MessageWriter(std::span<std::uint8_t> out, std::size_t limit) noexcept
    : buf_(out.data()), limit_(std::min(limit, out.size())) {}

void MessageWriter::put_u16(std::uint16_t v) noexcept {
    buf_[pos_] = static_cast<std::uint8_t>(v >> 8);
    buf_[pos_ + 1] = static_cast<std::uint8_t>(v);
    pos_ += 2;
}

void MessageWriter::put_u32(std::uint32_t v) noexcept {
    put_u16(static_cast<std::uint16_t>(v >> 16));
    put_u16(static_cast<std::uint16_t>(v));
}

void MessageWriter::put_bytes(std::span<const std::uint8_t> bytes) noexcept {
    if (!bytes.empty()) std::memcpy(buf_ + pos_, bytes.data(), bytes.size());
    pos_ += bytes.size();
}

bool MessageWriter::start(std::uint16_t id, std::uint16_t flags, std::span<const std::uint8_t> question) noexcept {
    id_ = id;
    flags_ = flags;
    pos_ = 0;
    counts_[0] = counts_[1] = counts_[2] = 0;
    if (kHeaderSize + question.size() > limit_) return false;
    pos_ = kHeaderSize;  // header bytes are written by finish()
    put_bytes(question);
    qdcount_ = question.empty() ? 0 : 1;
    question_end_ = pos_;
    return true;
}

bool MessageWriter::add_rr(Section section, const Owner& owner, std::uint16_t type, std::uint16_t rrclass,
                           std::uint32_t ttl, std::span<const std::uint8_t> rdata) noexcept {
    const std::size_t owner_size = owner.pointer != 0 ? 2 : owner.wire.size();
    if (rdata.size() > 0xffff || !room(owner_size + 10 + rdata.size())) return false;
    auto& count = counts_[static_cast<int>(section)];
    if (count == 0xffff) return false;
    if (owner.pointer != 0)
        put_u16(owner.pointer);
    else
        put_bytes(owner.wire);
    put_u16(type);
    put_u16(rrclass);
    put_u32(ttl);
    put_u16(static_cast<std::uint16_t>(rdata.size()));
    put_bytes(rdata);
    ++count;
    return true;
}

void MessageWriter::rollback(const Mark& m) noexcept {
    pos_ = m.pos;
    std::copy(std::begin(m.counts), std::end(m.counts), std::begin(counts_));
}

void MessageWriter::truncate() noexcept {
    pos_ = question_end_;
    counts_[0] = counts_[1] = counts_[2] = 0;
    flags_ |= flag::TC;
}

bool MessageWriter::add_opt(std::uint16_t payload, std::uint8_t extended_rcode, bool do_bit) noexcept {
    if (pos_ + kOptSize > limit_) return false;
    buf_[pos_++] = 0;  // root owner
    put_u16(core::rrtype::OPT);
    put_u16(payload);
    put_u32((std::uint32_t{extended_rcode} << 24) | (do_bit ? 0x8000u : 0u));  // version 0, other flags zero
    put_u16(0);                                                                 // no options
    ++counts_[static_cast<int>(Section::additional)];
    return true;
}

std::size_t MessageWriter::finish() noexcept {
    const std::uint16_t header[6] = {id_, flags_, qdcount_, counts_[0], counts_[1], counts_[2]};
    for (int i = 0; i < 6; ++i) {
        buf_[2 * i] = static_cast<std::uint8_t>(header[i] >> 8);
        buf_[2 * i + 1] = static_cast<std::uint8_t>(header[i]);
    }
    return pos_;
}

}  // namespace acmezone::dns
