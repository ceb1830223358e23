#include "api/update_handler.hpp"

#include <algorithm>
#include <chrono>

#include "api/client_address.hpp"
#include "api/errors.hpp"
#include "api/json_body.hpp"
#include "api/log.hpp"
#include "api/propagation_handler.hpp"
#include "core/change_set.hpp"
#include "core/random.hpp"
#include "core/rr.hpp"
#include "core/txt.hpp"
#include "store/audit.hpp"

namespace acmezone::api {

namespace {

ApiReply error(ApiError e) { return ApiReply{error_info(e).status, error_body(e), std::string(kJsonType), {}}; }

constexpr std::int64_t kLastUseGranularity = 60;  // seconds

ApiReply rate_limited(std::uint32_t retry_after) {
    ApiReply reply = error(ApiError::rate_limited);
    reply.headers.emplace_back("Retry-After", std::to_string(retry_after));  // RFC 9110 §10.2.3, seconds
    return reply;
}

bool is_key_char(char c) noexcept {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

bool is_alnum(char c) noexcept { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

// {"txt": "<value>"}, hand-built like acme-dns (a space after the colon). The value passed the
// 43-character base64url rule, so it needs no escaping.
std::string txt_body(std::string_view value) { return "{\"txt\": \"" + std::string(value) + "\"}"; }

}  // namespace

bool is_valid_api_key(std::string_view key) noexcept {
    return key.size() == core::kPasswordLength && std::all_of(key.begin(), key.end(), is_key_char);
}

bool is_valid_subdomain(std::string_view s) noexcept {
    if (s.empty() || s.size() > 63) return false;
    if (!is_alnum(s.front()) || !is_alnum(s.back())) return false;
    return std::all_of(s.begin(), s.end(), [](char c) { return is_alnum(c) || c == '-'; });
}

ApiReply handle_update(ApiContext& ctx, const ApiRequest& request) {
    auto log = logger();
    const ClientAddress client = client_address(request.peer, request.forwarded, ctx.options.trusted_proxies);
    const auto forbidden = [&](std::string_view account, std::string_view reason, std::string_view subdomain = "-") {
        log->warn("event=update account={} subdomain={} client={} outcome=forbidden reason={}", account, subdomain, client.text,
                  reason);
        return error(ApiError::forbidden);
    };
    // A wrong or missing secret also spends the source address's failed-authentication budget
    // and is audited; the budget bounds how many audit writes one address can cause.
    const auto auth_failed = [&](std::string_view account, std::string_view reason) {
        ctx.limits.auth_failed(client.text);
        store::AuditEvent event;
        event.kind = store::AuditKind::update_auth_failure;
        event.actor = std::string(account);
        event.source = "api:" + client.text;
        event.outcome = "forbidden";
        event.detail = std::string(reason);
        if (auto st = store::AuditLog(ctx.store).append(std::move(event)); !st)
            log->error("event=audit_append outcome=failed error=\"{}\"", st.error().message);
        return forbidden(account, reason);
    };

    // 0. An address that spent its failed-authentication budget (brute force) waits first.
    if (const auto blocked = ctx.limits.auth_allowed(client.text); !blocked.allowed) {
        log->warn("event=update account=- subdomain=- client={} outcome=rate_limited reason=auth_failures retry_after={}",
                  client.text, blocked.retry_after);
        return rate_limited(blocked.retry_after);
    }

    // 1. X-Api-User must be a UUID (any form Go's uuid.Parse takes), looked up lower-case.
    const auto username = request.api_user ? parse_uuid(*request.api_user) : std::nullopt;
    if (!username) return auth_failed("invalid", "bad_user_header");
    // 2. X-Api-Key must look like a generated password; no store access otherwise.
    if (!request.api_key || !is_valid_api_key(*request.api_key)) return auth_failed(*username, "bad_key_header");

    // 3. Look the user up and check the secret. An unknown user runs the same HMAC as a known
    // one, so the answer time does not reveal which usernames exist.
    core::Credential credential;
    auto found = ctx.credentials.find(*username, credential);
    if (!found) {
        log->error("event=update account={} subdomain=- client={} outcome=db_error error=\"{}\"", *username, client.text,
                   found.error().message);
        return error(ApiError::db_error);
    }
    if (!*found) {
        (void)ctx.hasher.verify_unknown(*request.api_key);
        return auth_failed(*username, "unknown_user");
    }
    if (!ctx.hasher.verify(*request.api_key, credential.secret_hash)) return auth_failed(*username, "wrong_key");
    if (credential.disabled) return forbidden(*username, "disabled");
    if (core::needs_rehash(credential.secret_hash)) {
        // An imported bcrypt hash: move it to the fast scheme now that we know the secret.
        auto moved = ctx.credentials.update_secret_hash(*username, credential.secret_hash, ctx.hasher.hash(*request.api_key));
        if (!moved) log->warn("event=rehash account={} outcome=failed error=\"{}\"", *username, moved.error().message);
        else if (*moved) log->info("event=rehash account={} from=bcrypt to=hmac-sha256", *username);
    }

    // 4. The source address must be in allowfrom (when it lists any valid range).
    if (!allowed_from(credential.allowfrom, client)) return forbidden(*username, "source_not_allowed");

    // 4b. The credential's own /update budget, after authentication: a misbehaving client
    // burns only its own tokens, and strangers cannot spend anyone's.
    if (const auto limited = ctx.limits.take_update(*username); !limited.allowed) {
        log->info("event=update account={} subdomain=- client={} outcome=rate_limited retry_after={}", *username, client.text,
                  limited.retry_after);
        return rate_limited(limited.retry_after);
    }

    // 5. + 6. The body; its subdomain must be the account's, exactly (case-sensitive, as
    // acme-dns). A body that does not decode leaves it empty, which never matches.
    const UpdateBody body = read_update_body(request.body);
    if (credential.find_label(body.subdomain) == nullptr)
        return body.subdomain.empty() ? forbidden(*username, "no_subdomain")
                                      : forbidden(*username, "other_subdomain", body.subdomain);  // the label it tried

    // 7. + 8. Validation, after authentication (so strangers learn nothing from 400s).
    const auto rejected = [&](ApiError e) {
        log->info("event=update account={} subdomain={} client={} outcome={}", *username, body.subdomain, client.text,
                  error_info(e).code);
        return error(e);
    };
    if (!is_valid_subdomain(body.subdomain)) return rejected(ApiError::bad_subdomain);
    if (!core::is_acme_challenge_value(body.txt)) return rejected(ApiError::bad_txt);

    // 9. Add the value, keeping the newest api.txt_values, through the writer; wait for the
    // durable commit.
    auto owner = ctx.zone->apex().prepend(body.subdomain);
    auto rdata = core::txt_rdata_from_value(body.txt);
    if (!owner || !rdata) return rejected(ApiError::bad_subdomain);
    // Delete, then add: a value posted again becomes the newest, as in acme-dns (which
    // overwrites its oldest row with it), instead of keeping its old place in line.
    core::ChangeSet change;
    change.operations.push_back(core::Operation{core::OpKind::delete_rr, owner.value(), core::rrtype::TXT, 0, rdata.value(), 0});
    change.operations.push_back(core::Operation{core::OpKind::add_rr, std::move(owner.value()), core::rrtype::TXT,
                                                ctx.zone->spec().txt_ttl, std::move(rdata.value()), ctx.options.txt_values});
    change.actor = *username;
    change.source = "api:" + client.text;
    auto committed = ctx.writer.submit(std::move(change)).get();
    if (!committed) {
        const auto code = committed.error().code;
        // A reserved owner (apex or static records) is a subdomain problem, the rest the store's
        // (507 store_full when the map is full, else 500 db_error).
        const ApiError e = (code == core::Errc::forbidden || code == core::Errc::invalid_argument) ? ApiError::bad_subdomain
                                                                                                   : store_error(code);
        log->error("event=update account={} subdomain={} client={} outcome={} error=\"{}\"", *username, body.subdomain,
                   client.text, error_info(e).code, committed.error().message);
        return error(e);
    }
    log->info("event=update account={} subdomain={} client={} outcome=ok serial={}", *username, body.subdomain, client.text,
              committed->serial);
    // Last use, for `credential list --unused-since` and the delegation check: at most one
    // write per credential a minute (the record read above says when it was last written).
    const std::int64_t now =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    if (now - credential.last_used_at >= kLastUseGranularity) {
        if (auto touched = ctx.credentials.touch(*username, now, kLastUseGranularity); !touched)
            log->warn("event=last_use account={} outcome=failed error=\"{}\"", *username, touched.error().message);
    }
    // ?wait_propagation=1 ([propagation]): wait, bounded, until every configured nameserver
    // serves the new serial. The update is durable either way: the answer stays 200.
    if (wants_propagation_wait(ctx, request)) {
        const bool propagated = ctx.propagation.wait(committed->serial);
        log->info("event=update_propagation account={} serial={} propagated={}", *username, committed->serial, propagated);
        std::string reply = txt_body(body.txt);
        reply.insert(reply.size() - 1, std::string(", \"propagated\": ") + (propagated ? "true" : "false"));
        return ApiReply{200, std::move(reply), std::string(kJsonType), {}};
    }
    return ApiReply{200, txt_body(body.txt), std::string(kJsonType), {}};
}

}  // namespace acmezone::api
