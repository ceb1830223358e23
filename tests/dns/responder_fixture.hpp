// The responder test fixture: a real store (fresh LMDB environment in a temp folder) with
// dynamic TXT written through store::Writer, and a zone whose static records come from
// zone-file lines. Shared by responder_test.cpp and responder_errors_test.cpp.
#pragma once

#include <stdlib.h>

#include <array>
#include <filesystem>
#include <optional>
#include <vector>

#include <gtest/gtest.h>

#include "core/txt.hpp"
#include "dns/responder.hpp"
#include "dns/zone_text.hpp"
#include "store/store.hpp"
#include "store/writer.hpp"
#include "test_wire.hpp"

namespace acmezone::dns::test {

inline constexpr std::uint16_t kCH = 3;

inline core::Name n(std::string_view text) { return core::Name::from_text(text).value(); }

inline std::shared_ptr<const core::Zone> make_zone() {
    core::ZoneSpec spec;
    spec.apex = n("acme.test");
    spec.nameservers = {n("ns1.acme.test"), n("ns2.acme.test")};
    spec.hostmaster = n("hostmaster.example.test");
    spec.soa.ttl = 30;
    spec.soa.minimum = 10;
    spec.max_txt_per_name = 20;
    const char* lines[] = {
        "NS1 300 A 192.0.2.1",
        "@ 300 CAA 0 issue \"LetsEncrypt.org\"",
        "Deep.Static 300 TXT \"static value\"",
        "alias 300 CNAME Target",
        "Target 300 A 192.0.2.7",
        "out 300 CNAME www.example.org.",
        "gone 300 CNAME missing",
        "empty 300 CNAME ns1",
        "loop1 300 CNAME loop2",
        "loop2 300 CNAME loop1",
    };
    for (const char* line : lines) {
        auto rr = parse_record_line(line, spec.apex, 300);
        EXPECT_TRUE(rr) << rr.error().message;
        if (rr) spec.records.push_back(rr.value());
    }
    auto zone = core::Zone::build(spec);
    EXPECT_TRUE(zone) << zone.error().message;
    return std::make_shared<const core::Zone>(std::move(zone.value()));
}

inline std::string value_of(char c, std::size_t size) { return std::string(size, c); }

class ResponderTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        char tmpl[] = "/tmp/acmezone-dns-test-XXXXXX";
        ASSERT_NE(mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
        zone_ = make_zone();
        store::StoreOptions options;
        options.path = dir_ / "data";
        options.map_size = std::size_t{16} << 20;
        auto opened = store::Store::open(options);
        ASSERT_TRUE(opened) << opened.error().message;
        store_ = std::move(opened.value());
        store::Writer writer(*store_, zone_);
        add(writer, "_acme-challenge.x.acme.test", {"first-value", "second-value"});
        add(writer, "long.acme.test", {value_of('L', 300)});
        add(writer, "a.b.dyn.acme.test", {"deep"});
        std::vector<std::string> many;
        for (char c = 'a'; c < 'a' + 20; ++c) many.push_back(value_of(c, 43));
        add(writer, "many.acme.test", many);
        writer.stop();
    }

    static void TearDownTestSuite() {
        store_.reset();
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
    }

    static void add(store::Writer& writer, const char* owner, const std::vector<std::string>& values) {
        core::ChangeSet change;
        change.actor = "test";
        for (const auto& v : values) {
            core::Operation op{core::OpKind::add_rr, n(owner), core::rrtype::TXT, 60, core::txt_rdata_from_value(v).value(), 0};
            change.operations.push_back(op);
        }
        auto result = writer.submit(std::move(change)).get();
        ASSERT_TRUE(result) << result.error().message;
    }

    void SetUp() override {
        snapshot_.emplace(*store_);
        ASSERT_TRUE(snapshot_->begin());
    }
    void TearDown() override { snapshot_->end(); }

    std::size_t respond(const Bytes& query, Transport transport = Transport::udp) {
        const Responder responder(zone_);
        return responder.respond(query, out_, transport, *snapshot_);
    }

    std::string soa(std::uint32_t ttl) const {
        return "acme.test. " + std::to_string(ttl) + " SOA ns1.acme.test. hostmaster.example.test. " +
               std::to_string(snapshot_->serial()) + " 300 60 1209600 10";
    }

    static inline std::filesystem::path dir_;
    static inline std::shared_ptr<const core::Zone> zone_;
    static inline std::unique_ptr<store::Store> store_;
    std::optional<store::Snapshot> snapshot_;
    std::array<std::uint8_t, kMaxMessage> out_{};
};

// What the response's OPT said (read from the last 11 octets; ours carries no options).
struct OptSeen {
    bool present = false;
    std::uint16_t payload = 0;
    std::uint8_t ext_rcode = 0, version = 0;
    bool do_bit = false;
    std::uint16_t rdlength = 0;
};

inline OptSeen opt_of(const std::uint8_t* msg, std::size_t size) {
    OptSeen o;
    const std::uint16_t arcount = static_cast<std::uint16_t>(msg[10] << 8 | msg[11]);
    if (arcount == 0 || size < 12 + 11) return o;
    const std::uint8_t* p = msg + size - 11;
    if (p[0] != 0 || p[1] != 0 || p[2] != 41) return o;
    o.present = true;
    o.payload = static_cast<std::uint16_t>(p[3] << 8 | p[4]);
    o.ext_rcode = p[5];
    o.version = p[6];
    o.do_bit = (p[7] & 0x80) != 0;
    EXPECT_EQ(p[7] & 0x7f, 0);  // other flag bits zero
    EXPECT_EQ(p[8], 0);
    o.rdlength = static_cast<std::uint16_t>(p[9] << 8 | p[10]);
    return o;
}
inline QuerySpec q(const char* qname, std::uint16_t qtype, std::uint16_t qclass = 1) {
    QuerySpec spec;
    spec.qname = qname;
    spec.qtype = qtype;
    spec.qclass = qclass;
    return spec;
}

// A query that the responder must answer, and one that it must reject, from the case tables.
std::vector<Bytes> lookup_queries();
std::vector<Bytes> error_queries();

}  // namespace acmezone::dns::test
