// dns/udp_workers: N threads per listen address, each with its own SO_REUSEPORT socket, a
// store::Snapshot renewed per batch, and fixed receive/send buffers. Each batch is received
// with recvmmsg, answered by the Responder, and sent with sendmmsg: no heap allocation and
// no lock per query. start() binds every socket before returning (errors name the address);
// stop() wakes and joins the threads.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "core/result.hpp"
#include "dns/endpoint.hpp"
#include "dns/query_stats.hpp"
#include "dns/responder.hpp"
#include "dns/rrl.hpp"
#include "store/store.hpp"

namespace acmezone::dns {

struct UdpOptions {
    unsigned workers = 0;      // threads per address; 0 = one per core
    unsigned batch_size = 64;  // messages per recvmmsg/sendmmsg (1..1024)
    std::size_t socket_buffer_bytes = std::size_t{4} << 20;  // SO_RCVBUF/SO_SNDBUF asked for; 0 = kernel default
    RrlOptions rrl;  // response rate limiting (dns/rrl), off unless rrl.enabled; one table shared by all workers
};

// Totals over all workers since construction. Every received datagram ends up either sent
// (answered) or dropped (truncated on receive, no response, or the send failed).
struct UdpStats {
    std::uint64_t received = 0;
    std::uint64_t sent = 0;
    std::uint64_t dropped = 0;
    std::uint64_t rate_limited = 0;  // responses RRL dropped (counted in `dropped` too)
    std::uint64_t slipped = 0;       // responses RRL replaced by a TC=1 reply (counted in `sent` once sent)
    QueryStats answers;  // responses the Responder wrote, by type and RCODE (dns/query_stats)
};

class UpdateService;

class UdpWorkers {
public:
    UdpWorkers(const store::Store& store, std::shared_ptr<const Responder> responder, UdpOptions options);
    ~UdpWorkers();
    // start() and stop() are called from one controlling thread; stop() is idempotent.
    core::Status start(const std::vector<Endpoint>& endpoints);
    void stop();
    // Before start(): UPDATEs and TSIG-signed messages go to `service` (dns/update_service),
    // which replies on the same socket. Stop the service before stop().
    void set_update_service(std::shared_ptr<UpdateService> service);

    UdpStats stats() const noexcept;  // any thread
    // The addresses actually bound, in the order given to start(); a port 0 is replaced by
    // the port the kernel chose (shared by all workers of that address). Empty when stopped.
    std::vector<Endpoint> bound_endpoints() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace acmezone::dns
