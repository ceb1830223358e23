#include "store/txt_expiry.hpp"

#include <gtest/gtest.h>

#include "core/rr.hpp"
#include "store/record_codec.hpp"
#include "store/txn.hpp"
#include "test_support.hpp"

using namespace acmezone;
using namespace acmezone::store;
using namespace acmezone::store::testing;

namespace {

class TxtExpiryTest : public StoreFixture {
protected:
    void SetUp() override {
        StoreFixture::SetUp();
        zone_ = make_zone(8);
        writer_ = std::make_unique<Writer>(*store_, zone_);
    }
    void TearDown() override { writer_.reset(); }

    // Stores an RRset with chosen added-at times directly (the writer stamps "now").
    void plant(std::string_view name, std::vector<std::pair<std::string, std::uint64_t>> values) {
        StoredRRset set;
        set.ttl = 60;
        for (auto& [value, at] : values) set.rrs.push_back(StoredRR{at, txt(value)});
        const std::string value = encode_rrset(set);
        std::uint8_t key[kMaxKeySize];
        const auto len = encode_record_key(wire(n(name)), core::rrtype::TXT, key);
        auto t = Txn::begin(store_->env(), nullptr, 0, "test");
        ASSERT_TRUE(t);
        MDB_val k{len, key};
        MDB_val v{value.size(), const_cast<char*>(value.data())};
        ASSERT_EQ(mdb_put(t->get(), store_->records_db(), &k, &v, 0), 0);
        ASSERT_TRUE(t->commit("test"));
    }

    std::shared_ptr<const core::Zone> zone_;
    std::unique_ptr<Writer> writer_;
};

TEST_F(TxtExpiryTest, DeletesOnlyValuesOlderThanTheCutoff) {
    plant("a.acme.test", {{"old1", 100}, {"old2", 150}, {"new", 300}});
    plant("b.acme.test", {{"fresh", 250}});
    plant("c.acme.test", {{"ancient", 10}});
    auto change = expired_txt_changes(*store_, *zone_, 200);
    ASSERT_TRUE(change) << change.error().message;
    ASSERT_EQ(change->operations.size(), 3u);
    for (const auto& op : change->operations) {
        EXPECT_EQ(op.kind, core::OpKind::delete_rr);
        EXPECT_EQ(op.type, core::rrtype::TXT);
    }
    EXPECT_EQ(change->actor, "expiry");

    const std::uint32_t before = serial_of(*store_);
    auto committed = commit(*writer_, std::move(change.value()));
    ASSERT_TRUE(committed) << committed.error().message;
    EXPECT_TRUE(committed->changed);
    EXPECT_EQ(committed->serial, before + 1);  // one sweep, one serial step
    EXPECT_EQ(values_at(*store_, "a.acme.test"), std::vector<std::string>{"new"});
    EXPECT_EQ(values_at(*store_, "b.acme.test"), std::vector<std::string>{"fresh"});
    EXPECT_TRUE(values_at(*store_, "c.acme.test").empty());

    auto again = expired_txt_changes(*store_, *zone_, 200);
    ASSERT_TRUE(again);
    EXPECT_TRUE(again->operations.empty());
}

TEST_F(TxtExpiryTest, ValuesWrittenNowAreKeptUntilOld) {
    ASSERT_TRUE(commit(*writer_, change({add("w.acme.test", "v")})));
    const std::uint64_t now = unix_now();
    auto none = expired_txt_changes(*store_, *zone_, now - 60);
    ASSERT_TRUE(none);
    EXPECT_TRUE(none->operations.empty());
    auto all = expired_txt_changes(*store_, *zone_, now + 60);
    ASSERT_TRUE(all);
    EXPECT_EQ(all->operations.size(), 1u);
}

TEST_F(TxtExpiryTest, BoundedAndSkipsReservedOwners) {
    plant("a.acme.test", {{"1", 1}, {"2", 2}, {"3", 3}});
    plant("static.acme.test", {{"stray", 1}});  // a static owner: the writer would refuse it
    auto change = expired_txt_changes(*store_, *zone_, 100, 2);
    ASSERT_TRUE(change);
    EXPECT_EQ(change->operations.size(), 2u);
    auto all = expired_txt_changes(*store_, *zone_, 100);
    ASSERT_TRUE(all);
    EXPECT_EQ(all->operations.size(), 3u);
    for (const auto& op : all->operations) EXPECT_EQ(op.name, n("a.acme.test"));
    EXPECT_TRUE(commit(*writer_, std::move(all.value())));
}

}  // namespace
