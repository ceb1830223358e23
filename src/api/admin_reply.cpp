#include "api/admin_reply.hpp"

namespace acmezone::api {

ApiReply admin_json_reply(int status, const nlohmann::ordered_json& body) {
    using Json = nlohmann::ordered_json;
    try {
        return ApiReply{status, body.dump(-1, ' ', false, Json::error_handler_t::replace), std::string(kJsonType), {}};
    } catch (const Json::exception&) {
        return ApiReply{error_info(ApiError::json_error).status, error_body(ApiError::json_error), std::string(kJsonType), {}};
    }
}

ApiReply admin_fail(ApiError error, std::string_view message) {
    nlohmann::ordered_json body = nlohmann::ordered_json::object();
    body["error"] = std::string(error_info(error).code);
    if (!message.empty()) body["message"] = std::string(message);
    return admin_json_reply(error_info(error).status, body);
}

const std::string* admin_query(const ApiRequest& request, std::string_view key) {
    const std::string* found = nullptr;
    for (const auto& [k, v] : request.query)
        if (k == key) found = &v;
    return found;
}

}  // namespace acmezone::api
