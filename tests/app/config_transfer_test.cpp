// [dns.transfer], [[dns.transfer_keys]], [zone.journal] and zone.soa.serial_policy: defaults,
// every key read, and errors that name the key.
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

core::Result<Config> parse(const std::string& extra) { return parse_config(kBase + extra, "test"); }

void expect_error(const std::string& extra, const std::string& needle) {
    auto config = parse(extra);
    ASSERT_FALSE(config) << "accepted: " << extra;
    EXPECT_NE(config.error().message.find(needle), std::string::npos) << config.error().message;
}

TEST(ConfigTransfer, DefaultsDenyTransfersAndKeepAJournal) {
    auto config = parse("");
    ASSERT_TRUE(config) << config.error().message;
    EXPECT_FALSE(config->dns.transfer.enabled());
    EXPECT_EQ(config->serial_policy, store::SerialPolicy::increment);
    EXPECT_TRUE(config->journal.enabled);
    EXPECT_EQ(config->journal.max_entries, 10000u);
    const auto options = writer_options(*config);
    EXPECT_EQ(options.journal.max_entries, 10000u);
}

TEST(ConfigTransfer, EveryKeyIsRead) {
    auto config = parse(R"(
[dns.transfer]
allow = ["192.0.2.0/24", "[2001:db8::1]/128"]
keys = ["xfr-b"]
[[dns.transfer_keys]]
name = "xfr-a"
secret = "c2VjcmV0"
[[dns.transfer_keys]]
name = "XFR-B"
algorithm = "hmac-sha512"
secret = "c2VjcmV0"
[zone.soa]
serial_policy = "unixtime"
[zone.journal]
enabled = false
max_entries = 5
max_bytes = 4096
max_age_seconds = 60
)");
    ASSERT_TRUE(config) << config.error().message;
    const auto& t = config->dns.transfer;
    ASSERT_EQ(t.allow.size(), 2u);
    ASSERT_EQ(t.keys.size(), 1u);  // only the listed one is allowed to transfer
    EXPECT_EQ(t.keys[0].name.to_canonical_text(), "xfr-b.");
    EXPECT_EQ(t.keys[0].algorithm, dns::TsigAlgorithm::hmac_sha512);
    EXPECT_EQ(t.keys[0].secret, "secret");
    EXPECT_EQ(config->serial_policy, store::SerialPolicy::unixtime);
    EXPECT_FALSE(config->journal.enabled);
    EXPECT_EQ(config->journal.max_entries, 5u);
    EXPECT_EQ(config->journal.max_bytes, 4096u);
    EXPECT_EQ(config->journal.max_age_seconds, 60u);
}

TEST(ConfigTransfer, ErrorsNameTheKey) {
    expect_error("[dns.transfer]\nallow = [\"10.0.0.1\"]\n", "dns.transfer.allow[0]");
    expect_error("[dns.transfer]\nkeys = [\"nope\"]\n", "dns.transfer.keys[0]");
    expect_error("[dns.transfer]\nallw = []\n", "allw");
    expect_error("[[dns.transfer_keys]]\nname = \"k\"\nsecret = \"!!\"\n", "secret");
    expect_error("[[dns.transfer_keys]]\nname = \"k\"\nalgorithm = \"hmac-md5\"\nsecret = \"c2VjcmV0\"\n", "algorithm");
    expect_error("[[dns.transfer_keys]]\nname = \"k\"\nsecret = \"c2VjcmV0\"\n[[dns.transfer_keys]]\nname = \"K\"\nsecret = \"c2VjcmV0\"\n",
                 "defined twice");
    // One name cannot be both an update key and a transfer key.
    expect_error("[[dns.tsig_keys]]\nname = \"k\"\nsecret = \"c2VjcmV0\"\nzone = true\n"
                 "[[dns.transfer_keys]]\nname = \"k\"\nsecret = \"c2VjcmV0\"\n",
                 "also an update key");
    expect_error("[zone.soa]\nserial_policy = \"date\"\n", "zone.soa.serial_policy");
    expect_error("[zone.journal]\nmax_entries = -1\n", "zone.journal.max_entries");
    expect_error("[zone.journal]\nsize = 1\n", "size");
}

}  // namespace
}  // namespace acmezone::app
