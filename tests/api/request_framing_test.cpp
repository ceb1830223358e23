// When a buffered HTTP/1.1 request is whole (RFC 9112 §2.1, §6.3, §7.1), table-driven: what the
// gate waits for before a pool thread may answer, and what it refuses itself.
#include "api/request_framing.hpp"

#include <ostream>
#include <string>

#include <gtest/gtest.h>

namespace acmezone::api {
namespace {

constexpr FramingLimits kLimits{200, 20};  // header section, body

struct Case {
    const char* name;
    std::string request;  // complete: exactly the request; otherwise everything buffered
    std::string rest;     // complete: what follows it (the next request)
    Framing state;
    bool expects_continue = false;
};

// Test names (ctest lists them) show the case's name, not its bytes.
void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

const std::string kGet = "GET /health HTTP/1.1\r\nHost: a\r\n\r\n";  // 33 bytes
const std::string kPostHead = "POST /update HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n";

class Framings : public ::testing::TestWithParam<Case> {};

TEST_P(Framings, Decide) {
    const Case& c = GetParam();
    const FramingResult r = check_request(c.request + c.rest, kLimits);
    EXPECT_EQ(r.state, c.state);
    if (c.state == Framing::complete) {
        EXPECT_EQ(r.size, c.request.size());
    }
    EXPECT_EQ(r.expects_continue, c.expects_continue);
}

INSTANTIATE_TEST_SUITE_P(
    RequestFraming, Framings,
    ::testing::Values(
        Case{"empty", "", "", Framing::incomplete},
        Case{"request_line_only", "GET /health HTTP/1.1\r\n", "", Framing::incomplete},
        Case{"headers_unfinished", "GET /health HTTP/1.1\r\nHost: a\r\n", "", Framing::incomplete},
        Case{"get", kGet, "", Framing::complete},
        Case{"no_header_lines", "GET / HTTP/1.1\r\n\r\n", "", Framing::complete},
        Case{"pipelined_get_counts_the_first", kGet, kGet, Framing::complete},
        // A GET's body is not read by the HTTP layer: it is the next request's problem.
        Case{"get_body_ignored", "GET / HTTP/1.1\r\nContent-Length: 5\r\n\r\n", "abcde", Framing::complete},
        Case{"post_waits_for_its_body", kPostHead + "abc", "", Framing::incomplete},
        Case{"post_complete", kPostHead + "abcde", "", Framing::complete},
        Case{"post_with_next_request", kPostHead + "abcde", kGet, Framing::complete},
        Case{"header_names_any_case", "PUT / HTTP/1.1\r\ncontent-LENGTH:  2 \r\n\r\nxy", "", Framing::complete},
        Case{"first_content_length_counts", "POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 9\r\n\r\nx", "",
             Framing::complete},
        Case{"post_without_length_has_no_body", "POST / HTTP/1.1\r\nHost: a\r\n\r\n", "", Framing::complete},
        // A length cpp-httplib could read differently (it percent-decodes values; strtoull) is refused.
        Case{"garbage_length_refused", "POST / HTTP/1.1\r\nContent-Length: abc\r\n\r\n", "", Framing::malformed},
        Case{"percent_encoded_length_refused", "POST / HTTP/1.1\r\nContent-Length: %32\r\n\r\nxy", "", Framing::malformed},
        Case{"signed_length_refused", "POST / HTTP/1.1\r\nContent-Length: +2\r\n\r\nxy", "", Framing::malformed},
        Case{"other_transfer_coding_refused", "POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", "",
             Framing::malformed},
        Case{"body_over_limit", "POST / HTTP/1.1\r\nContent-Length: 21\r\n\r\n", "", Framing::body_too_large},
        Case{"negative_length_refused", "POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", "", Framing::malformed},
        Case{"expect_continue", "POST / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n", "",
             Framing::incomplete, true},
        Case{"expect_continue_body_here", "POST / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc", "",
             Framing::complete},
        // Lines ending in a bare LF are skipped by the HTTP layer; the blank CRLF line still ends the section.
        Case{"lf_only_line_then_blank", "GET / HTTP/1.1\r\nX: a\n\r\n", "", Framing::complete},
        Case{"header_section_too_large", "GET / HTTP/1.1\r\nX: " + std::string(200, 'a'), "", Framing::headers_too_large},
        Case{"finished_but_too_large", "GET / HTTP/1.1\r\nX: " + std::string(200, 'a') + "\r\n\r\n", "",
             Framing::headers_too_large},
        Case{"chunked_complete", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", kGet,
             Framing::complete},
        Case{"chunked_extension_and_case",
             "POST / HTTP/1.1\r\nTransfer-Encoding: Chunked\r\n\r\nA;x=y\r\n0123456789\r\n0\r\n\r\n", "", Framing::complete},
        Case{"chunked_waits_for_data", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab", "", Framing::incomplete},
        Case{"chunked_waits_for_last_line", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n", "",
             Framing::incomplete},
        Case{"chunked_over_limit", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n15\r\n", "", Framing::body_too_large},
        Case{"chunked_sum_over_limit", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nA\r\n0123456789\r\nB\r\n", "",
             Framing::body_too_large},
        Case{"chunked_huge_size", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffffff\r\n", "",
             Framing::body_too_large},
        // Malformed framing is the HTTP layer's to reject, from what is already here.
        Case{"chunked_bad_size", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "more", Framing::complete},
        Case{"chunk_without_crlf", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\naXY\r\n", "", Framing::complete},
        // Both lengths at once is a smuggling attempt (RFC 9112 §6.1): refused at once.
        Case{"length_and_chunked_refused", "POST / HTTP/1.1\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\nab", "",
             Framing::malformed}),
    [](const ::testing::TestParamInfo<Case>& p) { return std::string(p.param.name); });

}  // namespace
}  // namespace acmezone::api
