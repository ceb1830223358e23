#include "api/connection_gate.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <optional>
#include <string>

#include "api/gate_connection.hpp"
#include "api/gate_stream.hpp"
#include "api/log.hpp"
#include "api/request_server.hpp"

namespace acmezone::api {

namespace {

using Clock = GateConnection::Clock;

// Header bytes read beyond api.max_header_bytes before the gate answers 431 itself: room for
// what cpp-httplib rejects with a more precise status (414 for a target over 8 KiB, 400 for a
// header line over 8 KiB) and for the request line. No request that large could succeed.
constexpr std::size_t kHeaderSlack = 16384;
// Chunk-size lines and CRLFs a chunked body may add to api.max_body_bytes.
constexpr std::size_t kChunkSlack = 16384;
// How long a connection refused with 431/413 is drained before it is closed: closing with
// unread input would reset it and could destroy the answer before the client reads it.
constexpr auto kLinger = std::chrono::milliseconds(2000);
// At most one warning per interval about refused or evicted connections (they come in floods).
constexpr std::int64_t kWarnIntervalSeconds = 10;

constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

const char* reason_phrase(int status) {
    switch (status) {
        case 413: return "Payload Too Large";
        case 431: return "Request Header Fields Too Large";
        case 503: return "Service Unavailable";
        default: return "Error";
    }
}

// A complete response the gate sends on its own, always closing the connection.
std::string canned_reply(ApiError error) {
    const ErrorInfo info = error_info(error);
    const std::string body = error_body(error);
    return "HTTP/1.1 " + std::to_string(info.status) + " " + reason_phrase(info.status) + "\r\nContent-Type: " +
           std::string(kJsonType) + "\r\nContent-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
}

bool warning_due(std::atomic<std::int64_t>& last) {
    const std::int64_t now = std::chrono::duration_cast<std::chrono::seconds>(Clock::now().time_since_epoch()).count();
    std::int64_t previous = last.load(std::memory_order_relaxed);
    return now - previous >= kWarnIntervalSeconds && last.compare_exchange_strong(previous, now);
}

// Closes an accepted socket unless handed on.
class AcceptedFd {
public:
    explicit AcceptedFd(int fd) : fd_(fd) {}
    ~AcceptedFd() {
        if (fd_ >= 0) ::close(fd_);
    }
    AcceptedFd(const AcceptedFd&) = delete;
    AcceptedFd& operator=(const AcceptedFd&) = delete;
    int get() const { return fd_; }
    int release() { return std::exchange(fd_, -1); }

private:
    int fd_;
};

}  // namespace

GateOptions GateOptions::from(const ApiOptions& options) {
    GateOptions out;
    out.read_timeout = std::chrono::milliseconds(options.read_timeout_ms);
    out.keepalive_timeout = std::chrono::milliseconds(options.keepalive_timeout_ms);
    out.write_timeout = std::chrono::milliseconds(options.write_timeout_ms);
    out.keepalive_requests = std::max<std::uint32_t>(options.keepalive_requests, 1);
    out.max_connections_per_ip = options.max_connections_per_ip;
    out.uncapped = options.trusted_proxies;
    out.framing.max_header_section = std::size_t{options.max_header_bytes} + kHeaderSlack;
    out.framing.max_body = options.max_body_bytes;
    return out;
}

ConnectionGate::ConnectionGate(ConnectionPool& pool, GateOptions options)
    : pool_(pool),
      options_(options),
      per_ip_(options.max_connections_per_ip),
      parking_([this](std::unique_ptr<Parkable> parked) {
          // The gate parks nothing but its own connections.
          schedule(std::unique_ptr<GateConnection>(static_cast<GateConnection*>(parked.release())));
      }) {}

ConnectionGate::~ConnectionGate() { stop(); }

core::Status ConnectionGate::start() { return parking_.start(); }

void ConnectionGate::stop() {
    stopping_ = true;
    parking_.stop();
}

std::size_t ConnectionGate::read_cap() const { return options_.framing.max_header_section + options_.framing.max_body + kChunkSlack; }

void ConnectionGate::admit(int fd, RequestServer& server) {
    AcceptedFd sock(fd);
    const auto now = Clock::now();
    sockaddr_storage peer{};
    sockaddr_storage here{};
    socklen_t peer_len = sizeof peer;
    socklen_t here_len = sizeof here;
    if (stopping_ || ::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &peer_len) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&here), &here_len) != 0)
        return;
    auto remote = endpoint_of(peer);
    auto local = endpoint_of(here);
    const auto key = IpKey::from_sockaddr(peer);
    if (!remote || !local || !key) return;

    std::optional<IpConnectionCounter::Slot> ip_slot{IpConnectionCounter::Slot{}};
    if (!uncapped(remote->ip)) ip_slot = per_ip_.try_acquire(*key);
    if (!ip_slot) {
        const auto refused = refused_per_ip_.fetch_add(1, std::memory_order_relaxed) + 1;
        // Plain HTTP gets a reason; a TLS client could not read one before its handshake.
        if (!server.tls_context()) {
            static const std::string reply = canned_reply(ApiError::unavailable);
            [[maybe_unused]] const ssize_t n = ::send(fd, reply.data(), reply.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
        }
        if (warning_due(last_refusal_log_))
            logger()->warn("event=connection_refused reason=max_connections_per_ip client={} limit={} refused_total={}", remote->ip,
                           options_.max_connections_per_ip, refused);
        return;
    }
    auto slot = pool_.acquire_slot([this] { return make_room(); });
    if (!slot) return;  // stopping

    const int flags = ::fcntl(fd, F_GETFL);
    if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) return;
    const int on = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    SSL* ssl = nullptr;
    if (SSL_CTX* ctx = server.tls_context()) {
        ssl = SSL_new(ctx);
        if (!ssl) {
            logger()->error("event=connection_failed error=\"SSL_new failed\"");
            return;
        }
        // An idle session gives its read and write buffers (~34 KiB) back between records.
        SSL_set_mode(ssl, SSL_MODE_RELEASE_BUFFERS);
    }
    auto connection = std::make_unique<GateConnection>(sock.release(), ssl, std::move(*remote), std::move(*local), server,
                                                       std::move(*ip_slot), std::move(*slot));
    connection->deadline = now + options_.read_timeout;  // the first request, TLS handshake included
    accepted_.fetch_add(1, std::memory_order_relaxed);
    park(std::move(connection), ParkFor::read);
}

bool ConnectionGate::uncapped(const std::string& ip) const {
    if (options_.uncapped.empty()) return false;
    const auto address = core::parse_ip(ip);
    return address && std::any_of(options_.uncapped.begin(), options_.uncapped.end(),
                                  [&](const core::Cidr& range) { return range.contains(*address); });
}

bool ConnectionGate::make_room() {
    if (!parking_.evict_oldest()) return false;
    if (warning_due(last_eviction_log_)) {
        const auto stats = parking_.stats();
        logger()->warn("event=connection_evicted reason=max_connections limit={} evicted_total={}", pool_.max_connections(),
                       stats.evicted);
    }
    return true;
}

void ConnectionGate::schedule(std::unique_ptr<GateConnection> connection) {
    // std::function needs a copyable callable; if the step never runs, the holder closes it.
    auto holder = std::make_shared<std::unique_ptr<GateConnection>>(std::move(connection));
    pool_.submit([this, holder] { step(std::move(*holder)); });
}

void ConnectionGate::park(std::unique_ptr<GateConnection> connection, ParkFor wait) {
    if (connection->tls_pending()) {  // bytes inside the TLS session are as good as readable
        schedule(std::move(connection));
        return;
    }
    const auto deadline = connection->deadline;
    parking_.park(std::move(connection), wait, deadline);  // closed there when stopping
}

void ConnectionGate::step(std::unique_ptr<GateConnection> connection) {
    if (connection->draining) {
        drain(std::move(connection));
        return;
    }
    const GateConnection::Fill fill = connection->fill(read_cap());
    if (fill == GateConnection::Fill::error) return;
    const auto now = Clock::now();
    if (!connection->buffered().empty() && !connection->request_started) {
        connection->request_started = now;
        // On a kept-alive connection the request's own clock starts with its first byte.
        if (connection->requests > 0) connection->deadline = now + options_.read_timeout;
    }
    const FramingResult framing = check_request(connection->buffered(), options_.framing);
    switch (framing.state) {
        case Framing::complete: answer(std::move(connection), fill == GateConnection::Fill::eof); return;
        case Framing::headers_too_large: refuse(std::move(connection), ApiError::headers_too_large); return;
        case Framing::body_too_large: refuse(std::move(connection), ApiError::payload_too_large); return;
        case Framing::malformed: refuse(std::move(connection), ApiError::bad_request); return;
        case Framing::incomplete: break;
    }
    // The client left mid-request, or we are stopping: close.
    if (fill == GateConnection::Fill::eof || stopping_) return;
    // A full buffer without a whole request: only chunk framing can add that much to a body.
    if (fill == GateConnection::Fill::full) {
        refuse(std::move(connection), ApiError::payload_too_large);
        return;
    }
    if (framing.expects_continue && !connection->continue_sent) {
        // RFC 9110 §10.1.1: ask for the body now rather than after the client's own wait.
        // cpp-httplib sends its own "100 Continue" when it reads the request; RFC 9110 §15.2
        // has clients accept more than one 1xx response.
        connection->continue_sent = true;
        if (!connection->write_all(kContinue, now + options_.write_timeout)) return;
    }
    park(std::move(connection), fill == GateConnection::Fill::want_write ? ParkFor::write : ParkFor::read);
}

void ConnectionGate::answer(std::unique_ptr<GateConnection> connection, bool last) {
    last = last || stopping_ || connection->requests + 1 >= options_.keepalive_requests;
    bool client_closes = false;
    bool ok = false;
    {
        GateStream stream(*connection, connection->deadline, options_.write_timeout);
        ok = connection->server().serve_request(stream, last, client_closes, connection->ssl());
    }
    requests_.fetch_add(1, std::memory_order_relaxed);
    ++connection->requests;
    if (!ok || last || client_closes) return;  // the response is written (or failed): close

    const auto now = Clock::now();
    connection->compact();
    connection->continue_sent = false;
    connection->request_started.reset();
    connection->set_waiting_since(now);
    if (!connection->buffered().empty() || connection->tls_pending()) {
        // Pipelined (RFC 9112 §9.3.2): the next request has begun; its own step keeps the
        // other connections' turns fair.
        connection->request_started = now;
        connection->deadline = now + options_.read_timeout;
        schedule(std::move(connection));
        return;
    }
    connection->deadline = now + options_.keepalive_timeout;
    park(std::move(connection), ParkFor::read);
}

void ConnectionGate::refuse(std::unique_ptr<GateConnection> connection, ApiError error) {
    too_large_.fetch_add(1, std::memory_order_relaxed);
    const auto now = Clock::now();
    if (!connection->write_all(canned_reply(error), now + options_.write_timeout)) return;
    connection->shutdown_write();
    connection->draining = true;
    connection->deadline = now + std::min<std::chrono::milliseconds>(options_.read_timeout, kLinger);
    drain(std::move(connection));
}

void ConnectionGate::drain(std::unique_ptr<GateConnection> connection) {
    if (connection->discard_input() != GateConnection::Fill::want_read || stopping_) return;  // EOF: close
    const auto deadline = connection->deadline;
    parking_.park(std::move(connection), ParkFor::read, deadline);
}

GateStats ConnectionGate::stats() const {
    GateStats out;
    out.accepted = accepted_.load(std::memory_order_relaxed);
    out.refused_per_ip = refused_per_ip_.load(std::memory_order_relaxed);
    out.requests = requests_.load(std::memory_order_relaxed);
    out.too_large = too_large_.load(std::memory_order_relaxed);
    const ParkingStats parking = parking_.stats();
    out.timed_out = parking.timed_out;
    out.evicted = parking.evicted;
    out.parked = parking.parked;
    out.held = pool_.in_use();
    return out;
}

}  // namespace acmezone::api
