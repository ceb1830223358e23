// [dns.notify] and [propagation]: defaults, every key read, keys resolved against
// dns.transfer.keys, and errors that name the key.
#include <gtest/gtest.h>

#include <string>

#include "app/config.hpp"

namespace acmezone::app {
namespace {

const std::string kBase = R"(
[zone]
name = "acme.example.test"
nameservers = ["ns1.example.net"]
hostmaster = "hostmaster.example.net"
[dns]
listen = ["127.0.0.1:5300"]
)";

const std::string kKeys = R"(
[dns.transfer]
keys = ["xfr-a"]
[[dns.transfer_keys]]
name = "xfr-a"
secret = "c2VjcmV0"
[[dns.transfer_keys]]
name = "xfr-unlisted"
secret = "c2VjcmV0"
)";

core::Result<Config> parse(const std::string& extra) { return parse_config(kBase + extra, "test"); }

void expect_error(const std::string& extra, const std::string& needle) {
    auto config = parse(extra);
    ASSERT_FALSE(config) << "accepted: " << extra;
    EXPECT_NE(config.error().message.find(needle), std::string::npos) << config.error().message;
}

TEST(ConfigNotify, DefaultsNotifyNobody) {
    auto config = parse("");
    ASSERT_TRUE(config) << config.error().message;
    EXPECT_TRUE(config->dns.notify.targets.empty());
    EXPECT_EQ(config->dns.notify.retries, 5u);
    EXPECT_EQ(config->dns.notify.initial_interval, std::chrono::milliseconds(1000));
    EXPECT_EQ(config->dns.notify.max_interval, std::chrono::milliseconds(60000));
    EXPECT_TRUE(config->propagation.nameservers.empty());
    EXPECT_EQ(config->propagation.timeout_ms, 2000u);
    EXPECT_EQ(config->propagation.wait_timeout_ms, 10000u);
    EXPECT_FALSE(config->propagation.wait_by_default);
}

TEST(ConfigNotify, EveryKeyIsRead) {
    auto config = parse(R"(
[dns.notify]
targets = ["127.0.0.1:5301", "[::1]:5302 key xfr-a"]
retries = 3
initial_interval_ms = 250
max_interval_ms = 4000
[propagation]
nameservers = ["192.0.2.53:53", "127.0.0.1:5301"]
timeout_ms = 500
wait_timeout_ms = 3000
wait_by_default = true
)" + kKeys);
    ASSERT_TRUE(config) << config.error().message;
    const auto& notify = config->dns.notify;
    ASSERT_EQ(notify.targets.size(), 2u);
    EXPECT_EQ(notify.targets[0].endpoint.text, "127.0.0.1:5301");
    EXPECT_FALSE(notify.targets[0].key);
    EXPECT_EQ(notify.targets[1].endpoint.text, "[::1]:5302");
    ASSERT_TRUE(notify.targets[1].key);
    EXPECT_EQ(notify.targets[1].key->name.to_text(), "xfr-a.");
    EXPECT_EQ(notify.retries, 3u);
    EXPECT_EQ(notify.initial_interval, std::chrono::milliseconds(250));
    EXPECT_EQ(notify.max_interval, std::chrono::milliseconds(4000));
    // The NOTIFY targets first, then the others; a target listed again is not asked twice.
    const auto& ns = config->propagation.nameservers;
    ASSERT_EQ(ns.size(), 3u);
    EXPECT_EQ(ns[0].text, "127.0.0.1:5301");
    EXPECT_EQ(ns[1].text, "[::1]:5302");
    EXPECT_EQ(ns[2].text, "192.0.2.53:53");
    EXPECT_EQ(config->propagation.timeout_ms, 500u);
    EXPECT_EQ(config->propagation.wait_timeout_ms, 3000u);
    EXPECT_TRUE(config->propagation.wait_by_default);
}

TEST(ConfigNotify, ErrorsNameTheKey) {
    expect_error("[dns.notify]\ntargets = [\"nowhere\"]\n", "dns.notify.targets[0]");
    expect_error("[dns.notify]\ntargets = [\"127.0.0.1:5301 key\"]\n", "dns.notify.targets[0]");
    expect_error("[dns.notify]\ntargets = [\"127.0.0.1:5301 secret xfr-a\"]\n", "expected");
    expect_error("[dns.notify]\ntargets = [\"127.0.0.1:5301 key nope\"]\n" + kKeys, "not in dns.transfer.keys");
    expect_error("[dns.notify]\ntargets = [\"127.0.0.1:5301 key xfr-unlisted\"]\n" + kKeys, "not in dns.transfer.keys");
    expect_error("[dns.notify]\ntargets = [\"127.0.0.1:5301\", \"127.0.0.1:5301\"]\n", "listed twice");
    expect_error("[dns.notify]\nretries = 99\n", "dns.notify.retries");
    expect_error("[dns.notify]\ninitial_interval_ms = 5000\nmax_interval_ms = 1000\n", "max_interval_ms");
    expect_error("[dns.notify]\ntarget = []\n", "dns.notify.target");
    expect_error("[propagation]\nnameservers = [\"x\"]\n", "propagation.nameservers[0]");
    expect_error("[propagation]\ntimeout_ms = 0\n", "propagation.timeout_ms");
    expect_error("[propagation]\nwait = true\n", "propagation.wait");
}

}  // namespace
}  // namespace acmezone::app
