// api/register_handler: POST /register (acme-dns §1.1): a new account with a random username,
// password and subdomain, its optional allowfrom ranges, stored with only the secret's hash.
// Gated by api.registration: "open", "token" (Authorization: Bearer <admin token>) or "off".
#pragma once

#include "api/context.hpp"

namespace acmezone::api {

ApiReply handle_register(ApiContext& ctx, const ApiRequest& request);

// True when `authorization` is "Bearer <token>" for one of the admin tokens (constant time
// over every configured token). Sets `name` to the matching token's name.
bool check_admin_token(const std::vector<AdminToken>& tokens, const std::optional<std::string>& authorization,
                       std::string& name);

}  // namespace acmezone::api
