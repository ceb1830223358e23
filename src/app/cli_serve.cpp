// `acmezone serve`: start order config -> signals -> store -> writer -> UDP -> TCP -> ready;
// stop order on SIGTERM/SIGINT: listeners (UDP, TCP), then the writer (drains), then the store.
#include <memory>
#include <string>

#include <unistd.h>

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

    // Stops in the documented order whatever way we leave (success or a failed start).
    auto shut_down = [&] {
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
    log->info("event=ready zone={} listen={} serial={}", config->zone->apex().to_text(), listen_list(config->dns.listen),
              serial);

    const int signo = signals.wait();
    log->info("event=stopping signal={}", signal_name(signo));
    shut_down();
    log->info("event=stopped");
    return kExitOk;
}

}  // namespace acmezone::app
