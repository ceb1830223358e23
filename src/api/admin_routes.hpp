// api/admin_routes: the admin API under /admin (credentials, labels' TXT values, audit log).
// Every request needs "Authorization: Bearer <token>" for one of [[api.admin_tokens]]; the
// token's name is the actor in the audit log. A failed authentication is 401 {"error":
// "forbidden"} and an admin_auth_failure audit event (an address that keeps failing gets 429
// first, without an event, so the log cannot be flooded). Errors are {"error": code, "message":
// text} with codes from api/errors. A POST or DELETE with a body (or a Content-Type) must say
// application/json: 415 {"error": "unsupported_media_type"} otherwise. The work is done by
// store::CredentialAdmin, which the CLI calls too; JSON shapes are those of api/credential_json.
//   POST   /admin/credentials                    issue   {"domains": [..] | "domain": "..", "scheme", "allowfrom", "replace"}
//   GET    /admin/credentials?name=&label=&scheme=&used_since=&unused_since=&disabled=
//   GET    /admin/credentials/{username}         show
//   DELETE /admin/credentials/{username}         revoke
//   POST   /admin/credentials/{username}/rotate  {"tsig": true} for a new TSIG secret too
//   POST   /admin/credentials/{username}/disable | /enable
//   DELETE /admin/labels/{label}/txt             delete the label's TXT values
//   GET    /admin/audit?since=&actor=&kind=&label=&after=&limit=
#pragma once

#include <string_view>

#include "api/context.hpp"

namespace acmezone::api {

// True for a (normalised, base path removed) path this file serves.
bool is_admin_path(std::string_view path) noexcept;

ApiReply handle_admin(ApiContext& ctx, std::string_view method, std::string_view path, const ApiRequest& request);

}  // namespace acmezone::api
