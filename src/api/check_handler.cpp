#include "api/check_handler.hpp"

#include "api/errors.hpp"
#include "api/log.hpp"

namespace acmezone::api {

namespace {

ApiReply json_reply(int status, const nlohmann::ordered_json& body) {
    return ApiReply{status, body.dump(), std::string(kJsonType), {}};
}

// The admin API's error form: {"error": code, "message": text}.
ApiReply fail(ApiError e, std::string_view message) {
    nlohmann::ordered_json body;
    body["error"] = std::string(error_info(e).code);
    body["message"] = std::string(message);
    return json_reply(error_info(e).status, body);
}

const std::string* query_value(const ApiRequest& request, std::string_view key) {
    const std::string* found = nullptr;
    for (const auto& [k, v] : request.query)
        if (k == key) found = &v;  // the last one wins, like the other admin routes
    return found;
}

}  // namespace

nlohmann::ordered_json delegation_json(const core::DelegationResult& r) {
    nlohmann::ordered_json out;
    out["domain"] = r.domain;
    out["query"] = r.query;
    out["state"] = core::to_string(r.state);
    out["target"] = r.target;
    out["expected"] = r.expected;
    out["username"] = r.username;
    if (!r.target_owner.empty()) out["target_username"] = r.target_owner;
    out["detail"] = r.detail;
    return out;
}

ApiReply handle_admin_check(ApiContext& ctx, const ApiRequest& request) {
    if (!ctx.delegation_check) return fail(ApiError::unavailable, "no delegation checker in this server");
    const std::string* domain = query_value(request, "domain");
    if (domain == nullptr || domain->empty()) return fail(ApiError::bad_request, "the query parameter domain is required");
    const std::string* label = query_value(request, "label");
    auto result = ctx.delegation_check(*domain, label ? std::string_view(*label) : std::string_view{});
    if (!result) {
        const auto code = result.error().code;
        const ApiError e = code == core::Errc::invalid_argument ? ApiError::bad_request
                           : code == core::Errc::not_found      ? ApiError::not_found
                                                                : ApiError::db_error;
        if (e == ApiError::db_error) {
            logger()->error("event=admin_check domain={} outcome=db_error error=\"{}\"", *domain, result.error().message);
            return fail(e, "");
        }
        return fail(e, result.error().message);
    }
    logger()->info("event=admin_check domain={} state={} account={}", result->domain, core::to_string(result->state),
                   result->username);
    return json_reply(200, delegation_json(*result));
}

}  // namespace acmezone::api
