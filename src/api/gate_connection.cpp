#include "api/gate_connection.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include <openssl/err.h>

namespace acmezone::api {

namespace {

constexpr std::size_t kReadChunk = 16384;

int poll_ms(GateConnection::Clock::time_point deadline) {
    const auto now = GateConnection::Clock::now();
    if (deadline <= now) return 0;
    return static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(deadline - now).count());
}

}  // namespace

std::optional<Endpoint> endpoint_of(const sockaddr_storage& addr) {
    char text[INET6_ADDRSTRLEN] = {};
    Endpoint out;
    if (addr.ss_family == AF_INET) {
        const auto& sin = reinterpret_cast<const sockaddr_in&>(addr);
        if (!::inet_ntop(AF_INET, &sin.sin_addr, text, sizeof text)) return std::nullopt;
        out.port = ntohs(sin.sin_port);
    } else if (addr.ss_family == AF_INET6) {
        const auto& sin6 = reinterpret_cast<const sockaddr_in6&>(addr);
        if (!::inet_ntop(AF_INET6, &sin6.sin6_addr, text, sizeof text)) return std::nullopt;
        out.port = ntohs(sin6.sin6_port);
    } else {
        return std::nullopt;
    }
    out.ip = text;
    return out;
}

GateConnection::GateConnection(int fd, SSL* ssl, Endpoint remote, Endpoint local, RequestServer& server,
                               IpConnectionCounter::Slot ip_slot, ConnectionPool::Slot pool_slot)
    : fd_(fd),
      ssl_(ssl),
      remote_(std::move(remote)),
      local_(std::move(local)),
      server_(server),
      ip_slot_(std::move(ip_slot)),
      pool_slot_(std::move(pool_slot)),
      waiting_since_(Clock::now()) {
    if (ssl_) {
        SSL_set_fd(ssl_, fd_);
        SSL_set_accept_state(ssl_);
    }
}

GateConnection::~GateConnection() {
    if (ssl_) {
        // One non-blocking close_notify when the session is up; the peer need not answer it.
        if (!write_shut_ && SSL_is_init_finished(ssl_)) {
            ERR_clear_error();
            SSL_shutdown(ssl_);
        }
        SSL_free(ssl_);
        ERR_clear_error();
    }
    ::close(fd_);
}

GateConnection::Io GateConnection::handshake() {
    ERR_clear_error();
    const int r = SSL_do_handshake(ssl_);
    if (r == 1) return Io::ok;
    switch (SSL_get_error(ssl_, r)) {
        case SSL_ERROR_WANT_READ: return Io::want_read;
        case SSL_ERROR_WANT_WRITE: return Io::want_write;
        default: return Io::error;  // bad ClientHello, no shared version, peer gone, ...
    }
}

GateConnection::Io GateConnection::read_raw(char* out, std::size_t size, std::size_t& got) {
    got = 0;
    if (!ssl_) {
        const ssize_t n = ::recv(fd_, out, size, MSG_DONTWAIT);
        if (n > 0) {
            got = static_cast<std::size_t>(n);
            return Io::ok;
        }
        if (n == 0) return Io::eof;
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return Io::want_read;
        return Io::error;
    }
    if (!SSL_is_init_finished(ssl_))
        if (const Io io = handshake(); io != Io::ok) return io;
    ERR_clear_error();
    const int n = SSL_read(ssl_, out, static_cast<int>(std::min<std::size_t>(size, 1 << 30)));
    if (n > 0) {
        got = static_cast<std::size_t>(n);
        return Io::ok;
    }
    switch (SSL_get_error(ssl_, n)) {
        case SSL_ERROR_WANT_READ: return Io::want_read;
        case SSL_ERROR_WANT_WRITE: return Io::want_write;
        case SSL_ERROR_ZERO_RETURN: return Io::eof;  // close_notify
        default: return Io::error;
    }
}

GateConnection::Io GateConnection::write_raw(const char* data, std::size_t size, std::size_t& put) {
    put = 0;
    if (!ssl_) {
        const ssize_t n = ::send(fd_, data, size, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n >= 0) {
            put = static_cast<std::size_t>(n);
            return Io::ok;
        }
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return Io::want_write;
        return Io::error;
    }
    ERR_clear_error();
    const int n = SSL_write(ssl_, data, static_cast<int>(std::min<std::size_t>(size, 1 << 30)));
    if (n > 0) {
        put = static_cast<std::size_t>(n);
        return Io::ok;
    }
    switch (SSL_get_error(ssl_, n)) {
        case SSL_ERROR_WANT_READ: return Io::want_read;
        case SSL_ERROR_WANT_WRITE: return Io::want_write;
        default: return Io::error;
    }
}

void GateConnection::compact() {
    in_.erase(0, in_pos_);
    in_pos_ = 0;
    if (in_.empty()) in_.shrink_to_fit();  // an idle connection keeps no buffer
}

GateConnection::Fill GateConnection::fill(std::size_t cap) {
    compact();
    char chunk[kReadChunk];
    for (;;) {
        const std::size_t held = in_.size();
        if (held >= cap) return Fill::full;
        std::size_t got = 0;
        const Io io = read_raw(chunk, std::min(kReadChunk, cap - held), got);
        in_.append(chunk, got);
        switch (io) {
            case Io::ok: continue;
            case Io::want_read: return Fill::want_read;
            case Io::want_write: return Fill::want_write;
            case Io::eof: return Fill::eof;
            case Io::error: return Fill::error;
        }
    }
}

GateConnection::Fill GateConnection::discard_input() {
    in_.clear();
    in_pos_ = 0;
    char sink[kReadChunk];
    for (int i = 0; i < 16; ++i) {  // at most 256 KiB per step; the rest at the next readiness
        const ssize_t n = ::recv(fd_, sink, sizeof sink, MSG_DONTWAIT);
        if (n == 0) return Fill::eof;
        if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? Fill::want_read : Fill::error;
    }
    return Fill::want_read;
}

bool GateConnection::tls_pending() const { return ssl_ && SSL_pending(ssl_) > 0; }

bool GateConnection::wait_ready(bool for_write, Clock::time_point until) const {
    for (;;) {
        pollfd p{fd_, static_cast<short>(for_write ? POLLOUT : POLLIN), 0};
        const int timeout = poll_ms(until);
        const int r = ::poll(&p, 1, timeout);
        if (r > 0) return true;
        if (r == 0) return false;
        if (errno != EINTR) return false;
    }
}

ssize_t GateConnection::read(char* out, std::size_t size, Clock::time_point until) {
    if (size == 0) return 0;
    if (in_pos_ == in_.size()) {
        // Nothing read ahead: the HTTP layer wants more than the framing predicted (rare).
        in_.clear();
        in_pos_ = 0;
        char chunk[kReadChunk];
        for (;;) {
            std::size_t got = 0;
            const Io io = read_raw(chunk, sizeof chunk, got);
            in_.assign(chunk, got);
            if (io == Io::ok) break;
            if (io == Io::eof) return 0;
            if (io == Io::error) return -1;
            if (Clock::now() >= until || !wait_ready(io == Io::want_write, until)) return -1;
        }
    }
    const std::size_t n = std::min(size, in_.size() - in_pos_);
    std::copy_n(in_.data() + in_pos_, n, out);
    in_pos_ += n;
    return static_cast<ssize_t>(n);
}

bool GateConnection::write_all(std::string_view data, Clock::time_point until) {
    while (!data.empty()) {
        std::size_t put = 0;
        const Io io = write_raw(data.data(), data.size(), put);
        if (io == Io::ok) {
            data.remove_prefix(put);
            continue;
        }
        if (io == Io::error || io == Io::eof) return false;
        if (Clock::now() >= until || !wait_ready(io == Io::want_write, until)) return false;
    }
    return true;
}

void GateConnection::shutdown_write() {
    if (write_shut_) return;
    if (ssl_ && SSL_is_init_finished(ssl_)) {
        ERR_clear_error();
        SSL_shutdown(ssl_);
    }
    ::shutdown(fd_, SHUT_WR);
    write_shut_ = true;
}

}  // namespace acmezone::api
