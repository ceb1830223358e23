// api/errors: THE table from an API error to its HTTP status and JSON body. acme-dns's codes and
// body format ({"error": "<code>"}, with a space after the colon) are kept exactly; the codes
// acme-dns lacks (404/405/413/414/415/431/503/507) follow the same form so every client can parse them.
#pragma once

#include <string>
#include <string_view>

#include "core/result.hpp"

namespace acmezone::api {

enum class ApiError {
    malformed_json_payload,  // 400 /register: body is not the expected JSON
    invalid_allowfrom_cidr,  // 400 /register: an allowfrom entry is not IP/prefix
    bad_subdomain,           // 400 /update
    bad_txt,                 // 400 /update
    forbidden,               // 401 every authentication or authorisation failure
    registration_disabled,   // 404 api.registration = "off"
    not_found,               // 404 unknown path
    method_not_allowed,      // 405
    payload_too_large,       // 413
    headers_too_large,       // 431
    bad_request,             // 400 anything the HTTP layer rejects
    db_error,                // 500 the store failed (no detail is leaked)
    json_error,              // 500 a response could not be built
    unavailable,             // 503 /health: the store cannot be read
    rate_limited,            // 429 a credential's /update budget or an address's failed-auth budget is spent (+ Retry-After)
    invalid_domain,          // 400 admin API: a customer name is not a valid host name
    invalid_scheme,          // 400 admin API: the label scheme is not uuid, hash or reverse
    invalid_parameter,       // 400 admin API: another field or query parameter is wrong
    conflict,                // 409 admin API: the name already has a credential (no replace) or a label is taken
    credential_not_found,    // 404 admin API: no credential with that username
    reserved_label,          // 403 admin API: the label is the apex or holds static records
    source_not_allowed,      // 403 /metrics: the client address is outside api.metrics_allow
    not_ready,               // 503 /ready: the store cannot be read or the DNS listeners are not bound
    store_full,              // 507 the store's map is full: nothing was written (RFC 4918 §11.5 Insufficient Storage)
    unsupported_media_type,  // 415 admin API body not application/json, or a request body with a content coding
    uri_too_long,            // 414 the request line is over the HTTP layer's limit
};

struct ErrorInfo {
    int status;
    std::string_view code;
};

ErrorInfo error_info(ApiError error) noexcept;
// {"error": "<code>"}
std::string error_body(ApiError error);
// The error that goes with an HTTP status the HTTP layer produced on its own.
ApiError error_for_status(int status) noexcept;
// The error for a failed store operation: store_full (507) when the map is full, db_error (500)
// otherwise. Every handler translates store errors through this one function.
ApiError store_error(core::Errc code) noexcept;

inline constexpr std::string_view kJsonType = "application/json";

}  // namespace acmezone::api
