// api/options: the REST API's settings, already validated by app/config. Plain data.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "api/rate_limit.hpp"
#include "core/cidr.hpp"
#include "core/label_scheme.hpp"

namespace acmezone::api {

enum class RegistrationMode { open, token, off };
enum class TlsMode { none, cert };

struct ListenAddress {
    std::string host;  // IP literal without brackets ("127.0.0.1", "::1")
    int port = 0;      // 0: any free port (tests)
    std::string text;  // as configured, for logs
};

struct AdminToken {
    std::string name;
    std::string sha256;  // lower-case hex SHA-256 of the token
};

struct ApiOptions {
    std::vector<ListenAddress> listen;
    std::string base_path;  // "" or "/prefix" (no trailing slash)
    RegistrationMode registration = RegistrationMode::token;
    std::vector<AdminToken> admin_tokens;
    std::uint32_t txt_values = 2;  // TXT values kept per subdomain (acme-dns: 2)
    std::vector<core::Cidr> trusted_proxies;
    TlsMode tls = TlsMode::none;
    std::string tls_cert;  // PEM: the certificate, then its chain
    std::string tls_key;   // PEM private key
    std::uint32_t threads = 64;
    std::uint32_t max_connections = 256;   // connections held at once (parked idle + being served)
    std::uint32_t max_connections_per_ip = 16;  // of those, from one client address (503 beyond; trusted_proxies exempt)
    std::uint32_t max_body_bytes = 65536;
    std::uint32_t max_header_bytes = 8192;  // all request headers together
    std::uint32_t read_timeout_ms = 5000;
    std::uint32_t write_timeout_ms = 10000;
    std::uint32_t keepalive_requests = 100;
    std::uint32_t keepalive_timeout_ms = 5000;  // idle time; the Keep-Alive header shows it in whole seconds, rounded up
    core::LabelScheme default_scheme = core::LabelScheme::reverse;  // [credentials] default_scheme: admin issue, /register with a domain
    RateLimitOptions limits;  // [limits]: /update per credential, failed authentications per address
    bool metrics = true;                    // GET /metrics (Prometheus text); false: 404
    std::vector<core::Cidr> metrics_allow;  // client addresses allowed to scrape; empty: any (403 outside)
};

}  // namespace acmezone::api
