// RFC 2136 UPDATE: parsing, the zone / prerequisite / pre-scan / scope tables of
// prepare_update, the writer's result mapped to RCODEs, and the whole update service on a real
// store and writer (TSIG errors, signed answers, prerequisites evaluated at commit, alias mode).
#include "dns/update.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <ctime>
#include <future>
#include <string>
#include <vector>

#include "common/temp_dir.hpp"
#include "core/rr.hpp"
#include "core/txt.hpp"
#include "dns/update_service.hpp"
#include "store/credentials.hpp"
#include "store/snapshot.hpp"
#include "store/tsig_keys.hpp"
#include "store/writer.hpp"

namespace acmezone::dns {
namespace {

using core::rrclass::ANY;
using core::rrclass::IN;
using core::rrclass::NONE;
using core::rrtype::TXT;

core::Name n(std::string_view text) { return core::Name::from_text(text).value(); }
std::string txt(std::string_view v) { return core::txt_rdata_from_value(v).value(); }

std::shared_ptr<const core::Zone> make_zone() {
    core::ZoneSpec spec;
    spec.apex = n("acme.test");
    spec.nameservers = {n("ns1.example.net")};
    spec.hostmaster = n("hostmaster.example.net");
    spec.max_txt_per_name = 3;
    spec.records.push_back({n("static.acme.test"), TXT, IN, 300, txt("fixed")});
    return std::make_shared<const core::Zone>(core::Zone::build(std::move(spec)).value());
}

// A small UPDATE encoder (names uncompressed).
struct Rr {
    std::string owner;
    std::uint16_t type;
    std::uint16_t rrclass;
    std::uint32_t ttl;
    std::string rdata;
};
void put16(std::vector<std::uint8_t>& o, std::uint16_t v) {
    o.push_back(static_cast<std::uint8_t>(v >> 8));
    o.push_back(static_cast<std::uint8_t>(v));
}
void put_name(std::vector<std::uint8_t>& o, std::string_view name) {
    const core::Name parsed = n(name);
    const auto w = parsed.wire();
    o.insert(o.end(), w.begin(), w.end());
}
std::vector<std::uint8_t> encode_update(std::string_view zone, const std::vector<Rr>& prereqs, const std::vector<Rr>& updates,
                                        std::uint16_t ztype = core::rrtype::SOA, std::uint16_t zcount = 1) {
    std::vector<std::uint8_t> o;
    put16(o, 0x4242);
    put16(o, static_cast<std::uint16_t>(opcode::UPDATE << 11));
    put16(o, zcount);
    put16(o, static_cast<std::uint16_t>(prereqs.size()));
    put16(o, static_cast<std::uint16_t>(updates.size()));
    put16(o, 0);
    for (std::uint16_t i = 0; i < zcount; ++i) {
        put_name(o, zone);
        put16(o, ztype);
        put16(o, IN);
    }
    for (const auto* section : {&prereqs, &updates})
        for (const auto& rr : *section) {
            put_name(o, rr.owner);
            put16(o, rr.type);
            put16(o, rr.rrclass);
            put16(o, static_cast<std::uint16_t>(rr.ttl >> 16));
            put16(o, static_cast<std::uint16_t>(rr.ttl));
            put16(o, static_cast<std::uint16_t>(rr.rdata.size()));
            o.insert(o.end(), rr.rdata.begin(), rr.rdata.end());
        }
    return o;
}

Grant names_grant(std::vector<std::string> owners) {
    Grant g;
    g.kind = Grant::Kind::names;
    for (const auto& o : owners) g.names.push_back(n(o));
    g.actor = "tsig:test";
    return g;
}

Grant credential_grant() {
    Grant g;
    g.kind = Grant::Kind::credential;
    g.credential.username = "alice";
    g.credential.labels = {core::Label{"com-example-www", "www.example.com", "reverse"}};
    g.actor = "alice";
    return g;
}

PreparedUpdate prepare(const std::vector<std::uint8_t>& msg, const Grant& grant, bool alias = true) {
    UpdateMessage m;
    const auto rc = parse_update(msg, 0, m);
    if (rc != rcode::NOERROR) {
        PreparedUpdate p;
        p.rcode = rc;
        return p;
    }
    return prepare_update(m, *make_zone(), grant, alias);
}

TEST(UpdatePrepare, ZoneSection) {
    const Grant g = names_grant({"a.acme.test"});
    EXPECT_EQ(prepare(encode_update("acme.test", {}, {}), g).rcode, rcode::NOERROR);
    EXPECT_EQ(prepare(encode_update("acme.test", {}, {}, core::rrtype::SOA, 2), g).rcode, rcode::FORMERR);
    EXPECT_EQ(prepare(encode_update("acme.test", {}, {}, core::rrtype::SOA, 0), g).rcode, rcode::FORMERR);
    EXPECT_EQ(prepare(encode_update("acme.test", {}, {}, core::rrtype::TXT), g).rcode, rcode::FORMERR);
    EXPECT_EQ(prepare(encode_update("other.test", {}, {}), g).rcode, rcode::NOTAUTH);
    EXPECT_EQ(prepare(encode_update("sub.acme.test", {}, {}), g).rcode, rcode::NOTAUTH);
}

TEST(UpdatePrepare, PrerequisiteTable) {  // RFC 2136 §2.4 / §3.2
    const Grant g = names_grant({"a.acme.test"});
    struct Case {
        Rr rr;
        std::uint16_t rcode;
        core::PrereqKind kind;
    };
    const Case cases[] = {
        {{"a.acme.test", core::rrtype::ANY, ANY, 0, ""}, rcode::NOERROR, core::PrereqKind::name_in_use},
        {{"a.acme.test", TXT, ANY, 0, ""}, rcode::NOERROR, core::PrereqKind::rrset_exists},
        {{"a.acme.test", core::rrtype::ANY, NONE, 0, ""}, rcode::NOERROR, core::PrereqKind::name_not_in_use},
        {{"a.acme.test", TXT, NONE, 0, ""}, rcode::NOERROR, core::PrereqKind::rrset_absent},
        {{"a.acme.test", TXT, IN, 0, txt("v")}, rcode::NOERROR, core::PrereqKind::rrset_exists_exactly},
        {{"a.acme.test", TXT, ANY, 5, ""}, rcode::FORMERR, {}},             // TTL must be 0
        {{"a.acme.test", TXT, ANY, 0, txt("v")}, rcode::FORMERR, {}},       // ANY with RDATA
        {{"a.acme.test", TXT, NONE, 0, txt("v")}, rcode::FORMERR, {}},      // NONE with RDATA
        {{"a.acme.test", TXT, core::rrclass::CH, 0, ""}, rcode::FORMERR, {}},
        {{"a.acme.test", core::rrtype::ANY, IN, 0, ""}, rcode::FORMERR, {}},
        {{"a.other.test", TXT, ANY, 0, ""}, rcode::NOTZONE, {}},
        {{"b.acme.test", TXT, ANY, 0, ""}, rcode::REFUSED, {}},             // outside the key's names
        {{"acme.test", core::rrtype::SOA, ANY, 0, ""}, rcode::REFUSED, {}},  // the apex is reserved
    };
    for (const auto& c : cases) {
        const auto p = prepare(encode_update("acme.test", {c.rr}, {}), g);
        EXPECT_EQ(p.rcode, c.rcode) << c.rr.owner << " " << c.rr.type << "/" << c.rr.rrclass << " " << p.detail;
        if (c.rcode == rcode::NOERROR) {
            ASSERT_EQ(p.change.prerequisites.size(), 1u);
            EXPECT_EQ(p.change.prerequisites[0].kind, c.kind);
        }
    }
    // Value-dependent prerequisites for one (name, type) form one set (§3.2.3).
    const auto p = prepare(encode_update("acme.test", {{"a.acme.test", TXT, IN, 0, txt("1")}, {"a.acme.test", TXT, IN, 0, txt("2")},
                                                       {"a.acme.test", TXT, IN, 0, txt("1")}}, {}), g);
    ASSERT_EQ(p.rcode, rcode::NOERROR);
    ASSERT_EQ(p.change.prerequisites.size(), 1u);
    EXPECT_EQ(p.change.prerequisites[0].rdatas, (std::vector<std::string>{txt("1"), txt("2")}));
}

TEST(UpdatePrepare, PrescanTable) {  // RFC 2136 §3.4.1, then the key's scope
    const Grant g = names_grant({"a.acme.test"});
    struct Case {
        Rr rr;
        std::uint16_t rcode;
    };
    const Case cases[] = {
        {{"a.acme.test", TXT, IN, 60, txt("v")}, rcode::NOERROR},
        {{"a.acme.test", TXT, ANY, 0, ""}, rcode::NOERROR},
        {{"a.acme.test", core::rrtype::ANY, ANY, 0, ""}, rcode::NOERROR},
        {{"a.acme.test", TXT, NONE, 0, txt("v")}, rcode::NOERROR},
        {{"x.other.test", TXT, IN, 60, txt("v")}, rcode::NOTZONE},
        {{"a.acme.test", core::rrtype::ANY, IN, 60, ""}, rcode::FORMERR},
        {{"a.acme.test", core::rrtype::AXFR, IN, 60, ""}, rcode::FORMERR},
        {{"a.acme.test", core::rrtype::TSIG, IN, 0, ""}, rcode::FORMERR},
        {{"a.acme.test", core::rrtype::OPT, IN, 0, ""}, rcode::FORMERR},
        {{"a.acme.test", TXT, ANY, 60, ""}, rcode::FORMERR},           // ANY: TTL 0
        {{"a.acme.test", TXT, ANY, 0, txt("v")}, rcode::FORMERR},      // ANY: no RDATA
        {{"a.acme.test", core::rrtype::IXFR, ANY, 0, ""}, rcode::FORMERR},
        {{"a.acme.test", TXT, NONE, 60, txt("v")}, rcode::FORMERR},    // NONE: TTL 0
        {{"a.acme.test", core::rrtype::ANY, NONE, 0, ""}, rcode::FORMERR},
        {{"a.acme.test", TXT, core::rrclass::CH, 60, txt("v")}, rcode::FORMERR},
        {{"a.acme.test", TXT, IN, 60, std::string("\x05" "ab", 3)}, rcode::FORMERR},  // malformed TXT
        {{"b.acme.test", TXT, IN, 60, txt("v")}, rcode::REFUSED},       // another owner
        {{"a.acme.test", core::rrtype::A, IN, 60, std::string("\x7f\0\0\1", 4)}, rcode::REFUSED},  // another type
        {{"acme.test", core::rrtype::NS, ANY, 0, ""}, rcode::REFUSED},  // apex NS
        {{"acme.test", core::rrtype::SOA, IN, 60, "x"}, rcode::REFUSED},
        {{"static.acme.test", TXT, IN, 60, txt("v")}, rcode::REFUSED},  // static records
        {{"a.acme.test", core::rrtype::RRSIG, ANY, 0, ""}, rcode::REFUSED},
    };
    for (const auto& c : cases) {
        const auto p = prepare(encode_update("acme.test", {}, {c.rr}), g);
        EXPECT_EQ(p.rcode, c.rcode) << c.rr.owner << " " << c.rr.type << "/" << c.rr.rrclass << " " << p.detail;
    }
    // One RR out of scope refuses the whole message.
    const auto p = prepare(encode_update("acme.test", {}, {{"a.acme.test", TXT, IN, 60, txt("v")}, {"b.acme.test", TXT, IN, 60, txt("v")}}), g);
    EXPECT_EQ(p.rcode, rcode::REFUSED);
    EXPECT_TRUE(p.change.operations.empty());
}

TEST(UpdatePrepare, OperationsAndZoneWideKey) {
    Grant g;
    g.kind = Grant::Kind::zone;
    const auto p = prepare(encode_update("acme.test", {}, {{"x.y.acme.test", TXT, IN, 120, txt("v")},
                                                           {"x.y.acme.test", TXT, NONE, 0, txt("old")},
                                                           {"z.acme.test", TXT, ANY, 0, ""},
                                                           {"w.acme.test", core::rrtype::ANY, ANY, 0, ""}}), g);
    ASSERT_EQ(p.rcode, rcode::NOERROR) << p.detail;
    ASSERT_EQ(p.change.operations.size(), 4u);
    EXPECT_EQ(p.change.operations[0].kind, core::OpKind::add_rr);
    EXPECT_EQ(p.change.operations[0].ttl, 120u);
    EXPECT_EQ(p.change.operations[1].kind, core::OpKind::delete_rr);
    EXPECT_EQ(p.change.operations[1].rdata, txt("old"));
    EXPECT_EQ(p.change.operations[2].kind, core::OpKind::delete_rrset);
    EXPECT_EQ(p.change.operations[3].kind, core::OpKind::delete_name);
    EXPECT_EQ(prepare(encode_update("acme.test", {}, {{"acme.test", TXT, IN, 60, txt("v")}}), g).rcode, rcode::REFUSED);
}

TEST(UpdatePrepare, AliasMode) {
    const Grant g = credential_grant();
    // Normal mode: the label itself.
    auto p = prepare(encode_update("acme.test", {}, {{"com-example-www.acme.test", TXT, IN, 60, txt("v")}}), g);
    ASSERT_EQ(p.rcode, rcode::NOERROR);
    // Alias mode: zone = the customer name or its _acme-challenge name, mapped to the label.
    for (const char* zone : {"www.example.com", "_acme-challenge.www.example.com"}) {
        p = prepare(encode_update(zone, {}, {{"_acme-challenge.www.example.com", TXT, IN, 60, txt("v")}}), g);
        ASSERT_EQ(p.rcode, rcode::NOERROR) << zone << " " << p.detail;
        ASSERT_EQ(p.change.operations.size(), 1u);
        EXPECT_EQ(p.change.operations[0].name, n("com-example-www.acme.test"));
    }
    // Other names under the customer zone are refused; names outside it are NOTZONE.
    EXPECT_EQ(prepare(encode_update("www.example.com", {}, {{"other.www.example.com", TXT, IN, 60, txt("v")}}), g).rcode, rcode::REFUSED);
    EXPECT_EQ(prepare(encode_update("www.example.com", {}, {{"_acme-challenge.example.com", TXT, IN, 60, txt("v")}}), g).rcode, rcode::NOTZONE);
    // Switched off, or another credential's customer: not ours.
    EXPECT_EQ(prepare(encode_update("www.example.com", {}, {}), g, false).rcode, rcode::NOTAUTH);
    EXPECT_EQ(prepare(encode_update("mail.example.com", {}, {}), g).rcode, rcode::NOTAUTH);
    EXPECT_EQ(prepare(encode_update("www.example.com", {}, {}), names_grant({"a.acme.test"})).rcode, rcode::NOTAUTH);
    // A disabled credential may do nothing.
    Grant disabled = g;
    disabled.credential.disabled = true;
    EXPECT_EQ(prepare(encode_update("acme.test", {}, {{"com-example-www.acme.test", TXT, IN, 60, txt("v")}}), disabled).rcode, rcode::REFUSED);
}

TEST(UpdatePrepare, ParseRejectsBrokenMessages) {
    auto msg = encode_update("acme.test", {}, {{"a.acme.test", TXT, IN, 60, txt("v")}});
    UpdateMessage m;
    EXPECT_EQ(parse_update(msg, 0, m), rcode::NOERROR);
    for (std::size_t cut = kHeaderSize; cut < msg.size(); ++cut) {
        UpdateMessage partial;
        EXPECT_EQ(parse_update(std::span(msg).first(cut), 0, partial), rcode::FORMERR) << cut;
    }
    msg.push_back(0);
    EXPECT_EQ(parse_update(msg, 0, m), rcode::FORMERR);  // trailing data
}

TEST(UpdateCommit, RcodeMapping) {
    using core::Errc;
    const auto err = [](Errc code, std::string text) { return core::Result<core::CommitResult>(core::make_error(code, std::move(text))); };
    EXPECT_EQ(commit_rcode(core::CommitResult{1, true}), rcode::NOERROR);
    EXPECT_EQ(commit_rcode(err(Errc::prerequisite_failed, "YXDOMAIN: x")), rcode::YXDOMAIN);
    EXPECT_EQ(commit_rcode(err(Errc::prerequisite_failed, "YXRRSET: x")), rcode::YXRRSET);
    EXPECT_EQ(commit_rcode(err(Errc::prerequisite_failed, "NXDOMAIN: x")), rcode::NXDOMAIN);
    EXPECT_EQ(commit_rcode(err(Errc::prerequisite_failed, "NXRRSET: x")), rcode::NXRRSET);
    EXPECT_EQ(commit_rcode(err(Errc::invalid_argument, "NOTZONE: x")), rcode::NOTZONE);
    EXPECT_EQ(commit_rcode(err(Errc::invalid_argument, "too many TXT values")), rcode::REFUSED);
    EXPECT_EQ(commit_rcode(err(Errc::forbidden, "x")), rcode::REFUSED);
    EXPECT_EQ(commit_rcode(err(Errc::store_full, "x")), rcode::SERVFAIL);
    EXPECT_EQ(commit_rcode(err(Errc::store_error, "x")), rcode::SERVFAIL);
}

// --- the whole service on a real store --------------------------------------------------------

class UpdateServiceTest : public ::testing::Test {
protected:
    void SetUp() override {
        zone_ = make_zone();
        store::StoreOptions options;
        options.path = dir_.path() / "data";
        options.map_size = std::size_t{16} << 20;
        store_ = std::move(store::Store::open(options).value());
        writer_ = std::make_unique<store::Writer>(*store_, zone_);
        ConfigTsigKey configured;
        configured.key = TsigKeyMaterial{n("cfg-key"), TsigAlgorithm::hmac_sha256, "config-secret-config-secret-1234"};
        configured.names = {n("a.acme.test")};
        // A credential and its key, issued the way `acmezone credential issue` does.
        core::Credential alice;
        alice.username = "alice";
        alice.secret_hash = "x";
        alice.labels = {core::Label{"com-example-www", "www.example.com", "reverse"}};
        ASSERT_TRUE(store::CredentialStore(*store_).insert(alice));
        ASSERT_TRUE(store::TsigKeyStore(*store_).insert({n("com-example-www.acme.test"), "hmac-sha512", "alice-secret-alice-secret-123456", "alice"}));
        keyring_ = std::make_shared<const Keyring>(std::vector<ConfigTsigKey>{configured}, store_.get(), false);
        service_ = std::make_unique<UpdateService>(*store_, *writer_, std::make_shared<const Responder>(zone_), keyring_, UpdateServiceOptions{});
    }
    void TearDown() override {
        service_->stop();
        writer_->stop();
    }

    // Sends through handle() and waits for the reply (it may come from the writer thread).
    std::vector<std::uint8_t> exchange(std::vector<std::uint8_t> msg, const TsigKeyMaterial* key, std::int64_t skew = 0) {
        if (key) {
            const auto size = msg.size();
            msg.resize(size + 512);
            msg.resize(sign_request(msg, size, *key, {static_cast<std::uint64_t>(std::time(nullptr) + skew), 300, 0, {}}));
        }
        auto promise = std::make_shared<std::promise<std::vector<std::uint8_t>>>();
        auto future = promise->get_future();
        service_->handle(msg, Transport::tcp, "test", [promise](std::span<const std::uint8_t> r) {
            promise->set_value(std::vector<std::uint8_t>(r.begin(), r.end()));
        });
        EXPECT_EQ(future.wait_for(std::chrono::seconds(10)), std::future_status::ready);
        return future.get();
    }
    static std::uint16_t rcode_of(const std::vector<std::uint8_t>& r) { return r.size() >= kHeaderSize ? r[3] & 0x0f : 0xffff; }
    static std::uint16_t tsig_error_of(const std::vector<std::uint8_t>& r, TsigRecord& rec) {
        return find_tsig(r, rec) == TsigFind::found ? rec.error : 0xffff;
    }
    std::vector<std::string> values_at(std::string_view owner) {
        store::Snapshot snap(*store_);
        EXPECT_TRUE(snap.begin());
        std::vector<std::string> out;
        const core::Name name = n(owner);
        const auto w = name.canonical_wire();
        for (const auto rr : snap.find({reinterpret_cast<const std::uint8_t*>(w.data()), w.size()}, TXT))
            out.push_back(core::txt_value_from_rdata(std::string(reinterpret_cast<const char*>(rr.rdata.data()), rr.rdata.size())).value());
        return out;
    }

    acmezone::test::TempDir dir_;
    std::shared_ptr<const core::Zone> zone_;
    std::unique_ptr<store::Store> store_;
    std::unique_ptr<store::Writer> writer_;
    std::shared_ptr<const Keyring> keyring_;
    std::unique_ptr<UpdateService> service_;
    TsigKeyMaterial cfg_{n("cfg-key"), TsigAlgorithm::hmac_sha256, "config-secret-config-secret-1234"};
    TsigKeyMaterial alice_{n("com-example-www.acme.test"), TsigAlgorithm::hmac_sha512, "alice-secret-alice-secret-123456"};
};

TEST_F(UpdateServiceTest, SignedUpdateCommitsAndAnswerIsSigned) {
    const auto r = exchange(encode_update("acme.test", {}, {{"a.acme.test", TXT, IN, 60, txt("v1")}}), &cfg_);
    EXPECT_EQ(rcode_of(r), rcode::NOERROR);
    EXPECT_EQ(values_at("a.acme.test"), std::vector<std::string>{"v1"});
    TsigRecord rec;
    ASSERT_EQ(find_tsig(r, rec), TsigFind::found);
    EXPECT_EQ(rec.error, 0);
    EXPECT_EQ(rec.mac.size(), 32u);
}

TEST_F(UpdateServiceTest, PrerequisitesAtCommit) {
    ASSERT_EQ(rcode_of(exchange(encode_update("acme.test", {}, {{"a.acme.test", TXT, IN, 60, txt("v1")}}), &cfg_)), rcode::NOERROR);
    const std::pair<Rr, std::uint16_t> cases[] = {
        {{"a.acme.test", core::rrtype::ANY, NONE, 0, ""}, rcode::YXDOMAIN},
        {{"a.acme.test", TXT, NONE, 0, ""}, rcode::YXRRSET},
        {{"a.acme.test", TXT, IN, 0, txt("other")}, rcode::NXRRSET},
        {{"a.acme.test", TXT, IN, 0, txt("v1")}, rcode::NOERROR},
    };
    for (const auto& [rr, expected] : cases)
        EXPECT_EQ(rcode_of(exchange(encode_update("acme.test", {rr}, {{"a.acme.test", TXT, IN, 60, txt("v2")}}), &cfg_)), expected);
    EXPECT_EQ(values_at("a.acme.test"), (std::vector<std::string>{"v1", "v2"}));
    ASSERT_EQ(rcode_of(exchange(encode_update("acme.test", {}, {{"a.acme.test", core::rrtype::ANY, ANY, 0, ""}}), &cfg_)), rcode::NOERROR);
    EXPECT_EQ(rcode_of(exchange(encode_update("acme.test", {{"a.acme.test", core::rrtype::ANY, ANY, 0, ""}}, {}), &cfg_)), rcode::NXDOMAIN);
    EXPECT_EQ(rcode_of(exchange(encode_update("acme.test", {{"a.acme.test", TXT, ANY, 0, ""}}, {}), &cfg_)), rcode::NXRRSET);
    // The per-name cap (max_txt_per_name = 3) is the writer's: REFUSED, nothing added.
    for (const char* v : {"1", "2", "3"})
        ASSERT_EQ(rcode_of(exchange(encode_update("acme.test", {}, {{"a.acme.test", TXT, IN, 60, txt(v)}}), &cfg_)), rcode::NOERROR);
    EXPECT_EQ(rcode_of(exchange(encode_update("acme.test", {}, {{"a.acme.test", TXT, IN, 60, txt("4")}}), &cfg_)), rcode::REFUSED);
    EXPECT_EQ(values_at("a.acme.test").size(), 3u);
}

TEST_F(UpdateServiceTest, TsigErrors) {
    const auto msg = encode_update("acme.test", {}, {{"a.acme.test", TXT, IN, 60, txt("v")}});
    TsigRecord rec;
    // Unsigned: REFUSED, no TSIG.
    auto r = exchange(msg, nullptr);
    EXPECT_EQ(rcode_of(r), rcode::REFUSED);
    EXPECT_EQ(find_tsig(r, rec), TsigFind::absent);
    // Unknown key: NOTAUTH + BADKEY, unsigned (MAC size 0).
    TsigKeyMaterial unknown{n("nobody"), TsigAlgorithm::hmac_sha256, "x"};
    r = exchange(msg, &unknown);
    EXPECT_EQ(rcode_of(r), rcode::NOTAUTH);
    EXPECT_EQ(tsig_error_of(r, rec), tsig_error::BADKEY);
    EXPECT_TRUE(rec.mac.empty());
    // Wrong secret: BADSIG, unsigned.
    TsigKeyMaterial wrong = cfg_;
    wrong.secret = "wrong";
    r = exchange(msg, &wrong);
    EXPECT_EQ(tsig_error_of(r, rec), tsig_error::BADSIG);
    EXPECT_TRUE(rec.mac.empty());
    // Algorithm other than the key's: BADKEY.
    TsigKeyMaterial other_alg = cfg_;
    other_alg.algorithm = TsigAlgorithm::hmac_sha1;
    EXPECT_EQ(tsig_error_of(exchange(msg, &other_alg), rec), tsig_error::BADKEY);
    // Clock skew: BADTIME, signed, our time in Other Data, the request's time signed.
    r = exchange(msg, &cfg_, -1000);
    EXPECT_EQ(rcode_of(r), rcode::NOTAUTH);
    EXPECT_EQ(tsig_error_of(r, rec), tsig_error::BADTIME);
    EXPECT_EQ(rec.mac.size(), 32u);
    ASSERT_EQ(rec.other.size(), 6u);
    std::uint64_t server_time = 0;
    for (auto b : rec.other) server_time = (server_time << 8) | b;
    EXPECT_LE(std::llabs(static_cast<long long>(server_time) - static_cast<long long>(std::time(nullptr))), 5);
    EXPECT_LE(std::llabs(static_cast<long long>(rec.time_signed) - static_cast<long long>(std::time(nullptr) - 1000)), 5);
    EXPECT_TRUE(values_at("a.acme.test").empty());  // nothing applied by any of these
}

TEST_F(UpdateServiceTest, StoredKeyAndAliasMode) {
    // Direct: the credential's label.
    EXPECT_EQ(rcode_of(exchange(encode_update("acme.test", {}, {{"com-example-www.acme.test", TXT, IN, 60, txt("d")}}), &alice_)), rcode::NOERROR);
    // Another label with that key: REFUSED.
    EXPECT_EQ(rcode_of(exchange(encode_update("acme.test", {}, {{"a.acme.test", TXT, IN, 60, txt("d")}}), &alice_)), rcode::REFUSED);
    // Alias: zone www.example.com, name _acme-challenge.www.example.com.
    EXPECT_EQ(rcode_of(exchange(encode_update("www.example.com", {}, {{"_acme-challenge.www.example.com", TXT, IN, 60, txt("alias")}}), &alice_)),
              rcode::NOERROR);
    EXPECT_EQ(values_at("com-example-www.acme.test"), (std::vector<std::string>{"d", "alias"}));
    // The config key cannot use alias mode.
    EXPECT_EQ(rcode_of(exchange(encode_update("www.example.com", {}, {}), &cfg_)), rcode::NOTAUTH);

    // A signed SOA query for the customer name: AA, one SOA owned by the queried name, signed.
    std::vector<std::uint8_t> q;
    put16(q, 7);
    put16(q, 0);
    put16(q, 1);
    put16(q, 0);
    put16(q, 0);
    put16(q, 0);
    put_name(q, "_acme-challenge.www.example.com");
    put16(q, core::rrtype::SOA);
    put16(q, IN);
    auto r = exchange(q, &alice_);
    EXPECT_EQ(rcode_of(r), rcode::NOERROR);
    EXPECT_TRUE(r[2] & 0x04);            // AA
    EXPECT_EQ((r[6] << 8) | r[7], 1);     // one answer
    TsigRecord rec;
    ASSERT_EQ(find_tsig(r, rec), TsigFind::found);
    EXPECT_EQ(rec.mac.size(), 64u);
    // Unsigned, or signed by a key without that customer: the normal REFUSED.
    r = exchange(q, nullptr);
    EXPECT_EQ(rcode_of(r), rcode::REFUSED);
    r = exchange(q, &cfg_);
    EXPECT_EQ(rcode_of(r), rcode::REFUSED);
    ASSERT_EQ(find_tsig(r, rec), TsigFind::found);  // still signed
}

}  // namespace
}  // namespace acmezone::dns
