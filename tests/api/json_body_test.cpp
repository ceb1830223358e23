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
    for (const char* body : {"", "   ", "{", R"({"subdomain":"s",)", R"(["s","t"])", "null", "42", R"("s")", "{\"subdomain\"\xff:\"s\"}"}) {
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

// Go's decoder turns each byte that is not UTF-8, and each lone surrogate escape, into U+FFFD
// inside strings; nlohmann would refuse the whole body. acme-dns then judges the value.
TEST(GoJsonText, InvalidUtf8BecomesReplacementCharacters) {
    const std::string fffd = "\xEF\xBF\xBD";
    EXPECT_EQ(go_json_text("{\"a\":\"x\xffy\"}"), "{\"a\":\"x" + fffd + "y\"}");
    // A truncated sequence: one U+FFFD per byte, as utf8.DecodeRune reports size 1.
    EXPECT_EQ(go_json_text("\"\xE2\x82\""), "\"" + fffd + fffd + "\"");
    // Overlong, surrogate and above-U+10FFFF encodings are not UTF-8 either.
    EXPECT_EQ(go_json_text("\"\xC0\xAF\""), "\"" + fffd + fffd + "\"");
    EXPECT_EQ(go_json_text("\"\xED\xA0\x80\""), "\"" + fffd + fffd + fffd + "\"");
    EXPECT_EQ(go_json_text("\"\xF4\x90\x80\x80\""), "\"" + fffd + fffd + fffd + fffd + "\"");
    // Well-formed text passes untouched, 2-, 3- and 4-byte forms included.
    const std::string good = "{\"k\":\"\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80 \\\" \\\\\"}";
    EXPECT_EQ(go_json_text(good), good);
}

TEST(GoJsonText, LoneSurrogateEscapesBecomeReplacement) {
    EXPECT_EQ(go_json_text(R"("\ud800")"), R"("\ufffd")");
    EXPECT_EQ(go_json_text(R"("\udc00x")"), R"("\ufffdx")");
    EXPECT_EQ(go_json_text(R"("\ud83d\ude00")"), R"("\ud83d\ude00")");        // a pair stays
    EXPECT_EQ(go_json_text(R"("\ud800\ud83d\ude00")"), R"("\ufffd\ud83d\ude00")");  // high, then a pair
    EXPECT_EQ(go_json_text(R"("\\ud800")"), R"("\\ud800")");                    // an escaped backslash, not an escape
    EXPECT_EQ(go_json_text(R"({"\ud800":1})"), R"({"\ufffd":1})");               // keys too
}

TEST(UpdateBody, InvalidUtf8IsReadLikeGo) {
    auto b = read_update_body("{\"subdomain\":\"s\",\"txt\":\"a\xff" "b\"}");
    EXPECT_EQ(b.subdomain, "s");  // so the handler answers bad_txt after authentication, as acme-dns
    EXPECT_EQ(b.txt, "a\xEF\xBF\xBD" "b");
    b = read_update_body(R"({"subdomain":"\udfff","txt":"t"})");
    EXPECT_EQ(b.subdomain, "\xEF\xBF\xBD");  // never any account's label: forbidden
    EXPECT_EQ(b.txt, "t");
}

TEST(RegisterBody, InvalidUtf8IsReadLikeGo) {
    auto b = read_register_body("{\"allowfrom\":[\"10.0.0.0/8\xff\"],\"x\":\"\xfe\"}");
    ASSERT_TRUE(b.ok);  // decodes; the entry then fails the CIDR rule (invalid_allowfrom_cidr)
    EXPECT_EQ(b.allowfrom, std::vector<std::string>{"10.0.0.0/8\xEF\xBF\xBD"});
    EXPECT_FALSE(read_register_body("{\"allowfrom\":[]}\xff").ok);  // outside a string: a syntax error, as in Go
    // The strict parser (admin API) refuses such bodies outright.
    EXPECT_FALSE(parse_whole("{\"a\":\"\xff\"}").has_value());
}

TEST(JsonDepth, DeepNestingIsRefusedBeforeParsing) {
    EXPECT_FALSE(json_too_deep(R"({"a":{"b":[1,[2]]}})"));
    EXPECT_FALSE(json_too_deep(std::string(32, '[') + std::string(32, ']')));
    EXPECT_TRUE(json_too_deep(std::string(33, '[') + std::string(33, ']')));
    EXPECT_TRUE(json_too_deep(std::string(100000, '[')));  // unterminated: still refused early
    std::string objects;
    for (int i = 0; i < 40; ++i) objects += R"({"a":)";
    EXPECT_TRUE(json_too_deep(objects + "1" + std::string(40, '}')));
    // Brackets inside strings do not count, escaped quotes do not end them.
    EXPECT_FALSE(json_too_deep(R"({"a":"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\"[[[[[["})"));
    // Only the first value counts (trailing bytes are never parsed).
    EXPECT_FALSE(json_too_deep("{} " + std::string(100, '[')));
    EXPECT_FALSE(json_too_deep("\"s\" " + std::string(100, '[')));
    EXPECT_FALSE(json_too_deep("42 " + std::string(100, '[')));
    EXPECT_TRUE(json_too_deep("\xEF\xBB\xBF" + std::string(40, '[')));  // the parser skips a byte order mark
    EXPECT_FALSE(parse_whole("\xEF\xBB\xBF" + std::string(40, '[') + std::string(40, ']')).has_value());
    EXPECT_EQ(json_too_deep("[[[", 2), true);
    EXPECT_EQ(json_too_deep("[[]]", 2), false);
}

TEST(JsonDepth, EveryReaderRefusesDeepBodies) {
    const std::string deep = std::string(100000, '[') + std::string(100000, ']');
    EXPECT_FALSE(parse_first_value(deep).has_value());
    EXPECT_FALSE(parse_whole(deep).has_value());
    EXPECT_FALSE(read_register_body(deep).ok);
    std::string objects;
    for (int i = 0; i < 50000; ++i) objects += R"({"subdomain":)";
    const auto b = read_update_body(objects + "1" + std::string(50000, '}'));
    EXPECT_EQ(b.subdomain, "");
    // At the limit the body is read as usual.
    std::string ok = R"({"subdomain":"s","txt":"t","x":)" + std::string(kMaxJsonDepth - 1, '[') +
                     std::string(kMaxJsonDepth - 1, ']') + "}";
    EXPECT_EQ(read_update_body(ok).subdomain, "s");
}

TEST(MediaType, JsonOnly) {
    for (const char* t : {"application/json", "Application/JSON", "application/json; charset=utf-8", " application/json ",
                          "application/json;charset=UTF-8"})
        EXPECT_TRUE(is_json_media_type(t)) << t;
    for (const char* t : {"", "text/plain", "application/x-www-form-urlencoded", "application/json-patch+json",
                          "application/jsonx", "multipart/form-data; boundary=x", "application/ json"})
        EXPECT_FALSE(is_json_media_type(t)) << t;
}

}  // namespace
}  // namespace acmezone::api
