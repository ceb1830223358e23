#include "api/errors.hpp"

namespace acmezone::api {

ErrorInfo error_info(ApiError error) noexcept {
    switch (error) {
        case ApiError::malformed_json_payload: return {400, "malformed_json_payload"};
        case ApiError::invalid_allowfrom_cidr: return {400, "invalid_allowfrom_cidr"};
        case ApiError::bad_subdomain: return {400, "bad_subdomain"};
        case ApiError::bad_txt: return {400, "bad_txt"};
        case ApiError::forbidden: return {401, "forbidden"};
        case ApiError::registration_disabled: return {404, "registration_disabled"};
        case ApiError::not_found: return {404, "not_found"};
        case ApiError::method_not_allowed: return {405, "method_not_allowed"};
        case ApiError::payload_too_large: return {413, "payload_too_large"};
        case ApiError::headers_too_large: return {431, "headers_too_large"};
        case ApiError::bad_request: return {400, "bad_request"};
        case ApiError::db_error: return {500, "db_error"};
        case ApiError::json_error: return {500, "json_error"};
        case ApiError::unavailable: return {503, "unavailable"};
        case ApiError::rate_limited: return {429, "rate_limited"};
        case ApiError::invalid_domain: return {400, "invalid_domain"};
        case ApiError::invalid_scheme: return {400, "invalid_scheme"};
        case ApiError::invalid_parameter: return {400, "invalid_parameter"};
        case ApiError::conflict: return {409, "conflict"};
        case ApiError::credential_not_found: return {404, "credential_not_found"};
        case ApiError::reserved_label: return {403, "reserved_label"};
        case ApiError::source_not_allowed: return {403, "source_not_allowed"};
        case ApiError::not_ready: return {503, "not_ready"};
        case ApiError::store_full: return {507, "store_full"};
        case ApiError::unsupported_media_type: return {415, "unsupported_media_type"};
        case ApiError::uri_too_long: return {414, "uri_too_long"};
    }
    return {500, "json_error"};
}

std::string error_body(ApiError error) {
    // Built by hand like acme-dns's jsonError: codes are fixed ASCII, nothing to escape.
    return "{\"error\": \"" + std::string(error_info(error).code) + "\"}";
}

ApiError error_for_status(int status) noexcept {
    switch (status) {
        case 401: return ApiError::forbidden;
        case 404: return ApiError::not_found;
        case 405: return ApiError::method_not_allowed;
        case 413: return ApiError::payload_too_large;
        case 414: return ApiError::uri_too_long;
        case 415: return ApiError::unsupported_media_type;
        case 429: return ApiError::rate_limited;
        case 431: return ApiError::headers_too_large;
        case 503: return ApiError::unavailable;
        case 507: return ApiError::store_full;
        default: break;
    }
    return status >= 500 ? ApiError::db_error : ApiError::bad_request;
}

ApiError store_error(core::Errc code) noexcept {
    return code == core::Errc::store_full ? ApiError::store_full : ApiError::db_error;
}

}  // namespace acmezone::api
