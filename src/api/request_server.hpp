// api/request_server: what a listener offers the connection gate: answer one request that is
// already buffered (cpp-httplib's parsing, routing and response writing), and the TLS context
// for its connections. Implemented by api/gated_server; called from pool threads.
#pragma once

#include <openssl/ssl.h>

namespace httplib {
class Stream;
}

namespace acmezone::api {

class RequestServer {
public:
    virtual ~RequestServer() = default;

    // Reads one request from `stream`, routes it and writes the response. close_connection:
    // the response says "Connection: close"; connection_closed is set when the client asked
    // for that. False when the request could not be read or the response not written.
    virtual bool serve_request(httplib::Stream& stream, bool close_connection, bool& connection_closed, SSL* ssl) = 0;

    // The context for new TLS sessions; nullptr for plain HTTP.
    virtual SSL_CTX* tls_context() const = 0;
};

}  // namespace acmezone::api
