// api/connection_gate: how an accepted HTTP(S) connection is held so that idle, silent or slow
// clients starve nobody. Admission (on the listener's accept thread): over
// api.max_connections_per_ip (trusted proxies exempt) the client gets 503 {"error":
// "unavailable"} and is closed; then a
// slot under api.max_connections (the pool closes the longest-idle parked connection to make
// room). Then the connection alternates between two places:
//   parked  - in the IdleParking epoll thread while its client owes us bytes: its first request
//             (deadline: accept + api.read_timeout_ms, TLS handshake included), the next one on a
//             kept-alive connection (api.keepalive_timeout_ms of quiet), or the rest of a request
//             that has begun (request start + api.read_timeout_ms, however slowly it trickles);
//   a step  - on a pool thread once readable: read what arrived without blocking; when that
//             completes a request (api/request_framing), cpp-httplib answers it; then park again.
// At most api.keepalive_requests per connection; pipelined requests are answered one step each,
// in order. A header section or body over the limits gets 431/413 at once, then the connection
// is drained briefly and closed. Thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

#include "api/connection_pool.hpp"
#include "api/errors.hpp"
#include "api/idle_parking.hpp"
#include "api/ip_connection_counter.hpp"
#include "api/options.hpp"
#include "api/request_framing.hpp"
#include "core/cidr.hpp"
#include "core/result.hpp"

namespace acmezone::api {

class GateConnection;
class RequestServer;

struct GateOptions {
    std::chrono::milliseconds read_timeout{5000};
    std::chrono::milliseconds keepalive_timeout{5000};
    std::chrono::milliseconds write_timeout{10000};
    std::uint32_t keepalive_requests = 100;
    std::uint32_t max_connections_per_ip = 16;
    // api.trusted_proxies: each carries many clients, so the per-address cap does not apply.
    std::vector<core::Cidr> uncapped;
    FramingLimits framing;

    static GateOptions from(const ApiOptions& options);
};

struct GateStats {
    std::uint64_t accepted = 0;         // connections admitted
    std::uint64_t refused_per_ip = 0;   // 503 and closed: the address was at its cap
    std::uint64_t requests = 0;         // requests answered by the HTTP layer
    std::uint64_t too_large = 0;        // 431/413 answered by the gate
    std::uint64_t timed_out = 0;        // closed at a read or keep-alive deadline
    std::uint64_t evicted = 0;          // idle, closed to make room at the total cap
    std::size_t parked = 0;             // waiting for their client now
    std::size_t held = 0;               // holding a slot now (parked, being served, queued)
};

class ConnectionGate {
public:
    ConnectionGate(ConnectionPool& pool, GateOptions options);
    ~ConnectionGate();  // stop()
    ConnectionGate(const ConnectionGate&) = delete;
    ConnectionGate& operator=(const ConnectionGate&) = delete;

    core::Status start();
    // Takes an accepted socket from `server`'s accept loop (closes it when refused). May wait
    // for a slot while every connection is busy (not idle).
    void admit(int fd, RequestServer& server);
    // Closes parked connections and joins the parking thread; steps still queued answer a
    // request already complete (with "Connection: close") or close. Then shut the pool down.
    void stop();

    GateStats stats() const;

private:
    void step(std::unique_ptr<GateConnection> connection);
    void schedule(std::unique_ptr<GateConnection> connection);
    void park(std::unique_ptr<GateConnection> connection, ParkFor wait);
    void answer(std::unique_ptr<GateConnection> connection, bool last);
    void refuse(std::unique_ptr<GateConnection> connection, ApiError error);
    void drain(std::unique_ptr<GateConnection> connection);
    bool make_room();
    bool uncapped(const std::string& ip) const;
    std::size_t read_cap() const;

    ConnectionPool& pool_;
    const GateOptions options_;
    IpConnectionCounter per_ip_;
    IdleParking parking_;
    std::atomic<bool> stopping_{false};
    std::atomic<std::uint64_t> accepted_{0};
    std::atomic<std::uint64_t> refused_per_ip_{0};
    std::atomic<std::uint64_t> requests_{0};
    std::atomic<std::uint64_t> too_large_{0};
    std::atomic<std::int64_t> last_refusal_log_{0};  // steady-clock seconds: one warning per interval
    std::atomic<std::int64_t> last_eviction_log_{0};
};

}  // namespace acmezone::api
