// app/metrics: the /metrics registry. collect_metrics() takes one stats snapshot from every
// running component (UDP workers, TCP server, update service, zone transfers, NOTIFY, writer,
// store, REST API and its connections); each
// counts its own events lock-free and hands out a plain copy. render_metrics() turns such a
// snapshot into the Prometheus text format (app/exposition), so it can be tested with made-up
// numbers. The app wires collect + render into the API as its MetricsSource. Thread-safe as long
// as the components outlive the calls (the API, which calls it, stops first).
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "api/api_stats.hpp"
#include "api/connection_gate.hpp"
#include "dns/notify.hpp"
#include "dns/tcp_server.hpp"
#include "dns/transfer_service.hpp"
#include "dns/udp_workers.hpp"
#include "dns/update_service.hpp"
#include "store/store.hpp"
#include "store/store_stats.hpp"
#include "store/writer.hpp"

namespace acmezone::api {
class ApiServer;
}

namespace acmezone::app {

// Everything /metrics shows, as plain data. A component that is absent (or whose stats could
// not be read: the store) leaves its part empty, and its families are left out.
struct MetricsSnapshot {
    std::string version;
    double start_time_seconds = 0;  // Unix time the process started serving
    double uptime_seconds = 0;
    std::optional<dns::UdpStats> udp;
    std::optional<dns::TcpStats> tcp;
    std::optional<dns::UpdateServiceStats> updates;
    std::optional<store::WriterStats> writer;
    std::optional<store::StoreStats> store;
    std::optional<api::ApiStatsSnapshot> api;
    std::optional<api::GateStats> http_connections;
    std::optional<dns::TransferStats> transfers;
    std::optional<dns::NotifyStats> notify;
};

// What to collect from; null pointers are skipped.
struct MetricsSources {
    std::string version;
    std::chrono::system_clock::time_point started = std::chrono::system_clock::now();
    const dns::UdpWorkers* udp = nullptr;
    const dns::TcpServer* tcp = nullptr;
    const dns::UpdateService* updates = nullptr;
    const store::Writer* writer = nullptr;
    const store::Store* store = nullptr;
    const api::ApiServer* api = nullptr;
    const dns::TransferService* transfers = nullptr;
    const dns::NotifySender* notify = nullptr;
};

MetricsSnapshot collect_metrics(const MetricsSources& sources);

// The exposition text (text/plain; version=0.0.4). Throws only on a programming error (an
// invalid metric name), which the API turns into a 500.
std::string render_metrics(const MetricsSnapshot& snapshot);

}  // namespace acmezone::app
