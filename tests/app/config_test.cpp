#include "app/config.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "core/rr.hpp"

namespace acmezone::app {
namespace {

// A complete, valid config; tests replace one line at a time.
const std::string kGood = R"(
[zone]
name = "acme.example.test"
nameservers = ["ns1.acme.example.test", "ns2.other.test."]
hostmaster = "hostmaster.example.test"
records = ["ns1 A 127.0.0.1", "@ CAA 0 issue \"letsencrypt.org\"", "www 300 AAAA ::1"]
default_ttl = 600
ns_ttl = 7200
txt_ttl = 5
max_txt_per_name = 4

[zone.soa]
ttl = 60
refresh = 1000
retry = 100
expire = 100000
minimum = 20

[dns]
listen = ["127.0.0.1:5300", "[::1]:5300"]
udp_workers = 2
tcp_idle_timeout_ms = 2000
tcp_read_timeout_ms = 1000
tcp_max_connections = 100
tcp_max_connections_per_ip = 10

[store]
path = "/var/lib/acmezone"
map_size_mb = 64

[log]
level = "debug"
format = "text"
)";

const std::string kMinimal = R"(
[zone]
name = "acme.example.test"
nameservers = ["ns1.example.net"]
hostmaster = "hostmaster.example.test"
)";

// kGood with the first line that starts with `key` replaced by `replacement` (or dropped when empty).
std::string with_line(const std::string& base, const std::string& key, const std::string& replacement) {
    std::string out;
    std::size_t pos = 0;
    bool done = false;
    while (pos < base.size()) {
        std::size_t end = base.find('\n', pos);
        if (end == std::string::npos) end = base.size();
        std::string line = base.substr(pos, end - pos);
        if (!done && line.rfind(key + " =", 0) == 0) {
            done = true;
            if (!replacement.empty()) out += replacement + "\n";
        } else {
            out += line + "\n";
        }
        pos = end + 1;
    }
    EXPECT_TRUE(done) << "no line for key " << key;
    return out;
}

std::string error_of(const std::string& text) {
    auto config = parse_config(text, "test.toml");
    EXPECT_FALSE(config.ok()) << "config was accepted";
    return config ? std::string() : config.error().message;
}

TEST(Config, GoodFileGivesTypedOptions) {
    auto config = parse_config(kGood);
    ASSERT_TRUE(config.ok()) << config.error().message;
    const auto& spec = config->zone->spec();
    EXPECT_EQ(spec.apex.to_text(), "acme.example.test.");
    ASSERT_EQ(spec.nameservers.size(), 2u);
    EXPECT_EQ(spec.nameservers[0].to_text(), "ns1.acme.example.test.");
    EXPECT_EQ(spec.nameservers[1].to_text(), "ns2.other.test.");
    EXPECT_EQ(spec.hostmaster.to_text(), "hostmaster.example.test.");
    EXPECT_EQ(config->default_ttl, 600u);
    EXPECT_EQ(spec.ns_ttl, 7200u);
    EXPECT_EQ(spec.txt_ttl, 5u);
    EXPECT_EQ(spec.max_txt_per_name, 4u);
    EXPECT_EQ(spec.soa.ttl, 60u);
    EXPECT_EQ(spec.soa.refresh, 1000u);
    EXPECT_EQ(spec.soa.retry, 100u);
    EXPECT_EQ(spec.soa.expire, 100000u);
    EXPECT_EQ(spec.soa.minimum, 20u);

    ASSERT_EQ(spec.records.size(), 3u);
    EXPECT_EQ(spec.records[0].owner.to_text(), "ns1.acme.example.test.");
    EXPECT_EQ(spec.records[0].type, core::rrtype::A);
    EXPECT_EQ(spec.records[0].ttl, 600u);  // default_ttl applies
    EXPECT_EQ(spec.records[0].rdata, std::string("\x7f\x00\x00\x01", 4));
    EXPECT_EQ(spec.records[1].owner, spec.apex);
    EXPECT_EQ(spec.records[1].type, core::rrtype::CAA);
    EXPECT_EQ(spec.records[2].ttl, 300u);  // its own TTL wins

    ASSERT_EQ(config->dns.listen.size(), 2u);
    EXPECT_EQ(config->dns.listen[0].text, "127.0.0.1:5300");
    EXPECT_EQ(config->dns.listen[0].addr.ss_family, AF_INET);
    EXPECT_EQ(config->dns.listen[1].addr.ss_family, AF_INET6);
    EXPECT_EQ(config->dns.udp.workers, 2u);
    EXPECT_EQ(config->dns.tcp.idle_timeout.count(), 2000);
    EXPECT_EQ(config->dns.tcp.read_timeout.count(), 1000);
    EXPECT_EQ(config->dns.tcp.max_connections, 100u);
    EXPECT_EQ(config->dns.tcp.max_connections_per_ip, 10u);
    EXPECT_EQ(config->store.path, "/var/lib/acmezone");
    EXPECT_EQ(config->store.map_size, std::size_t{64} << 20);
    EXPECT_EQ(config->log.level, spdlog::level::debug);
    EXPECT_TRUE(config->warnings.empty());
}

TEST(Config, DefaultsMatchCoreAndStore) {
    auto config = parse_config(kMinimal);
    ASSERT_TRUE(config.ok()) << config.error().message;
    const core::ZoneSpec defaults;
    const auto& spec = config->zone->spec();
    EXPECT_EQ(spec.soa.ttl, defaults.soa.ttl);
    EXPECT_EQ(spec.soa.refresh, defaults.soa.refresh);
    EXPECT_EQ(spec.soa.retry, defaults.soa.retry);
    EXPECT_EQ(spec.soa.expire, defaults.soa.expire);
    EXPECT_EQ(spec.soa.minimum, defaults.soa.minimum);
    EXPECT_EQ(spec.ns_ttl, defaults.ns_ttl);
    EXPECT_EQ(spec.txt_ttl, defaults.txt_ttl);
    EXPECT_EQ(spec.max_txt_per_name, defaults.max_txt_per_name);
    EXPECT_TRUE(spec.records.empty());
    EXPECT_EQ(config->default_ttl, 3600u);

    const store::StoreOptions store_defaults;
    EXPECT_EQ(config->store.path, store_defaults.path);
    EXPECT_EQ(config->store.map_size, store_defaults.map_size);

    const dns::TcpOptions tcp_defaults;
    EXPECT_EQ(config->dns.tcp.idle_timeout, tcp_defaults.idle_timeout);
    EXPECT_EQ(config->dns.tcp.read_timeout, tcp_defaults.read_timeout);
    EXPECT_EQ(config->dns.tcp.max_connections, tcp_defaults.max_connections);
    EXPECT_EQ(config->dns.tcp.max_connections_per_ip, tcp_defaults.max_connections_per_ip);
    EXPECT_EQ(config->dns.udp.workers, 0u);
    ASSERT_EQ(config->dns.listen.size(), 1u);
    EXPECT_EQ(config->dns.listen[0].text, "127.0.0.1:5353");
    EXPECT_EQ(config->log.level, spdlog::level::info);
    EXPECT_EQ(config->log.format, "text");
}

TEST(Config, ShippedConfigLoads) {
    auto config = load_config(std::filesystem::path(ACMEZONE_SOURCE_DIR) / "config" / "acmezone.toml");
    ASSERT_TRUE(config.ok()) << config.error().message;
    EXPECT_EQ(config->zone->apex().to_text(), "acme.example.test.");
    EXPECT_EQ(config->dns.listen.at(0).text, "127.0.0.1:5353");
    EXPECT_EQ(config->store.path, "data");
    EXPECT_TRUE(config->warnings.empty()) << config->warnings.front();  // ns1 has its A record
}

TEST(Config, HostmasterEmailFormIsConverted) {
    auto simple = parse_hostmaster("hostmaster@example.test");
    ASSERT_TRUE(simple.ok()) << simple.error().message;
    EXPECT_EQ(simple->to_text(), "hostmaster.example.test.");

    // RFC 1035 §8: a dot in the local part stays inside the first label.
    auto dotted = parse_hostmaster("dns.admin@example.test");
    ASSERT_TRUE(dotted.ok()) << dotted.error().message;
    EXPECT_EQ(dotted->labels().front(), "dns.admin");
    EXPECT_EQ(dotted->label_count(), 3u);

    auto config = parse_config(with_line(kGood, "hostmaster", "hostmaster = \"admin@example.test\""));
    ASSERT_TRUE(config.ok()) << config.error().message;
    EXPECT_EQ(config->zone->spec().hostmaster.to_text(), "admin.example.test.");
}

TEST(Config, BadHostmasterNamesKey) {
    for (const char* bad : {"a@b@example.test", "@example.test", "admin@", "bad name.example.test", "."}) {
        const std::string message = error_of(with_line(kGood, "hostmaster", std::string("hostmaster = \"") + bad + "\""));
        EXPECT_EQ(message.rfind("zone.hostmaster", 0), 0u) << bad << " -> " << message;
    }
}

TEST(Config, MissingRequiredKeysAreNamed) {
    EXPECT_EQ(error_of(with_line(kGood, "name", "")), "zone.name: missing (required)");
    EXPECT_EQ(error_of(with_line(kGood, "nameservers", "")), "zone.nameservers: missing (required)");
    EXPECT_EQ(error_of(with_line(kGood, "hostmaster", "")), "zone.hostmaster: missing (required)");
    EXPECT_EQ(error_of("[dns]\nlisten = [\"127.0.0.1:53\"]\n"), "zone.name: missing (required)");
}

TEST(Config, WrongTypesAreNamed) {
    EXPECT_EQ(error_of(with_line(kGood, "nameservers", "nameservers = \"ns1.acme.example.test\"")),
              "zone.nameservers: expected an array of names");
    EXPECT_EQ(error_of(with_line(kGood, "name", "name = 42")), "zone.name: expected a string, got an integer");
    EXPECT_EQ(error_of(with_line(kGood, "ns_ttl", "ns_ttl = \"3600\"")), "zone.ns_ttl: expected an integer, got a string");
    EXPECT_EQ(error_of(with_line(kGood, "ttl", "ttl = 1.5")), "zone.soa.ttl: expected an integer, got a floating-point number");
    EXPECT_EQ(error_of(with_line(kGood, "listen", "listen = [\"127.0.0.1:53\", 53]")).rfind("dns.listen[1]: expected a string", 0),
              0u);
    EXPECT_EQ(error_of("zone = 3\n"), "zone: expected a table, got an integer");
    EXPECT_EQ(error_of(kMinimal + "[zone]\n").rfind("test.toml:", 0), 0u);  // [zone] twice: a TOML error
    EXPECT_EQ(error_of(with_line(kGood, "level", "level = true")), "log.level: expected a string, got a boolean");
}

TEST(Config, UnknownKeysAreErrors) {
    EXPECT_EQ(error_of(with_line(kGood, "listen", "lisen = [\"127.0.0.1:5300\"]")), "unknown key dns.lisen");
    EXPECT_EQ(error_of(kGood + "[metrics]\nenabled = true\n"), "unknown key metrics");
    EXPECT_EQ(error_of(with_line(kGood, "retry", "retry = 100\nretries = 3")), "unknown key zone.soa.retries");
    EXPECT_EQ(error_of(with_line(kGood, "name", "name = \"acme.example.test\"\nttl = 5")), "unknown key zone.ttl");
}

TEST(Config, NumbersOutOfRangeAreNamed) {
    EXPECT_EQ(error_of(with_line(kGood, "ns_ttl", "ns_ttl = -1")), "zone.ns_ttl: -1 is out of range (0..2147483647)");
    EXPECT_EQ(error_of(with_line(kGood, "txt_ttl", "txt_ttl = 2147483648")),
              "zone.txt_ttl: 2147483648 is out of range (0..2147483647)");
    EXPECT_EQ(error_of(with_line(kGood, "max_txt_per_name", "max_txt_per_name = 0")),
              "zone.max_txt_per_name: 0 is out of range (1..64)");
    EXPECT_EQ(error_of(with_line(kGood, "minimum", "minimum = -10")), "zone.soa.minimum: -10 is out of range (0..2147483647)");
    EXPECT_EQ(error_of(with_line(kGood, "udp_workers", "udp_workers = 100000")),
              "dns.udp_workers: 100000 is out of range (0..256)");
    EXPECT_EQ(error_of(with_line(kGood, "tcp_idle_timeout_ms", "tcp_idle_timeout_ms = 0")),
              "dns.tcp_idle_timeout_ms: 0 is out of range (1..3600000)");
    EXPECT_EQ(error_of(with_line(kGood, "map_size_mb", "map_size_mb = 0")), "store.map_size_mb: 0 is out of range (1..1048576)");
    EXPECT_EQ(error_of(with_line(kGood, "tcp_max_connections_per_ip", "tcp_max_connections_per_ip = 500")),
              "dns.tcp_max_connections_per_ip: 500 is above dns.tcp_max_connections (100)");
}

TEST(Config, BadListenAddressesAreNamed) {
    EXPECT_EQ(error_of(with_line(kGood, "listen", "listen = [\"127.0.0.1\"]")).rfind("dns.listen[0] \"127.0.0.1\": missing port", 0),
              0u);
    EXPECT_EQ(error_of(with_line(kGood, "listen", "listen = [\"127.0.0.1:53\", \"::1:53\"]")).rfind("dns.listen[1] \"::1:53\": ", 0),
              0u);
    EXPECT_EQ(error_of(with_line(kGood, "listen", "listen = [\"localhost:53\"]")).rfind("dns.listen[0] \"localhost:53\": ", 0), 0u);
    EXPECT_EQ(error_of(with_line(kGood, "listen", "listen = [\"127.0.0.1:99999\"]")).rfind("dns.listen[0] ", 0), 0u);
    EXPECT_EQ(error_of(with_line(kGood, "listen", "listen = []")), "dns.listen: at least one address is needed");
    EXPECT_EQ(error_of(with_line(kGood, "listen", "listen = [\"127.0.0.1:53\", \"127.0.0.1:053\"]")),
              "dns.listen[1] \"127.0.0.1:053\": listed twice (as \"127.0.0.1:53\")");
}

TEST(Config, BadRecordsNameTheirIndex) {
    const auto records = [](const std::string& list) { return with_line(kGood, "records", "records = [" + list + "]"); };
    EXPECT_EQ(error_of(records(R"("ns1 A 127.0.0.1", "www A not-an-address")")).rfind("zone.records[1] \"www A not-an-address\": ", 0),
              0u);
    EXPECT_EQ(error_of(records(R"("ns1 A 127.0.0.1", "x BOGUSTYPE 1")")).rfind("zone.records[1] ", 0), 0u);
    // Rules of core::Zone::build, mapped back to the entry.
    EXPECT_EQ(error_of(records(R"("ns1 A 127.0.0.1", "@ SOA a. b. 1 2 3 4 5")")).rfind("zone.records[1] ", 0), 0u);
    EXPECT_EQ(error_of(records(R"("ns1 A 127.0.0.1", "www A 127.0.0.2", "www CNAME ns1")")).rfind("zone.records[2] ", 0), 0u);
    EXPECT_EQ(error_of(records(R"("outside.example.org. A 127.0.0.1")")).rfind("zone.records[0] ", 0), 0u);
    EXPECT_EQ(error_of(records(R"("ns1 A 127.0.0.1", 7)")).rfind("zone.records[1]: expected a string", 0), 0u);
}

TEST(Config, BadNamesAreNamed) {
    EXPECT_EQ(error_of(with_line(kGood, "name", "name = \"bad..name\"")).rfind("zone.name \"bad..name\": ", 0), 0u);
    EXPECT_EQ(error_of(with_line(kGood, "name", "name = \".\"")), "zone.name: the root cannot be served");
    EXPECT_EQ(error_of(with_line(kGood, "nameservers", "nameservers = []")),
              "zone.nameservers: at least one name server is needed");
    EXPECT_EQ(error_of(with_line(kGood, "nameservers", "nameservers = [\"ns1.acme.example.test\", \"ns1\"]"))
                  .rfind("zone.nameservers[1] \"ns1\": expected a full domain name", 0),
              0u);
}

TEST(Config, LogSettingsAreChecked) {
    EXPECT_EQ(error_of(with_line(kGood, "level", "level = \"verbose\"")),
              "log.level: \"verbose\" is not one of trace, debug, info, warn, error");
    EXPECT_EQ(error_of(with_line(kGood, "format", "format = \"xml\"")), "log.format: \"xml\" is not one of text, json");
    EXPECT_TRUE(parse_config(with_line(kGood, "format", "format = \"json\"")).ok());
    for (const char* level : {"trace", "debug", "info", "warn", "error"}) {
        auto config = parse_config(with_line(kGood, "level", std::string("level = \"") + level + "\""));
        EXPECT_TRUE(config.ok()) << level;
    }
}

TEST(Config, InZoneNameserverWithoutAddressIsAWarning) {
    auto config = parse_config(with_line(kGood, "records", "records = [\"www A 127.0.0.1\"]"));
    ASSERT_TRUE(config.ok()) << config.error().message;
    ASSERT_EQ(config->warnings.size(), 1u);
    EXPECT_NE(config->warnings[0].find("ns1.acme.example.test."), std::string::npos) << config->warnings[0];
}

TEST(Config, SyntaxErrorsGiveFileLineAndColumn) {
    EXPECT_EQ(error_of("[zone]\nname = \"unterminated\n").rfind("test.toml:2:", 0), 0u);
}

TEST(Config, UnreadableFileIsNamed) {
    auto missing = load_config("/nonexistent/acmezone.toml");
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error().message.rfind("cannot read /nonexistent/acmezone.toml: ", 0), 0u) << missing.error().message;
    auto directory = load_config(std::filesystem::temp_directory_path());
    ASSERT_FALSE(directory.ok());
    EXPECT_NE(directory.error().message.find("is a directory"), std::string::npos);
}

}  // namespace
}  // namespace acmezone::app

namespace acmezone::app {
namespace {

const std::string kApi = kMinimal + R"(
[api]
enabled = true
listen = ["127.0.0.1:8443", "[::1]:8443"]
base_path = "/acme/"
registration = "open"
txt_values = 3
trusted_proxies = ["127.0.0.1/32", "[::1]/128"]
tls = "none"
allow_plain_http = false
threads = 8
max_connections = 100
max_body_bytes = 1024
max_header_bytes = 4096
read_timeout_ms = 1500
write_timeout_ms = 2500
keepalive_requests = 10
keepalive_timeout_ms = 3000

[[api.admin_tokens]]
name = "ops"
sha256 = "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD"
)";

TEST(ConfigApi, OffWithoutAnApiSection) {
    auto config = parse_config(kMinimal);
    ASSERT_TRUE(config) << config.error().message;
    EXPECT_FALSE(config->api.enabled);
}

TEST(ConfigApi, Defaults) {
    auto config = parse_config(kMinimal + "[api]\n");
    ASSERT_TRUE(config) << config.error().message;
    const auto& api = config->api;
    EXPECT_TRUE(api.enabled);
    EXPECT_FALSE(api.allow_plain_http);
    ASSERT_EQ(api.options.listen.size(), 1u);
    EXPECT_EQ(api.options.listen[0].host, "127.0.0.1");
    EXPECT_EQ(api.options.listen[0].port, 8053);
    EXPECT_EQ(api.options.registration, api::RegistrationMode::token);
    EXPECT_EQ(api.options.txt_values, 2u);
    EXPECT_EQ(api.options.tls, api::TlsMode::none);
    EXPECT_EQ(api.options.threads, 64u);
    EXPECT_EQ(api.options.max_body_bytes, 65536u);
    EXPECT_EQ(api.options.read_timeout_ms, 5000u);
    EXPECT_EQ(api.options.write_timeout_ms, 10000u);
    EXPECT_TRUE(api.options.base_path.empty());
    EXPECT_TRUE(api.options.admin_tokens.empty());
}

TEST(ConfigApi, EveryKeyIsRead) {
    auto config = parse_config(kApi);
    ASSERT_TRUE(config) << config.error().message;
    const auto& o = config->api.options;
    ASSERT_EQ(o.listen.size(), 2u);
    EXPECT_EQ(o.listen[1].host, "::1");
    EXPECT_EQ(o.listen[1].port, 8443);
    EXPECT_EQ(o.base_path, "/acme");
    EXPECT_EQ(o.registration, api::RegistrationMode::open);
    EXPECT_EQ(o.txt_values, 3u);
    ASSERT_EQ(o.trusted_proxies.size(), 2u);
    EXPECT_EQ(o.trusted_proxies[1].text, "::1/128");
    EXPECT_EQ(o.threads, 8u);
    EXPECT_EQ(o.max_connections, 100u);
    EXPECT_EQ(o.max_body_bytes, 1024u);
    EXPECT_EQ(o.max_header_bytes, 4096u);
    EXPECT_EQ(o.read_timeout_ms, 1500u);
    EXPECT_EQ(o.write_timeout_ms, 2500u);
    EXPECT_EQ(o.keepalive_requests, 10u);
    EXPECT_EQ(o.keepalive_timeout_ms, 3000u);
    ASSERT_EQ(o.admin_tokens.size(), 1u);
    EXPECT_EQ(o.admin_tokens[0].name, "ops");
    EXPECT_EQ(o.admin_tokens[0].sha256, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(ConfigApi, BadValuesAreNamed) {
    EXPECT_NE(error_of(with_line(kApi, "registration", "registration = \"maybe\"")).find("api.registration"), std::string::npos);
    EXPECT_NE(error_of(with_line(kApi, "tls", "tls = \"letsencrypt\"")).find("api.tls"), std::string::npos);
    EXPECT_NE(error_of(with_line(kApi, "tls", "tls = \"cert\"")).find("api.tls_cert"), std::string::npos);
    EXPECT_NE(error_of(with_line(kApi, "trusted_proxies", "trusted_proxies = [\"10.0.0.1\"]")).find("api.trusted_proxies[0]"),
              std::string::npos);
    EXPECT_NE(error_of(with_line(kApi, "base_path", "base_path = \"acme\"")).find("api.base_path"), std::string::npos);
    EXPECT_NE(error_of(with_line(kApi, "txt_values", "txt_values = 9")).find("zone.max_txt_per_name"), std::string::npos);
    EXPECT_NE(error_of(with_line(kApi, "threads", "threads = 0")).find("api.threads"), std::string::npos);
    EXPECT_NE(error_of(with_line(kApi, "sha256", "sha256 = \"abc\"")).find("api.admin_tokens[0].sha256"), std::string::npos);
    EXPECT_NE(error_of(with_line(kApi, "sha256", "")).find("api.admin_tokens[0].sha256: missing"), std::string::npos);
    EXPECT_NE(error_of(with_line(kApi, "enabled", "enabled = \"yes\"")).find("api.enabled: expected a boolean"),
              std::string::npos);
    EXPECT_NE(error_of(with_line(kApi, "listen", "listen = [\"127.0.0.1\"]")).find("api.listen[0]"), std::string::npos);
    EXPECT_NE(error_of(kApi + "bogus = 1\n").find("unknown key api.admin_tokens[0].bogus"), std::string::npos);
}

TEST(ConfigApi, PlainHttpOnlyOnLoopbackUnlessAllowed) {
    const std::string open = with_line(kApi, "listen", "listen = [\"0.0.0.0:8053\"]");
    EXPECT_NE(error_of(open).find("plain HTTP"), std::string::npos);
    EXPECT_TRUE(parse_config(with_line(open, "allow_plain_http", "allow_plain_http = true")));
    EXPECT_TRUE(parse_config(with_line(open, "enabled", "enabled = false")));
    const std::string tls = with_line(with_line(open, "tls", "tls = \"cert\"\ntls_cert = \"c.pem\"\ntls_key = \"k.pem\""),
                                      "allow_plain_http", "");
    EXPECT_TRUE(parse_config(tls)) << parse_config(tls).error().message;
    EXPECT_TRUE(parse_config(with_line(kApi, "listen", "listen = [\"[::ffff:127.0.0.1]:8053\"]")));
}

}  // namespace
}  // namespace acmezone::app

// [credentials] and [audit] (issue 4: credentials for admins).
namespace acmezone::app {
namespace {

TEST(Config, CredentialsAndAuditSections) {
    auto defaults = parse_config(kMinimal);
    ASSERT_TRUE(defaults.ok()) << defaults.error().message;
    EXPECT_EQ(defaults->api.options.default_scheme, core::LabelScheme::reverse);
    EXPECT_EQ(defaults->audit.retention_days, 90u);
    EXPECT_EQ(defaults->audit.max_events, 1000000u);

    auto set = parse_config(kMinimal + "[credentials]\ndefault_scheme = \"hash\"\n[audit]\nretention_days = 7\nmax_events = 500\n");
    ASSERT_TRUE(set.ok()) << set.error().message;
    EXPECT_EQ(set->api.options.default_scheme, core::LabelScheme::hash);
    EXPECT_EQ(set->audit.retention_days, 7u);
    EXPECT_EQ(set->audit.max_events, 500u);

    EXPECT_NE(error_of(kMinimal + "[credentials]\ndefault_scheme = \"rot13\"\n").find("credentials.default_scheme"), std::string::npos);
    EXPECT_NE(error_of(kMinimal + "[credentials]\nscheme = \"hash\"\n").find("scheme"), std::string::npos);
    EXPECT_NE(error_of(kMinimal + "[audit]\nretention_days = -1\n").find("audit.retention_days"), std::string::npos);
}

}  // namespace
}  // namespace acmezone::app
