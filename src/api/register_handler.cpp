#include "api/register_handler.hpp"

#include <chrono>

#include "api/errors.hpp"
#include "api/json_body.hpp"
#include "api/log.hpp"
#include "core/cidr.hpp"
#include "core/random.hpp"

namespace acmezone::api {

namespace {

ApiReply error(ApiError e) { return ApiReply{error_info(e).status, error_body(e), std::string(kJsonType), {}}; }

std::string fulldomain_suffix(const core::Zone& zone) {
    std::string apex = zone.apex().to_text();  // as configured (case kept)
    if (!apex.empty() && apex.back() == '.') apex.pop_back();
    return apex;
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
        log->error("event=register client={} outcome=db_error error=\"{}\"", request.peer, stored.error().message);
        return error(ApiError::db_error);
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
    return ApiReply{201, std::move(text), std::string(kJsonType), {}};
}

}  // namespace acmezone::api
