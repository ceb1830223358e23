#include "core/name.hpp"

#include <cctype>
#include <cstdio>

namespace acmezone::core {
namespace {

// Parses one presentation-format name into wire labels; `absolute` tells whether it ended in a dot.
Result<std::string> text_to_wire_labels(std::string_view text, bool& absolute) {
    absolute = false;
    if (text == ".") {
        absolute = true;
        return std::string{};
    }
    if (text.empty()) return make_error(Errc::invalid_argument, "empty name");
    std::string out;
    std::string label;
    auto finish_label = [&]() -> Status {
        if (label.empty()) return make_error(Errc::invalid_argument, "empty label in name");
        if (label.size() > kMaxLabel) return make_error(Errc::invalid_argument, "label longer than 63 octets");
        out.push_back(static_cast<char>(label.size()));
        out += label;
        label.clear();
        return Ok{};
    };
    for (std::size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (c == '.') {
            if (auto st = finish_label(); !st) return std::move(st).error();
            if (i + 1 == text.size()) absolute = true;
            continue;
        }
        if (c == '\\') {
            if (i + 1 >= text.size()) return make_error(Errc::invalid_argument, "dangling backslash in name");
            char n = text[i + 1];
            if (std::isdigit(static_cast<unsigned char>(n))) {
                if (i + 3 >= text.size()) return make_error(Errc::invalid_argument, "short \\DDD escape in name");
                int v = 0;
                for (int k = 1; k <= 3; ++k) {
                    char d = text[i + k];
                    if (!std::isdigit(static_cast<unsigned char>(d)))
                        return make_error(Errc::invalid_argument, "bad \\DDD escape in name");
                    v = v * 10 + (d - '0');
                }
                if (v > 255) return make_error(Errc::invalid_argument, "\\DDD escape above 255 in name");
                label.push_back(static_cast<char>(v));
                i += 3;
            } else {
                label.push_back(n);
                i += 1;
            }
            continue;
        }
        if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7f)
            return make_error(Errc::invalid_argument, "unescaped space or control character in name");
        label.push_back(c);
    }
    if (!label.empty()) {
        if (auto st = finish_label(); !st) return std::move(st).error();
    }
    return out;
}

}  // namespace

Name::Name() : wire_(1, '\0'), canonical_(1, '\0') {}

Name Name::from_valid_wire(std::string wire) {
    Name n;
    n.canonical_ = wire;
    for (auto& c : n.canonical_) c = static_cast<char>(fold_case(static_cast<std::uint8_t>(c)));
    n.wire_ = std::move(wire);
    return n;
}

Result<Name> Name::from_text(std::string_view text) {
    bool absolute = false;
    auto labels = text_to_wire_labels(text, absolute);
    if (!labels) return std::move(labels).error();
    std::string wire = std::move(labels.value());
    wire.push_back('\0');
    if (wire.size() > kMaxNameWire) return make_error(Errc::invalid_argument, "name longer than 255 octets");
    return from_valid_wire(std::move(wire));
}

Result<Name> Name::from_text(std::string_view text, const Name& origin) {
    if (text == "@") return origin;
    bool absolute = false;
    auto labels = text_to_wire_labels(text, absolute);
    if (!labels) return std::move(labels).error();
    std::string wire = std::move(labels.value());
    if (absolute) {
        wire.push_back('\0');
    } else {
        wire += origin.wire_;
    }
    if (wire.size() > kMaxNameWire) return make_error(Errc::invalid_argument, "name longer than 255 octets");
    return from_valid_wire(std::move(wire));
}

bool is_valid_uncompressed_wire(std::span<const std::uint8_t> wire) noexcept {
    std::size_t pos = 0;
    while (pos < wire.size()) {
        std::uint8_t len = wire[pos];
        if (len == 0) return pos + 1 == wire.size() && wire.size() <= kMaxNameWire;
        if (len > kMaxLabel) return false;
        pos += 1 + len;
    }
    return false;
}

Result<Name> Name::from_wire(std::span<const std::uint8_t> wire) {
    if (!is_valid_uncompressed_wire(wire)) return make_error(Errc::invalid_argument, "invalid wire-format name");
    return from_valid_wire(std::string(reinterpret_cast<const char*>(wire.data()), wire.size()));
}

std::size_t Name::label_count() const noexcept {
    std::size_t count = 0;
    for (std::size_t pos = 0; static_cast<std::uint8_t>(wire_[pos]) != 0; pos += 1 + static_cast<std::uint8_t>(wire_[pos]))
        ++count;
    return count;
}

bool Name::is_at_or_below(const Name& other) const noexcept {
    if (other.canonical_.size() > canonical_.size()) return false;
    // The suffix must start on a label boundary.
    std::size_t skip = canonical_.size() - other.canonical_.size();
    std::size_t pos = 0;
    while (pos < skip) pos += 1 + static_cast<std::uint8_t>(canonical_[pos]);
    return pos == skip && std::string_view(canonical_).substr(skip) == other.canonical_;
}

std::vector<std::string> Name::labels() const {
    std::vector<std::string> out;
    for (std::size_t pos = 0; static_cast<std::uint8_t>(wire_[pos]) != 0;) {
        std::size_t len = static_cast<std::uint8_t>(wire_[pos]);
        out.emplace_back(wire_.substr(pos + 1, len));
        pos += 1 + len;
    }
    return out;
}

namespace {
void append_escaped_label(std::string& out, std::string_view label) {
    for (unsigned char c : label) {
        if (c == '.' || c == '\\' || c == '"' || c == '(' || c == ')' || c == ';' || c == '@' || c == '$') {
            out.push_back('\\');
            out.push_back(static_cast<char>(c));
        } else if (c <= 0x20 || c >= 0x7f) {
            char buf[5];
            std::snprintf(buf, sizeof buf, "\\%03u", c);
            out += buf;
        } else {
            out.push_back(static_cast<char>(c));
        }
    }
}

std::string wire_to_text(std::string_view wire, std::size_t end) {
    if (end == 0) return ".";
    std::string out;
    for (std::size_t pos = 0; pos < end;) {
        std::size_t len = static_cast<std::uint8_t>(wire[pos]);
        append_escaped_label(out, wire.substr(pos + 1, len));
        out.push_back('.');
        pos += 1 + len;
    }
    return out;
}
}  // namespace

std::string Name::to_text() const { return wire_to_text(wire_, wire_.size() - 1); }
std::string Name::to_canonical_text() const { return wire_to_text(canonical_, canonical_.size() - 1); }

std::string Name::relative_text(const Name& ancestor) const {
    if (!is_at_or_below(ancestor)) return to_text();
    std::size_t end = wire_.size() - ancestor.wire_.size();
    if (end == 0) return "";
    std::string text = wire_to_text(wire_, end);
    text.pop_back();  // no trailing dot: it is relative
    return text;
}

Result<Name> Name::prepend(std::string_view relative) const { return from_text(relative, *this); }

}  // namespace acmezone::core
