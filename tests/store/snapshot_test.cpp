#include "store/snapshot.hpp"

#include <map>

#include <gtest/gtest.h>

#include "test_support.hpp"

using namespace acmezone;
using namespace acmezone::store;
using namespace acmezone::store::testing;

namespace {

class SnapshotTest : public StoreFixture {
protected:
    void SetUp() override {
        StoreFixture::SetUp();
        writer_ = std::make_unique<Writer>(*store_, make_zone());
    }
    void TearDown() override { writer_.reset(); }
    void put(std::vector<core::Operation> ops) {
        auto r = commit(*writer_, change(std::move(ops)));
        ASSERT_TRUE(r) << r.error().message;
    }
    std::unique_ptr<Writer> writer_;
};

}  // namespace

TEST_F(SnapshotTest, FindReturnsTheStoredRRsetAndNothingElse) {
    put({add("_acme-challenge.a.acme.test", "one", 0, 5), add("_acme-challenge.a.acme.test", "two", 0, 5)});
    Snapshot snap(*store_);
    EXPECT_FALSE(snap.active());
    ASSERT_TRUE(snap.begin());
    EXPECT_TRUE(snap.active());
    auto view = snap.find(wire(n("_ACME-Challenge.A.acme.test")), core::rrtype::TXT);
    ASSERT_EQ(view.count(), 2);
    EXPECT_EQ(view.ttl(), 5u);
    std::vector<std::string> got;
    for (const auto rr : view) got.push_back(str(rr.rdata));
    EXPECT_EQ(got, (std::vector<std::string>{txt("one"), txt("two")}));
    EXPECT_TRUE(snap.find(wire(n("_acme-challenge.a.acme.test")), core::rrtype::A).empty());
    EXPECT_TRUE(snap.find(wire(n("a.acme.test")), core::rrtype::TXT).empty());
    // Malformed input is answered with "nothing", never a crash.
    const std::uint8_t broken[] = {5, 'a', 'b'};
    EXPECT_TRUE(snap.find(broken, core::rrtype::TXT).empty());
    EXPECT_FALSE(snap.has_any(broken));
    EXPECT_FALSE(snap.has_descendants(broken));
    snap.end();
    EXPECT_FALSE(snap.active());
    EXPECT_TRUE(snap.find(wire(n("_acme-challenge.a.acme.test")), core::rrtype::TXT).empty());  // no view after end()
}

TEST_F(SnapshotTest, HasAnyAndHasDescendantsSeeEmptyNonTerminals) {
    put({add("a.b.acme.test", "deep")});
    put({add("xb.acme.test", "sibling")});
    Snapshot snap(*store_);
    ASSERT_TRUE(snap.begin());
    EXPECT_TRUE(snap.has_any(wire(n("a.b.acme.test"))));
    EXPECT_FALSE(snap.has_descendants(wire(n("a.b.acme.test"))));
    // b.acme.test holds nothing itself but has data below: an empty non-terminal.
    EXPECT_FALSE(snap.has_any(wire(n("b.acme.test"))));
    EXPECT_TRUE(snap.has_descendants(wire(n("b.acme.test"))));
    EXPECT_TRUE(snap.has_descendants(wire(n("acme.test"))));
    EXPECT_TRUE(snap.has_descendants(wire(n("test"))));
    EXPECT_TRUE(snap.has_descendants(wire(core::Name())));
    // Neighbours that share bytes but not labels.
    EXPECT_FALSE(snap.has_any(wire(n("b.acme.tes"))));
    EXPECT_FALSE(snap.has_descendants(wire(n("c.acme.test"))));
    EXPECT_FALSE(snap.has_descendants(wire(n("x.acme.test"))));
    EXPECT_TRUE(snap.has_any(wire(n("xb.acme.test"))));
    EXPECT_FALSE(snap.has_descendants(wire(n("xb.acme.test"))));
    EXPECT_FALSE(snap.has_any(wire(n("acme.test"))));  // static data is not in the store
}

TEST_F(SnapshotTest, ForEachVisitsEveryRRsetInKeyOrder) {
    put({add("b.acme.test", "2"), add("a.acme.test", "1"), add("z.a.acme.test", "3")});
    Snapshot snap(*store_);
    ASSERT_TRUE(snap.begin());
    std::vector<std::string> owners;
    snap.for_each([&](const core::Name& owner, std::uint16_t type, const RRsetView& rrset) {
        EXPECT_EQ(type, core::rrtype::TXT);
        EXPECT_EQ(rrset.count(), 1);
        owners.push_back(owner.to_text());
        EXPECT_TRUE(snap.has_any(wire(owner)));  // the visitor may use the snapshot meanwhile
    });
    EXPECT_EQ(owners, (std::vector<std::string>{"a.acme.test.", "z.a.acme.test.", "b.acme.test."}));
}

TEST_F(SnapshotTest, KeepsItsViewAcrossACommitUntilRenewed) {
    put({add("a.acme.test", "old")});
    Snapshot snap(*store_);
    ASSERT_TRUE(snap.begin());
    const std::uint32_t serial = snap.serial();

    put({add("a.acme.test", "new"), add("b.acme.test", "new")});
    // MVCC: the open read transaction still sees the state it started with.
    EXPECT_EQ(snap.serial(), serial);
    EXPECT_EQ(snap.find(wire(n("a.acme.test")), core::rrtype::TXT).count(), 1);
    EXPECT_FALSE(snap.has_any(wire(n("b.acme.test"))));

    snap.end();
    ASSERT_TRUE(snap.begin());  // renews the same transaction and cursor
    EXPECT_EQ(snap.serial(), serial + 1);
    EXPECT_EQ(snap.find(wire(n("a.acme.test")), core::rrtype::TXT).count(), 2);
    EXPECT_TRUE(snap.has_any(wire(n("b.acme.test"))));
}

TEST_F(SnapshotTest, RenewsManyTimesAndMovesBetweenThreads) {
    put({add("a.acme.test", "v")});
    Snapshot snap(*store_);
    for (int i = 0; i < 1000; ++i) {
        ASSERT_TRUE(snap.begin());
        ASSERT_TRUE(snap.has_any(wire(n("a.acme.test"))));
        snap.end();
    }
    // MDB_NOTLS: the same snapshot may be used from another thread.
    std::thread other([&] {
        EXPECT_TRUE(snap.begin());
        EXPECT_TRUE(snap.has_any(wire(n("a.acme.test"))));
        snap.end();
    });
    other.join();
    // begin() twice in a row renews rather than leaking a reader slot.
    ASSERT_TRUE(snap.begin());
    ASSERT_TRUE(snap.begin());
    EXPECT_TRUE(snap.has_any(wire(n("a.acme.test"))));
}

TEST_F(SnapshotTest, ManyReadersAtOnce) {
    put({add("a.acme.test", "v")});
    std::vector<std::thread> readers;
    std::atomic<int> hits{0};
    for (int t = 0; t < 8; ++t)
        readers.emplace_back([&] {
            Snapshot snap(*store_);
            for (int i = 0; i < 200; ++i) {
                if (!snap.begin()) return;
                if (snap.find(wire(n("a.acme.test")), core::rrtype::TXT).count() >= 1) ++hits;
                snap.end();
            }
        });
    for (int i = 0; i < 20; ++i) put({add("a.acme.test", "w" + std::to_string(i), 2)});
    for (auto& r : readers) r.join();
    EXPECT_EQ(hits.load(), 8 * 200);
}
