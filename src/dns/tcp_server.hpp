// dns/tcp_server: DNS over TCP (RFC 7766) on Boost.Asio: 2-octet length framing, several
// queries per connection (pipelined, answered in order), an idle timeout, a cap on
// concurrent connections (total and per client address), and a bound on the time to read
// one message, so a slow or silent client cannot block others. Uses the same Responder as
// UDP. Runs its own io_context thread; start() binds before returning.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

#include "core/result.hpp"
#include "dns/endpoint.hpp"
#include "dns/query_stats.hpp"
#include "dns/responder.hpp"
#include "store/store.hpp"

namespace acmezone::dns {

// A zero duration or count means "no limit".
struct TcpOptions {
    std::chrono::milliseconds idle_timeout{10000};  // no complete query for this long: close
    std::chrono::milliseconds read_timeout{5000};   // one message must arrive within this once started
    unsigned max_connections = 1024;
    unsigned max_connections_per_ip = 64;
    // No cap by default, as in Knot and NSD: pipelining is already bounded by the bytes of
    // answers queued per connection, and closing a busy connection makes clients resend.
    unsigned max_queries_per_connection = 0;
    int listen_backlog = 1024;
};

// Totals since construction; safe to read from any thread.
struct TcpStats {
    std::uint64_t accepted = 0;   // connections taken into service
    std::uint64_t rejected = 0;   // connections closed at once: over a connection cap
    std::uint64_t timed_out = 0;  // connections closed by the idle or read timeout
    std::uint64_t queries = 0;    // messages read
    std::uint64_t responses = 0;  // responses queued for writing
    QueryStats answers;           // responses the Responder wrote, by type and RCODE (dns/query_stats)
};

class UpdateService;
class TransferService;

class TcpServer {
public:
    TcpServer(const store::Store& store, std::shared_ptr<const Responder> responder, TcpOptions options);
    ~TcpServer();
    // start() and stop() are called from one controlling thread; stop() is idempotent.
    core::Status start(const std::vector<Endpoint>& endpoints);
    void stop();
    // Before start(): UPDATEs and TSIG-signed messages go to `service` (dns/update_service);
    // their answers keep the connection's order. Stop the service before stop().
    void set_update_service(std::shared_ptr<UpdateService> service);
    // Before start(): AXFR and IXFR queries go to `service` (dns/transfer_service), signed or
    // not; their answers keep the connection's order. Without one they get NOTIMP.
    void set_transfer_service(std::shared_ptr<TransferService> service);

    TcpStats stats() const noexcept;
    // The addresses actually listened on, in the order given to start(); a port 0 is
    // replaced by the port the kernel chose. Empty when stopped.
    std::vector<Endpoint> bound_endpoints() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace acmezone::dns
