// `acmezone serve`: start order config -> signals -> store -> writer -> UDP -> TCP -> API -> ready;
// stop order on SIGTERM/SIGINT: the API first (its updates in flight still reach the writer),
// then the DNS listeners (UDP, TCP), then the writer (drains), then the store. SIGHUP reloads
// the API's TLS certificate and keeps running.
#include <csignal>
#include <memory>
#include <string>

#include <unistd.h>

#include "api/server.hpp"
#include "app/cli_common.hpp"
#include "app/commands.hpp"
#include "app/logging.hpp"
#include "app/signals.hpp"
#include "app/version.hpp"
#include "dns/responder.hpp"
#include "dns/tcp_server.hpp"
#include "dns/udp_workers.hpp"
#include "store/snapshot.hpp"
#include "store/store.hpp"
#include "store/writer.hpp"

namespace acmezone::app {

namespace {

std::string listen_list(const std::vector<dns::Endpoint>& endpoints) {
    std::string out;
    for (const auto& endpoint : endpoints) {
        if (!out.empty()) out += ',';
        out += endpoint.text;
    }
    return out;
}

}  // namespace

int run_serve(const ServeArgs& args) {
    auto config = load_config_or_report(args.config);
    if (!config) return kExitUsage;

    setup_logging(config->log.level);
    auto log = app_log();
    log->info("event=starting version={} config={} pid={}", kVersion, args.config, ::getpid());
    for (const auto& warning : config->warnings) log->warn("event=config_warning detail=\"{}\"", warning);

    // Before any thread exists, so every thread inherits the blocked mask.
    ShutdownSignals signals;

    auto opened = store::Store::open(config->store);
    if (!opened) {
        log->error("event=start_failed step=store path={} error=\"{}\"", config->store.path.string(), opened.error().message);
        return kExitFailure;
    }
    std::unique_ptr<store::Store> store = std::move(opened.value());

    auto writer = std::make_unique<store::Writer>(*store, config->zone);
    auto responder = std::make_shared<const dns::Responder>(config->zone);
    auto udp = std::make_unique<dns::UdpWorkers>(*store, responder, config->dns.udp);
    auto tcp = std::make_unique<dns::TcpServer>(*store, responder, config->dns.tcp);
    std::unique_ptr<api::ApiServer> api_server;
    if (config->api.enabled) api_server = std::make_unique<api::ApiServer>(*store, *writer, config->zone, config->api.options);

    // Stops in the documented order whatever way we leave (success or a failed start).
    auto shut_down = [&] {
        if (api_server) api_server->stop();
        api_server.reset();
        udp->stop();
        tcp->stop();
        writer->stop();
        udp.reset();
        tcp.reset();
        writer.reset();
        store.reset();
    };

    if (auto st = udp->start(config->dns.listen); !st) {
        log->error("event=start_failed step=udp error=\"{}\"", st.error().message);
        shut_down();
        return kExitFailure;
    }
    if (auto st = tcp->start(config->dns.listen); !st) {
        log->error("event=start_failed step=tcp error=\"{}\"", st.error().message);
        shut_down();
        return kExitFailure;
    }

    if (api_server) {
        if (auto st = api_server->start(); !st) {
            log->error("event=start_failed step=api error=\"{}\"", st.error().message);
            shut_down();
            return kExitFailure;
        }
    }

    std::uint32_t serial = 0;
    {
        store::Snapshot snapshot(*store);
        if (auto st = snapshot.begin(); !st) {
            log->error("event=start_failed step=read_serial error=\"{}\"", st.error().message);
            shut_down();
            return kExitFailure;
        }
        serial = snapshot.serial();
        snapshot.end();
    }
    std::string api_listen = "off";
    if (api_server) {
        api_listen.clear();
        const auto ports = api_server->ports();
        for (std::size_t i = 0; i < ports.size(); ++i) {
            if (!api_listen.empty()) api_listen += ',';
            api_listen += config->api.options.listen[i].text;
        }
    }
    log->info("event=ready zone={} listen={} api={} serial={}", config->zone->apex().to_text(), listen_list(config->dns.listen),
              api_listen, serial);

    int signo = 0;
    while ((signo = signals.wait()) == SIGHUP) {
        log->info("event=reload signal=SIGHUP what=api_tls");
        if (!api_server) continue;
        // A failed reload keeps the certificate in use; the server keeps running either way.
        if (auto st = api_server->reload_tls(); !st)
            log->error("event=reload_failed what=api_tls error=\"{}\" action=kept_previous", st.error().message);
    }
    log->info("event=stopping signal={}", signal_name(signo));
    shut_down();
    log->info("event=stopped");
    return kExitOk;
}

}  // namespace acmezone::app
