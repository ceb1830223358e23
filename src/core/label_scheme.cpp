#include "core/label_scheme.hpp"

#include <idn2.h>
#include <openssl/sha.h>

#include <cstdlib>
#include <memory>
#include <vector>

#include "core/name.hpp"
#include "core/random.hpp"

namespace acmezone::core {

namespace {

constexpr std::size_t kMaxHostText = 253;  // 255 octets of wire form minus the length octet and root
constexpr std::string_view kBase32 = "abcdefghijklmnopqrstuvwxyz234567";

bool is_ldh_alnum(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

std::string quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

// U-labels -> A-labels through libidn2 (IDNA2008, UTS #46 non-transitional mapping, NFC input).
Result<std::string> to_a_labels(const std::string& text) {
    char* out = nullptr;
    const int rc = idn2_lookup_u8(reinterpret_cast<const uint8_t*>(text.c_str()), reinterpret_cast<uint8_t**>(&out),
                                  IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
    std::unique_ptr<char, decltype(&idn2_free)> owned(out, &idn2_free);
    if (rc != IDN2_OK)
        return make_error(Errc::invalid_argument, "name " + quoted(text) + " is not a valid internationalised name: " + idn2_strerror(rc));
    return std::string(owned.get());
}

}  // namespace

std::optional<LabelScheme> parse_label_scheme(std::string_view text) noexcept {
    if (text == "uuid") return LabelScheme::uuid;
    if (text == "hash") return LabelScheme::hash;
    if (text == "reverse") return LabelScheme::reverse;
    return std::nullopt;
}

const char* to_string(LabelScheme scheme) noexcept {
    switch (scheme) {
        case LabelScheme::uuid: return "uuid";
        case LabelScheme::hash: return "hash";
        case LabelScheme::reverse: return "reverse";
    }
    return "?";
}

Result<std::string> normalise_customer_name(std::string_view input) {
    std::string text(input);
    if (text.empty()) return make_error(Errc::invalid_argument, "the name is empty");
    if (text.size() > 1024) return make_error(Errc::invalid_argument, "the name is too long");
    bool ascii = true;
    for (unsigned char c : text) {
        if (c >= 0x80) ascii = false;
        else if (c < 0x21 || c == 0x7f)
            return make_error(Errc::invalid_argument, "name " + quoted(text) + " contains a space or control character");
    }
    if (text.back() == '.') text.pop_back();
    if (text.starts_with("*.")) text.erase(0, 2);  // a wildcard's challenge lives at its base name
    if (!ascii) {
        auto converted = to_a_labels(text);
        if (!converted) return converted;
        text = std::move(converted.value());
    }
    for (auto& c : text) c = static_cast<char>(fold_case(static_cast<std::uint8_t>(c)));
    if (text.empty()) return make_error(Errc::invalid_argument, "the name is empty");
    if (text.size() > kMaxHostText)
        return make_error(Errc::invalid_argument, "name " + quoted(text) + " is longer than 253 characters");

    std::size_t labels = 0;
    std::size_t start = 0;
    while (start <= text.size()) {
        std::size_t end = text.find('.', start);
        if (end == std::string::npos) end = text.size();
        const std::string_view label = std::string_view(text).substr(start, end - start);
        if (label.empty()) return make_error(Errc::invalid_argument, "name " + quoted(text) + " has an empty label");
        if (label.size() > kMaxLabel)
            return make_error(Errc::invalid_argument, "name " + quoted(text) + ": label " + quoted(label) + " is longer than 63 characters");
        for (char c : label) {
            if (c == '*')
                return make_error(Errc::invalid_argument, "name " + quoted(text) + ": a wildcard '*' is allowed only as the first label");
            if (!is_ldh_alnum(c) && c != '-')
                return make_error(Errc::invalid_argument, "name " + quoted(text) + ": label " + quoted(label) +
                                                              " may hold only letters, digits and '-' (host name rules, RFC 1123)");
        }
        if (label.front() == '-' || label.back() == '-')
            return make_error(Errc::invalid_argument,
                              "name " + quoted(text) + ": label " + quoted(label) + " may not start or end with '-'");
        ++labels;
        start = end + 1;
    }
    if (labels < 2)
        return make_error(Errc::invalid_argument, "name " + quoted(text) + " needs at least two labels (e.g. \"example.com\")");
    return text;
}

std::string hash_label(std::string_view normalised) {
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(normalised.data()), normalised.size(), digest);
    // 20 bytes = 160 bits = exactly 32 base32 symbols of 5 bits: no padding needed.
    std::string out;
    out.reserve(32);
    unsigned buffer = 0;
    int bits = 0;
    for (int i = 0; i < 20; ++i) {
        buffer = (buffer << 8) | digest[i];
        bits += 8;
        while (bits >= 5) {
            out.push_back(kBase32[(buffer >> (bits - 5)) & 0x1f]);
            bits -= 5;
        }
    }
    return out;
}

std::string reverse_encode(std::string_view normalised) {
    std::vector<std::string_view> labels;
    for (std::size_t start = 0;;) {
        const std::size_t dot = normalised.find('.', start);
        labels.push_back(normalised.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start));
        if (dot == std::string_view::npos) break;
        start = dot + 1;
    }
    std::string out;
    out.reserve(normalised.size() * 2);
    for (auto it = labels.rbegin(); it != labels.rend(); ++it) {
        if (it != labels.rbegin()) out.push_back('-');  // the separator: a run of exactly one
        for (char c : *it) {
            if (c == '-') out.push_back('-');  // a '-' inside a label: doubled
            out.push_back(c);
        }
    }
    return out;
}

std::optional<std::string> reverse_decode(std::string_view label) {
    std::vector<std::string> labels(1);
    for (std::size_t i = 0; i < label.size();) {
        const char c = label[i];
        if (c != '-') {
            if (!is_ldh_alnum(c)) return std::nullopt;
            labels.back().push_back(c);
            ++i;
            continue;
        }
        std::size_t run = 0;
        while (i + run < label.size() && label[i + run] == '-') ++run;
        if (run == 1) {
            labels.emplace_back();
        } else if (run % 2 == 0) {
            labels.back().append(run / 2, '-');
        } else {
            return std::nullopt;  // no name encodes to an odd run longer than one
        }
        i += run;
    }
    std::string name;
    for (auto it = labels.rbegin(); it != labels.rend(); ++it) {
        if (it->empty() || it->front() == '-' || it->back() == '-') return std::nullopt;
        if (!name.empty()) name.push_back('.');
        name += *it;
    }
    if (labels.size() < 2) return std::nullopt;
    return name;
}

IssuedLabel make_label(std::string_view normalised, LabelScheme scheme) {
    switch (scheme) {
        case LabelScheme::uuid: return {random_uuid_v4(), LabelScheme::uuid, false};
        case LabelScheme::hash: return {hash_label(normalised), LabelScheme::hash, false};
        case LabelScheme::reverse: {
            std::string encoded = reverse_encode(normalised);
            if (encoded.size() <= kMaxLabel) return {std::move(encoded), LabelScheme::reverse, false};
            return {hash_label(normalised), LabelScheme::hash, true};
        }
    }
    return {hash_label(normalised), LabelScheme::hash, false};
}

}  // namespace acmezone::core
