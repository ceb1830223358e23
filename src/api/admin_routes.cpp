#include "api/admin_routes.hpp"

#include <chrono>
#include <vector>

#include "api/check_handler.hpp"
#include "api/propagation_handler.hpp"
#include "api/client_address.hpp"
#include "api/credential_json.hpp"
#include "api/admin_reply.hpp"
#include "api/errors.hpp"
#include "api/json_body.hpp"
#include "api/log.hpp"
#include "api/register_handler.hpp"
#include "api/request_checks.hpp"
#include "store/audit.hpp"
#include "store/credential_admin.hpp"
#include "store/snapshot.hpp"

namespace acmezone::api {

namespace {

using store::AdminActor;

constexpr std::string_view kCredentials = "/admin/credentials";
constexpr std::string_view kLabels = "/admin/labels/";
constexpr std::string_view kAudit = "/admin/audit";

// One switch from the store's error to the API's.
ApiReply fail(const core::Error& error) {
    switch (error.code) {
        case core::Errc::invalid_argument: return admin_fail(ApiError::invalid_parameter, error.message);
        case core::Errc::conflict: return admin_fail(ApiError::conflict, error.message);
        case core::Errc::not_found: return admin_fail(ApiError::credential_not_found, error.message);
        case core::Errc::forbidden: return admin_fail(ApiError::reserved_label, error.message);
        default: break;
    }
    const ApiError e = store_error(error.code);  // 507 store_full or 500 db_error
    logger()->error("event=admin outcome={} error=\"{}\"", error_info(e).code, error.message);
    return admin_fail(e, "");
}

std::int64_t unix_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
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

// For the log line of every admin action: the client address (the actor's source is
// "api:<address>") and a credential's labels ("a,b"; "-" for none).
std::string_view client_of(const AdminActor& actor) {
    std::string_view source = actor.source;
    if (source.starts_with("api:")) source.remove_prefix(4);
    return source.empty() ? std::string_view("-") : source;
}

std::string labels_of(const core::Credential& credential) {
    std::string out;
    for (const auto& label : credential.labels) out += (out.empty() ? "" : ",") + label.name;
    return out.empty() ? "-" : out;
}

// A request path as a stranger sent it (percent-decoded by the HTTP layer: any byte), made safe
// for a log line and the audit log: bytes outside printable ASCII, spaces and '%' become %XX.
// Neither a forged log line (CR LF), a terminal escape (ESC) for `acmezone audit`, nor bytes
// that are not UTF-8 (which JSON output cannot carry) get through.
std::string printable(std::string_view path) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(path.size());
    for (const char c : path) {
        const auto u = static_cast<unsigned char>(c);
        if (u > 0x20 && u < 0x7F && c != '%') {
            out.push_back(c);
        } else {
            out.push_back('%');
            out.push_back(kHex[u >> 4]);
            out.push_back(kHex[u & 0xF]);
        }
    }
    return out;
}

ApiReply not_allowed(std::string_view allow) {
    ApiReply reply = admin_fail(ApiError::method_not_allowed, "");
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
    if (!parsed || !parsed->is_object()) return admin_fail(ApiError::malformed_json_payload, "the body must be a JSON object");
    const Json& body = *parsed;
    store::IssueRequest req;
    req.scheme = ctx.options.default_scheme;
    if (const Json* d = find_key(body, "domains"); d != nullptr && !d->is_null()) {
        if (!d->is_array()) return admin_fail(ApiError::invalid_domain, "\"domains\" must be an array of names");
        for (const auto& item : *d) {
            if (!item.is_string()) return admin_fail(ApiError::invalid_domain, "\"domains\" must be an array of names");
            req.domains.push_back(item.get<std::string>());
        }
    }
    if (const Json* d = find_key(body, "domain"); d != nullptr && !d->is_null()) {
        if (!d->is_string()) return admin_fail(ApiError::invalid_domain, "\"domain\" must be a name");
        req.domains.push_back(d->get<std::string>());
    }
    if (req.domains.empty()) return admin_fail(ApiError::invalid_domain, "give \"domain\" or \"domains\"");
    for (const auto& domain : req.domains)
        if (auto n = core::normalise_customer_name(domain); !n) return admin_fail(ApiError::invalid_domain, n.error().message);
    if (const Json* s = find_key(body, "scheme"); s != nullptr && !s->is_null()) {
        auto scheme = s->is_string() ? core::parse_label_scheme(s->get<std::string>()) : std::nullopt;
        if (!scheme) return admin_fail(ApiError::invalid_scheme, "\"scheme\" must be one of uuid, hash, reverse");
        req.scheme = *scheme;
    }
    if (const Json* a = find_key(body, "allowfrom"); a != nullptr && !a->is_null()) {
        if (!a->is_array()) return admin_fail(ApiError::invalid_allowfrom_cidr, "\"allowfrom\" must be an array of CIDR ranges");
        for (const auto& item : *a) {
            if (!item.is_string() || !core::parse_cidr(item.get<std::string>()))
                return admin_fail(ApiError::invalid_allowfrom_cidr, "\"allowfrom\" entries must be ranges like 192.0.2.0/24");
            req.allowfrom.push_back(item.get<std::string>());
        }
    }
    if (const Json* r = find_key(body, "replace"); r != nullptr && !r->is_null()) {
        if (!r->is_boolean()) return admin_fail(ApiError::invalid_parameter, "\"replace\" must be true or false");
        req.replace = r->get<bool>();
    }
    store::CredentialAdmin admin(ctx.store, ctx.writer, ctx.zone);
    auto issued = admin.issue(req, actor);
    if (!issued) {
        logger()->info("event=admin_issue actor={} client={} outcome={} error=\"{}\"", actor.name, client_of(actor),
                       core::to_string(issued.error().code), issued.error().message);
        return fail(issued.error());
    }
    logger()->info("event=admin_issue actor={} client={} account={} labels={} names={} outcome=ok", actor.name, client_of(actor),
                   issued->credential.username, labels_of(issued->credential), issued->credential.labels.size());
    return admin_json_reply(201, credential_json(*issued, *ctx.zone));
}

ApiReply list(ApiContext& ctx, const ApiRequest& request, const AdminActor& actor) {
    store::CredentialFilter filter;
    const std::int64_t now = unix_now();
    if (const auto* v = admin_query(request, "name")) {
        if (auto n = core::normalise_customer_name(*v); !n) return admin_fail(ApiError::invalid_domain, n.error().message);
        filter.name = *v;
    }
    if (const auto* v = admin_query(request, "label")) filter.label = *v;
    if (const auto* v = admin_query(request, "scheme")) {
        if (!core::parse_label_scheme(*v)) return admin_fail(ApiError::invalid_scheme, "scheme must be one of uuid, hash, reverse");
        filter.scheme = *v;
    }
    for (auto [key, target] : {std::pair{"used_since", &filter.used_since}, std::pair{"unused_since", &filter.unused_since}}) {
        if (const auto* v = admin_query(request, key)) {
            auto t = store::parse_time_spec(*v, now);
            if (!t) return admin_fail(ApiError::invalid_parameter, std::string(key) + ": " + t.error().message);
            *target = *t;
        }
    }
    if (const auto* v = admin_query(request, "disabled")) {
        auto b = parse_bool(*v);
        if (!b) return admin_fail(ApiError::invalid_parameter, "disabled must be true or false");
        filter.disabled = *b;
    }
    store::CredentialAdmin admin(ctx.store, ctx.writer, ctx.zone);
    auto found = admin.list(filter);
    if (!found) return fail(found.error());
    Json out = Json::object();
    Json items = Json::array();
    for (const auto& view : *found) items.push_back(credential_json(view, *ctx.zone));
    logger()->info("event=admin_list actor={} client={} count={} outcome=ok", actor.name, client_of(actor), found->size());
    out["credentials"] = std::move(items);
    return admin_json_reply(200, out);
}

ApiReply audit(ApiContext& ctx, const ApiRequest& request, const AdminActor& actor) {
    store::AuditFilter filter;
    if (const auto* v = admin_query(request, "since")) {
        auto t = store::parse_time_spec(*v, unix_now());
        if (!t) return admin_fail(ApiError::invalid_parameter, "since: " + t.error().message);
        filter.since_ns = *t > 0 ? static_cast<std::uint64_t>(*t) * 1000000000ull : 0;
    }
    if (const auto* v = admin_query(request, "actor")) filter.actor = *v;
    if (const auto* v = admin_query(request, "label")) filter.label = *v;
    if (const auto* v = admin_query(request, "kind")) {
        filter.kind = store::parse_audit_kind(*v);
        if (!filter.kind) return admin_fail(ApiError::invalid_parameter, "kind \"" + *v + "\" is unknown");
    }
    if (const auto* v = admin_query(request, "after")) filter.after = *v;
    if (const auto* v = admin_query(request, "limit")) {
        auto n = store::parse_time_spec(*v, 0);  // plain digits only
        if (!n || *n < 1 || *n > 10000 || v->find_first_not_of("0123456789") != std::string::npos)
            return admin_fail(ApiError::invalid_parameter, "limit must be 1..10000");
        filter.limit = static_cast<std::size_t>(*n);
    }
    auto page = store::AuditLog(ctx.store).page(filter);
    if (!page) return fail(page.error());
    Json out = Json::object();
    Json events = Json::array();
    for (const auto& e : page->events) events.push_back(audit_event_json(e));
    logger()->info("event=admin_audit actor={} client={} count={} outcome=ok", actor.name, client_of(actor), page->events.size());
    out["events"] = std::move(events);
    out["next"] = page->next.empty() ? Json(nullptr) : Json(page->next);
    return admin_json_reply(200, out);
}

ApiReply credential_op(ApiContext& ctx, std::string_view method, const std::vector<std::string_view>& seg,
                       const ApiRequest& request, const AdminActor& actor) {
    const std::string username(seg[2]);
    store::CredentialAdmin admin(ctx.store, ctx.writer, ctx.zone);
    if (seg.size() == 3) {
        if (method == "GET") {
            auto view = admin.show(username);
            if (!view) return fail(view.error());
            logger()->info("event=admin_show actor={} client={} account={} labels={} outcome=ok", actor.name, client_of(actor), username,
                           labels_of(view->credential));
            return admin_json_reply(200, credential_json(*view, *ctx.zone));
        }
        if (method == "DELETE") {
            // The labels go with the credential: read them first, for the log line.
            auto before = admin.show(username);
            const std::string labels = before ? labels_of(before->credential) : "-";
            if (auto st = admin.revoke(username, actor); !st) {
                logger()->info("event=admin_revoke actor={} client={} account={} outcome={}", actor.name, client_of(actor), username,
                               core::to_string(st.error().code));
                return fail(st.error());
            }
            logger()->info("event=admin_revoke actor={} client={} account={} labels={} outcome=ok", actor.name, client_of(actor),
                           username, labels);
            Json out = Json::object();
            out["revoked"] = username;
            return admin_json_reply(200, out);
        }
        return not_allowed("GET, DELETE");
    }
    const std::string_view op = seg[3];
    if (seg.size() != 4 || (op != "rotate" && op != "disable" && op != "enable")) return admin_fail(ApiError::not_found, "");
    if (method != "POST") return not_allowed("POST");
    core::Result<store::CredentialView> view = core::make_error(core::Errc::internal, "");
    if (op == "rotate") {
        bool new_tsig = false;
        if (!request.body.empty()) {
            auto body = parse_whole(request.body);
            if (!body || !body->is_object()) return admin_fail(ApiError::malformed_json_payload, "the body must be a JSON object");
            if (const Json* t = find_key(*body, "tsig"); t != nullptr && !t->is_null()) {
                if (!t->is_boolean()) return admin_fail(ApiError::invalid_parameter, "\"tsig\" must be true or false");
                new_tsig = t->get<bool>();
            }
        }
        if (const auto* v = admin_query(request, "tsig")) new_tsig = parse_bool(*v).value_or(false);
        view = admin.rotate(username, new_tsig, actor);
    } else {
        view = admin.set_disabled(username, op == "disable", actor);
    }
    if (!view) {
        logger()->info("event=admin_{} actor={} client={} account={} outcome={}", op, actor.name, client_of(actor), username,
                       core::to_string(view.error().code));
        return fail(view.error());
    }
    logger()->info("event=admin_{} actor={} client={} account={} labels={} outcome=ok", op, actor.name, client_of(actor), username,
                   labels_of(view->credential));
    return admin_json_reply(200, credential_json(*view, *ctx.zone));
}

}  // namespace

bool is_admin_path(std::string_view path) noexcept {
    return path == kCredentials || path.starts_with(std::string(kCredentials) + "/") || path.starts_with(kLabels) || path == kAudit ||
           path == "/admin/check" ||  // api/check_handler
           path == "/admin/propagation";  // api/propagation_handler
}

ApiReply handle_admin(ApiContext& ctx, std::string_view method, std::string_view path, const ApiRequest& request) {
    auto log = logger();
    const ClientAddress client = client_address(request.peer, request.forwarded, ctx.options.trusted_proxies);
    if (method == "OPTIONS") return ApiReply{204, "", "", {{"Allow", "GET, POST, DELETE, OPTIONS"}}};

    // An address that keeps failing waits first (and leaves no event each time).
    if (const auto blocked = ctx.limits.auth_allowed(client.text); !blocked.allowed) {
        ApiReply reply = admin_fail(ApiError::rate_limited, "too many failed authentications from this address");
        reply.headers.emplace_back("Retry-After", std::to_string(blocked.retry_after));
        return reply;
    }
    AdminActor actor;
    if (!check_admin_token(ctx.options.admin_tokens, request.authorization, actor.name)) {
        ctx.limits.auth_failed(client.text);
        log->warn("event=admin_auth client={} path={} outcome=forbidden", client.text, printable(path));
        store::AuditEvent e;
        e.kind = store::AuditKind::admin_auth_failure;
        e.actor = "-";
        e.source = "api:" + client.text;
        e.outcome = "forbidden";
        e.detail = std::string(method) + " " + printable(path) + (request.authorization ? " bad_token" : " no_token");
        if (auto st = store::AuditLog(ctx.store).append(std::move(e)); !st)
            log->error("event=audit_append outcome=failed error=\"{}\"", st.error().message);
        return admin_fail(ApiError::forbidden, "");
    }
    actor.source = "api:" + client.text;

    // This API is ours and takes JSON only: a request that may carry a body (POST, DELETE)
    // and names another type, or has a body without a type, is refused before anything reads
    // it (RFC 9110 §15.5.16). The acme-dns routes stay lenient: their clients send no type
    // (the certbot hook) or a form type (acme.sh's curl -d) with JSON in it.
    const bool json = request.content_type && is_json_media_type(*request.content_type);
    if (reads_body(method) && !json && (request.content_type || !request.body.empty())) {
        log->info("event=admin actor={} client={} path={} outcome=unsupported_media_type", actor.name, client.text,
                  printable(path));
        ApiReply reply = admin_fail(ApiError::unsupported_media_type, "the body must be application/json");
        reply.headers.emplace_back("Accept", std::string(kJsonType));
        return reply;
    }

    const auto seg = segments(path);  // "admin", ...
    if (path == "/admin/check") {
        if (method != "GET") return not_allowed("GET");
        return handle_admin_check(ctx, request, actor.name, client.text);
    }
    if (path == "/admin/propagation") {
        if (method != "GET") return not_allowed("GET");
        return handle_admin_propagation(ctx, request, actor.name, client.text);
    }
    if (path == kCredentials) {
        if (method == "POST") return issue(ctx, request, actor);
        if (method == "GET") return list(ctx, request, actor);
        return not_allowed("GET, POST");
    }
    if (path == kAudit) {
        if (method != "GET") return not_allowed("GET");
        return audit(ctx, request, actor);
    }
    if (seg.size() >= 3 && seg[1] == "credentials") return credential_op(ctx, method, seg, request, actor);
    if (seg.size() == 4 && seg[1] == "labels" && seg[3] == "txt") {
        if (method != "DELETE") return not_allowed("DELETE");
        store::CredentialAdmin admin(ctx.store, ctx.writer, ctx.zone);
        auto deleted = admin.delete_txt(seg[2], actor);
        if (!deleted) {
            logger()->info("event=admin_delete_txt actor={} client={} label={} outcome={}", actor.name, client_of(actor), seg[2],
                           core::to_string(deleted.error().code));
            return fail(deleted.error());
        }
        logger()->info("event=admin_delete_txt actor={} client={} label={} deleted={} outcome=ok", actor.name, client_of(actor), seg[2],
                       *deleted);
        Json out = Json::object();
        out["label"] = std::string(seg[2]);
        out["deleted"] = *deleted;
        // ?wait_propagation=1: bounded wait until every configured nameserver serves the serial
        // read after the commit (at or after it); the deletion is durable either way.
        if (*deleted && wants_propagation_wait(ctx, request)) {
            store::Snapshot snapshot(ctx.store);
            if (snapshot.begin()) {
                const std::uint32_t serial = snapshot.serial();
                snapshot.end();
                out["propagated"] = ctx.propagation.wait(serial);
            }
        }
        return admin_json_reply(200, out);
    }
    return admin_fail(ApiError::not_found, "");
}

}  // namespace acmezone::api
