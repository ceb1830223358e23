// api/routes: the route table. Paths are normalised first (runs of '/' collapsed, one trailing
// '/' dropped, the configured base path removed), so "//register" and "/register/" work as
// acme-dns clients expect; then (method, route) picks the handler. Every non-success reply,
// including 404 and 405, has a JSON body.
#pragma once

#include <string>
#include <string_view>

#include "api/context.hpp"

namespace acmezone::api {

enum class Route { register_account, update, health, admin, none };

// The route for a request path; Route::none when it is not one of ours.
Route match_route(std::string_view path, std::string_view base_path);
// The same; for Route::admin `relative` gets the path below the base path (api/admin_routes).
Route match_route(std::string_view path, std::string_view base_path, std::string* relative);

ApiReply dispatch(ApiContext& ctx, std::string_view method, std::string_view path, const ApiRequest& request);

// GET /health: 200 (empty body, like acme-dns) when a read transaction on the store works,
// 503 with a JSON error otherwise.
ApiReply handle_health(ApiContext& ctx);

}  // namespace acmezone::api
