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

}  // namespace

std::optional<Json> parse_first_value(std::string_view body) {
    Json out;
    nlohmann::detail::json_sax_dom_parser<Json> sax(out, false);
    // strict = false: stop after the first complete value, as json.Decoder.Decode does.
    const bool ok = Json::sax_parse(body.begin(), body.end(), &sax, Json::input_format_t::json, false);
    if (!ok || sax.is_errored()) return std::nullopt;
    return out;
}

std::optional<Json> parse_whole(std::string_view body) {
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
    auto value = parse_first_value(body);
    if (!value || !value->is_object()) return out;
    (void)read_string_field(*value, "subdomain", out.subdomain);
    (void)read_string_field(*value, "txt", out.txt);
    return out;
}

RegisterBody read_register_body(std::string_view body) {
    RegisterBody out;
    // acme-dns reads the body only when it has bytes; whitespace alone is then a JSON error.
    if (body.empty()) return out;
    auto value = parse_whole(body);
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
