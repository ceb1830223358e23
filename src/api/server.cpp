#include "api/server.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include <httplib.h>

#include "api/connection_gate.hpp"
#include "api/connection_pool.hpp"
#include "api/context.hpp"
#include "api/errors.hpp"
#include "api/gated_server.hpp"
#include "api/http_guard.hpp"
#include "api/log.hpp"
#include "api/request_checks.hpp"
#include "api/routes.hpp"
#include "api/tls.hpp"

namespace acmezone::api {

namespace {

// Listeners hand their connections to the gate (api/gated_server); they also reach the
// listening socket to raise cpp-httplib's backlog of 5, so a burst of clients is not met with
// dropped SYNs.
using PlainServer = GatedPlainServer;
using TlsServer = GatedTlsServer;

// SO_REUSEADDR (restart without waiting for TIME_WAIT) but not SO_REUSEPORT, which the
// library's default sets: two processes must not silently share a port. IPv6 sockets are
// IPv6-only, so "[::]:p" and "0.0.0.0:p" can both be configured.
void socket_options(socket_t sock) {
    int on = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    int domain = 0;
    socklen_t len = sizeof domain;
    if (::getsockopt(sock, SOL_SOCKET, SO_DOMAIN, &domain, &len) == 0 && domain == AF_INET6)
        ::setsockopt(sock, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on);
}

ApiRequest to_api_request(const httplib::Request& req) {
    ApiRequest out;
    out.body = req.body;
    out.peer = req.remote_addr;
    const std::size_t n = req.get_header_value_count("X-Forwarded-For");
    for (std::size_t i = 0; i < n; ++i) out.forwarded.push_back(req.get_header_value("X-Forwarded-For", i));
    const auto optional_header = [&](const char* name) -> std::optional<std::string> {
        if (!req.has_header(name)) return std::nullopt;
        return req.get_header_value(name);
    };
    out.api_user = optional_header("X-Api-User");
    out.api_key = optional_header("X-Api-Key");
    out.authorization = optional_header("Authorization");
    out.content_type = optional_header("Content-Type");
    for (const auto& [key, value] : req.params) out.query.emplace_back(key, value);
    return out;
}

void write_reply(const ApiReply& reply, httplib::Response& res) {
    res.status = reply.status;
    for (const auto& [name, value] : reply.headers) res.set_header(name, value);
    if (!reply.content_type.empty()) {
        res.set_content(reply.body, reply.content_type.c_str());
    } else {
        res.body = reply.body;
    }
}

void set_json_error(httplib::Response& res, ApiError error) {
    res.status = error_info(error).status;
    res.set_content(error_body(error), std::string(kJsonType).c_str());
}

}  // namespace

struct ApiServer::Listener {
    ListenAddress address;
    std::unique_ptr<httplib::Server> server;
    int fd = -1;
    std::thread thread;
};

ApiServer::ApiServer(store::Store& store, store::Writer& writer, std::shared_ptr<const core::Zone> zone, ApiOptions options)
    : context_(std::make_unique<ApiContext>(store, writer, std::move(zone), std::move(options))) {}

ApiServer::~ApiServer() { stop(); }

void ApiServer::set_delegation_check(DelegationCheck check) { context_->delegation_check = std::move(check); }

void ApiServer::set_propagation(PropagationHook hook) { context_->propagation = std::move(hook); }

void ApiServer::set_metrics(MetricsSource source) { context_->metrics = std::move(source); }

void ApiServer::set_ready_check(ReadinessCheck dns_ready) { context_->dns_ready = std::move(dns_ready); }

ApiStatsSnapshot ApiServer::stats() const noexcept { return context_->stats.snapshot(); }

core::Status ApiServer::start() {
    const ApiOptions& options = context_->options;
    if (options.tls == TlsMode::cert) {
        auto loaded = TlsCertificates::load(options.tls_cert, options.tls_key);
        if (!loaded) return std::move(loaded).error();
        tls_ = std::move(loaded.value());
    }
    pool_ = std::make_unique<ConnectionPool>(options.threads, options.max_connections);
    gate_ = std::make_unique<ConnectionGate>(*pool_, GateOptions::from(options));
    if (auto st = gate_->start(); !st) {
        stop();
        return st;
    }
    ApiContext* ctx = context_.get();

    for (std::size_t i = 0; i < options.listen.size(); ++i) {
        auto listener = std::make_unique<Listener>();
        listener->address = options.listen[i];
        if (tls_) {
            auto server = std::make_unique<TlsServer>(*gate_, [tls = tls_.get()](SSL_CTX& ssl_ctx) { return tls->configure(ssl_ctx); });
            if (!server->is_valid()) {
                stop();
                return core::make_error(core::Errc::invalid_argument, "api: cannot set up TLS");
            }
            listener->server = std::move(server);
        } else {
            listener->server = std::make_unique<PlainServer>(*gate_);
        }
        httplib::Server& srv = *listener->server;
        srv.set_socket_options(socket_options);
        srv.set_tcp_nodelay(true);
        srv.set_read_timeout(options.read_timeout_ms / 1000, (options.read_timeout_ms % 1000) * 1000);
        srv.set_write_timeout(options.write_timeout_ms / 1000, (options.write_timeout_ms % 1000) * 1000);
        srv.set_keep_alive_max_count(std::max<std::uint32_t>(options.keepalive_requests, 1));
        srv.set_keep_alive_timeout((options.keepalive_timeout_ms + 999) / 1000);
        srv.set_payload_max_length(options.max_body_bytes);

        const auto handler = [ctx](const httplib::Request& req, httplib::Response& res) {
            write_reply(dispatch(*ctx, req.method, routing_path(req.path), to_api_request(req)), res);
        };
        // Before routing, and before the body is read.
        const std::size_t max_header = options.max_header_bytes;
        const std::size_t max_body = options.max_body_bytes;
        srv.set_pre_routing_handler([max_header, max_body, handler](const httplib::Request& req, httplib::Response& res) {
            ignore_ranges(req);  // every reply is whole (api/http_guard)
            std::size_t total = req.method.size() + req.target.size();
            for (const auto& [name, value] : req.headers) total += name.size() + value.size() + 4;
            if (total > max_header) {
                reply_and_close(res, ApiError::headers_too_large);  // the body, if any, is left unread
                return httplib::Server::HandlerResponse::Handled;
            }
            // Framing that cannot be trusted (smuggling), bodies that must not be read: refused
            // before the body is read, and the connection closed (api/request_checks).
            if (refuse_bad_head(req, res, max_body)) return httplib::Server::HandlerResponse::Handled;
            // RFC 9112 §6.3: a request with neither Content-Length nor Transfer-Encoding has no
            // body. cpp-httplib would wait for the peer to close instead (`curl -X POST` with no
            // data); answer it now.
            if (!req.has_header("Content-Length") && !req.has_header("Transfer-Encoding")) {
                handler(req, res);
                return httplib::Server::HandlerResponse::Handled;
            }
            return httplib::Server::HandlerResponse::Unhandled;
        });
        srv.Get(".*", handler);
        srv.Post(".*", handler);
        srv.Put(".*", handler);
        srv.Patch(".*", handler);
        srv.Delete(".*", handler);
        srv.Options(".*", handler);
        // What the HTTP layer answers on its own (400, 413, 414, ...) gets a JSON body too.
        srv.set_error_handler(httplib::Server::HandlerWithResponse([](const httplib::Request& req, httplib::Response& res) {
            ignore_ranges(req);
            if (!res.body.empty() || is_closing_reply(res)) return httplib::Server::HandlerResponse::Unhandled;
            // The status stays what the HTTP layer chose (e.g. 414); only the body is ours. The
            // request could not be read, so where the next one starts is unknown: close.
            reply_and_close(res, error_for_status(res.status), res.status);
            return httplib::Server::HandlerResponse::Handled;
        }));
        srv.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
            std::string what = "unknown";
            try {
                if (ep) std::rethrow_exception(ep);
            } catch (const std::exception& e) {
                what = e.what();
            } catch (...) {
            }
            logger()->error("event=request_failed error=\"{}\"", what);
            set_json_error(res, ApiError::json_error);
        });

        errno = 0;
        int port = listener->address.port;
        bool bound = false;
        if (port == 0) {
            port = srv.bind_to_any_port(listener->address.host);
            bound = port > 0;
        } else {
            bound = srv.bind_to_port(listener->address.host, port);
        }
        if (!bound) {
            const int err = errno;
            stop();
            return core::make_error(core::Errc::invalid_argument,
                                    "api.listen[" + std::to_string(i) + "] \"" + options.listen[i].text + "\": cannot listen" +
                                        (err != 0 ? std::string(": ") + std::strerror(err) : std::string()));
        }
        listener->fd = tls_ ? static_cast<TlsServer&>(srv).listen_fd() : static_cast<PlainServer&>(srv).listen_fd();
        if (listener->fd >= 0) ::listen(listener->fd, SOMAXCONN);  // raise the library's backlog of 5
        ports_.push_back(port);
        listeners_.push_back(std::move(listener));
    }
    for (auto& listener : listeners_) {
        httplib::Server* srv = listener->server.get();
        listener->thread = std::thread([srv] { srv->listen_after_bind(); });
    }
    auto log = logger();
    for (std::size_t i = 0; i < listeners_.size(); ++i)
        log->info("event=api_listening address={} port={} tls={}", listeners_[i]->address.text, ports_[i], tls_ ? "cert" : "none");
    if (tls_) log->info("event=tls_loaded {}", tls_->describe());
    if (options.registration == RegistrationMode::token && options.admin_tokens.empty())
        log->warn("event=registration_locked reason=\"api.registration is token but no [[api.admin_tokens]] are configured\"");
    return core::Ok{};
}

void ApiServer::stop() {
    if (pool_) pool_->close();  // an accept loop waiting for a free slot must not hang stop()
    for (auto& listener : listeners_) listener->server->stop();
    for (auto& listener : listeners_)
        if (listener->thread.joinable()) listener->thread.join();
    if (gate_) gate_->stop();      // parked (idle) connections are closed
    if (pool_) pool_->shutdown();  // requests in flight finish (updates wait for their commit)
    if (gate_) {
        const GateStats s = gate_->stats();
        logger()->info("event=api_connections accepted={} requests={} refused_per_ip={} too_large={} timed_out={} evicted={}",
                       s.accepted, s.requests, s.refused_per_ip, s.too_large, s.timed_out, s.evicted);
    }
    listeners_.clear();
    gate_.reset();
    pool_.reset();
}

core::Status ApiServer::reload_tls() {
    if (!tls_) return core::Ok{};
    if (auto st = tls_->reload(); !st) return st;
    logger()->info("event=tls_reloaded {}", tls_->describe());
    return core::Ok{};
}

GateStats ApiServer::connection_stats() const { return gate_ ? gate_->stats() : GateStats{}; }

std::string ApiServer::tls_description() const { return tls_ ? tls_->describe() : "none"; }

}  // namespace acmezone::api
