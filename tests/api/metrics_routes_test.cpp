// GET /metrics and GET /ready, and what dispatch counts (writes by front door and outcome,
// failed authentications, rate-limited requests), against a real store and writer.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "api/routes.hpp"
#include "core/cidr.hpp"
#include "core/secret_hash.hpp"

namespace acmezone::api {
namespace {

const std::string kTxt = std::string(42, 'A') + "1";

std::size_t d(FrontDoor f) { return static_cast<std::size_t>(f); }
std::size_t o(Outcome x) { return static_cast<std::size_t>(x); }

class MetricsRoutes : public ::testing::Test {
protected:
    void SetUp() override {
        std::string tmpl = (std::filesystem::temp_directory_path() / "acmezone-api-metrics-XXXXXX").string();
        ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
        dir_ = tmpl;
        store::StoreOptions so;
        so.path = dir_ / "data";
        so.map_size = std::size_t{16} << 20;
        store_ = store::Store::open(so).value();
        core::ZoneSpec spec;
        spec.apex = core::Name::from_text("acme.example.test").value();
        spec.nameservers = {core::Name::from_text("ns1.example.net").value()};
        spec.hostmaster = core::Name::from_text("hostmaster.example.test").value();
        zone_ = std::make_shared<const core::Zone>(core::Zone::build(spec).value());
        writer_ = std::make_unique<store::Writer>(*store_, zone_);
        ApiOptions options;
        options.registration = RegistrationMode::open;
        options.admin_tokens = {{"ops", core::sha256_hex("admin-token")}};
        options.limits.update_rate = 1;
        options.limits.update_burst = 2;
        ctx_ = std::make_unique<ApiContext>(*store_, *writer_, zone_, options);
    }
    void TearDown() override {
        ctx_.reset();
        writer_.reset();
        store_.reset();
        std::filesystem::remove_all(dir_);
    }

    ApiReply get(std::string_view path, std::string peer = "127.0.0.1") {
        ApiRequest r;
        r.peer = std::move(peer);
        return dispatch(*ctx_, "GET", path, r);
    }

    nlohmann::json register_account() {
        ApiRequest r;
        r.peer = "127.0.0.1";
        const auto reply = dispatch(*ctx_, "POST", "/register", r);
        EXPECT_EQ(reply.status, 201) << reply.body;
        return nlohmann::json::parse(reply.body);
    }

    ApiReply update(const nlohmann::json& account, std::string key) {
        ApiRequest r;
        r.peer = "127.0.0.1";
        r.api_user = account["username"].get<std::string>();
        r.api_key = std::move(key);
        r.body = nlohmann::json{{"subdomain", account["subdomain"]}, {"txt", kTxt}}.dump();
        return dispatch(*ctx_, "POST", "/update", r);
    }

    std::filesystem::path dir_;
    std::unique_ptr<store::Store> store_;
    std::shared_ptr<const core::Zone> zone_;
    std::unique_ptr<store::Writer> writer_;
    std::unique_ptr<ApiContext> ctx_;
};

TEST_F(MetricsRoutes, ServesTheWiredTextAsPrometheusText) {
    ctx_->metrics = [] { return std::string("# HELP x X.\n# TYPE x gauge\nx 1\n"); };
    const auto reply = get("/metrics");
    EXPECT_EQ(reply.status, 200);
    EXPECT_EQ(reply.content_type, "text/plain; version=0.0.4; charset=utf-8");
    EXPECT_EQ(reply.body, "# HELP x X.\n# TYPE x gauge\nx 1\n");
    ApiRequest r;
    EXPECT_EQ(dispatch(*ctx_, "HEAD", "/metrics/", r).status, 200);
    const auto post = dispatch(*ctx_, "POST", "/metrics", r);
    EXPECT_EQ(post.status, 405);
    ASSERT_FALSE(post.headers.empty());
    EXPECT_EQ(post.headers[0].second, "GET, HEAD, OPTIONS");
}

TEST_F(MetricsRoutes, UnwiredIs503AndDisabledIs404) {
    auto reply = get("/metrics");
    EXPECT_EQ(reply.status, 503);
    EXPECT_EQ(reply.body, R"({"error": "unavailable"})");
    ctx_->metrics = [] { return std::string("x 1\n"); };
    ctx_->options.metrics = false;
    reply = get("/metrics");
    EXPECT_EQ(reply.status, 404);
    EXPECT_EQ(reply.body, R"({"error": "not_found"})");
}

TEST_F(MetricsRoutes, MetricsAllowNarrowsWhoMayScrape) {
    ctx_->metrics = [] { return std::string("x 1\n"); };
    ctx_->options.metrics_allow = {core::parse_cidr("10.1.0.0/16").value(), core::parse_cidr("::1/128").value()};
    EXPECT_EQ(get("/metrics", "10.1.2.3").status, 200);
    EXPECT_EQ(get("/metrics", "::1").status, 200);
    const auto refused = get("/metrics", "127.0.0.1");
    EXPECT_EQ(refused.status, 403);
    EXPECT_EQ(refused.body, R"({"error": "source_not_allowed"})");
    EXPECT_EQ(refused.content_type, "application/json");
    EXPECT_EQ(get("/metrics", "not-an-address").status, 403);
    // Behind a trusted proxy the forwarded client counts, not the proxy.
    ctx_->options.trusted_proxies = {core::parse_cidr("127.0.0.1/32").value()};
    ApiRequest r;
    r.peer = "127.0.0.1";
    r.forwarded = {"10.1.9.9"};
    EXPECT_EQ(dispatch(*ctx_, "GET", "/metrics", r).status, 200);
    r.forwarded = {"192.0.2.1"};
    EXPECT_EQ(dispatch(*ctx_, "GET", "/metrics", r).status, 403);
}

TEST_F(MetricsRoutes, ReadyNeedsTheStoreAndTheListeners) {
    auto reply = get("/ready");  // nothing wired: the listeners are unknown
    EXPECT_EQ(reply.status, 503);
    EXPECT_EQ(reply.body, R"({"error": "not_ready"})");
    bool bound = false;
    ctx_->dns_ready = [&bound] { return bound; };
    EXPECT_EQ(get("/ready").status, 503);
    bound = true;
    reply = get("/ready");
    EXPECT_EQ(reply.status, 200);
    EXPECT_EQ(reply.body, R"({"status":"ready"})");
    EXPECT_EQ(reply.content_type, "application/json");
    // /health stays as acme-dns has it: 200 with an empty body.
    reply = get("/health");
    EXPECT_EQ(reply.status, 200);
    EXPECT_EQ(reply.body, "");
}

TEST_F(MetricsRoutes, CountsWritesAuthFailuresAndRateLimits) {
    const auto account = register_account();
    const std::string password = account["password"].get<std::string>();
    EXPECT_EQ(update(account, password).status, 200);
    EXPECT_EQ(update(account, std::string(40, 'x')).status, 401);  // wrong key
    // Until the bucket (burst 2, 1/s) runs dry; a slow machine may see a token come back.
    std::uint64_t ok = 1;
    int status = 0;
    for (int i = 0; i < 20 && status != 429; ++i) {
        status = update(account, password).status;
        ASSERT_TRUE(status == 200 || status == 429) << status;
        if (status == 200) ++ok;
    }
    ASSERT_EQ(status, 429);

    ApiRequest admin;
    admin.peer = "127.0.0.2";
    EXPECT_EQ(dispatch(*ctx_, "GET", "/admin/credentials", admin).status, 401);   // a read: not a write
    EXPECT_EQ(dispatch(*ctx_, "POST", "/admin/credentials", admin).status, 401);  // a write, refused
    admin.authorization = "Bearer admin-token";
    admin.content_type = "application/json";
    admin.body = R"({"domain": "www.example.com"})";
    EXPECT_EQ(dispatch(*ctx_, "POST", "/admin/credentials", admin).status, 201);
    EXPECT_EQ(dispatch(*ctx_, "GET", "/admin/credentials", admin).status, 200);  // reads are not counted
    EXPECT_EQ(dispatch(*ctx_, "OPTIONS", "/update", admin).status, 204);        // nor OPTIONS

    const ApiStatsSnapshot s = ctx_->stats.snapshot();
    EXPECT_EQ(s.writes[d(FrontDoor::register_account)][o(Outcome::ok)], 1u);
    EXPECT_EQ(s.writes[d(FrontDoor::rest)][o(Outcome::ok)], ok);
    EXPECT_EQ(s.writes[d(FrontDoor::rest)][o(Outcome::forbidden)], 1u);
    EXPECT_EQ(s.writes[d(FrontDoor::rest)][o(Outcome::rate_limited)], 1u);
    EXPECT_EQ(s.writes[d(FrontDoor::admin)][o(Outcome::forbidden)], 1u);
    EXPECT_EQ(s.writes[d(FrontDoor::admin)][o(Outcome::ok)], 1u);
    EXPECT_EQ(s.auth_failures[d(FrontDoor::rest)], 1u);
    EXPECT_EQ(s.auth_failures[d(FrontDoor::admin)], 2u);
    EXPECT_EQ(s.auth_failures[d(FrontDoor::register_account)], 0u);
    EXPECT_EQ(s.rate_limited[d(FrontDoor::rest)], 1u);
    std::uint64_t admin_writes = 0;
    for (auto n : s.writes[d(FrontDoor::admin)]) admin_writes += n;
    EXPECT_EQ(admin_writes, 2u);
}

TEST(ApiStats, OutcomeForStatus) {
    EXPECT_EQ(outcome_for_status(200), Outcome::ok);
    EXPECT_EQ(outcome_for_status(201), Outcome::ok);
    EXPECT_EQ(outcome_for_status(400), Outcome::bad_request);
    EXPECT_EQ(outcome_for_status(413), Outcome::bad_request);
    EXPECT_EQ(outcome_for_status(401), Outcome::forbidden);
    EXPECT_EQ(outcome_for_status(403), Outcome::forbidden);
    EXPECT_EQ(outcome_for_status(404), Outcome::not_found);
    EXPECT_EQ(outcome_for_status(409), Outcome::conflict);
    EXPECT_EQ(outcome_for_status(429), Outcome::rate_limited);
    EXPECT_EQ(outcome_for_status(500), Outcome::error);
    EXPECT_EQ(outcome_for_status(503), Outcome::error);
    EXPECT_EQ(front_door_name(FrontDoor::register_account), "register");
    EXPECT_EQ(outcome_name(Outcome::rate_limited), "rate_limited");
}

}  // namespace
}  // namespace acmezone::api
