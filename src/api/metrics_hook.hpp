// api/metrics_hook: how GET /metrics and GET /ready reach what only the app knows. The app
// gathers every component's stats (dns, store, api) and renders the Prometheus text (api cannot
// include dns), and knows whether the DNS listeners are bound. Both are set on the ApiServer
// before start() and called on HTTP threads (so they must be thread-safe).
#pragma once

#include <functional>
#include <string>

namespace acmezone::api {

// The whole exposition text (Prometheus text format 0.0.4).
using MetricsSource = std::function<std::string()>;
// True when the DNS listeners are bound and serving; /ready checks the store itself.
using ReadinessCheck = std::function<bool()>;

}  // namespace acmezone::api
