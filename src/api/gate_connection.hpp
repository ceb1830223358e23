// api/gate_connection: one accepted HTTP(S) connection as the connection gate holds it: the
// non-blocking socket and its TLS session, the bytes read ahead of cpp-httplib, its places under
// the connection caps (given back when it is destroyed), and where it is in its life. Owned by
// one thread at a time (the parking thread, or the pool thread running its next step), so it
// needs no lock. Destroying it closes it.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <openssl/ssl.h>

#include "api/connection_pool.hpp"
#include "api/idle_parking.hpp"
#include "api/ip_connection_counter.hpp"

namespace acmezone::api {

class RequestServer;

struct Endpoint {
    std::string ip;  // numeric, no brackets
    int port = 0;
};

class GateConnection final : public Parkable {
public:
    using Clock = std::chrono::steady_clock;

    // Takes `fd` (made non-blocking) and `ssl` (may be null: plain HTTP; set to accept on fd).
    GateConnection(int fd, SSL* ssl, Endpoint remote, Endpoint local, RequestServer& server, IpConnectionCounter::Slot ip_slot,
                   ConnectionPool::Slot pool_slot);
    ~GateConnection() override;  // TLS close_notify (best effort), then close
    GateConnection(const GateConnection&) = delete;
    GateConnection& operator=(const GateConnection&) = delete;

    int fd() const override { return fd_; }
    Clock::time_point waiting_since() const override { return waiting_since_; }

    enum class Fill { want_read, want_write, full, eof, error };
    // Without blocking: completes the TLS handshake, then moves what has arrived into the
    // read-ahead buffer until it holds `cap` bytes. want_read/want_write: nothing more now.
    Fill fill(std::size_t cap);
    // Without blocking: reads and throws away what has arrived (a connection being drained).
    Fill discard_input();

    // Blocking up to `until`: the read-ahead buffer first, then the socket. 0 at EOF, -1 on
    // error or when `until` passes.
    ssize_t read(char* out, std::size_t size, Clock::time_point until);
    // Blocking up to `until`: writes all of `data` or fails.
    bool write_all(std::string_view data, Clock::time_point until);
    // Waits until the socket is readable (or writable), up to `until`.
    bool wait_ready(bool for_write, Clock::time_point until) const;
    // Sends the TLS close_notify and ends our sending side (the peer sees EOF after what we sent).
    void shutdown_write();

    std::string_view buffered() const { return std::string_view(in_).substr(in_pos_); }
    // Drops what the HTTP layer has consumed (and the buffer itself when nothing is left).
    void compact();
    // Data inside the TLS session not yet moved to the buffer (counts as readable).
    bool tls_pending() const;

    const Endpoint& remote() const { return remote_; }
    const Endpoint& local() const { return local_; }
    RequestServer& server() const { return server_; }
    SSL* ssl() const { return ssl_; }

    // Where the connection is; kept by the gate.
    Clock::time_point deadline;                        // close it then if its client has not done its part
    std::optional<Clock::time_point> request_started;  // the first byte of the current request
    std::uint32_t requests = 0;                        // answered so far
    bool continue_sent = false;                        // "100 Continue" sent for the current request
    bool draining = false;                             // answered for good; reading until the client closes
    void set_waiting_since(Clock::time_point t) { waiting_since_ = t; }

private:
    enum class Io { ok, want_read, want_write, eof, error };
    Io read_raw(char* out, std::size_t size, std::size_t& got);
    Io write_raw(const char* data, std::size_t size, std::size_t& put);
    Io handshake();

    int fd_;
    SSL* ssl_;
    Endpoint remote_;
    Endpoint local_;
    RequestServer& server_;
    IpConnectionCounter::Slot ip_slot_;
    ConnectionPool::Slot pool_slot_;
    Clock::time_point waiting_since_;
    std::string in_;          // read ahead; in_pos_ bytes of it already consumed
    std::size_t in_pos_ = 0;
    bool write_shut_ = false;
};

// The numeric address and port of a socket address (AF_INET or AF_INET6).
std::optional<Endpoint> endpoint_of(const sockaddr_storage& addr);

}  // namespace acmezone::api
