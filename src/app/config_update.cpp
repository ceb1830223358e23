#include "app/config_update.hpp"

#include <string>

#include "dns/tsig.hpp"

namespace acmezone::app {

using core::Errc;
using core::make_error;

namespace {

core::Error key_error(const Section& key, std::string_view field, std::string_view problem) {
    return make_error(Errc::invalid_argument, key.key_path(field) + ": " + std::string(problem));
}

core::Status read_key(const Section& s, const core::Zone& zone, bool allow_md5, dns::ConfigTsigKey& out) {
    std::string name_text;
    std::string algorithm_text = "hmac-sha256";
    std::string secret_text;
    bool zone_wide = false;
    std::vector<std::string> names;
    for (auto st : {s.read_string("name", name_text, true), s.read_string("algorithm", algorithm_text),
                    s.read_string("secret", secret_text, true), s.read_bool("zone", zone_wide),
                    s.read_string_array("names", "names", names)}) {
        if (!st) return st;
    }
    auto name = core::Name::from_text(name_text);
    if (!name || name->is_root()) return key_error(s, "name", "\"" + name_text + "\" is not a key name");
    const auto algorithm = dns::tsig_algorithm_from_text(algorithm_text);
    if (!algorithm)
        return key_error(s, "algorithm", "\"" + algorithm_text +
                                             "\" is not one of hmac-sha256, hmac-sha1, hmac-sha224, hmac-sha384, hmac-sha512, hmac-md5");
    if (*algorithm == dns::TsigAlgorithm::hmac_md5 && !allow_md5)
        return key_error(s, "algorithm", "hmac-md5 needs dns.update.allow_hmac_md5 = true");
    auto secret = dns::base64_decode(secret_text);
    if (!secret || secret->empty()) return key_error(s, "secret", "not base64 (as tsig-keygen prints it)");
    if (zone_wide == !names.empty())
        return key_error(s, "zone", "give either zone = true (zone-wide) or names = [...] (labels relative to the zone)");
    out.key = dns::TsigKeyMaterial{std::move(name).value(), *algorithm, std::move(*secret)};
    out.zone_wide = zone_wide;
    for (std::size_t i = 0; i < names.size(); ++i) {
        auto owner = core::Name::from_text(names[i], zone.apex());
        if (!owner || !owner->is_at_or_below(zone.apex()))
            return key_error(s, "names[" + std::to_string(i) + "]", "\"" + names[i] + "\" is not a name inside the zone");
        if (zone.is_reserved_owner(*owner))
            return key_error(s, "names[" + std::to_string(i) + "]",
                             "\"" + names[i] + "\" is the apex or has static records: it cannot be updated");
        out.names.push_back(std::move(owner).value());
    }
    return core::Ok{};
}

}  // namespace

core::Status read_dns_update(const Section& dns_section, const core::Zone& zone, DnsUpdateConfig& out) {
    auto update = dns_section.sub_section("update", {"enabled", "alias_mode", "allow_hmac_md5", "fudge_seconds"});
    if (!update) return std::move(update).error();
    if (auto st = update->check_unknown_keys(); !st) return st;
    for (auto st : {update->read_bool("enabled", out.enabled), update->read_bool("alias_mode", out.alias_mode),
                    update->read_bool("allow_hmac_md5", out.allow_hmac_md5),
                    update->read_uint("fudge_seconds", 1, 3600, out.fudge_seconds)}) {
        if (!st) return st;
    }
    auto keys = dns_section.table_array("tsig_keys", {"name", "algorithm", "secret", "zone", "names"});
    if (!keys) return std::move(keys).error();
    for (const auto& key : *keys) {
        if (auto st = key.check_unknown_keys(); !st) return st;
        dns::ConfigTsigKey parsed;
        if (auto st = read_key(key, zone, out.allow_hmac_md5, parsed); !st) return st;
        for (const auto& earlier : out.tsig_keys)
            if (earlier.key.name == parsed.key.name)
                return key_error(key, "name", "key " + parsed.key.name.to_text() + " is defined twice");
        out.tsig_keys.push_back(std::move(parsed));
    }
    return core::Ok{};
}

}  // namespace acmezone::app
