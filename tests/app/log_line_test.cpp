// app/log_line and the JSON/text sinks of app/logging: message splitting, JSON escaping
// (control characters, invalid UTF-8), and per-module levels.
#include "app/log_line.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "app/logging.hpp"

namespace acmezone::app {
namespace {

using Json = nlohmann::json;

Json parse_line(std::string_view message) {
    const std::string line = json_log_line("2026-01-02T03:04:05.678Z", "info", "api", message);
    return Json::parse(line);  // throws (fails the test) when it is not JSON
}

TEST(LogLine, SplitsKeyValuesQuotedValuesAndFreeWords) {
    const auto split = split_message("event=update account=abc detail=\"a b c\" free words client=127.0.0.1");
    ASSERT_EQ(split.fields.size(), 4u);
    EXPECT_EQ(split.fields[0].key, "event");
    EXPECT_EQ(split.fields[0].value, "update");
    EXPECT_EQ(split.fields[2].key, "detail");
    EXPECT_EQ(split.fields[2].value, "a b c");
    EXPECT_EQ(split.fields[3].key, "client");
    EXPECT_EQ(split.fields[3].value, "127.0.0.1");
    EXPECT_EQ(split.rest, "free words");
}

TEST(LogLine, QuotedValueKeepsInnerQuotesThatDoNotEndIt) {
    // Values are logged unescaped: an inner quote not followed by " key=" stays in the value.
    const auto split = split_message("event=x error=\"name \"a b\" is bad\" next=1");
    ASSERT_EQ(split.fields.size(), 3u);
    EXPECT_EQ(split.fields[1].value, "name \"a b\" is bad");
    EXPECT_EQ(split.fields[2].value, "1");
    const auto open = split_message("event=x error=\"never closed a=b");
    ASSERT_EQ(open.fields.size(), 2u);
    EXPECT_EQ(open.fields[1].value, "never closed a=b");
    const auto empty = split_message("event= error=\"\"");
    ASSERT_EQ(empty.fields.size(), 2u);
    EXPECT_EQ(empty.fields[0].value, "");
    EXPECT_EQ(empty.fields[1].value, "");
}

TEST(LogLine, JsonHasTheFixedFieldsFirstThenTheMessageFields) {
    const std::string line =
        json_log_line("2026-01-02T03:04:05.678Z", "warning", "dns", "event=update_applied actor=u1 serial=7 note here");
    EXPECT_EQ(line,
              R"({"ts":"2026-01-02T03:04:05.678Z","level":"warning","module":"dns","event":"update_applied","actor":"u1",)"
              R"("serial":"7","msg":"note here"})");
}

TEST(LogLine, JsonWithoutEventAndWithDuplicateOrReservedKeys) {
    const Json j = parse_line("plain text level=9 a=1 a=2");
    EXPECT_EQ(j["event"], "log");
    EXPECT_EQ(j["level"], "info");
    EXPECT_EQ(j["level_2"], "9");
    EXPECT_EQ(j["a"], "1");
    EXPECT_EQ(j["a_2"], "2");
    EXPECT_EQ(j["msg"], "plain text");
}

TEST(LogLine, JsonEscapesControlCharactersQuotesAndBadUtf8) {
    const std::string nasty = std::string("event=x v=\"a\"b\\c\nd\te\x01\x7f") + "\xc3\xa9" + "\xff\xc3" + "\xed\xa0\x80" + "\"";
    const std::string line = json_log_line("t", "info", "api", nasty);
    EXPECT_EQ(line.find('\n'), std::string::npos);
    const Json j = Json::parse(line);
    EXPECT_EQ(j["v"], std::string("a\"b\\c\nd\te\x01\x7f") + "\xc3\xa9" + "\xef\xbf\xbd\xef\xbf\xbd" + "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
    // Overlong forms and code points above U+10FFFF are invalid too.
    EXPECT_EQ(parse_line("event=x v=\xc0\xaf")["v"], "\xef\xbf\xbd\xef\xbf\xbd");
    EXPECT_EQ(parse_line("event=x v=\xf4\x90\x80\x80")["v"], "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
    EXPECT_EQ(parse_line("event=x v=\xf0\x9f\x98\x80")["v"], "\xf0\x9f\x98\x80");  // U+1F600 kept
}

TEST(LogLine, TextEscapingStopsForgedLines) {
    EXPECT_FALSE(needs_escaping("event=x v=\xc3\xa9 plain"));
    EXPECT_TRUE(needs_escaping("event=x v=a\nevent=forged"));
    EXPECT_TRUE(needs_escaping("bad \xff byte"));
    std::string out;
    append_escaped_text("a\nb\r\tc\x01\x7f\xff\xc3\xa9", out);
    EXPECT_EQ(out, "a\\nb\\r\\tc\\x01\\x7f\\xff\xc3\xa9");
}

TEST(Logging, JsonSinkWritesOneParsableObjectPerLine) {
    setup_logging(LogSettings{spdlog::level::info, LogFormat::json, {}});
    testing::internal::CaptureStderr();
    spdlog::get("api")->info("event=update account={} client={} detail=\"{}\"", "u", "127.0.0.1", "two\nlines");
    spdlog::get("api")->debug("event=hidden");
    const std::string out = testing::internal::GetCapturedStderr();
    setup_logging(spdlog::level::info);
    ASSERT_FALSE(out.empty());
    EXPECT_EQ(out.back(), '\n');
    EXPECT_EQ(out.find('\n'), out.size() - 1) << out;  // one line
    const Json j = Json::parse(out);
    EXPECT_EQ(j["module"], "api");
    EXPECT_EQ(j["event"], "update");
    EXPECT_EQ(j["client"], "127.0.0.1");
    EXPECT_EQ(j["detail"], "two\nlines");
    EXPECT_TRUE(j["ts"].get<std::string>().ends_with("Z"));
}

TEST(Logging, TextSinkEscapesNewlines) {
    setup_logging(spdlog::level::info);
    testing::internal::CaptureStderr();
    spdlog::get("dns")->info("event=x v=\"{}\"", "a\nevent=forged");
    const std::string out = testing::internal::GetCapturedStderr();
    EXPECT_EQ(out.find('\n'), out.size() - 1) << out;
    EXPECT_NE(out.find(" info dns event=x v=\"a\\nevent=forged\""), std::string::npos) << out;
}

TEST(Logging, LevelsPerModuleAndTheirReload) {
    setup_logging(LogSettings{spdlog::level::info, LogFormat::text, {{"dns", spdlog::level::warn}, {"api", spdlog::level::debug}}});
    EXPECT_EQ(spdlog::get("app")->level(), spdlog::level::info);
    EXPECT_EQ(spdlog::get("store")->level(), spdlog::level::info);
    EXPECT_EQ(spdlog::get("dns")->level(), spdlog::level::warn);
    EXPECT_EQ(spdlog::get("api")->level(), spdlog::level::debug);
    set_log_levels(spdlog::level::err, {{"store", spdlog::level::trace}});
    EXPECT_EQ(spdlog::get("app")->level(), spdlog::level::err);
    EXPECT_EQ(spdlog::get("store")->level(), spdlog::level::trace);
    EXPECT_EQ(spdlog::get("dns")->level(), spdlog::level::err);
    EXPECT_EQ(spdlog::get("api")->level(), spdlog::level::err);
    setup_logging(spdlog::level::info);
}

TEST(Logging, ParseFormat) {
    EXPECT_EQ(parse_log_format("text"), LogFormat::text);
    EXPECT_EQ(parse_log_format("json"), LogFormat::json);
    EXPECT_FALSE(parse_log_format("JSON"));
    EXPECT_FALSE(parse_log_format(""));
}

}  // namespace
}  // namespace acmezone::app
