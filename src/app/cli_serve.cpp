// `acmezone serve`: start order config -> signals -> store -> writer -> UDP -> TCP -> API -> ready;
// stop order on SIGTERM/SIGINT: the API first (its updates in flight still reach the writer),
// then the DNS listeners (UDP, TCP), then the writer (drains; its last commits still reach the
// NOTIFY sender), then the NOTIFY sender, then the store. SIGHUP reloads
// (app/reload): static records, log levels and the API's TLS certificate, without touching the
// listeners. Started as root with [server] user: the store is opened as that account, every
// socket bound as root, then the process switches to it for good before `ready` (app/privileges).
#include <chrono>
#include <csignal>
#include <memory>
#include <string>

#include <unistd.h>

#include "api/server.hpp"
#include "app/cli_common.hpp"
#include "app/commands.hpp"
#include "app/fd_limit.hpp"
#include "app/logging.hpp"
#include "app/privileges.hpp"
#include "app/propagation_wiring.hpp"
#include "app/reload.hpp"
#include "app/metrics.hpp"
#include "app/signals.hpp"
#include "app/txt_expiry_sweeper.hpp"
#include "app/version.hpp"
#include "dns/delegation_check.hpp"
#include "dns/responder.hpp"
#include "dns/keyring.hpp"
#include "dns/notify.hpp"
#include "dns/propagation.hpp"
#include "dns/tcp_server.hpp"
#include "dns/transfer_service.hpp"
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
    const auto started = std::chrono::system_clock::now();  // acmezone_start_time_seconds
    auto config = load_config_or_report(args.config);
    if (!config) return kExitUsage;

    setup_logging(LogSettings{config->log.level, parse_log_format(config->log.format).value_or(LogFormat::text), config->log.modules});
    auto log = app_log();
    log->info("event=starting version={} config={} pid={}", kVersion, args.config, ::getpid());
    for (const auto& warning : config->warnings) log->warn("event=config_warning detail=\"{}\"", warning);

    // Before any thread exists, so every thread inherits the blocked mask and no_new_privs.
    ShutdownSignals signals;
    if (auto st = set_no_new_privileges(); !st) log->warn("event=no_new_privs outcome=failed error=\"{}\"", st.error().message);
    // Each held connection is a descriptor: soft RLIMIT_NOFILE up to the hard limit (app/fd_limit).
    if (auto fds = raise_fd_limit(); !fds) {
        log->warn("event=fd_limit outcome=failed error=\"{}\"", fds.error().message);
    } else {
        const std::uint64_t budget =
            fd_budget(config->api.enabled ? config->api.options.max_connections : 0, config->dns.tcp.max_connections);
        log->info("event=fd_limit soft={} hard={} was={} needed_at_most={}", fds->soft, fds->hard, fds->before, budget);
        if (fds->soft < budget)
            log->warn("event=fd_limit_low soft={} needed_at_most={} detail=\"raise the hard RLIMIT_NOFILE (LimitNOFILE=) or lower "
                      "api.max_connections / dns.tcp_max_connections\"", fds->soft, budget);
    }

    // [server] user when started as root: the store is opened with its ids (a store it cannot
    // use fails here, before any socket), the sockets are bound as root, then the switch.
    auto account = resolve_account(config->server);
    if (!account) {
        log->error("event=start_failed step=privileges error=\"{}\"", account.error().message);
        return kExitFailure;
    }
    if (*account) {
        if (auto st = prepare_account(config->store.path, **account); !st) {
            log->error("event=start_failed step=privileges error=\"{}\"", st.error().message);
            return kExitFailure;
        }
    }
    auto opened = [&]() -> core::Result<std::unique_ptr<store::Store>> {
        if (!*account) return store::Store::open(config->store);
        AsAccount as(**account);
        if (!as.status()) return as.status().error();
        auto result = store::Store::open(config->store);
        if (!result)
            return core::make_error(result.error().code,
                                    result.error().message + " (opened as user " + (*account)->user +
                                        ", which serve switches to; the folder and its files must be its own: chown -R " +
                                        (*account)->user + ":" + (*account)->group + " " + config->store.path.string() + ")");
        return result;
    }();
    if (!opened) {
        log->error("event=start_failed step=store path={} error=\"{}\"", config->store.path.string(), opened.error().message);
        return kExitFailure;
    }
    std::unique_ptr<store::Store> store = std::move(opened.value());

    // [audit] retention, [zone.soa] serial_policy and [zone.journal] bounds, applied by the writer.
    store::WriterOptions writer_options = app::writer_options(*config);
    auto writer = std::make_unique<store::Writer>(*store, config->zone, writer_options);
    auto responder = std::make_shared<dns::Responder>(config->zone);  // set_zone on reload
    auto udp = std::make_unique<dns::UdpWorkers>(*store, responder, config->dns.udp);
    auto tcp = std::make_unique<dns::TcpServer>(*store, responder, config->dns.tcp);
    // RFC 2136 updates and TSIG-signed messages: off the hot path, replies after commit.
    const auto& update_config = config->dns.update;
    // Transfer keys verify the secondaries' signed SOA checks but can never update.
    auto keyring = std::make_shared<const dns::Keyring>(update_config.tsig_keys, store.get(), update_config.allow_hmac_md5,
                                                        config->dns.transfer.keys);
    dns::UpdateServiceOptions update_options;
    update_options.enabled = update_config.enabled;
    update_options.alias_mode = update_config.alias_mode;
    update_options.fudge = static_cast<std::uint16_t>(update_config.fudge_seconds);
    auto updates = std::make_shared<dns::UpdateService>(*store, *writer, responder, keyring, update_options);
    udp->set_update_service(updates);
    tcp->set_update_service(updates);
    // AXFR/IXFR over TCP to the secondaries of [dns.transfer] (deny by default: REFUSED).
    dns::TransferOptions transfer_options;
    transfer_options.acl = config->dns.transfer;
    transfer_options.fudge = static_cast<std::uint16_t>(update_config.fudge_seconds);
    auto transfers = std::make_shared<dns::TransferService>(*store, responder, transfer_options);
    tcp->set_transfer_service(transfers);
    // NOTIFY (RFC 1996) to [dns.notify] targets after each durable group commit that moved the
    // serial: the listener only records the serial; the sender's thread does the network.
    std::unique_ptr<dns::NotifySender> notifier;
    if (!config->dns.notify.targets.empty()) {
        dns::NotifyOptions notify_options = config->dns.notify;
        notify_options.fudge = static_cast<std::uint16_t>(update_config.fudge_seconds);
        notifier = std::make_unique<dns::NotifySender>([responder]() -> const core::Zone& { return responder->zone(); },
                                                       std::move(notify_options));
        writer->set_commit_listener([n = notifier.get()](std::uint32_t serial) { n->notify(serial); });
    }
    // GET /admin/propagation and ?wait_propagation=1: asks the configured nameservers over DNS.
    auto propagation = std::make_shared<const dns::PropagationChecker>(
        *store, [responder]() -> const core::Zone& { return responder->zone(); }, propagation_options(*config));
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
    if (api_server) api_server->set_propagation(make_propagation_hook(propagation, config->propagation));
    // GET /metrics and /ready: the app gathers every component's stats (api cannot include dns).
    // The API stops first, so the components outlive every call.
    if (api_server) {
        MetricsSources sources;
        sources.version = std::string(kVersion);
        sources.started = started;
        sources.udp = udp.get();
        sources.tcp = tcp.get();
        sources.updates = updates.get();
        sources.writer = writer.get();
        sources.store = store.get();
        sources.api = api_server.get();
        sources.transfers = transfers.get();
        sources.notify = notifier.get();
        api_server->set_metrics([sources] { return render_metrics(collect_metrics(sources)); });
        api_server->set_ready_check([u = udp.get(), t = tcp.get()] {
            return !u->bound_endpoints().empty() && !t->bound_endpoints().empty();
        });
    }

    // Stops in the documented order whatever way we leave (success or a failed start).
    auto shut_down = [&] {
        if (api_server) api_server->stop();
        api_server.reset();
        updates->stop();  // replies to updates in flight use the listeners' sockets
        transfers->stop();
        udp->stop();
        tcp->stop();
        expiry->stop();  // before the writer: a sweep in flight waits for its commit
        expiry.reset();
        writer->stop();
        if (notifier) notifier->stop();  // after the writer: nothing calls its listener any more
        udp.reset();
        tcp.reset();
        updates.reset();
        transfers.reset();
        writer.reset();
        notifier.reset();
        propagation.reset();
        store.reset();
    };

    if (auto st = updates->start(); !st) {
        log->error("event=start_failed step=updates error=\"{}\"", st.error().message);
        shut_down();
        return kExitFailure;
    }
    if (auto st = transfers->start(); !st) {
        log->error("event=start_failed step=transfers error=\"{}\"", st.error().message);
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

    if (notifier) {
        if (auto st = notifier->start(); !st) {
            log->error("event=start_failed step=notify error=\"{}\"", st.error().message);
            shut_down();
            return kExitFailure;
        }
        log->info("event=notify targets={} retries={} initial_interval_ms={}", config->dns.notify.targets.size(),
                  config->dns.notify.retries, config->dns.notify.initial_interval.count());
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
    // As Knot and BIND do at zone load: the secondaries learn at once of anything committed
    // while we were down (CLI writes, a restored backup) instead of at their next refresh.
    if (notifier) notifier->notify(serial);
    std::string api_listen = "off";
    if (api_server) {
        api_listen.clear();
        const auto ports = api_server->ports();
        for (std::size_t i = 0; i < ports.size(); ++i) {
            if (!api_listen.empty()) api_listen += ',';
            api_listen += config->api.options.listen[i].text;
        }
    }
    if (*account) {
        if (auto st = drop_privileges(**account); !st) {
            log->error("event=start_failed step=privileges error=\"{}\"", st.error().message);
            shut_down();
            return kExitFailure;
        }
        log->info("event=privileges_dropped user={} uid={} group={} gid={}", (*account)->user, (*account)->uid, (*account)->group,
                  (*account)->gid);
    }
    expiry->start();
    if (config->txt_max_age_seconds > 0)
        log->info("event=txt_expiry max_age_seconds={} interval_ms={}", config->txt_max_age_seconds,
                  TxtExpirySweeper::interval_for(config->txt_max_age_seconds).count());
    log->info("event=ready zone={} listen={} api={} serial={}", config->zone->apex().to_text(), listen_list(config->dns.listen),
              api_listen, serial);

    Reloader reloader(args.config, *config, ReloadTargets{responder.get(), writer.get(), api_server.get()});
    int signo = 0;
    while ((signo = signals.wait()) == SIGHUP) reloader.reload();
    log->info("event=stopping signal={}", signal_name(signo));
    shut_down();
    log->info("event=stopped");
    return kExitOk;
}

}  // namespace acmezone::app
