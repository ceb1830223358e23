#include "api/request_checks.hpp"

namespace acmezone::api {

namespace {

char lower(char c) noexcept { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (lower(a[i]) != lower(b[i])) return false;
    return true;
}

bool istarts_with(std::string_view s, std::string_view prefix) noexcept {
    return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

std::string_view trim(std::string_view s) noexcept {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

bool is_alnum(char c) noexcept { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// RFC 9110 §5.6.2: token = 1*tchar.
bool is_token(std::string_view s) noexcept {
    if (s.empty()) return false;
    for (const char c : s) {
        if (is_alnum(c)) continue;
        if (std::string_view("!#$%&'*+-.^_`|~").find(c) == std::string_view::npos) return false;
    }
    return true;
}

// RFC 9110 §5.5: no CTL but HTAB (bytes 0x80 and up are obs-text, allowed).
bool is_field_value(std::string_view s) noexcept {
    for (const char c : s) {
        const auto u = static_cast<unsigned char>(c);
        if ((u < 0x20 && c != '\t') || u == 0x7F) return false;
    }
    return true;
}

// RFC 9110 §7.2 / RFC 3986 §3.2.2: Host = uri-host [ ":" port ] (reg-name, IPv4, [IPv6]).
bool is_host_value(std::string_view s) noexcept {
    for (const char c : s) {
        if (is_alnum(c)) continue;
        if (std::string_view("-._~!$&'()*+,;=:[]%").find(c) == std::string_view::npos) return false;
    }
    return true;
}

// RFC 9112 §6.3: Content-Length = 1*DIGIT. At most 19 digits, so the value fits.
std::optional<unsigned long long> content_length(std::string_view value) noexcept {
    value = trim(value);
    if (value.empty() || value.size() > 19) return std::nullopt;
    unsigned long long n = 0;
    for (const char c : value) {
        if (c < '0' || c > '9') return std::nullopt;
        n = n * 10 + static_cast<unsigned long long>(c - '0');
    }
    return n;
}

// RFC 9112 §3.2: origin-form, absolute-form, or "*" for OPTIONS (authority-form is CONNECT's,
// which is not served).
bool is_target(std::string_view method, std::string_view target) noexcept {
    if (target == "*") return method == "OPTIONS";
    if (!target.empty() && target.front() == '/') return true;
    for (std::string_view scheme : {"http://", "https://"}) {
        if (!istarts_with(target, scheme)) continue;
        const std::string_view rest = target.substr(scheme.size());
        const std::size_t end = rest.find_first_of("/?#");
        return end != 0 && !rest.empty();  // a non-empty authority
    }
    return false;
}

HeadRejection bad(std::string_view reason) { return {ApiError::bad_request, reason}; }

}  // namespace

bool reads_body(std::string_view method) noexcept {
    return method == "POST" || method == "PUT" || method == "PATCH" || method == "DELETE" || method == "PRI";
}

std::optional<HeadRejection> check_request_head(const RequestHead& head, std::size_t max_body) {
    std::size_t hosts = 0;
    std::size_t transfer_encodings = 0;
    std::string_view transfer_encoding;
    std::optional<unsigned long long> length;  // the Content-Length every such field agrees on
    bool coded = false;  // a Content-Encoding other than identity
    for (const auto& [name, raw_value] : head.headers) {
        if (!is_token(name)) return bad("field_name");
        if (!is_field_value(raw_value)) return bad("field_value");
        const std::string_view value = trim(raw_value);
        if (iequals(name, "Host")) {
            ++hosts;
            if (!is_host_value(value)) return bad("host");
        } else if (iequals(name, "Transfer-Encoding")) {
            ++transfer_encodings;
            transfer_encoding = value;
        } else if (iequals(name, "Content-Length")) {
            const auto n = content_length(value);
            // Two that differ: which one a proxy used is unknown (RFC 9112 §6.3, rule 5).
            if (!n || (length && *n != *length)) return bad("content_length");
            length = n;
        } else if (iequals(name, "Content-Encoding")) {
            coded = coded || !iequals(value, "identity");
        }
    }
    if (hosts > 1 || (hosts == 0 && head.version == "HTTP/1.1")) return bad("host");
    if (!is_target(head.method, head.target)) return bad("target");

    if (transfer_encodings > 0) {
        // RFC 9112 §6.1: Transfer-Encoding with Content-Length, or in HTTP/1.0, is faulty
        // framing. Only "chunked" is implemented, and it must be the final (here: the only)
        // coding (§6.3, rule 4); "gzip, chunked" would be read until the peer closes.
        if (length) return bad("content_length_and_transfer_encoding");
        if (head.version != "HTTP/1.1") return bad("transfer_encoding_in_http_1_0");
        if (transfer_encodings > 1 || !iequals(transfer_encoding, "chunked")) return bad("transfer_encoding");
    }
    const bool declares_body = transfer_encodings > 0 || (length && *length > 0);
    // A body the HTTP layer would not read stays in the stream and is taken for the next request.
    if (declares_body && !reads_body(head.method)) return bad("body_not_read");
    if (length && *length > max_body) return HeadRejection{ApiError::payload_too_large, "content_length"};
    // Decoded without a bound by the HTTP layer (a small gzip or br body can expand to gigabytes).
    if (coded) return HeadRejection{ApiError::unsupported_media_type, "content_encoding"};
    return std::nullopt;
}

std::string_view routing_path(std::string_view path) noexcept {
    for (std::string_view scheme : {"http://", "https://"}) {
        if (!istarts_with(path, scheme)) continue;
        const std::string_view rest = path.substr(scheme.size());
        const std::size_t slash = rest.find('/');
        return slash == std::string_view::npos ? std::string_view("/") : rest.substr(slash);
    }
    return path;
}

}  // namespace acmezone::api
