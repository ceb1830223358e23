// api/propagation_handler: GET /admin/propagation?label=LABEL (admin bearer token, checked by
// api/admin_routes before this runs): which configured nameservers serve the primary's serial
// and the label's TXT values (dns-standards §4.6). 200 with
// {"serial", "label", "txt", "nameservers": [{"address", "serial", "caught_up", "txt", "matches",
// "error"}], "all_caught_up"}, 400 for a label outside the zone, 503 when nothing is wired in.
// The JSON shape is shared with `acmezone propagation --json`.
#pragma once

#include <nlohmann/json.hpp>

#include "api/context.hpp"
#include "api/propagation_hook.hpp"

namespace acmezone::api {

nlohmann::ordered_json propagation_json(const PropagationResult& result);

ApiReply handle_admin_propagation(ApiContext& ctx, const ApiRequest& request, std::string_view actor = "-",
                                  std::string_view client = "-");

// ?wait_propagation=1|true|0|false on an update: whether to wait (the hook's default otherwise).
bool wants_propagation_wait(const ApiContext& ctx, const ApiRequest& request);

}  // namespace acmezone::api
