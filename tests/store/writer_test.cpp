#include "store/writer.hpp"

#include <atomic>
#include <thread>

#include <gtest/gtest.h>

#include "test_support.hpp"

using namespace acmezone;
using namespace acmezone::store;
using namespace acmezone::store::testing;
using core::Errc;
using core::PrereqKind;

namespace {

class WriterTest : public StoreFixture {
protected:
    void SetUp() override {
        StoreFixture::SetUp();
        start(8);
    }
    void TearDown() override { writer_.reset(); }
    void start(std::uint32_t cap, WriterOptions options = {}) {
        writer_.reset();
        writer_ = std::make_unique<Writer>(*store_, make_zone(cap), options);
    }
    core::Result<core::CommitResult> run(std::vector<core::Operation> ops, std::vector<core::Prerequisite> prereqs = {}) {
        return commit(*writer_, change(std::move(ops), std::move(prereqs)));
    }
    std::uint32_t serial() { return serial_of(*store_); }
    std::unique_ptr<Writer> writer_;
};

core::Prerequisite prereq(PrereqKind kind, std::string_view name, std::uint16_t type = 0, std::vector<std::string> rdatas = {}) {
    return core::Prerequisite{kind, n(name), type, std::move(rdatas)};
}

// Asserts a failure with this code and, when given, a message starting with `prefix`.
void expect_error(const core::Result<core::CommitResult>& r, Errc code, std::string_view prefix = {}) {
    ASSERT_FALSE(r) << "expected " << core::to_string(code);
    EXPECT_EQ(r.error().code, code) << r.error().message;
    if (!prefix.empty()) {
        EXPECT_EQ(r.error().message.rfind(prefix, 0), 0u) << r.error().message;
    }
}

}  // namespace

TEST_F(WriterTest, SerialMovesByOnePerChangingChangeSetOnly) {
    const std::uint32_t s0 = serial();
    auto r1 = run({add("a.acme.test", "v1")});
    ASSERT_TRUE(r1) << r1.error().message;
    EXPECT_TRUE(r1->changed);
    EXPECT_EQ(r1->serial, s0 + 1);

    // Several operations in one change set: still one step.
    auto r2 = run({add("a.acme.test", "v2"), add("b.acme.test", "v"), del_rr("a.acme.test", "v1")});
    ASSERT_TRUE(r2);
    EXPECT_EQ(r2->serial, s0 + 2);

    // No-ops: the same value with the same TTL, deleting what is absent.
    for (auto ops : {std::vector{add("a.acme.test", "v2")}, std::vector{del_rr("a.acme.test", "absent")},
                     std::vector{del_rrset("nothing.acme.test")}, std::vector{del_name("nothing.acme.test")},
                     std::vector<core::Operation>{}}) {
        auto r = run(ops);
        ASSERT_TRUE(r) << r.error().message;
        EXPECT_FALSE(r->changed);
        EXPECT_EQ(r->serial, s0 + 2);
    }
    EXPECT_EQ(serial(), s0 + 2);
}

TEST_F(WriterTest, SerialWrapsModulo2To32) {
    // Put the serial at the top of the range with the writer's own meta key.
    writer_.reset();
    {
        MDB_txn* txn = nullptr;
        ASSERT_EQ(mdb_txn_begin(store_->env(), nullptr, 0, &txn), 0);
        std::uint8_t max[4] = {0xff, 0xff, 0xff, 0xff};
        MDB_val k{6, const_cast<char*>("serial")}, v{4, max};
        ASSERT_EQ(mdb_put(txn, store_->meta_db(), &k, &v, 0), 0);
        ASSERT_EQ(mdb_txn_commit(txn), 0);
    }
    start(8);
    auto r = run({add("a.acme.test", "v")});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->serial, 0u);  // RFC 1982: 2^32 - 1 + 1 wraps to 0
}

TEST_F(WriterTest, EqualValueRefreshesTheTtlOfTheWholeRRset) {
    ASSERT_TRUE(run({add("a.acme.test", "x", 0, 60), add("a.acme.test", "y", 0, 60)}));
    auto r = run({add("a.acme.test", "x", 0, 300)});
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->changed);
    Snapshot snap(*store_);
    ASSERT_TRUE(snap.begin());
    auto view = snap.find(wire(n("a.acme.test")), core::rrtype::TXT);
    EXPECT_EQ(view.count(), 2);
    EXPECT_EQ(view.ttl(), 300u);
    // TXT comparison is byte-exact: another case is another value.
    snap.end();
    ASSERT_TRUE(run({add("a.acme.test", "X", 0, 300)}));
    EXPECT_EQ(values_at(*store_, "a.acme.test"), (std::vector<std::string>{"x", "y", "X"}));
}

TEST_F(WriterTest, AddedAtIsNowAndValuesStayOldestFirst) {
    const std::uint64_t before = unix_now();
    ASSERT_TRUE(run({add("a.acme.test", "first")}));
    ASSERT_TRUE(run({add("a.acme.test", "second")}));
    Snapshot snap(*store_);
    ASSERT_TRUE(snap.begin());
    std::vector<std::uint64_t> times;
    for (const auto rr : snap.find(wire(n("a.acme.test")), core::rrtype::TXT)) times.push_back(rr.added_at);
    ASSERT_EQ(times.size(), 2u);
    EXPECT_GE(times[0], before);
    EXPECT_LE(times[1], unix_now() + 1);
    EXPECT_LE(times[0], times[1]);
}

TEST_F(WriterTest, KeepNewestDropsTheOldest) {
    ASSERT_TRUE(run({add("a.acme.test", "v1", 2)}));
    ASSERT_TRUE(run({add("a.acme.test", "v2", 2)}));
    auto r = run({add("a.acme.test", "v3", 2)});
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->changed);
    EXPECT_EQ(values_at(*store_, "a.acme.test"), (std::vector<std::string>{"v2", "v3"}));
    ASSERT_TRUE(run({add("a.acme.test", "v4", 1)}));
    EXPECT_EQ(values_at(*store_, "a.acme.test"), (std::vector<std::string>{"v4"}));
}

TEST_F(WriterTest, CapOnValuesPerNameFailsTheChangeSetAlone) {
    start(3);
    ASSERT_TRUE(run({add("a.acme.test", "1"), add("a.acme.test", "2"), add("a.acme.test", "3")}));
    const std::uint32_t s = serial();
    // The failing add comes after a good one in the same change set: both roll back.
    auto r = run({add("b.acme.test", "ok"), add("a.acme.test", "4")});
    expect_error(r, Errc::invalid_argument, "too many TXT values at a.acme.test. (at most 3)");
    EXPECT_EQ(values_at(*store_, "a.acme.test"), (std::vector<std::string>{"1", "2", "3"}));
    EXPECT_TRUE(values_at(*store_, "b.acme.test").empty());
    EXPECT_EQ(serial(), s);
    // With retention the same add fits.
    ASSERT_TRUE(run({add("a.acme.test", "4", 3)}));
    EXPECT_EQ(values_at(*store_, "a.acme.test"), (std::vector<std::string>{"2", "3", "4"}));
}

TEST_F(WriterTest, RefusesReservedOwnersOtherTypesAndNamesOutsideTheZone) {
    const std::uint32_t s = serial();
    expect_error(run({add("acme.test", "v")}), Errc::forbidden);
    expect_error(run({add("www.acme.test", "v")}), Errc::forbidden);
    expect_error(run({add("Static.acme.test", "v")}), Errc::forbidden);
    expect_error(run({del_name("acme.test")}), Errc::forbidden);
    expect_error(run({del_rrset("static.acme.test")}), Errc::forbidden);
    expect_error(run({del_rr("static.acme.test", "fixed")}), Errc::forbidden);
    // A good operation next to a refused one is not applied either.
    expect_error(run({add("fine.acme.test", "v"), add("acme.test", "v")}), Errc::forbidden);
    EXPECT_TRUE(values_at(*store_, "fine.acme.test").empty());

    core::Operation a_record{core::OpKind::add_rr, n("x.acme.test"), core::rrtype::A, 60, std::string("\1\2\3\4", 4), 0};
    expect_error(run({a_record}), Errc::invalid_argument);
    core::Operation bad_txt{core::OpKind::add_rr, n("x.acme.test"), core::rrtype::TXT, 60, std::string("\x09short", 6), 0};
    expect_error(run({bad_txt}), Errc::invalid_argument);
    expect_error(run({add("x.other.test", "v")}), Errc::invalid_argument, "NOTZONE");
    expect_error(run({}, {prereq(PrereqKind::name_in_use, "other.test")}), Errc::invalid_argument, "NOTZONE");
    EXPECT_EQ(serial(), s);

    // Deleting a non-TXT RRset at a free name is a no-op, not an error.
    auto r = run({del_rrset("x.acme.test", core::rrtype::A)});
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_FALSE(r->changed);
}

TEST_F(WriterTest, DeleteOperations) {
    ASSERT_TRUE(run({add("a.acme.test", "1"), add("a.acme.test", "2"), add("b.acme.test", "1"), add("c.b.acme.test", "1")}));
    auto r = run({del_rr("a.acme.test", "1")});
    ASSERT_TRUE(r && r->changed);
    EXPECT_EQ(values_at(*store_, "a.acme.test"), std::vector<std::string>{"2"});
    r = run({del_rr("a.acme.test", "2")});  // the last value: the RRset goes
    ASSERT_TRUE(r && r->changed);
    Snapshot snap(*store_);
    ASSERT_TRUE(snap.begin());
    EXPECT_FALSE(snap.has_any(wire(n("a.acme.test"))));
    snap.end();
    r = run({del_rrset("b.acme.test")});
    ASSERT_TRUE(r && r->changed);
    EXPECT_TRUE(values_at(*store_, "b.acme.test").empty());
    EXPECT_EQ(values_at(*store_, "c.b.acme.test"), std::vector<std::string>{"1"});  // children untouched
    ASSERT_TRUE(run({add("b.acme.test", "again")}));
    r = run({del_name("b.acme.test")});
    ASSERT_TRUE(r && r->changed);
    EXPECT_TRUE(values_at(*store_, "b.acme.test").empty());
    EXPECT_EQ(values_at(*store_, "c.b.acme.test"), std::vector<std::string>{"1"});
}

TEST_F(WriterTest, PrerequisitesHoldOrFailWithTheirRcode) {
    ASSERT_TRUE(run({add("a.acme.test", "x"), add("a.acme.test", "y")}));
    struct Case {
        core::Prerequisite p;
        const char* rcode;  // nullptr: the prerequisite holds
    };
    const Case cases[] = {
        // §2.4.1 RRset exists (value independent): stored, static, the built SOA.
        {prereq(PrereqKind::rrset_exists, "a.acme.test", core::rrtype::TXT), nullptr},
        {prereq(PrereqKind::rrset_exists, "www.acme.test", core::rrtype::A), nullptr},
        {prereq(PrereqKind::rrset_exists, "acme.test", core::rrtype::SOA), nullptr},
        {prereq(PrereqKind::rrset_exists, "acme.test", core::rrtype::NS), nullptr},
        {prereq(PrereqKind::rrset_exists, "a.acme.test", core::rrtype::A), "NXRRSET"},
        {prereq(PrereqKind::rrset_exists, "b.acme.test", core::rrtype::TXT), "NXRRSET"},
        // §2.4.2 RRset exists (value dependent), compared as sets.
        {prereq(PrereqKind::rrset_exists_exactly, "a.acme.test", core::rrtype::TXT, {txt("y"), txt("x")}), nullptr},
        {prereq(PrereqKind::rrset_exists_exactly, "a.acme.test", core::rrtype::TXT, {txt("x")}), "NXRRSET"},
        {prereq(PrereqKind::rrset_exists_exactly, "a.acme.test", core::rrtype::TXT, {txt("x"), txt("y"), txt("z")}), "NXRRSET"},
        {prereq(PrereqKind::rrset_exists_exactly, "a.acme.test", core::rrtype::TXT, {txt("X"), txt("y")}), "NXRRSET"},
        {prereq(PrereqKind::rrset_exists_exactly, "static.acme.test", core::rrtype::TXT, {txt("fixed")}), nullptr},
        {prereq(PrereqKind::rrset_exists_exactly, "b.acme.test", core::rrtype::TXT, {txt("x")}), "NXRRSET"},
        // §2.4.3 RRset does not exist.
        {prereq(PrereqKind::rrset_absent, "b.acme.test", core::rrtype::TXT), nullptr},
        {prereq(PrereqKind::rrset_absent, "a.acme.test", core::rrtype::A), nullptr},
        {prereq(PrereqKind::rrset_absent, "a.acme.test", core::rrtype::TXT), "YXRRSET"},
        {prereq(PrereqKind::rrset_absent, "www.acme.test", core::rrtype::A), "YXRRSET"},
        // §2.4.4 name is in use.
        {prereq(PrereqKind::name_in_use, "a.acme.test"), nullptr},
        {prereq(PrereqKind::name_in_use, "www.acme.test"), nullptr},
        {prereq(PrereqKind::name_in_use, "acme.test"), nullptr},
        {prereq(PrereqKind::name_in_use, "b.acme.test"), "NXDOMAIN"},
        // §2.4.5 name is not in use.
        {prereq(PrereqKind::name_not_in_use, "b.acme.test"), nullptr},
        {prereq(PrereqKind::name_not_in_use, "a.acme.test"), "YXDOMAIN"},
        {prereq(PrereqKind::name_not_in_use, "www.acme.test"), "YXDOMAIN"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.p.name.to_text() + " kind " + std::to_string(static_cast<int>(c.p.kind)));
        const std::uint32_t s = serial();
        auto r = run({add("target.acme.test", "v" + std::to_string(s), 1)}, {c.p});
        if (c.rcode == nullptr) {
            ASSERT_TRUE(r) << r.error().message;
            EXPECT_TRUE(r->changed);
            EXPECT_EQ(r->serial, s + 1);
        } else {
            expect_error(r, Errc::prerequisite_failed, std::string(c.rcode) + ": ");
            EXPECT_EQ(serial(), s);  // operations not applied
        }
    }
}

TEST_F(WriterTest, PrerequisitesSeeEarlierChangeSetsOfTheSameBatch) {
    // Queued back to back so they are likely to share a batch; correct either way.
    auto first = writer_->submit(change({add("a.acme.test", "1")}, {prereq(PrereqKind::name_not_in_use, "a.acme.test")}));
    auto second = writer_->submit(change({add("a.acme.test", "2")}, {prereq(PrereqKind::name_not_in_use, "a.acme.test")}));
    auto r1 = first.get();
    auto r2 = second.get();
    ASSERT_TRUE(r1) << r1.error().message;
    expect_error(r2, Errc::prerequisite_failed, "YXDOMAIN: ");
    EXPECT_EQ(values_at(*store_, "a.acme.test"), std::vector<std::string>{"1"});
}

TEST_F(WriterTest, ConcurrentSubmitsFailAloneAndEachGoodOneStepsTheSerial) {
    start(8, WriterOptions{64});
    const std::uint32_t s0 = serial();
    constexpr int kThreads = 6, kPerThread = 40;
    std::atomic<int> ok{0}, failed{0}, completed{0}, wrong{0};
    std::mutex serials_mutex;
    std::vector<std::uint32_t> serials;
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([&, t] {
            for (int i = 0; i < kPerThread; ++i) {
                const std::string name = "t" + std::to_string(t) + "-" + std::to_string(i) + ".acme.test";
                core::ChangeSet cs;
                const bool good = i % 3 != 0;
                if (good) {
                    cs = change({add(name, "v")});
                } else if (i % 2 == 0) {
                    cs = change({add(name, "v"), add("www.acme.test", "v")});  // reserved owner
                } else {
                    cs = change({add(name, "v")}, {prereq(PrereqKind::name_in_use, name)});  // NXDOMAIN
                }
                writer_->submit(std::move(cs), [&, good, name](core::Result<core::CommitResult> r) {
                    if (r.ok() != good) ++wrong;
                    if (r) {
                        ++ok;
                        std::lock_guard lock(serials_mutex);
                        serials.push_back(r->serial);
                    } else {
                        ++failed;
                    }
                    ++completed;
                });
            }
        });
    for (auto& th : threads) th.join();
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (completed.load() < kThreads * kPerThread && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    ASSERT_EQ(completed.load(), kThreads * kPerThread);
    EXPECT_EQ(wrong.load(), 0);
    const int good_count = kThreads * (kPerThread - (kPerThread + 2) / 3);
    EXPECT_EQ(ok.load(), good_count);
    EXPECT_EQ(serial(), s0 + static_cast<std::uint32_t>(good_count));
    // Every good change set got its own serial, s0+1 .. s0+good_count.
    std::sort(serials.begin(), serials.end());
    for (int i = 0; i < good_count; ++i) EXPECT_EQ(serials[static_cast<std::size_t>(i)], s0 + 1 + static_cast<std::uint32_t>(i));
    Snapshot snap(*store_);
    ASSERT_TRUE(snap.begin());
    int stored = 0;
    snap.for_each([&](const core::Name&, std::uint16_t, const RRsetView&) { ++stored; });
    EXPECT_EQ(stored, good_count);
}

TEST_F(WriterTest, StopFinishesQueuedWorkThenRefusesNewWork) {
    std::vector<std::future<core::Result<core::CommitResult>>> queued;
    for (int i = 0; i < 50; ++i) queued.push_back(writer_->submit(change({add("q" + std::to_string(i) + ".acme.test", "v")})));
    writer_->stop();
    for (auto& f : queued) {
        ASSERT_EQ(f.wait_for(std::chrono::seconds(0)), std::future_status::ready);
        auto r = f.get();
        EXPECT_TRUE(r) << r.error().message;
    }
    auto late = writer_->submit(change({add("late.acme.test", "v")}));
    ASSERT_EQ(late.wait_for(std::chrono::seconds(0)), std::future_status::ready);
    expect_error(late.get(), Errc::shutting_down);
    writer_->stop();  // idempotent
    EXPECT_TRUE(values_at(*store_, "late.acme.test").empty());
}

TEST_F(WriterTest, ACallbackThatThrowsDoesNotStopTheWriter) {
    std::promise<void> called;
    writer_->submit(change({add("a.acme.test", "v")}), [&](core::Result<core::CommitResult>) {
        called.set_value();
        throw std::runtime_error("caller bug");
    });
    ASSERT_EQ(called.get_future().wait_for(std::chrono::seconds(30)), std::future_status::ready);
    auto r = run({add("b.acme.test", "v")});
    ASSERT_TRUE(r) << r.error().message;
}

TEST_F(WriterTest, SetZoneChangesTheRulesForLaterChangeSets) {
    ASSERT_TRUE(run({add("a.acme.test", "1"), add("a.acme.test", "2")}));
    writer_->set_zone(make_zone(2));
    expect_error(run({add("a.acme.test", "3")}), Errc::invalid_argument, "too many TXT values");
    writer_->set_zone(make_zone(3));
    ASSERT_TRUE(run({add("a.acme.test", "3")}));
}

TEST_F(WriterTest, OneBatchMixingGoodAndFailingChangeSets) {
    const std::uint32_t s0 = serial();
    // Hold the writer thread in a callback so everything below is queued into one batch.
    std::promise<void> release;
    std::shared_future<void> released = release.get_future().share();
    writer_->submit(change({}), [released](core::Result<core::CommitResult>) { released.wait_for(std::chrono::seconds(30)); });
    auto good1 = writer_->submit(change({add("g1.acme.test", "v")}));
    auto forbidden = writer_->submit(change({add("g9.acme.test", "v"), add("acme.test", "v")}));
    auto prereq_fails = writer_->submit(change({add("g8.acme.test", "v")}, {prereq(PrereqKind::rrset_exists, "g8.acme.test", core::rrtype::TXT)}));
    auto noop = writer_->submit(change({del_name("nothing.acme.test")}));
    auto cap_fails = writer_->submit(change({add("g7.acme.test", "1"), add("g7.acme.test", "2"), add("g7.acme.test", "3"),
                                             add("g7.acme.test", "4"), add("g7.acme.test", "5"), add("g7.acme.test", "6"),
                                             add("g7.acme.test", "7"), add("g7.acme.test", "8"), add("g7.acme.test", "9")}));
    auto good2 = writer_->submit(change({add("g2.acme.test", "v")}, {prereq(PrereqKind::name_in_use, "g1.acme.test")}));
    release.set_value();

    auto r1 = good1.get();
    ASSERT_TRUE(r1) << r1.error().message;
    EXPECT_EQ(r1->serial, s0 + 1);
    expect_error(forbidden.get(), Errc::forbidden);
    expect_error(prereq_fails.get(), Errc::prerequisite_failed, "NXRRSET: ");
    auto rn = noop.get();
    ASSERT_TRUE(rn);
    EXPECT_FALSE(rn->changed);
    EXPECT_EQ(rn->serial, s0 + 1);
    expect_error(cap_fails.get(), Errc::invalid_argument, "too many TXT values");
    auto r2 = good2.get();  // sees good1 from the same batch
    ASSERT_TRUE(r2) << r2.error().message;
    EXPECT_EQ(r2->serial, s0 + 2);
    EXPECT_EQ(serial(), s0 + 2);
    for (const char* name : {"g9.acme.test", "g8.acme.test", "g7.acme.test"}) EXPECT_TRUE(values_at(*store_, name).empty()) << name;
}
