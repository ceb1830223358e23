// app/exposition and app/metrics: the exact text for a small registry, escaping, cumulative
// histogram buckets, refused names, and the full /metrics rendering of made-up snapshots.
#include "app/config.hpp"
#include "app/exposition.hpp"
#include "app/metrics.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <sstream>
#include <string>

using namespace acmezone;
using namespace acmezone::app;

namespace {

bool contains_line(const std::string& text, const std::string& line) {
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);)
        if (l == line) return true;
    return false;
}

TEST(Exposition, ExactTextForASmallRegistry) {
    Exposition e;
    e.family("acmezone_requests_total", MetricType::counter, "Requests handled.");
    e.sample({{"door", "rest"}, {"outcome", "ok"}}, std::uint64_t{3});
    e.sample({{"door", "admin"}, {"outcome", "forbidden"}}, std::uint64_t{0});
    e.family("acmezone_temperature", MetricType::gauge, "A gauge.");
    e.sample({}, 21.5);
    core::HistogramSnapshot h;
    h.bounds = {0.5, 1, 2.5};
    h.counts = {1, 0, 2, 4};  // per bucket; the last is above 2.5
    h.sum = 17.25;
    e.family("acmezone_latency_seconds", MetricType::histogram, "Latency.");
    e.histogram({{"op", "commit"}}, h);
    EXPECT_EQ(e.text(),
              "# HELP acmezone_requests_total Requests handled.\n"
              "# TYPE acmezone_requests_total counter\n"
              "acmezone_requests_total{door=\"rest\",outcome=\"ok\"} 3\n"
              "acmezone_requests_total{door=\"admin\",outcome=\"forbidden\"} 0\n"
              "# HELP acmezone_temperature A gauge.\n"
              "# TYPE acmezone_temperature gauge\n"
              "acmezone_temperature 21.5\n"
              "# HELP acmezone_latency_seconds Latency.\n"
              "# TYPE acmezone_latency_seconds histogram\n"
              "acmezone_latency_seconds_bucket{op=\"commit\",le=\"0.5\"} 1\n"
              "acmezone_latency_seconds_bucket{op=\"commit\",le=\"1\"} 1\n"
              "acmezone_latency_seconds_bucket{op=\"commit\",le=\"2.5\"} 3\n"
              "acmezone_latency_seconds_bucket{op=\"commit\",le=\"+Inf\"} 7\n"
              "acmezone_latency_seconds_sum{op=\"commit\"} 17.25\n"
              "acmezone_latency_seconds_count{op=\"commit\"} 7\n");
}

TEST(Exposition, EscapesLabelValuesAndHelp) {
    Exposition e;
    e.family("m", MetricType::gauge, "Back\\slash and\nnewline \"quotes stay\"");
    e.sample({{"v", "a\\b\"c\nd"}}, std::uint64_t{1});
    EXPECT_EQ(e.text(),
              "# HELP m Back\\\\slash and\\nnewline \"quotes stay\"\n"
              "# TYPE m gauge\n"
              "m{v=\"a\\\\b\\\"c\\nd\"} 1\n");
    EXPECT_EQ(escape_label_value("plain"), "plain");
    EXPECT_EQ(escape_help("x\\y"), "x\\\\y");
}

TEST(Exposition, HistogramWithoutLabels) {
    core::Histogram h({1, 10});
    for (double v : {0.5, 3.0, 30.0, 10.0}) h.observe(v);
    Exposition e;
    e.family("b", MetricType::histogram, "h");
    e.histogram({}, h.snapshot());
    EXPECT_EQ(e.text(),
              "# HELP b h\n# TYPE b histogram\n"
              "b_bucket{le=\"1\"} 1\n"
              "b_bucket{le=\"10\"} 3\n"
              "b_bucket{le=\"+Inf\"} 4\n"
              "b_sum 43.5\n"
              "b_count 4\n");
}

TEST(Exposition, FormatsValues) {
    EXPECT_EQ(format_value(0), "0");
    EXPECT_EQ(format_value(3), "3");
    EXPECT_EQ(format_value(-2), "-2");
    EXPECT_EQ(format_value(0.0005), "0.0005");
    EXPECT_EQ(format_value(1.5e300), "1.5e+300");
    EXPECT_EQ(format_value(std::numeric_limits<double>::infinity()), "+Inf");
    EXPECT_EQ(format_value(-std::numeric_limits<double>::infinity()), "-Inf");
    EXPECT_EQ(format_value(std::nan("")), "NaN");
    // Shortest text that reads back as the same double.
    EXPECT_EQ(std::stod(format_value(0.1 + 0.2)), 0.1 + 0.2);
}

TEST(Exposition, RefusesInvalidNamesAndMisuse) {
    EXPECT_TRUE(is_valid_metric_name("acmezone_x:y_total"));
    EXPECT_FALSE(is_valid_metric_name("1abc"));
    EXPECT_FALSE(is_valid_metric_name("a-b"));
    EXPECT_FALSE(is_valid_metric_name(""));
    EXPECT_TRUE(is_valid_label_name("front_door"));
    EXPECT_FALSE(is_valid_label_name("__reserved"));
    EXPECT_FALSE(is_valid_label_name("a:b"));

    Exposition e;
    EXPECT_THROW(e.sample({}, std::uint64_t{1}), std::invalid_argument);  // no family yet
    EXPECT_THROW(e.family("bad-name", MetricType::counter, ""), std::invalid_argument);
    e.family("c_total", MetricType::counter, "c");
    EXPECT_THROW(e.family("c_total", MetricType::counter, "again"), std::invalid_argument);
    EXPECT_THROW(e.sample({{"bad-label", "x"}}, std::uint64_t{1}), std::invalid_argument);
    EXPECT_THROW(e.histogram({}, core::HistogramSnapshot{{1}, {0, 0}, 0}), std::invalid_argument);  // not a histogram family
    e.family("h", MetricType::histogram, "h");
    EXPECT_THROW(e.sample({}, std::uint64_t{1}), std::invalid_argument);
    EXPECT_THROW(e.histogram({{"le", "x"}}, core::HistogramSnapshot{{1}, {0, 0}, 0}), std::invalid_argument);
    EXPECT_THROW(e.histogram({}, core::HistogramSnapshot{{1}, {0}, 0}), std::invalid_argument);  // counts do not match
}

MetricsSnapshot sample_snapshot() {
    MetricsSnapshot s;
    s.version = "1.2.3";
    s.start_time_seconds = 1700000000;
    s.uptime_seconds = 12.5;
    dns::UdpStats udp;
    udp.received = 10;
    udp.sent = 9;
    udp.dropped = 1;
    udp.rate_limited = 5;
    udp.slipped = 2;
    udp.answers.by_qtype[static_cast<std::size_t>(dns::QtypeBucket::txt)] = 6;
    udp.answers.by_qtype[static_cast<std::size_t>(dns::QtypeBucket::soa)] = 3;
    udp.answers.by_rcode[0] = 7;
    udp.answers.by_rcode[3] = 2;
    udp.answers.truncated = 1;
    s.udp = udp;
    dns::TcpStats tcp;
    tcp.accepted = 2;
    tcp.queries = 4;
    tcp.responses = 4;
    tcp.answers.by_qtype[static_cast<std::size_t>(dns::QtypeBucket::a)] = 4;
    tcp.answers.by_rcode[dns::kBadversBucket] = 4;
    s.tcp = tcp;
    dns::UpdateServiceStats updates;
    updates.updates = 3;
    updates.tsig_failures = 1;
    updates.update_rcodes[0] = 2;
    updates.update_rcodes[9] = 1;
    updates.update_rcodes[13] = 5;  // unassigned: shown only because it was sent
    s.updates = updates;
    api::ApiStatsSnapshot a;
    a.writes[static_cast<std::size_t>(api::FrontDoor::rest)][static_cast<std::size_t>(api::Outcome::ok)] = 4;
    a.writes[static_cast<std::size_t>(api::FrontDoor::rest)][static_cast<std::size_t>(api::Outcome::forbidden)] = 1;
    a.auth_failures[static_cast<std::size_t>(api::FrontDoor::rest)] = 1;
    a.rate_limited[static_cast<std::size_t>(api::FrontDoor::admin)] = 2;
    s.api = a;
    store::WriterStats w;
    w.commits = 3;
    w.change_sets_ok = 4;
    w.change_sets_failed = 1;
    w.batch_size = core::HistogramSnapshot{{1, 2}, {2, 1, 0}, 4};
    w.commit_seconds = core::HistogramSnapshot{{0.001, 0.01}, {0, 3, 0}, 0.015};
    s.writer = w;
    store::StoreStats st;
    st.file_bytes = 65536;
    st.map_bytes = 1 << 30;
    st.used_bytes = 40960;
    st.credentials = 7;
    s.store = st;
    dns::TransferStats transfers;
    transfers.axfr = 2;
    transfers.ixfr = 5;
    transfers.refused = 1;
    s.transfers = transfers;
    dns::NotifyStats notify;
    notify.sent = 4;
    notify.acked = 3;
    notify.retried = 1;
    s.notify = notify;
    api::GateStats gate;
    gate.accepted = 9;
    gate.evicted = 2;
    gate.parked = 3;
    gate.held = 4;
    s.http_connections = gate;
    return s;
}

TEST(Metrics, RendersEverySnapshotPart) {
    const std::string text = render_metrics(sample_snapshot());
    for (const char* line : {
             "# TYPE acmezone_build_info gauge",
             "acmezone_build_info{version=\"1.2.3\"} 1",
             "acmezone_start_time_seconds 1700000000",
             "acmezone_uptime_seconds 12.5",
             "# TYPE acmezone_dns_queries_total counter",
             "acmezone_dns_queries_total{transport=\"udp\",qtype=\"TXT\"} 6",
             "acmezone_dns_queries_total{transport=\"udp\",qtype=\"SOA\"} 3",
             "acmezone_dns_queries_total{transport=\"udp\",qtype=\"CAA\"} 0",
             "acmezone_dns_queries_total{transport=\"tcp\",qtype=\"A\"} 4",
             "acmezone_dns_responses_total{transport=\"udp\",rcode=\"NOERROR\"} 7",
             "acmezone_dns_responses_total{transport=\"udp\",rcode=\"NXDOMAIN\"} 2",
             "acmezone_dns_responses_total{transport=\"tcp\",rcode=\"BADVERS\"} 4",
             "acmezone_dns_truncated_responses_total{transport=\"udp\"} 1",
             "acmezone_dns_udp_received_total 10",
             "acmezone_dns_udp_dropped_total 1",
             "acmezone_dns_udp_rate_limited_total 5",
             "acmezone_dns_udp_slipped_total 2",
             "acmezone_dns_tcp_connections_total{event=\"accepted\"} 2",
             "acmezone_dns_tcp_messages_total 4",
             "acmezone_updates_total{front_door=\"rest\",outcome=\"ok\"} 4",
             "acmezone_updates_total{front_door=\"rest\",outcome=\"forbidden\"} 1",
             "acmezone_updates_total{front_door=\"admin\",outcome=\"ok\"} 0",
             "acmezone_updates_total{front_door=\"rfc2136\",outcome=\"ok\"} 2",
             "acmezone_updates_total{front_door=\"rfc2136\",outcome=\"notauth\"} 1",
             "acmezone_updates_total{front_door=\"rfc2136\",outcome=\"refused\"} 0",
             "acmezone_updates_total{front_door=\"rfc2136\",outcome=\"rcode13\"} 5",
             "acmezone_auth_failures_total{front_door=\"rest\"} 1",
             "acmezone_auth_failures_total{front_door=\"rfc2136\"} 1",
             "acmezone_rate_limited_requests_total{front_door=\"admin\"} 2",
             "acmezone_writer_commits_total 3",
             "acmezone_writer_change_sets_total{outcome=\"failed\"} 1",
             "acmezone_writer_batch_size_bucket{le=\"1\"} 2",
             "acmezone_writer_batch_size_bucket{le=\"2\"} 3",
             "acmezone_writer_batch_size_bucket{le=\"+Inf\"} 3",
             "acmezone_writer_batch_size_count 3",
             "acmezone_writer_commit_duration_seconds_bucket{le=\"0.01\"} 3",
             "acmezone_writer_commit_duration_seconds_sum 0.015",
             "acmezone_store_file_bytes 65536",
             "acmezone_store_map_bytes 1073741824",
             "acmezone_credentials 7",
             "acmezone_dns_transfers_total{outcome=\"axfr\"} 2",
             "acmezone_dns_transfers_total{outcome=\"ixfr\"} 5",
             "acmezone_dns_transfers_total{outcome=\"refused\"} 1",
             "acmezone_dns_notify_total{event=\"sent\"} 4",
             "acmezone_dns_notify_total{event=\"acked\"} 3",
             "acmezone_dns_notify_total{event=\"retried\"} 1",
             "acmezone_http_connections_total{event=\"accepted\"} 9",
             "acmezone_http_connections_total{event=\"evicted\"} 2",
             "acmezone_http_connections{state=\"parked\"} 3",
             "acmezone_http_connections{state=\"held\"} 4",
         }) {
        EXPECT_TRUE(contains_line(text, line)) << "missing: " << line << "\n" << text;
    }
    // Unassigned RCODEs that were never sent stay out; so does RCODE 12 of the DNS responses.
    EXPECT_FALSE(contains_line(text, "acmezone_updates_total{front_door=\"rfc2136\",outcome=\"rcode12\"} 0"));
    EXPECT_EQ(text.find("rcode=\"RCODE12\""), std::string::npos);
    EXPECT_EQ(text.back(), '\n');
}

TEST(Metrics, AbsentPartsLeaveTheirFamiliesOut) {
    MetricsSnapshot s;
    s.version = "0";
    const std::string text = render_metrics(s);
    EXPECT_TRUE(contains_line(text, "acmezone_build_info{version=\"0\"} 1"));
    EXPECT_EQ(text.find("acmezone_dns_"), std::string::npos);
    EXPECT_EQ(text.find("acmezone_updates_total"), std::string::npos);
    EXPECT_EQ(text.find("acmezone_store_"), std::string::npos);
}

TEST(Metrics, CollectsFromNothingWithoutCrashing) {
    MetricsSources sources;
    sources.version = "x";
    const MetricsSnapshot s = collect_metrics(sources);
    EXPECT_FALSE(s.udp);
    EXPECT_FALSE(s.store);
    EXPECT_GE(s.uptime_seconds, 0.0);
    EXPECT_GT(s.start_time_seconds, 1.6e9);
}

const char* const kConfigBase = R"(
[zone]
name = "acme.example.test"
nameservers = ["ns1.example.net."]
hostmaster = "hostmaster.example.net."
[api]
listen = ["127.0.0.1:8053"]
)";

TEST(MetricsConfig, DefaultsOnAndOpenToAnyone) {
    auto config = parse_config(kConfigBase);
    ASSERT_TRUE(config) << config.error().message;
    EXPECT_TRUE(config->api.options.metrics);
    EXPECT_TRUE(config->api.options.metrics_allow.empty());
}

TEST(MetricsConfig, ReadsMetricsAndMetricsAllow) {
    auto config = parse_config(std::string(kConfigBase) + "metrics = false\nmetrics_allow = [\"10.0.0.0/8\", \"::1/128\"]\n");
    ASSERT_TRUE(config) << config.error().message;
    EXPECT_FALSE(config->api.options.metrics);
    ASSERT_EQ(config->api.options.metrics_allow.size(), 2u);
    EXPECT_TRUE(config->api.options.metrics_allow[0].contains(core::parse_ip("10.9.8.7").value()));
    EXPECT_FALSE(config->api.options.metrics_allow[0].contains(core::parse_ip("192.0.2.1").value()));
}

TEST(MetricsConfig, BadValuesNameTheKey) {
    auto bad_range = parse_config(std::string(kConfigBase) + "metrics_allow = [\"10.0.0.0/8\", \"nonsense\"]\n");
    ASSERT_FALSE(bad_range);
    EXPECT_NE(bad_range.error().message.find("api.metrics_allow[1]"), std::string::npos) << bad_range.error().message;
    auto bad_type = parse_config(std::string(kConfigBase) + "metrics = \"yes\"\n");
    ASSERT_FALSE(bad_type);
    EXPECT_NE(bad_type.error().message.find("api.metrics"), std::string::npos) << bad_type.error().message;
    auto not_array = parse_config(std::string(kConfigBase) + "metrics_allow = \"10.0.0.0/8\"\n");
    ASSERT_FALSE(not_array);
    EXPECT_NE(not_array.error().message.find("api.metrics_allow"), std::string::npos) << not_array.error().message;
}

}  // namespace
