#include "api/check_handler.hpp"

#include "api/admin_reply.hpp"
#include "api/errors.hpp"
#include "api/log.hpp"

namespace acmezone::api {

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

ApiReply handle_admin_check(ApiContext& ctx, const ApiRequest& request, std::string_view actor, std::string_view client) {
    if (!ctx.delegation_check) return admin_fail(ApiError::unavailable, "no delegation checker in this server");
    const std::string* domain = admin_query(request, "domain");
    if (domain == nullptr || domain->empty()) return admin_fail(ApiError::bad_request, "the query parameter domain is required");
    const std::string* label = admin_query(request, "label");
    auto result = ctx.delegation_check(*domain, label ? std::string_view(*label) : std::string_view{});
    if (!result) {
        const auto code = result.error().code;
        const ApiError e = code == core::Errc::invalid_argument ? ApiError::bad_request
                           : code == core::Errc::not_found      ? ApiError::not_found
                                                                : ApiError::db_error;
        if (e == ApiError::db_error) {
            logger()->error("event=admin_check actor={} client={} domain={} outcome=db_error error=\"{}\"", actor, client, *domain,
                            result.error().message);
            return admin_fail(e, "");
        }
        return admin_fail(e, result.error().message);
    }
    logger()->info("event=admin_check actor={} client={} domain={} state={} account={} expected={}", actor, client, result->domain,
                   core::to_string(result->state), result->username, result->expected.empty() ? "-" : result->expected);
    return admin_json_reply(200, delegation_json(*result));
}

}  // namespace acmezone::api
