#include "app/config_print.hpp"

#include <sstream>

#include "dns/tsig.hpp"
#include "dns/zone_text.hpp"

namespace acmezone::app {

namespace {

template <typename T>
toml::array string_array(const std::vector<T>& items, auto text_of) {
    toml::array out;
    for (const auto& item : items) out.push_back(std::string(text_of(item)));
    return out;
}

std::int64_t as_int(auto value) { return static_cast<std::int64_t>(value); }

// Secrets::keep is for comparing two configs only (never printed): the raw bytes as hex.
std::string hex(std::string_view bytes) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out;
    for (unsigned char c : bytes) {
        out += kDigits[c >> 4];
        out += kDigits[c & 0xF];
    }
    return out;
}

std::string record_text(const core::ResourceRecord& rr) {
    return rr.owner.to_text() + " " + std::to_string(rr.ttl) + " IN " + dns::type_to_text(rr.type) + " " +
           dns::rdata_to_text(rr.type, rr.rdata);
}

toml::table zone_table(const Config& config) {
    const core::ZoneSpec& spec = config.zone->spec();
    toml::table soa{{"ttl", as_int(spec.soa.ttl)},
                    {"refresh", as_int(spec.soa.refresh)},
                    {"retry", as_int(spec.soa.retry)},
                    {"expire", as_int(spec.soa.expire)},
                    {"minimum", as_int(spec.soa.minimum)},
                    {"serial_policy", std::string(config.serial_policy == store::SerialPolicy::unixtime ? "unixtime" : "increment")}};
    toml::table journal{{"enabled", config.journal.enabled},
                        {"max_entries", as_int(config.journal.max_entries)},
                        {"max_bytes", as_int(config.journal.max_bytes)},
                        {"max_age_seconds", as_int(config.journal.max_age_seconds)}};
    return toml::table{{"name", spec.apex.to_text()},
                       {"nameservers", string_array(spec.nameservers, [](const core::Name& n) { return n.to_text(); })},
                       {"hostmaster", spec.hostmaster.to_text()},
                       {"records", string_array(spec.records, record_text)},
                       {"default_ttl", as_int(config.default_ttl)},
                       {"ns_ttl", as_int(spec.ns_ttl)},
                       {"txt_ttl", as_int(spec.txt_ttl)},
                       {"max_txt_per_name", as_int(spec.max_txt_per_name)},
                       {"txt_max_age_seconds", as_int(config.txt_max_age_seconds)},
                       {"soa", std::move(soa)},
                       {"journal", std::move(journal)}};
}

toml::table dns_table(const Config& config, Secrets secrets) {
    const DnsConfig& dns = config.dns;
    const core::Name& apex = config.zone->apex();
    toml::array keys;
    for (const auto& key : dns.update.tsig_keys) {
        toml::table entry{{"name", key.key.name.to_text()},
                          {"algorithm", std::string(dns::tsig_algorithm_text(key.key.algorithm))},
                          {"secret", secrets == Secrets::keep ? hex(key.key.secret) : std::string(kRedacted)}};
        if (key.zone_wide)
            entry.insert("zone", true);
        else
            entry.insert("names", string_array(key.names, [&](const core::Name& n) { return n.relative_text(apex); }));
        keys.push_back(std::move(entry));
    }
    toml::array transfer_keys;
    for (const auto& key : dns.transfer.keys)
        transfer_keys.push_back(toml::table{{"name", key.name.to_text()},
                                            {"algorithm", std::string(dns::tsig_algorithm_text(key.algorithm))},
                                            {"secret", secrets == Secrets::keep ? hex(key.secret) : std::string(kRedacted)}});
    toml::table transfer{{"allow", string_array(dns.transfer.allow, [](const core::Cidr& c) { return c.text; })},
                         {"keys", string_array(dns.transfer.keys, [](const dns::TsigKeyMaterial& k) { return k.name.to_text(); })}};
    const dns::RrlOptions& rrl = dns.udp.rrl;
    toml::table rrl_table{{"enabled", rrl.enabled},
                          {"responses_per_second", as_int(rrl.responses_per_second)},
                          {"nxdomains_per_second", as_int(rrl.nxdomains_per_second.value_or(rrl.responses_per_second))},
                          {"errors_per_second", as_int(rrl.errors_per_second.value_or(rrl.responses_per_second))},
                          {"slip", as_int(rrl.slip)},
                          {"window_seconds", as_int(rrl.window_seconds)},
                          {"ipv4_prefix_length", as_int(rrl.ipv4_prefix_length)},
                          {"ipv6_prefix_length", as_int(rrl.ipv6_prefix_length)},
                          {"exempt", string_array(rrl.exempt, [](const core::Cidr& c) { return c.text; })},
                          {"table_size", as_int(rrl.table_size)}};
    toml::table update{{"enabled", dns.update.enabled},
                       {"alias_mode", dns.update.alias_mode},
                       {"allow_hmac_md5", dns.update.allow_hmac_md5},
                       {"fudge_seconds", as_int(dns.update.fudge_seconds)}};
    return toml::table{{"listen", string_array(dns.listen, [](const dns::Endpoint& e) { return e.text; })},
                       {"udp_workers", as_int(dns.udp.workers)},
                       {"tcp_idle_timeout_ms", as_int(dns.tcp.idle_timeout.count())},
                       {"tcp_read_timeout_ms", as_int(dns.tcp.read_timeout.count())},
                       {"tcp_max_connections", as_int(dns.tcp.max_connections)},
                       {"tcp_max_connections_per_ip", as_int(dns.tcp.max_connections_per_ip)},
                       {"update", std::move(update)},
                       {"rrl", std::move(rrl_table)},
                       {"tsig_keys", std::move(keys)},
                       {"transfer", std::move(transfer)},
                       {"transfer_keys", std::move(transfer_keys)},
                       {"notify", toml::table{{"targets", string_array(dns.notify.targets, [](const dns::NotifyTarget& t) {
                                                   return t.key ? t.endpoint.text + " key " + t.key->name.to_text() : t.endpoint.text;
                                               })},
                                              {"retries", as_int(dns.notify.retries)},
                                              {"initial_interval_ms", as_int(dns.notify.initial_interval.count())},
                                              {"max_interval_ms", as_int(dns.notify.max_interval.count())}}}};
}

std::string_view registration_text(api::RegistrationMode mode) {
    switch (mode) {
        case api::RegistrationMode::open: return "open";
        case api::RegistrationMode::token: return "token";
        case api::RegistrationMode::off: return "off";
    }
    return "token";
}

toml::table api_table(const Config& config, Secrets secrets) {
    const api::ApiOptions& o = config.api.options;
    toml::array tokens;
    for (const auto& token : o.admin_tokens)
        tokens.push_back(toml::table{{"name", token.name}, {"sha256", secrets == Secrets::keep ? token.sha256 : std::string(kRedacted)}});
    return toml::table{{"enabled", config.api.enabled},
                       {"listen", string_array(o.listen, [](const api::ListenAddress& l) { return l.text; })},
                       {"base_path", o.base_path},
                       {"registration", std::string(registration_text(o.registration))},
                       {"admin_tokens", std::move(tokens)},
                       {"txt_values", as_int(o.txt_values)},
                       {"trusted_proxies", string_array(o.trusted_proxies, [](const core::Cidr& c) { return c.text; })},
                       {"tls", o.tls == api::TlsMode::cert ? "cert" : "none"},
                       {"tls_cert", o.tls_cert},
                       {"tls_key", o.tls_key},
                       {"allow_plain_http", config.api.allow_plain_http},
                       {"threads", as_int(o.threads)},
                       {"max_connections", as_int(o.max_connections)},
                       {"max_connections_per_ip", as_int(o.max_connections_per_ip)},
                       {"metrics", o.metrics},
                       {"metrics_allow", string_array(o.metrics_allow, [](const core::Cidr& c) { return c.text; })},
                       {"max_body_bytes", as_int(o.max_body_bytes)},
                       {"max_header_bytes", as_int(o.max_header_bytes)},
                       {"read_timeout_ms", as_int(o.read_timeout_ms)},
                       {"write_timeout_ms", as_int(o.write_timeout_ms)},
                       {"keepalive_requests", as_int(o.keepalive_requests)},
                       {"keepalive_timeout_ms", as_int(o.keepalive_timeout_ms)}};
}

toml::table limits_table(const api::RateLimitOptions& limits) {
    toml::array overrides;
    for (const auto& o : limits.overrides)
        overrides.push_back(toml::table{{"username", o.username}, {"rate", as_int(o.rate)}, {"burst", as_int(o.burst)}});
    return toml::table{{"update_rate", as_int(limits.update_rate)},
                       {"update_burst", as_int(limits.update_burst)},
                       {"auth_failures_per_minute", as_int(limits.auth_failures_per_minute)},
                       {"override", std::move(overrides)}};
}

toml::table log_table(const LogConfig& log) {
    toml::table modules;
    for (const auto& [module, level] : log.modules) modules.insert(module, std::string(log_level_text(level)));
    return toml::table{{"level", std::string(log_level_text(log.level))}, {"format", log.format}, {"modules", std::move(modules)}};
}

// Basic ("...") strings, as the shipped config files write them.
constexpr auto kFormat = toml::toml_formatter::default_flags & ~toml::format_flags::allow_literal_strings;

void flatten_into(const toml::table& table, const std::string& prefix, std::map<std::string, std::string>& out) {
    for (const auto& [key, node] : table) {
        const std::string path = prefix.empty() ? std::string(key.str()) : prefix + "." + std::string(key.str());
        if (const auto* sub = node.as_table()) {
            flatten_into(*sub, path, out);
            continue;
        }
        const auto* array = node.as_array();
        if (array && !array->empty() && array->is_array_of_tables()) {
            for (std::size_t i = 0; i < array->size(); ++i)
                flatten_into(*array->get(i)->as_table(), path + "[" + std::to_string(i) + "]", out);
            continue;
        }
        std::ostringstream text;
        node.visit([&text](const auto& value) { text << toml::toml_formatter(value, kFormat); });
        out[path] = text.str();
    }
}

}  // namespace

std::string_view log_level_text(spdlog::level::level_enum level) noexcept {
    switch (level) {
        case spdlog::level::trace: return "trace";
        case spdlog::level::debug: return "debug";
        case spdlog::level::info: return "info";
        case spdlog::level::warn: return "warn";
        default: return "error";
    }
}

toml::table effective_settings(const Config& config, Secrets secrets) {
    const store::StoreOptions& store = config.store;
    return toml::table{
        {"zone", zone_table(config)},
        {"dns", dns_table(config, secrets)},
        {"api", api_table(config, secrets)},
        {"store", toml::table{{"path", store.path.string()}, {"map_size_mb", as_int(store.map_size >> 20)}}},
        {"credentials", toml::table{{"default_scheme", std::string(core::to_string(config.api.options.default_scheme))}}},
        {"audit", toml::table{{"retention_days", as_int(config.audit.retention_days)}, {"max_events", as_int(config.audit.max_events)}}},
        {"check", toml::table{{"resolver", config.check.resolver.text},
                              {"timeout_ms", as_int(config.check.timeout_ms)},
                              {"retries", as_int(config.check.retries)}}},
        {"propagation", toml::table{{"nameservers", string_array(config.propagation.nameservers, [](const dns::Endpoint& e) { return e.text; })},
                                    {"timeout_ms", as_int(config.propagation.timeout_ms)},
                                    {"wait_timeout_ms", as_int(config.propagation.wait_timeout_ms)},
                                    {"wait_by_default", config.propagation.wait_by_default}}},
        {"limits", limits_table(config.api.options.limits)},
        {"log", log_table(config.log)},
        {"server", toml::table{{"user", config.server.user}, {"group", config.server.group}}},
    };
}

std::string to_toml_text(const toml::table& table) {
    std::ostringstream out;
    out << toml::toml_formatter(table, kFormat) << "\n";
    return out.str();
}

std::map<std::string, std::string> flatten_settings(const toml::table& table) {
    std::map<std::string, std::string> out;
    flatten_into(table, "", out);
    return out;
}

}  // namespace acmezone::app
