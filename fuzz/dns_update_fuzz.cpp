// Fuzzes RFC 2136 UPDATE + TSIG processing before the store: locating the TSIG RR
// (dns/tsig find_tsig), verifying it against a fixed key, parsing the UPDATE sections
// (dns/update parse_update) and turning them into a ChangeSet for three kinds of grant
// (prepare_update). The scope property is checked on every accepted message: no operation or
// prerequisite of the ChangeSet names an owner the grant may not write.
#include <cstddef>
#include <cstdint>
#include <span>

#include "dns/keyring.hpp"
#include "dns/tsig.hpp"
#include "dns/update.hpp"
#include "dns/zone_text.hpp"
#include "fuzz_support.hpp"

namespace {

using namespace acmezone;

core::Name name(const char* text) { return core::Name::from_text(text).value(); }

const core::Zone& zone() {
    static const core::Zone built = [] {
        core::ZoneSpec spec;
        spec.apex = name("acme.example.test");
        spec.nameservers = {name("ns1.example.net"), name("ns2.example.net")};
        spec.hostmaster = name("hostmaster.example.net");
        spec.max_txt_per_name = 8;
        for (const char* line : {"Mixed 300 A 127.0.0.2", "Deep.Static 300 TXT \"static value\""}) {
            auto rr = dns::parse_record_line(line, spec.apex, 300);
            if (!rr) std::abort();
            spec.records.push_back(rr.value());
        }
        auto z = core::Zone::build(spec);
        if (!z) std::abort();
        return std::move(z.value());
    }();
    return built;
}

std::vector<dns::Grant> grants() {
    dns::Grant zone_wide;
    zone_wide.kind = dns::Grant::Kind::zone;
    dns::Grant names;
    names.kind = dns::Grant::Kind::names;
    names.names = {name("a1b2.acme.example.test"), name("_acme-challenge.acme.example.test")};
    dns::Grant credential;
    credential.kind = dns::Grant::Kind::credential;
    credential.credential.username = "fuzz";
    credential.credential.labels = {{"c3d4", "www.example.com", "hash"}, {"com-example", "example.com", "reverse"}};
    return {zone_wide, names, credential};
}

void check_scope(const core::ChangeSet& change, const dns::Grant& grant) {
    for (const auto& op : change.operations) {
        FUZZ_CHECK(grant.may_write(op.name, core::rrtype::TXT, zone()));
        FUZZ_CHECK(op.kind == core::OpKind::delete_name || op.type == core::rrtype::TXT);
    }
    for (const auto& prereq : change.prerequisites) FUZZ_CHECK(prereq.name.is_at_or_below(zone().apex()));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::span<const std::uint8_t> msg(data, size);
    (void)dns::needs_signed_path(msg);
    dns::TsigRecord tsig;
    const auto found = dns::find_tsig(msg, tsig);
    std::span<const std::uint8_t> body = msg;
    dns::Header header;
    if (!dns::read_header(msg, header)) return 0;
    unsigned additional = header.arcount;
    if (found == dns::TsigFind::found) {
        FUZZ_CHECK(tsig.offset >= 12 && tsig.offset < size);
        FUZZ_CHECK(tsig.mac.size() <= size);
        static const dns::TsigKeyMaterial key{name("key.example.test"), dns::TsigAlgorithm::hmac_sha256,
                                              std::string(32, '\x42')};
        const auto check = dns::verify_tsig(msg, tsig, key, tsig.time_signed, dns::TsigPolicy{});
        (void)check;
        body = msg.first(tsig.offset);
        FUZZ_CHECK(additional > 0);
        --additional;
    }
    dns::UpdateMessage update;
    if (dns::parse_update(body, additional, update) != dns::rcode::NOERROR) return 0;
    static const auto all = grants();
    for (const auto& grant : all) {
        for (bool alias_mode : {false, true}) {
            const auto prepared = dns::prepare_update(update, zone(), grant, alias_mode);
            if (prepared.rcode == dns::rcode::NOERROR) check_scope(prepared.change, grant);
        }
    }
    return 0;
}
