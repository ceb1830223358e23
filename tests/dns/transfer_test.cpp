// dns/transfer: AXFR split into messages, multi-message TSIG (verified here with the RFC 8945
// §5.3.1 rules), the ACL, and IXFR from the journal with its fallbacks.
#include "dns/transfer.hpp"

#include <stdlib.h>

#include <cstring>
#include <filesystem>

#include <gtest/gtest.h>

#include "core/txt.hpp"
#include "dns/keyring.hpp"
#include "dns/transfer_service.hpp"
#include "dns/wire_reader.hpp"
#include "store/writer.hpp"

using namespace acmezone;
using namespace acmezone::dns;

namespace {

core::Name n(std::string_view text) { return core::Name::from_text(text).value(); }

const std::string kSecret = "0123456789abcdef0123456789abcdef";

TsigKeyMaterial xfr_key() { return TsigKeyMaterial{n("xfr-key"), TsigAlgorithm::hmac_sha256, kSecret}; }

std::uint16_t u16(const std::vector<std::uint8_t>& m, std::size_t at) { return static_cast<std::uint16_t>((m[at] << 8) | m[at + 1]); }
std::uint32_t u32(const std::vector<std::uint8_t>& m, std::size_t at) {
    return (std::uint32_t{m[at]} << 24) | (std::uint32_t{m[at + 1]} << 16) | (std::uint32_t{m[at + 2]} << 8) | m[at + 3];
}

struct Rr {
    std::string owner;  // canonical text
    std::uint16_t type;
    std::vector<std::uint8_t> rdata;
    std::uint32_t soa_serial = 0;
};

// The answer-section RRs of one message, and where its TSIG starts (0 when unsigned).
std::vector<Rr> answers(const std::vector<std::uint8_t>& m, std::size_t* tsig_offset = nullptr) {
    std::vector<Rr> out;
    std::span<const std::uint8_t> msg(m);
    std::size_t pos = kHeaderSize;
    WireName name;
    for (unsigned i = 0; i < u16(m, 4); ++i) {
        EXPECT_EQ(read_name(msg, pos, name), NameError::none);
        pos += 4;
    }
    const unsigned an = u16(m, 6);
    const unsigned total = an + u16(m, 8) + u16(m, 10);
    if (tsig_offset) *tsig_offset = 0;
    for (unsigned i = 0; i < total; ++i) {
        const std::size_t start = pos;
        EXPECT_EQ(read_name(msg, pos, name), NameError::none);
        Rr rr{core::Name::from_wire(name.wire_span()).value().to_canonical_text(), u16(m, pos), {}};
        const std::size_t len = u16(m, pos + 8);
        rr.rdata.assign(m.begin() + static_cast<std::ptrdiff_t>(pos + 10), m.begin() + static_cast<std::ptrdiff_t>(pos + 10 + len));
        if (rr.type == core::rrtype::SOA) {
            std::size_t p = pos + 10;
            WireName skip;
            read_name(msg, p, skip);
            read_name(msg, p, skip);
            rr.soa_serial = u32(m, p);
        }
        if (rr.type == core::rrtype::TSIG && tsig_offset) *tsig_offset = start;
        pos += 10 + len;
        if (i < an) out.push_back(std::move(rr));
    }
    EXPECT_EQ(pos, m.size());
    return out;
}

std::vector<std::uint8_t> make_query(std::uint16_t id, std::string_view zone, std::uint16_t qtype,
                                     std::optional<std::uint32_t> ixfr_serial = std::nullopt) {
    std::vector<std::uint8_t> q = {static_cast<std::uint8_t>(id >> 8), static_cast<std::uint8_t>(id), 0, 0, 0, 1, 0, 0, 0,
                                   static_cast<std::uint8_t>(ixfr_serial ? 1 : 0), 0, 0};
    const core::Name owner = n(zone);  // wire() views into the Name, so keep it alive
    const auto wire = owner.wire();
    q.insert(q.end(), wire.begin(), wire.end());
    q.insert(q.end(), {static_cast<std::uint8_t>(qtype >> 8), static_cast<std::uint8_t>(qtype), 0, 1});
    if (ixfr_serial) {
        // Authority: the client's SOA (RFC 1995 §3), owner compressed to the question.
        q.insert(q.end(), {0xc0, 12, 0, 6, 0, 1, 0, 0, 0, 0, 0, 22, 0, 0});
        const std::uint32_t s = *ixfr_serial;
        q.insert(q.end(), {static_cast<std::uint8_t>(s >> 24), static_cast<std::uint8_t>(s >> 16), static_cast<std::uint8_t>(s >> 8),
                           static_cast<std::uint8_t>(s), 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1});
    }
    return q;
}

std::vector<std::uint8_t> signed_query(std::vector<std::uint8_t> q, const TsigKeyMaterial& key, std::uint64_t now) {
    const std::size_t size = q.size();
    q.resize(size + 200);
    q.resize(sign_request(q, size, key, TsigVariables{now, 300, 0, {}}));
    return q;
}

class TransferTest : public ::testing::Test {
protected:
    void SetUp() override {
        char tmpl[] = "/tmp/acmezone-xfr-test-XXXXXX";
        ASSERT_NE(mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
        core::ZoneSpec spec;
        spec.apex = n("acme.test");
        spec.nameservers = {n("ns1.acme.test"), n("ns2.acme.test")};
        spec.hostmaster = n("hostmaster.example.test");
        spec.records.push_back({n("ns1.acme.test"), core::rrtype::A, core::rrclass::IN, 300, std::string("\xc0\x00\x02\x01", 4)});
        zone_ = std::make_shared<const core::Zone>(core::Zone::build(spec).value());
        store::StoreOptions options;
        options.path = dir_ / "data";
        options.map_size = std::size_t{64} << 20;
        store_ = store::Store::open(options).value();
        writer_ = std::make_unique<store::Writer>(*store_, zone_);
        options_.acl.allow.push_back(core::parse_cidr("127.0.0.0/8").value());
    }
    void TearDown() override {
        writer_.reset();
        store_.reset();
        std::filesystem::remove_all(dir_);
    }
    core::CommitResult put(std::string_view owner, std::string_view value) {
        core::ChangeSet cs;
        cs.operations.push_back(core::Operation{core::OpKind::add_rr, n(owner), core::rrtype::TXT, 60,
                                                core::txt_rdata_from_value(value).value(), 0});
        return writer_->submit(std::move(cs)).get().value();
    }
    TransferAnswer ask(const std::vector<std::uint8_t>& query, std::string_view peer = "127.0.0.1", std::uint64_t now = 1700000000) {
        store::Snapshot snapshot(*store_);
        return answer_transfer(query, core::parse_ip(peer), *zone_, *store_, snapshot, options_, now);
    }
    std::uint32_t serial() {
        store::Snapshot s(*store_);
        EXPECT_TRUE(s.begin());
        return s.serial();
    }
    static std::uint16_t rcode(const std::vector<std::uint8_t>& m) { return m[3] & 0x0f; }

    std::filesystem::path dir_;
    std::shared_ptr<const core::Zone> zone_;
    std::unique_ptr<store::Store> store_;
    std::unique_ptr<store::Writer> writer_;
    TransferOptions options_;
};

}  // namespace

TEST(TransferQuery, RecognisesAxfrAndIxfrOnly) {
    EXPECT_TRUE(is_transfer_query(make_query(1, "acme.test", core::rrtype::AXFR)));
    EXPECT_TRUE(is_transfer_query(make_query(1, "acme.test", core::rrtype::IXFR, 5)));
    EXPECT_FALSE(is_transfer_query(make_query(1, "acme.test", core::rrtype::SOA)));
    auto response = make_query(1, "acme.test", core::rrtype::AXFR);
    response[2] |= 0x80;
    EXPECT_FALSE(is_transfer_query(response));
    EXPECT_FALSE(is_transfer_query(std::vector<std::uint8_t>(5, 0)));
}

TEST_F(TransferTest, AxfrIsTheWholeZoneInSeveralMessagesBetweenTwoSoas) {
    for (int i = 0; i < 400; ++i) put("l" + std::to_string(i) + ".acme.test", std::string(60, 'v') + std::to_string(i));
    const std::uint32_t s = serial();
    const auto a = ask(make_query(0x1234, "acme.test", core::rrtype::AXFR));
    ASSERT_EQ(a.kind, TransferKind::axfr);
    ASSERT_GE(a.messages.size(), 3u);  // ~40 KiB of TXT: at least three 16 KiB messages
    std::vector<Rr> all;
    for (std::size_t i = 0; i < a.messages.size(); ++i) {
        const auto& m = a.messages[i];
        EXPECT_LE(m.size(), options_.message_size + 600);
        EXPECT_EQ(u16(m, 0), 0x1234);                  // same ID throughout
        EXPECT_EQ(rcode(m), rcode::NOERROR);
        EXPECT_TRUE(m[2] & 0x04);                      // AA
        EXPECT_EQ(u16(m, 4), i == 0 ? 1 : 0);          // the question in the first message only
        auto rrs = answers(m);
        all.insert(all.end(), rrs.begin(), rrs.end());
    }
    ASSERT_EQ(all.size(), 1u + 2 + 1 + 400 + 1);  // SOA, 2 NS, static A, TXTs, SOA
    EXPECT_EQ(all.front().type, core::rrtype::SOA);
    EXPECT_EQ(all.back().type, core::rrtype::SOA);
    EXPECT_EQ(all.front().soa_serial, s);
    EXPECT_EQ(all.back().rdata, all.front().rdata);
    std::size_t txt = 0;
    for (const auto& rr : all) txt += rr.type == core::rrtype::TXT;
    EXPECT_EQ(txt, 400u);
    EXPECT_EQ(a.records, all.size());
}

TEST_F(TransferTest, SignedAxfrSignsEveryMessagePerRfc8945Section531) {
    for (int i = 0; i < 300; ++i) put("l" + std::to_string(i) + ".acme.test", std::string(80, 'x'));
    options_.acl.allow.clear();
    options_.acl.keys.push_back(xfr_key());
    const std::uint64_t now = 1700000000;
    const auto request = signed_query(make_query(7, "acme.test", core::rrtype::AXFR), xfr_key(), now);
    TsigRecord request_tsig;
    ASSERT_EQ(find_tsig(request, request_tsig), TsigFind::found);
    const auto a = ask(request, "127.0.0.1", now);
    ASSERT_EQ(a.kind, TransferKind::axfr);
    ASSERT_GE(a.messages.size(), 2u);
    std::vector<std::uint8_t> prior(request_tsig.mac.begin(), request_tsig.mac.end());
    for (std::size_t i = 0; i < a.messages.size(); ++i) {
        const auto& m = a.messages[i];
        TsigRecord rec;
        ASSERT_EQ(find_tsig(m, rec), TsigFind::found) << "message " << i;
        // The MAC input is the message without its TSIG, ARCOUNT one less.
        std::vector<std::uint8_t> body(m.begin(), m.begin() + static_cast<std::ptrdiff_t>(rec.offset));
        body[11] = static_cast<std::uint8_t>(body[11] - 1);
        std::array<std::uint8_t, kMaxTsigDigest> mac{};
        const TsigVariables vars{rec.time_signed, rec.fudge, rec.error, rec.other};
        const std::size_t size = i == 0 ? tsig_mac(xfr_key(), prior, true, body, rec.original_id, vars, mac)
                                        : tsig_mac_timers_only(xfr_key(), prior, body, rec.original_id, vars, mac);
        ASSERT_EQ(size, 32u);
        ASSERT_EQ(rec.mac.size(), 32u);
        EXPECT_EQ(std::memcmp(mac.data(), rec.mac.data(), 32), 0) << "message " << i;
        // The full-variables form must NOT verify a later message (it is the other rule).
        if (i > 0) {
            tsig_mac(xfr_key(), prior, true, body, rec.original_id, vars, mac);
            EXPECT_NE(std::memcmp(mac.data(), rec.mac.data(), 32), 0);
        }
        prior.assign(rec.mac.begin(), rec.mac.end());
    }
}

TEST_F(TransferTest, DenyByDefaultAndTheAclRules) {
    const auto axfr = make_query(9, "acme.test", core::rrtype::AXFR);
    options_.acl = {};
    auto a = ask(axfr);
    EXPECT_EQ(a.kind, TransferKind::refused);
    ASSERT_EQ(a.messages.size(), 1u);
    EXPECT_EQ(rcode(a.messages[0]), rcode::REFUSED);
    EXPECT_TRUE(answers(a.messages[0]).empty());

    options_.acl.allow.push_back(core::parse_cidr("192.0.2.0/24").value());
    EXPECT_EQ(ask(axfr, "127.0.0.1").kind, TransferKind::refused);  // wrong address
    EXPECT_EQ(ask(axfr, "192.0.2.9").kind, TransferKind::axfr);

    // Address and key: both needed.
    options_.acl.keys.push_back(xfr_key());
    EXPECT_EQ(ask(axfr, "192.0.2.9").kind, TransferKind::refused);
    const std::uint64_t now = 1700000000;
    EXPECT_EQ(ask(signed_query(axfr, xfr_key(), now), "192.0.2.9", now).kind, TransferKind::axfr);
    auto signed_wrong_place = ask(signed_query(axfr, xfr_key(), now), "127.0.0.1", now);
    EXPECT_EQ(signed_wrong_place.kind, TransferKind::refused);
    TsigRecord rec;
    EXPECT_EQ(find_tsig(signed_wrong_place.messages.at(0), rec), TsigFind::found);  // the refusal is signed

    // Key alone.
    options_.acl.allow.clear();
    EXPECT_EQ(ask(axfr).kind, TransferKind::refused);
    EXPECT_EQ(ask(signed_query(axfr, xfr_key(), now), "198.51.100.1", now).kind, TransferKind::axfr);
}

TEST_F(TransferTest, UnknownKeysBadSignaturesAndOtherZonesAreNotauth) {
    const std::uint64_t now = 1700000000;
    options_.acl.keys.push_back(xfr_key());
    const auto axfr = make_query(3, "acme.test", core::rrtype::AXFR);
    // An update key (not a transfer key) is unknown here: BADKEY, unsigned.
    const TsigKeyMaterial update_key{n("update-key"), TsigAlgorithm::hmac_sha256, kSecret};
    auto a = ask(signed_query(axfr, update_key, now), "127.0.0.1", now);
    EXPECT_EQ(a.kind, TransferKind::notauth);
    ASSERT_EQ(a.messages.size(), 1u);
    EXPECT_EQ(rcode(a.messages[0]), rcode::NOTAUTH);
    TsigRecord rec;
    ASSERT_EQ(find_tsig(a.messages[0], rec), TsigFind::found);
    EXPECT_EQ(rec.error, tsig_error::BADKEY);
    EXPECT_TRUE(rec.mac.empty());
    // Right name, wrong secret: BADSIG.
    const TsigKeyMaterial forged{n("xfr-key"), TsigAlgorithm::hmac_sha256, "another secret, same name....."};
    a = ask(signed_query(axfr, forged, now), "127.0.0.1", now);
    ASSERT_EQ(find_tsig(a.messages.at(0), rec), TsigFind::found);
    EXPECT_EQ(rec.error, tsig_error::BADSIG);
    // Another zone.
    a = ask(make_query(3, "other.test", core::rrtype::AXFR));
    EXPECT_EQ(a.kind, TransferKind::notauth);
    EXPECT_EQ(rcode(a.messages.at(0)), rcode::NOTAUTH);
}

TEST_F(TransferTest, IxfrFromTheJournalWithItsFallbacks) {
    const std::uint32_t s0 = serial();
    put("a.acme.test", "one");
    put("b.acme.test", "two");
    const std::uint32_t s2 = serial();
    ASSERT_EQ(s2, s0 + 2);

    // Current: our SOA alone.
    auto a = ask(make_query(5, "acme.test", core::rrtype::IXFR, s2));
    EXPECT_EQ(a.kind, TransferKind::ixfr_current);
    auto rrs = answers(a.messages.at(0));
    ASSERT_EQ(rrs.size(), 1u);
    EXPECT_EQ(rrs[0].soa_serial, s2);

    // Covered: SOA(s2), [SOA(s0), SOA(s0+1), a], [SOA(s0+1), SOA(s2), b], SOA(s2).
    a = ask(make_query(5, "acme.test", core::rrtype::IXFR, s0));
    EXPECT_EQ(a.kind, TransferKind::ixfr_diff);
    rrs = answers(a.messages.at(0));
    ASSERT_EQ(rrs.size(), 8u);
    const std::vector<std::uint32_t> soas = {s2, s0, s0 + 1, s0 + 1, s2, s2};
    std::vector<std::uint32_t> seen;
    for (const auto& rr : rrs)
        if (rr.type == core::rrtype::SOA) seen.push_back(rr.soa_serial);
    EXPECT_EQ(seen, soas);
    EXPECT_EQ(rrs[3].owner, "a.acme.test.");
    EXPECT_EQ(rrs[6].owner, "b.acme.test.");

    // Older than the journal, unknown, or newer than ours: the whole zone inside the IXFR reply.
    for (std::uint32_t client : {s0 - 5, s2 + 10}) {
        a = ask(make_query(5, "acme.test", core::rrtype::IXFR, client));
        EXPECT_EQ(a.kind, TransferKind::ixfr_full);
        rrs = answers(a.messages.at(0));
        ASSERT_GE(rrs.size(), 3u);
        EXPECT_EQ(rrs.front().soa_serial, s2);
        EXPECT_EQ(rrs.back().soa_serial, s2);
        EXPECT_NE(rrs[1].type, core::rrtype::SOA);  // AXFR form, not a diff
    }
    // No SOA in the authority section: FORMERR.
    EXPECT_EQ(ask(make_query(5, "acme.test", core::rrtype::IXFR)).kind, TransferKind::formerr);
}

TEST_F(TransferTest, ServiceFramesTheMessages) {
    TransferService service(*store_, std::make_shared<Responder>(zone_), options_);
    const auto framed = service.handle(make_query(1, "acme.test", core::rrtype::AXFR), "127.0.0.1");
    ASSERT_GT(framed.size(), 2u);
    const std::size_t first = (std::size_t{framed[0]} << 8) | framed[1];
    EXPECT_LE(first + 2, framed.size());
    EXPECT_EQ(service.stats().axfr, 1u);
    EXPECT_TRUE(service.handle(make_query(1, "acme.test", core::rrtype::AXFR), "10.9.9.9").size() > 2);
    EXPECT_EQ(service.stats().refused, 1u);
}

TEST_F(TransferTest, TransferKeysVerifyQueriesButNeverWrite) {
    // The update side knows transfer keys only to answer a secondary's signed SOA check.
    Keyring keyring({}, store_.get(), false, {xfr_key()});
    ResolvedKey found;
    ASSERT_TRUE(keyring.find(n("xfr-key"), found).value());
    EXPECT_EQ(found.grant.kind, Grant::Kind::none);
    EXPECT_FALSE(found.grant.may_write(n("anything.acme.test"), core::rrtype::TXT, *zone_));
    EXPECT_FALSE(found.grant.alias_owner(n("www.example.com"), *zone_));
    EXPECT_FALSE(keyring.find(n("other-key"), found).value());
}
