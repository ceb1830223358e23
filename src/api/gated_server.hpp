// api/gated_server: the cpp-httplib servers (plain and TLS) of the API's listeners. cpp-httplib
// would serve each accepted connection on one pool thread for its whole life, waits for the
// client included; these hand the socket to the ConnectionGate instead (from the accept thread)
// and answer, when the gate asks, one request at a time through cpp-httplib's own parsing,
// routing and response writing (Server::process_request). They also expose the listening
// socket so the server can raise cpp-httplib's listen backlog of 5.
#pragma once

#include <functional>

#include <httplib.h>

#include "api/connection_gate.hpp"
#include "api/request_server.hpp"

namespace acmezone::api {

class GatedPlainServer final : public httplib::Server, public RequestServer {
public:
    explicit GatedPlainServer(ConnectionGate& gate);
    int listen_fd() const { return svr_sock_; }

    bool serve_request(httplib::Stream& stream, bool close_connection, bool& connection_closed, SSL* ssl) override;
    SSL_CTX* tls_context() const override { return nullptr; }

private:
    bool process_and_close_socket(socket_t sock) override;
    ConnectionGate& gate_;
};

class GatedTlsServer final : public httplib::SSLServer, public RequestServer {
public:
    // `setup` configures the SSL_CTX once (api/tls: protocol floor, certificate callback).
    GatedTlsServer(ConnectionGate& gate, const std::function<bool(SSL_CTX&)>& setup);
    int listen_fd() const { return svr_sock_; }

    bool serve_request(httplib::Stream& stream, bool close_connection, bool& connection_closed, SSL* ssl) override;
    SSL_CTX* tls_context() const override { return ssl_context(); }

private:
    bool process_and_close_socket(socket_t sock) override;
    ConnectionGate& gate_;
};

}  // namespace acmezone::api
