// api/request_framing: does what a client has sent so far hold one whole HTTP/1.1 request?
// The gate hands a connection to a pool thread only when it does, so no thread waits for a
// slow client (RFC 9112 §2.1 message = request line + header section + body, whose length is
// given by §6.3). The rules follow what cpp-httplib will then read: the header section ends at
// the first empty line ("\r\n" on a line of its own); only POST, PUT, PATCH, DELETE and PRI
// requests have their body read; Content-Length (the first one) or chunked Transfer-Encoding
// gives its length; a request with neither has none. A Content-Length that is not all digits or
// a Transfer-Encoding other than "chunked" is malformed: cpp-httplib would read it differently
// (it percent-decodes header values), so the two would disagree on where the body ends.
// Pure functions.
#pragma once

#include <cstddef>
#include <string_view>

namespace acmezone::api {

enum class Framing {
    incomplete,         // wait for more bytes
    complete,           // `size` bytes hold the request
    headers_too_large,  // no end of the header section within max_header_section bytes
    body_too_large,     // the declared or received body exceeds max_body
    malformed,          // a body length we cannot trust (RFC 9112 §6.3): refuse, never guess
};

struct FramingLimits {
    std::size_t max_header_section = 0;  // request line + header lines + the empty line
    std::size_t max_body = 0;
};

struct FramingResult {
    Framing state = Framing::incomplete;
    std::size_t size = 0;           // complete: bytes of the request (header section + body)
    bool expects_continue = false;  // incomplete: headers read, "Expect: 100-continue", body to come
};

FramingResult check_request(std::string_view buffered, const FramingLimits& limits);

}  // namespace acmezone::api
