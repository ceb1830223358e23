// api/gate_stream: the httplib::Stream through which cpp-httplib reads one request and writes
// its response on a gated connection. Reads come from the connection's read-ahead buffer (the
// whole request is normally there already) and otherwise wait no later than the request's
// deadline, so a client trickling its request is cut off read_timeout after it began, however
// steadily it trickles; the response must be written within write_timeout of its first byte.
// Used by one thread for one request.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include <httplib.h>

#include "api/gate_connection.hpp"

namespace acmezone::api {

class GateStream final : public httplib::Stream {
public:
    GateStream(GateConnection& connection, GateConnection::Clock::time_point read_deadline,
               std::chrono::milliseconds write_timeout);

    bool is_readable() const override;
    bool is_writable() const override;
    ssize_t read(char* ptr, size_t size) override;
    ssize_t write(const char* ptr, size_t size) override;
    void get_remote_ip_and_port(std::string& ip, int& port) const override;
    void get_local_ip_and_port(std::string& ip, int& port) const override;
    socket_t socket() const override;

private:
    GateConnection::Clock::time_point write_deadline();

    GateConnection& connection_;
    const GateConnection::Clock::time_point read_deadline_;
    const std::chrono::milliseconds write_timeout_;
    std::optional<GateConnection::Clock::time_point> write_deadline_;  // set by the first write
};

}  // namespace acmezone::api
