// api/context: what the request handlers share: the store, the writer, the zone, the options,
// and the HTTP-independent request/reply shapes the handlers work on (so they are testable
// without sockets). One ApiContext per server; handlers run on many threads at once and only
// read it (the store and writer are thread-safe).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "api/api_stats.hpp"
#include "api/delegation_hook.hpp"
#include "api/metrics_hook.hpp"
#include "api/propagation_hook.hpp"
#include "api/options.hpp"
#include "api/rate_limit.hpp"
#include "core/secret_hash.hpp"
#include "core/zone.hpp"
#include "store/credentials.hpp"
#include "store/store.hpp"
#include "store/writer.hpp"

namespace acmezone::api {

struct ApiContext {
    ApiContext(store::Store& s, store::Writer& w, std::shared_ptr<const core::Zone> z, ApiOptions o)
        : store(s), writer(w), zone(std::move(z)), options(std::move(o)), credentials(s), hasher(s.hash_key()) {}

    store::Store& store;
    store::Writer& writer;
    std::shared_ptr<const core::Zone> zone;
    ApiOptions options;
    store::CredentialStore credentials;
    core::SecretHasher hasher;
    ApiLimits limits{options.limits};  // /update per credential, failed authentications per address
    DelegationCheck delegation_check;   // GET /admin/check; wired in by the app (empty: 503)
    PropagationHook propagation;        // GET /admin/propagation, ?wait_propagation=1; wired in by the app (empty: 503)
    MetricsSource metrics;              // GET /metrics; wired in by the app (empty: 503)
    ReadinessCheck dns_ready;           // GET /ready: DNS listeners bound; wired in by the app (empty: not ready)
    ApiStats stats;                     // counted by dispatch (api/routes)
};

// The parts of an HTTP request the handlers look at.
struct ApiRequest {
    std::string body;
    std::string peer;                    // TCP peer address
    std::vector<std::string> forwarded;  // X-Forwarded-For values, in order
    std::optional<std::string> api_user;       // X-Api-User
    std::optional<std::string> api_key;        // X-Api-Key (never logged)
    std::optional<std::string> authorization;  // Authorization (never logged)
    std::optional<std::string> content_type;   // Content-Type (the admin API needs JSON; acme-dns routes ignore it)
    std::vector<std::pair<std::string, std::string>> query;  // URL query parameters, decoded, in order (admin API)
};

struct ApiReply {
    int status = 200;
    std::string body;
    std::string content_type;  // "" for an empty body without a type
    std::vector<std::pair<std::string, std::string>> headers;
};

}  // namespace acmezone::api
