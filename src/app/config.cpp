#include "app/config.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include <toml++/toml.h>

#include "app/config_limits.hpp"
#include "app/config_rrl.hpp"
#include "app/config_transfer.hpp"
#include "app/toml_section.hpp"
#include "core/rr.hpp"
#include "dns/zone_text.hpp"

namespace acmezone::app {

using core::Errc;
using core::make_error;
using core::Name;

namespace {

// A config value quoted for an error message, with quotes and backslashes escaped.
std::string in_quotes(std::string_view text) {
    std::string out = "\"";
    for (char c : text) {
        if (c == '"' || c == '\\') out.push_back('\\');
        out.push_back(c);
    }
    out.push_back('"');
    return out;
}

core::Error element_error(std::string_view key, std::size_t index, std::string_view value, std::string_view problem) {
    return make_error(Errc::invalid_argument,
                      std::string(key) + "[" + std::to_string(index) + "] " + in_quotes(value) + ": " + std::string(problem));
}

// `message` without a leading `prefix` (other modules name the value themselves; here the
// key already does).
std::string without_prefix(std::string message, std::string_view prefix) {
    if (message.starts_with(prefix)) message.erase(0, prefix.size());
    return message;
}

// Everything read from [zone] and [zone.soa] before the zone is built.
struct ZoneInput {
    core::ZoneSpec spec;
    std::vector<std::string> record_lines;
    std::uint32_t default_ttl = kDefaultStaticTtl;
};

core::Status read_zone(const Section& zone, const Section& soa, ZoneInput& in) {
    std::string name_text;
    if (auto st = zone.read_string("name", name_text, true); !st) return st;
    auto apex = Name::from_text(name_text);
    if (!apex) return make_error(Errc::invalid_argument, "zone.name " + in_quotes(name_text) + ": " + apex.error().message);
    if (apex->is_root()) return make_error(Errc::invalid_argument, "zone.name: the root cannot be served");
    in.spec.apex = *apex;

    std::vector<std::string> ns_texts;
    if (auto st = zone.read_string_array("nameservers", "names", ns_texts, true); !st) return st;
    if (ns_texts.empty()) return make_error(Errc::invalid_argument, "zone.nameservers: at least one name server is needed");
    for (std::size_t i = 0; i < ns_texts.size(); ++i) {
        auto ns = Name::from_text(ns_texts[i]);
        if (!ns) return element_error("zone.nameservers", i, ns_texts[i], ns.error().message);
        // A one-label name is almost surely a relative name meant inside the zone; names here are absolute.
        if (ns->label_count() < 2)
            return element_error("zone.nameservers", i, ns_texts[i],
                                 "expected a full domain name (names here are absolute, e.g. \"ns1." +
                                     apex->to_text() + "\")");
        in.spec.nameservers.push_back(*ns);
    }

    std::string hostmaster_text;
    if (auto st = zone.read_string("hostmaster", hostmaster_text, true); !st) return st;
    auto hostmaster = parse_hostmaster(hostmaster_text);
    if (!hostmaster)
        return make_error(Errc::invalid_argument, "zone.hostmaster " + in_quotes(hostmaster_text) + ": " + hostmaster.error().message);
    in.spec.hostmaster = *hostmaster;

    auto& spec = in.spec;
    for (auto st : {zone.read_uint("default_ttl", 0, kMaxTtl, in.default_ttl), zone.read_uint("ns_ttl", 0, kMaxTtl, spec.ns_ttl),
                    zone.read_uint("txt_ttl", 0, kMaxTtl, spec.txt_ttl),
                    zone.read_uint("max_txt_per_name", 1, kMaxTxtPerNameLimit, spec.max_txt_per_name),
                    soa.read_uint("ttl", 0, kMaxTtl, spec.soa.ttl), soa.read_uint("refresh", 0, kMaxTtl, spec.soa.refresh),
                    soa.read_uint("retry", 0, kMaxTtl, spec.soa.retry), soa.read_uint("expire", 0, kMaxTtl, spec.soa.expire),
                    soa.read_uint("minimum", 0, kMaxTtl, spec.soa.minimum)}) {
        if (!st) return st;
    }
    return zone.read_string_array("records", "records", in.record_lines);
}

core::Result<std::shared_ptr<const core::Zone>> build_zone(ZoneInput in) {
    for (std::size_t i = 0; i < in.record_lines.size(); ++i) {
        auto rr = dns::parse_record_line(in.record_lines[i], in.spec.apex, in.default_ttl);
        if (!rr)
            return element_error("zone.records", i, in.record_lines[i],
                                 without_prefix(rr.error().message, "record " + in_quotes(in.record_lines[i]) + ": "));
        in.spec.records.push_back(std::move(rr.value()));
    }
    auto zone = core::Zone::build(in.spec);
    if (zone) return std::make_shared<const core::Zone>(std::move(zone.value()));

    // Zone::build names the owner but not the entry; rebuild growing prefixes of the record
    // list to find the first entry that breaks a rule (only on this error path).
    for (std::size_t i = 0; i < in.spec.records.size(); ++i) {
        core::ZoneSpec partial = in.spec;
        partial.records.resize(i + 1);
        auto attempt = core::Zone::build(std::move(partial));
        if (attempt) continue;
        return element_error("zone.records", i, in.record_lines[i],
                             without_prefix(attempt.error().message, "zone.records: "));
    }
    return std::move(zone).error();
}

// In-zone name servers need addresses among the static records, or resolvers cannot reach them.
void check_nameserver_glue(const core::Zone& zone, std::vector<std::string>& warnings) {
    const auto& spec = zone.spec();
    for (std::size_t i = 0; i < spec.nameservers.size(); ++i) {
        const Name& ns = spec.nameservers[i];
        if (!ns.is_at_or_below(spec.apex)) continue;
        const core::StaticNode* node = zone.find(ns.canonical_wire());
        if (node && (node->find(core::rrtype::A) || node->find(core::rrtype::AAAA))) continue;
        warnings.push_back("zone.nameservers[" + std::to_string(i) + "] " + ns.to_text() +
                           " is inside the zone but has no A or AAAA record in zone.records");
    }
}

core::Status read_dns(const Section& section, DnsConfig& out) {
    std::vector<std::string> listen{"127.0.0.1:5353"};
    if (auto st = section.read_string_array("listen", "addresses", listen); !st) return st;
    if (listen.empty()) return make_error(Errc::invalid_argument, "dns.listen: at least one address is needed");
    for (std::size_t i = 0; i < listen.size(); ++i) {
        auto endpoint = dns::parse_endpoint(listen[i]);
        if (!endpoint)
            return element_error("dns.listen", i, listen[i],
                                 without_prefix(endpoint.error().message, "listen address " + in_quotes(listen[i]) + ": "));
        for (const auto& earlier : out.listen) {
            if (earlier.len == endpoint->len && std::memcmp(&earlier.addr, &endpoint->addr, earlier.len) == 0)
                return element_error("dns.listen", i, listen[i], "listed twice (as " + in_quotes(earlier.text) + ")");
        }
        out.listen.push_back(std::move(endpoint.value()));
    }

    std::uint32_t idle_ms = static_cast<std::uint32_t>(out.tcp.idle_timeout.count());
    std::uint32_t read_ms = static_cast<std::uint32_t>(out.tcp.read_timeout.count());
    constexpr std::int64_t kHourMs = 3600 * 1000;
    for (auto st : {section.read_uint("udp_workers", 0, 256, out.udp.workers),
                    section.read_uint("tcp_idle_timeout_ms", 1, kHourMs, idle_ms),
                    section.read_uint("tcp_read_timeout_ms", 1, kHourMs, read_ms),
                    section.read_uint("tcp_max_connections", 1, 1000000, out.tcp.max_connections),
                    section.read_uint("tcp_max_connections_per_ip", 1, 1000000, out.tcp.max_connections_per_ip)}) {
        if (!st) return st;
    }
    out.tcp.idle_timeout = std::chrono::milliseconds(idle_ms);
    out.tcp.read_timeout = std::chrono::milliseconds(read_ms);
    if (out.tcp.max_connections_per_ip > out.tcp.max_connections)
        return make_error(Errc::invalid_argument, "dns.tcp_max_connections_per_ip: " +
                                                      std::to_string(out.tcp.max_connections_per_ip) +
                                                      " is above dns.tcp_max_connections (" +
                                                      std::to_string(out.tcp.max_connections) + ")");
    return core::Ok{};
}

// True for 127.0.0.0/8, ::1 and ::ffff:127.0.0.0/104.
bool is_loopback(const dns::Endpoint& endpoint) {
    if (endpoint.addr.ss_family == AF_INET) {
        const auto* sin = reinterpret_cast<const sockaddr_in*>(&endpoint.addr);
        return (ntohl(sin->sin_addr.s_addr) >> 24) == 127;
    }
    const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(&endpoint.addr);
    if (IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr)) return true;
    return IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr) && sin6->sin6_addr.s6_addr[12] == 127;
}

api::ListenAddress to_listen_address(const dns::Endpoint& endpoint) {
    api::ListenAddress out;
    out.text = endpoint.text;
    char host[INET6_ADDRSTRLEN] = {};
    if (endpoint.addr.ss_family == AF_INET) {
        const auto* sin = reinterpret_cast<const sockaddr_in*>(&endpoint.addr);
        ::inet_ntop(AF_INET, &sin->sin_addr, host, sizeof host);
        out.port = ntohs(sin->sin_port);
    } else {
        const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(&endpoint.addr);
        ::inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof host);
        out.port = ntohs(sin6->sin6_port);
    }
    out.host = host;
    return out;
}

bool is_hex64(std::string_view s) {
    return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; });
}

core::Status read_api_limits(const Section& section, api::ApiOptions& out) {
    constexpr std::int64_t kHourMs = 3600 * 1000;
    for (auto st : {section.read_uint("threads", 1, 1024, out.threads),
                    section.read_uint("max_connections", 1, 1000000, out.max_connections),
                    section.read_uint("max_body_bytes", 1, 16 << 20, out.max_body_bytes),
                    section.read_uint("max_header_bytes", 1024, 1 << 20, out.max_header_bytes),
                    section.read_uint("read_timeout_ms", 1, kHourMs, out.read_timeout_ms),
                    section.read_uint("write_timeout_ms", 1, kHourMs, out.write_timeout_ms),
                    section.read_uint("keepalive_requests", 1, 1000000, out.keepalive_requests),
                    section.read_uint("keepalive_timeout_ms", 1, kHourMs, out.keepalive_timeout_ms)}) {
        if (!st) return st;
    }
    // Per client address, of api.max_connections; the default (16) shrinks to fit a smaller cap.
    if (section.has("max_connections_per_ip")) {
        if (auto st = section.read_uint("max_connections_per_ip", 1, 1000000, out.max_connections_per_ip); !st) return st;
        if (out.max_connections_per_ip > out.max_connections)
            return make_error(Errc::invalid_argument, "api.max_connections_per_ip: " + std::to_string(out.max_connections_per_ip) +
                                                          " is above api.max_connections (" + std::to_string(out.max_connections) + ")");
    } else {
        out.max_connections_per_ip = std::min(out.max_connections_per_ip, out.max_connections);
    }
    return core::Ok{};
}

core::Status read_api(const Section& section, const std::vector<Section>& tokens, const core::Zone& zone, ApiConfig& out) {
    api::ApiOptions& options = out.options;
    if (auto st = section.read_bool("enabled", out.enabled); !st) return st;
    if (auto st = section.read_bool("allow_plain_http", out.allow_plain_http); !st) return st;

    std::vector<std::string> listen{"127.0.0.1:8053"};
    if (auto st = section.read_string_array("listen", "addresses", listen); !st) return st;
    if (listen.empty() && out.enabled) return make_error(Errc::invalid_argument, "api.listen: at least one address is needed");
    std::vector<dns::Endpoint> endpoints;
    for (std::size_t i = 0; i < listen.size(); ++i) {
        auto endpoint = dns::parse_endpoint(listen[i]);
        if (!endpoint)
            return element_error("api.listen", i, listen[i],
                                 without_prefix(endpoint.error().message, "listen address " + in_quotes(listen[i]) + ": "));
        for (const auto& earlier : endpoints) {
            if (earlier.len == endpoint->len && std::memcmp(&earlier.addr, &endpoint->addr, earlier.len) == 0)
                return element_error("api.listen", i, listen[i], "listed twice (as " + in_quotes(earlier.text) + ")");
        }
        endpoints.push_back(endpoint.value());
    }

    std::string base_path;
    if (auto st = section.read_string("base_path", base_path); !st) return st;
    while (base_path.size() > 1 && base_path.back() == '/') base_path.pop_back();
    if (base_path == "/") base_path.clear();
    if (!base_path.empty()) {
        const bool ok = base_path.front() == '/' && std::all_of(base_path.begin(), base_path.end(), [](char c) {
            return std::isalnum(static_cast<unsigned char>(c)) || c == '/' || c == '-' || c == '_' || c == '.' || c == '~';
        });
        if (!ok)
            return make_error(Errc::invalid_argument, "api.base_path: " + in_quotes(base_path) +
                                                          " must start with '/' and use only letters, digits and / - _ . ~");
    }
    options.base_path = base_path;

    std::string registration = "token";
    if (auto st = section.read_string("registration", registration); !st) return st;
    if (registration == "open") options.registration = api::RegistrationMode::open;
    else if (registration == "token") options.registration = api::RegistrationMode::token;
    else if (registration == "off") options.registration = api::RegistrationMode::off;
    else return make_error(Errc::invalid_argument, "api.registration: " + in_quotes(registration) + " is not one of open, token, off");

    for (const Section& token : tokens) {
        if (auto st = token.check_unknown_keys(); !st) return st;
        api::AdminToken t;
        if (auto st = token.read_string("name", t.name, true); !st) return st;
        if (auto st = token.read_string("sha256", t.sha256, true); !st) return st;
        if (t.name.empty()) return make_error(Errc::invalid_argument, token.key_path("name") + ": must not be empty");
        if (!is_hex64(t.sha256))
            return make_error(Errc::invalid_argument, token.key_path("sha256") +
                                                          ": expected the 64 hex digits of the token's SHA-256 (see `acmezone token new`)");
        for (auto& c : t.sha256) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        options.admin_tokens.push_back(std::move(t));
    }

    if (auto st = section.read_uint("txt_values", 1, kMaxTxtPerNameLimit, options.txt_values); !st) return st;
    if (options.txt_values > zone.spec().max_txt_per_name)
        return make_error(Errc::invalid_argument, "api.txt_values: " + std::to_string(options.txt_values) +
                                                      " is above zone.max_txt_per_name (" +
                                                      std::to_string(zone.spec().max_txt_per_name) + ")");

    std::vector<std::string> proxies;
    if (auto st = section.read_string_array("trusted_proxies", "CIDR ranges", proxies); !st) return st;
    for (std::size_t i = 0; i < proxies.size(); ++i) {
        auto cidr = core::parse_cidr(proxies[i]);
        if (!cidr) return element_error("api.trusted_proxies", i, proxies[i], "expected an address range like \"10.0.0.0/8\"");
        options.trusted_proxies.push_back(std::move(cidr.value()));
    }

    // GET /metrics: on by default (the API listens on loopback unless told otherwise);
    // metrics_allow narrows who may scrape it.
    if (auto st = section.read_bool("metrics", options.metrics); !st) return st;
    std::vector<std::string> metrics_allow;
    if (auto st = section.read_string_array("metrics_allow", "CIDR ranges", metrics_allow); !st) return st;
    for (std::size_t i = 0; i < metrics_allow.size(); ++i) {
        auto cidr = core::parse_cidr(metrics_allow[i]);
        if (!cidr) return element_error("api.metrics_allow", i, metrics_allow[i], "expected an address range like \"127.0.0.1/32\"");
        options.metrics_allow.push_back(std::move(cidr.value()));
    }

    std::string tls = "none";
    if (auto st = section.read_string("tls", tls); !st) return st;
    if (auto st = section.read_string("tls_cert", options.tls_cert); !st) return st;
    if (auto st = section.read_string("tls_key", options.tls_key); !st) return st;
    if (tls == "none") {
        options.tls = api::TlsMode::none;
    } else if (tls == "cert") {
        options.tls = api::TlsMode::cert;
        if (options.tls_cert.empty()) return make_error(Errc::invalid_argument, "api.tls_cert: required when api.tls = \"cert\"");
        if (options.tls_key.empty()) return make_error(Errc::invalid_argument, "api.tls_key: required when api.tls = \"cert\"");
    } else {
        return make_error(Errc::invalid_argument, "api.tls: " + in_quotes(tls) + " is not one of none, cert");
    }
    if (auto st = read_api_limits(section, options); !st) return st;

    // Secrets cross the API: in clear only on loopback, unless the operator says a TLS proxy
    // sits in front.
    for (std::size_t i = 0; i < endpoints.size(); ++i) {
        if (out.enabled && options.tls == api::TlsMode::none && !out.allow_plain_http && !is_loopback(endpoints[i]))
            return element_error("api.listen", i, listen[i],
                                 "plain HTTP on a non-loopback address sends secrets in clear; set api.tls = \"cert\" or "
                                 "api.allow_plain_http = true (e.g. behind a TLS proxy)");
        options.listen.push_back(to_listen_address(endpoints[i]));
    }
    return core::Ok{};
}

core::Status read_store(const Section& section, store::StoreOptions& out) {
    std::string path = out.path.string();
    if (auto st = section.read_string("path", path); !st) return st;
    if (path.empty()) return make_error(Errc::invalid_argument, "store.path: must not be empty");
    out.path = path;
    std::uint32_t map_size_mb = static_cast<std::uint32_t>(out.map_size >> 20);
    if (auto st = section.read_uint("map_size_mb", 1, 1 << 20, map_size_mb); !st) return st;
    out.map_size = std::size_t{map_size_mb} << 20;
    return core::Ok{};
}

core::Status read_level(const Section& section, std::string_view key, spdlog::level::level_enum& out) {
    std::string level;
    if (!section.has(key)) return core::Ok{};
    if (auto st = section.read_string(key, level); !st) return st;
    auto parsed = parse_log_level(level);
    if (!parsed)
        return make_error(Errc::invalid_argument,
                          section.key_path(key) + ": " + in_quotes(level) + " is not one of trace, debug, info, warn, error");
    out = *parsed;
    return core::Ok{};
}

// [log] level and format, and [log.modules] with a level per module logger.
core::Status read_log(const Section& section, LogConfig& out) {
    if (auto st = read_level(section, "level", out.level); !st) return st;
    if (auto st = section.read_string("format", out.format); !st) return st;
    if (!parse_log_format(out.format))
        return make_error(Errc::invalid_argument, "log.format: " + in_quotes(out.format) + " is not one of text, json");
    // The allowed keys are app/logging's kLogModules.
    auto modules = section.sub_section("modules", {"app", "store", "dns", "api"});
    if (!modules) return std::move(modules).error();
    if (auto st = modules->check_unknown_keys(); !st) return st;
    for (std::string_view module : kLogModules) {
        if (!modules->has(module)) continue;
        spdlog::level::level_enum level = out.level;
        if (auto st = read_level(*modules, module, level); !st) return st;
        out.modules.emplace_back(std::string(module), level);
    }
    return core::Ok{};
}

// A user or group name as useradd accepts it (portable set, not starting with '-').
bool is_account_name(std::string_view name) {
    if (name.empty() || name.size() > 32 || name.front() == '-') return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '.' || c == '-';
    });
}

// [server] user and group (app/privileges checks that they exist when `serve` starts as root).
core::Status read_server(const Section& section, ServerConfig& out) {
    if (auto st = section.read_string("user", out.user); !st) return st;
    if (auto st = section.read_string("group", out.group); !st) return st;
    // "" is "none" (what `config check` prints for an unset key).
    if (!out.user.empty() && !is_account_name(out.user))
        return make_error(Errc::invalid_argument, "server.user: " + in_quotes(out.user) + " is not a user name");
    if (!out.group.empty() && !is_account_name(out.group))
        return make_error(Errc::invalid_argument, "server.group: " + in_quotes(out.group) + " is not a group name");
    if (!out.group.empty() && out.user.empty())
        return make_error(Errc::invalid_argument, "server.group: needs server.user as well");
    return core::Ok{};
}

// [credentials] and [audit].
core::Status read_credentials_and_audit(const Section& credentials, const Section& audit, Config& config) {
    std::string scheme = core::to_string(config.api.options.default_scheme);
    if (auto st = credentials.read_string("default_scheme", scheme); !st) return st;
    auto parsed = core::parse_label_scheme(scheme);
    if (!parsed)
        return make_error(Errc::invalid_argument,
                          "credentials.default_scheme: " + in_quotes(scheme) + " is not one of uuid, hash, reverse");
    config.api.options.default_scheme = *parsed;
    if (auto st = audit.read_uint("retention_days", 0, 36500, config.audit.retention_days); !st) return st;
    std::uint32_t max_events = static_cast<std::uint32_t>(config.audit.max_events);
    if (auto st = audit.read_uint("max_events", 0, 1000000000, max_events); !st) return st;
    config.audit.max_events = max_events;
    return core::Ok{};
}

}  // namespace

store::WriterOptions writer_options(const Config& config) {
    store::WriterOptions options;
    options.audit = config.audit;
    options.serial_policy = config.serial_policy;
    options.journal = config.journal;
    return options;
}

std::optional<spdlog::level::level_enum> parse_log_level(std::string_view text) {
    if (text == "trace") return spdlog::level::trace;
    if (text == "debug") return spdlog::level::debug;
    if (text == "info") return spdlog::level::info;
    if (text == "warn") return spdlog::level::warn;
    if (text == "error") return spdlog::level::err;
    return std::nullopt;
}

core::Result<Name> parse_hostmaster(std::string_view text) {
    const auto at = text.find('@');
    core::Result<Name> name = make_error(Errc::invalid_argument, "");
    if (at == std::string_view::npos) {
        name = Name::from_text(text);
    } else {
        const std::string_view local = text.substr(0, at);
        const std::string_view domain = text.substr(at + 1);
        if (local.empty() || domain.empty() || domain.find('@') != std::string_view::npos)
            return make_error(Errc::invalid_argument, "expected a name or an e-mail address (local@domain)");
        // RFC 1035 §8: the local part becomes the first label; its dots must be escaped.
        std::string escaped;
        for (char c : local) {
            if (c == '.' || c == '\\') escaped.push_back('\\');
            escaped.push_back(c);
        }
        name = Name::from_text(escaped + "." + std::string(domain));
    }
    if (!name) return name;
    if (name->is_root()) return make_error(Errc::invalid_argument, "the root is not a mailbox");
    return name;
}

core::Result<Config> parse_config(std::string_view text, std::string_view source) {
    toml::table root;
    try {
        root = toml::parse(text, source);
    } catch (const toml::parse_error& e) {
        const auto& where = e.source().begin;
        return make_error(Errc::invalid_argument, std::string(source) + ":" + std::to_string(where.line) + ":" +
                                                      std::to_string(where.column) + ": " + std::string(e.description()));
    }

    const Section top(&root, "", {"zone", "dns", "api", "store", "log", "check", "limits", "credentials", "audit", "server",
                            "propagation"});
    auto zone = top.sub_section("zone", {"name", "nameservers", "hostmaster", "records", "default_ttl", "ns_ttl",
                                         "txt_ttl", "max_txt_per_name", "soa", "txt_max_age_seconds", "journal"});
    if (!zone) return std::move(zone).error();
    auto soa = zone->sub_section("soa", {"ttl", "refresh", "retry", "expire", "minimum", "serial_policy"});
    if (!soa) return std::move(soa).error();
    auto dns_section = top.sub_section("dns", {"listen", "udp_workers", "tcp_idle_timeout_ms", "tcp_read_timeout_ms",
                                               "tcp_max_connections", "tcp_max_connections_per_ip", "update", "tsig_keys",
                                               "rrl", "transfer", "transfer_keys", "notify"});
    if (!dns_section) return std::move(dns_section).error();
    auto api_section = top.sub_section("api", {"enabled", "listen", "base_path", "registration", "admin_tokens", "txt_values",
                                               "trusted_proxies", "tls", "tls_cert", "tls_key", "allow_plain_http", "threads",
                                               "max_connections", "max_connections_per_ip", "max_body_bytes", "max_header_bytes", "read_timeout_ms",
                                               "write_timeout_ms", "keepalive_requests", "keepalive_timeout_ms", "metrics",
                                               "metrics_allow"});
    if (!api_section) return std::move(api_section).error();
    auto token_sections = api_section->table_array("admin_tokens", {"name", "sha256"});
    if (!token_sections) return std::move(token_sections).error();
    auto store_section = top.sub_section("store", {"path", "map_size_mb"});
    if (!store_section) return std::move(store_section).error();
    auto log_section = top.sub_section("log", {"level", "format", "modules"});
    if (!log_section) return std::move(log_section).error();
    auto server_section = top.sub_section("server", {"user", "group"});
    if (!server_section) return std::move(server_section).error();
    if (auto st = server_section->check_unknown_keys(); !st) return std::move(st).error();
    auto check_section = top.sub_section("check", {"resolver", "timeout_ms", "retries"});
    if (!check_section) return std::move(check_section).error();
    auto limits_section = top.sub_section("limits", {"update_rate", "update_burst", "auth_failures_per_minute", "override"});
    if (!limits_section) return std::move(limits_section).error();
    auto override_sections = limits_section->table_array("override", {"username", "rate", "burst"});
    if (!override_sections) return std::move(override_sections).error();
    auto credentials_section = top.sub_section("credentials", {"default_scheme"});
    if (!credentials_section) return std::move(credentials_section).error();
    auto audit_section = top.sub_section("audit", {"retention_days", "max_events"});
    if (!audit_section) return std::move(audit_section).error();
    for (const Section* section : {&*credentials_section, &*audit_section}) {
        if (auto st = section->check_unknown_keys(); !st) return std::move(st).error();
    }
    // A misspelt key is reported first: it usually explains a "missing" or defaulted one.
    const std::initializer_list<const Section*> sections = {&top,           &*zone,          &*soa,        &*dns_section,
                                                            &*api_section, &*store_section, &*log_section};
    for (const Section* section : sections) {
        if (auto st = section->check_unknown_keys(); !st) return std::move(st).error();
    }
    for (const Section* section : {&*check_section, &*limits_section}) {
        if (auto st = section->check_unknown_keys(); !st) return std::move(st).error();
    }

    Config config;
    ZoneInput zone_input;
    if (auto st = read_zone(*zone, *soa, zone_input); !st) return std::move(st).error();
    config.default_ttl = zone_input.default_ttl;
    auto built = build_zone(std::move(zone_input));
    if (!built) return std::move(built).error();
    config.zone = std::move(built.value());
    check_nameserver_glue(*config.zone, config.warnings);

    if (auto st = read_dns(*dns_section, config.dns); !st) return std::move(st).error();
    if (auto st = read_dns_update(*dns_section, *config.zone, config.dns.update); !st) return std::move(st).error();
    if (auto st = read_rrl(*dns_section, config.dns.udp.rrl); !st) return std::move(st).error();  // [dns.rrl]
    if (auto st = read_dns_transfer(*dns_section, config.dns.update, config.dns.transfer); !st) return std::move(st).error();
    if (auto st = read_journal_and_serial(*zone, *soa, config.journal, config.serial_policy); !st) return std::move(st).error();
    if (auto st = read_dns_notify(*dns_section, config.dns.transfer, config.dns.notify); !st) return std::move(st).error();
    {
        auto propagation_section = top.sub_section("propagation", {"nameservers", "timeout_ms", "wait_timeout_ms", "wait_by_default"});
        if (!propagation_section) return std::move(propagation_section).error();
        if (auto st = read_propagation(*propagation_section, config.dns.notify, config.propagation); !st) return std::move(st).error();
    }
    // The API runs when the file has an [api] section (enabled defaults to true there); a
    // DNS-only config without one opens no HTTP port.
    config.api.enabled = top.has("api");
    if (auto st = read_api(*api_section, *token_sections, *config.zone, config.api); !st)
        return std::move(st).error();
    if (auto st = read_store(*store_section, config.store); !st) return std::move(st).error();
    if (auto st = read_log(*log_section, config.log); !st) return std::move(st).error();
    if (auto st = read_server(*server_section, config.server); !st) return std::move(st).error();
    if (auto st = read_credentials_and_audit(*credentials_section, *audit_section, config); !st) return std::move(st).error();
    if (auto st = zone->read_uint("txt_max_age_seconds", 0, kMaxTxtAgeSeconds, config.txt_max_age_seconds); !st)
        return std::move(st).error();
    if (auto st = read_check(*check_section, config.check); !st) return std::move(st).error();
    if (auto st = read_limits(*limits_section, *override_sections, config.api.options.limits); !st)
        return std::move(st).error();
    return config;
}

core::Result<Config> load_config(const std::filesystem::path& path) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec))
        return make_error(Errc::invalid_argument, "cannot read " + path.string() + ": is a directory");
    std::ifstream in(path, std::ios::binary);
    if (!in) return make_error(Errc::invalid_argument, "cannot read " + path.string() + ": " + std::strerror(errno));
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) return make_error(Errc::invalid_argument, "cannot read " + path.string() + ": read error");
    return parse_config(text.str(), path.string());
}

}  // namespace acmezone::app
