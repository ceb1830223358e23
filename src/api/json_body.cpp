#include "api/json_body.hpp"

#include <cctype>

namespace acmezone::api {

namespace {

bool iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
    }
    return true;
}

// Go: a string field takes a string, keeps its value for null, and records a type error
// (but decoding goes on) for anything else. True when no type error.
bool read_string_field(const Json& object, std::string_view key, std::string& out) {
    const Json* v = find_key(object, key);
    if (v == nullptr || v->is_null()) return true;
    if (!v->is_string()) return false;
    out = v->get<std::string>();
    return true;
}

// The length of the well-formed UTF-8 sequence at the start of `s` (RFC 3629 §4: no overlong
// forms, no surrogates, nothing above U+10FFFF), or 0 when there is none: Go's
// utf8.DecodeRune answers (RuneError, 1) exactly then.
std::size_t utf8_sequence(std::string_view s) noexcept {
    const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
    const unsigned char b0 = byte(0);
    if (b0 < 0x80) return 1;
    std::size_t n = 0;
    unsigned char lo = 0x80;
    unsigned char hi = 0xBF;  // the range of the second byte
    if (b0 >= 0xC2 && b0 <= 0xDF) {
        n = 2;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
        n = 3;
        if (b0 == 0xE0) lo = 0xA0;  // overlong
        if (b0 == 0xED) hi = 0x9F;  // UTF-16 surrogates
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
        n = 4;
        if (b0 == 0xF0) lo = 0x90;  // overlong
        if (b0 == 0xF4) hi = 0x8F;  // above U+10FFFF
    } else {
        return 0;
    }
    if (s.size() < n || byte(1) < lo || byte(1) > hi) return 0;
    for (std::size_t i = 2; i < n; ++i)
        if (byte(i) < 0x80 || byte(i) > 0xBF) return 0;
    return n;
}

// The value of a backslash-u escape (four hex digits) at the start of `s`, or -1.
int hex4(std::string_view s) noexcept {
    if (s.size() < 6 || s[0] != '\\' || s[1] != 'u') return -1;
    int v = 0;
    for (std::size_t i = 2; i < 6; ++i) {
        const char c = s[i];
        int d = -1;
        if (c >= '0' && c <= '9') d = c - '0';
        else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
        if (d < 0) return -1;
        v = v * 16 + d;
    }
    return v;
}

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD in UTF-8

}  // namespace

bool json_too_deep(std::string_view body, std::size_t max_depth) noexcept {
    // nlohmann skips a leading UTF-8 byte order mark; so must the scan, or it would stop there.
    if (body.starts_with("\xEF\xBB\xBF")) body.remove_prefix(3);
    std::size_t depth = 0;
    bool in_string = false;
    bool escaped = false;
    for (const char c : body) {
        if (in_string) {
            if (escaped) escaped = false;
            else if (c == '\\') escaped = true;
            else if (c == '"') {
                in_string = false;
                if (depth == 0) return false;  // the first value was a string
            }
            continue;
        }
        switch (c) {
            case '"': in_string = true; break;
            case '[':
            case '{':
                if (++depth > max_depth) return true;
                break;
            case ']':
            case '}':
                // Unbalanced: a syntax error the parser reports. Back at 0: the value is complete.
                if (depth == 0 || --depth == 0) return false;
                break;
            case ' ':
            case '\t':
            case '\r':
            case '\n': break;
            default:
                if (depth == 0) return false;  // a scalar first value (or garbage): no nesting
                break;
        }
    }
    return false;
}

std::string go_json_text(std::string_view body) {
    std::string out;
    out.reserve(body.size());
    bool in_string = false;
    std::size_t i = 0;
    while (i < body.size()) {
        const char c = body[i];
        if (static_cast<unsigned char>(c) >= 0x80) {
            const std::size_t n = utf8_sequence(body.substr(i));
            if (n == 0) {
                out += kReplacement;  // one U+FFFD per bad byte, as Go's decoder
                ++i;
            } else {
                out.append(body.substr(i, n));
                i += n;
            }
            continue;
        }
        if (!in_string) {
            if (c == '"') in_string = true;
            out.push_back(c);
            ++i;
            continue;
        }
        if (c == '"') {
            in_string = false;
        } else if (c == '\\' && i + 1 < body.size()) {
            const int v = hex4(body.substr(i));
            if (v >= 0xD800 && v <= 0xDFFF) {
                // Go: a high surrogate followed by a low one is a pair; anything else is U+FFFD
                // and the next escape is read on its own.
                const int next = v <= 0xDBFF ? hex4(body.substr(i + 6)) : -1;
                if (next >= 0xDC00 && next <= 0xDFFF) {
                    out.append(body.substr(i, 12));
                    i += 12;
                } else {
                    out += "\\ufffd";
                    i += 6;
                }
                continue;
            }
            // Any other escape pair stays together, so an escaped quote does not end the string.
            if (static_cast<unsigned char>(body[i + 1]) < 0x80) {
                out.append(body.substr(i, 2));
                i += 2;
                continue;
            }
        }
        out.push_back(c);
        ++i;
    }
    return out;
}

bool is_json_media_type(std::string_view content_type) noexcept {
    std::string_view type = content_type.substr(0, content_type.find(';'));
    while (!type.empty() && (type.front() == ' ' || type.front() == '\t')) type.remove_prefix(1);
    while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) type.remove_suffix(1);
    return iequals(type, "application/json");
}

std::optional<Json> parse_first_value(std::string_view body) {
    if (json_too_deep(body)) return std::nullopt;
    Json out;
    nlohmann::detail::json_sax_dom_parser<Json> sax(out, false);
    // strict = false: stop after the first complete value, as json.Decoder.Decode does.
    const bool ok = Json::sax_parse(body.begin(), body.end(), &sax, Json::input_format_t::json, false);
    if (!ok || sax.is_errored()) return std::nullopt;
    return out;
}

std::optional<Json> parse_whole(std::string_view body) {
    if (json_too_deep(body)) return std::nullopt;
    Json out = Json::parse(body.begin(), body.end(), nullptr, false);
    if (out.is_discarded()) return std::nullopt;
    return out;
}

const Json* find_key(const Json& object, std::string_view key) {
    if (!object.is_object()) return nullptr;
    const Json* found = nullptr;
    for (auto it = object.begin(); it != object.end(); ++it) {
        if (iequals(it.key(), key)) found = &it.value();
    }
    return found;
}

UpdateBody read_update_body(std::string_view body) {
    UpdateBody out;
    auto value = parse_first_value(go_json_text(body));
    if (!value || !value->is_object()) return out;
    (void)read_string_field(*value, "subdomain", out.subdomain);
    (void)read_string_field(*value, "txt", out.txt);
    return out;
}

RegisterBody read_register_body(std::string_view body) {
    RegisterBody out;
    // acme-dns reads the body only when it has bytes; whitespace alone is then a JSON error.
    if (body.empty()) return out;
    auto value = parse_whole(go_json_text(body));
    if (!value) return {false, {}};
    if (value->is_null()) return out;  // Go: null into a struct is a no-op
    if (!value->is_object()) return {false, {}};

    // The body decodes into acme-dns's whole account struct: a wrong type anywhere fails it.
    std::string ignored;
    for (std::string_view key : {"password", "subdomain", "txt"}) {
        if (!read_string_field(*value, key, ignored)) return {false, {}};
    }
    if (const Json* user = find_key(*value, "username"); user != nullptr && !user->is_null()) {
        if (!user->is_string() || !parse_uuid(user->get<std::string>())) return {false, {}};
    }
    if (const Json* allow = find_key(*value, "allowfrom"); allow != nullptr && !allow->is_null()) {
        if (!allow->is_array()) return {false, {}};
        for (const auto& entry : *allow) {
            if (entry.is_null()) {
                out.allowfrom.emplace_back();  // Go leaves the element "", which then fails the CIDR check
            } else if (entry.is_string()) {
                out.allowfrom.push_back(entry.get<std::string>());
            } else {
                return {false, {}};
            }
        }
    }
    return out;
}

std::optional<std::string> parse_uuid(std::string_view text) {
    std::string_view hex36;
    std::string compact;
    switch (text.size()) {
        case 36: hex36 = text; break;
        case 38:
            if (text.front() != '{' || text.back() != '}') return std::nullopt;
            hex36 = text.substr(1, 36);
            break;
        case 45:
            if (!iequals(text.substr(0, 9), "urn:uuid:")) return std::nullopt;
            hex36 = text.substr(9);
            break;
        case 32: compact = std::string(text); break;
        default: return std::nullopt;
    }
    if (!hex36.empty()) {
        for (std::size_t i = 0; i < hex36.size(); ++i) {
            const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
            if (dash) {
                if (hex36[i] != '-') return std::nullopt;
            } else {
                compact.push_back(hex36[i]);
            }
        }
    }
    std::string out;
    out.reserve(36);
    for (std::size_t i = 0; i < compact.size(); ++i) {
        const char c = compact[i];
        if (!std::isxdigit(static_cast<unsigned char>(c))) return std::nullopt;
        if (i == 8 || i == 12 || i == 16 || i == 20) out.push_back('-');
        out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    }
    return out;
}

}  // namespace acmezone::api
