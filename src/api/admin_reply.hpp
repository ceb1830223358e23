// api/admin_reply: the admin API's reply shapes, shared by its handlers (admin_routes,
// check_handler, propagation_handler): JSON bodies that never fail on bytes that are not UTF-8,
// the error form {"error": code, "message": text}, and query parameters (the last one wins).
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "api/context.hpp"
#include "api/errors.hpp"

namespace acmezone::api {

// `body` as the reply; bytes that are not UTF-8 (from a path, a query or the audit log) come out
// as U+FFFD instead of failing the reply.
ApiReply admin_json_reply(int status, const nlohmann::ordered_json& body);
// {"error": code, "message": message} with the error's status; no "message" when it is empty.
ApiReply admin_fail(ApiError error, std::string_view message);
// The value of the last query parameter named `key`; nullptr when there is none.
const std::string* admin_query(const ApiRequest& request, std::string_view key);

}  // namespace acmezone::api
