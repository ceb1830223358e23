// api/server: the acme-dns compatible REST API over cpp-httplib. One httplib server per listen
// address (IPv4 and IPv6), all sharing one connection pool (api.threads, api.max_connections)
// and one connection gate (api/connection_gate: idle and slow clients wait in one epoll thread,
// never on a pool thread; api.max_connections_per_ip).
// Limits: body size (413), total header size (431), read/write timeouts, keep-alive. TLS
// (api.tls = "cert") with the certificate reloadable at run time. start() binds every address
// or none; stop() closes the listeners, lets requests in flight finish (their writes complete
// before the writer stops), then joins the threads. start/stop/reload from one thread.
#pragma once

#include <memory>
#include <thread>
#include <vector>

#include "api/api_stats.hpp"
#include "api/delegation_hook.hpp"
#include "api/metrics_hook.hpp"
#include "api/propagation_hook.hpp"
#include "api/options.hpp"
#include "core/result.hpp"
#include "core/zone.hpp"
#include "store/store.hpp"
#include "store/writer.hpp"

namespace acmezone::api {

struct ApiContext;
class ConnectionPool;
class ConnectionGate;
struct GateStats;
class TlsCertificates;

class ApiServer {
public:
    ApiServer(store::Store& store, store::Writer& writer, std::shared_ptr<const core::Zone> zone, ApiOptions options);
    ~ApiServer();  // stop()
    ApiServer(const ApiServer&) = delete;
    ApiServer& operator=(const ApiServer&) = delete;

    core::Status start();
    void stop();

    // Reads the TLS certificate and key again (SIGHUP). Ok and nothing to do without TLS; on
    // failure the old pair stays in use.
    core::Status reload_tls();
    // The pair in use, for logs ("none" without TLS).
    std::string tls_description() const;

    // The bound port of each listen address, in configuration order (after start()).
    std::vector<int> ports() const { return ports_; }

    // The checker behind GET /admin/check (dns::DelegationChecker, wired by the app); call
    // before start().
    void set_delegation_check(DelegationCheck check);
    // GET /admin/propagation and the optional wait of updates (dns::PropagationChecker, wired
    // by the app); call before start().
    void set_propagation(PropagationHook hook);

    // GET /metrics renders through `source`; GET /ready asks `dns_ready` (both wired by the
    // app, before start()).
    void set_metrics(MetricsSource source);
    void set_ready_check(ReadinessCheck dns_ready);
    // Writes, failed authentications and rate-limited requests so far (any thread).
    ApiStatsSnapshot stats() const noexcept;
    // Connections admitted, refused, timed out, evicted, held now (api/connection_gate.hpp;
    // zeros when not started). Any thread.
    GateStats connection_stats() const;

private:
    struct Listener;

    std::unique_ptr<ApiContext> context_;
    std::shared_ptr<TlsCertificates> tls_;
    std::unique_ptr<ConnectionPool> pool_;
    std::unique_ptr<ConnectionGate> gate_;  // after pool_: destroyed before it
    std::vector<std::unique_ptr<Listener>> listeners_;
    std::vector<int> ports_;
};

}  // namespace acmezone::api
