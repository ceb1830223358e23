// [dns.update] and [[dns.tsig_keys]]: defaults, every key read, and errors that name the key.
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
records = ["fixed TXT \"static\""]
[dns]
listen = ["127.0.0.1:5300"]
)";

core::Result<Config> parse(const std::string& extra) { return parse_config(kBase + extra, "test"); }

TEST(ConfigUpdate, Defaults) {
    auto config = parse("");
    ASSERT_TRUE(config) << config.error().message;
    const auto& u = config->dns.update;
    EXPECT_TRUE(u.enabled);
    EXPECT_TRUE(u.alias_mode);
    EXPECT_FALSE(u.allow_hmac_md5);
    EXPECT_EQ(u.fudge_seconds, 300u);
    EXPECT_TRUE(u.tsig_keys.empty());
}

TEST(ConfigUpdate, EveryKeyIsRead) {
    auto config = parse(R"(
[dns.update]
enabled = false
alias_mode = false
allow_hmac_md5 = true
fudge_seconds = 60
[[dns.tsig_keys]]
name = "Zone-Key"
secret = "c2VjcmV0"
zone = true
[[dns.tsig_keys]]
name = "legacy"
algorithm = "HMAC-MD5"
secret = "c2VjcmV0"
names = ["a", "b.c"]
)");
    ASSERT_TRUE(config) << config.error().message;
    const auto& u = config->dns.update;
    EXPECT_FALSE(u.enabled);
    EXPECT_FALSE(u.alias_mode);
    EXPECT_TRUE(u.allow_hmac_md5);
    EXPECT_EQ(u.fudge_seconds, 60u);
    ASSERT_EQ(u.tsig_keys.size(), 2u);
    EXPECT_EQ(u.tsig_keys[0].key.name.to_text(), "Zone-Key.");
    EXPECT_EQ(u.tsig_keys[0].key.algorithm, dns::TsigAlgorithm::hmac_sha256);
    EXPECT_EQ(u.tsig_keys[0].key.secret, "secret");
    EXPECT_TRUE(u.tsig_keys[0].zone_wide);
    EXPECT_EQ(u.tsig_keys[1].key.algorithm, dns::TsigAlgorithm::hmac_md5);
    ASSERT_EQ(u.tsig_keys[1].names.size(), 2u);
    EXPECT_EQ(u.tsig_keys[1].names[1].to_text(), "b.c.acme.example.test.");
}

TEST(ConfigUpdate, ErrorsNameTheKey) {
    const std::pair<const char*, const char*> cases[] = {
        {"[dns.update]\nfudge_seconds = 0\n", "dns.update.fudge_seconds"},
        {"[dns.update]\nenable = true\n", "dns.update.enable"},
        {"[[dns.tsig_keys]]\nname = \"k\"\nsecret = \"c2VjcmV0\"\n", "dns.tsig_keys[0].zone"},
        {"[[dns.tsig_keys]]\nname = \"k\"\nsecret = \"c2VjcmV0\"\nzone = true\nnames = [\"a\"]\n", "dns.tsig_keys[0].zone"},
        {"[[dns.tsig_keys]]\nname = \"k\"\nsecret = \"not base64!\"\nzone = true\n", "dns.tsig_keys[0].secret"},
        {"[[dns.tsig_keys]]\nname = \"k\"\nzone = true\n", "dns.tsig_keys[0].secret"},
        {"[[dns.tsig_keys]]\nname = \"k\"\nalgorithm = \"hmac-sha3\"\nsecret = \"c2VjcmV0\"\nzone = true\n", "dns.tsig_keys[0].algorithm"},
        {"[[dns.tsig_keys]]\nname = \"k\"\nalgorithm = \"hmac-md5\"\nsecret = \"c2VjcmV0\"\nzone = true\n", "allow_hmac_md5"},
        {"[[dns.tsig_keys]]\nname = \"k\"\nsecret = \"c2VjcmV0\"\nnames = [\"fixed\"]\n", "dns.tsig_keys[0].names[0]"},
        {"[[dns.tsig_keys]]\nname = \"k\"\nsecret = \"c2VjcmV0\"\nnames = [\"x.other.test.\"]\n", "dns.tsig_keys[0].names[0]"},
        {"[[dns.tsig_keys]]\nname = \"k\"\nsecret = \"c2VjcmV0\"\nzone = true\nscope = 1\n", "dns.tsig_keys[0].scope"},
        {"[[dns.tsig_keys]]\nname = \"k\"\nsecret = \"c2VjcmV0\"\nzone = true\n[[dns.tsig_keys]]\nname = \"K.\"\nsecret = \"c2VjcmV0\"\nzone = true\n",
         "twice"},
    };
    for (const auto& [extra, expected] : cases) {
        auto config = parse(extra);
        ASSERT_FALSE(config) << extra;
        EXPECT_NE(config.error().message.find(expected), std::string::npos) << extra << " -> " << config.error().message;
    }
}

}  // namespace
}  // namespace acmezone::app
