#include "api/propagation_handler.hpp"

#include "api/admin_reply.hpp"
#include "api/errors.hpp"
#include "api/log.hpp"

namespace acmezone::api {

nlohmann::ordered_json propagation_json(const PropagationResult& r) {
    nlohmann::ordered_json out;
    out["serial"] = r.serial;
    out["label"] = r.label.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(r.label);
    out["txt"] = r.txt;
    out["nameservers"] = nlohmann::ordered_json::array();
    for (const auto& ns : r.nameservers) {
        nlohmann::ordered_json one;
        one["address"] = ns.address;
        one["serial"] = ns.serial ? nlohmann::ordered_json(*ns.serial) : nlohmann::ordered_json(nullptr);
        one["caught_up"] = ns.caught_up;
        one["txt"] = ns.txt;
        one["matches"] = ns.matches;
        one["error"] = ns.error ? nlohmann::ordered_json(*ns.error) : nlohmann::ordered_json(nullptr);
        out["nameservers"].push_back(std::move(one));
    }
    out["all_caught_up"] = r.all_caught_up;
    return out;
}

ApiReply handle_admin_propagation(ApiContext& ctx, const ApiRequest& request, std::string_view actor, std::string_view client) {
    if (!ctx.propagation) return admin_fail(ApiError::unavailable, "no propagation check in this server");
    const std::string* label = admin_query(request, "label");
    auto result = ctx.propagation.check(label ? std::string_view(*label) : std::string_view{});
    if (!result) {
        if (result.error().code == core::Errc::invalid_argument) return admin_fail(ApiError::bad_request, result.error().message);
        logger()->error("event=admin_propagation actor={} client={} outcome=db_error error=\"{}\"", actor, client, result.error().message);
        return admin_fail(ApiError::db_error, "");
    }
    logger()->info("event=admin_propagation actor={} client={} label={} serial={} nameservers={} all_caught_up={}", actor, client,
                   result->label.empty() ? "-" : result->label, result->serial, result->nameservers.size(), result->all_caught_up);
    return admin_json_reply(200, propagation_json(*result));
}

bool wants_propagation_wait(const ApiContext& ctx, const ApiRequest& request) {
    if (!ctx.propagation.wait) return false;
    const std::string* value = admin_query(request, "wait_propagation");
    if (!value) return ctx.propagation.wait_by_default;
    return *value == "1" || *value == "true" || *value == "yes";
}

}  // namespace acmezone::api
