// core/name: domain names. A Name keeps the wire form as written (case preserved, for
// static records and echoing) and its canonical form (ASCII lower-cased, RFC 4343) used
// for every comparison and lookup. Immutable after construction; safe to share.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace acmezone::core {

inline constexpr std::size_t kMaxNameWire = 255;  // RFC 1035 §2.3.4
inline constexpr std::size_t kMaxLabel = 63;

// Lower-case ASCII letters only (RFC 4343): bytes >= 0x80 and label lengths are untouched
// because they are never in 'A'..'Z'.
constexpr std::uint8_t fold_case(std::uint8_t c) noexcept {
    return (c >= 'A' && c <= 'Z') ? static_cast<std::uint8_t>(c + 32) : c;
}

class Name {
public:
    Name();  // the root

    // Presentation format, absolute whether or not it ends with a dot. Supports \. and \DDD.
    static Result<Name> from_text(std::string_view text);
    // Relative to origin unless it ends with a dot; "@" is the origin itself.
    static Result<Name> from_text(std::string_view text, const Name& origin);
    // Uncompressed wire form, including the terminating zero octet.
    static Result<Name> from_wire(std::span<const std::uint8_t> wire);

    std::string to_text() const;          // with trailing dot, as written (case kept)
    std::string to_canonical_text() const;  // lower-case, trailing dot

    std::string_view wire() const noexcept { return wire_; }
    std::string_view canonical_wire() const noexcept { return canonical_; }
    std::size_t label_count() const noexcept;
    bool is_root() const noexcept { return wire_.size() == 1; }

    // True when this name equals other or lies below it (case-insensitive).
    bool is_at_or_below(const Name& other) const noexcept;
    // Labels of this name before the ancestor, as a relative presentation string ("" for equal).
    std::string relative_text(const Name& ancestor) const;
    // This name with `prefix` (a relative name, possibly several labels) prepended.
    Result<Name> prepend(std::string_view relative_text) const;
    // The labels, first (leftmost) first, case kept, unescaped.
    std::vector<std::string> labels() const;

    friend bool operator==(const Name& a, const Name& b) noexcept { return a.canonical_ == b.canonical_; }
    friend bool operator<(const Name& a, const Name& b) noexcept { return a.canonical_ < b.canonical_; }

private:
    static Name from_valid_wire(std::string wire);
    std::string wire_;
    std::string canonical_;
};

// Canonical wire of a name given in wire form (lowercases letters). Returns false when the
// wire form is not a valid uncompressed name. Used where no Name object is wanted.
bool is_valid_uncompressed_wire(std::span<const std::uint8_t> wire) noexcept;

}  // namespace acmezone::core
