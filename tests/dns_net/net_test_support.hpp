// Helpers for the network front-end tests: a temporary store with a small zone and a real
// responder, free loopback ports, raw client sockets with deadlines (poll, never sleep),
// and just enough response parsing to check what came back.
#pragma once

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <algorithm>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/temp_dir.hpp"
#include "core/name.hpp"
#include "core/zone.hpp"
#include "dns/endpoint.hpp"
#include "dns/responder.hpp"
#include "store/store.hpp"

namespace acmezone::dns::nettest {

using acmezone::test::TempDir;

using Bytes = std::vector<std::uint8_t>;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

inline core::Name n(std::string_view text) { return core::Name::from_text(text).value(); }


inline std::shared_ptr<const core::Zone> make_zone() {
    core::ZoneSpec spec;
    spec.apex = n("acme.test");
    spec.nameservers = {n("ns1.acme.test")};
    spec.hostmaster = n("hostmaster.example.test");
    spec.records.push_back({n("www.acme.test"), core::rrtype::A, core::rrclass::IN, 300, std::string("\x7f\0\0\1", 4)});
    auto zone = core::Zone::build(std::move(spec));
    if (!zone) throw std::runtime_error(zone.error().message);
    return std::make_shared<const core::Zone>(std::move(zone).value());
}

// A store in a temporary folder, the zone, and a responder over them.
struct Served {
    Served() {
        store::StoreOptions options;
        options.path = dir.path() / "data";
        options.map_size = std::size_t{64} << 20;
        auto opened = store::Store::open(options);
        if (!opened) throw std::runtime_error(opened.error().message);
        store = std::move(opened).value();
        zone = make_zone();
        responder = std::make_shared<const Responder>(zone);
    }
    TempDir dir;
    std::unique_ptr<store::Store> store;
    std::shared_ptr<const core::Zone> zone;
    std::shared_ptr<const Responder> responder;
};

// 127.0.0.1:port. Built by hand because configuration (parse_endpoint) rightly refuses
// port 0, which the tests use to let the kernel pick.
inline Endpoint loopback(std::uint16_t port) {
    Endpoint e;
    auto& a = reinterpret_cast<sockaddr_in&>(e.addr);
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    e.len = sizeof(sockaddr_in);
    e.text = "127.0.0.1:" + std::to_string(port);
    return e;
}

// [::1]:port, or nullopt when this host has no IPv6 loopback.
inline std::optional<Endpoint> loopback6(std::uint16_t port) {
    const int fd = ::socket(AF_INET6, SOCK_DGRAM, 0);
    if (fd < 0) return std::nullopt;
    sockaddr_in6 a{};
    a.sin6_family = AF_INET6;
    a.sin6_addr = in6addr_loopback;
    const bool usable = ::bind(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) == 0;
    ::close(fd);
    if (!usable) return std::nullopt;
    Endpoint e;
    a.sin6_port = htons(port);
    std::memcpy(&e.addr, &a, sizeof a);
    e.len = sizeof a;
    e.text = "[::1]:" + std::to_string(port);
    return e;
}

// A port nobody uses right now: bound without SO_REUSEADDR/SO_REUSEPORT, the kernel only
// hands out a port with no socket on it. Closed again before the caller binds it.
inline std::uint16_t free_port(int type) {
    const int fd = ::socket(AF_INET, type, 0);
    if (fd < 0) throw std::runtime_error("socket failed");
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
        ::close(fd);
        throw std::runtime_error("bind failed");
    }
    ::close(fd);
    return ntohs(a.sin_port);
}

inline std::uint16_t port_of(const Endpoint& e) {
    return ntohs(reinterpret_cast<const sockaddr_in&>(e.addr).sin_port);
}

// An owned client socket.
class Socket {
public:
    explicit Socket(int fd = -1) : fd_(fd) {}
    Socket(Socket&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
    Socket& operator=(Socket&& o) noexcept {
        std::swap(fd_, o.fd_);
        return *this;
    }
    ~Socket() {
        if (fd_ >= 0) ::close(fd_);
    }
    int fd() const { return fd_; }

private:
    int fd_;
};

inline sockaddr_in loopback_addr(std::uint16_t port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

// A UDP client "connected" to the server, so recv() only sees its answers.
inline Socket udp_client(std::uint16_t port) {
    Socket s(::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0));
    const sockaddr_in a = loopback_addr(port);
    if (s.fd() < 0 || ::connect(s.fd(), reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0)
        throw std::runtime_error("udp connect failed");
    return s;
}

inline Socket tcp_client(std::uint16_t port) {
    Socket s(::socket(AF_INET, SOCK_STREAM, 0));
    const sockaddr_in a = loopback_addr(port);
    if (s.fd() < 0 || ::connect(s.fd(), reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0)
        throw std::runtime_error(std::string("tcp connect failed: ") + std::strerror(errno));
    const int one = 1;
    ::setsockopt(s.fd(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    ::fcntl(s.fd(), F_SETFL, ::fcntl(s.fd(), F_GETFL) | O_NONBLOCK);
    return s;
}

inline int ms_left(Clock::time_point deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    return left < 0 ? 0 : static_cast<int>(left) + 1;
}

// Waits for `events` on fd until the deadline; false on time-out.
inline bool wait_for(int fd, short events, Clock::time_point deadline) {
    for (;;) {
        pollfd p{fd, events, 0};
        const int rc = ::poll(&p, 1, ms_left(deadline));
        if (rc > 0) return true;
        if (rc == 0 && Clock::now() >= deadline) return false;
        if (rc < 0 && errno != EINTR) return false;
    }
}

// A query for name/type with the given ID (RD set, no EDNS), written into `out`.
inline std::size_t write_query(std::uint8_t* out, std::uint16_t id, std::string_view name, std::uint16_t type) {
    const std::string wire(n(name).wire());
    std::size_t i = 0;
    const auto put16 = [&](std::uint16_t v) {
        out[i++] = static_cast<std::uint8_t>(v >> 8);
        out[i++] = static_cast<std::uint8_t>(v);
    };
    put16(id);
    put16(0x0100);
    put16(1);
    put16(0);
    put16(0);
    put16(0);
    for (char c : wire) out[i++] = static_cast<std::uint8_t>(c);
    put16(type);
    put16(1);
    return i;
}

inline Bytes make_query(std::uint16_t id, std::string_view name = "acme.test", std::uint16_t type = core::rrtype::SOA) {
    Bytes b(512);
    b.resize(write_query(b.data(), id, name, type));
    return b;
}

// Prefixes a message with its 2-octet length (RFC 7766 §8).
inline Bytes framed(const Bytes& message) {
    Bytes b(message.size() + 2);
    b[0] = static_cast<std::uint8_t>(message.size() >> 8);
    b[1] = static_cast<std::uint8_t>(message.size());
    std::copy(message.begin(), message.end(), b.begin() + 2);
    return b;
}

struct Summary {
    std::uint16_t id = 0;
    bool qr = false;
    bool aa = false;
    bool tc = false;
    unsigned rcode = 0;
    unsigned ancount = 0;
    std::uint16_t first_answer_type = 0;  // 0: none
};

// Reads the header and the type of the first answer RR; nullopt when it does not parse.
inline std::optional<Summary> summarize(const std::uint8_t* m, std::size_t size) {
    if (size < 12) return std::nullopt;
    const auto u16 = [m](std::size_t at) { return static_cast<std::uint16_t>((m[at] << 8) | m[at + 1]); };
    Summary s;
    s.id = u16(0);
    const std::uint16_t flags = u16(2);
    s.qr = (flags & 0x8000) != 0;
    s.aa = (flags & 0x0400) != 0;
    s.tc = (flags & 0x0200) != 0;
    s.rcode = flags & 0x0f;
    s.ancount = u16(6);
    std::size_t at = 12;
    const auto skip_name = [&]() -> bool {
        while (at < size) {
            const std::uint8_t len = m[at];
            if (len == 0) return ++at, true;
            if ((len & 0xc0) == 0xc0) return at += 2, at <= size;
            at += 1 + len;
        }
        return false;
    };
    for (unsigned q = 0; q < u16(4); ++q) {
        if (!skip_name() || (at += 4) > size) return std::nullopt;
    }
    if (s.ancount > 0) {
        if (!skip_name() || at + 2 > size) return std::nullopt;
        s.first_answer_type = u16(at);
    }
    return s;
}

inline std::optional<Summary> summarize(const Bytes& m) { return summarize(m.data(), m.size()); }

// Reads one length-framed message from a TCP socket before the deadline.
inline std::optional<Bytes> read_framed(int fd, Clock::time_point deadline) {
    Bytes buffer;
    std::size_t want = 2;
    while (buffer.size() < want) {
        if (!wait_for(fd, POLLIN, deadline)) return std::nullopt;
        std::uint8_t chunk[4096];
        const ssize_t got = ::recv(fd, chunk, std::min(sizeof chunk, want - buffer.size()), 0);
        if (got == 0) return std::nullopt;
        if (got < 0) {
            if (errno == EAGAIN || errno == EINTR) continue;
            return std::nullopt;
        }
        buffer.insert(buffer.end(), chunk, chunk + got);
        if (buffer.size() == 2 && want == 2) want = 2 + ((std::size_t{buffer[0]} << 8) | buffer[1]);
    }
    return Bytes(buffer.begin() + 2, buffer.end());
}

// True when the peer closed the connection (EOF or reset) before the deadline; any data
// that arrives first is discarded.
inline bool closed_by_peer(int fd, Clock::time_point deadline) {
    for (;;) {
        if (!wait_for(fd, POLLIN, deadline)) return false;
        std::uint8_t chunk[4096];
        const ssize_t got = ::recv(fd, chunk, sizeof chunk, 0);
        if (got == 0) return true;
        if (got < 0 && errno != EAGAIN && errno != EINTR) return true;
    }
}

inline bool send_all(int fd, const std::uint8_t* data, std::size_t size, Clock::time_point deadline) {
    std::size_t done = 0;
    while (done < size) {
        const ssize_t rc = ::send(fd, data + done, size - done, MSG_NOSIGNAL);
        if (rc > 0) {
            done += static_cast<std::size_t>(rc);
            continue;
        }
        if (rc < 0 && (errno == EAGAIN || errno == EINTR)) {
            if (!wait_for(fd, POLLOUT, deadline)) return false;
            continue;
        }
        return false;
    }
    return true;
}

inline bool send_all(int fd, const Bytes& b, Clock::time_point deadline) { return send_all(fd, b.data(), b.size(), deadline); }

// Polls `condition` until it holds or the deadline passes.
template <typename F>
bool eventually(F condition, std::chrono::milliseconds within = 5000ms) {
    const auto deadline = Clock::now() + within;
    while (!condition()) {
        if (Clock::now() >= deadline) return false;
        ::poll(nullptr, 0, 5);  // a short yield between checks, bounded by the deadline
    }
    return true;
}

}  // namespace acmezone::dns::nettest
