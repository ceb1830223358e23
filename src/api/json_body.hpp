// api/json_body: request bodies read the way acme-dns's Go decoder reads them: object keys
// match case-insensitively ("SubDomain", "Txt", "AllowFrom" are sent by Go clients), the last
// matching key wins, unknown keys are ignored. /update reads only the first JSON value of the
// body (trailing bytes ignored, json.Decoder); /register needs the whole body to be one value
// (json.Unmarshal). Pure functions; no I/O.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace acmezone::api {

using Json = nlohmann::ordered_json;  // keeps document order, so "last key wins" is well defined

// The first JSON value of `body`; nullopt on a syntax error in it (trailing bytes ignored).
std::optional<Json> parse_first_value(std::string_view body);
// The whole body as one JSON value (surrounding whitespace allowed); nullopt otherwise.
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
UpdateBody read_update_body(std::string_view body);

// What /register reads. `ok` false: the body is not JSON of the account's shape
// (-> malformed_json_payload); an empty body is fine (no allowfrom).
struct RegisterBody {
    bool ok = true;
    std::vector<std::string> allowfrom;
};
RegisterBody read_register_body(std::string_view body);

// Go's uuid.Parse: canonical 36-char form, 32 hex digits, {...}, or urn:uuid:..., any case.
// Returns the lower-case canonical form.
std::optional<std::string> parse_uuid(std::string_view text);

}  // namespace acmezone::api
