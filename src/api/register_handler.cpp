#include "api/register_handler.hpp"

#include <chrono>

#include "api/errors.hpp"
#include "api/json_body.hpp"
#include "api/log.hpp"
#include "core/cidr.hpp"
#include "core/random.hpp"
#include "store/audit.hpp"
#include "store/credential_admin.hpp"

namespace acmezone::api {

namespace {

ApiReply error(ApiError e) { return ApiReply{error_info(e).status, error_body(e), std::string(kJsonType), {}}; }

std::string fulldomain_suffix(const core::Zone& zone) {
    std::string apex = zone.apex().to_text();  // as configured (case kept)
    if (!apex.empty() && apex.back() == '.') apex.pop_back();
    return apex;
}

// replace: a message quoting the client's text cannot fail the reply (nlohmann throws on bytes
// that are not UTF-8; bodies pass go_json_text first, so this is a second line of defence).
std::string dump_reply(const Json& reply) { return reply.dump(-1, ' ', false, Json::error_handler_t::replace); }

ApiReply error_with(ApiError e, const std::string& message) {
    Json body = Json::object();
    body["error"] = std::string(error_info(e).code);
    body["message"] = message;
    return ApiReply{error_info(e).status, dump_reply(body), std::string(kJsonType), {}};
}

// /register with a customer name: nullopt when the body names none (the acme-dns path runs).
std::optional<ApiReply> register_for_domain(ApiContext& ctx, const ApiRequest& request, const std::vector<std::string>& allowfrom,
                                            const std::string& token_name) {
    const auto body = parse_whole(go_json_text(request.body));  // as read_register_body reads it
    if (!body || !body->is_object()) return std::nullopt;
    const Json* domain = find_key(*body, "domain");
    if (domain == nullptr || domain->is_null()) return std::nullopt;
    if (!domain->is_string()) return error_with(ApiError::invalid_domain, "\"domain\" must be a name");
    if (auto n = core::normalise_customer_name(domain->get<std::string>()); !n) return error_with(ApiError::invalid_domain, n.error().message);
    store::IssueRequest req;
    req.domains = {domain->get<std::string>()};
    req.scheme = ctx.options.default_scheme;
    req.allowfrom = allowfrom;
    req.audit_kind = store::AuditKind::register_account;
    if (const Json* s = find_key(*body, "scheme"); s != nullptr && !s->is_null()) {
        auto scheme = s->is_string() ? core::parse_label_scheme(s->get<std::string>()) : std::nullopt;
        if (!scheme) return error_with(ApiError::invalid_scheme, "\"scheme\" must be one of uuid, hash, reverse");
        req.scheme = *scheme;
    }
    store::CredentialAdmin admin(ctx.store, ctx.writer, ctx.zone);
    auto issued = admin.issue(req, store::AdminActor{token_name, "api:" + request.peer});
    if (!issued) {
        logger()->info("event=register client={} outcome={} error=\"{}\"", request.peer, core::to_string(issued.error().code),
                       issued.error().message);
        if (issued.error().code == core::Errc::conflict) return error_with(ApiError::conflict, issued.error().message);
        if (issued.error().code == core::Errc::invalid_argument) return error_with(ApiError::invalid_parameter, issued.error().message);
        return error(store_error(issued.error().code));
    }
    const auto& c = issued->credential;
    Json reply = Json::object();
    reply["username"] = c.username;
    reply["password"] = issued->password.value_or("");
    reply["fulldomain"] = c.labels[0].name + "." + fulldomain_suffix(*ctx.zone);
    reply["subdomain"] = c.labels[0].name;
    reply["allowfrom"] = c.allowfrom;
    std::string text;
    try {
        text = dump_reply(reply);
    } catch (const Json::exception&) {
        return error(ApiError::json_error);
    }
    logger()->info("event=register account={} subdomain={} domain={} client={} token={} outcome=ok", c.username, c.labels[0].name,
                   c.labels[0].domain, request.peer, token_name);
    return ApiReply{201, std::move(text), std::string(kJsonType), {}};
}

}  // namespace

bool check_admin_token(const std::vector<AdminToken>& tokens, const std::optional<std::string>& authorization,
                       std::string& name) {
    constexpr std::string_view kScheme = "Bearer ";
    std::string_view presented;
    // The scheme is case-insensitive (RFC 9110 §11.1); the token is not.
    if (authorization && authorization->size() > kScheme.size()) {
        std::string scheme = authorization->substr(0, kScheme.size());
        for (auto& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (scheme == "bearer ") presented = std::string_view(*authorization).substr(kScheme.size());
    }
    // Hash even an absent token, and compare with every configured one: the time taken says
    // nothing about which (if any) matched.
    const std::string digest = core::sha256_hex(presented);
    bool matched = false;
    for (const auto& token : tokens) {
        if (core::constant_time_equal(digest, token.sha256) && !presented.empty() && !matched) {
            matched = true;
            name = token.name;
        }
    }
    return matched;
}

ApiReply handle_register(ApiContext& ctx, const ApiRequest& request) {
    auto log = logger();
    const auto& options = ctx.options;
    if (options.registration == RegistrationMode::off) {
        log->info("event=register client={} outcome=registration_disabled", request.peer);
        return error(ApiError::registration_disabled);
    }
    std::string token_name = "-";
    if (options.registration == RegistrationMode::token && !check_admin_token(options.admin_tokens, request.authorization, token_name)) {
        log->warn("event=register client={} outcome=forbidden reason=admin_token", request.peer);
        return error(ApiError::forbidden);
    }

    const RegisterBody body = read_register_body(request.body);
    if (!body.ok) {
        log->info("event=register client={} outcome=malformed_json_payload", request.peer);
        return error(ApiError::malformed_json_payload);
    }
    std::vector<std::string> allowfrom;
    for (const auto& entry : body.allowfrom) {
        auto cidr = core::parse_cidr(entry);
        if (!cidr) {
            log->info("event=register client={} outcome=invalid_allowfrom_cidr", request.peer);
            return error(ApiError::invalid_allowfrom_cidr);
        }
        allowfrom.push_back(cidr->text);  // bracket-stripped, otherwise as written
    }

    // Token mode: {"domain": "...", "scheme": "..."} gives a readable label for that customer
    // name (admin semantics: conflicts, TSIG key). Open mode ignores both, as acme-dns would.
    if (options.registration == RegistrationMode::token) {
        if (auto named = register_for_domain(ctx, request, allowfrom, token_name)) return std::move(*named);
    }

    core::Credential credential;
    const std::string password = core::random_password();
    credential.secret_hash = ctx.hasher.hash(password);
    credential.allowfrom = allowfrom;
    credential.created_at =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    // UUID collisions are practically impossible; a couple of retries cover the impossible.
    core::Status stored = core::make_error(core::Errc::internal, "not tried");
    for (int attempt = 0; attempt < 3; ++attempt) {
        credential.username = core::random_uuid_v4();
        credential.labels = {core::Label{core::random_uuid_v4(), "", "uuid"}};
        stored = ctx.credentials.insert(credential);
        if (stored || stored.error().code != core::Errc::conflict) break;
    }
    if (!stored) {
        const ApiError e = store_error(stored.error().code);  // 507 store_full or 500 db_error
        log->error("event=register client={} outcome={} error=\"{}\"", request.peer, error_info(e).code, stored.error().message);
        return error(e);
    }

    // Compact, one line, fields in acme-dns's order (acme.sh parses it with sed).
    Json reply = Json::object();
    reply["username"] = credential.username;
    reply["password"] = password;
    reply["fulldomain"] = credential.labels[0].name + "." + fulldomain_suffix(*ctx.zone);
    reply["subdomain"] = credential.labels[0].name;
    reply["allowfrom"] = allowfrom;  // always an array, [] when empty
    std::string text;
    try {
        text = reply.dump(-1, ' ', false, Json::error_handler_t::strict);
    } catch (const Json::exception&) {
        return error(ApiError::json_error);
    }
    log->info("event=register account={} subdomain={} client={} token={} allowfrom={} outcome=ok", credential.username,
              credential.labels[0].name, request.peer, token_name, allowfrom.size());
    store::AuditEvent event;
    event.kind = store::AuditKind::register_account;
    event.actor = token_name;
    event.label = credential.labels[0].name;
    event.source = "api:" + request.peer;
    event.outcome = "ok";
    event.detail = "credential " + credential.username;
    if (auto st = store::AuditLog(ctx.store).append(std::move(event)); !st)
        log->error("event=audit_append outcome=failed error=\"{}\"", st.error().message);
    return ApiReply{201, std::move(text), std::string(kJsonType), {}};
}

}  // namespace acmezone::api
