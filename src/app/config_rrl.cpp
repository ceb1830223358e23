#include "app/config_rrl.hpp"

#include <string>
#include <vector>

namespace acmezone::app {

using core::Errc;
using core::make_error;

namespace {

// An optional per-kind rate: absent keeps "same as responses_per_second".
core::Status read_optional_rate(const Section& section, std::string_view key, std::optional<std::uint32_t>& out) {
    if (!section.has(key)) return core::Ok{};
    std::uint32_t value = 0;
    if (auto st = section.read_uint(key, 0, dns::kRrlMaxRate, value); !st) return st;
    out = value;
    return core::Ok{};
}

}  // namespace

core::Status read_rrl(const Section& dns_section, dns::RrlOptions& out) {
    auto rrl = dns_section.sub_section("rrl", {"enabled", "responses_per_second", "nxdomains_per_second",
                                               "errors_per_second", "slip", "window_seconds", "ipv4_prefix_length",
                                               "ipv6_prefix_length", "exempt", "table_size"});
    if (!rrl) return std::move(rrl).error();
    const Section& section = *rrl;
    if (auto st = section.check_unknown_keys(); !st) return st;
    if (auto st = section.read_bool("enabled", out.enabled); !st) return st;
    for (auto st : {section.read_uint("responses_per_second", 0, dns::kRrlMaxRate, out.responses_per_second),
                    read_optional_rate(section, "nxdomains_per_second", out.nxdomains_per_second),
                    read_optional_rate(section, "errors_per_second", out.errors_per_second),
                    section.read_uint("slip", 0, dns::kRrlMaxSlip, out.slip),
                    section.read_uint("window_seconds", 1, dns::kRrlMaxWindow, out.window_seconds),
                    section.read_uint("ipv4_prefix_length", 0, 32, out.ipv4_prefix_length),
                    section.read_uint("ipv6_prefix_length", 0, 128, out.ipv6_prefix_length),
                    section.read_uint("table_size", dns::kRrlMinTableSize, dns::kRrlMaxTableSize, out.table_size)}) {
        if (!st) return st;
    }

    std::vector<std::string> exempt;
    if (auto st = section.read_string_array("exempt", "CIDR ranges", exempt); !st) return st;
    for (std::size_t i = 0; i < exempt.size(); ++i) {
        auto cidr = core::parse_cidr(exempt[i]);
        if (!cidr)
            return make_error(Errc::invalid_argument, section.key_path("exempt") + "[" + std::to_string(i) + "] \"" +
                                                          exempt[i] + "\": expected an address range like \"192.0.2.0/24\" " +
                                                          "or \"[2001:db8::]/32\" (a single address is \"192.0.2.1/32\")");
        out.exempt.push_back(std::move(cidr.value()));
    }
    return core::Ok{};
}

}  // namespace acmezone::app
