// api/json_body: request bodies read the way acme-dns's Go decoder reads them: object keys
// match case-insensitively ("SubDomain", "Txt", "AllowFrom" are sent by Go clients), the last
// matching key wins, unknown keys are ignored. /update reads only the first JSON value of the
// body (trailing bytes ignored, json.Decoder); /register needs the whole body to be one value
// (json.Unmarshal). Pure functions; no I/O.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace acmezone::api {

using Json = nlohmann::ordered_json;  // keeps document order, so "last key wins" is well defined

// How deep arrays and objects may nest in a request body. No body we read needs more than 3
// levels; the bound keeps every later walk of a document (dump, copy, compare: recursive in
// nlohmann) shallow, whatever a client sends. acme-dns's decoder allows 10000.
inline constexpr std::size_t kMaxJsonDepth = 32;

// True when the first JSON value of `body` nests deeper than `max_depth` (brackets inside
// strings do not count; bytes after the first value are not looked at, as the parsers below
// do not read them either). A linear scan, run before any parse.
bool json_too_deep(std::string_view body, std::size_t max_depth = kMaxJsonDepth) noexcept;

// The body as Go's encoding/json sees it (acme-dns's /register and /update): each byte that is
// not part of well-formed UTF-8 becomes U+FFFD, and a backslash-u escape of a lone surrogate
// becomes one of U+FFFD. nlohmann rejects both, Go replaces both, so a value holding them is
// then judged by the field rules (a TXT value with U+FFFD is bad_txt), as in acme-dns.
std::string go_json_text(std::string_view body);

// True for a Content-Type that names JSON: "application/json" in any case, parameters (such as
// "; charset=utf-8") allowed. RFC 9110 §8.3.1: type and subtype are case-insensitive.
bool is_json_media_type(std::string_view content_type) noexcept;

// The first JSON value of `body`; nullopt on a syntax error in it (trailing bytes ignored) or
// when it nests deeper than kMaxJsonDepth.
std::optional<Json> parse_first_value(std::string_view body);
// The whole body as one JSON value (surrounding whitespace allowed); nullopt otherwise, and
// when it nests deeper than kMaxJsonDepth. Strict: invalid UTF-8 is a syntax error.
std::optional<Json> parse_whole(std::string_view body);

// The value of the last key of `object` equal to `key` ignoring ASCII case; nullptr when none
// (or when `object` is not an object).
const Json* find_key(const Json& object, std::string_view key);

// What /update reads: Go leaves a field empty when its key is absent, null or of the wrong type.
struct UpdateBody {
    std::string subdomain;
    std::string txt;
};
// A body that is not valid JSON, or not an object, gives empty fields (acme-dns then says 401).
// Read through go_json_text.
UpdateBody read_update_body(std::string_view body);

// What /register reads. `ok` false: the body is not JSON of the account's shape
// (-> malformed_json_payload); an empty body is fine (no allowfrom).
struct RegisterBody {
    bool ok = true;
    std::vector<std::string> allowfrom;
};
// Read through go_json_text.
RegisterBody read_register_body(std::string_view body);

// Go's uuid.Parse: canonical 36-char form, 32 hex digits, {...}, or urn:uuid:..., any case.
// Returns the lower-case canonical form.
std::optional<std::string> parse_uuid(std::string_view text);

}  // namespace acmezone::api
