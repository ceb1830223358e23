#include "api/json_body.hpp"

#include <gtest/gtest.h>

namespace acmezone::api {
namespace {

TEST(UpdateBody, KeysMatchCaseInsensitively) {
    for (const char* body : {R"({"subdomain":"s","txt":"t"})", R"({"SubDomain":"s","Txt":"t"})", R"({"SUBDOMAIN":"s","TXT":"t"})"}) {
        const auto b = read_update_body(body);
        EXPECT_EQ(b.subdomain, "s") << body;
        EXPECT_EQ(b.txt, "t") << body;
    }
}

TEST(UpdateBody, OnlyTheFirstValueCounts) {
    const auto b = read_update_body(R"(  {"subdomain":"s","txt":"t"} trailing garbage {"subdomain":"x"})");
    EXPECT_EQ(b.subdomain, "s");
    EXPECT_EQ(b.txt, "t");
}

TEST(UpdateBody, LastMatchingKeyWinsAndUnknownKeysAreIgnored) {
    const auto b = read_update_body(R"({"subdomain":"a","other":1,"SubDomain":"b","txt":"t"})");
    EXPECT_EQ(b.subdomain, "b");
}

TEST(UpdateBody, WrongTypesLeaveTheFieldEmptyButKeepOthers) {
    auto b = read_update_body(R"({"subdomain":"s","txt":43})");
    EXPECT_EQ(b.subdomain, "s");  // so the handler answers bad_txt, as acme-dns
    EXPECT_EQ(b.txt, "");
    b = read_update_body(R"({"subdomain":["s"],"txt":"t"})");
    EXPECT_EQ(b.subdomain, "");
    EXPECT_EQ(b.txt, "t");
    b = read_update_body(R"({"subdomain":null,"txt":"t"})");
    EXPECT_EQ(b.subdomain, "");
}

TEST(UpdateBody, MalformedOrNonObjectGivesNothing) {
    for (const char* body : {"", "   ", "{", R"({"subdomain":"s",)", R"(["s","t"])", "null", "42", R"("s")", "{\"subdomain\":\"\xff\"}"}) {
        const auto b = read_update_body(body);
        EXPECT_EQ(b.subdomain, "") << body;
        EXPECT_EQ(b.txt, "") << body;
    }
}

TEST(RegisterBody, EmptyAndAllowfrom) {
    EXPECT_TRUE(read_register_body("").ok);
    EXPECT_TRUE(read_register_body("").allowfrom.empty());
    auto b = read_register_body(R"({"AllowFrom":["10.0.0.0/8","[::1]/128"]})");
    ASSERT_TRUE(b.ok);
    EXPECT_EQ(b.allowfrom, (std::vector<std::string>{"10.0.0.0/8", "[::1]/128"}));
    EXPECT_TRUE(read_register_body("null").ok);
    EXPECT_TRUE(read_register_body(R"({"allowfrom":null})").ok);
    EXPECT_TRUE(read_register_body(R"({"allowfrom":[]})").ok);
    EXPECT_TRUE(read_register_body(R"( {"unknown":{"x":[1,2]}} )").ok);
    b = read_register_body(R"({"allowfrom":[null]})");
    ASSERT_TRUE(b.ok);
    EXPECT_EQ(b.allowfrom, std::vector<std::string>{""});  // then fails the CIDR rule
    EXPECT_TRUE(read_register_body(R"({"username":"6F0C7C4E-5A55-4B8E-9C0E-1B2C3D4E5F60"})").ok);
}

TEST(RegisterBody, MalformedPayloads) {
    for (const char* body : {" ", "{", "[]", "42", R"({"allowfrom":"10.0.0.0/8"})", R"({"allowfrom":[1]})",
                             R"({"allowfrom":[]} trailing)", R"({"username":"not-a-uuid"})", R"({"username":5})",
                             R"({"password":1})", R"({"subdomain":{}})", R"({"txt":true})"}) {
        EXPECT_FALSE(read_register_body(body).ok) << body;
    }
}

TEST(Uuid, GoForms) {
    const std::string canonical = "6f0c7c4e-5a55-4b8e-9c0e-1b2c3d4e5f60";
    for (const char* text : {"6f0c7c4e-5a55-4b8e-9c0e-1b2c3d4e5f60", "6F0C7C4E-5A55-4B8E-9C0E-1B2C3D4E5F60",
                             "6f0c7c4e5a554b8e9c0e1b2c3d4e5f60", "{6f0c7c4e-5a55-4b8e-9c0e-1b2c3d4e5f60}",
                             "urn:uuid:6f0c7c4e-5a55-4b8e-9c0e-1b2c3d4e5f60", "URN:UUID:6f0c7c4e-5a55-4b8e-9c0e-1b2c3d4e5f60"}) {
        EXPECT_EQ(parse_uuid(text), canonical) << text;
    }
    for (const char* text : {"", "6f0c7c4e-5a55-4b8e-9c0e-1b2c3d4e5f6", "6f0c7c4e_5a55-4b8e-9c0e-1b2c3d4e5f60",
                             "6f0c7c4e-5a55-4b8e-9c0e-1b2c3d4e5f6g", "(6f0c7c4e-5a55-4b8e-9c0e-1b2c3d4e5f60)",
                             "urn:uuix:6f0c7c4e-5a55-4b8e-9c0e-1b2c3d4e5f60", " 6f0c7c4e-5a55-4b8e-9c0e-1b2c3d4e5f60"}) {
        EXPECT_FALSE(parse_uuid(text).has_value()) << text;
    }
}

}  // namespace
}  // namespace acmezone::api
