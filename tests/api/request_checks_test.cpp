// api/request_checks: one case per framing rule, table-driven, plus the paths routed for each
// request-target form.
#include "api/request_checks.hpp"

#include <gtest/gtest.h>

#include <string>

namespace acmezone::api {
namespace {

using Headers = std::vector<std::pair<std::string_view, std::string_view>>;

struct Case {
    const char* what;
    std::string_view method;
    std::string_view target;
    std::string_view version;
    Headers headers;
    std::optional<ApiError> expected;  // nullopt: accepted
};

constexpr std::size_t kMaxBody = 65536;

TEST(RequestChecks, Table) {
    const std::optional<ApiError> ok;
    const auto bad = ApiError::bad_request;
    const Case cases[] = {
        {"plain GET", "GET", "/health", "HTTP/1.1", {{"Host", "a"}}, ok},
        {"POST with a length", "POST", "/update", "HTTP/1.1", {{"Host", "a"}, {"Content-Length", "27"}}, ok},
        {"chunked POST", "POST", "/update", "HTTP/1.1", {{"Host", "a"}, {"Transfer-Encoding", "chunked"}}, ok},
        {"chunked, any case", "POST", "/update", "HTTP/1.1", {{"Host", "a"}, {"transfer-encoding", "Chunked"}}, ok},
        {"equal lengths twice", "POST", "/update", "HTTP/1.1", {{"Host", "a"}, {"Content-Length", "2"}, {"Content-Length", "2"}}, ok},
        {"GET with a zero length", "GET", "/health", "HTTP/1.1", {{"Host", "a"}, {"Content-Length", "0"}}, ok},
        {"HTTP/1.0 without Host", "GET", "/health", "HTTP/1.0", {}, ok},
        {"identity coding", "POST", "/update", "HTTP/1.1", {{"Host", "a"}, {"Content-Encoding", "identity"}, {"Content-Length", "2"}}, ok},
        {"absolute-form", "GET", "http://acme.example/health", "HTTP/1.1", {{"Host", "acme.example"}}, ok},
        {"OPTIONS *", "OPTIONS", "*", "HTTP/1.1", {{"Host", "a"}}, ok},
        {"IPv6 host and port", "GET", "/", "HTTP/1.1", {{"Host", "[::1]:8080"}}, ok},
        {"obs-text and HTAB in a value", "GET", "/", "HTTP/1.1", {{"Host", "a"}, {"User-Agent", "x\t\xC3\xA9"}}, ok},

        {"CL and TE", "POST", "/update", "HTTP/1.1", {{"Host", "a"}, {"Content-Length", "5"}, {"Transfer-Encoding", "chunked"}}, bad},
        {"TE then CL", "POST", "/update", "HTTP/1.1", {{"Host", "a"}, {"Transfer-Encoding", "chunked"}, {"Content-Length", "5"}}, bad},
        {"two different lengths", "POST", "/update", "HTTP/1.1", {{"Host", "a"}, {"Content-Length", "3"}, {"Content-Length", "30"}}, bad},
        {"length list", "POST", "/update", "HTTP/1.1", {{"Host", "a"}, {"Content-Length", "2, 2"}}, bad},
        {"length not a number", "POST", "/update", "HTTP/1.1", {{"Host", "a"}, {"Content-Length", "abc"}}, bad},
        {"negative length", "POST", "/update", "HTTP/1.1", {{"Host", "a"}, {"Content-Length", "-1"}}, bad},
        {"signed length", "POST", "/update", "HTTP/1.1", {{"Host", "a"}, {"Content-Length", "+2"}}, bad},
        {"empty length", "POST", "/update", "HTTP/1.1", {{"Host", "a"}, {"Content-Length", ""}}, bad},
        {"20-digit length", "POST", "/update", "HTTP/1.1", {{"Host", "a"}, {"Content-Length", "18446744073709551616"}}, bad},
        {"gzip, chunked", "POST", "/update", "HTTP/1.1", {{"Host", "a"}, {"Transfer-Encoding", "gzip, chunked"}}, bad},
        {"chunked, chunked", "POST", "/update", "HTTP/1.1", {{"Host", "a"}, {"Transfer-Encoding", "chunked, chunked"}}, bad},
        {"identity TE", "POST", "/update", "HTTP/1.1", {{"Host", "a"}, {"Transfer-Encoding", "identity"}}, bad},
        {"TE twice", "POST", "/update", "HTTP/1.1", {{"Host", "a"}, {"Transfer-Encoding", "chunked"}, {"Transfer-Encoding", "chunked"}}, bad},
        {"TE in HTTP/1.0", "POST", "/update", "HTTP/1.0", {{"Transfer-Encoding", "chunked"}}, bad},
        {"GET with a body", "GET", "/health", "HTTP/1.1", {{"Host", "a"}, {"Content-Length", "35"}}, bad},
        {"HEAD chunked", "HEAD", "/health", "HTTP/1.1", {{"Host", "a"}, {"Transfer-Encoding", "chunked"}}, bad},
        {"OPTIONS with a body", "OPTIONS", "/update", "HTTP/1.1", {{"Host", "a"}, {"Content-Length", "1"}}, bad},
        {"space before colon", "POST", "/update", "HTTP/1.1", {{"Host", "a"}, {"Content-Length ", "2"}}, bad},
        {"folded line's name", "GET", "/", "HTTP/1.1", {{"Host", "a"}, {" b", "c"}}, bad},
        {"empty name", "GET", "/", "HTTP/1.1", {{"Host", "a"}, {"", "c"}}, bad},
        {"NUL in a value", "GET", "/", "HTTP/1.1", {{"Host", "a"}, {"X-A", std::string_view("a\0b", 3)}}, bad},
        {"LF in a value", "GET", "/", "HTTP/1.1", {{"Host", "a"}, {"X-A", "a\nb"}}, bad},
        {"CR in a value", "GET", "/", "HTTP/1.1", {{"Host", "a"}, {"X-A", "a\rb"}}, bad},
        {"DEL in a value", "GET", "/", "HTTP/1.1", {{"Host", "a"}, {"X-A", "a\x7f"}}, bad},
        {"NUL in a name", "GET", "/", "HTTP/1.1", {{"Host", "a"}, {std::string_view("X\0A", 3), "b"}}, bad},
        {"no Host in HTTP/1.1", "GET", "/health", "HTTP/1.1", {}, bad},
        {"two Hosts", "GET", "/health", "HTTP/1.1", {{"Host", "a"}, {"host", "b"}}, bad},
        {"Host with a path", "GET", "/health", "HTTP/1.1", {{"Host", "a/b"}}, bad},
        {"Host with a space", "GET", "/health", "HTTP/1.1", {{"Host", "a b"}}, bad},
        {"authority-form", "GET", "example.com:443", "HTTP/1.1", {{"Host", "a"}}, bad},
        {"* with GET", "GET", "*", "HTTP/1.1", {{"Host", "a"}}, bad},
        {"absolute-form without authority", "GET", "http:///health", "HTTP/1.1", {{"Host", "a"}}, bad},
        {"other scheme", "GET", "ftp://a/health", "HTTP/1.1", {{"Host", "a"}}, bad},

        {"length over the limit", "POST", "/update", "HTTP/1.1", {{"Host", "a"}, {"Content-Length", "65537"}}, ApiError::payload_too_large},
        {"gzip body", "POST", "/update", "HTTP/1.1", {{"Host", "a"}, {"Content-Encoding", "gzip"}, {"Content-Length", "20"}},
         ApiError::unsupported_media_type},
        {"br body", "POST", "/update", "HTTP/1.1", {{"Host", "a"}, {"Content-Encoding", "br"}, {"Transfer-Encoding", "chunked"}},
         ApiError::unsupported_media_type},
    };
    for (const auto& c : cases) {
        const RequestHead head{c.method, c.target, c.version, c.headers};
        const auto got = check_request_head(head, kMaxBody);
        if (!c.expected) {
            EXPECT_FALSE(got.has_value()) << c.what << ": refused by " << (got ? got->reason : "");
        } else {
            ASSERT_TRUE(got.has_value()) << c.what;
            EXPECT_EQ(got->error, *c.expected) << c.what << " (" << got->reason << ")";
            EXPECT_FALSE(got->reason.empty()) << c.what;
        }
    }
}

TEST(RequestChecks, LengthAtTheLimitIsAccepted) {
    const RequestHead head{"POST", "/update", "HTTP/1.1", {{"Host", "a"}, {"Content-Length", "65536"}}};
    EXPECT_FALSE(check_request_head(head, kMaxBody).has_value());
}

TEST(RequestChecks, BodiesAreReadForTheseMethodsOnly) {
    for (const char* m : {"POST", "PUT", "PATCH", "DELETE", "PRI"}) EXPECT_TRUE(reads_body(m)) << m;
    for (const char* m : {"GET", "HEAD", "OPTIONS", "TRACE", "CONNECT", "post"}) EXPECT_FALSE(reads_body(m)) << m;
}

TEST(RoutingPath, AbsoluteFormIsReducedToItsPath) {
    EXPECT_EQ(routing_path("/update"), "/update");
    EXPECT_EQ(routing_path("http://acme.example/update"), "/update");
    EXPECT_EQ(routing_path("HTTPS://acme.example:8443/acme-dns/register"), "/acme-dns/register");
    EXPECT_EQ(routing_path("http://acme.example"), "/");
    EXPECT_EQ(routing_path("*"), "*");
    EXPECT_EQ(routing_path("//register"), "//register");  // origin-form, normalised later by the routes
}

}  // namespace
}  // namespace acmezone::api
