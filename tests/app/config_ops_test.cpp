// The operations side of the config: [log.modules], [server], the effective settings that
// `config check` prints (secrets redacted), and the SIGHUP reload plan and Reloader.
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "app/config.hpp"
#include "app/config_print.hpp"
#include "app/reload.hpp"
#include "core/rr.hpp"
#include "dns/responder.hpp"
#include "store/store.hpp"
#include "store/writer.hpp"
#include "common/temp_dir.hpp"

namespace acmezone::app {
namespace {

const std::string kBase = R"(
[zone]
name = "acme.example.test"
nameservers = ["ns1.acme.example.test"]
hostmaster = "hostmaster.example.test"
records = ["ns1 A 127.0.0.1", "www 300 A 192.0.2.1"]

[dns]
listen = ["127.0.0.1:5300"]

[[dns.tsig_keys]]
name = "ops-key"
secret = "c2VjcmV0LWtleS1mb3ItdGVzdHMtMTIzNDU2Nzg5MDEyMzQ="
names = ["_acme-challenge.intranet"]

[api]
listen = ["127.0.0.1:8053"]

[[api.admin_tokens]]
name = "ops"
sha256 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

[log]
level = "info"
)";

std::string replaced(std::string text, const std::string& from, const std::string& to) {
    const auto at = text.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    if (at != std::string::npos) text.replace(at, from.size(), to);
    return text;
}

Config parsed(const std::string& text) {
    auto config = parse_config(text, "test.toml");
    EXPECT_TRUE(config.ok()) << config.error().message;
    return std::move(config.value());
}

std::string error_of(const std::string& text) {
    auto config = parse_config(text, "test.toml");
    EXPECT_FALSE(config.ok());
    return config ? std::string() : config.error().message;
}

TEST(ConfigOps, LogModulesAndFormat) {
    auto config = parsed(kBase + "format = \"json\"\n[log.modules]\ndns = \"warn\"\napi = \"debug\"\n");
    EXPECT_EQ(config.log.format, "json");
    ASSERT_EQ(config.log.modules.size(), 2u);
    EXPECT_EQ(config.log.modules[0], (std::pair<std::string, spdlog::level::level_enum>{"dns", spdlog::level::warn}));
    EXPECT_EQ(config.log.modules[1], (std::pair<std::string, spdlog::level::level_enum>{"api", spdlog::level::debug}));
    EXPECT_EQ(error_of(kBase + "[log.modules]\nhttp = \"warn\"\n"), "unknown key log.modules.http");
    EXPECT_EQ(error_of(kBase + "[log.modules]\ndns = \"loud\"\n"),
              "log.modules.dns: \"loud\" is not one of trace, debug, info, warn, error");
    EXPECT_EQ(error_of(kBase + "[log.modules]\ndns = 3\n"), "log.modules.dns: expected a string, got an integer");
}

TEST(ConfigOps, ServerUserAndGroup) {
    auto none = parsed(kBase);
    EXPECT_TRUE(none.server.user.empty());
    auto config = parsed(kBase + "[server]\nuser = \"acmezone\"\ngroup = \"acmezone\"\n");
    EXPECT_EQ(config.server.user, "acmezone");
    EXPECT_EQ(config.server.group, "acmezone");
    EXPECT_EQ(error_of(kBase + "[server]\nuser = \"-rf\"\n"), "server.user: \"-rf\" is not a user name");
    EXPECT_EQ(error_of(kBase + "[server]\nuser = \"a b\"\n"), "server.user: \"a b\" is not a user name");
    EXPECT_EQ(error_of(kBase + "[server]\ngroup = \"acmezone\"\n"), "server.group: needs server.user as well");
    EXPECT_EQ(error_of(kBase + "[server]\nuid = 5\n"), "unknown key server.uid");
}

TEST(ConfigOps, EffectiveSettingsFillDefaultsAndRedactSecrets) {
    const auto table = effective_settings(parsed(kBase), Secrets::redact);
    const auto flat = flatten_settings(table);
    EXPECT_EQ(flat.at("zone.soa.minimum"), "10");  // a default
    EXPECT_EQ(flat.at("zone.name"), "\"acme.example.test.\"");
    EXPECT_EQ(flat.at("dns.tsig_keys[0].secret"), "\"<redacted>\"");
    EXPECT_EQ(flat.at("dns.tsig_keys[0].names"), "[ \"_acme-challenge.intranet\" ]");
    EXPECT_EQ(flat.at("api.admin_tokens[0].sha256"), "\"<redacted>\"");
    EXPECT_EQ(flat.at("api.admin_tokens[0].name"), "\"ops\"");
    EXPECT_EQ(flat.at("log.format"), "\"text\"");
    const std::string text = to_toml_text(table);
    EXPECT_EQ(text.find("c2VjcmV0"), std::string::npos);
    EXPECT_EQ(text.find("0123456789abcdef"), std::string::npos);
    // The printed text is a config again, with the same effective settings (secrets aside).
    auto again = parse_config(replaced(replaced(text, "secret = \"<redacted>\"", "secret = \"c2VjcmV0LWtleS1mb3ItdGVzdHMtMTIzNDU2Nzg5MDEyMzQ=\""),
                                       "sha256 = \"<redacted>\"", "sha256 = \"" + std::string(64, 'a') + "\""));
    ASSERT_TRUE(again.ok()) << again.error().message << "\n" << text;
    auto flat_again = flatten_settings(effective_settings(*again));
    EXPECT_EQ(flat_again, flat);
}

TEST(ReloadPlan, NothingChanged) {
    auto plan = plan_reload(parsed(kBase), parsed(kBase));
    ASSERT_TRUE(plan.ok());
    EXPECT_EQ(plan->zone, nullptr);
    EXPECT_FALSE(plan->log_levels);
    EXPECT_TRUE(plan->ignored.empty());
}

TEST(ReloadPlan, RecordsAndLevelsApplyEverythingElseIsIgnored) {
    const Config running = parsed(kBase);
    std::string text = replaced(kBase, "www 300 A 192.0.2.1", "www 300 A 192.0.2.99\", \"new TXT \\\"hello\\\"");
    text = replaced(text, "listen = [\"127.0.0.1:5300\"]", "listen = [\"127.0.0.1:5301\"]\n[zone.soa]\nttl = 99");
    text = replaced(text, "c2VjcmV0LWtleS1mb3ItdGVzdHMtMTIzNDU2Nzg5MDEyMzQ=", "b3RoZXI=");
    text = replaced(text, "level = \"info\"", "level = \"debug\"\n[log.modules]\ndns = \"warn\"");
    auto plan = plan_reload(running, parsed(text));
    ASSERT_TRUE(plan.ok()) << plan.error().message;
    EXPECT_TRUE(plan->log_levels);
    EXPECT_EQ(plan->ignored, (std::vector<std::string>{"dns.listen", "dns.tsig_keys", "zone.soa.ttl"}));
    ASSERT_NE(plan->zone, nullptr);
    // New records; the SOA settings stay those in use.
    EXPECT_EQ(plan->zone->spec().records.size(), 3u);
    EXPECT_EQ(plan->zone->spec().soa.ttl, running.zone->spec().soa.ttl);
    const auto www = core::Name::from_text("www.acme.example.test");
    ASSERT_TRUE(www.ok());
    const core::StaticNode* node = plan->zone->find(www->canonical_wire());
    ASSERT_NE(node, nullptr);
    EXPECT_EQ(node->find(core::rrtype::A)->rdatas.at(0), std::string("\xc0\x00\x02\x63", 4));
}

TEST(ReloadPlan, ANewApexIgnoresTheRecordsToo) {
    std::string text = replaced(kBase, "name = \"acme.example.test\"", "name = \"other.example.test\"");
    text = replaced(text, "nameservers = [\"ns1.acme.example.test\"]", "nameservers = [\"ns1.other.example.test\"]");
    auto plan = plan_reload(parsed(kBase), parsed(text));
    ASSERT_TRUE(plan.ok());
    EXPECT_EQ(plan->zone, nullptr);
    EXPECT_EQ(plan->ignored, (std::vector<std::string>{"zone.name", "zone.nameservers", "zone.records"}));
}

class ReloaderTest : public ::testing::Test {
protected:
    void SetUp() override {
        file_ = dir_.path() / "acmezone.toml";
        write(kBase + "[store]\npath = \"" + (dir_.path() / "data").string() + "\"\n");
        auto config = load_config(file_);
        ASSERT_TRUE(config.ok()) << config.error().message;
        running_ = std::move(config.value());
        auto opened = store::Store::open(running_.store);
        ASSERT_TRUE(opened.ok()) << opened.error().message;
        store_ = std::move(opened.value());
        writer_ = std::make_unique<store::Writer>(*store_, running_.zone);
        responder_ = std::make_shared<dns::Responder>(running_.zone);
    }
    void write(const std::string& text) { std::ofstream(file_) << text; }

    test::TempDir dir_;
    std::filesystem::path file_;
    Config running_;
    std::unique_ptr<store::Store> store_;
    std::unique_ptr<store::Writer> writer_;
    std::shared_ptr<dns::Responder> responder_;
};

TEST_F(ReloaderTest, AppliesRecordsKeepsTheOldZoneAliveAndSurvivesABadFile) {
    Reloader reloader(file_, running_, ReloadTargets{responder_.get(), writer_.get(), nullptr});
    const core::Zone& before = responder_->zone();
    write(replaced(kBase, "192.0.2.1", "192.0.2.7") + "[store]\npath = \"" + (dir_.path() / "data").string() + "\"\n");
    EXPECT_TRUE(reloader.reload());
    const core::Zone& after = responder_->zone();
    EXPECT_NE(&before, &after);
    EXPECT_EQ(before.spec().records.size(), 2u);  // still readable: kept until the Responder goes
    EXPECT_EQ(after.spec().records.at(1).rdata, std::string("\xc0\x00\x02\x07", 4));
    EXPECT_EQ(reloader.running().zone.get(), &after);

    write("[zone\nname = ");  // not TOML
    EXPECT_FALSE(reloader.reload());
    EXPECT_EQ(&responder_->zone(), &after);
    std::filesystem::remove(file_);
    EXPECT_FALSE(reloader.reload());
    EXPECT_EQ(&responder_->zone(), &after);
}

}  // namespace
}  // namespace acmezone::app
