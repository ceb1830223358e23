// api/update_handler: POST /update (acme-dns §1.2), in acme-dns's order: X-Api-User and
// X-Api-Key form, user lookup and secret check (constant time; unknown users cost the same),
// allowfrom, body, exact subdomain match — any failure so far is 401 forbidden — then the
// subdomain and TXT rules (400), then the write through the store's writer (group commit).
// 200 only once the value is durable.
#pragma once

#include <string_view>

#include "api/context.hpp"

namespace acmezone::api {

ApiReply handle_update(ApiContext& ctx, const ApiRequest& request);

// Exactly 40 characters of [A-Za-z0-9_-] (what /register hands out).
bool is_valid_api_key(std::string_view key) noexcept;
// acme-dns's subdomain rule: ^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$
bool is_valid_subdomain(std::string_view subdomain) noexcept;

}  // namespace acmezone::api
