#include "store/audit.hpp"

#include "store/txn.hpp"
#include "test_support.hpp"

namespace acmezone::store {
namespace {

using testing::StoreFixture;

class AuditTest : public StoreFixture {
protected:
    AuditEvent ev(AuditKind kind, std::string actor, std::string label = "") {
        AuditEvent e;
        e.kind = kind;
        e.actor = std::move(actor);
        e.label = std::move(label);
        e.source = "unit";
        e.outcome = "ok";
        e.detail = "d";
        return e;
    }
};

TEST_F(AuditTest, EncodingRoundTripsAndRejectsUnknownVersions) {
    AuditEvent e = ev(AuditKind::rotate, "ops", "com-example-www");
    const std::string encoded = encode_audit_event(e);
    AuditEvent back;
    ASSERT_TRUE(decode_audit_event({reinterpret_cast<const std::uint8_t*>(encoded.data()), encoded.size()}, back));
    EXPECT_EQ(back.kind, AuditKind::rotate);
    EXPECT_EQ(back.actor, "ops");
    EXPECT_EQ(back.label, "com-example-www");
    std::string bad = encoded;
    bad[0] = 9;
    EXPECT_FALSE(decode_audit_event({reinterpret_cast<const std::uint8_t*>(bad.data()), bad.size()}, back));
    std::string cut = encoded.substr(0, encoded.size() - 1);
    EXPECT_FALSE(decode_audit_event({reinterpret_cast<const std::uint8_t*>(cut.data()), cut.size()}, back));
    EXPECT_EQ(parse_audit_kind("register"), AuditKind::register_account);
    EXPECT_EQ(parse_audit_kind("admin_auth_failure"), AuditKind::admin_auth_failure);
    EXPECT_EQ(parse_audit_kind("update_auth_failure"), AuditKind::update_auth_failure);
    EXPECT_FALSE(parse_audit_kind("nope"));
    std::string unknown_kind = encoded;
    unknown_kind[1] = static_cast<char>(kLastAuditKind + 1);
    EXPECT_FALSE(decode_audit_event({reinterpret_cast<const std::uint8_t*>(unknown_kind.data()), unknown_kind.size()}, back));
}

TEST_F(AuditTest, AppendsInOrderAndPagesWithACursor) {
    AuditLog log(*store_);
    for (int i = 0; i < 25; ++i) ASSERT_TRUE(log.append(ev(i % 2 ? AuditKind::update : AuditKind::issue, i % 3 ? "a" : "b", std::to_string(i))));
    AuditFilter f;
    f.limit = 10;
    std::vector<std::string> labels;
    for (int pages = 0; pages < 10; ++pages) {
        auto page = log.page(f);
        ASSERT_TRUE(page) << page.error().message;
        for (const auto& e : page->events) labels.push_back(e.label);
        if (page->next.empty()) break;
        f.after = page->next;
    }
    ASSERT_EQ(labels.size(), 25u);
    for (int i = 0; i < 25; ++i) EXPECT_EQ(labels[static_cast<std::size_t>(i)], std::to_string(i));

    AuditFilter by_actor;
    by_actor.actor = "b";
    by_actor.kind = AuditKind::issue;
    auto page = log.page(by_actor);
    ASSERT_TRUE(page);
    for (const auto& e : page->events) {
        EXPECT_EQ(e.actor, "b");
        EXPECT_EQ(e.kind, AuditKind::issue);
    }
    EXPECT_EQ(page->events.size(), 5u);  // i in {0, 6, 12, 18, 24}

    AuditFilter bad;
    bad.after = "zz";
    EXPECT_FALSE(log.page(bad));
}

TEST_F(AuditTest, KeysStayIncreasingAndUnique) {
    AuditLog log(*store_);
    for (int i = 0; i < 200; ++i) ASSERT_TRUE(log.append(ev(AuditKind::update, "x")));
    AuditFilter f;
    f.limit = 1000;
    auto page = log.page(f);
    ASSERT_TRUE(page);
    ASSERT_EQ(page->events.size(), 200u);
    for (std::size_t i = 1; i < page->events.size(); ++i) EXPECT_LT(page->events[i - 1].cursor(), page->events[i].cursor());
}

TEST_F(AuditTest, PruneKeepsAtMostMaxEventsAndDropsOldOnes) {
    AuditLog log(*store_);
    for (int i = 0; i < 30; ++i) ASSERT_TRUE(log.append(ev(AuditKind::update, "x", std::to_string(i))));
    const auto prune = [&](AuditRetention r, std::uint64_t now, std::size_t budget) {
        auto txn = Txn::begin(store_->env(), nullptr, 0, "test");
        EXPECT_TRUE(txn);
        auto n = prune_audit(txn->get(), store_->audit_db(), r, now, budget);
        EXPECT_TRUE(n);
        EXPECT_TRUE(txn->commit("test"));
        return n ? *n : 0;
    };
    const std::uint64_t now = static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count());
    EXPECT_EQ(prune({90, 0}, now, 1000), 0u);          // nothing is 90 days old
    EXPECT_EQ(prune({0, 20}, now, 4), 4u);             // budget bounds one run
    EXPECT_EQ(prune({0, 20}, now, 1000), 6u);          // down to 20
    AuditFilter f;
    f.limit = 100;
    auto page = log.page(f);
    ASSERT_TRUE(page);
    ASSERT_EQ(page->events.size(), 20u);
    EXPECT_EQ(page->events.front().label, "10");       // the oldest went
    // Seen from 100 days on, everything is older than 90 days.
    EXPECT_EQ(prune({90, 0}, now + 100ull * 86400ull * 1000000000ull, 1000), 20u);
}

TEST_F(AuditTest, TheWriterAuditsEachChangeSetInItsTransaction) {
    auto zone = testing::make_zone();
    Writer writer(*store_, zone);
    auto ok = testing::commit(writer, testing::change({testing::add("abc.acme.test", "v1")}));
    ASSERT_TRUE(ok);
    auto refused = testing::commit(writer, testing::change({testing::add("www.acme.test", "v1")}));  // reserved owner
    ASSERT_FALSE(refused);
    writer.stop();
    AuditFilter f;
    f.kind = AuditKind::update;
    auto page = AuditLog(*store_).page(f);
    ASSERT_TRUE(page);
    ASSERT_EQ(page->events.size(), 2u);
    EXPECT_EQ(page->events[0].actor, "test");
    EXPECT_EQ(page->events[0].source, "unit");
    EXPECT_EQ(page->events[0].label, "abc");
    EXPECT_EQ(page->events[0].outcome, "ok");
    EXPECT_EQ(page->events[1].label, "www");
    EXPECT_EQ(page->events[1].outcome, "failed");
}

}  // namespace
}  // namespace acmezone::store
