#include "api/routes.hpp"

#include "api/admin_routes.hpp"
#include "api/client_address.hpp"
#include "api/errors.hpp"
#include "api/log.hpp"
#include "api/register_handler.hpp"
#include "api/update_handler.hpp"
#include "store/meta.hpp"
#include "store/txn.hpp"

namespace acmezone::api {

namespace {

std::string normalise(std::string_view path) {
    std::string out;
    out.reserve(path.size() + 1);
    for (char c : path) {
        if (c == '/' && !out.empty() && out.back() == '/') continue;
        out.push_back(c);
    }
    if (out.empty() || out.front() != '/') out.insert(out.begin(), '/');
    if (out.size() > 1 && out.back() == '/') out.pop_back();
    return out;
}

ApiReply error(ApiError e) { return ApiReply{error_info(e).status, error_body(e), std::string(kJsonType), {}}; }

ApiReply not_allowed(std::string_view allow) {
    ApiReply reply = error(ApiError::method_not_allowed);
    reply.headers.emplace_back("Allow", std::string(allow));
    return reply;
}

}  // namespace

Route match_route(std::string_view path, std::string_view base_path) {
    return match_route(path, base_path, nullptr);
}

Route match_route(std::string_view path, std::string_view base_path, std::string* relative) {
    std::string p = normalise(path);
    if (!base_path.empty()) {
        const std::string base = normalise(base_path);
        if (base != "/") {
            if (!p.starts_with(base) || (p.size() > base.size() && p[base.size()] != '/')) return Route::none;
            p.erase(0, base.size());
            if (p.empty()) p = "/";
        }
    }
    if (p == "/register") return Route::register_account;
    if (p == "/update") return Route::update;
    if (p == "/health") return Route::health;
    if (p == "/metrics") return Route::metrics;
    if (p == "/ready") return Route::ready;
    if (is_admin_path(p)) {
        if (relative != nullptr) *relative = std::move(p);
        return Route::admin;
    }
    return Route::none;
}

ApiReply handle_health(ApiContext& ctx) {
    auto txn = store::Txn::begin(ctx.store.env(), nullptr, MDB_RDONLY, "starting a health check");
    std::uint32_t serial = 0;
    int rc = -1;
    if (txn) rc = store::read_meta_u32(txn->get(), ctx.store.meta_db(), store::kMetaSerial, serial);
    if (!txn || rc != 0) {
        logger()->error("event=health outcome=unavailable error=\"{}\"",
                        txn ? std::string("cannot read the serial: ") + mdb_strerror(rc) : txn.error().message);
        return error(ApiError::unavailable);
    }
    return ApiReply{200, "", "", {}};
}

ApiReply handle_metrics(ApiContext& ctx, const ApiRequest& request) {
    if (!ctx.options.metrics) return error(ApiError::not_found);
    if (!ctx.options.metrics_allow.empty()) {
        const ClientAddress client = client_address(request.peer, request.forwarded, ctx.options.trusted_proxies);
        bool allowed = false;
        if (client.ip)
            for (const auto& range : ctx.options.metrics_allow) allowed = allowed || range.contains(*client.ip);
        if (!allowed) {
            logger()->info("event=metrics outcome=forbidden client={}", client.text);
            return error(ApiError::source_not_allowed);
        }
    }
    if (!ctx.metrics) return error(ApiError::unavailable);
    return ApiReply{200, ctx.metrics(), std::string(kPrometheusTextType), {}};
}

ApiReply handle_ready(ApiContext& ctx) {
    auto txn = store::Txn::begin(ctx.store.env(), nullptr, MDB_RDONLY, "starting a readiness check");
    if (!txn) {
        logger()->warn("event=ready outcome=not_ready reason=store error=\"{}\"", txn.error().message);
        return error(ApiError::not_ready);
    }
    txn->abort();
    if (!ctx.dns_ready || !ctx.dns_ready()) return error(ApiError::not_ready);
    return ApiReply{200, "{\"status\":\"ready\"}", std::string(kJsonType), {}};
}

namespace {

// Every write and every refusal is counted here, from the route and the status, so the
// handlers stay free of metrics. Admin reads (GET) count only when refused.
void count_request(ApiContext& ctx, Route route, std::string_view method, int status) noexcept {
    const bool read_only = method == "GET" || method == "HEAD" || method == "OPTIONS";
    switch (route) {
    case Route::update:
        if (method == "POST") ctx.stats.record(FrontDoor::rest, true, status);
        break;
    case Route::register_account:
        if (method == "POST") ctx.stats.record(FrontDoor::register_account, true, status);
        break;
    case Route::admin:
        if (method != "OPTIONS") ctx.stats.record(FrontDoor::admin, !read_only, status);
        break;
    default: break;
    }
}

ApiReply route_request(ApiContext& ctx, Route route, std::string_view method, const std::string& relative,
                       const ApiRequest& request) {
    const bool options = method == "OPTIONS";
    switch (route) {
        case Route::register_account:
        case Route::update:
            if (options) return ApiReply{204, "", "", {{"Allow", "POST, OPTIONS"}}};
            if (method != "POST") return not_allowed("POST, OPTIONS");
            return route == Route::update ? handle_update(ctx, request) : handle_register(ctx, request);
        case Route::health:
            if (options) return ApiReply{204, "", "", {{"Allow", "GET, HEAD, OPTIONS"}}};
            if (method != "GET" && method != "HEAD") return not_allowed("GET, HEAD, OPTIONS");
            return handle_health(ctx);
        case Route::metrics:
        case Route::ready:
            if (options) return ApiReply{204, "", "", {{"Allow", "GET, HEAD, OPTIONS"}}};
            if (method != "GET" && method != "HEAD") return not_allowed("GET, HEAD, OPTIONS");
            return route == Route::metrics ? handle_metrics(ctx, request) : handle_ready(ctx);
        case Route::admin: return handle_admin(ctx, method, relative, request);
        case Route::none: break;
    }
    return error(ApiError::not_found);
}

}  // namespace

ApiReply dispatch(ApiContext& ctx, std::string_view method, std::string_view path, const ApiRequest& request) {
    std::string relative;  // the path below the base path (admin routes)
    const Route route = match_route(path, ctx.options.base_path, &relative);
    ApiReply reply = route_request(ctx, route, method, relative, request);
    count_request(ctx, route, method, reply.status);
    return reply;
}

}  // namespace acmezone::api
