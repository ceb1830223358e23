// api/check_handler: GET /admin/check?domain=NAME[&label=LABEL] (admin bearer token, checked by
// api/admin_routes before this runs): the customer's _acme-challenge CNAME judged by the injected
// delegation checker. 200 with the result (state delegated | missing | elsewhere |
// other_credential | error: a lookup error is a result, not a failure), 400 without a valid
// domain, 404 when no credential has the name, 503 when no checker is wired in. The JSON shape is
// shared with `acmezone check --json`.
#pragma once

#include <nlohmann/json.hpp>

#include "api/context.hpp"
#include "core/delegation.hpp"

namespace acmezone::api {

// {"domain", "query", "state", "target", "expected", "username", ["target_username"], "detail"}
nlohmann::ordered_json delegation_json(const core::DelegationResult& result);

// `actor` (the admin token's name) and `client` (its address) are for the log line.
ApiReply handle_admin_check(ApiContext& ctx, const ApiRequest& request, std::string_view actor = "-",
                            std::string_view client = "-");

}  // namespace acmezone::api
