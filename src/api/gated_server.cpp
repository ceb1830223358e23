#include "api/gated_server.hpp"

namespace acmezone::api {

namespace {

// cpp-httplib's accept loop hands each socket to a task queue; this one runs the hand-over to
// the gate right there, on the accept thread (it is quick; it only waits, pausing accept, when
// every connection slot is busy serving).
class AcceptOnCaller final : public httplib::TaskQueue {
public:
    void enqueue(std::function<void()> fn) override { fn(); }
    void shutdown() override {}
};

}  // namespace

GatedPlainServer::GatedPlainServer(ConnectionGate& gate) : gate_(gate) {
    new_task_queue = [] { return new AcceptOnCaller; };
}

bool GatedPlainServer::process_and_close_socket(socket_t sock) {
    gate_.admit(sock, *this);
    return true;
}

bool GatedPlainServer::serve_request(httplib::Stream& stream, bool close_connection, bool& connection_closed, SSL*) {
    return process_request(stream, close_connection, connection_closed, nullptr);
}

GatedTlsServer::GatedTlsServer(ConnectionGate& gate, const std::function<bool(SSL_CTX&)>& setup)
    : httplib::SSLServer(setup), gate_(gate) {
    new_task_queue = [] { return new AcceptOnCaller; };
}

bool GatedTlsServer::process_and_close_socket(socket_t sock) {
    gate_.admit(sock, *this);
    return true;
}

bool GatedTlsServer::serve_request(httplib::Stream& stream, bool close_connection, bool& connection_closed, SSL* ssl) {
    return process_request(stream, close_connection, connection_closed, [ssl](httplib::Request& req) { req.ssl = ssl; });
}

}  // namespace acmezone::api
