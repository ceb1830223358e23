#include "api/admin_routes.hpp"

#include <chrono>
#include <vector>

#include "api/check_handler.hpp"
#include "api/client_address.hpp"
#include "api/credential_json.hpp"
#include "api/errors.hpp"
#include "api/json_body.hpp"
#include "api/log.hpp"
#include "api/register_handler.hpp"
#include "store/audit.hpp"
#include "store/credential_admin.hpp"

namespace acmezone::api {

namespace {

using store::AdminActor;

constexpr std::string_view kCredentials = "/admin/credentials";
constexpr std::string_view kLabels = "/admin/labels/";
constexpr std::string_view kAudit = "/admin/audit";

ApiReply json_reply(int status, const Json& body) {
    try {
        return ApiReply{status, body.dump(-1, ' ', false, Json::error_handler_t::strict), std::string(kJsonType), {}};
    } catch (const Json::exception&) {
        return ApiReply{error_info(ApiError::json_error).status, error_body(ApiError::json_error), std::string(kJsonType), {}};
    }
}

ApiReply fail(ApiError e, std::string_view message) {
    Json body = Json::object();
    body["error"] = std::string(error_info(e).code);
    if (!message.empty()) body["message"] = std::string(message);
    return json_reply(error_info(e).status, body);
}

// One switch from the store's error to the API's.
ApiReply fail(const core::Error& error) {
    switch (error.code) {
        case core::Errc::invalid_argument: return fail(ApiError::invalid_parameter, error.message);
        case core::Errc::conflict: return fail(ApiError::conflict, error.message);
        case core::Errc::not_found: return fail(ApiError::credential_not_found, error.message);
        case core::Errc::forbidden: return fail(ApiError::reserved_label, error.message);
        default: break;
    }
    logger()->error("event=admin outcome=db_error error=\"{}\"", error.message);
    return fail(ApiError::db_error, "");
}

std::int64_t unix_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

const std::string* query(const ApiRequest& request, std::string_view key) {
    const std::string* found = nullptr;
    for (const auto& [k, v] : request.query)
        if (k == key) found = &v;
    return found;
}

// Splits "/a/b/c" into {"a", "b", "c"}.
std::vector<std::string_view> segments(std::string_view path) {
    std::vector<std::string_view> out;
    while (!path.empty()) {
        if (path.front() == '/') {
            path.remove_prefix(1);
            continue;
        }
        const auto slash = path.find('/');
        out.push_back(path.substr(0, slash));
        if (slash == std::string_view::npos) break;
        path.remove_prefix(slash);
    }
    return out;
}

ApiReply not_allowed(std::string_view allow) {
    ApiReply reply = fail(ApiError::method_not_allowed, "");
    reply.headers.emplace_back("Allow", std::string(allow));
    return reply;
}

std::optional<bool> parse_bool(std::string_view text) {
    if (text == "true" || text == "1") return true;
    if (text == "false" || text == "0") return false;
    return std::nullopt;
}

ApiReply issue(ApiContext& ctx, const ApiRequest& request, const AdminActor& actor) {
    auto parsed = parse_whole(request.body);
    if (!parsed || !parsed->is_object()) return fail(ApiError::malformed_json_payload, "the body must be a JSON object");
    const Json& body = *parsed;
    store::IssueRequest req;
    req.scheme = ctx.options.default_scheme;
    if (const Json* d = find_key(body, "domains"); d != nullptr && !d->is_null()) {
        if (!d->is_array()) return fail(ApiError::invalid_domain, "\"domains\" must be an array of names");
        for (const auto& item : *d) {
            if (!item.is_string()) return fail(ApiError::invalid_domain, "\"domains\" must be an array of names");
            req.domains.push_back(item.get<std::string>());
        }
    }
    if (const Json* d = find_key(body, "domain"); d != nullptr && !d->is_null()) {
        if (!d->is_string()) return fail(ApiError::invalid_domain, "\"domain\" must be a name");
        req.domains.push_back(d->get<std::string>());
    }
    if (req.domains.empty()) return fail(ApiError::invalid_domain, "give \"domain\" or \"domains\"");
    for (const auto& domain : req.domains)
        if (auto n = core::normalise_customer_name(domain); !n) return fail(ApiError::invalid_domain, n.error().message);
    if (const Json* s = find_key(body, "scheme"); s != nullptr && !s->is_null()) {
        auto scheme = s->is_string() ? core::parse_label_scheme(s->get<std::string>()) : std::nullopt;
        if (!scheme) return fail(ApiError::invalid_scheme, "\"scheme\" must be one of uuid, hash, reverse");
        req.scheme = *scheme;
    }
    if (const Json* a = find_key(body, "allowfrom"); a != nullptr && !a->is_null()) {
        if (!a->is_array()) return fail(ApiError::invalid_allowfrom_cidr, "\"allowfrom\" must be an array of CIDR ranges");
        for (const auto& item : *a) {
            if (!item.is_string() || !core::parse_cidr(item.get<std::string>()))
                return fail(ApiError::invalid_allowfrom_cidr, "\"allowfrom\" entries must be ranges like 192.0.2.0/24");
            req.allowfrom.push_back(item.get<std::string>());
        }
    }
    if (const Json* r = find_key(body, "replace"); r != nullptr && !r->is_null()) {
        if (!r->is_boolean()) return fail(ApiError::invalid_parameter, "\"replace\" must be true or false");
        req.replace = r->get<bool>();
    }
    store::CredentialAdmin admin(ctx.store, ctx.writer, ctx.zone);
    auto issued = admin.issue(req, actor);
    if (!issued) {
        logger()->info("event=admin_issue actor={} outcome={} error=\"{}\"", actor.name, core::to_string(issued.error().code),
                       issued.error().message);
        return fail(issued.error());
    }
    logger()->info("event=admin_issue actor={} account={} names={} outcome=ok", actor.name, issued->credential.username,
                   issued->credential.labels.size());
    return json_reply(201, credential_json(*issued, *ctx.zone));
}

ApiReply list(ApiContext& ctx, const ApiRequest& request) {
    store::CredentialFilter filter;
    const std::int64_t now = unix_now();
    if (const auto* v = query(request, "name")) {
        if (auto n = core::normalise_customer_name(*v); !n) return fail(ApiError::invalid_domain, n.error().message);
        filter.name = *v;
    }
    if (const auto* v = query(request, "label")) filter.label = *v;
    if (const auto* v = query(request, "scheme")) {
        if (!core::parse_label_scheme(*v)) return fail(ApiError::invalid_scheme, "scheme must be one of uuid, hash, reverse");
        filter.scheme = *v;
    }
    for (auto [key, target] : {std::pair{"used_since", &filter.used_since}, std::pair{"unused_since", &filter.unused_since}}) {
        if (const auto* v = query(request, key)) {
            auto t = store::parse_time_spec(*v, now);
            if (!t) return fail(ApiError::invalid_parameter, std::string(key) + ": " + t.error().message);
            *target = *t;
        }
    }
    if (const auto* v = query(request, "disabled")) {
        auto b = parse_bool(*v);
        if (!b) return fail(ApiError::invalid_parameter, "disabled must be true or false");
        filter.disabled = *b;
    }
    store::CredentialAdmin admin(ctx.store, ctx.writer, ctx.zone);
    auto found = admin.list(filter);
    if (!found) return fail(found.error());
    Json out = Json::object();
    Json items = Json::array();
    for (const auto& view : *found) items.push_back(credential_json(view, *ctx.zone));
    out["credentials"] = std::move(items);
    return json_reply(200, out);
}

ApiReply audit(ApiContext& ctx, const ApiRequest& request) {
    store::AuditFilter filter;
    if (const auto* v = query(request, "since")) {
        auto t = store::parse_time_spec(*v, unix_now());
        if (!t) return fail(ApiError::invalid_parameter, "since: " + t.error().message);
        filter.since_ns = *t > 0 ? static_cast<std::uint64_t>(*t) * 1000000000ull : 0;
    }
    if (const auto* v = query(request, "actor")) filter.actor = *v;
    if (const auto* v = query(request, "label")) filter.label = *v;
    if (const auto* v = query(request, "kind")) {
        filter.kind = store::parse_audit_kind(*v);
        if (!filter.kind) return fail(ApiError::invalid_parameter, "kind \"" + *v + "\" is unknown");
    }
    if (const auto* v = query(request, "after")) filter.after = *v;
    if (const auto* v = query(request, "limit")) {
        auto n = store::parse_time_spec(*v, 0);  // plain digits only
        if (!n || *n < 1 || *n > 10000 || v->find_first_not_of("0123456789") != std::string::npos)
            return fail(ApiError::invalid_parameter, "limit must be 1..10000");
        filter.limit = static_cast<std::size_t>(*n);
    }
    auto page = store::AuditLog(ctx.store).page(filter);
    if (!page) return fail(page.error());
    Json out = Json::object();
    Json events = Json::array();
    for (const auto& e : page->events) events.push_back(audit_event_json(e));
    out["events"] = std::move(events);
    out["next"] = page->next.empty() ? Json(nullptr) : Json(page->next);
    return json_reply(200, out);
}

ApiReply credential_op(ApiContext& ctx, std::string_view method, const std::vector<std::string_view>& seg,
                       const ApiRequest& request, const AdminActor& actor) {
    const std::string username(seg[2]);
    store::CredentialAdmin admin(ctx.store, ctx.writer, ctx.zone);
    if (seg.size() == 3) {
        if (method == "GET") {
            auto view = admin.show(username);
            return view ? json_reply(200, credential_json(*view, *ctx.zone)) : fail(view.error());
        }
        if (method == "DELETE") {
            if (auto st = admin.revoke(username, actor); !st) return fail(st.error());
            logger()->info("event=admin_revoke actor={} account={} outcome=ok", actor.name, username);
            Json out = Json::object();
            out["revoked"] = username;
            return json_reply(200, out);
        }
        return not_allowed("GET, DELETE");
    }
    const std::string_view op = seg[3];
    if (seg.size() != 4 || (op != "rotate" && op != "disable" && op != "enable")) return fail(ApiError::not_found, "");
    if (method != "POST") return not_allowed("POST");
    core::Result<store::CredentialView> view = core::make_error(core::Errc::internal, "");
    if (op == "rotate") {
        bool new_tsig = false;
        if (!request.body.empty()) {
            auto body = parse_whole(request.body);
            if (!body || !body->is_object()) return fail(ApiError::malformed_json_payload, "the body must be a JSON object");
            if (const Json* t = find_key(*body, "tsig"); t != nullptr && !t->is_null()) {
                if (!t->is_boolean()) return fail(ApiError::invalid_parameter, "\"tsig\" must be true or false");
                new_tsig = t->get<bool>();
            }
        }
        if (const auto* v = query(request, "tsig")) new_tsig = parse_bool(*v).value_or(false);
        view = admin.rotate(username, new_tsig, actor);
    } else {
        view = admin.set_disabled(username, op == "disable", actor);
    }
    if (!view) return fail(view.error());
    logger()->info("event=admin_{} actor={} account={} outcome=ok", op, actor.name, username);
    return json_reply(200, credential_json(*view, *ctx.zone));
}

}  // namespace

bool is_admin_path(std::string_view path) noexcept {
    return path == kCredentials || path.starts_with(std::string(kCredentials) + "/") || path.starts_with(kLabels) || path == kAudit ||
           path == "/admin/check";  // api/check_handler
}

ApiReply handle_admin(ApiContext& ctx, std::string_view method, std::string_view path, const ApiRequest& request) {
    auto log = logger();
    const ClientAddress client = client_address(request.peer, request.forwarded, ctx.options.trusted_proxies);
    if (method == "OPTIONS") return ApiReply{204, "", "", {{"Allow", "GET, POST, DELETE, OPTIONS"}}};

    // An address that keeps failing waits first (and leaves no event each time).
    if (const auto blocked = ctx.limits.auth_allowed(client.text); !blocked.allowed) {
        ApiReply reply = fail(ApiError::rate_limited, "too many failed authentications from this address");
        reply.headers.emplace_back("Retry-After", std::to_string(blocked.retry_after));
        return reply;
    }
    AdminActor actor;
    if (!check_admin_token(ctx.options.admin_tokens, request.authorization, actor.name)) {
        ctx.limits.auth_failed(client.text);
        log->warn("event=admin_auth client={} path={} outcome=forbidden", client.text, path);
        store::AuditEvent e;
        e.kind = store::AuditKind::admin_auth_failure;
        e.actor = "-";
        e.source = "api:" + client.text;
        e.outcome = "forbidden";
        e.detail = std::string(method) + " " + std::string(path) + (request.authorization ? " bad_token" : " no_token");
        if (auto st = store::AuditLog(ctx.store).append(std::move(e)); !st)
            log->error("event=audit_append outcome=failed error=\"{}\"", st.error().message);
        return fail(ApiError::forbidden, "");
    }
    actor.source = "api:" + client.text;

    const auto seg = segments(path);  // "admin", ...
    if (path == "/admin/check") {
        if (method != "GET") return not_allowed("GET");
        return handle_admin_check(ctx, request);
    }
    if (path == kCredentials) {
        if (method == "POST") return issue(ctx, request, actor);
        if (method == "GET") return list(ctx, request);
        return not_allowed("GET, POST");
    }
    if (path == kAudit) {
        if (method != "GET") return not_allowed("GET");
        return audit(ctx, request);
    }
    if (seg.size() >= 3 && seg[1] == "credentials") return credential_op(ctx, method, seg, request, actor);
    if (seg.size() == 4 && seg[1] == "labels" && seg[3] == "txt") {
        if (method != "DELETE") return not_allowed("DELETE");
        store::CredentialAdmin admin(ctx.store, ctx.writer, ctx.zone);
        auto deleted = admin.delete_txt(seg[2], actor);
        if (!deleted) return fail(deleted.error());
        Json out = Json::object();
        out["label"] = std::string(seg[2]);
        out["deleted"] = *deleted;
        return json_reply(200, out);
    }
    return fail(ApiError::not_found, "");
}

}  // namespace acmezone::api
