// dns/message_writer: writes a response straight into the caller's buffer: header, the
// question echoed byte for byte, RRs (owner as a compression pointer or uncompressed wire,
// RDATA as stored) and the OPT RR. It keeps a size limit (the UDP payload size) with room
// reserved for the OPT, so an RRset either fits whole or not at all (RFC 2181 §9). No heap.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "dns/wire_reader.hpp"

namespace acmezone::dns {

enum class Section { answer, authority, additional };

inline constexpr std::uint16_t kQuestionPointer = 0xc000 | kHeaderSize;  // the echoed QNAME at offset 12
inline constexpr std::size_t kOptSize = 11;                              // root owner + fixed part, no options

// An owner name: a compression pointer (RFC 1035 §4.1.4) or uncompressed wire.
struct Owner {
    std::uint16_t pointer = 0;             // 0xc000 | offset, or 0 to use `wire`
    std::span<const std::uint8_t> wire{};  // uncompressed, when pointer is 0
};

class MessageWriter {
public:
    // `limit` bounds the whole message (clamped to the buffer); `out` must hold a header.
    MessageWriter(std::span<std::uint8_t> out, std::size_t limit) noexcept;

    // Header (counts filled in by finish) and the question copied from the query; false when
    // even that does not fit.
    bool start(std::uint16_t id, std::uint16_t flags, std::span<const std::uint8_t> question) noexcept;
    void set_flags(std::uint16_t flags) noexcept { flags_ = flags; }
    std::uint16_t flags() const noexcept { return flags_; }
    // Keeps `n` octets free at the end for what must always fit (the OPT RR).
    void reserve(std::size_t n) noexcept { reserved_ = n; }

    // One RR; false (and nothing written) when it would pass the limit.
    bool add_rr(Section section, const Owner& owner, std::uint16_t type, std::uint16_t rrclass, std::uint32_t ttl,
                std::span<const std::uint8_t> rdata) noexcept;

    // RRsets are written as a unit: take a mark before, roll back to it when one RR fails.
    struct Mark {
        std::size_t pos;
        std::uint16_t counts[3];
    };
    Mark mark() const noexcept { return {pos_, {counts_[0], counts_[1], counts_[2]}}; }
    void rollback(const Mark& m) noexcept;

    // Drops every RR written so far and sets TC (RFC 1035 §4.2.1; RFC 2181 §9).
    void truncate() noexcept;

    // The OPT RR of the response (RFC 6891 §6.1.2): payload size, extended RCODE (upper 8
    // bits), version 0, DO copied. Uses the reserved room.
    bool add_opt(std::uint16_t payload, std::uint8_t extended_rcode, bool do_bit) noexcept;

    // Writes flags and counts into the header; returns the message length.
    std::size_t finish() noexcept;

private:
    bool room(std::size_t n) const noexcept { return pos_ + n + reserved_ <= limit_; }
    void put_u16(std::uint16_t v) noexcept;
    void put_u32(std::uint32_t v) noexcept;
    void put_bytes(std::span<const std::uint8_t> bytes) noexcept;

    std::uint8_t* buf_;
    std::size_t limit_;
    std::size_t pos_ = 0;
    std::size_t question_end_ = 0;
    std::size_t reserved_ = 0;
    std::uint16_t id_ = 0;
    std::uint16_t flags_ = 0;
    std::uint16_t qdcount_ = 0;
    std::uint16_t counts_[3] = {0, 0, 0};
};

}  // namespace acmezone::dns
