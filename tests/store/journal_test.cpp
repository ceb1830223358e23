#include "store/journal.hpp"

#include <gtest/gtest.h>

#include "store/txn.hpp"
#include "store/writer.hpp"
#include "test_support.hpp"

using namespace acmezone;
using namespace acmezone::store;
using namespace acmezone::store::testing;

namespace {

class JournalTest : public StoreFixture {
protected:
    void SetUp() override {
        StoreFixture::SetUp();
        start({});
    }
    void TearDown() override { writer_.reset(); }
    void start(WriterOptions options) {
        writer_.reset();
        writer_ = std::make_unique<Writer>(*store_, make_zone(8), options);
    }
    core::Result<core::CommitResult> run(std::vector<core::Operation> ops) { return commit(*writer_, change(std::move(ops))); }

    // Every entry, oldest first.
    std::vector<JournalEntry> entries() {
        auto txn = Txn::begin(store_->env(), nullptr, MDB_RDONLY, "test");
        EXPECT_TRUE(txn);
        std::vector<JournalEntry> out;
        auto cursor = Cursor::open(txn->get(), store_->journal_db());
        MDB_val k{}, v{};
        for (int rc = mdb_cursor_get(cursor->get(), &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cursor->get(), &k, &v, MDB_NEXT)) {
            auto e = decode_journal_entry({static_cast<const std::uint8_t*>(v.mv_data), v.mv_size});
            EXPECT_TRUE(e) << e.error().message;
            if (e) out.push_back(std::move(*e));
        }
        return out;
    }
    std::optional<std::vector<JournalEntry>> range(std::uint32_t from, std::uint32_t to) {
        auto txn = Txn::begin(store_->env(), nullptr, MDB_RDONLY, "test");
        auto r = journal_range(txn->get(), store_->journal_db(), from, to);
        EXPECT_TRUE(r) << r.error().message;
        return r ? *r : std::nullopt;
    }
    JournalInfo info() {
        auto txn = Txn::begin(store_->env(), nullptr, MDB_RDONLY, "test");
        return journal_info(txn->get(), store_->journal_db(), store_->meta_db()).value();
    }
    void put_serial(std::uint32_t value) {
        writer_.reset();
        auto txn = Txn::begin(store_->env(), nullptr, 0, "test");
        std::uint8_t b[4] = {static_cast<std::uint8_t>(value >> 24), static_cast<std::uint8_t>(value >> 16),
                             static_cast<std::uint8_t>(value >> 8), static_cast<std::uint8_t>(value)};
        MDB_val k{6, const_cast<char*>("serial")}, v{4, b};
        ASSERT_EQ(mdb_put(txn->get(), store_->meta_db(), &k, &v, 0), 0);
        ASSERT_TRUE(txn->commit("test"));
    }
    std::unique_ptr<Writer> writer_;
};

JournalRR rr(std::string_view owner, std::string_view value, std::uint32_t ttl = 60) {
    return JournalRR{std::string(n(owner).canonical_wire()), core::rrtype::TXT, ttl, txt(value)};
}

}  // namespace

TEST(JournalCodec, RoundTripsAndRejectsDamage) {
    JournalEntry e{7, 8, 1700000000, {rr("a.acme.test", "old")}, {rr("a.acme.test", "new"), rr("b.acme.test", "x", 5)}};
    const std::string encoded = encode_journal_entry(e);
    auto back = decode_journal_entry({reinterpret_cast<const std::uint8_t*>(encoded.data()), encoded.size()});
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(back->serial_from, 7u);
    EXPECT_EQ(back->serial_to, 8u);
    EXPECT_EQ(back->committed_at, 1700000000u);
    EXPECT_EQ(back->deleted, e.deleted);
    EXPECT_EQ(back->added, e.added);
    for (std::size_t cut = 0; cut < encoded.size(); ++cut) {
        auto bad = decode_journal_entry({reinterpret_cast<const std::uint8_t*>(encoded.data()), cut});
        EXPECT_FALSE(bad) << "accepted a value cut at " << cut;
    }
    std::string other = encoded;
    other[0] = 9;  // unknown version
    EXPECT_FALSE(decode_journal_entry({reinterpret_cast<const std::uint8_t*>(other.data()), other.size()}));
}

TEST_F(JournalTest, OneEntryPerSerialStepWithTheRRsThatLeftAndEntered) {
    const std::uint32_t s0 = serial_of(*store_);
    ASSERT_TRUE(run({add("a.acme.test", "v1")}));
    ASSERT_TRUE(run({add("a.acme.test", "v2"), del_rr("a.acme.test", "v1"), add("b.acme.test", "x")}));
    // Changes nothing: no entry, no serial step.
    auto same = run({add("a.acme.test", "v2")});
    ASSERT_TRUE(same);
    EXPECT_FALSE(same->changed);
    // Deleted and added back in one change set: the zone is as it was.
    auto back = run({del_rr("b.acme.test", "x"), add("b.acme.test", "x")});
    ASSERT_TRUE(back);
    EXPECT_FALSE(back->changed);
    ASSERT_TRUE(run({del_name("a.acme.test")}));

    const auto all = entries();
    ASSERT_EQ(all.size(), 3u);
    EXPECT_EQ(all[0].serial_from, s0);
    EXPECT_EQ(all[0].serial_to, s0 + 1);
    EXPECT_TRUE(all[0].deleted.empty());
    EXPECT_EQ(all[0].added, (std::vector<JournalRR>{rr("a.acme.test", "v1")}));
    EXPECT_EQ(all[1].serial_from, s0 + 1);
    EXPECT_EQ(all[1].deleted, (std::vector<JournalRR>{rr("a.acme.test", "v1")}));
    EXPECT_EQ(all[1].added, (std::vector<JournalRR>{rr("a.acme.test", "v2"), rr("b.acme.test", "x")}));
    EXPECT_EQ(all[2].serial_from, s0 + 2);
    EXPECT_EQ(all[2].serial_to, s0 + 3);
    EXPECT_EQ(all[2].deleted, (std::vector<JournalRR>{rr("a.acme.test", "v2")}));
    EXPECT_TRUE(all[2].added.empty());
    EXPECT_EQ(serial_of(*store_), s0 + 3);
    EXPECT_GT(info().bytes, 0u);
}

TEST_F(JournalTest, ATtlChangeRemovesAndAddsTheWholeRRset) {
    ASSERT_TRUE(run({add("a.acme.test", "x", 0, 60), add("a.acme.test", "y", 0, 60)}));
    ASSERT_TRUE(run({add("a.acme.test", "x", 0, 300)}));
    const auto all = entries();
    ASSERT_EQ(all.size(), 2u);
    EXPECT_EQ(all[1].deleted, (std::vector<JournalRR>{rr("a.acme.test", "x", 60), rr("a.acme.test", "y", 60)}));
    EXPECT_EQ(all[1].added, (std::vector<JournalRR>{rr("a.acme.test", "x", 300), rr("a.acme.test", "y", 300)}));
}

TEST_F(JournalTest, RangeFollowsTheChainAndRefusesWhatItDoesNotCover) {
    const std::uint32_t s0 = serial_of(*store_);
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(run({add("a.acme.test", "v" + std::to_string(i))}));
    auto all = range(s0, s0 + 5);
    ASSERT_TRUE(all);
    ASSERT_EQ(all->size(), 5u);
    EXPECT_EQ(all->front().serial_from, s0);
    EXPECT_EQ(all->back().serial_to, s0 + 5);
    auto tail = range(s0 + 3, s0 + 5);
    ASSERT_TRUE(tail);
    EXPECT_EQ(tail->size(), 2u);
    EXPECT_EQ(range(s0 + 5, s0 + 5)->size(), 0u);
    EXPECT_FALSE(range(s0 - 1, s0 + 5));  // older than the journal
    EXPECT_FALSE(range(s0 + 9, s0 + 5));  // unknown (or newer)
    EXPECT_FALSE(range(s0, s0 + 4));      // the chain does not end there
}

TEST_F(JournalTest, TrimmedToMaxEntriesOldestFirst) {
    WriterOptions options;
    options.journal.max_entries = 3;
    start(options);
    const std::uint32_t s0 = serial_of(*store_);
    for (int i = 0; i < 6; ++i) ASSERT_TRUE(run({add("a.acme.test", "v" + std::to_string(i))}));
    const auto all = entries();
    ASSERT_EQ(all.size(), 3u);
    EXPECT_EQ(all.front().serial_from, s0 + 3);
    EXPECT_EQ(all.back().serial_to, s0 + 6);
    EXPECT_FALSE(range(s0, s0 + 6));
    EXPECT_TRUE(range(s0 + 3, s0 + 6));
    EXPECT_EQ(info().entries, 3u);
}

TEST_F(JournalTest, TrimmedToMaxBytesAndOffWhenDisabled) {
    WriterOptions options;
    options.journal.max_bytes = 200;  // room for two small entries
    start(options);
    for (int i = 0; i < 6; ++i) ASSERT_TRUE(run({add("a.acme.test", "value-" + std::to_string(i))}));
    EXPECT_LE(info().bytes, 200u);
    EXPECT_GE(entries().size(), 1u);
    EXPECT_LT(entries().size(), 6u);

    options.journal.enabled = false;
    start(options);
    ASSERT_TRUE(run({add("a.acme.test", "more")}));
    EXPECT_TRUE(entries().empty());
    EXPECT_EQ(info().bytes, 0u);
}

TEST_F(JournalTest, TrimmedByAge) {
    // An entry dated long ago is dropped at the next commit.
    {
        auto txn = Txn::begin(store_->env(), nullptr, 0, "test");
        JournalEntry old{1, 2, 1000, {}, {rr("z.acme.test", "old")}};
        ASSERT_TRUE(append_journal(txn->get(), store_->journal_db(), store_->meta_db(), old));
        ASSERT_TRUE(txn->commit("test"));
    }
    ASSERT_EQ(entries().size(), 1u);
    ASSERT_TRUE(run({add("a.acme.test", "v")}));
    const auto all = entries();
    ASSERT_EQ(all.size(), 1u);
    EXPECT_EQ(all[0].added, (std::vector<JournalRR>{rr("a.acme.test", "v")}));
}

TEST_F(JournalTest, KeysFollowCommitOrderAcrossASerialWrap) {
    put_serial(0xfffffffeu);
    start({});
    for (int i = 0; i < 4; ++i) ASSERT_TRUE(run({add("a.acme.test", "v" + std::to_string(i))}));
    const auto all = entries();
    ASSERT_EQ(all.size(), 4u);
    EXPECT_EQ(all[0].serial_from, 0xfffffffeu);
    EXPECT_EQ(all[1].serial_from, 0xffffffffu);
    EXPECT_EQ(all[2].serial_from, 0u);
    EXPECT_EQ(all[3].serial_to, 2u);
    auto r = range(0xfffffffeu, 2);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->size(), 4u);
}

TEST(SerialPolicy, NextSerialFollowsRfc1982) {
    EXPECT_EQ(next_serial(5, SerialPolicy::increment, 1700000000), 6u);
    EXPECT_EQ(next_serial(0xffffffffu, SerialPolicy::increment, 0), 0u);
    // unixtime: the clock when it is ahead, otherwise one more (same second, clock set back).
    EXPECT_EQ(next_serial(5, SerialPolicy::unixtime, 1700000000), 1700000000u);
    EXPECT_EQ(next_serial(1700000000, SerialPolicy::unixtime, 1700000000), 1700000001u);
    EXPECT_EQ(next_serial(1700000100, SerialPolicy::unixtime, 1700000000), 1700000101u);
    EXPECT_EQ(next_serial(1699999999, SerialPolicy::unixtime, 1700000000), 1700000000u);
    // Exactly 2^31 ahead is undefined in RFC 1982: never jump there.
    EXPECT_EQ(next_serial(0xffffffffu, SerialPolicy::unixtime, 0x80000000u), 0u);
}

TEST_F(JournalTest, UnixtimeSerialNeverCollidesNorGoesBackAcrossRestarts) {
    WriterOptions options;
    options.serial_policy = SerialPolicy::unixtime;
    start(options);
    std::uint32_t last = 0;
    for (int i = 0; i < 50; ++i) {
        auto r = run({add("n" + std::to_string(i) + ".acme.test", "v")});
        ASSERT_TRUE(r) << r.error().message;
        if (i > 0) EXPECT_EQ(r->serial, last + 1);  // many per second: one step each
        else EXPECT_GE(r->serial, unix_now() - 5);
        last = r->serial;
    }
    // Reopen the store and a new writer: the serial continues from meta.
    writer_.reset();
    store_.reset();
    store_ = Store::open(options_).value();
    start(options);
    auto r = run({add("b.acme.test", "x")});
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->serial, last + 1);
}

TEST_F(JournalTest, CommitListenerHearsTheSerialOncePerCommit) {
    std::mutex m;
    std::vector<std::uint32_t> heard;
    writer_->set_commit_listener([&](std::uint32_t serial) {
        std::lock_guard lock(m);
        heard.push_back(serial);
    });
    auto r1 = run({add("a.acme.test", "v")});
    ASSERT_TRUE(r1);
    ASSERT_TRUE(run({add("a.acme.test", "v")}));  // unchanged: nothing to tell
    std::lock_guard lock(m);
    EXPECT_EQ(heard, (std::vector<std::uint32_t>{r1->serial}));
}

TEST_F(JournalTest, AReloadThatChangesStaticDataIsOneJournaledStep) {
    const std::uint32_t s0 = serial_of(*store_);
    writer_->set_zone(make_zone(8));  // same static data: nothing
    EXPECT_EQ(serial_of(*store_), s0);
    EXPECT_TRUE(entries().empty());

    core::ZoneSpec spec = make_zone(8)->spec();
    spec.records.erase(spec.records.begin());  // drop www A
    spec.records.push_back({n("new.acme.test"), core::rrtype::TXT, core::rrclass::IN, 300, txt("fresh")});
    std::uint32_t heard = 0;
    writer_->set_commit_listener([&](std::uint32_t s) { heard = s; });
    writer_->set_zone(std::make_shared<const core::Zone>(core::Zone::build(spec).value()));
    EXPECT_EQ(serial_of(*store_), s0 + 1);
    EXPECT_EQ(heard, s0 + 1);
    const auto all = entries();
    ASSERT_EQ(all.size(), 1u);
    EXPECT_EQ(all[0].serial_from, s0);
    EXPECT_EQ(all[0].deleted, (std::vector<JournalRR>{JournalRR{std::string(n("www.acme.test").canonical_wire()), core::rrtype::A,
                                                                300, std::string("\x7f\0\0\1", 4)}}));
    EXPECT_EQ(all[0].added, (std::vector<JournalRR>{JournalRR{std::string(n("new.acme.test").canonical_wire()), core::rrtype::TXT,
                                                              300, txt("fresh")}}));
    // SOA timers alone count too (secondaries must see the new refresh).
    spec.soa.refresh = 77;
    writer_->set_zone(std::make_shared<const core::Zone>(core::Zone::build(spec).value()));
    EXPECT_EQ(serial_of(*store_), s0 + 2);
    EXPECT_EQ(entries().size(), 2u);
}
