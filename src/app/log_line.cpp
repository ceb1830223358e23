#include "app/log_line.hpp"

#include <algorithm>
#include <string>

namespace acmezone::app {

namespace {

constexpr char kHex[] = "0123456789abcdef";

bool is_continuation(unsigned char c) noexcept { return (c & 0xC0) == 0x80; }

// Length of the well-formed UTF-8 sequence starting at text[pos] (Unicode 15 Table 3-7:
// no overlong forms, no surrogates, nothing above U+10FFFF); 0 when it is not one.
std::size_t utf8_length(std::string_view text, std::size_t pos) noexcept {
    const auto at = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
    const unsigned char c = at(pos);
    if (c < 0x80) return 1;
    std::size_t len = 0;
    unsigned char lo = 0x80, hi = 0xBF;  // the range of the second byte
    if (c >= 0xC2 && c <= 0xDF) len = 2;
    else if (c == 0xE0) len = 3, lo = 0xA0;
    else if (c == 0xED) len = 3, hi = 0x9F;
    else if (c >= 0xE1 && c <= 0xEF) len = 3;
    else if (c == 0xF0) len = 4, lo = 0x90;
    else if (c == 0xF4) len = 4, hi = 0x8F;
    else if (c >= 0xF1 && c <= 0xF3) len = 4;
    else return 0;
    if (pos + len > text.size()) return 0;
    if (at(pos + 1) < lo || at(pos + 1) > hi) return 0;
    for (std::size_t i = 2; i < len; ++i)
        if (!is_continuation(at(pos + i))) return 0;
    return len;
}

bool is_control(unsigned char c) noexcept { return c < 0x20 || c == 0x7F; }

bool is_key_char(char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
}

// Length of a key at text[pos] when "key=" starts there; 0 otherwise.
std::size_t key_length(std::string_view text, std::size_t pos) noexcept {
    std::size_t end = pos;
    while (end < text.size() && is_key_char(text[end])) ++end;
    return end > pos && end < text.size() && text[end] == '=' ? end - pos : 0;
}

void append_field(std::string& out, std::string_view key, std::string_view value) {
    out += ',';
    append_json_string(key, out);
    out += ':';
    append_json_string(value, out);
}

}  // namespace

bool needs_escaping(std::string_view text) noexcept {
    for (std::size_t i = 0; i < text.size();) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (is_control(c)) return true;
        const std::size_t len = utf8_length(text, i);
        if (len == 0) return true;
        i += len;
    }
    return false;
}

void append_escaped_text(std::string_view text, std::string& out) {
    for (std::size_t i = 0; i < text.size();) {
        const auto c = static_cast<unsigned char>(text[i]);
        const std::size_t len = is_control(c) ? 0 : utf8_length(text, i);
        if (len > 0) {
            out.append(text.substr(i, len));
            i += len;
            continue;
        }
        switch (c) {
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default:
                out += "\\x";
                out += kHex[c >> 4];
                out += kHex[c & 0xF];
        }
        ++i;
    }
}

void append_json_string(std::string_view text, std::string& out) {
    out += '"';
    for (std::size_t i = 0; i < text.size();) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += static_cast<char>(c);
            ++i;
            continue;
        }
        if (is_control(c)) {
            switch (c) {
                case '\n': out += "\\n"; break;
                case '\r': out += "\\r"; break;
                case '\t': out += "\\t"; break;
                case '\b': out += "\\b"; break;
                case '\f': out += "\\f"; break;
                default:
                    out += "\\u00";
                    out += kHex[c >> 4];
                    out += kHex[c & 0xF];
            }
            ++i;
            continue;
        }
        const std::size_t len = utf8_length(text, i);
        if (len == 0) {
            out += "\\ufffd";  // one replacement character per bad byte
            ++i;
            continue;
        }
        out.append(text.substr(i, len));
        i += len;
    }
    out += '"';
}

SplitMessage split_message(std::string_view message) {
    SplitMessage out;
    std::size_t pos = 0;
    const std::size_t n = message.size();
    while (pos < n) {
        if (message[pos] == ' ') {
            ++pos;
            continue;
        }
        const std::size_t klen = key_length(message, pos);
        if (klen == 0) {  // a free word
            const std::size_t end = std::min(message.find(' ', pos), n);
            if (!out.rest.empty()) out.rest += ' ';
            out.rest.append(message.substr(pos, end - pos));
            pos = end;
            continue;
        }
        const std::string_view key = message.substr(pos, klen);
        pos += klen + 1;
        if (pos < n && message[pos] == '"') {
            const std::size_t start = pos + 1;
            // The first quote followed by the end or by " key="; failing that, the last one
            // followed by a space (free words after the value).
            std::size_t close = std::string_view::npos;
            std::size_t last_spaced = std::string_view::npos;
            for (std::size_t q = message.find('"', start); q != std::string_view::npos; q = message.find('"', q + 1)) {
                if (q + 1 == n || (message[q + 1] == ' ' && key_length(message, q + 2) > 0)) {
                    close = q;
                    break;
                }
                if (message[q + 1] == ' ') last_spaced = q;
            }
            if (close == std::string_view::npos) close = last_spaced;
            if (close == std::string_view::npos) {  // unterminated: the rest of the line
                out.fields.push_back({key, message.substr(start)});
                pos = n;
            } else {
                out.fields.push_back({key, message.substr(start, close - start)});
                pos = close + 1;
            }
        } else {
            const std::size_t end = std::min(message.find(' ', pos), n);
            out.fields.push_back({key, message.substr(pos, end - pos)});
            pos = end;
        }
    }
    return out;
}

std::string json_log_line(std::string_view ts, std::string_view level, std::string_view module, std::string_view message) {
    const SplitMessage split = split_message(message);
    std::string out;
    out.reserve(64 + message.size() * 2);
    out += "{\"ts\":";
    append_json_string(ts, out);
    append_field(out, "level", level);
    append_field(out, "module", module);

    std::vector<std::string> used = {"ts", "level", "module", "event"};
    std::string_view event = "log";
    const LogField* event_field = nullptr;
    for (const auto& field : split.fields) {
        if (field.key == "event") {
            event = field.value;
            event_field = &field;
            break;
        }
    }
    append_field(out, "event", event);
    const auto unique_key = [&used](std::string_view key) {
        std::string name(key);
        for (int n = 2; std::find(used.begin(), used.end(), name) != used.end(); ++n) name = std::string(key) + "_" + std::to_string(n);
        used.push_back(name);
        return name;
    };
    for (const auto& field : split.fields) {
        if (&field == event_field) continue;
        append_field(out, unique_key(field.key), field.value);
    }
    if (!split.rest.empty()) append_field(out, unique_key("msg"), split.rest);
    out += '}';
    return out;
}

}  // namespace acmezone::app
