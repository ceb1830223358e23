#include "api/gate_stream.hpp"

namespace acmezone::api {

GateStream::GateStream(GateConnection& connection, GateConnection::Clock::time_point read_deadline,
                       std::chrono::milliseconds write_timeout)
    : connection_(connection), read_deadline_(read_deadline), write_timeout_(write_timeout) {}

bool GateStream::is_readable() const {
    return !connection_.buffered().empty() || connection_.tls_pending() || connection_.wait_ready(false, read_deadline_);
}

bool GateStream::is_writable() const {
    const auto deadline = write_deadline_ ? *write_deadline_ : GateConnection::Clock::now() + write_timeout_;
    return connection_.wait_ready(true, deadline);
}

ssize_t GateStream::read(char* ptr, size_t size) { return connection_.read(ptr, size, read_deadline_); }

GateConnection::Clock::time_point GateStream::write_deadline() {
    if (!write_deadline_) write_deadline_ = GateConnection::Clock::now() + write_timeout_;
    return *write_deadline_;
}

ssize_t GateStream::write(const char* ptr, size_t size) {
    if (!connection_.write_all(std::string_view(ptr, size), write_deadline())) return -1;
    return static_cast<ssize_t>(size);
}

void GateStream::get_remote_ip_and_port(std::string& ip, int& port) const {
    ip = connection_.remote().ip;
    port = connection_.remote().port;
}

void GateStream::get_local_ip_and_port(std::string& ip, int& port) const {
    ip = connection_.local().ip;
    port = connection_.local().port;
}

socket_t GateStream::socket() const { return connection_.fd(); }

}  // namespace acmezone::api
