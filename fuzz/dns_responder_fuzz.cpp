// Fuzzes the query path: dns::Responder::respond over a real store::Snapshot (a small LMDB
// store created at start-up in a temporary folder, with static records and dynamic TXT like a
// live zone), for UDP and TCP. Invariants: the response fits the buffer and the transport's
// limit, and a response is a response to this query (QR set, ID and opcode copied).
#include <stdlib.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>

#include "core/txt.hpp"
#include "dns/responder.hpp"
#include "dns/zone_text.hpp"
#include "fuzz_support.hpp"
#include "store/snapshot.hpp"
#include "store/store.hpp"
#include "store/writer.hpp"

namespace {

using namespace acmezone;

struct World {
    std::filesystem::path dir;
    std::shared_ptr<const core::Zone> zone;
    std::unique_ptr<store::Store> store;
    std::unique_ptr<store::Snapshot> snapshot;
    std::unique_ptr<dns::Responder> responder;

    ~World() {
        responder.reset();
        snapshot.reset();
        store.reset();
        std::error_code ec;
        std::filesystem::remove_all(dir, ec);
    }
};

World* g_world = nullptr;

core::Name name(const char* text) { return core::Name::from_text(text).value(); }

std::shared_ptr<const core::Zone> make_zone() {
    core::ZoneSpec spec;
    spec.apex = name("acme.example.test");
    spec.nameservers = {name("ns1.example.net"), name("ns2.example.net")};
    spec.hostmaster = name("hostmaster.example.net");
    spec.soa.ttl = 30;
    spec.soa.minimum = 10;
    spec.max_txt_per_name = 8;
    // The static records the integration tests use, plus CNAME chains and a delegation-like
    // deep name, so answers with additional processing and compression are reachable.
    for (const char* line : {"Mixed 300 A 127.0.0.2", "@ 300 CAA 0 issue \"LetsEncrypt.org\"",
                             "Deep.Static 300 TXT \"static value\"", "alias 300 CNAME Target",
                             "Target 300 A 192.0.2.7", "Target 300 AAAA 2001:db8::7", "out 300 CNAME www.example.org.",
                             "loop1 300 CNAME loop2", "loop2 300 CNAME loop1"}) {
        auto rr = dns::parse_record_line(line, spec.apex, 300);
        if (!rr) std::abort();
        spec.records.push_back(rr.value());
    }
    auto zone = core::Zone::build(spec);
    if (!zone) std::abort();
    return std::make_shared<const core::Zone>(std::move(zone.value()));
}

void add_txt(store::Writer& writer, const char* owner, std::initializer_list<std::string> values) {
    core::ChangeSet change;
    change.actor = "fuzz";
    for (const auto& value : values)
        change.operations.push_back(
            core::Operation{core::OpKind::add_rr, name(owner), core::rrtype::TXT, 1, core::txt_rdata_from_value(value).value(), 0});
    if (!writer.submit(std::move(change)).get()) std::abort();
}

void build_world() {
    char tmpl[] = "/tmp/acmezone-fuzz-XXXXXX";
    if (mkdtemp(tmpl) == nullptr) std::abort();
    g_world = new World;
    g_world->dir = tmpl;
    g_world->zone = make_zone();
    store::StoreOptions options;
    options.path = g_world->dir / "data";
    options.map_size = std::size_t{8} << 20;
    auto opened = store::Store::open(options);
    if (!opened) std::abort();
    g_world->store = std::move(opened.value());
    {
        store::Writer writer(*g_world->store, g_world->zone);
        add_txt(writer, "_acme-challenge.www.acme.example.test", {"first-value", "second-value"});
        add_txt(writer, "a1b2.acme.example.test", {std::string(43, 'x'), std::string(43, 'y')});
        add_txt(writer, "long.acme.example.test", {std::string(255, 'L'), std::string(300, 'M')});
        add_txt(writer, "a.b.dyn.acme.example.test", {"deep"});
        add_txt(writer, "many.acme.example.test",
                {std::string(200, 'a'), std::string(200, 'b'), std::string(200, 'c'), std::string(200, 'd'),
                 std::string(200, 'e'), std::string(200, 'f'), std::string(200, 'g'), std::string(200, 'h')});
        writer.stop();
    }
    g_world->snapshot = std::make_unique<store::Snapshot>(*g_world->store);
    if (!g_world->snapshot->begin()) std::abort();
    g_world->responder = std::make_unique<dns::Responder>(g_world->zone);
    std::atexit([] {
        delete g_world;
        g_world = nullptr;
    });
}

void check_response(std::span<const std::uint8_t> query, std::span<const std::uint8_t> out, std::size_t size,
                    dns::Transport transport) {
    FUZZ_CHECK(size <= out.size());
    if (size == 0) return;  // nothing sent: only for an unreadable header or a response
    FUZZ_CHECK(size >= 12);
    FUZZ_CHECK(query.size() >= 12);
    FUZZ_CHECK((query[2] & 0x80) == 0);  // never answer a response
    if (transport == dns::Transport::udp) FUZZ_CHECK(size <= dns::kMaxUdpPayload);
    FUZZ_CHECK((out[2] & 0x80) != 0);              // QR
    FUZZ_CHECK(out[0] == query[0] && out[1] == query[1]);  // ID copied
    FUZZ_CHECK((out[2] & 0x78) == (query[2] & 0x78));      // opcode copied (RFC 1035 §4.1.1)
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    build_world();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static std::array<std::uint8_t, dns::kMaxMessage> out;
    const std::span<const std::uint8_t> query(data, size);
    for (const auto transport : {dns::Transport::udp, dns::Transport::tcp}) {
        const std::size_t n = g_world->responder->respond(query, out, transport, *g_world->snapshot);
        check_response(query, out, n, transport);
    }
    return 0;
}
