#include "api/request_framing.hpp"

#include <cstdlib>
#include <optional>
#include <string>

namespace acmezone::api {

namespace {

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
        if (lower(a[i]) != lower(b[i])) return false;
    }
    return true;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

// What decides the body's length, from the header lines (the first of each header counts).
struct BodyHeaders {
    std::optional<std::string_view> content_length;
    std::optional<std::string_view> transfer_encoding;
    std::optional<std::string_view> expect;
};

// `lines`: the header lines, each ending in "\n"; lines without CRLF are skipped as
// cpp-httplib skips them.
BodyHeaders scan_headers(std::string_view lines) {
    BodyHeaders out;
    while (!lines.empty()) {
        const std::size_t nl = lines.find('\n');
        std::string_view line = lines.substr(0, nl);
        lines.remove_prefix(nl + 1);
        if (line.empty() || line.back() != '\r') continue;
        line.remove_suffix(1);
        const std::size_t colon = line.find(':');
        if (colon == std::string_view::npos) continue;
        const std::string_view name = line.substr(0, colon);
        const std::string_view value = trim(line.substr(colon + 1));
        if (iequals(name, "Content-Length") && !out.content_length) out.content_length = value;
        else if (iequals(name, "Transfer-Encoding") && !out.transfer_encoding) out.transfer_encoding = value;
        else if (iequals(name, "Expect") && !out.expect) out.expect = value;
    }
    return out;
}

bool has_body(std::string_view method) {
    return method == "POST" || method == "PUT" || method == "PATCH" || method == "DELETE" || method == "PRI";
}

// Content-Length = 1*DIGIT (RFC 9110 §8.6).
bool all_digits(std::string_view value) {
    return !value.empty() && value.find_first_not_of("0123456789") == std::string_view::npos;
}

// Content-Length as cpp-httplib reads it (strtoull: no digits is 0, "-1" is huge).
unsigned long long content_length(std::string_view value) {
    const std::string text(value);
    return std::strtoull(text.c_str(), nullptr, 10);
}

// A chunked body (RFC 9112 §7.1) the way cpp-httplib reads it: size line, data, CRLF, ... and
// a zero-size chunk followed by one more line (no trailer fields).
FramingResult check_chunked(std::string_view body, std::size_t header_size, std::size_t max_body) {
    std::size_t pos = 0;
    std::size_t payload = 0;
    for (;;) {
        const std::size_t nl = body.find('\n', pos);
        if (nl == std::string_view::npos) return {};
        std::size_t p = pos;
        while (p < nl && (body[p] == ' ' || body[p] == '\t')) ++p;
        std::size_t size = 0;
        std::size_t digits = 0;
        for (; p < nl; ++p, ++digits) {
            const char c = body[p];
            int v = -1;
            if (c >= '0' && c <= '9') v = c - '0';
            else if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
            else if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
            if (v < 0) break;
            if (size > max_body) return {Framing::body_too_large, 0, false};
            size = size * 16 + static_cast<std::size_t>(v);
        }
        pos = nl + 1;
        // A malformed size line: the HTTP layer rejects it from what is here already.
        if (digits == 0) return {Framing::complete, header_size + pos, false};
        if (size == 0) {
            const std::size_t end = body.find('\n', pos);
            if (end == std::string_view::npos) return {};
            return {Framing::complete, header_size + end + 1, false};
        }
        payload += size;
        if (payload > max_body) return {Framing::body_too_large, 0, false};
        if (body.size() - pos < size) return {};
        pos += size;
        const std::size_t after = body.find('\n', pos);
        if (after == std::string_view::npos) return {};
        const bool crlf = after == pos + 1 && body[pos] == '\r';
        pos = after + 1;
        if (!crlf) return {Framing::complete, header_size + pos, false};  // cpp-httplib stops here
    }
}

}  // namespace

FramingResult check_request(std::string_view buffered, const FramingLimits& limits) {
    const std::size_t line_end = buffered.find('\n');
    // The header section ends with an empty line: "\r\n" right after a line's "\n".
    const std::size_t blank = line_end == std::string_view::npos ? line_end : buffered.find("\n\r\n", line_end);
    if (blank == std::string_view::npos) {
        if (buffered.size() > limits.max_header_section) return {Framing::headers_too_large, 0, false};
        return {};
    }
    const std::size_t header_size = blank + 3;
    if (header_size > limits.max_header_section) return {Framing::headers_too_large, 0, false};

    const std::string_view request_line = buffered.substr(0, line_end);
    const std::string_view method = request_line.substr(0, request_line.find(' '));
    if (!has_body(method)) return {Framing::complete, header_size, false};

    const BodyHeaders headers = scan_headers(buffered.substr(line_end + 1, blank + 1 - (line_end + 1)));
    const std::string_view body = buffered.substr(header_size);
    FramingResult result;
    if (headers.transfer_encoding && headers.content_length) return {Framing::malformed, 0, false};  // RFC 9112 §6.1
    if (headers.transfer_encoding && !iequals(*headers.transfer_encoding, "chunked")) return {Framing::malformed, 0, false};
    if (headers.content_length && !all_digits(*headers.content_length)) return {Framing::malformed, 0, false};
    if (headers.transfer_encoding) {
        result = check_chunked(body, header_size, limits.max_body);
    } else if (headers.content_length) {
        const unsigned long long length = content_length(*headers.content_length);
        if (length > limits.max_body) return {Framing::body_too_large, 0, false};
        if (body.size() >= length) return {Framing::complete, header_size + static_cast<std::size_t>(length), false};
    } else {
        return {Framing::complete, header_size, false};  // no body (RFC 9112 §6.3, rule 7)
    }
    if (result.state == Framing::incomplete) result.expects_continue = headers.expect == "100-continue";
    return result;
}

}  // namespace acmezone::api
