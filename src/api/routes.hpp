// api/routes: the route table. Paths are normalised first (runs of '/' collapsed, one trailing
// '/' dropped, the configured base path removed), so "//register" and "/register/" work as
// acme-dns clients expect; then (method, route) picks the handler. Every non-success reply,
// including 404 and 405, has a JSON body.
#pragma once

#include <string>
#include <string_view>

#include "api/context.hpp"

namespace acmezone::api {

enum class Route { register_account, update, health, admin, metrics, ready, none };

// The route for a request path; Route::none when it is not one of ours.
Route match_route(std::string_view path, std::string_view base_path);
// The same; for Route::admin `relative` gets the path below the base path (api/admin_routes).
Route match_route(std::string_view path, std::string_view base_path, std::string* relative);

ApiReply dispatch(ApiContext& ctx, std::string_view method, std::string_view path, const ApiRequest& request);

// GET /health: 200 (empty body, like acme-dns) when a read transaction on the store works,
// 503 with a JSON error otherwise.
ApiReply handle_health(ApiContext& ctx);

// GET /metrics: the app's Prometheus text (text/plain; version=0.0.4), 404 when api.metrics is
// false, 403 for a client outside api.metrics_allow, 503 when no source is wired in.
ApiReply handle_metrics(ApiContext& ctx, const ApiRequest& request);

// GET /ready: 200 {"status":"ready"} when a read transaction on the store begins and the DNS
// listeners are bound (ApiContext::dns_ready), else 503 {"error": "not_ready"}.
ApiReply handle_ready(ApiContext& ctx);

inline constexpr std::string_view kPrometheusTextType = "text/plain; version=0.0.4; charset=utf-8";

}  // namespace acmezone::api
