// app/propagation_wiring: the propagation check (dns/propagation) as the API sees it (api cannot
// include dns): options from config, the report converted to api::PropagationResult, and the
// hook for ApiServer::set_propagation. Shared by `serve` and `acmezone propagation`.
#pragma once

#include <memory>

#include "api/propagation_hook.hpp"
#include "app/config.hpp"
#include "dns/propagation.hpp"

namespace acmezone::app {

dns::PropagationOptions propagation_options(const Config& config);

api::PropagationResult to_api(const dns::PropagationReport& report);

api::PropagationHook make_propagation_hook(std::shared_ptr<const dns::PropagationChecker> checker, const PropagationConfig& config);

}  // namespace acmezone::app
