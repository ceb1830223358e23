// api/request_checks: what a request's head must satisfy before it is routed and before its
// body is read. cpp-httplib 0.11.4 accepts too much here: Content-Length together with
// Transfer-Encoding (chunked wins), two different Content-Lengths (the first wins), a
// Content-Length that is no number ("abc" reads as 0, "-1" as 2^64-1), "Transfer-Encoding:
// gzip, chunked" (then it reads until the peer closes), a body on GET (left in the stream and
// read as the next request), field names with spaces, NUL or CR/LF in field values, and bodies
// with a content coding (gzip, deflate, br), which it decodes with no bound on the decoded size.
// Each lets a front proxy and this server disagree about where a request ends (request
// smuggling, RFC 9112 §11.2) or spends memory without limit; each is refused here, and the
// caller then closes the connection (RFC 9112 §6.3: the framing cannot be trusted any more).
// Pure functions.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "api/errors.hpp"

namespace acmezone::api {

// A request's head as the HTTP layer parsed it. Views: the caller keeps the strings alive.
struct RequestHead {
    std::string_view method;   // "GET", "POST", ...
    std::string_view target;   // as sent: "/p?q" (origin-form), "http://h/p" (absolute-form), "*"
    std::string_view version;  // "HTTP/1.1" or "HTTP/1.0" (the HTTP layer refuses others)
    std::vector<std::pair<std::string_view, std::string_view>> headers;  // name, value; in order
};

struct HeadRejection {
    ApiError error;           // bad_request (400), payload_too_large (413), unsupported_media_type (415)
    std::string_view reason;  // for the log: which rule, never request bytes
};

// The first rule `head` breaks, in this order: field names are tokens (RFC 9110 §5.1; this also
// refuses whitespace before the colon, RFC 9112 §5.1), field values hold no control characters
// but HTAB (RFC 9110 §5.5: CR, LF and NUL are dangerous; Go's server refuses all CTLs too), one
// Host in HTTP/1.1 (RFC 9112 §3.2), a well-formed target, Transfer-Encoding exactly "chunked"
// in HTTP/1.1 and never with Content-Length (RFC 9112 §6.1, §6.3), every Content-Length the
// same run of digits (§6.3) and at most `max_body`, no body where the HTTP layer does not read
// one, no content coding (RFC 9110 §8.4.1, 415). nullopt when it breaks none.
std::optional<HeadRejection> check_request_head(const RequestHead& head, std::size_t max_body);

// True for the methods whose body the HTTP layer reads (cpp-httplib: POST, PUT, PATCH, DELETE,
// PRI). Any other request must not declare a body.
bool reads_body(std::string_view method) noexcept;

// The path to route for a request path: origin-form as it is; absolute-form
// ("http://host:port/update") reduced to its path ("/update"), which RFC 9112 §3.2.2 says a
// server MUST accept. The authority is not checked: this server answers for every host name.
std::string_view routing_path(std::string_view path) noexcept;

}  // namespace acmezone::api
