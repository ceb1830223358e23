// api/http_guard: the cpp-httplib side of api/request_checks: builds a RequestHead from an
// httplib::Request and writes the refusals that must end the connection. cpp-httplib 0.11.4
// keeps a connection open whatever the reply says ("Connection: close" in a response is sent,
// not acted on); it drops a connection only when writing a reply fails. So a closing reply
// sends its body through a content provider that reports failure once the whole body is out:
// the client gets the complete reply, then the connection loop sees the failed write and closes
// the socket. A HEAD reply has no body, so the provider never runs and a refused HEAD request
// keeps its connection (nothing after it is trusted more than any pipelined request).
// Stateless; safe from any thread.
#pragma once

#include <cstddef>

#include <httplib.h>

#include "api/errors.hpp"

namespace acmezone::api {

// Refuses `req` when its head breaks a rule of api/request_checks: `res` becomes the JSON
// error and the connection closes after it (logged with the rule, never request bytes). True
// when refused.
bool refuse_bad_head(const httplib::Request& req, httplib::Response& res, std::size_t max_body);

// `res` becomes {"error": "<code>"} for `error`, with `status` instead of the table's when not
// 0, and the connection is closed once it is written.
void reply_and_close(httplib::Response& res, ApiError error, int status = 0);

// True when `res` was made by reply_and_close (an error handler must leave it as it is).
bool is_closing_reply(const httplib::Response& res);

// Drops the ranges cpp-httplib parsed from a Range header. It would otherwise cut every reply,
// JSON errors included, to the ranges asked for, yet keep the status (no 206, no Content-Range):
// a client would read a truncated body as the whole. No route serves ranges (RFC 9110 §14.2
// lets a server ignore Range). `req` is the library's own, non-const, request object.
void ignore_ranges(const httplib::Request& req);

}  // namespace acmezone::api
