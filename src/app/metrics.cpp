#include "app/metrics.hpp"

#include <array>
#include <string_view>

#include "api/server.hpp"
#include "app/exposition.hpp"

namespace acmezone::app {

namespace {

double seconds_since_epoch(std::chrono::system_clock::time_point t) {
    return std::chrono::duration<double>(t.time_since_epoch()).count();
}

// An RFC 2136 answer's RCODE as an update outcome: NOERROR is "ok", the rest by name
// (RFC 1035 §4.1.1, RFC 2136 §2.2). Unassigned codes 11..15 only show up when sent.
constexpr std::array<std::string_view, 16> kUpdateOutcomes = {
    "ok",      "formerr", "servfail", "nxdomain", "notimp", "refused", "yxdomain", "yxrrset",
    "nxrrset", "notauth", "notzone",  "rcode11",  "rcode12", "rcode13", "rcode14",  "rcode15"};
constexpr std::size_t kNamedUpdateRcodes = 11;

void render_process(Exposition& e, const MetricsSnapshot& s) {
    e.family("acmezone_build_info", MetricType::gauge, "Always 1; the version label says which build is running.");
    e.sample({{"version", s.version}}, std::uint64_t{1});
    e.family("acmezone_start_time_seconds", MetricType::gauge, "Unix time at which the server started.");
    e.sample({}, s.start_time_seconds);
    e.family("acmezone_uptime_seconds", MetricType::gauge, "Seconds since the server started.");
    e.sample({}, s.uptime_seconds);
}

void render_queries(Exposition& e, const MetricsSnapshot& s) {
    if (!s.udp && !s.tcp) return;
    struct Part {
        const char* transport;
        const dns::QueryStats* stats;
    };
    std::array<Part, 2> parts{Part{"udp", s.udp ? &s.udp->answers : nullptr}, Part{"tcp", s.tcp ? &s.tcp->answers : nullptr}};
    e.family("acmezone_dns_queries_total", MetricType::counter,
             "DNS queries answered by the responder, by transport and question type (other: any other type, or no "
             "readable question). UPDATEs count under acmezone_updates_total, TSIG-signed queries under "
             "acmezone_dns_signed_queries_total.");
    for (const auto& p : parts) {
        if (p.stats == nullptr) continue;
        for (std::size_t i = 0; i < dns::kQtypeBuckets; ++i)
            e.sample({{"transport", p.transport}, {"qtype", dns::qtype_bucket_name(i)}}, p.stats->by_qtype[i]);
    }
    e.family("acmezone_dns_responses_total", MetricType::counter, "The same responses by transport and RCODE.");
    for (const auto& p : parts) {
        if (p.stats == nullptr) continue;
        for (std::size_t i = 0; i < dns::kRcodeBuckets; ++i) {
            const bool unassigned = i >= 11 && i <= 15;
            if (unassigned && p.stats->by_rcode[i] == 0) continue;
            e.sample({{"transport", p.transport}, {"rcode", dns::rcode_bucket_name(i)}}, p.stats->by_rcode[i]);
        }
    }
    if (s.udp) {
        e.family("acmezone_dns_truncated_responses_total", MetricType::counter,
                 "UDP responses sent with TC=1 because the answer did not fit the client's payload size.");
        e.sample({{"transport", "udp"}}, s.udp->answers.truncated);
    }
}

void render_udp(Exposition& e, const dns::UdpStats& u) {
    e.family("acmezone_dns_udp_received_total", MetricType::counter, "UDP datagrams received.");
    e.sample({}, u.received);
    e.family("acmezone_dns_udp_sent_total", MetricType::counter, "UDP responses sent.");
    e.sample({}, u.sent);
    e.family("acmezone_dns_udp_dropped_total", MetricType::counter,
             "UDP datagrams given no response: oversized, unreadable, a response, or the send failed.");
    e.sample({}, u.dropped);
    e.family("acmezone_dns_udp_rate_limited_total", MetricType::counter,
             "UDP responses dropped by response rate limiting ([dns.rrl]); also counted as dropped.");
    e.sample({}, u.rate_limited);
    e.family("acmezone_dns_udp_slipped_total", MetricType::counter,
             "UDP responses response rate limiting replaced by a truncated (TC=1) reply.");
    e.sample({}, u.slipped);
}

void render_tcp(Exposition& e, const dns::TcpStats& t) {
    e.family("acmezone_dns_tcp_connections_total", MetricType::counter,
             "TCP connections by how they were handled: accepted, rejected (over a connection cap), timed_out (closed "
             "by the idle or read timeout; also counted as accepted).");
    e.sample({{"event", "accepted"}}, t.accepted);
    e.sample({{"event", "rejected"}}, t.rejected);
    e.sample({{"event", "timed_out"}}, t.timed_out);
    e.family("acmezone_dns_tcp_messages_total", MetricType::counter, "DNS messages read over TCP (queries and UPDATEs).");
    e.sample({}, t.queries);
    e.family("acmezone_dns_tcp_responses_total", MetricType::counter, "DNS responses queued for writing over TCP.");
    e.sample({}, t.responses);
}

void render_updates(Exposition& e, const MetricsSnapshot& s) {
    if (!s.api && !s.updates) return;
    e.family("acmezone_updates_total", MetricType::counter,
             "Write requests by front door (rest: POST /update, register: POST /register, admin: admin API writes, "
             "rfc2136: DNS UPDATE) and outcome. RFC 2136 outcomes are the response RCODE (ok = NOERROR).");
    if (s.api) {
        for (std::size_t d = 0; d < api::kFrontDoors; ++d) {
            const auto door = static_cast<api::FrontDoor>(d);
            for (std::size_t o = 0; o < api::kOutcomes; ++o)
                e.sample({{"front_door", std::string(api::front_door_name(door))},
                          {"outcome", std::string(api::outcome_name(static_cast<api::Outcome>(o)))}},
                         s.api->writes[d][o]);
        }
    }
    if (s.updates) {
        for (std::size_t rc = 0; rc < kUpdateOutcomes.size(); ++rc) {
            if (rc >= kNamedUpdateRcodes && s.updates->update_rcodes[rc] == 0) continue;
            e.sample({{"front_door", "rfc2136"}, {"outcome", std::string(kUpdateOutcomes[rc])}}, s.updates->update_rcodes[rc]);
        }
    }
    e.family("acmezone_auth_failures_total", MetricType::counter,
             "Failed authentications: REST and admin requests answered 401, and TSIG verification failures (rfc2136).");
    if (s.api) {
        for (std::size_t d = 0; d < api::kFrontDoors; ++d)
            e.sample({{"front_door", std::string(api::front_door_name(static_cast<api::FrontDoor>(d)))}}, s.api->auth_failures[d]);
    }
    if (s.updates) e.sample({{"front_door", "rfc2136"}}, s.updates->tsig_failures);
    if (s.api) {
        e.family("acmezone_rate_limited_requests_total", MetricType::counter,
                 "HTTP requests refused with 429 by a rate limit ([limits]: per credential, or failed "
                 "authentications per address).");
        for (std::size_t d = 0; d < api::kFrontDoors; ++d)
            e.sample({{"front_door", std::string(api::front_door_name(static_cast<api::FrontDoor>(d)))}}, s.api->rate_limited[d]);
    }
    if (s.updates) {
        e.family("acmezone_dns_signed_queries_total", MetricType::counter, "TSIG-signed queries answered (not UPDATEs).");
        e.sample({}, s.updates->signed_queries);
        e.family("acmezone_dns_update_queue_full_total", MetricType::counter,
                 "UPDATEs and signed messages answered SERVFAIL at once because the update queue was full.");
        e.sample({}, s.updates->queue_full);
    }
}

void render_http_connections(Exposition& e, const api::GateStats& g) {
    e.family("acmezone_http_connections_total", MetricType::counter,
             "HTTP connections by event: accepted, refused_per_ip (over api.max_connections_per_ip), timed_out (read "
             "or keep-alive deadline), evicted (idle, closed to make room at api.max_connections).");
    e.sample({{"event", "accepted"}}, g.accepted);
    e.sample({{"event", "refused_per_ip"}}, g.refused_per_ip);
    e.sample({{"event", "timed_out"}}, g.timed_out);
    e.sample({{"event", "evicted"}}, g.evicted);
    e.family("acmezone_http_connections", MetricType::gauge,
             "HTTP connections held now: parked (waiting for their client, no thread) and held (all of them).");
    e.sample({{"state", "parked"}}, g.parked);
    e.sample({{"state", "held"}}, g.held);
}

void render_transfers(Exposition& e, const dns::TransferStats& t) {
    e.family("acmezone_dns_transfers_total", MetricType::counter,
             "Zone transfer requests by outcome: axfr (the whole zone, also for IXFR), ixfr (differences or "
             "already current), refused (ACL), notauth (TSIG or zone), error, queue_full.");
    e.sample({{"outcome", "axfr"}}, t.axfr);
    e.sample({{"outcome", "ixfr"}}, t.ixfr);
    e.sample({{"outcome", "refused"}}, t.refused);
    e.sample({{"outcome", "notauth"}}, t.notauth);
    e.sample({{"outcome", "error"}}, t.other_errors);
    e.sample({{"outcome", "queue_full"}}, t.queue_full);
}

void render_notify(Exposition& e, const dns::NotifyStats& n) {
    e.family("acmezone_dns_notify_total", MetricType::counter,
             "NOTIFY messages to the secondaries by event: sent (resends included), acked, retried, failed "
             "(given up after the last retry).");
    e.sample({{"event", "sent"}}, n.sent);
    e.sample({{"event", "acked"}}, n.acked);
    e.sample({{"event", "retried"}}, n.retried);
    e.sample({{"event", "failed"}}, n.failed);
}

void render_writer(Exposition& e, const store::WriterStats& w) {
    e.family("acmezone_writer_commits_total", MetricType::counter, "Write transactions run by the store's writer (one per batch).");
    e.sample({}, w.commits);
    e.family("acmezone_writer_change_sets_total", MetricType::counter, "Change sets completed by the writer, by outcome.");
    e.sample({{"outcome", "ok"}}, w.change_sets_ok);
    e.sample({{"outcome", "failed"}}, w.change_sets_failed);
    e.family("acmezone_writer_batch_size", MetricType::histogram, "Change sets per write transaction (group commit).");
    e.histogram({}, w.batch_size);
    e.family("acmezone_writer_commit_duration_seconds", MetricType::histogram,
             "Time to apply one batch and commit it durably (fsync included).");
    e.histogram({}, w.commit_seconds);
}

void render_store(Exposition& e, const store::StoreStats& st) {
    e.family("acmezone_store_file_bytes", MetricType::gauge, "Size of the LMDB data file.");
    e.sample({}, st.file_bytes);
    e.family("acmezone_store_used_bytes", MetricType::gauge, "Bytes of the map in use (pages up to the high-water mark).");
    e.sample({}, st.used_bytes);
    e.family("acmezone_store_map_bytes", MetricType::gauge, "The map size: the most the data file may grow to (store.map_size_mb).");
    e.sample({}, st.map_bytes);
    e.family("acmezone_store_readers", MetricType::gauge, "LMDB reader slots in use, all processes.");
    e.sample({}, st.readers);
    e.family("acmezone_store_max_readers", MetricType::gauge, "LMDB reader slots available.");
    e.sample({}, st.max_readers);
    e.family("acmezone_store_records", MetricType::gauge, "Record entries in the store (one per owner name and type).");
    e.sample({}, st.records);
    e.family("acmezone_credentials", MetricType::gauge, "Credentials in the store, disabled ones included.");
    e.sample({}, st.credentials);
    e.family("acmezone_credential_labels", MetricType::gauge, "Labels owned by credentials.");
    e.sample({}, st.labels);
    e.family("acmezone_credential_tsig_keys", MetricType::gauge, "TSIG keys bound to credentials.");
    e.sample({}, st.tsig_keys);
}

}  // namespace

MetricsSnapshot collect_metrics(const MetricsSources& sources) {
    MetricsSnapshot s;
    s.version = sources.version;
    const auto now = std::chrono::system_clock::now();
    s.start_time_seconds = seconds_since_epoch(sources.started);
    s.uptime_seconds = std::max(0.0, std::chrono::duration<double>(now - sources.started).count());
    if (sources.udp) s.udp = sources.udp->stats();
    if (sources.tcp) s.tcp = sources.tcp->stats();
    if (sources.updates) s.updates = sources.updates->stats();
    if (sources.writer) s.writer = sources.writer->stats();
    if (sources.store) {
        if (auto st = store::read_store_stats(*sources.store)) s.store = *st;
    }
    if (sources.api) {
        s.api = sources.api->stats();
        s.http_connections = sources.api->connection_stats();
    }
    if (sources.transfers) s.transfers = sources.transfers->stats();
    if (sources.notify) s.notify = sources.notify->stats();
    return s;
}

std::string render_metrics(const MetricsSnapshot& s) {
    Exposition e;
    render_process(e, s);
    render_queries(e, s);
    if (s.udp) render_udp(e, *s.udp);
    if (s.tcp) render_tcp(e, *s.tcp);
    if (s.transfers) render_transfers(e, *s.transfers);
    if (s.notify) render_notify(e, *s.notify);
    if (s.http_connections) render_http_connections(e, *s.http_connections);
    render_updates(e, s);
    if (s.writer) render_writer(e, *s.writer);
    if (s.store) render_store(e, *s.store);
    return std::move(e).take();
}

}  // namespace acmezone::app
