#include "app/config_transfer.hpp"

#include <string>

#include "core/cidr.hpp"
#include "dns/tsig.hpp"

namespace acmezone::app {

using core::Errc;
using core::make_error;

namespace {

core::Status read_transfer_key(const Section& s, dns::TsigKeyMaterial& out) {
    std::string name_text;
    std::string algorithm_text = "hmac-sha256";
    std::string secret_text;
    for (auto st : {s.read_string("name", name_text, true), s.read_string("algorithm", algorithm_text),
                    s.read_string("secret", secret_text, true)}) {
        if (!st) return st;
    }
    auto name = core::Name::from_text(name_text);
    if (!name || name->is_root()) return make_error(Errc::invalid_argument, s.key_path("name") + ": \"" + name_text + "\" is not a key name");
    const auto algorithm = dns::tsig_algorithm_from_text(algorithm_text);
    // No hmac-md5 here: secondaries all speak hmac-sha256 (RFC 8945 §6).
    if (!algorithm || *algorithm == dns::TsigAlgorithm::hmac_md5)
        return make_error(Errc::invalid_argument, s.key_path("algorithm") + ": \"" + algorithm_text +
                                                      "\" is not one of hmac-sha256, hmac-sha1, hmac-sha224, hmac-sha384, hmac-sha512");
    auto secret = dns::base64_decode(secret_text);
    if (!secret || secret->empty())
        return make_error(Errc::invalid_argument, s.key_path("secret") + ": not base64 (as tsig-keygen prints it)");
    out = dns::TsigKeyMaterial{std::move(name).value(), *algorithm, std::move(*secret)};
    return core::Ok{};
}

}  // namespace

core::Status read_dns_transfer(const Section& dns_section, const DnsUpdateConfig& update, dns::TransferAcl& out) {
    std::vector<dns::TsigKeyMaterial> defined;
    auto keys = dns_section.table_array("transfer_keys", {"name", "algorithm", "secret"});
    if (!keys) return std::move(keys).error();
    for (const auto& key : *keys) {
        if (auto st = key.check_unknown_keys(); !st) return st;
        dns::TsigKeyMaterial parsed;
        if (auto st = read_transfer_key(key, parsed); !st) return st;
        for (const auto& earlier : defined)
            if (earlier.name == parsed.name)
                return make_error(Errc::invalid_argument, key.key_path("name") + ": key " + parsed.name.to_text() + " is defined twice");
        for (const auto& update_key : update.tsig_keys)
            if (update_key.key.name == parsed.name)
                return make_error(Errc::invalid_argument, key.key_path("name") + ": " + parsed.name.to_text() +
                                                              " is also an update key (dns.tsig_keys); transfer keys must be separate");
        defined.push_back(std::move(parsed));
    }

    auto transfer = dns_section.sub_section("transfer", {"allow", "keys"});
    if (!transfer) return std::move(transfer).error();
    if (auto st = transfer->check_unknown_keys(); !st) return st;
    std::vector<std::string> allow;
    std::vector<std::string> key_names;
    if (auto st = transfer->read_string_array("allow", "CIDR ranges", allow); !st) return st;
    if (auto st = transfer->read_string_array("keys", "key names", key_names); !st) return st;
    for (std::size_t i = 0; i < allow.size(); ++i) {
        auto cidr = core::parse_cidr(allow[i]);
        if (!cidr)
            return make_error(Errc::invalid_argument, "dns.transfer.allow[" + std::to_string(i) + "] \"" + allow[i] +
                                                          "\": expected an address range like \"192.0.2.1/32\"");
        out.allow.push_back(std::move(cidr).value());
    }
    for (std::size_t i = 0; i < key_names.size(); ++i) {
        auto name = core::Name::from_text(key_names[i]);
        const dns::TsigKeyMaterial* found = nullptr;
        if (name)
            for (const auto& key : defined)
                if (key.name == *name) found = &key;
        if (!found)
            return make_error(Errc::invalid_argument, "dns.transfer.keys[" + std::to_string(i) + "] \"" + key_names[i] +
                                                          "\": no such key in dns.transfer_keys");
        out.keys.push_back(*found);
    }
    return core::Ok{};
}

core::Status read_journal_and_serial(const Section& zone_section, const Section& soa_section, store::JournalLimits& journal,
                                     store::SerialPolicy& policy) {
    std::string text = "increment";
    if (auto st = soa_section.read_string("serial_policy", text); !st) return st;
    if (text == "increment") policy = store::SerialPolicy::increment;
    else if (text == "unixtime") policy = store::SerialPolicy::unixtime;
    else return make_error(Errc::invalid_argument, "zone.soa.serial_policy: \"" + text + "\" is not one of increment, unixtime");

    auto section = zone_section.sub_section("journal", {"enabled", "max_entries", "max_bytes", "max_age_seconds"});
    if (!section) return std::move(section).error();
    if (auto st = section->check_unknown_keys(); !st) return st;
    std::uint32_t max_bytes = static_cast<std::uint32_t>(std::min<std::uint64_t>(journal.max_bytes, 0xffffffffu));
    for (auto st : {section->read_bool("enabled", journal.enabled),
                    section->read_uint("max_entries", 0, 100000000, journal.max_entries),
                    section->read_uint("max_bytes", 0, 0xffffffffLL, max_bytes),
                    section->read_uint("max_age_seconds", 0, 10LL * 365 * 24 * 3600, journal.max_age_seconds)}) {
        if (!st) return st;
    }
    journal.max_bytes = max_bytes;
    return core::Ok{};
}

}  // namespace acmezone::app
