// app/config: the TOML config file turned into typed, validated options. Everything is checked
// here, before any socket or the store is opened: types, ranges, unknown keys, names, listen
// addresses, and the static records (parsed and built into a core::Zone). Errors name the key
// ("zone.records[1]: ..."). The result is plain data; safe to share once built.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <spdlog/common.h>

#include "api/options.hpp"
#include "app/config_notify.hpp"
#include "app/config_update.hpp"
#include "app/logging.hpp"
#include "core/result.hpp"
#include "core/zone.hpp"
#include "dns/delegation_check.hpp"
#include "dns/endpoint.hpp"
#include "dns/tcp_server.hpp"
#include "dns/transfer.hpp"
#include "dns/udp_workers.hpp"
#include "store/audit.hpp"
#include "store/journal.hpp"
#include "store/store.hpp"
#include "store/writer.hpp"

namespace acmezone::app {

inline constexpr std::uint32_t kMaxTtl = 2147483647;  // RFC 2181 §8: TTLs are 31-bit
inline constexpr std::uint32_t kDefaultStaticTtl = 3600;
inline constexpr std::uint32_t kMaxTxtPerNameLimit = 64;  // keeps a TXT answer small enough to stay useful

struct DnsConfig {
    std::vector<dns::Endpoint> listen;  // UDP and TCP on each
    dns::UdpOptions udp;
    dns::TcpOptions tcp;
    DnsUpdateConfig update;  // [dns.update] and [[dns.tsig_keys]] (RFC 2136 + TSIG)
    dns::TransferAcl transfer;  // [dns.transfer] and [[dns.transfer_keys]] (AXFR/IXFR; deny by default)
    dns::NotifyOptions notify;  // [dns.notify]: NOTIFY targets (RFC 1996), retries, intervals
};

struct ApiConfig {
    bool enabled = true;            // default true in an [api] section; false without one
    bool allow_plain_http = false;  // plain HTTP on a non-loopback address (behind a TLS proxy)
    api::ApiOptions options;        // listen defaults to 127.0.0.1:8053
};

struct LogConfig {
    spdlog::level::level_enum level = spdlog::level::info;
    std::string format = "text";  // "text" or "json" (app/logging)
    ModuleLevels modules;         // [log.modules]: per-module levels overriding `level`
};

// [server]: the account `serve` switches to after binding when started as root (app/privileges).
struct ServerConfig {
    std::string user;   // "" = stay as started
    std::string group;  // "" = the user's primary group
};

struct Config {
    std::shared_ptr<const core::Zone> zone;      // apex, NS, SOA settings, static records (validated)
    std::uint32_t default_ttl = kDefaultStaticTtl;  // TTL given to static records that name none
    DnsConfig dns;
    ApiConfig api;
    store::StoreOptions store;
    LogConfig log;
    ServerConfig server;
    store::AuditRetention audit;  // [audit]; [credentials] default_scheme is read into api.options.default_scheme
    dns::ResolverOptions check;             // [check]: the resolver `acmezone check` and /admin/check ask
    std::uint32_t txt_max_age_seconds = 0;  // zone.txt_max_age_seconds: TXT values older are swept; 0 keeps them
    store::SerialPolicy serial_policy = store::SerialPolicy::increment;  // zone.soa.serial_policy
    store::JournalLimits journal;                                        // [zone.journal] (IXFR history)
    PropagationConfig propagation;  // [propagation]: nameservers asked by /admin/propagation and `acmezone propagation`
    // [limits] are read into api.options.limits.
    std::vector<std::string> warnings;  // worth telling the operator, not worth refusing to start
};

// `source` names the text in syntax errors ("acmezone.toml:3:7: ...").
core::Result<Config> parse_config(std::string_view text, std::string_view source = "config");
// Reads and parses a file; a missing or unreadable file is an error naming the path.
core::Result<Config> load_config(const std::filesystem::path& path);

// zone.hostmaster as a name: "hostmaster.example.test" as is, or the e-mail form
// "host.master@example.test" converted to "host\.master.example.test." (RFC 1035 §8).
core::Result<core::Name> parse_hostmaster(std::string_view text);

// The writer's options from config (serial policy, journal bounds, audit retention): every
// process that writes (serve and the CLI) should build its writer with these.
store::WriterOptions writer_options(const Config& config);

// "trace" ... "error" -> the spdlog level; nullopt for anything else.
std::optional<spdlog::level::level_enum> parse_log_level(std::string_view text);

}  // namespace acmezone::app
