#include "api/errors.hpp"

#include <gtest/gtest.h>

namespace acmezone::api {
namespace {

TEST(Errors, AcmeDnsCodesAndBodiesExactly) {
    struct Case {
        ApiError error;
        int status;
        const char* body;
    };
    const Case cases[] = {
        {ApiError::malformed_json_payload, 400, R"({"error": "malformed_json_payload"})"},
        {ApiError::invalid_allowfrom_cidr, 400, R"({"error": "invalid_allowfrom_cidr"})"},
        {ApiError::bad_subdomain, 400, R"({"error": "bad_subdomain"})"},
        {ApiError::bad_txt, 400, R"({"error": "bad_txt"})"},
        {ApiError::forbidden, 401, R"({"error": "forbidden"})"},
        {ApiError::db_error, 500, R"({"error": "db_error"})"},
        {ApiError::json_error, 500, R"({"error": "json_error"})"},
        {ApiError::registration_disabled, 404, R"({"error": "registration_disabled"})"},
        {ApiError::not_found, 404, R"({"error": "not_found"})"},
        {ApiError::method_not_allowed, 405, R"({"error": "method_not_allowed"})"},
        {ApiError::payload_too_large, 413, R"({"error": "payload_too_large"})"},
        {ApiError::headers_too_large, 431, R"({"error": "headers_too_large"})"},
        {ApiError::unavailable, 503, R"({"error": "unavailable"})"},
        {ApiError::store_full, 507, R"({"error": "store_full"})"},
        {ApiError::unsupported_media_type, 415, R"({"error": "unsupported_media_type"})"},
        {ApiError::uri_too_long, 414, R"({"error": "uri_too_long"})"},
    };
    for (const auto& c : cases) {
        EXPECT_EQ(error_info(c.error).status, c.status) << c.body;
        EXPECT_EQ(error_body(c.error), c.body);
    }
}

TEST(Errors, StatusesFromTheHttpLayer) {
    EXPECT_EQ(error_for_status(413), ApiError::payload_too_large);
    EXPECT_EQ(error_for_status(404), ApiError::not_found);
    EXPECT_EQ(error_for_status(405), ApiError::method_not_allowed);
    EXPECT_EQ(error_for_status(414), ApiError::uri_too_long);
    EXPECT_EQ(error_for_status(415), ApiError::unsupported_media_type);
    EXPECT_EQ(error_for_status(507), ApiError::store_full);
    EXPECT_EQ(error_for_status(416), ApiError::bad_request);
    EXPECT_EQ(error_for_status(400), ApiError::bad_request);
    EXPECT_EQ(error_for_status(500), ApiError::db_error);
}

TEST(Errors, StoreErrorsInOnePlace) {
    EXPECT_EQ(store_error(core::Errc::store_full), ApiError::store_full);
    EXPECT_EQ(error_info(store_error(core::Errc::store_full)).status, 507);
    for (auto code : {core::Errc::store_error, core::Errc::internal, core::Errc::shutting_down})
        EXPECT_EQ(store_error(code), ApiError::db_error);
}

}  // namespace
}  // namespace acmezone::api
