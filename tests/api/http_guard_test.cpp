// api/http_guard: refusals built on cpp-httplib's own request and response objects.
#include "api/http_guard.hpp"

#include <gtest/gtest.h>

#include <string>

namespace acmezone::api {
namespace {

// What the library would send as the body: the provider's output, and whether it failed after.
std::pair<std::string, bool> provide(const httplib::Response& res) {
    std::string out;
    httplib::DataSink sink;
    sink.write = [&out](const char* data, std::size_t size) {
        out.append(data, size);
        return true;
    };
    const bool ok = res.content_provider_(0, res.content_length_, sink);
    return {out, ok};
}

httplib::Request make_request(const char* method, const char* target, std::initializer_list<std::pair<const char*, const char*>> headers) {
    httplib::Request req;
    req.method = method;
    req.target = target;
    req.path = target;
    req.version = "HTTP/1.1";
    for (const auto& [name, value] : headers) req.headers.emplace(name, value);
    req.headers.emplace("REMOTE_ADDR", "127.0.0.1");  // the library's own, never checked
    req.headers.emplace("REMOTE_PORT", "40000");
    return req;
}

TEST(HttpGuard, ClosingReplyWritesTheWholeBodyThenFails) {
    httplib::Response res;
    reply_and_close(res, ApiError::bad_request);
    EXPECT_EQ(res.status, 400);
    EXPECT_TRUE(is_closing_reply(res));
    EXPECT_EQ(res.get_header_value("Content-Type"), "application/json");
    EXPECT_TRUE(res.body.empty());
    const auto [body, ok] = provide(res);
    EXPECT_EQ(body, R"({"error": "bad_request"})");
    EXPECT_EQ(res.content_length_, body.size());
    EXPECT_FALSE(ok);  // the failure is what makes the library drop the connection

    httplib::Response other;
    reply_and_close(other, ApiError::uri_too_long, 414);
    EXPECT_EQ(other.status, 414);
    EXPECT_EQ(provide(other).first, R"({"error": "uri_too_long"})");
    EXPECT_FALSE(is_closing_reply(httplib::Response{}));
}

TEST(HttpGuard, RefusesBadHeadsOnly) {
    httplib::Response res;
    EXPECT_FALSE(refuse_bad_head(make_request("POST", "/update", {{"Host", "a"}, {"Content-Length", "2"}}), res, 65536));
    EXPECT_EQ(res.status, -1);

    const auto refused = [](const httplib::Request& req) {
        httplib::Response r;
        EXPECT_TRUE(refuse_bad_head(req, r, 65536));
        EXPECT_TRUE(is_closing_reply(r));
        return std::make_pair(r.status, provide(r).first);
    };
    EXPECT_EQ(refused(make_request("POST", "/update", {{"Host", "a"}, {"Content-Length", "5"}, {"Transfer-Encoding", "chunked"}})),
              std::make_pair(400, std::string(R"({"error": "bad_request"})")));
    EXPECT_EQ(refused(make_request("POST", "/update", {{"Host", "a"}, {"Content-Length", "70000"}})),
              std::make_pair(413, std::string(R"({"error": "payload_too_large"})")));
    EXPECT_EQ(refused(make_request("POST", "/update", {{"Host", "a"}, {"Content-Encoding", "gzip"}})),
              std::make_pair(415, std::string(R"({"error": "unsupported_media_type"})")));
}

TEST(HttpGuard, RangesAreDropped) {
    httplib::Request req = make_request("GET", "/health", {{"Host", "a"}, {"Range", "bytes=0-1"}});
    req.ranges.emplace_back(0, 1);
    ignore_ranges(req);
    EXPECT_TRUE(req.ranges.empty());
}

}  // namespace
}  // namespace acmezone::api
