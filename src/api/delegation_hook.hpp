// api/delegation_hook: how the admin API's GET /admin/check reaches the delegation checker,
// which lives in dns (it resolves with ldns) and which api must not include. The app wires a
// dns::DelegationChecker in as this function (ApiServer::set_delegation_check). Arguments: the
// customer name and an optional label; errors: invalid_argument, not_found, store failures.
#pragma once

#include <functional>
#include <string_view>

#include "core/delegation.hpp"
#include "core/result.hpp"

namespace acmezone::api {

using DelegationCheck = std::function<core::Result<core::DelegationResult>(std::string_view domain, std::string_view label)>;

}  // namespace acmezone::api
