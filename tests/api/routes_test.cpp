#include "api/routes.hpp"

#include <gtest/gtest.h>

#include "api/register_handler.hpp"
#include "api/update_handler.hpp"
#include "core/secret_hash.hpp"

namespace acmezone::api {
namespace {

TEST(Routes, TolerantPaths) {
    EXPECT_EQ(match_route("/register", ""), Route::register_account);
    EXPECT_EQ(match_route("//register", ""), Route::register_account);
    EXPECT_EQ(match_route("/register/", ""), Route::register_account);
    EXPECT_EQ(match_route("///update//", ""), Route::update);
    EXPECT_EQ(match_route("/health", ""), Route::health);
    EXPECT_EQ(match_route("/registerx", ""), Route::none);
    EXPECT_EQ(match_route("/", ""), Route::none);
    EXPECT_EQ(match_route("/a/register", ""), Route::none);
}

TEST(Routes, BasePath) {
    EXPECT_EQ(match_route("/acme/register", "/acme"), Route::register_account);
    EXPECT_EQ(match_route("/acme//register/", "/acme"), Route::register_account);
    EXPECT_EQ(match_route("//acme/update", "/acme"), Route::update);
    EXPECT_EQ(match_route("/register", "/acme"), Route::none);
    EXPECT_EQ(match_route("/acmex/register", "/acme"), Route::none);
    EXPECT_EQ(match_route("/a/b/health", "/a/b"), Route::health);
}

TEST(Rules, ApiKeyAndSubdomain) {
    EXPECT_TRUE(is_valid_api_key(std::string(40, 'a')));
    EXPECT_TRUE(is_valid_api_key("Pa55word-of-forty-characters_01234567890"));
    EXPECT_FALSE(is_valid_api_key(std::string(39, 'a')));
    EXPECT_FALSE(is_valid_api_key(std::string(41, 'a')));
    EXPECT_FALSE(is_valid_api_key(std::string(39, 'a') + "="));
    EXPECT_TRUE(is_valid_subdomain("6f0c7c4e-5a55-4b8e-9c0e-1b2c3d4e5f60"));
    EXPECT_TRUE(is_valid_subdomain("a"));
    EXPECT_TRUE(is_valid_subdomain(std::string(63, 'a')));
    EXPECT_FALSE(is_valid_subdomain(std::string(64, 'a')));
    EXPECT_FALSE(is_valid_subdomain("-a"));
    EXPECT_FALSE(is_valid_subdomain("a-"));
    EXPECT_FALSE(is_valid_subdomain("a.b"));
    EXPECT_FALSE(is_valid_subdomain(""));
    EXPECT_FALSE(is_valid_subdomain("a_b"));
}

TEST(Rules, AdminToken) {
    const std::vector<AdminToken> tokens = {{"ops", core::sha256_hex("secret-one")}, {"ci", core::sha256_hex("secret-two")}};
    std::string name;
    EXPECT_TRUE(check_admin_token(tokens, std::string("Bearer secret-two"), name));
    EXPECT_EQ(name, "ci");
    EXPECT_TRUE(check_admin_token(tokens, std::string("bearer secret-one"), name));
    EXPECT_EQ(name, "ops");
    EXPECT_FALSE(check_admin_token(tokens, std::string("Bearer secret-three"), name));
    EXPECT_FALSE(check_admin_token(tokens, std::string("Basic secret-one"), name));
    EXPECT_FALSE(check_admin_token(tokens, std::string("secret-one"), name));
    EXPECT_FALSE(check_admin_token(tokens, std::string("Bearer "), name));
    EXPECT_FALSE(check_admin_token(tokens, std::nullopt, name));
    EXPECT_FALSE(check_admin_token({{"empty", core::sha256_hex("")}}, std::string("Bearer "), name));
}

}  // namespace
}  // namespace acmezone::api
