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
#include "app/txt_expiry_sweeper.hpp"
#include "app/version.hpp"
#include "dns/delegation_check.hpp"
#include "dns/responder.hpp"
#include "dns/keyring.hpp"
#include "dns/tcp_server.hpp"
#include "dns/udp_workers.hpp"
#include "dns/update_service.hpp"
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

    store::WriterOptions writer_options;
    writer_options.audit = config->audit;  // [audit] retention, applied by the writer now and then
    auto writer = std::make_unique<store::Writer>(*store, config->zone, writer_options);
    auto responder = std::make_shared<const dns::Responder>(config->zone);
    auto udp = std::make_unique<dns::UdpWorkers>(*store, responder, config->dns.udp);
    auto tcp = std::make_unique<dns::TcpServer>(*store, responder, config->dns.tcp);
    // RFC 2136 updates and TSIG-signed messages: off the hot path, replies after commit.
    const auto& update_config = config->dns.update;
    auto keyring = std::make_shared<const dns::Keyring>(update_config.tsig_keys, store.get(), update_config.allow_hmac_md5);
    dns::UpdateServiceOptions update_options;
    update_options.enabled = update_config.enabled;
    update_options.alias_mode = update_config.alias_mode;
    update_options.fudge = static_cast<std::uint16_t>(update_config.fudge_seconds);
    auto updates = std::make_shared<dns::UpdateService>(*store, *writer, responder, keyring, update_options);
    udp->set_update_service(updates);
    tcp->set_update_service(updates);
    // zone.txt_max_age_seconds: a timer deletes older TXT values through the writer (off when 0).
    auto expiry = std::make_unique<TxtExpirySweeper>(*store, *writer, config->zone, config->txt_max_age_seconds);
    std::unique_ptr<api::ApiServer> api_server;
    if (config->api.enabled) api_server = std::make_unique<api::ApiServer>(*store, *writer, config->zone, config->api.options);
    // GET /admin/check: api cannot include dns, so the checker comes in as a function.
    auto delegation_checker = std::make_shared<const dns::DelegationChecker>(*store, config->zone, config->check);
    if (api_server)
        api_server->set_delegation_check([delegation_checker](std::string_view domain, std::string_view label) {
            return delegation_checker->check(domain, label);
        });

    // Stops in the documented order whatever way we leave (success or a failed start).
    auto shut_down = [&] {
        if (api_server) api_server->stop();
        api_server.reset();
        updates->stop();  // replies to updates in flight use the listeners' sockets
        udp->stop();
        tcp->stop();
        expiry->stop();  // before the writer: a sweep in flight waits for its commit
        expiry.reset();
        writer->stop();
        udp.reset();
        tcp.reset();
        updates.reset();
        writer.reset();
        store.reset();
    };

    if (auto st = updates->start(); !st) {
        log->error("event=start_failed step=updates error=\"{}\"", st.error().message);
        shut_down();
        return kExitFailure;
    }
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
    expiry->start();
    if (config->txt_max_age_seconds > 0)
        log->info("event=txt_expiry max_age_seconds={} interval_ms={}", config->txt_max_age_seconds,
                  TxtExpirySweeper::interval_for(config->txt_max_age_seconds).count());
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
