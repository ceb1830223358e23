// dns/udp_workers: N threads per listen address, each with its own SO_REUSEPORT socket, a
// store::Snapshot renewed per batch, and fixed receive/send buffers. Each batch is received
// with recvmmsg, answered by the Responder, and sent with sendmmsg: no heap allocation and
// no lock per query. start() binds every socket before returning (errors name the address);
// stop() wakes and joins the threads.
#pragma once

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "core/result.hpp"
#include "dns/endpoint.hpp"
#include "dns/responder.hpp"
#include "store/store.hpp"

namespace acmezone::dns {

struct UdpOptions {
    unsigned workers = 0;      // threads per address; 0 = one per core
    unsigned batch_size = 64;  // messages per recvmmsg/sendmmsg
};

class UdpWorkers {
public:
    UdpWorkers(const store::Store& store, std::shared_ptr<const Responder> responder, UdpOptions options);
    ~UdpWorkers();
    core::Status start(const std::vector<Endpoint>& endpoints);
    void stop();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace acmezone::dns
