// dns/udp_workers: see the header. Design notes:
// - Stopping: every socket is non-blocking; a worker first tries recvmmsg without waiting
//   and only when the socket is empty waits in poll() on its socket and one shared eventfd.
//   stop() writes the eventfd (never read, so it stays readable for every worker) and joins.
//   Under load this costs no extra syscall; idle workers sleep in poll. (shutdown(SHUT_RD)
//   on an unconnected UDP socket also wakes a blocked recv on Linux, but only as a side
//   effect of a call that fails with ENOTCONN; the eventfd is explicit.)
// - Replies to a query that came in on a wildcard address leave from the address it was
//   sent to (IP_PKTINFO / IPV6_RECVPKTINFO), or multi-homed hosts answer from the wrong one.
// - All buffers are allocated in start(); the loop itself allocates nothing.
#include "dns/udp_workers.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <string>
#include <system_error>
#include <utility>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dns/tsig.hpp"
#include "dns/update_service.hpp"
#include "store/snapshot.hpp"

namespace acmezone::dns {

namespace {

constexpr std::size_t kRecvSlot = 4096;  // a larger query arrives with MSG_TRUNC and is dropped
constexpr std::size_t kSendSlot = 4096;  // responses are at most kMaxUdpPayload; room to spare
constexpr unsigned kMaxBatch = 1024;     // UIO_MAXIOV: the kernel's cap for recvmmsg/sendmmsg
constexpr int kSendWaitMs = 100;         // a full send buffer for this long: drop the rest of the batch
constexpr std::size_t kControlSlot = std::max(CMSG_SPACE(sizeof(in_pktinfo)), CMSG_SPACE(sizeof(in6_pktinfo)));

static_assert(kSendSlot >= kMaxUdpPayload);

std::string errno_text(int err) { return std::system_category().message(err); }

// An owned file descriptor.
class Fd {
public:
    Fd() = default;
    explicit Fd(int fd) noexcept : fd_(fd) {}
    Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
    Fd& operator=(Fd&& other) noexcept {
        if (this != &other) {
            reset();
            fd_ = std::exchange(other.fd_, -1);
        }
        return *this;
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    ~Fd() { reset(); }
    int get() const noexcept { return fd_; }
    void reset() noexcept {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
    }

private:
    int fd_ = -1;
};

bool is_wildcard(const sockaddr_storage& addr) {
    if (addr.ss_family == AF_INET) {
        return reinterpret_cast<const sockaddr_in&>(addr).sin_addr.s_addr == htonl(INADDR_ANY);
    }
    const auto& a6 = reinterpret_cast<const sockaddr_in6&>(addr).sin6_addr;
    return IN6_IS_ADDR_UNSPECIFIED(&a6);
}

std::uint16_t port_of(const sockaddr_storage& addr) {
    return ntohs(addr.ss_family == AF_INET ? reinterpret_cast<const sockaddr_in&>(addr).sin_port
                                           : reinterpret_cast<const sockaddr_in6&>(addr).sin6_port);
}

// "addr:port" / "[addr]:port" for an endpoint whose port the kernel chose.
std::string format_endpoint(const sockaddr_storage& addr) {
    char host[INET6_ADDRSTRLEN] = {};
    if (addr.ss_family == AF_INET) {
        ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in&>(addr).sin_addr, host, sizeof host);
        return std::string(host) + ":" + std::to_string(port_of(addr));
    }
    ::inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6&>(addr).sin6_addr, host, sizeof host);
    return "[" + std::string(host) + "]:" + std::to_string(port_of(addr));
}

core::Error listen_error(const Endpoint& endpoint, const char* step, int err) {
    // A bad address is the operator's input; anything else is the system refusing.
    const bool bad_address = err == EADDRNOTAVAIL || err == EAFNOSUPPORT || err == EINVAL;
    return core::make_error(bad_address ? core::Errc::invalid_argument : core::Errc::internal,
                            "dns.listen " + endpoint.text + ": " + step + ": " + errno_text(err));
}

core::Result<Fd> open_socket(const Endpoint& endpoint, std::size_t buffer_bytes, bool pktinfo) {
    const int family = endpoint.addr.ss_family;
    if (family != AF_INET && family != AF_INET6) return listen_error(endpoint, "socket", EAFNOSUPPORT);
    Fd fd(::socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (fd.get() < 0) return listen_error(endpoint, "socket", errno);
    const int one = 1;
    if (::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0) {
        return listen_error(endpoint, "SO_REUSEADDR", errno);
    }
    if (::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
        return listen_error(endpoint, "SO_REUSEPORT", errno);
    }
    if (family == AF_INET6 && ::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) != 0) {
        return listen_error(endpoint, "IPV6_V6ONLY", errno);
    }
    if (pktinfo) {
        const int rc = family == AF_INET ? ::setsockopt(fd.get(), IPPROTO_IP, IP_PKTINFO, &one, sizeof one)
                                         : ::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof one);
        if (rc != 0) return listen_error(endpoint, "PKTINFO", errno);
    }
    if (buffer_bytes > 0) {
        // Absorbs bursts; the kernel caps it at net.core.[rw]mem_max, and failing is harmless.
        const int size = static_cast<int>(std::min<std::size_t>(buffer_bytes, 1u << 30));
        (void)::setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
        (void)::setsockopt(fd.get(), SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
    }
    if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&endpoint.addr), endpoint.len) != 0) {
        return listen_error(endpoint, "bind", errno);
    }
    return fd;
}

// Padded so that workers on different cores do not share a cache line.
struct alignas(64) Counters {
    std::atomic<std::uint64_t> received{0};
    std::atomic<std::uint64_t> sent{0};
    std::atomic<std::uint64_t> dropped{0};
    std::atomic<std::uint64_t> rate_limited{0};
    std::atomic<std::uint64_t> slipped{0};
};

struct alignas(alignof(cmsghdr)) ControlBuffer {
    unsigned char bytes[kControlSlot];
};

// One thread, one socket, and every buffer it needs for one batch.
struct Worker {
    Worker(Fd fd, bool pktinfo_enabled, unsigned batch_size, const store::Store& store)
        : socket(std::move(fd)),
          pktinfo(pktinfo_enabled),
          batch(batch_size),
          snapshot(store),
          recv_data(batch * kRecvSlot),
          send_data(batch * kSendSlot),
          peers(batch),
          recv_control(batch),
          send_control(batch),
          recv_iov(batch),
          send_iov(batch),
          recv_msgs(batch),
          send_msgs(batch) {
        for (unsigned i = 0; i < batch; ++i) {
            recv_iov[i] = iovec{recv_data.data() + i * kRecvSlot, kRecvSlot};
            recv_msgs[i].msg_hdr.msg_name = &peers[i];
            recv_msgs[i].msg_hdr.msg_iov = &recv_iov[i];
            recv_msgs[i].msg_hdr.msg_iovlen = 1;
            send_msgs[i].msg_hdr.msg_iov = &send_iov[i];
            send_msgs[i].msg_hdr.msg_iovlen = 1;
        }
    }

    Fd socket;
    bool pktinfo;
    unsigned batch;
    store::Snapshot snapshot;
    std::vector<std::uint8_t> recv_data;
    std::vector<std::uint8_t> send_data;
    std::vector<sockaddr_storage> peers;
    std::vector<ControlBuffer> recv_control;
    std::vector<ControlBuffer> send_control;
    std::vector<iovec> recv_iov;
    std::vector<iovec> send_iov;
    std::vector<mmsghdr> recv_msgs;
    std::vector<mmsghdr> send_msgs;
    Counters counters;
    QueryCounters queries;  // written by this worker's thread only
    std::thread thread;
};

}  // namespace

struct UdpWorkers::Impl {
    Impl(const store::Store& s, std::shared_ptr<const Responder> r, UdpOptions o)
        : store(s), responder(std::move(r)), options(o) {}

    void run(Worker& worker) noexcept;
    bool hand_off(Worker& worker, unsigned index) noexcept;
    bool wait_readable(int fd) noexcept;
    bool wait_writable(int fd) noexcept;
    void send_all(Worker& worker, unsigned count) noexcept;
    unsigned answer_batch(Worker& worker, unsigned received) noexcept;

    const store::Store& store;
    std::shared_ptr<const Responder> responder;
    UdpOptions options;
    std::shared_ptr<UpdateService> updates;  // UPDATE and TSIG: off the hot path
    std::unique_ptr<Rrl> rrl;  // response rate limiting, shared by every worker; null when off
    Fd wake;  // eventfd, readable once stop() ran
    std::atomic<bool> stopping{false};
    mutable std::mutex control;  // guards `workers`, `bound`, `retired` against stats() from other threads
    std::vector<std::unique_ptr<Worker>> workers;
    std::vector<Endpoint> bound;
    UdpStats retired;  // totals of workers from an earlier start()
};

// Waits until the socket has data; false when the workers are stopping.
bool UdpWorkers::Impl::wait_readable(int fd) noexcept {
    pollfd fds[2] = {{fd, POLLIN, 0}, {wake.get(), POLLIN, 0}};
    const int rc = ::poll(fds, 2, -1);
    if (rc < 0 && errno != EINTR) return !stopping.load(std::memory_order_relaxed);
    return (fds[1].revents & POLLIN) == 0 && !stopping.load(std::memory_order_relaxed);
}

// Waits (bounded) until the socket can send again; false on time-out or stop.
bool UdpWorkers::Impl::wait_writable(int fd) noexcept {
    pollfd fds[2] = {{fd, POLLOUT, 0}, {wake.get(), POLLIN, 0}};
    const int rc = ::poll(fds, 2, kSendWaitMs);
    if (rc < 0) return errno == EINTR && !stopping.load(std::memory_order_relaxed);
    return rc > 0 && (fds[0].revents & POLLOUT) != 0 && (fds[1].revents & POLLIN) == 0;
}

// Copies the query's destination address into the reply's control data, so the reply
// leaves from the address the client wrote to. Returns the control length (0: none).
static std::size_t reply_source(const msghdr& query, ControlBuffer& out) noexcept {
    for (cmsghdr* c = CMSG_FIRSTHDR(&query); c != nullptr; c = CMSG_NXTHDR(const_cast<msghdr*>(&query), c)) {
        if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
            in_pktinfo in{};
            std::memcpy(&in, CMSG_DATA(c), sizeof in);
            in_pktinfo reply{};
            reply.ipi_spec_dst = in.ipi_addr;  // routing picks the interface
            auto* o = reinterpret_cast<cmsghdr*>(out.bytes);
            o->cmsg_level = IPPROTO_IP;
            o->cmsg_type = IP_PKTINFO;
            o->cmsg_len = CMSG_LEN(sizeof reply);
            std::memcpy(CMSG_DATA(o), &reply, sizeof reply);
            return CMSG_SPACE(sizeof reply);
        }
        if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
            in6_pktinfo in{};
            std::memcpy(&in, CMSG_DATA(c), sizeof in);
            in6_pktinfo reply{};
            reply.ipi6_addr = in.ipi6_addr;
            // A link-local source only means something on the interface it came in on.
            if (IN6_IS_ADDR_LINKLOCAL(&in.ipi6_addr)) reply.ipi6_ifindex = in.ipi6_ifindex;
            auto* o = reinterpret_cast<cmsghdr*>(out.bytes);
            o->cmsg_level = IPPROTO_IPV6;
            o->cmsg_type = IPV6_PKTINFO;
            o->cmsg_len = CMSG_LEN(sizeof reply);
            std::memcpy(CMSG_DATA(o), &reply, sizeof reply);
            return CMSG_SPACE(sizeof reply);
        }
    }
    return 0;
}

// Answers the received messages of one batch inside one read transaction; returns how
// many responses were written to the send slots.
unsigned UdpWorkers::Impl::answer_batch(Worker& w, unsigned received) noexcept {
    if (!w.snapshot.begin()) {
        w.counters.dropped.fetch_add(received, std::memory_order_relaxed);
        return 0;
    }
    const Responder& r = *responder;
    const Rrl::Clock::time_point now = rrl ? Rrl::Clock::now() : Rrl::Clock::time_point{};
    unsigned out = 0;
    unsigned handed = 0;
    for (unsigned i = 0; i < received; ++i) {
        const msghdr& in = w.recv_msgs[i].msg_hdr;
        if ((in.msg_flags & MSG_TRUNC) != 0) continue;  // larger than any query we answer
        if (updates && hand_off(w, i)) {
            ++handed;
            continue;
        }
        std::uint8_t* slot = w.send_data.data() + std::size_t{out} * kSendSlot;
        std::size_t length =
            r.respond(std::span<const std::uint8_t>(w.recv_data.data() + std::size_t{i} * kRecvSlot, w.recv_msgs[i].msg_len),
                      std::span<std::uint8_t>(slot, kSendSlot), Transport::udp, w.snapshot);
        if (length == 0 || length > kSendSlot) continue;
        w.queries.count(std::span<const std::uint8_t>(slot, length));
        if (rrl) {  // after the answer is known, before it is sent: TCP is never limited
            const RrlAction action = rrl->check(client_address(w.peers[i]), {slot, length}, now);
            if (action == RrlAction::drop) {
                w.counters.rate_limited.fetch_add(1, std::memory_order_relaxed);
                continue;
            }
            if (action == RrlAction::slip) {
                length = write_slip({slot, kSendSlot}, length);
                w.counters.slipped.fetch_add(1, std::memory_order_relaxed);
            }
        }
        msghdr& reply = w.send_msgs[out].msg_hdr;
        reply.msg_name = &w.peers[i];
        reply.msg_namelen = in.msg_namelen;
        w.send_iov[out] = iovec{slot, length};
        reply.msg_control = nullptr;
        reply.msg_controllen = 0;
        if (w.pktinfo) {
            const std::size_t control_length = reply_source(in, w.send_control[out]);
            if (control_length > 0) {
                reply.msg_control = w.send_control[out].bytes;
                reply.msg_controllen = control_length;
            }
        }
        reply.msg_flags = 0;
        ++out;
    }
    w.snapshot.end();
    w.counters.dropped.fetch_add(received - out - handed, std::memory_order_relaxed);
    return out;
}

// UPDATEs and signed messages go to the update service, which answers later from its own
// thread (or the writer's) with sendmsg on this socket. Only these messages allocate. True
// when the message was taken (answered or to be answered there).
bool UdpWorkers::Impl::hand_off(Worker& w, unsigned i) noexcept {
    const std::span<const std::uint8_t> msg(w.recv_data.data() + std::size_t{i} * kRecvSlot, w.recv_msgs[i].msg_len);
    if (!needs_signed_path(msg)) return false;
    const msghdr& in = w.recv_msgs[i].msg_hdr;
    struct Route {
        int fd;
        sockaddr_storage peer;
        socklen_t peer_len;
        ControlBuffer control;
        std::size_t control_len;
        Counters* counters;
    };
    try {
        auto route = std::make_shared<Route>();
        route->fd = w.socket.get();
        route->peer = w.peers[i];
        route->peer_len = in.msg_namelen;
        route->control_len = w.pktinfo ? reply_source(in, route->control) : 0;
        route->counters = &w.counters;
        char host[INET6_ADDRSTRLEN] = {};
        if (w.peers[i].ss_family == AF_INET)
            ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in&>(w.peers[i]).sin_addr, host, sizeof host);
        else
            ::inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6&>(w.peers[i]).sin6_addr, host, sizeof host);
        auto send = [route](std::span<const std::uint8_t> reply) {
            if (reply.empty()) {
                route->counters->dropped.fetch_add(1, std::memory_order_relaxed);
                return;
            }
            iovec iov{const_cast<std::uint8_t*>(reply.data()), reply.size()};
            msghdr m{};
            m.msg_name = &route->peer;
            m.msg_namelen = route->peer_len;
            m.msg_iov = &iov;
            m.msg_iovlen = 1;
            if (route->control_len > 0) {
                m.msg_control = route->control.bytes;
                m.msg_controllen = route->control_len;
            }
            const bool ok = ::sendmsg(route->fd, &m, MSG_DONTWAIT) >= 0;  // sendmsg is thread-safe on a UDP socket
            (ok ? route->counters->sent : route->counters->dropped).fetch_add(1, std::memory_order_relaxed);
        };
        if (updates->post(msg, Transport::udp, host, send)) return true;
        // Queue full: SERVFAIL at once, so the client retries rather than waits.
        std::uint8_t reply[kHeaderSize];
        send({reply, UpdateService::write_servfail(msg, reply)});
        return true;
    } catch (...) {
        return true;  // out of memory: drop it
    }
}

// Sends the batch's responses; a partial send continues where the kernel stopped, and a
// message the kernel refuses (e.g. a firewall's EPERM) is dropped alone.
void UdpWorkers::Impl::send_all(Worker& w, unsigned count) noexcept {
    unsigned done = 0;
    while (done < count) {
        const int rc = ::sendmmsg(w.socket.get(), w.send_msgs.data() + done, count - done, 0);
        if (rc > 0) {
            done += static_cast<unsigned>(rc);
            w.counters.sent.fetch_add(static_cast<unsigned>(rc), std::memory_order_relaxed);
            continue;
        }
        if (rc < 0 && errno == EINTR) continue;
        if (rc < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (wait_writable(w.socket.get())) continue;
            w.counters.dropped.fetch_add(count - done, std::memory_order_relaxed);
            return;
        }
        w.counters.dropped.fetch_add(1, std::memory_order_relaxed);
        ++done;
    }
}

void UdpWorkers::Impl::run(Worker& w) noexcept {
    const int fd = w.socket.get();
    while (!stopping.load(std::memory_order_relaxed)) {
        for (unsigned i = 0; i < w.batch; ++i) {  // the kernel writes these back
            msghdr& h = w.recv_msgs[i].msg_hdr;
            h.msg_namelen = sizeof(sockaddr_storage);
            h.msg_control = w.pktinfo ? w.recv_control[i].bytes : nullptr;
            h.msg_controllen = w.pktinfo ? kControlSlot : 0;
            h.msg_flags = 0;
        }
        const int rc = ::recvmmsg(fd, w.recv_msgs.data(), w.batch, 0, nullptr);
        if (rc < 0) {
            const int err = errno;
            if (err == EBADF || err == ENOTSOCK || err == EFAULT || err == EINVAL) return;  // broken invariant
            if (err == EINTR) continue;
            // EAGAIN: nothing queued. Other errors (ENOMEM, a queued ICMP error) are
            // transient: wait for traffic rather than spin.
            if (!wait_readable(fd)) return;
            continue;
        }
        if (rc == 0) continue;
        const auto received = static_cast<unsigned>(rc);
        w.counters.received.fetch_add(received, std::memory_order_relaxed);
        const unsigned responses = answer_batch(w, received);
        if (responses > 0) send_all(w, responses);
    }
}

UdpWorkers::UdpWorkers(const store::Store& store, std::shared_ptr<const Responder> responder, UdpOptions options)
    : impl_(std::make_unique<Impl>(store, std::move(responder), options)) {}

UdpWorkers::~UdpWorkers() { stop(); }

void UdpWorkers::set_update_service(std::shared_ptr<UpdateService> service) { impl_->updates = std::move(service); }

core::Status UdpWorkers::start(const std::vector<Endpoint>& endpoints) {
    Impl& im = *impl_;
    if (!im.workers.empty()) return core::make_error(core::Errc::internal, "dns.listen: UDP workers already started");
    if (!im.responder) return core::make_error(core::Errc::internal, "dns.listen: no responder");
    unsigned per_address = im.options.workers != 0 ? im.options.workers : std::thread::hardware_concurrency();
    per_address = std::max(per_address, 1u);
    const unsigned batch = std::clamp(im.options.batch_size, 1u, kMaxBatch);

    if (im.options.rrl.enabled && !im.rrl) {
        try {
            im.rrl = std::make_unique<Rrl>(im.options.rrl);  // the whole table, once
        } catch (const std::bad_alloc&) {
            return core::make_error(core::Errc::internal, "dns.rrl: out of memory for the rate-limit table");
        }
    }

    Fd wake(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    if (wake.get() < 0) return core::make_error(core::Errc::internal, "dns.listen: eventfd: " + errno_text(errno));

    // Bind everything first: on any failure nothing runs and every socket is closed.
    std::vector<std::unique_ptr<Worker>> workers;
    std::vector<Endpoint> bound;
    for (const Endpoint& configured : endpoints) {
        Endpoint endpoint = configured;
        const bool pktinfo = is_wildcard(endpoint.addr);
        for (unsigned i = 0; i < per_address; ++i) {
            auto fd = open_socket(endpoint, im.options.socket_buffer_bytes, pktinfo);
            if (!fd) return std::move(fd).error();
            if (i == 0 && port_of(endpoint.addr) == 0) {
                // Port 0: the kernel picks one for the first socket; the others join it.
                sockaddr_storage actual{};
                socklen_t len = sizeof actual;
                if (::getsockname(fd->get(), reinterpret_cast<sockaddr*>(&actual), &len) != 0) {
                    return listen_error(endpoint, "getsockname", errno);
                }
                endpoint.addr = actual;
                endpoint.len = len;
                endpoint.text = format_endpoint(actual);
            }
            try {
                workers.push_back(std::make_unique<Worker>(std::move(*fd), pktinfo, batch, im.store));
            } catch (const std::bad_alloc&) {
                return core::make_error(core::Errc::internal, "dns.listen " + endpoint.text + ": out of memory");
            }
        }
        bound.push_back(std::move(endpoint));
    }

    im.wake = std::move(wake);
    im.stopping.store(false);
    {
        std::lock_guard lock(im.control);
        im.workers = std::move(workers);
        im.bound = std::move(bound);
    }
    for (auto& worker : im.workers) {
        try {
            worker->thread = std::thread([&im, w = worker.get()] { im.run(*w); });
        } catch (const std::system_error& e) {
            stop();
            return core::make_error(core::Errc::internal, std::string("dns.listen: starting a UDP worker: ") + e.what());
        }
    }
    return core::Ok{};
}

void UdpWorkers::stop() {
    Impl& im = *impl_;
    if (im.workers.empty()) return;
    im.stopping.store(true);
    const std::uint64_t one = 1;
    // Cannot fail on a fresh eventfd (the counter is far from overflow).
    [[maybe_unused]] const ssize_t written = ::write(im.wake.get(), &one, sizeof one);
    for (auto& worker : im.workers) {
        if (worker->thread.joinable()) worker->thread.join();
    }
    const UdpStats last = stats();
    {
        std::lock_guard lock(im.control);
        im.retired = last;
        im.workers.clear();
        im.bound.clear();
    }
    im.wake.reset();
}

UdpStats UdpWorkers::stats() const noexcept {
    std::lock_guard lock(impl_->control);
    UdpStats total = impl_->retired;
    for (const auto& worker : impl_->workers) {
        total.received += worker->counters.received.load(std::memory_order_relaxed);
        total.sent += worker->counters.sent.load(std::memory_order_relaxed);
        total.dropped += worker->counters.dropped.load(std::memory_order_relaxed);
        total.rate_limited += worker->counters.rate_limited.load(std::memory_order_relaxed);
        total.slipped += worker->counters.slipped.load(std::memory_order_relaxed);
        worker->queries.add_to(total.answers);
    }
    return total;
}

std::vector<Endpoint> UdpWorkers::bound_endpoints() const {
    std::lock_guard lock(impl_->control);
    return impl_->bound;
}

}  // namespace acmezone::dns
