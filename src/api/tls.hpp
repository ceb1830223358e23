// api/tls: the API's certificate and key (api.tls = "cert"), loaded from PEM files and
// swappable at run time: reload() reads the files again and, only when they load and match,
// replaces what new handshakes use (a per-handshake certificate callback reads the current
// pair), so listeners stay open and connections in flight keep theirs. TLS 1.2 or newer.
// Thread-safe.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include <openssl/ssl.h>

#include "core/result.hpp"

namespace acmezone::api {

class TlsCertificates {
public:
    // Loads the pair; fails naming the file and OpenSSL's reason.
    static core::Result<std::shared_ptr<TlsCertificates>> load(std::string cert_path, std::string key_path);
    ~TlsCertificates();
    TlsCertificates(const TlsCertificates&) = delete;
    TlsCertificates& operator=(const TlsCertificates&) = delete;

    // Reads the files again; on failure the old pair stays in use and the error is returned.
    core::Status reload();

    // Sets up a server SSL_CTX: TLS 1.2+, no compression or renegotiation, and the callback
    // that hands the current pair to each handshake. `this` must outlive the context.
    bool configure(SSL_CTX& ctx);

    // "serial=<hex> subject=<...> not_after=<...>" of the pair in use, for logs.
    std::string describe() const;

    struct Pair;  // the loaded certificate, chain and key (RAII, in tls.cpp)

private:
    TlsCertificates(std::string cert_path, std::string key_path);
    static int on_handshake(SSL* ssl, void* arg);

    std::string cert_path_;
    std::string key_path_;
    std::atomic<std::shared_ptr<const Pair>> current_;
};

}  // namespace acmezone::api
